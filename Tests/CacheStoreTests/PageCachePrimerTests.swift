import Glibc
import TestSupport
import Testing

@testable import CacheStore

/// The writer reads ahead of LMDB's last page as much as its recent commits added one page at a time (so those pages
/// are cached one per folio, docs/store.md): how far, when, and that a store so primed reopens whole.
@Suite("Priming the data file's growth")
struct PageCachePrimerTests {
    static let page = 4096

    /// A primer over a fresh `data.mdb` of `pages` pages in a temporary directory.
    private func withPrimer(pages: Int, _ body: (PageCachePrimer, String) throws -> Void) throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/data.mdb"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        try #require(descriptor >= 0)
        #expect(ftruncate(descriptor, off_t(pages * Self.page)) == 0)
        close(descriptor)
        let primer = try #require(PageCachePrimer.open(directory: directory.path))
        try body(primer, path)
    }

    private func fileBytes(_ path: String) -> Int {
        var status = stat()
        return stat(path, &status) == 0 ? Int(status.st_size) : -1
    }

    /// Pages in use in the tests below: past the 16 MiB under which nothing is primed.
    static let base = 5_000

    @Test("a commit's single-page growth is read ahead twice over, and again only once half of that is used")
    func primesTwiceTheGrowth() throws {
        let base = Self.base
        try self.withPrimer(pages: base) { primer, path in
            primer.prime(grownPages: 10, runPages: 0, usedPages: base, pageSize: Self.page, mapSize: 1 << 30)
            #expect(self.fileBytes(path) == (base + 20) * Self.page)
            // The estimate decays to 8.75 pages: a stretch of 17, and 18 are still ahead.
            primer.prime(grownPages: 2, runPages: 0, usedPages: base + 2, pageSize: Self.page, mapSize: 1 << 30)
            #expect(self.fileBytes(path) == (base + 20) * Self.page)
            // 7.65 pages: a stretch of 15; 7 left ahead is under half of it.
            primer.prime(grownPages: 0, runPages: 0, usedPages: base + 13, pageSize: Self.page, mapSize: 1 << 30)
            #expect(self.fileBytes(path) == (base + 28) * Self.page)
        }
    }

    @Test("a file under 16 MiB is not primed")
    func smallFileIsNotPrimed() throws {
        let pages = PageCachePrimer.minimumFileBytes / Self.page - 1
        try self.withPrimer(pages: pages) { primer, path in
            primer.prime(grownPages: 10, runPages: 0, usedPages: pages, pageSize: Self.page, mapSize: 1 << 30)
            #expect(self.fileBytes(path) == pages * Self.page)
            primer.prime(grownPages: 1, runPages: 0, usedPages: pages + 1, pageSize: Self.page, mapSize: 1 << 30)
            #expect(self.fileBytes(path) == (pages + 1 + 17) * Self.page, "primed once the file reached 16 MiB")
        }
    }

    @Test("pages taken by runs for large values are not read ahead for")
    func runsAreNotPrimed() throws {
        let base = Self.base
        try self.withPrimer(pages: base) { primer, path in
            primer.prime(grownPages: 100, runPages: 100, usedPages: base, pageSize: Self.page, mapSize: 1 << 30)
            #expect(self.fileBytes(path) == base * Self.page)
            primer.prime(grownPages: 70, runPages: 64, usedPages: base + 70, pageSize: Self.page, mapSize: 1 << 30)
            #expect(self.fileBytes(path) == (base + 82) * Self.page)
        }
    }

    @Test("the stretch ends at the map size and at 64 MiB")
    func boundedStretch() throws {
        let base = Self.base
        try self.withPrimer(pages: base) { primer, path in
            let mapSize = (base + 6) * Self.page
            primer.prime(grownPages: 10, runPages: 0, usedPages: base, pageSize: Self.page, mapSize: mapSize)
            #expect(self.fileBytes(path) == (base + 6) * Self.page)
        }
        try self.withPrimer(pages: base) { primer, path in
            primer.prime(grownPages: 100_000, runPages: 0, usedPages: base, pageSize: Self.page, mapSize: 1 << 40)
            #expect(self.fileBytes(path) == base * Self.page + PageCachePrimer.maxStretch)
        }
    }

    @Test("values of more than half a page take runs of their own pages, with a 16-byte header")
    func runPages() {
        #expect(PageCachePrimer.runPages(valueBytes: 1024, pageSize: Self.page) == 0)
        #expect(PageCachePrimer.runPages(valueBytes: 2048, pageSize: Self.page) == 0)
        #expect(PageCachePrimer.runPages(valueBytes: 2049, pageSize: Self.page) == 1)
        #expect(PageCachePrimer.runPages(valueBytes: 4080, pageSize: Self.page) == 1)
        #expect(PageCachePrimer.runPages(valueBytes: 4081, pageSize: Self.page) == 2)
        #expect(PageCachePrimer.runPages(valueBytes: 64 * Self.page - 16, pageSize: Self.page) == 64)
    }

    @Test("a store's writer primes past LMDB's pages once the file passes 16 MiB, and the longer file reopens whole")
    func storeReopensPrimed() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var bodies: [String: [UInt8]] = [:]
        for index in 0..<5 {  // 20 MiB in runs of pages: the file passes 16 MiB
            bodies["http://primer.test/large/\(index)"] = testBytes(seed: UInt64(1000 + index), count: 4 << 20)
        }
        var small: [String: [UInt8]] = [:]
        for index in 0..<300 {
            small["http://primer.test/\(index)"] = testBytes(seed: UInt64(index), count: 500 + index)
        }
        do {
            let store = try CacheStore.open(directory: directory.path)
            defer { store.close() }
            for (key, bytes) in bodies { _ = try await store.store(key, bytes) }
            bodies.merge(small) { $1 }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (key, bytes) in small {
                    group.addTask { _ = try await store.store(key, bytes) }
                }
                try await group.waitForAll()
            }
            // The writer primes after a batch's callbacks have run: a barrier behind it waits for that.
            try await store.flush()
            let used = try store.stats().fileBytes
            #expect(self.fileBytes(directory.path + "/data.mdb") > used, "the file reaches past LMDB's \(used) bytes")
        }
        let store = try CacheStore.open(directory: directory.path)
        defer { store.close() }
        let report = try store.checkIntegrity(verifyDigests: true)
        #expect(report.isConsistent, "\(report.problems)")
        for (key, bytes) in bodies {
            let variant = try #require(try store.variant(forKey: key))
            #expect(try await store.body(of: variant) == bytes, "\(key)")
        }
    }
}
