import CLMDB

/// The named LMDB databases of a store. See docs/store.md for the key and value layouts.
struct Databases: Sendable {
    /// Fixed keys: `format`, `counters`, `clock`, `nextBody`.
    let meta: MDB_dbi
    /// SHA-256(primary) ‖ SHA-256(secondary) → ``VariantRecord``.
    let variants: MDB_dbi
    /// Key text (first 400 bytes) ‖ SHA-256(primary) → empty. Sorted listing and prefix purge.
    let keys: MDB_dbi
    /// Body id → ``BodyRecord``.
    let bodies: MDB_dbi
    /// SHA-256(body) → body id, for complete bodies only (deduplication).
    let digests: MDB_dbi
    /// Body id ‖ chunk index → chunk bytes.
    let chunks: MDB_dbi
    /// Body id → empty: bodies filling or released-but-read, freed at start-up.
    let pending: MDB_dbi
    /// Variant key → tick ‖ hits.
    let recency: MDB_dbi
    /// Tick ‖ variant key → empty: the LRU order.
    let lru: MDB_dbi

    static func open(in environment: Environment, _ txn: Transaction) throws(StoreError) -> Databases {
        Databases(
            meta: try environment.openDatabase("meta", in: txn),
            variants: try environment.openDatabase("variants", in: txn),
            keys: try environment.openDatabase("keys", in: txn),
            bodies: try environment.openDatabase("bodies", in: txn),
            digests: try environment.openDatabase("digests", in: txn),
            chunks: try environment.openDatabase("chunks", in: txn),
            pending: try environment.openDatabase("pending", in: txn),
            recency: try environment.openDatabase("recency", in: txn),
            lru: try environment.openDatabase("lru", in: txn)
        )
    }
}

/// Keys of the `meta` database.
enum MetaKey {
    static let format = Array("format".utf8)
    static let counters = Array("counters".utf8)
    static let clock = Array("clock".utf8)
    static let nextBody = Array("nextBody".utf8)
}
