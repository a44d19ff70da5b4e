/// The store's changes inside one write transaction: bodies, references and counters.
///
/// Every method keeps the counters in step with what it writes, so saving them at the end of the
/// transaction (``save(clock:)``) makes them exactly as durable as the data. Variants, eviction and
/// purge live in extensions.
struct Mutation {
    /// Bytes counted per variant for its key, recency and LRU entries and B-tree node headers.
    static let variantOverhead = 256
    /// Bytes counted per primary key for its index entry, besides the key itself.
    static let objectOverhead = 16
    /// Bodies smaller than this (one page on common systems) are not deduplicated: their bytes share leaf
    /// pages with other chunks, so a duplicate saves less than a page, while indexing the digest (a random key)
    /// costs a page written per fill and a lookup at every finish.
    static let smallestDeduplicatedBody: Int64 = 4096

    let txn: Transaction
    let db: Databases
    let pins: BodyPins
    let recency: Recency
    var counters: Counters
    /// Bodies freed by this transaction (pins see them as dying until it settles).
    var claimed: [BodyID] = []
    /// Bodies released while pinned by this transaction.
    var deferred: [BodyID] = []
    /// Fills begun in this transaction that also finish in it: their body is written once, complete, and
    /// is never committed as filling (nor listed in `pending`, which exists for fills a crash interrupts).
    private(set) var begunAndFinishing: Set<BodyID> = []
    /// The highest body id begun in this transaction: `nextBody` moves past it when the transaction is saved.
    private var highestBegun: UInt64?

    init(txn: Transaction, db: Databases, pins: BodyPins, recency: Recency, counters: Counters) {
        self.txn = txn
        self.db = db
        self.pins = pins
        self.recency = recency
        self.counters = counters
    }

    /// Writes the counters, the recency clock and the next body id.
    func save() throws(StoreError) {
        if let highest = self.highestBegun {
            let stored = try self.txn.get(self.db.meta, MetaKey.nextBody).map { (bytes) throws(StoreError) -> UInt64 in
                var reader = RecordReader(bytes, what: "nextBody")
                return try reader.read(UInt64.self)
            } ?? 0
            if highest >= stored {
                var writer = RecordWriter(capacity: 8)
                writer.write(highest + 1)
                try self.txn.put(self.db.meta, MetaKey.nextBody, writer.bytes)
            }
        }
        try self.txn.put(self.db.meta, MetaKey.counters, self.counters.encoded())
        var clock = RecordWriter(capacity: 8)
        clock.write(self.recency.currentTick)
        try self.txn.put(self.db.meta, MetaKey.clock, clock.bytes)
    }

    // MARK: Bodies

    func body(_ id: BodyID) throws(StoreError) -> BodyRecord? {
        guard let bytes = try self.txn.get(self.db.bodies, Keys.body(id)) else { return nil }
        return try BodyRecord(decoding: bytes)
    }

    func putBody(_ id: BodyID, _ record: BodyRecord) throws(StoreError) {
        try self.txn.put(self.db.bodies, Keys.body(id), record.encoded())
    }

    /// Records a new filling body and lists it in `pending` so a crash leaves it to start-up cleanup — unless
    /// it also finishes in this transaction (`finishesHere`): then ``complete(_:_:)`` writes its record once.
    mutating func beginBody(_ id: BodyID, finishesHere: Bool) throws(StoreError) {
        self.highestBegun = max(self.highestBegun ?? 0, id.rawValue)
        if finishesHere {
            self.begunAndFinishing.insert(id)
            return
        }
        try self.putBody(id, .filling())
        try self.txn.put(self.db.pending, Keys.body(id), [])
    }

    mutating func writeChunk(_ id: BodyID, _ index: UInt32, _ bytes: [UInt8]) throws(StoreError) {
        try self.txn.putInKeyOrder(self.db.chunks, Keys.chunk(id, index), bytes)
        self.counters.add(.pendingBytes, Int64(bytes.count))
    }

    /// Drops one reference; the last one frees the body (or releases it while readers hold it).
    mutating func dereference(_ id: BodyID) throws(StoreError) {
        guard var record = try self.body(id) else { return }
        if record.references > 1 {
            record.references -= 1
            try self.putBody(id, record)
            return
        }
        record.references = 0
        if let mapped = try self.txn.get(self.db.digests, record.digest.bytes),
            try Keys.bodyID(from: mapped) == id
        {
            try self.txn.delete(self.db.digests, record.digest.bytes)
        }
        self.counters.add(.bodies, -1)
        try self.dispose(id, record)
    }

    /// A body no variant needs any more (filling and aborted, deduplicated, or unreferenced):
    /// freed now, or released and freed when its last reader closes.
    mutating func dispose(_ id: BodyID, _ record: BodyRecord) throws(StoreError) {
        let wasComplete = record.state == .complete
        if self.pins.claimForFree(id) {
            self.claimed.append(id)
            let freed = try self.free(id)
            self.counters.add(wasComplete ? .physicalBytes : .pendingBytes, -freed)
            return
        }
        self.deferred.append(id)
        if wasComplete {
            self.counters.add(.physicalBytes, -record.size)
            self.counters.add(.pendingBytes, record.size)
        }
        var released = record
        released.state = .released
        try self.putBody(id, released)
        try self.txn.put(self.db.pending, Keys.body(id), [])
    }

    /// Deletes a body's chunks, record and pending entry; returns the chunk bytes freed.
    mutating func free(_ id: BodyID) throws(StoreError) -> Int64 {
        var freed: Int64 = 0
        try self.txn.withCursor(self.db.chunks) { (cursor) throws(StoreError) in
            try cursor.deleteAll(withPrefix: Keys.body(id)) { entry in freed += Int64(entry.value.count) }
        }
        try self.txn.delete(self.db.bodies, Keys.body(id))
        try self.txn.delete(self.db.pending, Keys.body(id))
        return freed
    }

    /// A released body whose last reader closed: free it unless a new reader pinned it meanwhile.
    mutating func freeReleased(_ id: BodyID) throws(StoreError) {
        guard let record = try self.body(id), record.state == .released else { return }
        try self.dispose(id, record)
    }

    /// Start-up: frees every body left filling or released by the previous run.
    mutating func cleanUpPending() throws(StoreError) -> Int {
        var ids: [BodyID] = []
        try self.txn.withCursor(self.db.pending) { (cursor) throws(StoreError) in
            var entry = try cursor.first()
            while let current = entry {
                ids.append(try Keys.bodyID(from: current.key))
                entry = try cursor.next()
            }
        }
        for id in ids {
            let state = try self.body(id)?.state
            let freed = try self.free(id)
            self.counters.add(.pendingBytes, -freed)
            if state == .filling { self.counters.add(.fillsAborted, 1) }
        }
        return ids.count
    }
}
