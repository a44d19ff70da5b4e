/// The knobs of the caching policy, with the defaults of a shared HTTP cache.
///
/// Built once by the pipeline from the configuration file (per-host or per-path overrides are simply other
/// values of this struct); the functions of this module never read files, the environment or a clock.
public struct PolicyConfiguration: Hashable, Sendable {
    /// A shared cache (RFC 9111 §1): honours `s-maxage`, `proxy-revalidate` and the `Authorization` rule, never
    /// stores `private` responses. Larder is always shared; `false` exists for tests of the distinction.
    public var isShared: Bool
    /// The fraction of the time since `Last-Modified` used as heuristic lifetime (RFC 9111 §4.2.2 suggests 10%).
    public var heuristicFraction: Double
    /// The longest heuristic lifetime, in seconds (default one day, as common caches do).
    public var heuristicCap: Int64
    /// A lifetime, in seconds, for responses with a heuristically cacheable status and no explicit expiration and
    /// no `Last-Modified` to base a heuristic on. `nil` (the default) means such responses are not fresh.
    public var defaultTTL: Int64?
    /// The targeted cache-control field this cache obeys in reverse mode (RFC 9213 §2), lowercased.
    public var targetedFieldName: String
    /// Whether the targeted field is obeyed: true in reverse mode, where Larder acts as the origin's CDN.
    public var honoursTargetedField: Bool
    /// Whether the targeted field is passed on downstream once obeyed. Off: the origin addressed it to us.
    public var forwardsTargetedField: Bool
    /// A `stale-if-error` window, in seconds, applied when neither request nor response carries one. `nil` (the
    /// default): a stale response is served on origin failure only when `stale-if-error` allows it.
    public var defaultStaleIfError: Int64?
    /// The most ranges a `Range` request may ask for before it is answered with the whole representation.
    public var maximumRanges: Int

    public init(
        isShared: Bool = true,
        heuristicFraction: Double = 0.1,
        heuristicCap: Int64 = 86_400,
        defaultTTL: Int64? = nil,
        targetedFieldName: String = "cdn-cache-control",
        honoursTargetedField: Bool = false,
        forwardsTargetedField: Bool = false,
        defaultStaleIfError: Int64? = nil,
        maximumRanges: Int = 16
    ) {
        self.isShared = isShared
        self.heuristicFraction = heuristicFraction
        self.heuristicCap = heuristicCap
        self.defaultTTL = defaultTTL
        self.targetedFieldName = targetedFieldName.lowercased()
        self.honoursTargetedField = honoursTargetedField
        self.forwardsTargetedField = forwardsTargetedField
        self.defaultStaleIfError = defaultStaleIfError
        self.maximumRanges = maximumRanges
    }
}
