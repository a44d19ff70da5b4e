import NIOHTTP1

/// Why a stored response cannot be served without contacting the origin.
public enum RevalidationReason: String, Hashable, Sendable {
    /// Past its freshness lifetime, and nothing allows serving it stale (RFC 9111 §4.2.4).
    case stale
    /// The response's unqualified `no-cache` (RFC 9111 §5.2.2.4).
    case responseNoCache = "response-no-cache"
    /// The request's `no-cache`, or `Pragma: no-cache` without `Cache-Control` (RFC 9111 §5.2.1.4, §5.4).
    case requestNoCache = "request-no-cache"
    /// The request's `max-age` is below the current age, or is 0 (RFC 9111 §5.2.1.1).
    case requestMaxAge = "request-max-age"
    /// The request's `min-fresh` exceeds the remaining freshness (RFC 9111 §5.2.1.3).
    case requestMinFresh = "request-min-fresh"

    /// Whether the request, not the stored response, caused the trip to the origin.
    public var isCausedByRequest: Bool {
        self == .requestNoCache || self == .requestMaxAge || self == .requestMinFresh
    }
}

/// What to do with a stored response (already selected by URI and `Vary`) for an incoming request
/// (RFC 9111 §4, §4.2.4, §4.3, §5.2.1; RFC 5861).
public enum ServingDecision: Equatable, Sendable {
    /// Serve the stored response: it is fresh enough for this request. `age` is the value for the `Age` field.
    case fresh(age: Int64)
    /// Serve the stored response although stale: the request's `max-stale` accepts it (RFC 9111 §5.2.1.2).
    case stale(age: Int64)
    /// Serve the stored response now and revalidate it in the background, once, with these fields (empty when the
    /// response has no validator: the background request is then unconditional) (RFC 5861 §3).
    case staleWhileRevalidate(age: Int64, conditionalHeaders: HTTPHeaders)
    /// Send a conditional request with these fields and act on `Validation.outcome` (RFC 9111 §4.3.1).
    case revalidate(conditionalHeaders: HTTPHeaders, reason: RevalidationReason)
    /// The stored response cannot be used and has no validator: forward the request unconditionally.
    case miss(reason: RevalidationReason)
    /// The request said `only-if-cached` and no stored response may be served: answer 504 (RFC 9111 §5.2.1.7).
    case gatewayTimeout

    /// Decides how to use a stored response for a request at `now`:
    /// 1. unqualified response `no-cache` → validate;
    /// 2. fresh: serve, unless the request has `no-cache` (or `Pragma: no-cache` alone), a `max-age` that is 0 or
    ///    below the current age, or a `min-fresh` beyond the remaining freshness → validate;
    /// 3. stale, the request has none of those, and the response allows stale use (no `must-revalidate`,
    ///    `proxy-revalidate`, `s-maxage`): the request's `max-stale` covers the staleness → serve stale; the
    ///    `stale-while-revalidate` window covers it → serve stale and revalidate in the background;
    /// 4. otherwise validate — `.revalidate` with the stored validators, `.miss` without any;
    /// 5. `only-if-cached` turns every outcome that would contact the origin into `.gatewayTimeout`.
    ///
    /// Request `max-age=0` always validates: with one-second resolution an age of 0 only means "less than a second",
    /// and clients send it to ask for validation.
    public static func decide(policy: ReusePolicy, request: HTTPRequestHead, now: Instant) -> ServingDecision {
        let requestDirectives = CacheControl(request: request.headers)
        let decision = Self.decideIgnoringOnlyIfCached(policy, requestDirectives, now)
        switch decision {
        case .revalidate, .miss:
            return requestDirectives.onlyIfCached ? .gatewayTimeout : decision
        case .fresh, .stale, .staleWhileRevalidate, .gatewayTimeout:
            return decision
        }
    }

    private static func decideIgnoringOnlyIfCached(
        _ policy: ReusePolicy,
        _ request: CacheControl,
        _ now: Instant
    ) -> ServingDecision {
        let age = policy.currentAge(at: now)
        let remaining = policy.remainingFreshness(at: now)
        func validate(_ reason: RevalidationReason) -> ServingDecision {
            let headers = Validation.conditionalHeaders(for: [policy])
            return headers.isEmpty ? .miss(reason: reason) : .revalidate(conditionalHeaders: headers, reason: reason)
        }
        if policy.requiresValidation { return validate(.responseNoCache) }
        let requestRefusal: RevalidationReason? =
            if request.noCache != nil {
                .requestNoCache
            } else if let maxAge = request.maxAge, maxAge == 0 || age > maxAge {
                .requestMaxAge
            } else if let minFresh = request.minFresh, remaining < minFresh {
                .requestMinFresh
            } else {
                nil
            }
        if remaining > 0 {
            return requestRefusal.map(validate) ?? .fresh(age: age)
        }
        guard requestRefusal == nil, policy.mayServeStale else { return validate(.stale) }
        let staleness = -remaining
        switch request.maxStale {
        case .unlimited:
            return .stale(age: age)
        case .seconds(let allowed) where staleness <= allowed:
            return .stale(age: age)
        case .seconds, nil:
            break
        }
        if let window = policy.staleWhileRevalidate, staleness <= window {
            return .staleWhileRevalidate(age: age, conditionalHeaders: Validation.conditionalHeaders(for: [policy]))
        }
        return validate(.stale)
    }

    /// Whether a stored response may be served because the origin failed — a connection error or a 500, 502, 503
    /// or 504 while validating (RFC 5861 §4, RFC 9111 §4.2.4). Allowed when the response permits stale use (no
    /// `no-cache`, `must-revalidate`, `proxy-revalidate`, `s-maxage`) and its staleness is within the largest
    /// `stale-if-error` window given by the request, the response, or the configured default. Without any window,
    /// the error is passed on.
    public static func onOriginError(
        policy: ReusePolicy,
        request: HTTPRequestHead,
        now: Instant,
        configuration: PolicyConfiguration
    ) -> StaleOnError {
        let windows = [
            CacheControl(request: request.headers).staleIfError, policy.staleIfError,
            configuration.defaultStaleIfError,
        ]
        guard policy.mayServeStale, let window = windows.compactMap({ $0 }).max() else { return .passError }
        let staleness = -policy.remainingFreshness(at: now)
        return staleness <= window ? .serveStale(age: policy.currentAge(at: now)) : .passError
    }

    /// The `fwd` reason to report in `Cache-Status` when this decision contacts the origin for the request
    /// (RFC 9211 §2.2); `nil` when the answer comes from the cache.
    public var forwardReason: CacheStatus.ForwardReason? {
        switch self {
        case .fresh, .stale, .staleWhileRevalidate, .gatewayTimeout:
            return nil
        case .revalidate(_, let reason), .miss(let reason):
            return reason.isCausedByRequest ? .request : .stale
        }
    }
}

/// The answer to "may I serve the stored response because the origin failed?" (RFC 5861 §4).
public enum StaleOnError: Equatable, Sendable {
    /// Serve it, with this `Age`.
    case serveStale(age: Int64)
    /// Forward the error (or answer 502/504 for a connection failure).
    case passError
}
