import CacheStore
import Glibc
import TestSupport
import Testing

/// The read-only view (`StoreReader`) and the one-writer rule (`StoreError.inUse`).
///
/// LMDB forbids opening one environment twice in one process at the same time, so the reader here
/// opens a store after its writer closed; reading beside a running server (another process) is tested
/// through the `larder` CLI in ProxyTests.
@Suite("Read-only store and the writer lock", .timeLimit(.minutes(1)))
struct ReadOnlyStoreTests {
    @Test("a reader lists, looks up and counts what the writer committed, and finds shared bodies")
    func readerSeesCommittedEntries() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let shared = testBytes(seed: 7, count: 300_000)
        do {
            let store = try CacheStore.open(directory: directory.path)
            defer { store.close() }
            try await store.store("http://a.test/one", shared)
            try await store.store("http://a.test/two", shared)
            try await store.store("http://b.test/other", testBytes(seed: 8, count: 1_000))
            try await store.store("http://b.test/other", testBytes(seed: 9, count: 10), secondaryKey: Array("gz".utf8))
            store.recordHit(try #require(try store.variant(forKey: "http://a.test/one")))
            try await store.flush()
        }
        let reader = try StoreReader.open(directory: directory.path)
        let all = try reader.entries(prefix: "", limit: .max)
        #expect(all.map(\.primaryKey) == ["http://a.test/one", "http://a.test/two", "http://b.test/other"])
        #expect(try reader.entries(prefix: "http://a.test/", limit: 1).map(\.primaryKey) == ["http://a.test/one"])
        let one = try #require(try reader.variants(forKey: "http://a.test/one").first)
        #expect(one.hits == 1)
        #expect(one.bodySize == Int64(shared.count))
        #expect(try reader.variants(forKey: "http://b.test/other").count == 2)
        let sharing = try reader.keys(sharingBody: one.digest, limit: 10).sorted()
        #expect(sharing == ["http://a.test/one", "http://a.test/two"])
        let stats = try reader.stats()
        #expect(stats.objects == 3)
        #expect(stats.variants == 4)
        #expect(stats.bodies == 3)
        #expect(stats.logicalBytes - stats.physicalBytes == Int64(shared.count))
        #expect(stats.deduplicatedFills == 1)
        #expect(stats.hits == 1)
    }

    @Test("a second writer is refused with the holder's pid until the first closes")
    func oneWriterAtATime() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        #expect(!CacheStore.isOpenForWriting(directory: directory.path))
        let store = try CacheStore.open(directory: directory.path)
        #expect(CacheStore.isOpenForWriting(directory: directory.path))
        do {
            _ = try CacheStore.open(directory: directory.path)
            Issue.record("a second writer opened the store")
        } catch {
            #expect(error == .inUse)
            #expect(error.detail.contains("process \(getpid())"))
        }
        store.close()
        #expect(!CacheStore.isOpenForWriting(directory: directory.path))
        let reopened = try CacheStore.open(directory: directory.path)
        reopened.close()
    }

    @Test("opening a directory without a store read-only says so and creates nothing")
    func readerNeedsAStore() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        #expect(throws: StoreError.notFound) { try StoreReader.open(directory: directory.path) }
        #expect(throws: StoreError.notFound) { try StoreReader.open(directory: directory.path + "/missing") }
        var status = stat()
        #expect(stat(directory.path + "/missing", &status) != 0)
    }
}
