/// Revalidation: new metadata for a stored variant, same body.
extension Mutation {
    /// Rewrites the record of `variant` with `metadata`, keeping its body id, digest and size, its
    /// recency and hits, and its body's references. Adjusts `metadataBytes` by the change in record
    /// length. Returns nil, writing nothing, if no variant is stored under those keys or the one
    /// stored refers to another body (it was replaced since `variant` was read).
    mutating func updateMetadata(of variant: StoredVariant, to metadata: ResponseMetadata) throws(StoreError)
        -> StoredVariant?
    {
        let key = Keys.variant(primary: Keys.primaryHash(variant.primaryKey), secondary: variant.secondaryKey)
        guard let bytes = try self.txn.get(self.db.variants, key) else { return nil }
        let oldSize = bytes.count
        var record = try VariantRecord(decoding: bytes)
        guard record.bodyID == variant.bodyID else { return nil }
        record.metadata = metadata
        let encoded = record.encoded()
        try self.txn.put(self.db.variants, key, encoded)
        self.counters.add(.metadataBytes, Int64(encoded.count - oldSize))
        return StoredVariant(record: record, hits: try self.recencyValue(key)?.hits ?? 0)
    }
}
