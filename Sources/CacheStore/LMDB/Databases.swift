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

    /// Opens the databases, creating missing ones unless `create` is false (a read-only open).
    static func open(in environment: Environment, _ txn: Transaction, create: Bool = true) throws(StoreError)
        -> Databases
    {
        Databases(
            meta: try environment.openDatabase("meta", in: txn, create: create),
            variants: try environment.openDatabase("variants", in: txn, create: create),
            keys: try environment.openDatabase("keys", in: txn, create: create),
            bodies: try environment.openDatabase("bodies", in: txn, create: create),
            digests: try environment.openDatabase("digests", in: txn, create: create),
            chunks: try environment.openDatabase("chunks", in: txn, create: create),
            pending: try environment.openDatabase("pending", in: txn, create: create),
            recency: try environment.openDatabase("recency", in: txn, create: create),
            lru: try environment.openDatabase("lru", in: txn, create: create)
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
