import CachePolicy
import CacheStore
import HTTPRules
import NIOHTTP1

/// The cache as the request pipeline sees it: keys, lookups and fills over the ``CacheStore``, every
/// decision taken by the pure functions of `CachePolicy`.
///
/// Sendable and lock-free: the store does its own synchronisation, and the methods here only read.
/// Time comes from the injected clock (milliseconds since the epoch), so tests can move it.
final class HTTPCache: Sendable {
    let store: CacheStore
    let policy: PolicyConfiguration
    let keys: CacheKeyConfiguration
    /// Per-host and per-path exceptions to `policy` and `keys`; the first that matches a request applies.
    let overrides: [CacheOverride]
    /// Whether Cache-Status carries the cache key (`key` parameter, RFC 9211 §2.7).
    let reportsKey: Bool
    let clock: @Sendable () -> Int64
    /// One upstream fetch per key at a time; requests arriving meanwhile stream its fill.
    let coalescer: Coalescer
    /// Stored variants' fields as decoded by earlier lookups.
    private let decodedVariants = DecodedVariants()

    init(store: CacheStore, policy: PolicyConfiguration, keys: CacheKeyConfiguration,
         coalescing: Coalescer.Configuration = .init(), overrides: [CacheOverride] = [], reportsKey: Bool = false,
         clock: @escaping @Sendable () -> Int64) {
        self.store = store
        self.policy = policy
        self.keys = keys
        self.overrides = overrides
        self.reportsKey = reportsKey
        self.clock = clock
        self.coalescer = Coalescer(configuration: coalescing, clock: clock)
    }

    /// What a lookup found for a request.
    enum Lookup {
        /// Serve this stored response: `headers` are its stored fields, `age` the Age value, `ttl` the
        /// remaining freshness (negative when serving stale). With `refresh`, the response is stale within
        /// its stale-while-revalidate window: revalidate it in the background with these fields.
        case hit(variant: StoredVariant, headers: HTTPHeaders, head: SerializedHead, age: Int64, ttl: Int64,
                 refresh: (StoredRevision, conditionalHeaders: HTTPHeaders)?)
        /// Ask the origin with these conditional fields whether the stored response is still good
        /// (RFC 9111 §4.3.1); a 304 then freshens and serves it. With no fields (the stored response has no
        /// validator) the request is unconditional and the stored response only answers an origin failure
        /// under stale-if-error (RFC 5861 §4).
        case revalidate(StoredRevision, conditionalHeaders: HTTPHeaders)
        /// Go to the origin; the reason is reported in Cache-Status `fwd`.
        case forward(CacheStatus.ForwardReason)
        /// `only-if-cached` and nothing usable is stored (RFC 9111 §5.2.1.7).
        case gatewayTimeout
    }

    /// The primary cache key of a request (RFC 9111 §2): a pure function of the request, so any tier
    /// in front of or behind this one computes the same key.
    /// Nil when the request cannot be keyed or an override says to bypass the cache.
    func key(for request: HTTPRequestHead) -> String? {
        EffectiveURI(request: request, scheme: "http").flatMap(self.key(for:))
    }

    /// The primary cache key for a target URI, or nil if an override bypasses the cache for it.
    func key(for uri: EffectiveURI) -> String? {
        let rules = self.rules(for: uri)
        return rules.bypass ? nil : CacheKey.make(uri, configuration: rules.keys)
    }

    /// The policy and key configuration for `uri`, after the first matching override.
    func rules(for uri: EffectiveURI) -> EffectiveCachePolicy {
        EffectiveCachePolicy(policy: self.policy, keys: self.keys).resolved(for: uri, overrides: self.overrides)
    }

    /// The policy for a request's target (the global one when the target cannot be read).
    func policy(for request: HTTPRequestHead) -> PolicyConfiguration {
        guard !self.overrides.isEmpty, let uri = EffectiveURI(request: request, scheme: "http") else {
            return self.policy
        }
        return self.rules(for: uri).policy
    }

    /// A stored response being revalidated: the variant, its stored form and its reuse policy.
    struct StoredRevision {
        var variant: StoredVariant
        var stored: StoredResponse
        var reuse: ReusePolicy
        /// Why the origin is asked (Cache-Status `fwd`): `request` when the request's directives refused a fresh
        /// response, else `stale` (RFC 9211 §2.2).
        var forwardReason: CacheStatus.ForwardReason = .stale
    }

    /// Looks the request up (one read transaction, no write) and decides with `ServingDecision`.
    func lookup(_ request: HTTPRequestHead, key: String) -> Lookup {
        let onlyIfCached = CacheControl(request: request.headers).onlyIfCached
        let variants = (try? self.store.variants(forKey: key, includingHits: false)) ?? []
        guard !variants.isEmpty else { return onlyIfCached ? .gatewayTimeout : .forward(.uriMiss) }
        let now = Instant(milliseconds: self.clock())
        let policy = self.policy(for: request)
        if let (variant, decoded) = self.selectVariant(variants, for: request, policy: policy) {
            let stored = decoded.stored
            let headers = stored.headers
            let reuse = decoded.reuse
            let decision = ServingDecision.decide(policy: reuse, request: request, now: now)
            switch decision {
            case .fresh(let age), .stale(let age):
                return .hit(
                    variant: variant, headers: headers, head: decoded.head, age: age,
                    ttl: reuse.remainingFreshness(at: now), refresh: nil)
            case .gatewayTimeout:
                return .gatewayTimeout
            case .staleWhileRevalidate(let age, let conditional):
                let revision = StoredRevision(variant: variant, stored: stored, reuse: reuse)
                return .hit(
                    variant: variant, headers: headers, head: decoded.head, age: age,
                    ttl: reuse.remainingFreshness(at: now), refresh: (revision, conditional))
            case .revalidate(let conditional, _):
                return .revalidate(
                    StoredRevision(variant: variant, stored: stored, reuse: reuse,
                                   forwardReason: decision.forwardReason ?? .stale),
                    conditionalHeaders: conditional)
            case .miss(let reason) where reason.isCausedByRequest:
                return .forward(.request)
            case .miss:
                // Nothing to validate with: the request goes unconditionally, but the stored response stays at
                // hand, so that an origin failure can still be answered with it under stale-if-error (RFC 5861 §4).
                return .revalidate(
                    StoredRevision(variant: variant, stored: stored, reuse: reuse,
                                   forwardReason: decision.forwardReason ?? .stale),
                    conditionalHeaders: HTTPHeaders())
            }
        }
        return onlyIfCached ? .gatewayTimeout : .forward(.varyMiss)
    }

    /// The variant the request's Vary fields select, the most recent of several (RFC 9111 §4.1).
    private func selectVariant(
        _ variants: [StoredVariant], for request: HTTPRequestHead, policy: PolicyConfiguration
    ) -> (StoredVariant, DecodedVariants.Decoded)? {
        func decodeIfSelected(_ variant: StoredVariant) -> DecodedVariants.Decoded? {
            let decoded = self.decodedVariants.decode(variant, policy: policy)
            let storedKey = String(decoding: variant.secondaryKey, as: UTF8.self)
            return decoded.vary.matches(storedKey: storedKey, request: request.headers) ? decoded : nil
        }
        if variants.count == 1 {
            return decodeIfSelected(variants[0]).map { (variants[0], $0) }
        }
        let candidates = variants.compactMap { variant in decodeIfSelected(variant).map { (variant, $0) } }
        return Vary.mostRecentFirst(candidates.map(\.1.stored)).first.map { candidates[$0] }
    }

    /// Starts storing a response if RFC 9111 §3 allows it and its declared length fits; returns the
    /// reason otherwise.
    func beginFill(
        request: HTTPRequestHead,
        key: String,
        response: HTTPResponseHead,
        declaredLength: Int64? = nil,
        requestTime: Int64,
        responseTime: Int64
    ) -> Result<Fill, FillRefusal> {
        // The effective request URI matters only to a POST (is its response stored under its Content-Location?).
        let requestURI = request.method == .POST ? EffectiveURI(request: request, scheme: "http") : nil
        let decision = Storability.decide(
            request: request, requestURI: requestURI, response: response,
            requestTime: Instant(milliseconds: requestTime), responseTime: Instant(milliseconds: responseTime),
            configuration: self.policy(for: request))
        // Error statuses may be transient: they never make a key skip the coalescing queue.
        let stable = response.status.code < 500
        guard case .store(var headers) = decision else {
            guard case .doNotStore(let reason) = decision else { return .failure(FillRefusal(detail: "not-storable")) }
            return .failure(FillRefusal(detail: reason.rawValue, originRefused: stable && reason.isOriginsVerdict))
        }
        if let declaredLength, let limit = self.store.maxObjectBytes, declaredLength > limit {
            return .failure(FillRefusal(detail: "too-large", originRefused: stable))
        }
        guard let secondaryKey = Vary(response: headers).secondaryKey(for: request.headers) else {
            return .failure(FillRefusal(detail: "vary-star", originRefused: stable))
        }
        // Framing is Larder's own on every answer; what is stored is the message's content and metadata
        // (`Storability` already left out the hop-by-hop fields).
        headers.remove(name: "content-length")
        let metadata = ResponseMetadata(
            status: Int(response.status.code),
            headers: headers.map { HeaderField(name: $0.name, value: $0.value) },
            requestTime: requestTime, responseTime: responseTime)
        do {
            return .success(
                try self.store.beginFill(primaryKey: key, secondaryKey: Array(secondaryKey.utf8), metadata: metadata))
        } catch {
            return .failure(FillRefusal(detail: "store-error"))
        }
    }

    /// What a validation response means for the stored revision (RFC 9111 §4.3.3–4.3.4, RFC 5861 §4).
    enum ValidationResult {
        /// 304 matched: serve the stored body with these freshened fields and this Age; the store is updated.
        case freshened(headers: HTTPHeaders, age: Int64)
        /// The origin failed and `stale-if-error` allows the stored response: serve it as it is.
        case serveStale(age: Int64)
        /// Forward the origin's response (a full response replaces the stored one if storable).
        case forward
        /// A 304 that matches nothing stored: it cannot answer a client that sent no conditional.
        case unusable304
    }

    /// Decides what the origin's answer to a validation request means, and persists a freshening.
    ///
    /// `committed` runs (on the store's writer thread) once a freshening is durable, so that coalesced
    /// requests looking the entry up again see the new fields.
    func validated(
        _ revision: StoredRevision,
        request: HTTPRequestHead,
        response: HTTPResponseHead?,
        requestTime: Int64,
        committed: @escaping @Sendable () -> Void = {}
    ) -> ValidationResult {
        let now = self.clock()
        let policy = self.policy(for: request)
        let outcome = response.map { Validation.outcome(of: $0.status) } ?? .error
        switch outcome {
        case .notModified:
            guard let response,
                Validation.validates(revision.stored, notModified: response.headers)
            else { return .unusable304 }
            let freshened = Validation.freshen(
                revision.stored, with: response.headers, requestTime: Instant(milliseconds: requestTime),
                responseTime: Instant(milliseconds: now), configuration: policy)
            var metadata = revision.variant.metadata
            metadata.headers = freshened.headers.map { HeaderField(name: $0.name, value: $0.value) }
            metadata.requestTime = requestTime
            metadata.responseTime = now
            self.store.updateMetadata(of: revision.variant, to: metadata) { _ in committed() }
            let age = ReusePolicy(freshened, configuration: policy).currentAge(at: Instant(milliseconds: now))
            return .freshened(headers: freshened.headers, age: age)
        case .error:
            switch ServingDecision.onOriginError(
                policy: revision.reuse, request: request, now: Instant(milliseconds: now), configuration: policy)
            {
            case .serveStale(let age): return .serveStale(age: age)
            case .passError: return .forward
            }
        case .replaced:
            return .forward
        }
    }

    /// The fields and Age of a response still being stored, for a request that attaches to its fill,
    /// and its remaining freshness for Cache-Status `ttl`.
    func answer(from fill: StreamingFill) -> (headers: HTTPHeaders, age: Int64, ttl: Int64) {
        let metadata = fill.view.metadata
        let headers = HTTPHeaders(metadata.headers.map { ($0.name, $0.value) })
        let stored = StoredResponse(
            status: HTTPResponseStatus(statusCode: metadata.status), headers: headers,
            requestTime: Instant(milliseconds: metadata.requestTime),
            responseTime: Instant(milliseconds: metadata.responseTime))
        let reuse = ReusePolicy(stored, configuration: self.policy)
        let now = Instant(milliseconds: self.clock())
        return (headers, reuse.currentAge(at: now), reuse.remainingFreshness(at: now))
    }

    /// Why a response was not stored.
    struct FillRefusal: Error {
        /// For Cache-Status `detail`.
        var detail: String
        /// The origin's response itself rules storing out (not this request, not the store): the key
        /// may skip the coalescing queue for a while.
        var originRefused = false
    }

    /// After an unsafe method succeeded, purges the target and its same-origin Location and
    /// Content-Location (RFC 9111 §4.4). Asynchronous: the purge commits on the store's writer.
    func invalidate(after request: HTTPRequestHead, response: HTTPResponseHead) {
        guard let target = EffectiveURI(request: request, scheme: "http") else { return }
        let uris = Invalidation.urisToInvalidate(
            method: request.method, target: target, status: response.status, responseHeaders: response.headers)
        for uri in uris {
            self.store.purge(.key(CacheKey.make(uri, configuration: self.rules(for: uri).keys))) { _ in }
        }
    }
}

extension Instant {
    init(milliseconds: Int64) {
        self.init(secondsSinceEpoch: milliseconds / 1000)
    }
}

extension NotStorableReason {
    /// Whether the reason lies in the response alone, so any request for the key would get the same verdict.
    fileprivate var isOriginsVerdict: Bool {
        switch self {
        case .responseNoStore, .private, .varyAny, .noFreshnessInformation, .neverReusable, .mustUnderstand:
            true
        case .method, .headResponse, .postWithoutContentLocation, .nonFinalStatus, .incompleteResponse,
            .requestNoStore, .authorization:
            false
        }
    }
}
