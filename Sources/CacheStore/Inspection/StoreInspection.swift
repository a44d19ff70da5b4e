/// What `larder stats`, `ls` and `inspect` read from a store: implemented by ``CacheStore`` (the
/// running server's store) and by ``StoreReader`` (a read-only view of a store on disk), so the same
/// listing and inspection code serves a running server and a stopped one.
public protocol StoreInspection: Sendable {
    /// Entries (primary keys with their variants) in key order, starting with `prefix`, at most `limit`.
    func entries(prefix: String, limit: Int) throws(StoreError) -> [StoredEntry]
    /// The variants stored under a primary key.
    func variants(forKey primaryKey: String) throws(StoreError) -> [StoredVariant]
    /// Primary keys (other than none: the caller filters) whose variants point at the body with `digest`,
    /// at most `limit`. Scans every variant record: meant for inspecting one entry, not for hot paths.
    func keys(sharingBody digest: Digest, limit: Int) throws(StoreError) -> [String]
    /// The store's counters.
    func stats() throws(StoreError) -> StoreStats
}

extension CacheStore: StoreInspection {
    public func keys(sharingBody digest: Digest, limit: Int) throws(StoreError) -> [String] {
        try self.context.environment.read { (txn) throws(StoreError) -> [String] in
            try StoreQueries(txn: txn, db: self.context.db).keys(sharingBody: digest, limit: limit)
        }
    }
}
