import Synchronization

/// Larder's disk cache: HTTP responses in LMDB, with content-addressed chunked bodies, streaming
/// fills readable while they are written, LRU eviction under a byte budget and counters that
/// survive restarts.
///
/// A **primary key** (the cache key text) has **variants** (one per secondary key, computed by the
/// caller from Vary). A variant's body is identified by its SHA-256: identical bodies under
/// different keys are stored once. Lookups and body reads are short read transactions on the
/// caller's thread; every change goes through one writer thread that commits many fills' chunks
/// together. Nothing here blocks on the disk except reads of the map and the close.
///
/// See docs/store.md for the layout and the crash guarantees.
public final class CacheStore: Sendable {
    let context: StoreContext
    private let closed = Atomic(false)
    private let lock: StoreLock
    /// The directory holding `data.mdb` and `lock.mdb`.
    public let directory: String

    private init(context: StoreContext, directory: String, lock: StoreLock) {
        self.context = context
        self.directory = directory
        self.lock = lock
    }

    deinit {
        self.close()
    }

    /// Opens the store in `directory`, creating it if needed.
    ///
    /// Clears stale reader slots and frees whatever a previous run left unfinished (fills in
    /// progress, released bodies) — only those, listed in the `pending` database: opening does not
    /// scan the store, so it takes about the same time at any size.
    ///
    /// One writer per store: while it is open here, another open (in any process) throws
    /// ``StoreError/inUse``; read it with ``StoreReader`` instead.
    public static func open(
        directory: String,
        configuration: Configuration = Configuration()
    ) throws(StoreError) -> CacheStore {
        let limits = configuration.limits
        let lock = try StoreLock.acquire(directory: directory)
        let environment: Environment
        do throws(StoreError) {
            environment = try Environment.open(
                directory: directory,
                mapSize: configuration.mapSize ?? limits.mapSize,
                maxReaders: configuration.maxReaders,
                sync: configuration.durability == .full ? .full : .metaAsync
            )
        } catch {
            lock.release()
            throw error
        }
        do throws(StoreError) {
            let pins = BodyPins()
            let opened = try StoreOpening.run(environment, configuration: configuration, pins: pins)
            let settings = Writer.Settings(
                maxBatchBytes: configuration.maxBatchBytes,
                fillHighWaterBytes: configuration.fillHighWaterBytes,
                queueHighWaterBytes: configuration.queueHighWaterBytes,
                recencyFlushNanoseconds: configuration.recencyFlushInterval.nanoseconds,
                fixedMapSize: configuration.mapSize
            )
            let writer = Writer(
                environment: environment, opened: opened, pins: pins, limits: limits, settings: settings,
                primer: PageCachePrimer.open(directory: directory))
            writer.start()
            let context = StoreContext(
                environment: environment,
                opened: opened,
                pins: pins,
                writer: writer,
                maxObjectBytes: configuration.maxObjectBytes
            )
            return CacheStore(context: context, directory: directory, lock: lock)
        } catch {
            environment.close()
            lock.release()
            throw error
        }
    }

    /// Commits what is queued, aborts fills still open, saves recorded hits and closes the
    /// environment. Waits for the writer (except when called from a callback on the writer thread:
    /// then the writer closes the environment as it exits). Later calls do nothing; later reads
    /// throw `.closed`.
    public func close() {
        guard !self.closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        self.context.writer.stop()
        self.lock.release()
    }

    /// Whether a process holds `directory`'s store open for writing now (a running server).
    public static func isOpenForWriting(directory: String) -> Bool {
        StoreLock.isHeld(directory: directory)
    }

    /// Bytes per body chunk (fixed when the store was created).
    public var chunkSize: Int { self.context.chunkSize }

    /// The largest body a fill may hold (nil: no limit but the budget).
    public var maxObjectBytes: Int64? { self.context.maxObjectBytes }

    // MARK: Lookup

    /// The variants stored under a primary key: metadata only, one read transaction, no write.
    public func variants(forKey primaryKey: String) throws(StoreError) -> [StoredVariant] {
        try self.variants(forKey: primaryKey, includingHits: true)
    }

    /// ``variants(forKey:)``; without `includingHits` their ``StoredVariant/hits`` are 0 and not read (the
    /// lookup that answers a request needs none), and the answer is reused until the next commit.
    public func variants(forKey primaryKey: String, includingHits: Bool) throws(StoreError) -> [StoredVariant] {
        let commits = self.context.environment.commits
        if !includingHits, let known = self.context.lookups.variants(forKey: primaryKey, commits: commits) {
            return known
        }
        let primary = Keys.primaryHash(primaryKey)
        let found = try self.context.environment.read { (txn) throws(StoreError) -> [StoredVariant] in
            try self.queries(txn).variants(primary, includingHits: includingHits)
        }
        if !includingHits { self.context.lookups.remember(found, forKey: primaryKey, commits: commits) }
        return found
    }

    /// One variant, or nil.
    public func variant(forKey primaryKey: String, secondaryKey: [UInt8] = []) throws(StoreError) -> StoredVariant? {
        let key = Keys.variant(primary: Keys.primaryHash(primaryKey), secondary: secondaryKey)
        return try self.context.environment.read { (txn) throws(StoreError) -> StoredVariant? in
            guard let bytes = try txn.get(self.context.db.variants, key) else { return nil }
            let hits = try txn.recency(of: key, self.context.db)?.hits ?? 0
            return StoredVariant(record: try VariantRecord(decoding: bytes), hits: hits)
        }
    }

    /// The read-only queries over `txn`, reusing decoded variant records.
    private func queries(_ txn: Transaction) -> StoreQueries {
        StoreQueries(txn: txn, db: self.context.db, decoded: self.context.decodedRecords)
    }

    /// Records that `variant` was served: moves it to the young end of the LRU order. Kept in memory
    /// and saved in batches — a hit costs no write transaction.
    public func recordHit(_ variant: StoredVariant) {
        // Wake the writer only when the first touch arrives (it then saves on its interval) or when many
        // wait: one hot variant hit over and over must not wake it on every hit.
        let (waiting, first) = self.context.recency.recordHit(
            Recency.VariantName(primaryKey: variant.primaryKey, secondaryKey: variant.secondaryKey))
        if first || waiting == Recency.eagerFlushThreshold { self.context.writer.nudge() }
    }

    /// A reader of a stored body, from `range.lowerBound` to `range.upperBound` (default: all).
    /// Throws ``StoreError/notFound`` if the variant was removed and its body freed meanwhile.
    public func openBody(_ variant: StoredVariant, range: Range<Int64>? = nil) throws(StoreError) -> BodyReader {
        try BodyReader(context: self.context, variant: variant, range: range)
    }

    /// Lends a whole complete body to `body`, chunk by chunk in order, within one read transaction: the way
    /// to copy a small body out (a snapshot needs no pin). Throws ``StoreError/notFound`` if it is gone.
    /// Bodies up to 16 KiB are lent from a copy kept in memory once read (``SmallBodies``): a body's bytes
    /// never change, so the copy is lent even after the variant went (it is what that variant stored).
    public func withBody(of variant: StoredVariant, _ body: (UnsafeRawBufferPointer) -> Void) throws(StoreError) {
        let small = variant.bodySize <= Int64(SmallBodies.maxBodyBytes)
        if small, let kept = self.context.smallBodies.body(variant.bodyID), kept.count == variant.bodySize {
            return kept.withUnsafeBytes(body)
        }
        guard small else { return try self.readBody(of: variant, body) }
        var copy: [UInt8] = []
        copy.reserveCapacity(Int(variant.bodySize))
        try self.readBody(of: variant) { bytes in
            copy.append(contentsOf: bytes)
            body(bytes)
        }
        self.context.smallBodies.remember(copy, for: variant.bodyID)
    }

    /// ``withBody(of:_:)`` from LMDB.
    private func readBody(of variant: StoredVariant, _ body: (UnsafeRawBufferPointer) -> Void) throws(StoreError) {
        let db = self.context.db
        let chunkSize = Int64(self.context.chunkSize)
        try self.context.environment.read { (txn) throws(StoreError) in
            guard let bytes = try txn.get(db.bodies, Keys.body(variant.bodyID)),
                case let record = try BodyRecord(decoding: bytes), record.state != .filling,
                record.size == variant.bodySize
            else { throw .notFound("\(variant.bodyID) is gone") }
            var remaining = variant.bodySize
            var index: UInt32 = 0
            while remaining > 0 {
                guard let chunk = try txn.get(db.chunks, Keys.chunk(variant.bodyID, index)) else {
                    throw .notFound("chunk \(index) of \(variant.bodyID)")
                }
                let expected = Int(min(chunkSize, remaining))
                guard chunk.count >= expected else {
                    throw .corrupt("chunk \(index) of \(variant.bodyID) holds \(chunk.count) bytes")
                }
                body(UnsafeRawBufferPointer(rebasing: chunk[0..<expected]))
                remaining -= Int64(expected)
                index += 1
            }
        }
    }

    // MARK: Fill

    /// Starts storing a response whose head is known and whose body will stream in.
    ///
    /// Nothing becomes servable until ``Fill/finish(_:)`` commits; a fill that ends otherwise
    /// (abort, error, crash) leaves nothing behind after start-up cleanup. The variant replaces any
    /// variant with the same keys when it completes.
    public func beginFill(
        primaryKey: String,
        secondaryKey: [UInt8] = [],
        metadata: ResponseMetadata
    ) throws(StoreError) -> Fill {
        guard (100...999).contains(metadata.status) else { throw .invalidRange("status \(metadata.status)") }
        let state = FillState(
            bodyID: self.context.allocateBodyID(),
            primaryKey: primaryKey,
            secondaryKey: secondaryKey,
            metadata: metadata,
            chunkSize: self.context.chunkSize
        )
        guard self.context.writer.register(state) else { throw .closed }
        return Fill(context: self.context, state: state)
    }

    // MARK: Purge and listing

    /// Removes the variants in `scope`; `completion` gets how many (on the writer thread, after the commit).
    /// Bodies still referenced by other keys stay; bodies still being read are freed after their readers.
    public func purge(_ scope: PurgeScope, completion: @escaping @Sendable (Result<Int, StoreError>) -> Void) {
        if self.context.writer.enqueue(.purge(scope, completion)) == nil {
            completion(.failure(.closed))
        }
    }

    /// Removes the variants in `scope`; returns how many.
    @discardableResult
    public func purge(_ scope: PurgeScope) async throws(StoreError) -> Int {
        let result = await withCheckedContinuation { continuation in
            self.purge(scope) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Entries (primary keys with their variants) in key order, optionally only those starting with
    /// `prefix`, at most `limit` of them.
    public func entries(prefix: String = "", limit: Int = .max) throws(StoreError) -> [StoredEntry] {
        try self.context.environment.read { (txn) throws(StoreError) -> [StoredEntry] in
            try self.queries(txn).entries(prefix: prefix, limit: limit)
        }
    }

    // MARK: Maintenance

    /// Returns once everything queued before the call is committed and recorded hits are saved.
    public func flush() async throws(StoreError) {
        let result = await withCheckedContinuation { continuation in
            if self.context.writer.enqueue(.barrier({ continuation.resume(returning: $0) })) == nil {
                continuation.resume(returning: .failure(.closed))
            }
        }
        try result.get()
    }

    /// Changes the budget while running: the map grows if it follows the budget, and eviction
    /// brings the store under the new limits.
    public func updateLimits(maxBytes: Int64, maxEntries: Int?) async throws(StoreError) {
        let limits = Limits(maxBytes: maxBytes, maxEntries: maxEntries, lowWaterFraction: self.currentLowWater)
        let result = await withCheckedContinuation { continuation in
            if self.context.writer.enqueue(.limits(limits, { continuation.resume(returning: $0) })) == nil {
                continuation.resume(returning: .failure(.closed))
            }
        }
        try result.get()
    }

    private var currentLowWater: Double { self.context.writer.limits.lowWaterFraction }

    /// The counters as last committed, plus live figures.
    public func stats() throws(StoreError) -> StoreStats {
        let counters = try self.context.environment.read { (txn) throws(StoreError) -> Counters in
            try StoreQueries(txn: txn, db: self.context.db).counters()
        }
        let writer = self.context.writer
        return StoreStats(
            counters: counters, info: self.context.environment.info(),
            live: .init(fillsInProgress: writer.fillsInProgress, queuedBytes: writer.bytesQueued,
                        maxBytes: writer.limits.maxBytes, chunkSize: self.context.chunkSize))
    }

    /// Bytes of the data file in use: pages up to the high-water mark less the free list
    /// (walks the free list; meant for tests and `larder stats`, not for hot paths).
    public func usedFileBytes() throws(StoreError) -> Int {
        let info = self.context.environment.info()
        return (info.pagesInUse - (try self.context.environment.freePages())) * info.pageSize
    }
}
