import CacheStore
import Testing

/// `withBody(of:)`: a whole complete body lent chunk by chunk in one read transaction (small hits).
@Suite("Whole-body reads")
struct WholeBodyTests {
    @Test("the bytes lent are the stored body, across chunk boundaries")
    func lendsTheBody() async throws {
        try await withStore { store, _ in
            let chunk = store.chunkSize
            for (index, length) in [1, chunk - 1, chunk, chunk + 1, 3 * chunk + 17].enumerated() {
                let bytes = testBytes(seed: UInt64(index), count: length)
                let variant = try await store.store("http://a.test/\(length)", bytes)
                var lent: [UInt8] = []
                var pieces = 0
                try store.withBody(of: variant) { piece in
                    lent.append(contentsOf: piece)
                    pieces += 1
                }
                #expect(lent == bytes)
                #expect(pieces == (length + chunk - 1) / chunk)
            }
        }
    }

    @Test("a purged body is not found; a replaced one is not lent for the old variant")
    func goneBodies() async throws {
        try await withStore { store, _ in
            let first = try await store.store("http://a.test/x", testBytes(seed: 1, count: 5_000))
            _ = try await store.store("http://a.test/x", testBytes(seed: 2, count: 5_000))
            #expect(throws: StoreError.notFound) { try store.withBody(of: first) { _ in } }
            let current = try #require(try store.variant(forKey: "http://a.test/x"))
            _ = try await store.purge(.key("http://a.test/x"))
            #expect(throws: StoreError.notFound) { try store.withBody(of: current) { _ in } }
        }
    }
}
