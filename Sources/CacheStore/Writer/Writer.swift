import Glibc
import Synchronization

/// The store's single writer: a dedicated thread applying queued operations in write transactions.
///
/// **Group commit.** Callers only enqueue. The thread takes everything queued (up to
/// `maxBatchBytes`) and applies it in one transaction with one commit — one fsync however many
/// fills contributed. While it commits, new operations queue up and form the next batch, so the
/// batch size adapts to the load. A transaction never waits for a caller and never spans an `await`.
///
/// **Backpressure.** Queued but uncommitted body bytes are counted per fill and in total. `enqueue`
/// answers ``Backpressure/pause`` above a high-water mark; ``whenWritable(_:_:)`` calls back once
/// both are below half of it.
final class Writer: @unchecked Sendable {
    struct Settings: Sendable {
        var maxBatchBytes: Int
        var fillHighWaterBytes: Int
        var queueHighWaterBytes: Int
        var recencyFlushNanoseconds: Int64
        /// nil: the map follows the byte budget.
        var fixedMapSize: Int?
    }

    private enum RunState { case running, stopping, stopped }

    let environment: Environment
    let db: Databases
    let pins: BodyPins
    let recency: Recency
    let settings: Settings
    /// Keeps the file's growth cached in single pages (nil if `data.mdb` could not be opened for it).
    let primer: PageCachePrimer?

    private let lock = ConditionLock()
    // Guarded by `lock`.
    private var queue: [WriteOperation] = []
    private var queuedBytes = 0
    private var queuedByFill: [BodyID: Int] = [:]
    private var writableWaiters: [BodyID: (fill: FillState, callbacks: [@Sendable () -> Void])] = [:]
    private var activeFills: [BodyID: FillState] = [:]
    private var runState = RunState.running
    private var thread: pthread_t?
    /// The thread has named itself (``start()`` returns only then).
    private var threadNamed = false

    // Writer thread only (and `init`, before the thread starts).
    var counters: Counters
    var lastRecencyFlush = monotonicNanoseconds()
    /// Set by the writer; read by `stats` from any thread.
    private let currentLimits: Mutex<Limits>

    init(
        environment: Environment, opened: StoreOpening.Opened, pins: BodyPins, limits: Limits, settings: Settings,
        primer: PageCachePrimer?
    ) {
        self.environment = environment
        self.primer = primer
        self.db = opened.db
        self.pins = pins
        self.recency = opened.recency
        self.counters = opened.counters
        self.currentLimits = Mutex(limits)
        self.settings = settings
    }

    // MARK: Thread

    func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let code = pthread_create(
            &thread, nil,
            { context in
                guard let context else { return nil }
                let writer = Unmanaged<Writer>.fromOpaque(context).takeRetainedValue()
                Writer.nameCurrentThread("larder-writer")
                writer.lock.withLock { writer.threadNamed = true }
                writer.lock.signal()
                writer.run()
                return nil
            }, context)
        guard code == 0 else {
            // No thread: run nothing, refuse work (callers see `.closed`).
            Unmanaged<Writer>.fromOpaque(context).release()
            self.lock.withLock { self.runState = .stopped }
            return
        }
        // Return once the thread has its name, so whoever looks next (top -H, perf, a test) sees it.
        self.lock.withLock {
            self.thread = thread
            while !self.threadNamed { self.lock.wait(nanoseconds: nil) }
        }
    }

    /// Names the calling thread, as `top -H`, `perf` and /proc show it (a new thread otherwise inherits its
    /// creator's name, here whichever thread opened the store).
    private static func nameCurrentThread(_ name: String) {
        let descriptor = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        _ = name.withCString { write(descriptor, $0, strlen($0)) }
    }

    /// Finishes what is queued, aborts fills still open, saves recency, ends the thread and closes
    /// the environment. Waits for all that, unless called on the writer thread itself (from a
    /// callback): then the thread does it as it exits.
    func stop() {
        let (thread, isSelf): (pthread_t?, Bool) = self.lock.withLock {
            if self.runState == .running { self.runState = .stopping }
            defer { self.thread = nil }
            guard let thread = self.thread else { return (nil, false) }
            return (thread, pthread_equal(thread, pthread_self()) != 0)
        }
        self.lock.signal()
        guard let thread else {
            if self.lock.withLock({ self.runState == .stopped }) { self.environment.close() }
            return
        }
        if isSelf {
            pthread_detach(thread)
            return
        }
        pthread_join(thread, nil)
    }

    private func run() {
        while true {
            let (batch, stopping) = self.nextBatch()
            if !batch.isEmpty { self.process(batch) }
            self.maintain()
            if stopping && batch.isEmpty { break }
        }
        self.shutDown()
        self.environment.close()
        let waiters = self.lock.withLock {
            self.runState = .stopped
            defer { self.writableWaiters = [:] }
            return self.writableWaiters.values.flatMap(\.callbacks)
        }
        waiters.forEach { $0() }
    }

    /// Waits for work; returns up to `maxBatchBytes` of queued operations (at least one), or none
    /// when recency is due for saving or the writer is stopping.
    private func nextBatch() -> ([WriteOperation], Bool) {
        let woken: Bool? = self.lock.withLock {
            var waited = false
            while self.queue.isEmpty && self.runState == .running {
                let touches = self.recency.pendingCount
                guard touches > 0 else {
                    self.lock.wait(nanoseconds: nil)
                    waited = true
                    continue
                }
                if touches >= Recency.eagerFlushThreshold { return nil }
                let remaining = self.lastRecencyFlush + self.settings.recencyFlushNanoseconds - monotonicNanoseconds()
                guard remaining > 0 else { return nil }
                self.lock.wait(nanoseconds: remaining)
                waited = true
            }
            return waited && self.runState == .running
        }
        guard let woken else { return ([], false) }
        // Woken by new work: first let the threads that queue it run if they share this core (an event loop under
        // load usually has more to queue), so the batch takes what they add meanwhile. Commits come fewer and larger,
        // and each costs pages and an fdatasync whatever it holds (docs/benchmarks.md, fifth pass). With a core of its
        // own the writer gets the core straight back.
        if woken { sched_yield() }
        return self.lock.withLock {
            var count = 0
            var bytes = 0
            while count < self.queue.count {
                let size = self.queue[count].dataBytes
                if count > 0 && bytes + size > self.settings.maxBatchBytes { break }
                bytes += size
                count += 1
            }
            var batch: [WriteOperation] = []
            if count == self.queue.count {
                swap(&batch, &self.queue)
            } else {
                batch = Array(self.queue.prefix(count))
                self.queue.removeFirst(count)
            }
            return (batch, self.runState != .running)
        }
    }

    // MARK: Queue

    /// Queues an operation; nil if the writer has stopped.
    func enqueue(_ operation: WriteOperation) -> Backpressure? {
        let pressure: Backpressure? = self.lock.withLock {
            guard self.runState == .running else { return nil }
            self.queue.append(operation)
            let bytes = operation.dataBytes
            guard bytes > 0, let fill = operation.fill else { return .ready }
            self.queuedBytes += bytes
            let forFill = self.queuedByFill[fill.bodyID, default: 0] + bytes
            self.queuedByFill[fill.bodyID] = forFill
            let over =
                forFill > self.settings.fillHighWaterBytes || self.queuedBytes > self.settings.queueHighWaterBytes
            return over ? .pause : .ready
        }
        if pressure != nil { self.lock.signal() }
        return pressure
    }

    /// Registers a fill and queues its first operation; false if the writer has stopped.
    func register(_ fill: FillState) -> Bool {
        let accepted = self.lock.withLock {
            guard self.runState == .running else { return false }
            self.activeFills[fill.bodyID] = fill
            self.queue.append(.begin(fill))
            return true
        }
        if accepted { self.lock.signal() }
        return accepted
    }

    /// Wakes the writer to save recorded hits early.
    func nudge() {
        self.lock.signal()
    }

    /// Calls `callback` once `fill`'s queued bytes and the whole queue are below half their high-water
    /// marks, or the fill has ended, or the writer stopped (at once if so already).
    func whenWritable(_ fill: FillState, _ callback: @escaping @Sendable () -> Void) {
        let ready = self.lock.withLock {
            if self.isWritable(fill) || self.runState == .stopped { return true }
            self.writableWaiters[fill.bodyID, default: (fill, [])].callbacks.append(callback)
            return false
        }
        if ready { callback() }
    }

    /// Caller holds `lock`.
    private func isWritable(_ fill: FillState) -> Bool {
        if fill.isEnded { return true }
        return self.queuedByFill[fill.bodyID, default: 0] <= self.settings.fillHighWaterBytes / 2
            && self.queuedBytes <= self.settings.queueHighWaterBytes / 2
    }

    /// After a batch: forgets its bytes, forgets ended fills, and wakes producers that may go on.
    func settleQueue(_ batch: [WriteOperation], ended: [BodyID]) {
        let ready: [@Sendable () -> Void] = self.lock.withLock {
            for operation in batch {
                let bytes = operation.dataBytes
                guard bytes > 0, let fill = operation.fill else { continue }
                self.queuedBytes -= bytes
                let left = self.queuedByFill[fill.bodyID, default: 0] - bytes
                self.queuedByFill[fill.bodyID] = left > 0 ? left : nil
            }
            for id in ended { self.activeFills[id] = nil }
            var ready: [@Sendable () -> Void] = []
            for (id, waiter) in self.writableWaiters where self.isWritable(waiter.fill) {
                ready += waiter.callbacks
                self.writableWaiters[id] = nil
            }
            return ready
        }
        ready.forEach { $0() }
    }

    var limits: Limits {
        get { self.currentLimits.withLock { $0 } }
        set { self.currentLimits.withLock { $0 = newValue } }
    }

    var fillsInProgress: Int { self.lock.withLock { self.activeFills.count } }

    var bytesQueued: Int { self.lock.withLock { self.queuedBytes } }

    /// Fills still open when the writer stops.
    func takeActiveFills() -> [FillState] {
        self.lock.withLock {
            defer { self.activeFills = [:] }
            return Array(self.activeFills.values)
        }
    }
}
