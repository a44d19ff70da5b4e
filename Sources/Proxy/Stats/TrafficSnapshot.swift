/// The traffic counters of a running server at one moment.
///
/// `hits` counts answers from the store without asking the origin (`staleServed` of them, plus
/// `stale-if-error` answers, were stale); `revalidated` answers were confirmed by a 304 from the
/// origin; `misses` were cache lookups fetched in full; `bypassed` requests were not for the cache
/// (other methods, tunnels are not counted at all). `coalesced` requests were answered from another
/// request's fill in progress (not counted as misses). The top lists rank by `hits` and by body bytes.
/// `errors` are answers with status ≥ 500 or exchanges that failed.
public struct TrafficSnapshot: Sendable, Hashable {
    public var requests: UInt64
    public var hits: UInt64
    public var misses: UInt64
    public var staleServed: UInt64
    /// Of `staleServed`, the answers given because the origin failed (`stale-if-error`).
    public var staleOnError: UInt64
    public var revalidated: UInt64
    public var bypassed: UInt64
    public var coalesced: UInt64
    public var errors: UInt64
    /// Response body bytes sent from the store.
    public var bytesFromCache: UInt64
    /// Response body bytes relayed from origins (tunnels excluded).
    public var bytesFromOrigin: UInt64
    /// Body bytes sent to requests that shared another request's fetch: origin traffic saved by coalescing.
    public var bytesCoalesced: UInt64
    public var topHostsByHits: [RankedKey]
    public var topHostsByBytes: [RankedKey]
    public var topURLsByHits: [RankedKey]
    public var topURLsByBytes: [RankedKey]
    /// When counting started (seconds since the epoch).
    public var startedAt: Int64

    /// Cache lookups: hits, revalidations, stale answers on origin errors, coalesced answers and misses.
    public var lookups: UInt64 {
        self.hits &+ self.revalidated &+ self.staleOnError &+ self.coalesced &+ self.misses
    }

    /// Hits per cache lookup (0 when there was none).
    public var hitRatio: Double {
        self.lookups == 0 ? 0 : Double(self.hits) / Double(self.lookups)
    }

    /// Bytes from the store per byte sent (0 when nothing was sent).
    public var byteHitRatio: Double {
        let total = self.bytesFromCache &+ self.bytesFromOrigin
        return total == 0 ? 0 : Double(self.bytesFromCache) / Double(total)
    }
}
