import CacheStore
import Testing

@Suite("Purge, listing and counters")
struct PurgeAndListingTests {
    /// Stores a small tree of keys: two hosts, nested paths, one key with two variants.
    private func populate(_ store: CacheStore) async throws {
        for path in ["/a", "/dir/b", "/dir/c", "/dir/sub/d", "/dirx/e"] {
            try await store.store(
                "http://one.test\(path)", testBytes(seed: UInt64(path.count), count: 10_000 + path.count))
        }
        try await store.store(
            "http://one.test/dir/b", testBytes(seed: 99, count: 5_000), secondaryKey: Array("br".utf8))
        try await store.store("http://two.test/a", testBytes(seed: 5, count: 20_000))
    }

    @Test("listing walks keys in order, optionally under a prefix")
    func lists() async throws {
        try await withStore { store, _ in
            try await self.populate(store)
            let all = try store.entries()
            #expect(
                all.map(\.primaryKey) == [
                    "http://one.test/a", "http://one.test/dir/b", "http://one.test/dir/c", "http://one.test/dir/sub/d",
                    "http://one.test/dirx/e", "http://two.test/a",
                ])
            #expect(all[1].variants.count == 2)
            let dir = try store.entries(prefix: "http://one.test/dir/")
            #expect(
                dir.map(\.primaryKey) == [
                    "http://one.test/dir/b", "http://one.test/dir/c", "http://one.test/dir/sub/d",
                ])
            #expect(try store.entries(limit: 2).count == 2)
            #expect(try store.entries(prefix: "http://three.test/").isEmpty)
        }
    }

    @Test("purge by key, by prefix and all; counters follow")
    func purges() async throws {
        try await withStore { store, _ in
            try await self.populate(store)
            var stats = try store.stats()
            #expect(stats.objects == 6)
            #expect(stats.variants == 7)
            #expect(stats.fillsCompleted == 7)

            #expect(try await store.purge(.key("http://one.test/dir/b")) == 2)
            #expect(try store.variants(forKey: "http://one.test/dir/b").isEmpty)
            #expect(try await store.purge(.key("http://nothing.test/")) == 0)

            #expect(try await store.purge(.prefix("http://one.test/dir/")) == 2)
            #expect(
                try store.entries().map(\.primaryKey) == [
                    "http://one.test/a", "http://one.test/dirx/e", "http://two.test/a",
                ])
            stats = try store.stats()
            #expect(stats.objects == 3)
            #expect(stats.variants == 3)
            #expect(stats.purgedVariants == 4)
            #expect(stats.logicalBytes == Int64(10_002 + 10_007 + 20_000))
            #expect(try store.checkIntegrity().isConsistent)

            #expect(try await store.purge(.all) == 3)
            stats = try store.stats()
            #expect(stats.objects == 0)
            #expect(stats.variants == 0)
            #expect(stats.physicalBytes == 0)
            #expect(stats.logicalBytes == 0)
            #expect(stats.purgedVariants == 7)
            let report = try store.checkIntegrity()
            #expect(report.isConsistent, "\(report.problems)")
            #expect(report.chunks == 0)
        }
    }

    @Test("a prefix longer than the indexed part of long keys still matches exactly")
    func purgesLongKeys() async throws {
        try await withStore { store, _ in
            let base = "http://long.test/" + String(repeating: "x", count: 500)
            try await store.store(base + "/keep", [1])
            try await store.store(base + "/drop/1", [2])
            try await store.store(base + "/drop/2", [3])
            #expect(try store.entries(prefix: base + "/drop/").count == 2)
            #expect(try await store.purge(.prefix(base + "/drop/")) == 2)
            #expect(try store.entries().map(\.primaryKey) == [base + "/keep"])
        }
    }
}
