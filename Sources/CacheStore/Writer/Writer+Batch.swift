/// Applying one batch: one transaction, with eviction and retry when LMDB runs out of room.
extension Writer {
    /// What a committed batch must tell the world, in this order.
    struct Effects {
        var committed: [(FillState, Int64)] = []
        var ended: [(FillState, FillOutcome)] = []
        var callbacks: [@Sendable () -> Void] = []
        var limits: Limits?
        var touches: [[UInt8]: Recency.Touch] = [:]

        mutating func addCommitted(_ fill: FillState, _ bytes: Int) {
            if let last = self.committed.indices.last, self.committed[last].0 === fill {
                self.committed[last].1 += Int64(bytes)
            } else {
                self.committed.append((fill, Int64(bytes)))
            }
        }
    }

    func process(_ batch: [WriteOperation]) {
        let finishes = batch.count { $0.isFinish }
        // Body bytes plus an allowance for each new variant's record and index entries.
        let incoming = batch.reduce(0) { $0 + $1.dataBytes } + finishes * 2 * Mutation.variantOverhead
        self.makeRoom(incoming: Int64(incoming), newEntries: finishes)
        let pagesBefore = self.environment.info().pagesInUse
        let ended = self.run(batch)
        self.settleQueue(batch, ended: ended)
        self.primeGrowth(of: batch, pagesBefore: pagesBefore)
    }

    /// After a batch: has the primer read ahead of the pages the batch added to the file (``PageCachePrimer``).
    private func primeGrowth(of batch: [WriteOperation], pagesBefore: Int) {
        guard let primer = self.primer else { return }
        let info = self.environment.info()
        let runPages = batch.reduce(0) {
            $0 + PageCachePrimer.runPages(valueBytes: $1.dataBytes, pageSize: info.pageSize)
        }
        primer.prime(
            grownPages: info.pagesInUse - pagesBefore, runPages: runPages, usedPages: info.pagesInUse,
            pageSize: info.pageSize, mapSize: info.mapSize)
    }

    /// Commits the operations in one transaction, making room when LMDB is out of space; returns
    /// the fills that ended.
    ///
    /// Out of space: evict and retry; with nothing to evict, abort the fill with the most bytes in
    /// the batch (`storeFull`) and retry the rest. Any other failure: run each operation alone, so
    /// one bad operation fails only itself (and its fill).
    private func run(_ batch: [WriteOperation]) -> [BodyID] {
        var operations = batch
        var ended: [BodyID] = []
        while !operations.isEmpty {
            switch self.apply(operations) {
            case .success(let effects):
                return ended + self.publish(effects)
            case .failure(let error) where error.isOutOfSpace:
                if self.evictForSpace(Int64(operations.reduce(0) { $0 + $1.dataBytes })) { continue }
                guard let victim = Self.largestFill(in: operations) else {
                    return ended + self.fail(operations, error)
                }
                let failure = StoreError.storeFull("no room for \(victim.primaryKey) and nothing to evict")
                ended += self.fail(operations.filter { $0.fill === victim }, failure)
                operations.removeAll { $0.fill === victim }
            case .failure(let error):
                guard operations.count > 1 else { return ended + self.fail(operations, error) }
                return operations.reduce(into: ended) { ended, operation in ended += self.run([operation]) }
            }
        }
        return ended
    }

    /// Runs the operations in one write transaction. On failure nothing of it is kept.
    private func apply(_ operations: [WriteOperation]) -> Result<Effects, StoreError> {
        var effects = Effects()
        // A fill's outcome is set only on this thread, after a commit: a fill without one whose finish is in this
        // batch completes in this transaction (or the whole transaction fails and nothing of it is kept).
        let finishing = Set(
            operations.lazy.compactMap { operation -> BodyID? in
                guard case .finish(let fill, _, _) = operation, fill.outcome == nil else { return nil }
                return fill.bodyID
            })
        let result = self.transact { (mutation) throws(StoreError) in
            for operation in operations {
                try self.apply(operation, finishing: finishing, &mutation, &effects)
            }
        }
        switch result {
        case .success:
            return .success(effects)
        case .failure(let error):
            self.recency.restore(effects.touches)
            return .failure(error)
        }
    }

    private func apply(
        _ operation: WriteOperation, finishing: Set<BodyID>, _ mutation: inout Mutation, _ effects: inout Effects
    ) throws(StoreError) {
        switch operation {
        case .begin(let fill):
            guard !fill.isEnded else { return }
            try mutation.beginBody(fill.bodyID, finishesHere: finishing.contains(fill.bodyID))
        case .chunk(let fill, let index, let bytes):
            guard !fill.isEnded else { return }
            try mutation.writeChunk(fill.bodyID, index, bytes)
            effects.addCommitted(fill, bytes.count)
        case .finish(let fill, let completion, let callback):
            if let outcome = fill.outcome {
                effects.callbacks.append { callback(.failure(outcome.error ?? .fillNotActive)) }
                return
            }
            let variant = try mutation.complete(fill, completion)
            effects.ended.append((fill, .completed(variant)))
            effects.callbacks.append { callback(.success(variant)) }
        case .abort(let fill, let error):
            guard !fill.isEnded else { return }
            if let record = try mutation.body(fill.bodyID) {
                try mutation.dispose(fill.bodyID, record)
            }
            mutation.counters.add(.fillsAborted, 1)
            effects.ended.append((fill, .aborted(error)))
        case .purge(let scope, let callback):
            let removed = try mutation.purge(scope)
            effects.callbacks.append { callback(.success(removed)) }
        case .updateMetadata(let variant, let metadata, let callback):
            // A variant gone or replaced is an answer, not a failure of the batch.
            guard let updated = try mutation.updateMetadata(of: variant, to: metadata) else {
                let error = StoreError.notFound("\(variant.primaryKey) no longer stores \(variant.bodyID)")
                effects.callbacks.append { callback(.failure(error)) }
                return
            }
            effects.callbacks.append { callback(.success(updated)) }
        case .release(let id):
            try mutation.freeReleased(id)
        case .barrier(let callback):
            let touches = self.recency.drain()
            effects.touches.merge(touches) { $1 }
            try mutation.apply(touches)
            effects.callbacks.append { callback(.success(())) }
        case .limits(let limits, let callback):
            effects.limits = limits
            effects.callbacks.append { callback(.success(())) }
        }
    }

    /// Tells fills, observers and callers what the committed batch did; returns the ended fills.
    private func publish(_ effects: Effects) -> [BodyID] {
        for (fill, bytes) in effects.committed { fill.publishCommitted(bytes) }
        for (fill, outcome) in effects.ended { fill.publishOutcome(outcome) }
        if let limits = effects.limits { self.apply(limits) }
        if !effects.touches.isEmpty { self.lastRecencyFlush = monotonicNanoseconds() }
        effects.callbacks.forEach { $0() }
        return effects.ended.map(\.0.bodyID)
    }

    /// A batch failed for a reason other than space: every fill in it is aborted and every caller
    /// told. What the fills committed earlier is freed if possible (else at the next start-up).
    private func fail(_ operations: [WriteOperation], _ error: StoreError) -> [BodyID] {
        var fills: [BodyID: FillState] = [:]
        for operation in operations {
            operation.fail(error)
            if let fill = operation.fill { fills[fill.bodyID] = fill }
        }
        for fill in fills.values { self.abortNow(fill, error) }
        return Array(fills.keys)
    }

    /// Aborts a fill in a transaction of its own, freeing what it committed.
    func abortNow(_ fill: FillState, _ error: StoreError) {
        guard !fill.isEnded else { return }
        _ = self.transact { (mutation) throws(StoreError) in
            if let record = try mutation.body(fill.bodyID) {
                try mutation.dispose(fill.bodyID, record)
            }
            mutation.counters.add(.fillsAborted, 1)
        }
        fill.publishOutcome(.aborted(error))
    }

    /// Runs `body` in its own write transaction with the counters saved; settles pins either way.
    func transact<T>(_ body: (inout Mutation) throws(StoreError) -> T) -> Result<T, StoreError> {
        var claimed: [BodyID] = []
        var deferred: [BodyID] = []
        var counters = self.counters
        do throws(StoreError) {
            let result = try self.environment.write { (txn) throws(StoreError) -> T in
                var mutation = Mutation(
                    txn: txn, db: self.db, pins: self.pins, recency: self.recency, counters: counters)
                defer {
                    claimed = mutation.claimed
                    deferred = mutation.deferred
                    counters = mutation.counters
                }
                let result = try body(&mutation)
                try mutation.save()
                return result
            }
            self.pins.settle(claimed: claimed, deferred: deferred, committed: true)
            self.counters = counters
            return .success(result)
        } catch {
            self.pins.settle(claimed: claimed, deferred: deferred, committed: false)
            return .failure(error)
        }
    }

    private static func largestFill(in operations: [WriteOperation]) -> FillState? {
        var bytes: [ObjectIdentifier: (FillState, Int)] = [:]
        for operation in operations {
            guard let fill = operation.fill else { continue }
            bytes[ObjectIdentifier(fill), default: (fill, 0)].1 += operation.dataBytes + 1
        }
        return bytes.values.max { $0.1 < $1.1 }?.0
    }
}

extension WriteOperation {
    var isFinish: Bool {
        if case .finish = self { return true }
        return false
    }
}

extension FillOutcome {
    var error: StoreError? {
        if case .aborted(let error) = self { return error }
        return nil
    }
}
