import Synchronization

/// The state of one fill shared by its owner (``Fill``), its observers (``FillView``), its readers
/// and the writer. The writer changes `progress` only after the commit it reports.
final class FillState: Sendable {
    typealias Observer = @Sendable (FillEvent) -> Void

    /// The owner's side: the unwritten tail of the body and the running digest.
    struct Producer: ~Copyable {
        var buffer: [UInt8]
        var hasher = SHA256()
        var nextChunk: UInt32 = 0
        var appended: Int64 = 0
        var closed = false
    }

    struct Progress {
        var committedBytes: Int64 = 0
        /// Bytes appended so far, committed or not: what readers can already get (see ``withBuffered``).
        var bufferedBytes: Int64 = 0
        var outcome: FillOutcome?
        var observers: [UInt64: Observer] = [:]
        var nextObserverID: UInt64 = 0
        /// Callbacks waiting for bytes beyond an offset: committed ones only, or buffered ones too.
        var waiters: [(beyond: Int64, buffered: Bool, callback: @Sendable (FillProgress) -> Void)] = []

        var snapshot: FillProgress { FillProgress(committedBytes: self.committedBytes, outcome: self.outcome) }
    }

    let bodyID: BodyID
    let primaryKey: String
    let secondaryKey: [UInt8]
    let metadata: ResponseMetadata
    let chunkSize: Int
    let producer: Locked<Producer>
    private let progress = Mutex(Progress())
    /// Whole chunks handed to the writer and not yet committed, by index: readers get them from here
    /// meanwhile. They share storage with the writer's copy.
    private let pending = Mutex<[UInt32: [UInt8]]>([:])

    init(bodyID: BodyID, primaryKey: String, secondaryKey: [UInt8], metadata: ResponseMetadata, chunkSize: Int) {
        self.bodyID = bodyID
        self.primaryKey = primaryKey
        self.secondaryKey = secondaryKey
        self.metadata = metadata
        self.chunkSize = chunkSize
        self.producer = Locked(Producer(buffer: []))
    }

    var snapshot: FillProgress { self.progress.withLock { $0.snapshot } }

    var outcome: FillOutcome? { self.progress.withLock { $0.outcome } }

    var isEnded: Bool { self.outcome != nil }

    // MARK: Observers

    /// Registers an observer; returns the state it starts from (later events come to `observer`).
    func observe(_ observer: @escaping Observer) -> (UInt64, FillProgress) {
        self.progress.withLock { progress in
            let id = progress.nextObserverID
            progress.nextObserverID += 1
            if progress.outcome == nil { progress.observers[id] = observer }
            return (id, progress.snapshot)
        }
    }

    /// Registers an observer and hands it the current state inside the same critical section,
    /// so it sees that state before any later event (used by the `AsyncStream` form).
    func observeStartingWithSnapshot(_ observer: @escaping Observer) -> UInt64 {
        self.progress.withLock { progress in
            let id = progress.nextObserverID
            progress.nextObserverID += 1
            observer(progress.snapshot.event)
            if progress.outcome == nil { progress.observers[id] = observer }
            return id
        }
    }

    func removeObserver(_ id: UInt64) {
        _ = self.progress.withLock { $0.observers.removeValue(forKey: id) }
    }

    /// Calls `callback` once, as soon as more than `beyond` bytes are committed or the fill ends
    /// (at once if that is already so). With `buffered`, bytes appended but not yet committed count too.
    func whenCommitted(beyond: Int64, buffered: Bool = false, _ callback: @escaping @Sendable (FillProgress) -> Void) {
        let ready: FillProgress? = self.progress.withLock { progress in
            let available = buffered ? max(progress.committedBytes, progress.bufferedBytes) : progress.committedBytes
            if progress.outcome != nil || available > beyond { return progress.snapshot }
            progress.waiters.append((beyond, buffered, callback))
            return nil
        }
        if let ready { callback(ready) }
    }

    // MARK: Bytes not yet committed

    /// Keeps a whole chunk readable until the writer has committed it (call before handing it over).
    func holdPending(_ chunk: [UInt8], index: UInt32) {
        guard !chunk.isEmpty else { return }
        self.pending.withLock { $0[index] = chunk }
    }

    /// Owner side, after an append: wakes readers waiting for bytes the fill now holds.
    func publishBuffered(_ total: Int64) {
        let ready: [@Sendable (FillProgress) -> Void] = self.progress.withLock { progress in
            progress.bufferedBytes = max(progress.bufferedBytes, total)
            guard !progress.waiters.isEmpty else { return [] }
            var ready: [@Sendable (FillProgress) -> Void] = []
            progress.waiters.removeAll { waiter in
                guard waiter.buffered, progress.bufferedBytes > waiter.beyond else { return false }
                ready.append(waiter.callback)
                return true
            }
            return ready
        }
        guard !ready.isEmpty else { return }
        let snapshot = self.snapshot
        for callback in ready { callback(snapshot) }
    }

    /// Lends bytes from `position` that the fill holds in memory (appended, not yet committed) to
    /// `body`: at most `maxBytes`, not past `end`, not past the chunk. Nil when it holds none there.
    func withBuffered<R>(
        at position: Int64,
        maxBytes: Int,
        end: Int64?,
        _ body: (UnsafeRawBufferPointer) -> R
    ) -> (R, Int)? {
        let index = UInt32(truncatingIfNeeded: position / Int64(self.chunkSize))
        let offset = Int(position % Int64(self.chunkSize))
        let limit = end.map { Int(min(Int64(Int.max), $0 - position)) } ?? Int.max
        func lend(_ bytes: UnsafeRawBufferPointer) -> (R, Int)? {
            let count = min(bytes.count - offset, maxBytes, limit)
            guard count > 0 else { return nil }
            return (body(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])), count)
        }
        if let chunk = self.pending.withLock({ $0[index] }) {
            return chunk.withUnsafeBytes { lend($0) }
        }
        return self.producer.withLock { producer in
            guard producer.nextChunk == index else { return nil }
            return producer.buffer.withUnsafeBytes { lend($0) }
        }
    }

    // MARK: Writer side (after commit)

    func publishCommitted(_ bytes: Int64) {
        guard bytes > 0 else { return }
        defer {
            // Committed chunks are read from the store from now on.
            let committedChunks = UInt32(truncatingIfNeeded: self.snapshot.committedBytes / Int64(self.chunkSize))
            self.pending.withLock { pending in pending = pending.filter { $0.key >= committedChunks } }
        }
        let (observers, waiters, snapshot) = self.progress.withLock { progress in
            progress.committedBytes += bytes
            let snapshot = progress.snapshot
            var ready: [@Sendable (FillProgress) -> Void] = []
            progress.waiters.removeAll { waiter in
                guard progress.committedBytes > waiter.beyond else { return false }
                ready.append(waiter.callback)
                return true
            }
            return (Array(progress.observers.values), ready, snapshot)
        }
        for observer in observers { observer(.committed(snapshot.committedBytes)) }
        for waiter in waiters { waiter(snapshot) }
    }

    /// Ends the fill; returns false if it had already ended.
    @discardableResult
    func publishOutcome(_ outcome: FillOutcome) -> Bool {
        let ended: ([Observer], [@Sendable (FillProgress) -> Void], FillProgress)? = self.progress.withLock {
            progress in
            guard progress.outcome == nil else { return nil }
            progress.outcome = outcome
            if case .completed(let variant) = outcome { progress.committedBytes = variant.bodySize }
            defer {
                progress.observers = [:]
                progress.waiters = []
            }
            return (Array(progress.observers.values), progress.waiters.map(\.callback), progress.snapshot)
        }
        guard let (observers, waiters, snapshot) = ended else { return false }
        self.pending.withLock { $0 = [:] }
        for observer in observers { observer(snapshot.event) }
        for waiter in waiters { waiter(snapshot) }
        return true
    }
}
