/// A snapshot of the store's counters. Counters are saved with the changes they count, so they
/// survive restarts and crashes.
public struct StoreStats: Sendable, Hashable {
    /// Primary keys with at least one variant.
    public var objects: Int
    /// Stored variants (servable responses).
    public var variants: Int
    /// Unique complete bodies.
    public var bodies: Int
    /// Sum of the variants' body sizes (what clients can be served).
    public var logicalBytes: Int64
    /// Sum of the unique bodies' sizes (what is stored): logical − physical is the dedup saving.
    public var physicalBytes: Int64
    /// Bytes of fills in progress and of released bodies still being read.
    public var pendingBytes: Int64
    /// Estimated bytes of records, keys and index entries.
    public var metadataBytes: Int64
    /// physical + pending + metadata: what the byte budget limits.
    public var budgetedBytes: Int64
    /// Variants removed to stay under the budget or to make room in the map.
    public var evictions: UInt64
    /// Fills committed as servable variants.
    public var fillsCompleted: UInt64
    /// Fills that ended without a variant (aborted, failed, closed, or found after a crash).
    public var fillsAborted: UInt64
    /// Fills whose body already existed and was shared instead of stored again.
    public var deduplicatedFills: UInt64
    /// Variants removed by purge.
    public var purgedVariants: UInt64
    /// Hits saved so far (recorded hits are saved in batches).
    public var hits: UInt64
    /// Fills begun and not yet ended.
    public var fillsInProgress: Int
    /// Body bytes queued for the writer.
    public var queuedBytes: Int
    /// The configured byte budget.
    public var maxBytes: Int64
    /// Bytes per body chunk.
    public var chunkSize: Int
    /// The LMDB map size.
    public var mapSize: Int
    /// Bytes of the data file up to LMDB's high-water mark (includes free pages).
    public var fileBytes: Int
}

extension StoreStats {
    /// The live figures only a writing store knows; a read-only store reports zeros.
    struct Live {
        var fillsInProgress = 0
        var queuedBytes = 0
        var maxBytes: Int64 = 0
        var chunkSize = 0
    }

    /// The saved counters, the environment's file figures and the live ones.
    init(counters: Counters, info: Environment.Info, live: Live) {
        self.init(
            objects: Int(counters[.objects]),
            variants: Int(counters[.variants]),
            bodies: Int(counters[.bodies]),
            logicalBytes: Int64(counters[.logicalBytes]),
            physicalBytes: Int64(counters[.physicalBytes]),
            pendingBytes: Int64(counters[.pendingBytes]),
            metadataBytes: Int64(counters[.metadataBytes]),
            budgetedBytes: counters.budgetedBytes,
            evictions: counters[.evictions],
            fillsCompleted: counters[.fillsCompleted],
            fillsAborted: counters[.fillsAborted],
            deduplicatedFills: counters[.deduplicatedFills],
            purgedVariants: counters[.purgedVariants],
            hits: counters[.hits],
            fillsInProgress: live.fillsInProgress,
            queuedBytes: live.queuedBytes,
            maxBytes: live.maxBytes,
            chunkSize: live.chunkSize,
            mapSize: info.mapSize,
            fileBytes: info.pagesInUse * info.pageSize
        )
    }
}
