import NIOHTTP1

/// Everything the cache needs to decide whether a stored response can be reused, computed once when the response
/// is stored (or freshened) so that a hit does not parse header fields again.
///
/// The store keeps these fields beside the raw headers; `ServingDecision.decide` works from them alone.
public struct ReusePolicy: Hashable, Sendable, Codable {
    /// `response_time` of the stored response (RFC 9111 §4.2.3).
    public var responseTime: Instant
    /// `corrected_initial_age` (RFC 9111 §4.2.3).
    public var correctedInitialAge: Int64
    /// The freshness lifetime and where it came from (RFC 9111 §4.2.1).
    public var freshnessLifetime: FreshnessLifetime
    /// Unqualified `no-cache`: every reuse needs a successful validation (RFC 9111 §5.2.2.4).
    public var requiresValidation: Bool
    /// False when the response forbids serving it stale: `must-revalidate` (§5.2.2.2), and in a shared cache
    /// `proxy-revalidate` (§5.2.2.8) or `s-maxage` (§5.2.2.10), or `no-cache` (§4.2.4).
    public var mayServeStale: Bool
    /// `stale-while-revalidate` window in seconds (RFC 5861 §3).
    public var staleWhileRevalidate: Int64?
    /// `stale-if-error` window in seconds (RFC 5861 §4).
    public var staleIfError: Int64?
    /// The stored `ETag`.
    public var entityTag: EntityTag?
    /// The stored `Last-Modified`, as received, when it is a valid HTTP-date.
    public var lastModified: String?

    public init(
        responseTime: Instant,
        correctedInitialAge: Int64,
        freshnessLifetime: FreshnessLifetime,
        requiresValidation: Bool = false,
        mayServeStale: Bool = true,
        staleWhileRevalidate: Int64? = nil,
        staleIfError: Int64? = nil,
        entityTag: EntityTag? = nil,
        lastModified: String? = nil
    ) {
        self.responseTime = responseTime
        self.correctedInitialAge = correctedInitialAge
        self.freshnessLifetime = freshnessLifetime
        self.requiresValidation = requiresValidation
        self.mayServeStale = mayServeStale
        self.staleWhileRevalidate = staleWhileRevalidate
        self.staleIfError = staleIfError
        self.entityTag = entityTag
        self.lastModified = lastModified
    }

    /// Computes the policy of a stored response.
    public init(_ stored: StoredResponse, configuration: PolicyConfiguration) {
        self.init(
            stored, directives: ResponseDirectives(response: stored.headers, configuration: configuration),
            configuration: configuration)
    }

    /// Computes the policy of a stored response whose governing directives are already parsed (they must be
    /// what `ResponseDirectives(response: stored.headers, configuration:)` reads). Without `readingValidators`
    /// the validators are left out (`entityTag` and `lastModified` nil), for a caller that needs them only when
    /// the rest does not decide.
    init(
        _ stored: StoredResponse, directives: ResponseDirectives, configuration: PolicyConfiguration,
        readingValidators: Bool = true
    ) {
        let cacheControl = directives.cacheControl
        let lastModified = !readingValidators ? nil : FieldSyntax.firstLine(stored.headers, "last-modified").flatMap {
            HTTPDate.parse($0, now: stored.responseTime) != nil ? String($0) : nil
        }
        let noCache = cacheControl.noCache == .whole
        let sharedForbids = configuration.isShared && (cacheControl.proxyRevalidate || cacheControl.sharedMaxAge != nil)
        self.init(
            responseTime: stored.responseTime,
            correctedInitialAge: AgeCalculation(stored).correctedInitialAge,
            freshnessLifetime: Freshness.lifetime(
                status: stored.status,
                headers: stored.headers,
                directives: directives,
                responseTime: stored.responseTime,
                configuration: configuration
            ),
            requiresValidation: noCache,
            mayServeStale: !(noCache || cacheControl.mustRevalidate || sharedForbids),
            staleWhileRevalidate: cacheControl.staleWhileRevalidate,
            staleIfError: cacheControl.staleIfError,
            entityTag: readingValidators ? EntityTag(headers: stored.headers) : nil,
            lastModified: lastModified
        )
    }

    /// `current_age` at `now` (RFC 9111 §4.2.3).
    public func currentAge(at now: Instant) -> Int64 {
        self.correctedInitialAge.addingSaturated(max(0, now.seconds(since: self.responseTime)))
    }

    /// Freshness lifetime minus current age: positive while fresh, zero or negative once stale (RFC 9111 §4.2).
    /// This is the `ttl` of `Cache-Status` (RFC 9211 §2.5).
    public func remainingFreshness(at now: Instant) -> Int64 {
        self.freshnessLifetime.seconds.addingSaturated(-self.currentAge(at: now))
    }

    /// The instant the response stops being fresh.
    public var freshUntil: Instant {
        self.responseTime.adding(seconds: self.freshnessLifetime.seconds.addingSaturated(-self.correctedInitialAge))
    }

    /// A response is fresh while its age has not reached its lifetime (RFC 9111 §4.2).
    public func isFresh(at now: Instant) -> Bool { self.remainingFreshness(at: now) > 0 }

    /// Whether a conditional request can validate the response (an `ETag` or a valid `Last-Modified`).
    public var hasValidator: Bool { self.entityTag != nil || self.lastModified != nil }
}
