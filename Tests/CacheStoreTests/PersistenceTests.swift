import CacheStore
import TestSupport
import Testing

@Suite("Persistence and reads")
struct PersistenceTests {
    @Test("entries, bodies and counters survive close and reopen")
    func persistsAcrossReopen() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let small = testBytes(seed: 1, count: 1_000)
        let large = testBytes(seed: 2, count: 3 * 262_128 + 17)
        let gzip = testBytes(seed: 3, count: 70_000)
        do {
            let store = try CacheStore.open(directory: directory.path)
            try await store.store("http://a.test/small", small, tag: "small")
            try await store.store("http://a.test/large", large)
            try await store.store("http://a.test/large", gzip, secondaryKey: Array("gzip".utf8))
            let stored = try #require(try store.variant(forKey: "http://a.test/small"))
            store.recordHit(stored)
            store.recordHit(stored)
            store.close()
        }
        let store = try CacheStore.open(directory: directory.path)
        defer { store.close() }
        let small2 = try #require(try store.variant(forKey: "http://a.test/small"))
        #expect(small2.metadata == testMetadata(tag: "small"))
        #expect(small2.digest == SHA256.hash(small))
        #expect(small2.hits == 2)
        #expect(try store.variants(forKey: "http://a.test/small").map(\.hits) == [2])
        let withoutHits = try store.variants(forKey: "http://a.test/small", includingHits: false)
        #expect(withoutHits.map(\.hits) == [0], "a serving lookup does not read the hit counts")
        #expect(withoutHits.map(\.bodyID) == [small2.bodyID])
        #expect(try await store.body(of: small2) == small)
        let variants = try store.variants(forKey: "http://a.test/large")
        #expect(variants.count == 2)
        for variant in variants {
            let expected = variant.secondaryKey.isEmpty ? large : gzip
            #expect(firstDifference(try await store.body(of: variant), expected) == nil)
        }
        let stats = try store.stats()
        #expect(stats.objects == 2)
        #expect(stats.variants == 3)
        #expect(stats.fillsCompleted == 3)
        #expect(stats.hits == 2)
        #expect(stats.logicalBytes == Int64(small.count + large.count + gzip.count))
        #expect(try store.checkIntegrity(verifyDigests: true).isConsistent)
    }

    @Test("body ids are never reused across a reopen, fills begun and finished in one commit included")
    func bodyIDsAdvance() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var earlier: [UInt64] = []
        do {
            let store = try CacheStore.open(directory: directory.path)
            // Begun, written and finished without waiting in between: most land in one writer batch together.
            var fills: [Fill] = []
            for index in 0..<20 {
                let fill = try store.beginFill(primaryKey: "http://ids.test/\(index)", metadata: testMetadata())
                try fill.append(testBytes(seed: UInt64(index), count: 500 + index * 300))
                fills.append(fill)
            }
            for fill in fills { earlier.append(try await fill.finish().bodyID.rawValue) }
            #expect(try store.stats().pendingBytes == 0)
            #expect(try store.checkIntegrity(verifyDigests: true).isConsistent)
            store.close()
        }
        let store = try CacheStore.open(directory: directory.path)
        defer { store.close() }
        let next = try await store.store("http://ids.test/after", testBytes(seed: 99, count: 100))
        #expect(next.bodyID.rawValue > earlier.max()!)
        #expect(try store.checkIntegrity(verifyDigests: true).isConsistent)
    }

    @Test("byte ranges read across chunk boundaries", arguments: [
        (0, 10), (262_100, 262_200), (262_128, 262_128 * 2), (5, 800_000), (800_000, 800_001), (0, 800_001), (3, 3),
    ])
    func readsRanges(start: Int, end: Int) async throws {
        try await withStore { store, _ in
            let bytes = testBytes(seed: 9, count: 800_001)
            let variant = try await store.store("http://r.test/x", bytes)
            let reader = try store.openBody(variant, range: Int64(start)..<Int64(end))
            #expect(try await reader.readAll() == Array(bytes[start..<end]))
        }
    }

    @Test("a range outside the body is refused")
    func rejectsBadRange() async throws {
        try await withStore { store, _ in
            let variant = try await store.store("http://r.test/y", testBytes(seed: 1, count: 100))
            #expect(throws: StoreError.invalidRange) { try store.openBody(variant, range: 50..<101) }
        }
    }

    @Test("lending reads see the bytes in place, chunk by chunk")
    func lendsBytes() async throws {
        try await withStore { store, _ in
            let bytes = testBytes(seed: 4, count: 600_000)
            let variant = try await store.store("http://r.test/lend", bytes)
            let reader = try store.openBody(variant)
            var hasher = SHA256()
            var pieces = 0
            while case .data(let count) = try reader.withNext(maxBytes: 200_000, { raw -> Int in
                hasher.update(raw)
                return raw.count
            }) {
                #expect(count <= 200_000)
                pieces += 1
            }
            #expect(hasher.finish() == SHA256.hash(bytes))
            #expect(pieces >= 3)
        }
    }

    @Test("replacing a variant frees the old body")
    func replacesVariant() async throws {
        try await withStore { store, _ in
            try await store.store("http://r.test/v", testBytes(seed: 1, count: 500_000))
            let second = try await store.store("http://r.test/v", testBytes(seed: 2, count: 300_000))
            let stats = try store.stats()
            #expect(stats.variants == 1)
            #expect(stats.bodies == 1)
            #expect(stats.physicalBytes == 300_000)
            #expect(try store.variant(forKey: "http://r.test/v") == second)
            let report = try store.checkIntegrity()
            #expect(report.isConsistent, "\(report.problems)")
            #expect(report.chunks == 2)
        }
    }

    @Test("an empty body is stored and read")
    func storesEmptyBody() async throws {
        try await withStore { store, _ in
            let variant = try await store.store("http://r.test/empty", [])
            #expect(variant.bodySize == 0)
            #expect(try await store.body(of: variant) == [])
            #expect(try store.checkIntegrity(verifyDigests: true).isConsistent)
        }
    }
}
