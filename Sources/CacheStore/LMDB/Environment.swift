import CLMDB
import Glibc
import Synchronization

/// An open LMDB environment (a directory holding `data.mdb` and `lock.mdb`).
///
/// Read transactions may run on any thread (`MDB_NOTLS`); each holds the ``ReadGate`` shared so the
/// map can be grown or closed safely. Write transactions run only on the store's writer thread.
final class Environment: @unchecked Sendable {
    /// How commits reach the disk.
    enum Sync: Sendable {
        /// Data and meta page fsync'd at each commit (LMDB's default).
        case full
        /// `MDB_NOMETASYNC`: the meta page is written but synced with the next commit.
        case metaAsync
    }

    struct Info {
        var mapSize: Int
        var pageSize: Int
        /// Pages in the file up to the high-water mark (including free ones).
        var pagesInUse: Int
    }

    private let handle: OpaquePointer
    private let gate = ReadGate()
    /// Guarded by `gate` (written under exclusive, read under shared).
    private var isClosed = false
    /// The map's address once learnt (``fileOffset(of:)``), 0 until then; cleared when the map moves.
    private let mapAddress = Atomic<UInt>(0)
    /// Read transactions reset after use, for ``read(_:)`` to renew; aborted at close.
    private let idleReaders = Mutex<[IdleReader]>([])
    /// Most idle read transactions kept (each keeps a reader slot of `maxReaders`).
    private static let idleReaderLimit = 16
    /// Write transactions committed since opening; see ``commits``.
    private let commitCount = Atomic<UInt64>(0)

    /// A reset read transaction: used by one thread at a time (`MDB_NOTLS`), so it may change threads.
    private struct IdleReader: @unchecked Sendable {
        let txn: OpaquePointer
    }
    let pageSize: Int
    /// `data.mdb` opened read-only, for sending large values straight from the file; nil if it could not be.
    let dataFile: DataFile?

    private init(handle: OpaquePointer, pageSize: Int, dataFile: DataFile?) {
        self.handle = handle
        self.pageSize = pageSize
        self.dataFile = dataFile
    }

    /// Opens (creating if needed) the environment in `directory`.
    /// Clears reader slots left by dead processes (`mdb_reader_check`).
    /// With `readOnly` the directory must exist already (`MDB_RDONLY`: no write transaction is possible,
    /// the map size is the one the writer set, `mapSize` is ignored).
    static func open(
        directory: String,
        mapSize: Int,
        maxReaders: Int,
        sync: Sync,
        readOnly: Bool = false
    ) throws(StoreError) -> Environment {
        if !readOnly, mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw .system("mkdir \(directory)", errno: errno)
        }
        var created: OpaquePointer?
        var code = mdb_env_create(&created)
        guard code == 0, let handle = created else { throw .lmdb(code, "mdb_env_create") }
        var flags = UInt32(MDB_NOTLS)
        if sync == .metaAsync { flags |= UInt32(MDB_NOMETASYNC) }
        if readOnly { flags |= UInt32(MDB_RDONLY) }
        code = mdb_env_set_maxdbs(handle, 16)
        if code == 0, !readOnly { code = mdb_env_set_mapsize(handle, mapSize) }
        if code == 0 { code = mdb_env_set_maxreaders(handle, UInt32(maxReaders)) }
        if code == 0 { code = mdb_env_open(handle, directory, flags, 0o644) }
        guard code == 0 else {
            mdb_env_close(handle)
            throw .lmdb(code, "mdb_env_open \(directory)")
        }
        var dead: Int32 = 0
        _ = mdb_reader_check(handle, &dead)
        var stat = MDB_stat()
        mdb_env_stat(handle, &stat)
        let dataFile = readOnly ? nil : DataFile.open(directory: directory, environment: handle)
        return Environment(handle: handle, pageSize: Int(stat.ms_psize), dataFile: dataFile)
    }

    /// Runs `body` in a read-only transaction (on any thread).
    func read<T>(_ body: (Transaction) throws(StoreError) -> T) throws(StoreError) -> T {
        try self.gate.shared { () throws(StoreError) -> T in
            guard !self.isClosed else { throw .closed }
            let txn = try self.beginRead()
            defer { self.endRead(txn) }
            return try body(Transaction(handle: txn))
        }
    }

    /// A read transaction: an idle one renewed (keeping its reader slot: no search of the reader table under
    /// LMDB's lock, no allocation), else a new one.
    private func beginRead() throws(StoreError) -> OpaquePointer {
        if let idle = self.idleReaders.withLock({ $0.popLast() }) {
            if mdb_txn_renew(idle.txn) == 0 { return idle.txn }
            mdb_txn_abort(idle.txn)
        }
        var created: OpaquePointer?
        let code = mdb_txn_begin(self.handle, nil, UInt32(MDB_RDONLY), &created)
        guard code == 0, let txn = created else { throw .lmdb(code, "mdb_txn_begin(read)") }
        return txn
    }

    /// Ends a read transaction: reset (it no longer holds a snapshot) and kept for the next read, up to a few.
    private func endRead(_ txn: OpaquePointer) {
        mdb_txn_reset(txn)
        let kept = self.idleReaders.withLock { idle in
            guard idle.count < Self.idleReaderLimit else { return false }
            idle.append(IdleReader(txn: txn))
            return true
        }
        if !kept { mdb_txn_abort(txn) }
    }

    /// Runs `body` in a read-only transaction that is committed rather than aborted, so the database
    /// handles it opens stay open (how a read-only environment opens its databases).
    func readCommitting<T>(_ body: (Transaction) throws(StoreError) -> T) throws(StoreError) -> T {
        try self.gate.shared { () throws(StoreError) -> T in
            guard !self.isClosed else { throw .closed }
            var created: OpaquePointer?
            var code = mdb_txn_begin(self.handle, nil, UInt32(MDB_RDONLY), &created)
            guard code == 0, let txn = created else { throw .lmdb(code, "mdb_txn_begin(read)") }
            let result: T
            do throws(StoreError) {
                result = try body(Transaction(handle: txn))
            } catch {
                mdb_txn_abort(txn)
                throw error
            }
            code = mdb_txn_commit(txn)
            guard code == 0 else { throw .lmdb(code, "mdb_txn_commit(read)") }
            return result
        }
    }

    /// Runs `body` in a write transaction and commits it; aborts if `body` throws.
    /// Only the writer thread (and `open`, before it starts) calls this.
    func write<T>(_ body: (Transaction) throws(StoreError) -> T) throws(StoreError) -> T {
        var created: OpaquePointer?
        var code = mdb_txn_begin(self.handle, nil, 0, &created)
        guard code == 0, let txn = created else { throw .lmdb(code, "mdb_txn_begin(write)") }
        let result: T
        do {
            result = try body(Transaction(handle: txn))
        } catch {
            mdb_txn_abort(txn)
            throw error
        }
        code = mdb_txn_commit(txn)
        guard code == 0 else { throw .lmdb(code, "mdb_txn_commit") }
        self.commitCount.add(1, ordering: .releasing)
        return result
    }

    /// Write transactions committed since opening, counted once each is visible to new readers: what a
    /// read transaction begun after loading this sees is at least that commit's state.
    var commits: UInt64 { self.commitCount.load(ordering: .acquiring) }

    /// Opens (creating) a named database. Call inside the first write transaction.
    /// Without `create`, a missing database fails with LMDB's `MDB_NOTFOUND` (a read-only open of a non-store).
    func openDatabase(_ name: String, in transaction: Transaction, create: Bool = true) throws(StoreError)
        -> MDB_dbi
    {
        var dbi: MDB_dbi = 0
        let code = mdb_dbi_open(transaction.handle, name, create ? UInt32(MDB_CREATE) : 0, &dbi)
        guard code == 0 else { throw .lmdb(code, "mdb_dbi_open \(name)") }
        return dbi
    }

    /// Where `value` (from a read transaction of this environment) lies in `data.mdb`, if it is on overflow
    /// pages (see ``OverflowPages``); nil for values inside B-tree pages, or without a ``dataFile``.
    /// Call it inside the read transaction that returned `value`.
    func fileOffset(of value: UnsafeRawBufferPointer) -> Int64? {
        guard self.dataFile != nil, OverflowPages.holds(value, pageSize: self.pageSize),
            let start = value.baseAddress
        else { return nil }
        var base = self.mapAddress.load(ordering: .acquiring)
        if base == 0 {
            // Learnt once per map: the read transaction holds the gate shared, so `setMapSize` (which forgets it
            // when it moves the map) cannot run before this is stored.
            guard let learnt = OverflowPages.mapAddress(from: value, pageSize: self.pageSize) else { return nil }
            self.mapAddress.store(learnt, ordering: .releasing)
            base = learnt
        }
        let header = UInt(bitPattern: start) - UInt(OverflowPages.headerBytes)
        guard header >= base, (header - base) % UInt(self.pageSize) == 0 else { return nil }
        return Int64(UInt(bitPattern: start) - base)
    }

    func info() -> Info {
        var info = MDB_envinfo()
        mdb_env_info(self.handle, &info)
        return Info(mapSize: info.me_mapsize, pageSize: self.pageSize, pagesInUse: info.me_last_pgno + 1)
    }

    /// Pages on LMDB's free list (reusable), by walking the free database. Cost grows with the free list.
    func freePages() throws(StoreError) -> Int {
        try self.read { (txn) throws(StoreError) -> Int in
            var total = 0
            try txn.withCursor(0) { (cursor) throws(StoreError) in
                var entry = try cursor.first()
                while let current = entry {
                    // Each value is an ID list whose first word is its length.
                    if current.value.count >= MemoryLayout<Int>.size {
                        total += current.value.loadUnaligned(as: Int.self)
                    }
                    entry = try cursor.next()
                }
            }
            return total
        }
    }

    /// Grows the map. Waits for running read transactions to end (exclusive gate).
    func setMapSize(_ size: Int) throws(StoreError) {
        try self.gate.exclusive { () throws(StoreError) in
            guard !self.isClosed else { throw .closed }
            let code = mdb_env_set_mapsize(self.handle, size)
            self.mapAddress.store(0, ordering: .releasing)  // the map may have moved
            guard code == 0 else { throw .lmdb(code, "mdb_env_set_mapsize") }
        }
    }

    /// Closes the environment once running readers are done; later reads throw `.closed`.
    func close() {
        self.gate.exclusive {
            guard !self.isClosed else { return }
            self.isClosed = true
            for idle in self.idleReaders.withLock({ $0 }) { mdb_txn_abort(idle.txn) }
            self.idleReaders.withLock { $0.removeAll() }
            mdb_env_close(self.handle)
        }
    }
}
