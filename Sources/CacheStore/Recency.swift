import Synchronization

/// Recency for LRU eviction without a write per hit.
///
/// A logical clock ticks once per hit or new variant. Hits are remembered in memory
/// (variant key → latest tick and count) and written by the writer in batches: every
/// `recencyFlushInterval`, when many are waiting, before each eviction and at close. In LMDB the
/// `recency` database maps a variant key to its tick and hit count and the `lru` database orders
/// `tick ‖ variant key`, so the least recently used variant is the first key of `lru` — found in
/// O(log n) at any store size, with nothing to load at start-up.
final class Recency: Sendable {
    struct Touch: Sendable {
        var tick: UInt64
        var hits: UInt64
    }

    /// Touches waiting before the writer is woken early to save them.
    static let eagerFlushThreshold = 4096

    private let clock: Atomic<UInt64>
    private let touches = Mutex<[[UInt8]: Touch]>([:])

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
    func recordHit(variantKey: [UInt8]) -> (waiting: Int, first: Bool) {
        let tick = self.tick()
        return self.touches.withLock { touches in
            let first = touches.isEmpty
            touches[variantKey, default: Touch(tick: tick, hits: 0)].tick = tick
            touches[variantKey]?.hits += 1
            return (touches.count, first)
        }
    }

    var pendingCount: Int { self.touches.withLock { $0.count } }

    /// Takes every waiting touch (the writer saves them).
    func drain() -> [[UInt8]: Touch] {
        self.touches.withLock { touches in
            defer { touches = [:] }
            return touches
        }
    }

    /// Puts back touches whose transaction failed, merging with newer ones.
    func restore(_ old: [[UInt8]: Touch]) {
        guard !old.isEmpty else { return }
        self.touches.withLock { touches in
            for (key, touch) in old {
                if let newer = touches[key] {
                    touches[key] = Touch(tick: max(newer.tick, touch.tick), hits: newer.hits + touch.hits)
                } else {
                    touches[key] = touch
                }
            }
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
