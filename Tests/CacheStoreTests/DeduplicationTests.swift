import CacheStore
import Testing

@Suite("Content-addressed bodies", .serialized)
struct DeduplicationTests {
    @Test("two keys with the same 50 MiB body store it once and free it with the last key")
    func deduplicates() async throws {
        var configuration = CacheStore.Configuration()
        configuration.maxBytes = 512 << 20
        try await withStore(configuration) { store, _ in
            let bytes = testBytes(seed: 50, count: 50 << 20)
            let first = try await store.store("http://one.test/model.bin", bytes, piece: 1 << 20)
            let afterOne = try store.stats()
            #expect(afterOne.physicalBytes == 50 << 20)
            #expect(afterOne.logicalBytes == 50 << 20)

            let second = try await store.store("http://two.test/copy.bin", bytes, piece: 300_000)
            let afterTwo = try store.stats()
            #expect(second.bodyID == first.bodyID)
            #expect(afterTwo.physicalBytes == 50 << 20)
            #expect(afterTwo.logicalBytes == 100 << 20)
            #expect(afterTwo.bodies == 1)
            #expect(afterTwo.deduplicatedFills == 1)
            // The second fill's own chunks were deleted in its completing transaction.
            #expect(try store.checkIntegrity().chunks == (50 << 20) / store.chunkSize + 1)

            #expect(try await store.purge(.key("http://one.test/model.bin")) == 1)
            let afterPurge = try store.stats()
            #expect(afterPurge.physicalBytes == 50 << 20)
            #expect(afterPurge.logicalBytes == 50 << 20)
            let remaining = try #require(try store.variant(forKey: "http://two.test/copy.bin"))
            #expect(SHA256.hash(try await store.body(of: remaining)) == SHA256.hash(bytes))

            #expect(try await store.purge(.key("http://two.test/copy.bin")) == 1)
            let empty = try store.stats()
            #expect(empty.physicalBytes == 0)
            #expect(empty.logicalBytes == 0)
            #expect(empty.bodies == 0)
            let report = try store.checkIntegrity()
            #expect(report.isConsistent, "\(report.problems)")
            #expect(report.chunks == 0)
            #expect(try store.usedFileBytes() < 1 << 20)
        }
    }

    @Test("bodies under a page are stored per key; from a page on they are shared", arguments: [
        (4095, false), (4096, true),
    ])
    func smallBodiesAreNotShared(size: Int, shared: Bool) async throws {
        try await withStore { store, _ in
            let bytes = testBytes(seed: 3, count: size)
            let first = try await store.store("http://one.test/small", bytes)
            let second = try await store.store("http://two.test/small", bytes)
            #expect((second.bodyID == first.bodyID) == shared)
            let stats = try store.stats()
            #expect(stats.bodies == (shared ? 1 : 2))
            #expect(stats.physicalBytes == Int64(shared ? size : 2 * size))
            #expect(stats.deduplicatedFills == (shared ? 1 : 0))
            #expect(try await store.purge(.key("http://one.test/small")) == 1)
            let remaining = try #require(try store.variant(forKey: "http://two.test/small"))
            #expect(try await store.body(of: remaining) == bytes)
            let report = try store.checkIntegrity()
            #expect(report.isConsistent, "\(report.problems)")
        }
    }

    @Test("a body being read is freed only after its reader closes")
    func pinsBodyUnderReader() async throws {
        try await withStore { store, _ in
            let bytes = testBytes(seed: 7, count: 2_000_000)
            let variant = try await store.store("http://pin.test/a", bytes)
            let reader = try store.openBody(variant)
            guard case .data(let first) = try reader.read() else { Issue.record("no first chunk"); return }
            try await store.purge(.key("http://pin.test/a"))
            #expect(try store.variant(forKey: "http://pin.test/a") == nil)
            #expect(try store.stats().pendingBytes == 2_000_000)
            var rest: [UInt8] = []
            while let piece = try await reader.next() { rest += piece }
            #expect(first + rest == bytes)
            reader.close()
            try await store.flush()
            let stats = try store.stats()
            #expect(stats.pendingBytes == 0)
            #expect(stats.physicalBytes == 0)
            #expect(try store.checkIntegrity().chunks == 0)
            #expect(throws: StoreError.notFound) { try store.openBody(variant) }
        }
    }
}
