/// The heaviest keys of a stream in bounded memory: the Space-Saving algorithm (Metwally, Agrawal and
/// El Abbadi, 2005).
///
/// Keeps at most `capacity` counters. A key already counted adds its weight; a new key takes a free
/// counter, or replaces the smallest one and inherits its count (recorded as the possible
/// overestimate, `error`). Every key whose true weight exceeds total/capacity is guaranteed to be in
/// the table, and no count is ever below the key's true weight. Keys are found by hash, so counting a
/// key already in the table allocates nothing; its text is materialised only when it enters.
struct SpaceSaving {
    struct Slot {
        var hash: Int
        var key: String
        var count: UInt64
        var error: UInt64
    }

    let capacity: Int
    private(set) var slots: [Slot] = []
    private var positions: [Int: Int] = [:]

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        self.slots.reserveCapacity(self.capacity)
        self.positions.reserveCapacity(self.capacity)
    }

    /// Adds `weight` to the key whose text is `key` (the text is copied only if it enters).
    mutating func add(_ key: Substring, weight: UInt64) {
        self.add(key, hash: key.hashValue, weight: weight)
    }

    /// The same with the key's hash already computed (one key counted in several tables is hashed once).
    mutating func add(_ key: Substring, hash: Int, weight: UInt64) {
        guard weight > 0 else { return }
        if let position = self.positions[hash] {
            self.slots[position].count &+= weight
            return
        }
        if self.slots.count < self.capacity {
            self.positions[hash] = self.slots.count
            self.slots.append(Slot(hash: hash, key: String(key), count: weight, error: 0))
            return
        }
        var smallest = 0
        for position in self.slots.indices where self.slots[position].count < self.slots[smallest].count {
            smallest = position
        }
        let floor = self.slots[smallest].count
        self.positions[self.slots[smallest].hash] = nil
        self.positions[hash] = smallest
        self.slots[smallest] = Slot(hash: hash, key: String(key), count: floor &+ weight, error: floor)
    }

    /// The `limit` heaviest keys of several tables (e.g. one per event-loop shard), counts summed.
    static func top(of tables: [SpaceSaving], limit: Int) -> [RankedKey] {
        var merged: [String: UInt64] = [:]
        for table in tables {
            for slot in table.slots { merged[slot.key, default: 0] &+= slot.count }
        }
        return merged.map { RankedKey(key: $0.key, value: $0.value) }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(max(0, limit))
            .map { $0 }
    }
}

/// A key and its weight in a top-N list.
public struct RankedKey: Sendable, Hashable {
    public var key: String
    public var value: UInt64

    public init(key: String, value: UInt64) {
        self.key = key
        self.value = value
    }
}
