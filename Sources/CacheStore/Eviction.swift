/// The budget the writer keeps: bytes, optionally entries, and how far below to evict.
struct Limits: Sendable, Equatable {
    var maxBytes: Int64
    var maxEntries: Int?
    /// Eviction, once started, goes on until usage is at most this fraction of the limits.
    var lowWaterFraction: Double

    var lowWaterBytes: Int64 { Int64(Double(self.maxBytes) * self.lowWaterFraction) }
    var lowWaterEntries: Int? { self.maxEntries.map { Int(Double($0) * self.lowWaterFraction) } }

    /// Whether storing `incoming` more bytes and `newEntries` more variants would exceed the limits.
    func isExceeded(by counters: Counters, incoming: Int64, newEntries: Int) -> Bool {
        if counters.budgetedBytes + incoming > self.maxBytes { return true }
        if let maxEntries, Int(counters[.variants]) + newEntries > maxEntries { return true }
        return false
    }

    /// Whether eviction may stop.
    func isSatisfied(by counters: Counters, incoming: Int64, newEntries: Int) -> Bool {
        if counters.budgetedBytes + incoming > self.lowWaterBytes { return false }
        if let low = self.lowWaterEntries, Int(counters[.variants]) + newEntries > low { return false }
        return true
    }
}

/// LRU eviction: the first key of `lru` is the least recently used variant.
extension Mutation {
    /// Evicts the least recently used variant; false when there is none.
    /// Fills in progress are not variants yet, so they are never chosen.
    mutating func evictOldest() throws(StoreError) -> Bool {
        let oldest = try self.txn.withCursor(self.db.lru) { (cursor) throws(StoreError) -> [UInt8]? in
            try cursor.first().map { Array($0.key) }
        }
        guard let oldest else { return false }
        guard oldest.count == 72 else {
            try self.txn.delete(self.db.lru, oldest)
            return true
        }
        let variant = Array(oldest[8...])
        if try self.removeVariant(variant) {
            self.counters.add(.evictions, 1)
        } else {
            try self.txn.delete(self.db.lru, oldest)
        }
        return true
    }

    /// Evicts until `done` says stop or nothing is left, at most `limit` variants.
    /// Returns how many were evicted.
    mutating func evict(limit: Int, until done: (Counters) -> Bool) throws(StoreError) -> Int {
        var evicted = 0
        while evicted < limit, !done(self.counters), try self.evictOldest() {
            evicted += 1
        }
        return evicted
    }
}
