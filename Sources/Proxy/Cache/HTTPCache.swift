import CachePolicy
import CacheStore
import HTTPRules
import NIOHTTP1
import Synchronization

/// The cache as the request pipeline sees it: keys, lookups and fills over the ``CacheStore``, every
/// decision taken by the pure functions of `CachePolicy`.
///
/// Sendable and lock-free: the store does its own synchronisation, and the methods here only read.
/// Time comes from the injected clock (milliseconds since the epoch), so tests can move it.
final class HTTPCache: Sendable {
    let store: CacheStore
    let policy: PolicyConfiguration
    let keys: CacheKeyConfiguration
    let clock: @Sendable () -> Int64
    /// Keys with a background revalidation in flight (one at a time per key, RFC 5861 §3).
    private let refreshing = Mutex<Set<String>>([])

    init(store: CacheStore, policy: PolicyConfiguration, keys: CacheKeyConfiguration,
         clock: @escaping @Sendable () -> Int64) {
        self.store = store
        self.policy = policy
        self.keys = keys
        self.clock = clock
    }

    /// What a lookup found for a request.
    enum Lookup {
        /// Serve this stored response: `headers` are its stored fields, `age` the Age value, `ttl` the
        /// remaining freshness (negative when serving stale). With `refresh`, the response is stale within
        /// its stale-while-revalidate window: revalidate it in the background with these fields.
        case hit(variant: StoredVariant, headers: HTTPHeaders, age: Int64, ttl: Int64,
                 refresh: (StoredRevision, conditionalHeaders: HTTPHeaders)?)
        /// Ask the origin with these conditional fields whether the stored response is still good
        /// (RFC 9111 §4.3.1); a 304 then freshens and serves it.
        case revalidate(StoredRevision, conditionalHeaders: HTTPHeaders)
        /// Go to the origin; the reason is reported in Cache-Status `fwd`.
        case forward(CacheStatus.ForwardReason)
        /// `only-if-cached` and nothing usable is stored (RFC 9111 §5.2.1.7).
        case gatewayTimeout
    }

    /// The primary cache key of a request (RFC 9111 §2): a pure function of the request, so any tier
    /// in front of or behind this one computes the same key.
    func key(for request: HTTPRequestHead) -> String? {
        EffectiveURI(request: request, scheme: "http").map { CacheKey.make($0, configuration: self.keys) }
    }

    /// A stored response being revalidated: the variant, its stored form and its reuse policy.
    struct StoredRevision {
        var variant: StoredVariant
        var stored: StoredResponse
        var reuse: ReusePolicy
    }

    /// Looks the request up (one read transaction, no write) and decides with `ServingDecision`.
    func lookup(_ request: HTTPRequestHead, key: String) -> Lookup {
        let onlyIfCached = CacheControl(request: request.headers).onlyIfCached
        let variants = (try? self.store.variants(forKey: key)) ?? []
        guard !variants.isEmpty else { return onlyIfCached ? .gatewayTimeout : .forward(.uriMiss) }
        let now = Instant(milliseconds: self.clock())
        for variant in variants {
            let headers = HTTPHeaders(variant.metadata.headers.map { ($0.name, $0.value) })
            let vary = Vary(response: headers)
            guard vary.matches(storedKey: String(decoding: variant.secondaryKey, as: UTF8.self), request: request.headers)
            else { continue }
            let stored = StoredResponse(
                status: HTTPResponseStatus(statusCode: variant.metadata.status), headers: headers,
                requestTime: Instant(milliseconds: variant.metadata.requestTime),
                responseTime: Instant(milliseconds: variant.metadata.responseTime))
            let reuse = ReusePolicy(stored, configuration: self.policy)
            switch ServingDecision.decide(policy: reuse, request: request, now: now) {
            case .fresh(let age), .stale(let age):
                return .hit(
                    variant: variant, headers: headers, age: age, ttl: reuse.remainingFreshness(at: now), refresh: nil)
            case .gatewayTimeout:
                return .gatewayTimeout
            case .staleWhileRevalidate(let age, let conditional):
                let revision = StoredRevision(variant: variant, stored: stored, reuse: reuse)
                return .hit(
                    variant: variant, headers: headers, age: age, ttl: reuse.remainingFreshness(at: now),
                    refresh: (revision, conditional))
            case .revalidate(let conditional, _):
                guard !conditional.isEmpty else { return .forward(.stale) }
                return .revalidate(StoredRevision(variant: variant, stored: stored, reuse: reuse),
                                   conditionalHeaders: conditional)
            case .miss:
                return onlyIfCached ? .gatewayTimeout : .forward(.stale)
            }
        }
        return onlyIfCached ? .gatewayTimeout : .forward(.varyMiss)
    }

    /// Starts storing a response if RFC 9111 §3 allows it; returns nil (with the reason) otherwise.
    func beginFill(
        request: HTTPRequestHead,
        key: String,
        response: HTTPResponseHead,
        requestTime: Int64,
        responseTime: Int64
    ) -> Result<Fill, FillRefusal> {
        let decision = Storability.decide(
            request: request, requestURI: EffectiveURI(request: request, scheme: "http"), response: response,
            requestTime: Instant(milliseconds: requestTime), responseTime: Instant(milliseconds: responseTime),
            configuration: self.policy)
        guard case .store(var headers) = decision else {
            if case .doNotStore(let reason) = decision { return .failure(FillRefusal(detail: reason.rawValue)) }
            return .failure(FillRefusal(detail: "not-storable"))
        }
        guard let secondaryKey = Vary(response: headers).secondaryKey(for: request.headers) else {
            return .failure(FillRefusal(detail: "vary-star"))
        }
        // Framing is Larder's own on every answer; what is stored is the message's content and metadata.
        headers.removeHopByHop()
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
    func validated(
        _ revision: StoredRevision,
        request: HTTPRequestHead,
        response: HTTPResponseHead?,
        requestTime: Int64
    ) -> ValidationResult {
        let now = self.clock()
        let outcome = response.map { Validation.outcome(of: $0.status) } ?? .error
        switch outcome {
        case .notModified:
            guard let response,
                !Validation.selectStoredResponses(for: response.headers, among: [revision.stored]).isEmpty
            else { return .unusable304 }
            let freshened = Validation.freshen(
                revision.stored, with: response.headers, requestTime: Instant(milliseconds: requestTime),
                responseTime: Instant(milliseconds: now), configuration: self.policy)
            var metadata = revision.variant.metadata
            metadata.headers = freshened.headers.map { HeaderField(name: $0.name, value: $0.value) }
            metadata.requestTime = requestTime
            metadata.responseTime = now
            self.store.updateMetadata(of: revision.variant, to: metadata) { _ in }
            let age = ReusePolicy(freshened, configuration: self.policy).currentAge(at: Instant(milliseconds: now))
            return .freshened(headers: freshened.headers, age: age)
        case .error:
            switch ServingDecision.onOriginError(
                policy: revision.reuse, request: request, now: Instant(milliseconds: now), configuration: self.policy)
            {
            case .serveStale(let age): return .serveStale(age: age)
            case .passError: return .forward
            }
        case .replaced:
            return .forward
        }
    }

    /// Claims the background revalidation of `key`; false when one is already in flight.
    func beginRefresh(_ key: String) -> Bool {
        self.refreshing.withLock { $0.insert(key).inserted }
    }

    func endRefresh(_ key: String) {
        _ = self.refreshing.withLock { $0.remove(key) }
    }

    /// Why a response was not stored, for Cache-Status `detail`.
    struct FillRefusal: Error {
        var detail: String
    }

    /// After an unsafe method succeeded, purges the target and its same-origin Location and
    /// Content-Location (RFC 9111 §4.4). Asynchronous: the purge commits on the store's writer.
    func invalidate(after request: HTTPRequestHead, response: HTTPResponseHead) {
        guard let target = EffectiveURI(request: request, scheme: "http") else { return }
        let uris = Invalidation.urisToInvalidate(
            method: request.method, target: target, status: response.status, responseHeaders: response.headers)
        for uri in uris {
            self.store.purge(.key(CacheKey.make(uri, configuration: self.keys))) { _ in }
        }
    }
}

extension Instant {
    init(milliseconds: Int64) {
        self.init(secondsSinceEpoch: milliseconds / 1000)
    }
}
