import CacheStore
import Testing

/// The serving lookup (`variants(forKey:includingHits: false)`) reuses its answer until the next commit,
/// and small bodies once read are lent from memory: what a hit reads must still follow every write.
@Suite("Serving lookups and small bodies in memory")
struct ServingLookupTests {
    static func serving(_ store: CacheStore, _ key: String) throws -> [StoredVariant] {
        try store.variants(forKey: key, includingHits: false)
    }

    @Test("a repeated lookup sees each replacement, metadata update and purge as soon as it completes")
    func followsEveryWrite() async throws {
        try await withStore { store, _ in
            let key = "http://memo.test/a"
            let first = try await store.store(key, testBytes(seed: 1, count: 2_000))
            #expect(try Self.serving(store, key).map(\.bodyID) == [first.bodyID])
            #expect(try Self.serving(store, key).map(\.bodyID) == [first.bodyID])

            let second = try await store.store(key, testBytes(seed: 2, count: 3_000))
            #expect(try Self.serving(store, key).map(\.bodyID) == [second.bodyID])

            let updated = try await store.updateMetadata(of: second, to: testMetadata(tag: "fresh"))
            #expect(try Self.serving(store, key).map(\.metadata) == [updated.metadata])
            #expect(updated.metadata == testMetadata(tag: "fresh"))

            let other = try await store.store(key, testBytes(seed: 3, count: 10), secondaryKey: Array("gz".utf8))
            #expect(try Self.serving(store, key).count == 2)
            #expect(try Self.serving(store, key).contains { $0.bodyID == other.bodyID })

            #expect(try await store.purge(.key(key)) == 2)
            #expect(try Self.serving(store, key).isEmpty)
        }
    }

    @Test("a small body read once is lent from memory, even after its variant went; a large one is not kept")
    func smallBodiesFromMemory() async throws {
        try await withStore { store, _ in
            let small = testBytes(seed: 4, count: 16 * 1024)
            let large = testBytes(seed: 5, count: 16 * 1024 + 1)
            let smallVariant = try await store.store("http://memo.test/small", small)
            let largeVariant = try await store.store("http://memo.test/large", large)
            for variant in [smallVariant, largeVariant] {
                var lent: [UInt8] = []
                try store.withBody(of: variant) { lent.append(contentsOf: $0) }
                #expect(lent == (variant.bodyID == smallVariant.bodyID ? small : large))
            }
            #expect(try await store.purge(.prefix("http://memo.test/")) == 2)
            #expect(try Self.serving(store, "http://memo.test/small").isEmpty, "lookups no longer find it")
            var lent: [UInt8] = []
            try store.withBody(of: smallVariant) { lent.append(contentsOf: $0) }
            #expect(lent == small, "the bytes the variant stored, from memory")
            #expect(throws: StoreError.notFound) { try store.withBody(of: largeVariant) { _ in } }
        }
    }
}
