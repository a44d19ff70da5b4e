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
        var outcome: FillOutcome?
        var observers: [UInt64: Observer] = [:]
        var nextObserverID: UInt64 = 0
        var waiters: [(beyond: Int64, callback: @Sendable (FillProgress) -> Void)] = []

        var snapshot: FillProgress { FillProgress(committedBytes: self.committedBytes, outcome: self.outcome) }
    }

    let bodyID: BodyID
    let primaryKey: String
    let secondaryKey: [UInt8]
    let metadata: ResponseMetadata
    let producer: Locked<Producer>
    private let progress = Mutex(Progress())

    init(bodyID: BodyID, primaryKey: String, secondaryKey: [UInt8], metadata: ResponseMetadata) {
        self.bodyID = bodyID
        self.primaryKey = primaryKey
        self.secondaryKey = secondaryKey
        self.metadata = metadata
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
    /// (at once if that is already so).
    func whenCommitted(beyond: Int64, _ callback: @escaping @Sendable (FillProgress) -> Void) {
        let ready: FillProgress? = self.progress.withLock { progress in
            if progress.outcome != nil || progress.committedBytes > beyond { return progress.snapshot }
            progress.waiters.append((beyond, callback))
            return nil
        }
        if let ready { callback(ready) }
    }

    // MARK: Writer side (after commit)

    func publishCommitted(_ bytes: Int64) {
        guard bytes > 0 else { return }
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
        for observer in observers { observer(snapshot.event) }
        for waiter in waiters { waiter(snapshot) }
        return true
    }
}
