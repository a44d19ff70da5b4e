import Foundation
import CacheStore
import TestSupport
import Testing

@Suite("Open, close and limits")
struct LifecycleTests {
    @Test("both durability modes persist what was committed", arguments: [
        CacheStore.Durability.full, .metaAsync,
    ])
    func persistsInEitherMode(durability: CacheStore.Durability) async throws {
        var configuration = CacheStore.Configuration()
        configuration.durability = durability
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let bytes = testBytes(seed: 21, count: 1_000_000)
        do {
            let store = try CacheStore.open(directory: directory.path, configuration: configuration)
            try await store.store("http://mode.test/a", bytes)
            store.close()
        }
        let store = try CacheStore.open(directory: directory.path, configuration: configuration)
        defer { store.close() }
        let variant = try #require(try store.variant(forKey: "http://mode.test/a"))
        #expect(try await store.body(of: variant) == bytes)
    }

    @Test("the writer thread is named, as top -H and perf show it")
    func writerThreadIsNamed() async throws {
        try await withStore { _, _ in
            let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
            let names = tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
            #expect(names.contains("larder-writer\n"))
        }
    }

    @Test("closing aborts fills in progress; the store reopens clean")
    func closeAbortsOpenFills() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try CacheStore.open(directory: directory.path)
        let fill = try store.beginFill(primaryKey: "http://close.test/a", metadata: testMetadata())
        try await fill.write(testBytes(seed: 1, count: 2 * store.chunkSize))
        #expect(try store.stats().fillsInProgress == 1)
        store.close()
        guard case .aborted(let error)? = fill.view.progress.outcome else {
            Issue.record("the open fill was not aborted by close")
            return
        }
        #expect(error == .closed)
        #expect(throws: StoreError.closed) { try store.variant(forKey: "http://close.test/a") }
        #expect(throws: StoreError.closed) { try fill.append([1]) }

        let reopened = try CacheStore.open(directory: directory.path)
        defer { reopened.close() }
        let report = try reopened.checkIntegrity()
        #expect(report.isConsistent, "\(report.problems)")
        #expect(report.chunks == 0)
        #expect(try reopened.stats().fillsAborted == 1)
    }

    @Test("lowering the budget evicts; raising it grows the map")
    func updatesLimits() async throws {
        var configuration = CacheStore.Configuration()
        configuration.maxBytes = 64 << 20
        try await withStore(configuration) { store, _ in
            for index in 0..<8 {
                try await store.store("http://limits.test/\(index)", testBytes(seed: UInt64(index), count: 1 << 20))
            }
            try await store.updateLimits(maxBytes: 4 << 20, maxEntries: nil)
            var stats = try store.stats()
            #expect(stats.budgetedBytes <= 4 << 20)
            #expect(stats.evictions >= 4)
            #expect(try store.variant(forKey: "http://limits.test/7") != nil, "the newest entry stays")

            let mapBefore = stats.mapSize
            try await store.updateLimits(maxBytes: 1 << 30, maxEntries: nil)
            stats = try store.stats()
            #expect(stats.maxBytes == 1 << 30)
            #expect(stats.mapSize > mapBefore)
            try await store.store("http://limits.test/after", testBytes(seed: 9, count: 1 << 20))
            #expect(try store.checkIntegrity().isConsistent)
            // Read transactions kept idle from before the map moved read the moved map.
            let kept = try #require(try store.variant(forKey: "http://limits.test/7"))
            #expect(firstDifference(try await store.body(of: kept), testBytes(seed: 7, count: 1 << 20)) == nil)
            let after = try #require(try store.variant(forKey: "http://limits.test/after"))
            #expect(firstDifference(try await store.body(of: after), testBytes(seed: 9, count: 1 << 20)) == nil)
        }
    }

    @Test("a status outside 100...999 is refused")
    func refusesBadStatus() async throws {
        _ = try await withStore { store, _ in
            #expect(throws: StoreError.invalidRange) {
                try store.beginFill(primaryKey: "http://bad.test/", metadata: testMetadata(status: 42))
            }
        }
    }
}
