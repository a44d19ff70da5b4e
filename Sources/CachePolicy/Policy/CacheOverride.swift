import HTTPRules

/// An operator's exception to the cache's defaults for some hosts or paths — what Squid's `refresh_pattern` and
/// nginx's per-`location` `proxy_cache_valid` / `proxy_cache_bypass` are used for: keep a download mirror's files for
/// a day when the origin says nothing, never cache an API, drop tracking parameters from one site's keys.
///
/// An override matches a request when its `host` (if set) and its `pathPrefix` (if set) both match; one of them is
/// always set. Every setting left `nil` keeps the value the request would have without the override. Overrides only
/// fill gaps the origin left and choose what Larder caches: they never make a response fresher than its explicit
/// `max-age`, `s-maxage` or `Expires` says, nor store what RFC 9111 forbids.
public struct CacheOverride: Hashable, Sendable {
    /// A host name, lowercased: exact (`example.com`) or, with a leading `*.`, any subdomain (`*.example.com`
    /// matches `a.example.com` and `b.a.example.com`, not `example.com`). The port is not compared.
    public var host: String?
    /// A path prefix, compared byte for byte with the request's path (without the query): `/releases/`.
    public var pathPrefix: String?
    /// `true`: requests that match neither use nor fill the cache (`Cache-Status: …; fwd=bypass`).
    public var bypass: Bool?
    /// The lifetime for responses without explicit expiration and without `Last-Modified` (see
    /// `PolicyConfiguration.defaultTTL`). `.some(nil)` turns a global default off for the matching requests.
    public var defaultTTL: Int64??
    /// The heuristic fraction of `Date` − `Last-Modified` (Squid's refresh_pattern percent, as a fraction).
    public var heuristicFraction: Double?
    /// The longest heuristic lifetime, seconds (Squid's refresh_pattern max).
    public var heuristicCap: Int64?
    /// Query parameters left out of the key, replacing the global list (an empty list keeps every parameter).
    public var keys: CacheKeyConfiguration?

    public init(
        host: String? = nil,
        pathPrefix: String? = nil,
        bypass: Bool? = nil,
        defaultTTL: Int64?? = nil,
        heuristicFraction: Double? = nil,
        heuristicCap: Int64? = nil,
        keys: CacheKeyConfiguration? = nil
    ) {
        self.host = host?.lowercased()
        self.pathPrefix = pathPrefix
        self.bypass = bypass
        self.defaultTTL = defaultTTL
        self.heuristicFraction = heuristicFraction
        self.heuristicCap = heuristicCap
        self.keys = keys
    }

    /// Whether the override applies to `uri`. An override with neither host nor path prefix matches nothing.
    public func matches(_ uri: EffectiveURI) -> Bool {
        guard self.host != nil || self.pathPrefix != nil else { return false }
        if let host = self.host {
            let requestHost = uri.authority.host
            if host.hasPrefix("*.") {
                guard requestHost.hasSuffix(host.dropFirst()) else { return false }
            } else if requestHost != host {
                return false
            }
        }
        if let prefix = self.pathPrefix, !uri.path.hasPrefix(prefix) { return false }
        return true
    }
}

/// The caching rules for one request: the policy, the key configuration, and whether the cache is used at all.
public struct EffectiveCachePolicy: Hashable, Sendable {
    public var policy: PolicyConfiguration
    public var keys: CacheKeyConfiguration
    public var bypass: Bool

    public init(policy: PolicyConfiguration, keys: CacheKeyConfiguration, bypass: Bool = false) {
        self.policy = policy
        self.keys = keys
        self.bypass = bypass
    }

    /// The rules for `uri`: these, changed by the **first** override that matches it (in configuration order, as
    /// Squid reads `refresh_pattern` lines — list the more specific ones first). A pure function of the request's
    /// URI, so every tier of a fleet resolves the same key for the same request.
    public func resolved(for uri: EffectiveURI, overrides: [CacheOverride]) -> EffectiveCachePolicy {
        guard let override = overrides.first(where: { $0.matches(uri) }) else { return self }
        var result = self
        if let bypass = override.bypass { result.bypass = bypass }
        if let defaultTTL = override.defaultTTL { result.policy.defaultTTL = defaultTTL }
        if let fraction = override.heuristicFraction { result.policy.heuristicFraction = fraction }
        if let cap = override.heuristicCap { result.policy.heuristicCap = cap }
        if let keys = override.keys { result.keys = keys }
        return result
    }
}

extension CacheKeyConfiguration {
    /// From the configuration file's list: an entry ending in `*` is a prefix (`utm_*`), any other an exact name.
    public init(parameterPatterns patterns: [String]) {
        self.init(
            ignoredQueryParameters: Set(patterns.filter { !$0.hasSuffix("*") }),
            ignoredQueryParameterPrefixes: patterns.filter { $0.hasSuffix("*") }.map { String($0.dropLast()) })
    }
}
