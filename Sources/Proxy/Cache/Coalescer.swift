import CachePolicy
import CacheStore
import NIOCore
import NIOHTTP1
import Synchronization

/// Request coalescing: per cache key, at most one upstream fetch at a time, and every request that
/// arrives meanwhile streams the response from the store as the fill receives it.
///
/// A request ``claim(_:request:mayLead:)``s its key and gets one of four answers: the right to fetch (a
/// ``CoalescingLease``), a fill already streaming the variant it wants, a place in the queue of waiters,
/// or — for a key remembered as uncacheable — leave to go upstream on its own at once (Varnish's
/// hit-for-miss). The fetcher ends its lease exactly once:
///
/// - `filling`: the response is being stored. Waiters whose request matches its Vary attach and stream
///   it; if some do not, one of them fetches next (for its own variant).
/// - `uncacheable`: the origin said not to store it. Every waiter goes upstream at once, in parallel,
///   and the key skips the queue for ``Configuration/uncacheableMemory``.
/// - `refreshed`: a revalidation freshened the stored response; waiters look it up again.
/// - `release`: waiters go upstream on their own, nothing remembered (stale-if-error answered).
/// - `abandon`: the fetch failed before a response was stored (or its owner vanished): exactly one
///   waiter is woken to fetch next. A lease dropped without an outcome abandons itself.
///
/// A fill is forgotten when it completes (the store serves it from then on) or aborts (its readers see
/// the error; the next request fetches again). Wake-ups run outside the lock, on the caller's thread:
/// waiters hop to their own event loop.
final class Coalescer: Sendable {
    struct Configuration: Sendable {
        /// How long a request waits for the fetch it queued behind to produce a response head before it
        /// goes upstream on its own.
        var waitTimeout: TimeAmount = .seconds(15)
        /// How long a key whose response was not storable skips the queue (milliseconds).
        var uncacheableMemory: Int64 = 120_000
        /// At most this many uncacheable keys are remembered.
        var maxUncacheableKeys = 10_000
        /// When the client that started a fill goes away: keep filling up to this many body bytes
        /// (nil: to the end), so that waiters and later requests still get the object.
        var abandonedFillLimit: Int64?

        init() {}
    }

    /// The answer to a claim.
    enum Claim {
        /// Fetch from the origin and report the outcome through the lease.
        case lead(CoalescingLease)
        /// A fill for this variant is streaming: read from it.
        case attach(StreamingFill)
        /// Another request is fetching: `wake` will be called with a ``Resolution``.
        case wait(CoalescingWait)
        /// Not coalesced: go upstream at once (a remembered uncacheable key, or a request that may not
        /// lead and finds nothing to follow).
        case bypass
    }

    /// What a waiter is woken with.
    enum Resolution: Sendable {
        case attach(StreamingFill)
        case lead(CoalescingLease)
        case lookupAgain
        case goUpstream
    }

    typealias Wake = @Sendable (Resolution) -> Void

    let configuration: Configuration
    private let clock: @Sendable () -> Int64
    private let state = Mutex(State())

    private struct Waiter {
        var id: UInt64
        var request: HTTPHeaders
        var wake: Wake
    }

    private struct Entry {
        /// The lease fetching for this key right now.
        var leader: UInt64?
        var waiters: [Waiter] = []
        var fills: [UInt64: StreamingFill] = [:]
        var attached = 0

        var isIdle: Bool { self.leader == nil && self.waiters.isEmpty && self.fills.isEmpty }
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Uncacheable keys and when they are forgotten (ms since the epoch).
        var uncacheable: [String: Int64] = [:]
        var nextID: UInt64 = 0
        var coalesced = 0
        var bypassedUncacheable = 0

        mutating func makeID() -> UInt64 {
            self.nextID += 1
            return self.nextID
        }

        mutating func remember(_ key: String, until: Int64, limit: Int, now: Int64) {
            if self.uncacheable[key] == nil, self.uncacheable.count >= limit {
                self.uncacheable = self.uncacheable.filter { $0.value > now }
                if self.uncacheable.count >= limit, let any = self.uncacheable.first?.key {
                    self.uncacheable[any] = nil
                }
            }
            self.uncacheable[key] = until
        }
    }

    init(configuration: Configuration, clock: @escaping @Sendable () -> Int64) {
        self.configuration = configuration
        self.clock = clock
    }

    // MARK: Claiming

    /// Claims `key` for a request with these header fields. `mayLead` is false for requests whose
    /// response cannot fill the cache (HEAD): they follow a fetch but never start one.
    func claim(_ key: String, request: HTTPHeaders, mayLead: Bool = true, wake: @escaping Wake) -> Claim {
        let now = self.clock()
        return self.state.withLock { state -> Claim in
            if let until = state.uncacheable[key] {
                if until > now {
                    state.bypassedUncacheable += 1
                    return .bypass
                }
                state.uncacheable[key] = nil
            }
            var entry = state.entries[key] ?? Entry()
            defer { state.entries[key] = entry.isIdle ? nil : entry }
            if let fill = entry.fills.values.first(where: { $0.serves(request) }) {
                entry.attached += 1
                state.coalesced += 1
                return .attach(fill)
            }
            if entry.leader != nil {
                let id = state.makeID()
                entry.waiters.append(Waiter(id: id, request: request, wake: wake))
                return .wait(CoalescingWait(coalescer: self, key: key, id: id))
            }
            guard mayLead else { return .bypass }
            let id = state.makeID()
            entry.leader = id
            return .lead(CoalescingLease(coalescer: self, key: key, id: id))
        }
    }

    /// Claims the fetch of `key` only when nobody is fetching or filling it: for background work, which
    /// never queues.
    func tryLead(_ key: String) -> CoalescingLease? {
        self.state.withLock { state in
            let entry = state.entries[key] ?? Entry()
            guard entry.leader == nil, entry.fills.isEmpty else { return nil }
            var claimed = entry
            let id = state.makeID()
            claimed.leader = id
            state.entries[key] = claimed
            return CoalescingLease(coalescer: self, key: key, id: id)
        }
    }

    /// Takes a waiter out of the queue; false when it was already woken (its resolution is on its way).
    fileprivate func cancelWait(_ key: String, id: UInt64) -> Bool {
        self.state.withLock { state in
            guard var entry = state.entries[key], let index = entry.waiters.firstIndex(where: { $0.id == id }) else {
                return false
            }
            entry.waiters.remove(at: index)
            state.entries[key] = entry.isIdle ? nil : entry
            return true
        }
    }

    // MARK: Lease outcomes

    fileprivate enum Outcome {
        case filling(StreamingFill)
        case uncacheable
        case refreshed
        case release
        case abandon
    }

    fileprivate func end(_ key: String, lease id: UInt64, _ outcome: Outcome) {
        var wakes: [(Wake, Resolution)] = []
        var fillID: UInt64?
        let now = self.clock()
        self.state.withLock { state in
            guard var entry = state.entries[key], entry.leader == id else { return }
            entry.leader = nil
            var waiters = entry.waiters
            entry.waiters = []
            switch outcome {
            case .filling(let fill):
                state.uncacheable[key] = nil
                let newID = state.makeID()
                entry.fills[newID] = fill
                fillID = newID
                waiters.removeAll { waiter in
                    guard fill.serves(waiter.request) else { return false }
                    wakes.append((waiter.wake, .attach(fill)))
                    return true
                }
                entry.attached += wakes.count
                state.coalesced += wakes.count
            case .uncacheable:
                state.remember(key, until: now + self.configuration.uncacheableMemory,
                               limit: self.configuration.maxUncacheableKeys, now: now)
                wakes = waiters.map { ($0.wake, .goUpstream) }
                waiters = []
            case .refreshed:
                wakes = waiters.map { ($0.wake, .lookupAgain) }
                waiters = []
            case .release:
                wakes = waiters.map { ($0.wake, .goUpstream) }
                waiters = []
            case .abandon:
                break
            }
            // Those left (another variant, or after a failed fetch): the first fetches next, the rest wait on it.
            if !waiters.isEmpty {
                let next = waiters.removeFirst()
                let leaseID = state.makeID()
                entry.leader = leaseID
                wakes.append((next.wake, .lead(CoalescingLease(coalescer: self, key: key, id: leaseID))))
                entry.waiters = waiters
            }
            state.entries[key] = entry.isIdle ? nil : entry
        }
        for (wake, resolution) in wakes { wake(resolution) }
        if let fillID, case .filling(let fill) = outcome {
            self.forgetWhenEnded(fill, key: key, id: fillID)
        }
    }

    /// Drops a fill from the table when it completes or aborts; an object too large to store makes its
    /// key uncacheable for a while.
    private func forgetWhenEnded(_ fill: StreamingFill, key: String, id: UInt64) {
        let observation = fill.view.observe { [self] event in
            switch event {
            case .committed: break
            case .completed: self.forgetFill(key, id: id, tooLarge: false)
            case .aborted(let error): self.forgetFill(key, id: id, tooLarge: error == .tooLarge)
            }
        }
        switch observation.initialProgress.outcome {
        case .completed?: self.forgetFill(key, id: id, tooLarge: false)
        case .aborted(let error)?: self.forgetFill(key, id: id, tooLarge: error == .tooLarge)
        case nil: break
        }
    }

    private func forgetFill(_ key: String, id: UInt64, tooLarge: Bool) {
        let now = self.clock()
        self.state.withLock { state in
            guard var entry = state.entries[key], entry.fills.removeValue(forKey: id) != nil else { return }
            if entry.fills.isEmpty { entry.attached = 0 }
            if tooLarge {
                state.remember(key, until: now + self.configuration.uncacheableMemory,
                               limit: self.configuration.maxUncacheableKeys, now: now)
            }
            state.entries[key] = entry.isIdle ? nil : entry
        }
    }

    // MARK: Observing

    /// How many requests follow the fetch of `key` (queued for it, or streaming its fills).
    func followers(of key: String) -> Int {
        self.state.withLock { state in state.entries[key].map { $0.attached + $0.waiters.count } ?? 0 }
    }

    func snapshot() -> CoalescingSnapshot {
        self.state.withLock { state in
            CoalescingSnapshot(
                coalesced: state.coalesced,
                bypassedUncacheable: state.bypassedUncacheable,
                keys: state.entries.map { key, entry in
                    CoalescingSnapshot.Key(key: key, waiting: entry.waiters.count, attached: entry.attached,
                                           fills: entry.fills.count)
                }.sorted { $0.key < $1.key })
        }
    }
}

/// What coalescing is doing: counters and the keys being fetched, for stats and metrics.
public struct CoalescingSnapshot: Sendable {
    /// One key being fetched or filled.
    public struct Key: Sendable {
        public var key: String
        /// Requests queued for the response head.
        public var waiting: Int
        /// Requests streaming this key's fills in flight.
        public var attached: Int
        /// Fills in flight (one per variant).
        public var fills: Int
    }

    /// Requests answered from another request's fetch since start.
    public var coalesced: Int
    /// Requests that went upstream at once because their key is remembered as uncacheable.
    public var bypassedUncacheable: Int
    public var keys: [Key]
}

/// A response being stored while it streams: what requests arriving meanwhile attach to.
struct StreamingFill: Sendable {
    let view: FillView
    /// The body's length when the origin declared it (Content-Length); nil when only the end will tell.
    let expectedLength: Int64?
    private let vary: Vary
    private let secondaryKey: String

    init(view: FillView, expectedLength: Int64?) {
        self.view = view
        self.expectedLength = expectedLength
        var varyLines: [String] = []
        for field in view.metadata.headers where field.name.utf8.count == 4 && field.name.lowercased() == "vary" {
            varyLines.append(field.value)
        }
        self.vary = Vary(lines: varyLines)
        self.secondaryKey = String(decoding: view.secondaryKey, as: UTF8.self)
    }

    /// Whether this fill is the variant a request with these fields selects (RFC 9111 §4.1).
    func serves(_ request: HTTPHeaders) -> Bool {
        self.vary.matches(storedKey: self.secondaryKey, request: request)
    }
}

/// The right to fetch a key from the origin; see ``Coalescer`` for the outcomes. Ends once: later
/// calls do nothing, and a lease dropped without an outcome is abandoned.
final class CoalescingLease: Sendable {
    private let coalescer: Coalescer
    let key: String
    private let id: UInt64
    private let ended = Atomic<Bool>(false)

    fileprivate init(coalescer: Coalescer, key: String, id: UInt64) {
        self.coalescer = coalescer
        self.key = key
        self.id = id
    }

    deinit {
        self.end(.abandon)
    }

    /// The response is being stored: matching waiters stream it.
    func filling(_ fill: StreamingFill) { self.end(.filling(fill)) }
    /// The origin's response may not be stored: waiters go upstream, the key skips the queue for a while.
    func uncacheable() { self.end(.uncacheable) }
    /// The stored response was freshened by a 304: waiters look it up again.
    func refreshed() { self.end(.refreshed) }
    /// Waiters go upstream on their own; nothing is remembered.
    func release() { self.end(.release) }
    /// The fetch failed before anything was stored: one waiter fetches next.
    func abandon() { self.end(.abandon) }

    private func end(_ outcome: Coalescer.Outcome) {
        guard self.ended.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        self.coalescer.end(self.key, lease: self.id, outcome)
    }
}

/// A request's place in a key's queue.
struct CoalescingWait: Sendable {
    fileprivate let coalescer: Coalescer
    let key: String
    fileprivate let id: UInt64

    /// Leaves the queue; false when the request was already woken (its resolution is on its way).
    func cancel() -> Bool {
        self.coalescer.cancelWait(self.key, id: self.id)
    }
}
