/// Work the writer does between batches: saving recency, keeping the budget, shutting down.
extension Writer {
    /// Variants evicted per transaction at most, so a large eviction does not stall fills.
    static let evictionsPerTransaction = 4096

    func maintain() {
        let pending = self.recency.pendingCount
        let due = monotonicNanoseconds() - self.lastRecencyFlush >= self.settings.recencyFlushNanoseconds
        if pending >= Recency.eagerFlushThreshold || (pending > 0 && due) {
            self.saveRecency()
        }
        if self.limits.isExceeded(by: self.counters, incoming: 0, newEntries: 0) {
            self.makeRoom(incoming: 0, newEntries: 0)
        }
    }

    /// Saves recorded hits in their own transaction.
    func saveRecency() {
        let touches = self.recency.drain()
        self.lastRecencyFlush = monotonicNanoseconds()
        guard !touches.isEmpty else { return }
        if case .failure = self.transact({ (mutation) throws(StoreError) in try mutation.apply(touches) }) {
            self.recency.restore(touches)
        }
    }

    /// Before a batch that would go over budget: evicts least recently used variants (after saving
    /// recorded hits, so the order is current) until usage plus the batch is under the low-water mark.
    /// Committed before the batch, so the batch can reuse the freed pages.
    func makeRoom(incoming: Int64, newEntries: Int) {
        guard self.limits.isExceeded(by: self.counters, incoming: incoming, newEntries: newEntries) else { return }
        var touches = self.recency.drain()
        self.lastRecencyFlush = monotonicNanoseconds()
        while true {
            let limits = self.limits
            let result = self.transact { (mutation) throws(StoreError) -> Int in
                try mutation.apply(touches)
                return try mutation.evict(limit: Self.evictionsPerTransaction) { counters in
                    limits.isSatisfied(by: counters, incoming: incoming, newEntries: newEntries)
                }
            }
            guard case .success(let evicted) = result else {
                self.recency.restore(touches)
                return
            }
            touches = [:]
            guard evicted == Self.evictionsPerTransaction else { return }
        }
    }

    /// After `MDB_MAP_FULL` (or `ENOSPC`): evicts enough for `needed` bytes and at least one variant.
    /// Returns false when nothing could be evicted.
    func evictForSpace(_ needed: Int64) -> Bool {
        let target = self.counters.budgetedBytes - max(needed, 1 << 20)
        let result = self.transact { (mutation) throws(StoreError) -> Int in
            try mutation.evict(limit: Self.evictionsPerTransaction) { $0.budgetedBytes <= target }
        }
        if case .success(let evicted) = result { return evicted > 0 }
        // Even the deletions did not fit: try the smallest possible step.
        let single = self.transact { (mutation) throws(StoreError) -> Int in
            try mutation.evict(limit: 1) { _ in false }
        }
        if case .success(let evicted) = single { return evicted > 0 }
        return false
    }

    /// New limits: grows the map if it follows the budget, then evicts down to them.
    func apply(_ limits: Limits) {
        self.limits = limits
        if self.settings.fixedMapSize == nil {
            let wanted = limits.mapSize
            if wanted > self.environment.info().mapSize {
                try? self.environment.setMapSize(wanted)
            }
        }
        self.makeRoom(incoming: 0, newEntries: 0)
    }

    /// At stop: aborts fills still open and saves recorded hits.
    func shutDown() {
        let fills = self.takeActiveFills().filter { !$0.isEnded }
        let touches = self.recency.drain()
        _ = self.transact { (mutation) throws(StoreError) in
            try mutation.apply(touches)
            for fill in fills {
                if let record = try mutation.body(fill.bodyID) {
                    try mutation.dispose(fill.bodyID, record)
                }
                mutation.counters.add(.fillsAborted, 1)
            }
        }
        for fill in fills { fill.publishOutcome(.aborted(.closed)) }
    }
}

extension Limits {
    /// The LMDB map for this budget: 1.5 × the budget + 64 MiB, in whole MiB. The slack covers
    /// B-tree pages, the free list, pages freed but still held by readers, and a batch in flight.
    var mapSize: Int {
        let bytes = Double(self.maxBytes) * 1.5 + Double(64 << 20)
        let mebibytes = Int(min(bytes, Double(Int.max / 2)) / Double(1 << 20)) + 1
        return mebibytes << 20
    }
}
