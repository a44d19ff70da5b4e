/// What to purge.
public enum PurgeScope: Sendable, Hashable {
    /// One primary key (all its variants).
    case key(String)
    /// Every primary key starting with this text, e.g. `http://host/dir/`.
    case prefix(String)
    /// Everything (fills in progress go on).
    case all
}

extension Mutation {
    /// Removes the variants in `scope`; returns how many.
    mutating func purge(_ scope: PurgeScope) throws(StoreError) -> Int {
        let primaries: [[UInt8]]
        switch scope {
        case .key(let text):
            primaries = [Keys.primaryHash(text)]
        case .prefix(let text):
            primaries = try self.primaries(withPrefix: text)
        case .all:
            primaries = try self.primaries(withPrefix: "")
        }
        var removed = 0
        for primary in primaries {
            for key in try self.variantKeys(of: primary) where try self.removeVariant(key) {
                removed += 1
            }
        }
        self.counters.add(.purgedVariants, Int64(removed))
        return removed
    }

    /// Primary key hashes whose key text starts with `prefix`, from the sorted `keys` index.
    func primaries(withPrefix prefix: String) throws(StoreError) -> [[UInt8]] {
        var found: [[UInt8]] = []
        try IndexScan(txn: self.txn, db: self.db, prefix: prefix).forEach { primary, _ in
            found.append(primary)
            return true
        }
        return found
    }
}

/// Walks the `keys` index in key-text order, keeping keys whose text starts with a prefix.
///
/// The index holds at most the first 400 bytes of a key; for a longer prefix the full text is
/// checked against a variant record.
struct IndexScan {
    let txn: Transaction
    let db: Databases
    let prefix: String

    /// Calls `body` with each matching primary hash and the indexed text; `body` returns false to stop.
    func forEach(_ body: ([UInt8], [UInt8]) throws(StoreError) -> Bool) throws(StoreError) {
        let prefixBytes = Array(self.prefix.utf8)
        let indexed = Array(prefixBytes.prefix(Keys.indexedTextLimit))
        let needsFullText = prefixBytes.count > indexed.count
        try self.txn.withCursor(self.db.keys) { (cursor) throws(StoreError) in
            try cursor.forEach(withPrefix: indexed) { (entry) throws(StoreError) -> Bool in
                guard entry.key.count >= 32 else { return true }
                let text = Keys.indexedText(of: entry.key)
                guard text.starts(with: indexed) else { return true }
                let primary = Array(entry.key.suffix(32))
                if needsFullText, try !self.fullText(of: primary).starts(with: prefixBytes) { return true }
                return try body(primary, Array(text))
            }
        }
    }

    private func fullText(of primary: [UInt8]) throws(StoreError) -> [UInt8] {
        try self.txn.withCursor(self.db.variants) { (cursor) throws(StoreError) -> [UInt8] in
            guard let entry = try cursor.seek(atOrAfter: primary), entry.key.starts(with: primary) else { return [] }
            return Array(try VariantRecord(decoding: entry.value).primaryKey.utf8)
        }
    }
}
