import Synchronization

/// A memo table: a dictionary behind a lock, bounded by its number of entries and by the sum of their costs
/// (each entry's cost is the caller's measure, e.g. its bytes). When a new key would pass either bound the
/// table starts over: it forgets every entry, then takes the new one. There is no per-entry bookkeeping (no
/// recency list), so a lookup is one hash probe under the lock, and a hot entry is back with its next use.
///
/// The store's lookup memos and the proxy's decoded variants are built on it; each decides for itself
/// whether an entry it finds is still valid.
public final class BoundedTable<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    @usableFromInline
    struct Contents: Sendable {
        @usableFromInline var entries: [Key: (value: Value, cost: Int)] = [:]
        @usableFromInline var cost = 0

        @inlinable init() {}
    }

    @usableFromInline let maxEntries: Int
    @usableFromInline let maxCost: Int
    @usableFromInline let contents = Mutex(Contents())

    /// A table of at most `maxEntries` entries whose costs add up to at most `maxCost`.
    public init(maxEntries: Int, maxCost: Int = .max) {
        self.maxEntries = maxEntries
        self.maxCost = maxCost
    }

    /// The value kept for `key`, if any.
    @inlinable
    public func value(for key: Key) -> Value? {
        self.contents.withLock { $0.entries[key]?.value }
    }

    /// Keeps `value` for `key`, replacing what was kept for it. A new key that would pass a bound empties the
    /// table first; a value costing more than the whole table may hold is not kept (and nothing is forgotten).
    @inlinable
    public func insert(_ value: Value, for key: Key, cost: Int = 0) {
        guard cost <= self.maxCost else { return }
        self.contents.withLock { contents in
            if let old = contents.entries[key] {
                contents.cost -= old.cost
            } else if contents.entries.count >= self.maxEntries {
                contents = Contents()
            }
            if contents.cost + cost > self.maxCost {
                contents = Contents()
            }
            contents.entries[key] = (value, cost)
            contents.cost += cost
        }
    }

    /// The number of entries kept.
    public var count: Int {
        self.contents.withLock { $0.entries.count }
    }

    /// The sum of the kept entries' costs.
    public var cost: Int {
        self.contents.withLock { $0.cost }
    }
}
