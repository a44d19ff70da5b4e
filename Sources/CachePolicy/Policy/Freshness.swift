import NIOHTTP1

/// How long a response stays fresh, and why.
public struct FreshnessLifetime: Hashable, Sendable, Codable {
    /// Where the lifetime came from, in order of precedence (RFC 9111 §4.2.1, §4.2.2).
    public enum Source: String, Hashable, Sendable, Codable {
        case sharedMaxAge = "s-maxage"
        case maxAge = "max-age"
        case expires
        case heuristic
        case defaultTTL = "default-ttl"
        /// No explicit expiration and no way to guess one: the response is stale at once.
        case none
    }

    /// Seconds, never negative.
    public var seconds: Int64
    public var source: Source

    public init(seconds: Int64, source: Source) {
        self.seconds = max(0, seconds)
        self.source = source
    }
}

/// Freshness lifetime (RFC 9111 §4.2.1) and heuristic freshness (§4.2.2).
public enum Freshness {
    /// The freshness lifetime of a response, by the first rule that applies (RFC 9111 §4.2.1):
    /// 1. `s-maxage`, in a shared cache;
    /// 2. `max-age`;
    /// 3. `Expires` minus `Date` (the response time when `Date` is missing or invalid). `Expires` is read only when
    ///    the directives come from `Cache-Control`, not from a targeted field (RFC 9213 §2.1). Its first line is
    ///    used; an invalid value — `0`, a bad format, two dates in one line — means already expired (§5.3);
    /// 4. heuristics (`heuristicLifetime`), only without any of the above;
    /// 5. the configured default TTL, under the same conditions as heuristics, when there is no `Last-Modified`.
    public static func lifetime(
        status: HTTPResponseStatus,
        headers: HTTPHeaders,
        directives: ResponseDirectives,
        responseTime: Instant,
        configuration: PolicyConfiguration
    ) -> FreshnessLifetime {
        let cacheControl = directives.cacheControl
        if configuration.isShared, let seconds = cacheControl.sharedMaxAge {
            return FreshnessLifetime(seconds: seconds, source: .sharedMaxAge)
        }
        if let seconds = cacheControl.maxAge {
            return FreshnessLifetime(seconds: seconds, source: .maxAge)
        }
        if directives.usesExpires, let expires = FieldSyntax.firstLine(headers, "expires") {
            guard let expiry = HTTPDate.parse(expires, now: responseTime) else {
                return FreshnessLifetime(seconds: 0, source: .expires)
            }
            let date = AgeCalculation.dateValue(headers, now: responseTime) ?? responseTime
            return FreshnessLifetime(seconds: expiry.seconds(since: date), source: .expires)
        }
        guard Self.mayUseHeuristics(status: status, cacheControl: cacheControl) else {
            return FreshnessLifetime(seconds: 0, source: .none)
        }
        if let seconds = Self.heuristicLifetime(
            headers: headers, responseTime: responseTime, configuration: configuration)
        {
            return FreshnessLifetime(seconds: seconds, source: .heuristic)
        }
        if let seconds = configuration.defaultTTL {
            return FreshnessLifetime(seconds: seconds, source: .defaultTTL)
        }
        return FreshnessLifetime(seconds: 0, source: .none)
    }

    /// Status codes a cache may store and reuse without explicit freshness (RFC 9110 §15.1, RFC 9111 §4.2.2).
    public static let heuristicallyCacheableStatusCodes: Set<UInt> = [
        200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501,
    ]

    /// Whether `status` is heuristically cacheable (RFC 9110 §15.1).
    public static func isHeuristicallyCacheable(_ status: HTTPResponseStatus) -> Bool {
        Self.heuristicallyCacheableStatusCodes.contains(status.code)
    }

    /// Heuristics apply to heuristically cacheable status codes and to responses marked `public` (RFC 9111 §4.2.2).
    static func mayUseHeuristics(status: HTTPResponseStatus, cacheControl: CacheControl) -> Bool {
        Self.isHeuristicallyCacheable(status) || cacheControl.public
    }

    /// A fraction (default 10%) of the time between `Last-Modified` and `Date` (or the response time), at most the
    /// configured cap (default 24 h) (RFC 9111 §4.2.2). `nil` when `Last-Modified` is missing, invalid or later than
    /// the response's date. The caller checks there is no explicit expiration.
    public static func heuristicLifetime(
        headers: HTTPHeaders,
        responseTime: Instant,
        configuration: PolicyConfiguration
    ) -> Int64? {
        guard let lastModified = HTTPDate.field("last-modified", in: headers, now: responseTime) else { return nil }
        let date = AgeCalculation.dateValue(headers, now: responseTime) ?? responseTime
        let sinceModified = date.seconds(since: lastModified)
        guard sinceModified >= 0 else { return nil }
        let guess = Double(sinceModified) * max(0, configuration.heuristicFraction)
        return Int64(min(guess, Double(max(0, configuration.heuristicCap))))
    }

    /// Whether the response carries explicit expiration for this cache: `s-maxage` (shared), `max-age`, or
    /// `Expires` (when the directives come from `Cache-Control`).
    public static func hasExplicitExpiration(
        headers: HTTPHeaders,
        directives: ResponseDirectives,
        configuration: PolicyConfiguration
    ) -> Bool {
        (configuration.isShared && directives.cacheControl.sharedMaxAge != nil)
            || directives.cacheControl.maxAge != nil
            || (directives.usesExpires && headers.contains(name: "expires"))
    }
}
