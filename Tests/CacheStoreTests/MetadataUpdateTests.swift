@testable import CacheStore
import TestSupport
import Testing

@Suite("Metadata update after revalidation")
struct MetadataUpdateTests {
    /// What a 304 would bring: new headers, later times, a new annotation.
    static let freshened = ResponseMetadata(
        status: 200,
        headers: [
            HeaderField(name: "content-type", value: "application/octet-stream"),
            HeaderField(name: "etag", value: "\"v1\""),
            HeaderField(name: "cache-control", value: "max-age=600, stale-while-revalidate=30"),
            HeaderField(name: "date", value: "Tue, 14 Nov 2023 22:20:00 GMT"),
        ],
        requestTime: 1_700_000_600_000,
        responseTime: 1_700_000_600_040,
        annotation: Array("fresh-until=1700001200".utf8)
    )

    /// The committed counters, without the live figures (file and map size, queue).
    static func counted(_ store: CacheStore) throws -> StoreStats {
        var stats = try store.stats()
        stats.fileBytes = 0
        stats.mapSize = 0
        stats.queuedBytes = 0
        stats.fillsInProgress = 0
        return stats
    }

    /// Length of the variant record as stored (what `metadataBytes` counts besides the overhead).
    static func recordLength(_ variant: StoredVariant, _ metadata: ResponseMetadata) -> Int64 {
        let record = VariantRecord(
            primaryKey: variant.primaryKey,
            secondaryKey: variant.secondaryKey,
            metadata: metadata,
            bodyID: variant.bodyID,
            bodySize: variant.bodySize,
            digest: variant.digest
        )
        return Int64(record.encoded().count)
    }

    @Test("new headers and times are seen by lookups, keep the body and hits, and survive reopen")
    func updatesAndPersists() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let bytes = testBytes(seed: 304, count: 2 * 262_128 + 99)
        let key = "http://reval.test/a"
        let gzip = Array("gzip".utf8)
        do {
            let store = try CacheStore.open(directory: directory.path)
            defer { store.close() }
            let stored = try await store.store(key, bytes, secondaryKey: gzip, tag: "old")
            try await store.store(key, testBytes(seed: 1, count: 500), tag: "sibling")
            store.recordHit(stored)
            try await store.flush()

            let updated = try await store.updateMetadata(of: stored, to: Self.freshened)
            #expect(updated.metadata == Self.freshened)
            #expect(updated.bodyID == stored.bodyID)
            #expect(updated.digest == stored.digest)
            #expect(updated.bodySize == stored.bodySize)
            #expect(updated.hits == 1)

            let found = try #require(try store.variant(forKey: key, secondaryKey: gzip))
            #expect(found == updated)
            #expect(firstDifference(try await store.body(of: found), bytes) == nil)
            // The sibling variant is untouched.
            #expect(try store.variant(forKey: key)?.metadata == testMetadata(tag: "sibling"))
            let report = try store.checkIntegrity(verifyDigests: true)
            #expect(report.isConsistent, "\(report.problems)")
        }
        let store = try CacheStore.open(directory: directory.path)
        defer { store.close() }
        let reopened = try #require(try store.variant(forKey: key, secondaryKey: gzip))
        #expect(reopened.metadata == Self.freshened)
        #expect(reopened.hits == 1)
        #expect(firstDifference(try await store.body(of: reopened), bytes) == nil)
        #expect(try store.checkIntegrity(verifyDigests: true).isConsistent)
    }

    @Test("counters change only by the record's change in length; body references stay")
    func keepsCountersExact() async throws {
        try await withStore { store, _ in
            let bytes = testBytes(seed: 7, count: 300_000)
            let first = try await store.store("http://reval.test/one", bytes, tag: "x")
            let shared = try await store.store("http://reval.test/two", bytes, tag: "x")
            #expect(shared.bodyID == first.bodyID)
            let before = try Self.counted(store)

            let updated = try await store.updateMetadata(of: first, to: Self.freshened)
            var expected = before
            let growth = Self.recordLength(first, Self.freshened) - Self.recordLength(first, first.metadata)
            #expect(growth > 0)
            expected.metadataBytes += growth
            expected.budgetedBytes += growth
            #expect(try Self.counted(store) == expected)

            // Shrinking back restores the original figures exactly.
            _ = try await store.updateMetadata(of: updated, to: first.metadata)
            #expect(try Self.counted(store) == before)

            // The shared body still has two references: one purge keeps it, the second frees it.
            #expect(try await store.purge(.key("http://reval.test/one")) == 1)
            #expect(firstDifference(try await store.body(of: shared), bytes) == nil)
            #expect(try await store.purge(.key("http://reval.test/two")) == 1)
            let empty = try store.stats()
            #expect(empty.bodies == 0)
            #expect(empty.physicalBytes == 0)
            #expect(empty.metadataBytes == 0)
            let report = try store.checkIntegrity()
            #expect(report.isConsistent, "\(report.problems)")
            #expect(report.chunks == 0)
        }
    }

    @Test("a purged variant is not found and nothing changes")
    func failsAfterPurge() async throws {
        try await withStore { store, _ in
            let stored = try await store.store("http://reval.test/gone", testBytes(seed: 2, count: 1_000))
            try await store.store("http://reval.test/other", testBytes(seed: 3, count: 1_000))
            #expect(try await store.purge(.key("http://reval.test/gone")) == 1)
            let before = try Self.counted(store)
            await #expect(throws: StoreError.notFound) {
                try await store.updateMetadata(of: stored, to: Self.freshened)
            }
            #expect(try Self.counted(store) == before)
            #expect(try store.variant(forKey: "http://reval.test/gone") == nil)
            #expect(try store.entries().map(\.primaryKey) == ["http://reval.test/other"])
        }
    }

    @Test("a variant replaced by a new fill with another body is not found and the new one stays")
    func failsAfterReplacement() async throws {
        try await withStore { store, _ in
            let key = "http://reval.test/replaced"
            let old = try await store.store(key, testBytes(seed: 4, count: 5_000), tag: "old")
            let newBytes = testBytes(seed: 5, count: 6_000)
            let new = try await store.store(key, newBytes, tag: "new")
            #expect(new.bodyID != old.bodyID)
            let before = try Self.counted(store)

            // The completion form, answered on the writer after its commit.
            let result = await withCheckedContinuation { continuation in
                store.updateMetadata(of: old, to: Self.freshened) { continuation.resume(returning: $0) }
            }
            #expect(throws: StoreError.notFound) { try result.get() }
            #expect(try Self.counted(store) == before)
            let current = try #require(try store.variant(forKey: key))
            #expect(current == new)
            #expect(try await store.body(of: current) == newBytes)
        }
    }

    @Test("a status outside 100–999 and a closed store are refused")
    func refusesInvalidCalls() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try CacheStore.open(directory: directory.path)
        let stored = try await store.store("http://reval.test/s", [1, 2, 3])
        var bad = Self.freshened
        bad.status = 70_000
        await #expect(throws: StoreError.invalidRange) { try await store.updateMetadata(of: stored, to: bad) }
        store.close()
        await #expect(throws: StoreError.closed) { try await store.updateMetadata(of: stored, to: Self.freshened) }
    }
}
