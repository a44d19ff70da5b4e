import CachePolicy

/// What the cache did for one finished exchange, as the statistics count it. A pure function of the
/// access log entry, so the counting rules are one table.
///
/// | outcome | when |
/// |---|---|
/// | `hit` | `Cache-Status` says `hit`; stale when its `ttl` is 0 or below (allowed by the request or SWR) |
/// | `revalidated` | the stored response was stale, the origin answered 304 and the stored body was served |
/// | `staleOnError` | the origin failed and `stale-if-error` let the stored response answer |
/// | `coalesced` | answered from another request's fill in progress (`Cache-Status: …; collapsed`) |
/// | `miss` | a GET or HEAD the cache looked up and had to fetch in full |
/// | `bypass` | the cache did not handle it (other methods, or cacheable methods it may not look up) |
/// | `uncached` | no cache status: the cache is off, a tunnel, or Larder refused the request itself |
enum RequestOutcome: Equatable {
    case hit(stale: Bool)
    case revalidated
    case staleOnError
    case coalesced
    case miss
    case bypass
    case uncached

    init(_ entry: AccessLog.Entry) {
        guard let status = entry.cache else {
            self = .uncached
            return
        }
        if status.hit {
            self = .hit(stale: (status.ttl ?? 1) <= 0)
        } else if status.collapsed, !entry.answeredFromStore, entry.upstream == nil {
            self = .coalesced
        } else if entry.answeredFromStore, status.forward == .stale, status.detail == "stale-if-error" {
            self = .staleOnError
        } else if entry.answeredFromStore, status.forward == .stale, status.forwardStatus == 304 {
            self = .revalidated
        } else {
            switch status.forward {
            case .bypass?, .method?: self = .bypass
            default: self = .miss
            }
        }
    }

    /// The body bytes came from the store or a fill in progress, not from an origin fetch of this request.
    var servedFromStore: Bool {
        switch self {
        case .hit, .revalidated, .staleOnError, .coalesced: true
        case .miss, .bypass, .uncached: false
        }
    }
}
