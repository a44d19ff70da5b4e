import Glibc

/// Keeps the stretch of `data.mdb` just past the last page LMDB uses cached one page per folio, so that the single
/// pages LMDB adds there are cheap to rewrite later.
///
/// Why: Linux (6.16 on, for ext4) caches file data in large folios. A commit that extends the file writes its new
/// pages with one `writev`, which the kernel caches as folios of up to hundreds of KiB. LMDB copies a page on every
/// write, so those pages are soon free and reused, one at a time, for B-tree pages; each such single-page write
/// into a large folio costs the whole folio in the write and again in the `fdatasync`: 2.5–3 times the CPU of a
/// single-page folio (docs/benchmarks.md, sixth pass). Pages read with readahead off are cached one per folio, and
/// later writes reuse the folios they find. So after each commit the writer extends the file (sparsely: LMDB does
/// not look at its length) and reads ahead of LMDB as many pages as its recent commits took one at a time from the
/// end of the file: zero-filled pages, no disk I/O. Runs of pages for body chunks are left to come after that
/// stretch, in large folios, which serve them better (sendfile of a large body costs less CPU from them). A file
/// under 16 MiB is not primed: its first commits are mostly the B-trees' first pages, and priming them would put
/// the first bodies in single-page folios for nothing.
///
/// Best effort: a failure leaves the file as LMDB would, and pages the kernel drops and reads back may come back in
/// large folios. Writer thread only.
final class PageCachePrimer {
    /// The most bytes kept primed ahead.
    static let maxStretch = 64 << 20
    /// Files smaller than this are not primed.
    static let minimumFileBytes = 16 << 20
    private static let readSize = 256 << 10

    private let descriptor: CInt
    private let scratch: UnsafeMutableRawPointer
    /// File offset up to which the page cache has been read ahead.
    private var primedEnd = 0
    /// Single pages recent commits added at the end of the file: a maximum that decays by an eighth per commit.
    private var singlePageGrowth = 0.0

    private init(descriptor: CInt) {
        self.descriptor = descriptor
        self.scratch = UnsafeMutableRawPointer.allocate(byteCount: Self.readSize, alignment: 4096)
    }

    deinit {
        Glibc.close(self.descriptor)
        self.scratch.deallocate()
    }

    /// Opens `directory/data.mdb` for priming; nil if it cannot (then nothing is primed).
    static func open(directory: String) -> PageCachePrimer? {
        let descriptor = Glibc.open(directory + "/data.mdb", O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        // Readahead off: a read caches exactly the pages it asks for, each in a folio of its own.
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_RANDOM)
        return PageCachePrimer(descriptor: descriptor)
    }

    /// Pages LMDB gives a value of `bytes` in a run of its own (overflow pages), or 0 if the value sits in a leaf.
    static func runPages(valueBytes bytes: Int, pageSize: Int) -> Int {
        bytes > pageSize / 2 ? (bytes + 16 + pageSize - 1) / pageSize : 0
    }

    /// After a commit that grew the file by `grownPages`, about `runPages` of them in runs for large values: primes
    /// twice the recent single-page growth past `usedPages` (never past `mapSize`), once less than half of it is left
    /// and the file has reached ``minimumFileBytes``.
    func prime(grownPages: Int, runPages: Int, usedPages: Int, pageSize: Int, mapSize: Int) {
        self.singlePageGrowth = max(Double(max(grownPages - runPages, 0)), self.singlePageGrowth * 0.875)
        let stretch = min(Int(2 * self.singlePageGrowth) * pageSize, Self.maxStretch)
        let used = usedPages * pageSize
        guard stretch > 0, used >= Self.minimumFileBytes, self.primedEnd - used < stretch / 2 else { return }
        let target = min(used + stretch, mapSize)
        var offset = max(self.primedEnd, used)
        guard offset < target else { return }
        var status = stat()
        guard fstat(self.descriptor, &status) == 0 else { return }
        if Int(status.st_size) < target {
            guard ftruncate(self.descriptor, off_t(target)) == 0 else { return }
        }
        while offset < target {
            let read = pread(self.descriptor, self.scratch, min(Self.readSize, target - offset), off_t(offset))
            if read < 0 && errno == EINTR { continue }
            guard read > 0 else { break }
            offset += read
        }
        self.primedEnd = offset
    }
}
