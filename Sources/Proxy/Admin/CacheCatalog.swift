import CachePolicy
import CacheStore
import NIOHTTP1

/// Listing and inspecting stored entries, over any ``StoreInspection``: the running server's store
/// (`/entries`, `/inspect`) or a store on disk (`larder ls|inspect --cache-dir`). Freshness is
/// explained by the same `CachePolicy` functions that decide hits.
public struct CacheCatalog: Sendable {
    /// Order of `ls`.
    public enum Sort: String, Sendable, CaseIterable {
        /// Key order (the store's index order; the only order that does not load every entry).
        case key
        /// Largest first.
        case size
        /// Most hits first.
        case hits
        /// Oldest first.
        case age
    }

    public var policy: PolicyConfiguration
    public var keys: CacheKeyConfiguration

    public init(policy: PolicyConfiguration, keys: CacheKeyConfiguration) {
        self.policy = policy
        self.keys = keys
    }

    /// The cache key of a URL as a request for it would compute it (scheme and host lowercased,
    /// default port dropped, ignored query parameters removed); nil when it is not an absolute URL.
    public func key(forURL url: String) -> String? {
        EffectiveURI(requestTarget: url, host: nil, scheme: "http").map { CacheKey.make($0, configuration: self.keys) }
    }

    /// A prefix in key form: the scheme and host part normalised like a key, the rest kept as typed.
    public func keyPrefix(forURL prefix: String) -> String {
        guard let separator = prefix.firstRange(of: "://") else { return prefix }
        let authorityEnd = prefix[separator.upperBound...].firstIndex { $0 == "/" || $0 == "?" } ?? prefix.endIndex
        let head = String(prefix[..<authorityEnd])
        guard let normalised = self.key(forURL: head + "/") else { return prefix }
        return String(normalised.dropLast()) + prefix[authorityEnd...]
    }

    /// `ls`: entries starting with `prefix` in `sort` order, at most `limit`, as JSON rows.
    public func list(
        _ store: any StoreInspection, prefix: String, sort: Sort, limit: Int, nowMilliseconds: Int64
    ) throws(StoreError) -> JSONValue {
        let entries = try store.entries(prefix: prefix, limit: sort == .key ? limit : .max)
        let now = Instant(milliseconds: nowMilliseconds)
        var rows = entries.map { entry in Row(entry, now: now, catalog: self) }
        switch sort {
        case .key: break
        case .size: rows.sort { $0.bytes != $1.bytes ? $0.bytes > $1.bytes : $0.key < $1.key }
        case .hits: rows.sort { $0.hits != $1.hits ? $0.hits > $1.hits : $0.key < $1.key }
        case .age: rows.sort { $0.age != $1.age ? $0.age > $1.age : $0.key < $1.key }
        }
        return .object([
            ("entries", .array(rows.prefix(max(0, limit)).map(\.json))),
            ("sort", .string(sort.rawValue)),
            ("prefix", .string(prefix)),
        ])
    }

    /// `inspect`: every variant of `key` with its stored fields, age, freshness and why, digest,
    /// size, hits and the other keys sharing its body; nil when nothing is stored under the key.
    public func inspect(_ store: any StoreInspection, key: String, nowMilliseconds: Int64) throws(StoreError)
        -> JSONValue?
    {
        let variants = try store.variants(forKey: key)
        guard !variants.isEmpty else { return nil }
        let now = Instant(milliseconds: nowMilliseconds)
        var items: [JSONValue] = []
        for variant in variants {
            let sharing = try store.keys(sharingBody: variant.digest, limit: 21).filter { $0 != key }
            items.append(self.variantJSON(variant, now: now, sharing: Array(sharing.prefix(20))))
        }
        return .object([("key", .string(key)), ("variants", .array(items))])
    }

    func reusePolicy(of variant: StoredVariant) -> ReusePolicy {
        ReusePolicy(Self.storedResponse(variant), configuration: self.policy)
    }

    private func variantJSON(_ variant: StoredVariant, now: Instant, sharing: [String]) -> JSONValue {
        let policy = self.reusePolicy(of: variant)
        let age = policy.currentAge(at: now)
        let ttl = policy.remainingFreshness(at: now)
        var validators: [(String, JSONValue)] = []
        if let tag = policy.entityTag { validators.append(("etag", .string("\(tag)"))) }
        if let modified = policy.lastModified { validators.append(("last_modified", .string(modified))) }
        return .object([
            ("secondary_key", .string(String(decoding: variant.secondaryKey, as: UTF8.self))),
            ("status", .integer(Int64(variant.metadata.status))),
            ("stored_at", .integer(variant.metadata.responseTime / 1000)),
            ("age_seconds", .integer(age)),
            ("freshness_lifetime_seconds", .integer(policy.freshnessLifetime.seconds)),
            ("freshness_source", .string(policy.freshnessLifetime.source.rawValue)),
            ("ttl_seconds", .integer(ttl)),
            ("fresh", .bool(policy.isFresh(at: now) && !policy.requiresValidation)),
            ("why", .string(Self.explain(policy, age: age, ttl: ttl))),
            ("validators", .object(validators)),
            ("digest", .string(variant.digest.hex)),
            ("size", .integer(variant.bodySize)),
            ("hits", .count(variant.hits)),
            ("body_shared_with", .array(sharing.map { .string($0) })),
            ("headers", .array(variant.metadata.headers.map { field in
                .object([("name", .string(field.name)), ("value", .string(field.value))])
            })),
        ])
    }

    /// Why a stored response is or is not fresh, in one sentence (RFC 9111 §4.2, RFC 5861).
    static func explain(_ policy: ReusePolicy, age: Int64, ttl: Int64) -> String {
        let lifetime = policy.freshnessLifetime
        let origin: String =
            switch lifetime.source {
            case .sharedMaxAge: "s-maxage"
            case .maxAge: "max-age"
            case .expires: "Expires minus Date"
            case .heuristic: "a heuristic (10% of the time since Last-Modified)"
            case .defaultTTL: "the configured default_ttl"
            case .none: "nothing: no max-age, Expires or Last-Modified"
            }
        if policy.requiresValidation {
            return "no-cache: every use is first revalidated with the origin"
        }
        if ttl > 0 {
            return "fresh for \(ttl) s more: lifetime \(lifetime.seconds) s from \(origin), age \(age) s"
        }
        var text = "stale since \(-ttl) s: lifetime \(lifetime.seconds) s from \(origin), age \(age) s; "
        text += policy.hasValidator
            ? "the next request revalidates it with the origin (conditional GET)"
            : "no validator, so the next request fetches it again"
        if let window = policy.staleWhileRevalidate, -ttl <= window, policy.mayServeStale {
            text += "; within stale-while-revalidate=\(window) it is served at once and refreshed in the background"
        }
        if !policy.mayServeStale { text += "; must-revalidate (or equivalent) forbids serving it stale" }
        return text
    }

    static func storedResponse(_ variant: StoredVariant) -> StoredResponse {
        StoredResponse(
            status: HTTPResponseStatus(statusCode: variant.metadata.status),
            headers: HTTPHeaders(variant.metadata.headers.map { ($0.name, $0.value) }),
            requestTime: Instant(milliseconds: variant.metadata.requestTime),
            responseTime: Instant(milliseconds: variant.metadata.responseTime))
    }

    /// One line of `ls`.
    private struct Row {
        var key: String
        var variants: Int
        var bytes: Int64
        var hits: UInt64
        var age: Int64
        var ttl: Int64
        var status: Int

        init(_ entry: StoredEntry, now: Instant, catalog: CacheCatalog) {
            self.key = entry.primaryKey
            self.variants = entry.variants.count
            self.bytes = entry.variants.reduce(0) { $0 + $1.bodySize }
            self.hits = entry.variants.reduce(0) { $0 &+ $1.hits }
            let newest = entry.variants.max { $0.metadata.responseTime < $1.metadata.responseTime }
            let policy = newest.map { catalog.reusePolicy(of: $0) }
            self.age = policy?.currentAge(at: now) ?? 0
            self.ttl = policy?.remainingFreshness(at: now) ?? 0
            self.status = newest?.metadata.status ?? 0
        }

        var json: JSONValue {
            .object([
                ("key", .string(self.key)),
                ("status", .integer(Int64(self.status))),
                ("variants", .integer(Int64(self.variants))),
                ("size", .integer(self.bytes)),
                ("hits", .count(self.hits)),
                ("age_seconds", .integer(self.age)),
                ("ttl_seconds", .integer(self.ttl)),
            ])
        }
    }
}

extension CacheCatalog {
    /// The catalog a server with `configuration` uses: the same freshness knobs and key rules.
    public init(configuration: ProxyConfiguration) {
        self.init(
            policy: PolicyConfiguration(
                defaultTTL: configuration.cacheDefaultTTL,
                targetedFieldName: configuration.cacheTargetedField,
                honoursTargetedField: configuration.mode == .reverse),
            keys: CacheKeyConfiguration(parameterPatterns: configuration.cacheIgnoredQueryParameters))
    }
}
