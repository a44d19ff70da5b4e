import CacheStore

/// What `/stats` and `larder stats` show: traffic counters of a running server (when there is one),
/// the store's counters, and fills in flight. Its JSON form has plainly named counters (`hits`,
/// `misses`, …); docs/operations.md lists every field.
public struct StatsReport: Sendable {
    /// Where the figures come from.
    public enum Source: String, Sendable {
        /// A running server, through its admin API: traffic counters since it started.
        case server
        /// A store on disk, opened read-only: only what the store keeps.
        case store
    }

    public var source: Source
    /// Traffic since the server started; nil when read from a store on disk.
    public var traffic: TrafficSnapshot?
    /// The store's counters; nil when caching is off.
    public var store: StoreStats?
    public var fillsInFlight: [FillWaiters]
    /// When the report was made (seconds since the epoch).
    public var generatedAt: Int64

    public init(
        source: Source, traffic: TrafficSnapshot?, store: StoreStats?, fillsInFlight: [FillWaiters],
        generatedAt: Int64
    ) {
        self.source = source
        self.traffic = traffic
        self.store = store
        self.fillsInFlight = fillsInFlight
        self.generatedAt = generatedAt
    }

    /// The JSON document.
    public var json: JSONValue {
        var fields: [(String, JSONValue)] = [
            ("source", .string(self.source.rawValue)),
            ("generated_at", .integer(self.generatedAt)),
        ]
        if let traffic {
            fields += [
                ("started_at", .integer(traffic.startedAt)),
                ("uptime_seconds", .integer(max(0, self.generatedAt - traffic.startedAt))),
                ("requests", .count(traffic.requests)),
                ("hits", .count(traffic.hits)),
                ("misses", .count(traffic.misses)),
                ("stale_served", .count(traffic.staleServed)),
                ("stale_if_error", .count(traffic.staleOnError)),
                ("revalidated", .count(traffic.revalidated)),
                ("coalesced", .count(traffic.coalesced)),
                ("bypassed", .count(traffic.bypassed)),
                ("errors", .count(traffic.errors)),
                ("hit_ratio", .number(traffic.hitRatio)),
                ("byte_hit_ratio", .number(traffic.byteHitRatio)),
                ("bytes_from_cache", .count(traffic.bytesFromCache)),
                ("bytes_from_origin", .count(traffic.bytesFromOrigin)),
                ("bytes_saved_by_coalescing", .count(traffic.bytesCoalesced)),
            ]
        }
        if let store {
            fields.append(("store", Self.storeJSON(store, live: self.source == .server)))
        }
        fields.append(("fills_in_flight", .array(self.fillsInFlight.map { fill in
            .object([("key", .string(fill.key)), ("waiters", .integer(Int64(fill.waiters)))])
        })))
        if let traffic {
            fields += [
                ("top_hosts_by_hits", Self.ranked(traffic.topHostsByHits, "hits")),
                ("top_hosts_by_bytes", Self.ranked(traffic.topHostsByBytes, "bytes")),
                ("top_urls_by_hits", Self.ranked(traffic.topURLsByHits, "hits")),
                ("top_urls_by_bytes", Self.ranked(traffic.topURLsByBytes, "bytes")),
            ]
        }
        return .object(fields)
    }

    private static func storeJSON(_ store: StoreStats, live: Bool) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("objects", .integer(Int64(store.objects))),
            ("variants", .integer(Int64(store.variants))),
            ("bodies", .integer(Int64(store.bodies))),
            ("bytes_used", .integer(store.budgetedBytes)),
            ("bytes_budget", live ? .integer(store.maxBytes) : .null),
            ("body_bytes", .integer(store.logicalBytes)),
            ("stored_body_bytes", .integer(store.physicalBytes)),
            ("dedup_bytes_saved", .integer(max(0, store.logicalBytes - store.physicalBytes))),
            ("deduplicated_fills", .count(store.deduplicatedFills)),
            ("evictions", .count(store.evictions)),
            ("purged", .count(store.purgedVariants)),
            ("fills_completed", .count(store.fillsCompleted)),
            ("fills_aborted", .count(store.fillsAborted)),
            ("saved_hits", .count(store.hits)),
            ("file_bytes", .integer(Int64(store.fileBytes))),
        ]
        if live { fields.append(("fills_in_progress", .integer(Int64(store.fillsInProgress)))) }
        return .object(fields)
    }

    private static func ranked(_ keys: [RankedKey], _ name: String) -> JSONValue {
        .array(keys.map { .object([("key", .string($0.key)), (name, .count($0.value))]) })
    }
}
