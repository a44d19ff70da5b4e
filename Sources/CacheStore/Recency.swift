import Synchronization

/// Recency for LRU eviction without a write per hit.
///
/// A logical clock ticks once per hit or new variant. Hits are remembered in memory
/// (variant key → latest tick and count) and written by the writer in batches: every
/// `recencyFlushInterval`, when many are waiting, before each eviction and at close. In LMDB the
/// `lru` database orders `tick ‖ variant key`, so the least recently used variant is the first key of
/// `lru` — found in O(log n) at any store size, with nothing to load at start-up. A variant's tick is
/// the one in its record (when it was stored) until a hit is saved; from then on the `recency`
/// database maps its key to the later tick and the hit count. So a fill writes no `recency` entry (a
/// random key, a leaf page per fill) and only variants that were hit have one.
final class Recency: Sendable {
    struct Touch: Sendable {
        var tick: UInt64
        var hits: UInt64

        /// Two touches of one variant as one: the later tick, the hits added up.
        func merged(with other: Touch) -> Touch {
            Touch(tick: max(self.tick, other.tick), hits: self.hits + other.hits)
        }
    }

    /// A variant as a hit names it. Its storage key (two SHA-256s) is computed when the writer drains the
    /// touches, once per variant and batch, not on every hit.
    struct VariantName: Hashable, Sendable {
        var primaryKey: String
        var secondaryKey: [UInt8]

        func hash(into hasher: inout Hasher) {
            hasher.combine(self.primaryKey)
            self.secondaryKey.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    private struct Waiting {
        var hits: [VariantName: Touch] = [:]
        /// Touches put back after a failed save, by storage key.
        var restored: [[UInt8]: Touch] = [:]

        var count: Int { self.hits.count + self.restored.count }
    }

    /// Touches waiting before the writer is woken early to save them.
    static let eagerFlushThreshold = 4096

    private let clock: Atomic<UInt64>
    private let waiting = Mutex(Waiting())

    init(lastTick: UInt64) {
        self.clock = Atomic(lastTick)
    }

    /// The next tick (monotonic, persisted by the writer with each batch that used one).
    func tick() -> UInt64 {
        self.clock.wrappingAdd(1, ordering: .relaxed).newValue
    }

    var currentTick: UInt64 { self.clock.load(ordering: .relaxed) }

    /// Records a hit; returns how many variants now have touches waiting, and whether this hit made the
    /// first one (the moment the writer needs a nudge to schedule the next save).
    func recordHit(_ variant: VariantName) -> (waiting: Int, first: Bool) {
        let tick = self.tick()
        return self.waiting.withLock { waiting in
            let first = waiting.count == 0
            Self.touch(&waiting.hits[variant, default: Touch(tick: tick, hits: 0)], at: tick)
            return (waiting.count, first)
        }
    }

    private static func touch(_ touch: inout Touch, at tick: UInt64) {
        touch.tick = tick
        touch.hits += 1
    }

    var pendingCount: Int { self.waiting.withLock { $0.count } }

    /// Takes every waiting touch, by storage key (the writer saves them).
    func drain() -> [[UInt8]: Touch] {
        let taken = self.waiting.withLock { waiting in
            defer { waiting = Waiting() }
            return waiting
        }
        var touches = taken.restored
        for (variant, touch) in taken.hits {
            let key = Keys.variant(primary: Keys.primaryHash(variant.primaryKey), secondary: variant.secondaryKey)
            touches[key] = touches[key].map { $0.merged(with: touch) } ?? touch
        }
        return touches
    }

    /// Puts back touches whose transaction failed, merging with newer ones.
    func restore(_ old: [[UInt8]: Touch]) {
        guard !old.isEmpty else { return }
        self.waiting.withLock { waiting in
            waiting.restored.merge(old) { $0.merged(with: $1) }
        }
    }
}

extension Transaction {
    /// A variant's saved tick and hit count.
    func recency(of variantKey: [UInt8], _ db: Databases) throws(StoreError) -> Recency.Touch? {
        guard let bytes = try self.get(db.recency, variantKey) else { return nil }
        var reader = RecordReader(bytes, what: "recency")
        return Recency.Touch(tick: try reader.read(UInt64.self), hits: try reader.read(UInt64.self))
    }
}
