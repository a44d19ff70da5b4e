/// Read-only queries over one transaction, shared by ``CacheStore`` and ``StoreReader``.
struct StoreQueries {
    let txn: Transaction
    let db: Databases
    /// Records decoded before, reused when their bytes are unchanged (the serving store's lookups).
    var decoded: DecodedRecords?

    /// The variants of a primary key hash, with their saved hit counts.
    func variants(_ primary: [UInt8], includingHits: Bool = true) throws(StoreError) -> [StoredVariant] {
        var found: [StoredVariant] = []
        try self.txn.withCursor(self.db.variants) { (cursor) throws(StoreError) in
            try cursor.forEach(withPrefix: primary) { (entry) throws(StoreError) -> Bool in
                let hits = includingHits ? try self.txn.recency(of: Array(entry.key), self.db)?.hits ?? 0 : 0
                let record: VariantRecord
                if let decoded = self.decoded {
                    record = try decoded.decode(key: entry.key, bytes: entry.value)
                } else {
                    record = try VariantRecord(decoding: entry.value)
                }
                found.append(StoredVariant(record: record, hits: hits))
                return true
            }
        }
        return found
    }

    /// Entries in key order starting with `prefix`, at most `limit`.
    func entries(prefix: String, limit: Int) throws(StoreError) -> [StoredEntry] {
        var entries: [StoredEntry] = []
        guard limit > 0 else { return entries }
        try IndexScan(txn: self.txn, db: self.db, prefix: prefix).forEach { (primary, _) throws(StoreError) -> Bool in
            let variants = try self.variants(primary)
            if let first = variants.first {
                entries.append(StoredEntry(primaryKey: first.primaryKey, variants: variants))
            }
            return entries.count < limit
        }
        return entries
    }

    /// Primary keys with a variant whose body has `digest` (each key once, in variant-hash order).
    func keys(sharingBody digest: Digest, limit: Int) throws(StoreError) -> [String] {
        var keys: [String] = []
        guard limit > 0 else { return keys }
        try self.txn.withCursor(self.db.variants) { (cursor) throws(StoreError) in
            var entry = try cursor.first()
            while let current = entry {
                let record = try VariantRecord(decoding: current.value)
                if record.digest == digest, keys.last != record.primaryKey {
                    keys.append(record.primaryKey)
                    if keys.count >= limit { return }
                }
                entry = try cursor.next()
            }
        }
        return keys
    }

    /// The saved counters (zero for a store that has none yet).
    func counters() throws(StoreError) -> Counters {
        guard let bytes = try self.txn.get(self.db.meta, MetaKey.counters) else { return Counters() }
        return try Counters(decoding: bytes)
    }
}
