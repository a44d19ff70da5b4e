/// What ``CacheStore/checkIntegrity(verifyDigests:)`` found.
public struct IntegrityReport: Sendable, Hashable {
    /// Variant records seen.
    public var variants = 0
    /// Complete bodies seen.
    public var bodies = 0
    /// Chunks seen.
    public var chunks = 0
    /// Bodies filling or released (fills in progress, or bodies still being read).
    public var pendingBodies = 0
    /// Chunks whose body is missing or which lie past their body's chunk count.
    public var orphanChunks = 0
    /// Each inconsistency, in words. Empty when the store is consistent.
    public var problems: [String] = []

    /// No problem was found.
    public var isConsistent: Bool { self.problems.isEmpty }
}

extension CacheStore {
    /// Checks, in one read snapshot, that every variant points at a complete body of its size and
    /// digest, reference counts and the digest index match, every chunk belongs to a body and every
    /// complete body has exactly its chunks, and the counters match what is stored. With
    /// `verifyDigests` it also re-hashes every complete body (reads everything).
    public func checkIntegrity(verifyDigests: Bool = false) throws(StoreError) -> IntegrityReport {
        try self.context.environment.read { (txn) throws(StoreError) -> IntegrityReport in
            var check = IntegrityCheck(txn: txn, db: self.context.db, chunkSize: self.context.chunkSize)
            try check.run(verifyDigests: verifyDigests)
            return check.report
        }
    }
}

/// The walk behind ``CacheStore/checkIntegrity(verifyDigests:)``.
private struct IntegrityCheck {
    let txn: Transaction
    let db: Databases
    let chunkSize: Int
    var report = IntegrityReport()
    var references: [BodyID: UInt32] = [:]
    var bodies: [BodyID: BodyRecord] = [:]
    var logicalBytes: Int64 = 0
    var primaries: Set<[UInt8]> = []

    init(txn: Transaction, db: Databases, chunkSize: Int) {
        self.txn = txn
        self.db = db
        self.chunkSize = chunkSize
    }

    mutating func run(verifyDigests: Bool) throws(StoreError) {
        try self.readBodies()
        try self.checkVariants()
        try self.checkChunks()
        try self.checkReferences()
        try self.checkCounters()
        if verifyDigests { try self.checkDigests() }
    }

    private mutating func problem(_ text: String) {
        if self.report.problems.count < 100 { self.report.problems.append(text) }
    }

    private mutating func readBodies() throws(StoreError) {
        var found: [BodyID: BodyRecord] = [:]
        try self.each(self.db.bodies) { (key, value) throws(StoreError) in
            found[try Keys.bodyID(from: key)] = try BodyRecord(decoding: value)
        }
        self.bodies = found
        self.report.bodies = found.values.count { $0.state == .complete }
        self.report.pendingBodies = found.count - self.report.bodies
        for (id, record) in found where record.state != .complete {
            if try self.txn.get(self.db.pending, Keys.body(id)) == nil {
                self.problem("\(id) is \(record.state) but not listed in pending")
            }
        }
    }

    private mutating func checkVariants() throws(StoreError) {
        var records: [([UInt8], VariantRecord?)] = []
        try self.each(self.db.variants) { (key, value) throws(StoreError) in
            records.append((Array(key), try? VariantRecord(decoding: value)))
        }
        var withSavedHits = 0
        for (key, record) in records {
            self.report.variants += 1
            let saved = try self.txn.recency(of: key, self.db)
            if saved != nil { withSavedHits += 1 }
            guard let record else {
                self.problem("undecodable variant record")
                continue
            }
            let primary = Keys.primaryHash(record.primaryKey)
            if Keys.variant(primary: primary, secondary: record.secondaryKey) != key {
                self.problem("variant \(record.primaryKey) stored under another key")
            }
            self.primaries.insert(primary)
            self.logicalBytes += record.bodySize
            self.references[record.bodyID, default: 0] += 1
            // A variant's place: its saved hits' tick, or the tick it was stored at (0 only in version 1 records,
            // which always have saved recency).
            let place = saved?.tick ?? record.tick
            if place == 0 {
                self.problem("\(record.primaryKey) has no recency")
            } else if try self.txn.get(self.db.lru, Keys.lru(tick: place, variant: key)) == nil {
                self.problem("\(record.primaryKey) is not in the LRU order")
            }
            guard let body = self.bodies[record.bodyID] else {
                self.problem("\(record.primaryKey) points at missing \(record.bodyID)")
                continue
            }
            if body.state != .complete || body.size != record.bodySize || body.digest != record.digest {
                self.problem("\(record.primaryKey) disagrees with \(record.bodyID) (\(body.state), \(body.size))")
            }
            let index = Keys.index(text: record.primaryKey, primaryHash: primary)
            if try self.txn.get(self.db.keys, index) == nil { self.problem("\(record.primaryKey) missing from keys") }
        }
        let filed = try self.txn.count(self.db.lru)
        if filed != self.report.variants {
            self.problem("the LRU order has \(filed) entries for \(self.report.variants) variants")
        }
        let recencyEntries = try self.txn.count(self.db.recency)
        if recencyEntries != withSavedHits {
            self.problem("\(recencyEntries - withSavedHits) recency entries without a variant")
        }
    }

    private mutating func checkChunks() throws(StoreError) {
        var counts: [BodyID: (count: UInt32, bytes: Int64)] = [:]
        var problems: [String] = []
        var total = 0
        let chunkSize = self.chunkSize
        let bodies = self.bodies
        try self.each(self.db.chunks) { (key, value) throws(StoreError) in
            var reader = RecordReader(key, what: "chunk key")
            let id = BodyID(rawValue: try reader.read(UInt64.self))
            let index = try reader.read(UInt32.self)
            total += 1
            guard let body = bodies[id] else {
                problems.append("orphan chunk \(index) of missing \(id)")
                return
            }
            counts[id, default: (0, 0)].count += 1
            counts[id, default: (0, 0)].bytes += Int64(value.count)
            guard body.state != .filling else { return }
            let isLast = index + 1 == body.chunkCount
            if index >= body.chunkCount || (!isLast && value.count != chunkSize) {
                problems.append("chunk \(index) of \(id) (\(value.count) bytes) does not fit \(body.chunkCount) chunks")
            }
        }
        self.report.chunks = total
        self.report.orphanChunks = problems.count
        problems.forEach { self.problem($0) }
        for (id, body) in self.bodies where body.state != .filling {
            let stored = counts[id] ?? (0, 0)
            if stored.count != body.chunkCount || stored.bytes != body.size {
                let record = "\(body.chunkCount) chunks, \(body.size) bytes"
                self.problem("\(id) has \(stored.count) chunks, \(stored.bytes) bytes; its record says \(record)")
            }
        }
    }

    private mutating func checkReferences() throws(StoreError) {
        var indexed = 0
        for (id, body) in self.bodies {
            let counted = self.references[id] ?? 0
            switch body.state {
            case .complete:
                if counted != body.references {
                    self.problem("\(id) has \(counted) variants, record says \(body.references)")
                }
                if counted == 0 { self.problem("\(id) is complete but unreferenced") }
                let mapped = try self.txn.get(self.db.digests, body.digest.bytes).map { (bytes) throws(StoreError) in
                    try Keys.bodyID(from: bytes)
                }
                // Small bodies are not indexed (stores written before that rule may still have them indexed).
                if mapped == id {
                    indexed += 1
                } else if body.size >= Mutation.smallestDeduplicatedBody {
                    self.problem("digest of \(id) maps to \(mapped.map { "\($0)" } ?? "nothing")")
                }
            case .filling, .released:
                if counted != 0 { self.problem("\(id) is \(body.state) but \(counted) variants point at it") }
            }
        }
        if try self.txn.count(self.db.digests) != indexed {
            self.problem(
                "digests index has \(try self.txn.count(self.db.digests)) entries for \(indexed) indexed bodies")
        }
    }

    private mutating func checkCounters() throws(StoreError) {
        guard let bytes = try self.txn.get(self.db.meta, MetaKey.counters) else {
            if self.report.variants > 0 { self.problem("no counters") }
            return
        }
        let counters = try Counters(decoding: bytes)
        let complete = self.bodies.values.filter { $0.state == .complete }
        let expected: [(Counters.Field, Int64)] = [
            (.objects, Int64(try self.txn.count(self.db.keys))),
            (.variants, Int64(self.report.variants)),
            (.bodies, Int64(complete.count)),
            (.logicalBytes, self.logicalBytes),
            (.physicalBytes, complete.reduce(0) { $0 + $1.size }),
        ]
        for (field, value) in expected where Int64(counters[field]) != value {
            self.problem("counter \(field) is \(counters[field]), store holds \(value)")
        }
        if self.primaries.count != (try self.txn.count(self.db.keys)) {
            self.problem(
                "\(self.primaries.count) primary keys in variants, \(try self.txn.count(self.db.keys)) in keys")
        }
    }

    private mutating func checkDigests() throws(StoreError) {
        for (id, body) in self.bodies where body.state == .complete {
            var hasher = SHA256()
            for index in 0..<body.chunkCount {
                guard let chunk = try self.txn.get(self.db.chunks, Keys.chunk(id, index)) else { break }
                hasher.update(chunk)
            }
            if hasher.finish() != body.digest { self.problem("\(id) does not hash to its digest") }
        }
    }

    private func each(
        _ database: UInt32,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(StoreError) -> Void
    ) throws(StoreError) {
        try self.txn.withCursor(database) { (cursor) throws(StoreError) in
            try cursor.forEach(withPrefix: []) { (entry) throws(StoreError) -> Bool in
                try body(entry.key, entry.value)
                return true
            }
        }
    }
}
