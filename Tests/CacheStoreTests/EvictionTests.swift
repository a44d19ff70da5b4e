import CacheStore
import TestSupport
import Testing

@Suite("Budget and eviction", .serialized)
struct EvictionTests {
    @Test("the least recently used variant is evicted first")
    func evictsInRecencyOrder() async throws {
        var configuration = CacheStore.Configuration()
        configuration.maxBytes = 3_670_016  // 3.5 MiB: three 1 MiB bodies fit, a fourth does not
        try await withStore(configuration) { store, _ in
            let size = 4 * store.chunkSize
            for (index, name) in ["a", "b", "c"].enumerated() {
                try await store.store("http://lru.test/\(name)", testBytes(seed: UInt64(index), count: size))
            }
            store.recordHit(try #require(try store.variant(forKey: "http://lru.test/a")))
            try await store.store("http://lru.test/d", testBytes(seed: 3, count: size))
            #expect(try store.variant(forKey: "http://lru.test/b") == nil, "b was least recently used")
            #expect(try store.variant(forKey: "http://lru.test/a") != nil)

            store.recordHit(try #require(try store.variant(forKey: "http://lru.test/c")))
            try await store.store("http://lru.test/e", testBytes(seed: 4, count: size))
            #expect(try store.variant(forKey: "http://lru.test/a") == nil, "a's hit is older than d and c")
            let left = try store.entries().map(\.primaryKey)
            #expect(left == ["http://lru.test/c", "http://lru.test/d", "http://lru.test/e"])
            let stats = try store.stats()
            #expect(stats.evictions == 2)
            #expect(stats.budgetedBytes <= configuration.maxBytes)
            #expect(try store.checkIntegrity().isConsistent)
        }
    }

    @Test("the LRU order survives a reopen, whether a variant's place is its stored tick or a saved hit's")
    func recencyAcrossReopen() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = CacheStore.Configuration()
        configuration.maxBytes = 3_670_016  // three 1 MiB bodies fit, a fourth does not
        func key(_ name: String) -> String { "http://lru.test/\(name)" }
        do {
            let store = try CacheStore.open(directory: directory.path, configuration: configuration)
            defer { store.close() }
            let size = 4 * store.chunkSize
            for (index, name) in ["a", "b", "c"].enumerated() {
                try await store.store(key(name), testBytes(seed: UInt64(index), count: size))
            }
            store.recordHit(try #require(try store.variant(forKey: key("a"))))
            store.recordHit(try #require(try store.variant(forKey: key("c"))))
            try await store.flush()
            // A replaced variant's saved hits go with it; the new one is placed by its own stored tick.
            try await store.store(key("c"), testBytes(seed: 9, count: size))
            #expect(try store.checkIntegrity().isConsistent)
        }
        let store = try CacheStore.open(directory: directory.path, configuration: configuration)
        defer { store.close() }
        #expect(try store.variants(forKey: key("a"), includingHits: true).map(\.hits) == [1])
        #expect(try store.variants(forKey: key("c"), includingHits: true).map(\.hits) == [0])
        try await store.store(key("d"), testBytes(seed: 3, count: 4 * store.chunkSize))
        #expect(try store.variant(forKey: key("b")) == nil, "b, never hit, was stored first")
        try await store.store(key("e"), testBytes(seed: 4, count: 4 * store.chunkSize))
        #expect(try store.variant(forKey: key("a")) == nil, "a's hit is older than the new c")
        #expect(try store.entries().map(\.primaryKey) == [key("c"), key("d"), key("e")])
        #expect(try store.checkIntegrity().isConsistent)
    }

    @Test("a cap on entries evicts too")
    func evictsByEntryCount() async throws {
        var configuration = CacheStore.Configuration()
        configuration.maxEntries = 10
        try await withStore(configuration) { store, _ in
            for index in 0..<25 {
                try await store.store("http://count.test/\(index)", testBytes(seed: UInt64(index), count: 100))
            }
            let stats = try store.stats()
            #expect(stats.variants <= 10)
            #expect(try store.variant(forKey: "http://count.test/24") != nil)
            #expect(try store.variant(forKey: "http://count.test/0") == nil)
        }
    }

    /// Stated slack: the counted usage never exceeds the budget (eviction runs before each batch
    /// that would exceed it); LMDB's live pages exceed the counted bytes by at most 1 MiB (B-tree
    /// and partial-chunk pages) plus 10 %.
    @Test("the budget holds while four fills and a reader run")
    func holdsBudgetUnderConcurrentFills() async throws {
        var configuration = CacheStore.Configuration()
        configuration.maxBytes = 24 << 20
        let budget = configuration.maxBytes
        try await withStore(configuration) { store, _ in
            let peaks = Shared((counted: Int64(0), live: 0))
            let done = Shared(false)
            let reads = Shared(0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        for index in 0..<16 {
                            let size = (1 << 20) + (worker * 7 + index) * 37_000
                            try await store.store(
                                "http://budget.test/\(worker)/\(index)",
                                testBytes(seed: UInt64(worker * 100 + index), count: size),
                                piece: 64_000
                            )
                        }
                    }
                }
                group.addTask {
                    // A reader streaming whatever is there; entries may vanish under it (evicted).
                    while !done.current {
                        for entry in try store.entries(limit: 8) {
                            for variant in entry.variants {
                                guard let reader = try? store.openBody(variant) else { continue }
                                var hasher = SHA256()
                                while let piece = try await reader.next() { hasher.update(piece) }
                                reader.close()
                                #expect(hasher.finish() == variant.digest)
                                reads.update { $0 += 1 }
                            }
                        }
                        await Task.yield()
                    }
                }
                group.addTask {
                    while !done.current {
                        let counted = try store.stats().budgetedBytes
                        let live = try store.usedFileBytes()
                        peaks.update { peaks in
                            peaks.counted = max(peaks.counted, counted)
                            peaks.live = max(peaks.live, live)
                        }
                        await Task.yield()
                    }
                }
                for _ in 0..<4 { try await group.next() }
                done.update { $0 = true }
                try await group.waitForAll()
            }
            let (counted, live) = peaks.current
            #expect(counted <= budget, "counted usage peaked at \(counted)")
            #expect(live <= Int(budget) + Int(budget) / 10 + (1 << 20), "live pages peaked at \(live)")
            #expect(reads.current > 0)
            let stats = try store.stats()
            #expect(stats.evictions > 0)
            #expect(stats.fillsCompleted == 64)
            let report = try store.checkIntegrity(verifyDigests: true)
            #expect(report.isConsistent, "\(report.problems)")
        }
    }

    @Test("a full map makes room by evicting instead of failing")
    func turnsMapFullIntoEviction() async throws {
        var configuration = CacheStore.Configuration()
        configuration.maxBytes = 1 << 30  // the budget never triggers: only the map does
        configuration.mapSize = 8 << 20
        try await withStore(configuration) { store, _ in
            for index in 0..<30 {
                try await store.store("http://full.test/\(index)", testBytes(seed: UInt64(index), count: 1 << 20))
            }
            let stats = try store.stats()
            #expect(stats.fillsCompleted == 30)
            #expect(stats.fillsAborted == 0)
            #expect(stats.evictions > 0)
            let last = try #require(try store.variant(forKey: "http://full.test/29"))
            #expect(firstDifference(try await store.body(of: last), testBytes(seed: 29, count: 1 << 20)) == nil)
            let report = try store.checkIntegrity(verifyDigests: true)
            #expect(report.isConsistent, "\(report.problems)")
        }
    }

    @Test("a fill larger than the map is aborted cleanly with storeFull")
    func abortsFillThatCannotFit() async throws {
        var configuration = CacheStore.Configuration()
        configuration.mapSize = 8 << 20
        try await withStore(configuration) { store, _ in
            try await store.store("http://full.test/small", testBytes(seed: 1, count: 100_000))
            let fill = try store.beginFill(primaryKey: "http://full.test/huge", metadata: testMetadata())
            var failure: StoreError?
            do throws(StoreError) {
                for index in 0..<80 { try await fill.write(testBytes(seed: UInt64(index), count: 256 << 10)) }
                _ = try await fill.finish()
            } catch {
                failure = error
            }
            #expect(failure == .storeFull)
            if case .aborted(let error)? = fill.view.progress.outcome {
                #expect(error == .storeFull)
            } else {
                Issue.record("the fill did not end aborted")
            }
            try await store.flush()
            #expect(try store.variant(forKey: "http://full.test/huge") == nil)
            let stats = try store.stats()
            #expect(stats.fillsAborted == 1)
            #expect(stats.pendingBytes == 0)
            let report = try store.checkIntegrity()
            #expect(report.isConsistent, "\(report.problems)")
            #expect(report.pendingBodies == 0)
            // The store still works afterwards.
            try await store.store("http://full.test/after", testBytes(seed: 2, count: 1 << 20))
        }
    }
}
