/// The start-up transaction: opens the databases, reads or writes the format, loads counters and
/// clocks, and frees what the previous run left unfinished. Touches only `meta` and the bodies listed
/// in `pending`, so its cost does not grow with the store.
enum StoreOpening {
    static let formatVersion: UInt8 = 1
    /// LMDB's page header; an overflow value of `n` pages holds `n × pageSize − 16` bytes.
    static let pageHeaderBytes = 16

    struct Opened {
        var db: Databases
        var recency: Recency
        var counters: Counters
        var chunkSize: Int
        var nextBodyID: UInt64
        /// Bodies freed by the start-up cleanup.
        var cleanedUp: Int
    }

    static func run(
        _ environment: Environment,
        configuration: CacheStore.Configuration,
        pins: BodyPins
    ) throws(StoreError) -> Opened {
        try environment.write { (txn) throws(StoreError) -> Opened in
            let db = try Databases.open(in: environment, txn)
            let chunkSize = try self.format(
                txn,
                db,
                newChunkSize: configuration.pagesPerChunk * environment.pageSize - self.pageHeaderBytes
            )
            let counters = try txn.get(db.meta, MetaKey.counters).map { (bytes) throws(StoreError) in
                try Counters(decoding: bytes)
            } ?? Counters()
            let recency = Recency(lastTick: try self.number(txn, db, MetaKey.clock) ?? 0)
            let nextBodyID = try self.number(txn, db, MetaKey.nextBody) ?? 1
            var mutation = Mutation(txn: txn, db: db, pins: pins, recency: recency, counters: counters)
            let cleanedUp = try mutation.cleanUpPending()
            try mutation.save()
            return Opened(
                db: db,
                recency: recency,
                counters: mutation.counters,
                chunkSize: chunkSize,
                nextBodyID: max(nextBodyID, 1),
                cleanedUp: cleanedUp
            )
        }
    }

    /// The store's chunk size: read from `meta`, or written there for a new store.
    private static func format(_ txn: Transaction, _ db: Databases, newChunkSize: Int) throws(StoreError) -> Int {
        if let bytes = try txn.get(db.meta, MetaKey.format) {
            var reader = RecordReader(bytes, what: "format")
            let version = try reader.read(UInt8.self)
            guard version == self.formatVersion else {
                throw .corrupt("store format \(version); this build reads \(self.formatVersion)")
            }
            let chunkSize = Int(try reader.read(UInt32.self))
            guard chunkSize >= 4096 else { throw .corrupt("chunk size \(chunkSize)") }
            return chunkSize
        }
        var writer = RecordWriter(capacity: 5)
        writer.write(self.formatVersion)
        writer.write(UInt32(clamping: newChunkSize))
        try txn.put(db.meta, MetaKey.format, writer.bytes)
        return newChunkSize
    }

    private static func number(_ txn: Transaction, _ db: Databases, _ key: [UInt8]) throws(StoreError) -> UInt64? {
        guard let bytes = try txn.get(db.meta, key) else { return nil }
        var reader = RecordReader(bytes, what: "meta number")
        return try reader.read(UInt64.self)
    }
}
