extension CacheStore {
    /// How commits reach the disk. Both keep everything committed across `kill -9` (committed pages
    /// are in the OS page cache); they differ on power loss. See docs/store.md.
    public enum Durability: Sendable, Hashable {
        /// Every commit is fsync'd, meta page included: a power loss loses nothing committed
        /// (on a disk that honours flushes).
        case full
        /// `MDB_NOMETASYNC`: data pages are fsync'd, the meta page only with the next commit. A power
        /// loss may roll back the last committed transaction; the store stays consistent.
        case metaAsync
    }

    /// The store's settings, with defaults.
    public struct Configuration: Sendable, Hashable {
        /// The byte budget: unique bodies, fills in progress and record overhead (see
        /// ``StoreStats/budgetedBytes``). LRU eviction keeps the store under it.
        public var maxBytes: Int64 = 1 << 30
        /// Optional cap on stored variants.
        public var maxEntries: Int?
        /// Eviction goes down to this fraction of the limits, so it runs in bursts, not per fill.
        public var lowWaterFraction: Double = 0.9
        /// The LMDB map size; nil derives it from the budget (1.5 × `maxBytes` + 64 MiB) and grows it
        /// when the budget grows.
        public var mapSize: Int?
        /// How commits are synced; see ``Durability``.
        public var durability: Durability = .full
        /// A fill growing past this is aborted with ``StoreError/tooLarge``.
        public var maxObjectBytes: Int64?
        /// How often recorded hits are saved (also when 4096 are waiting, before eviction, at close).
        public var recencyFlushInterval: Duration = .seconds(1)
        /// Most body bytes one write transaction takes from the queue.
        public var maxBatchBytes: Int = 32 << 20
        /// Queued bytes of one fill above which `append` answers `.pause`.
        public var fillHighWaterBytes: Int = 8 << 20
        /// Queued bytes of all fills above which `append` answers `.pause`.
        public var queueHighWaterBytes: Int = 64 << 20
        /// LMDB reader slots (concurrent read transactions across processes).
        public var maxReaders: Int = 1022
        /// Chunk size of a new store in LMDB pages; each chunk holds this many pages less LMDB's
        /// 16-byte page header, so it fills its overflow pages exactly. Fixed once the store exists.
        public var pagesPerChunk: Int = 64

        /// The defaults: 1 GiB budget, full sync.
        public init() {}

        var limits: Limits {
            Limits(maxBytes: self.maxBytes, maxEntries: self.maxEntries, lowWaterFraction: self.lowWaterFraction)
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = self.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
