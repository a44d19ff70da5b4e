import HTTPRules
import NIOHTTP1

/// Whether a response may be stored by a shared cache, and in what form (RFC 9111 §3).
public enum StorageDecision: Equatable, Sendable {
    /// Store the response with these header fields (see `Storability.headersToStore`).
    case store(headers: HTTPHeaders)
    /// Do not store; the reason is for logs and `Cache-Status` details.
    case doNotStore(NotStorableReason)
}

/// Why a response is not stored. The raw value is a token fit for a `Cache-Status` `detail`.
public enum NotStorableReason: String, Hashable, Sendable {
    /// The method is not one whose responses Larder stores (GET; POST only as below) (§3).
    case method
    /// A response to HEAD has no content to store; it can only freshen a stored GET response (§4.3.5).
    case headResponse = "head-response"
    /// A POST response without explicit freshness and a `Content-Location` equal to the target URI (RFC 9110 §9.3.3).
    case postWithoutContentLocation = "post-without-content-location"
    /// 1xx: not a final response (§3).
    case nonFinalStatus = "non-final-status"
    /// 304 and 206: Larder stores only complete responses (§3.3, §3.4 are not implemented).
    case incompleteResponse = "incomplete-response"
    /// `must-understand` with a status code whose caching rules Larder does not implement (§5.2.2.3).
    case mustUnderstand = "must-understand"
    /// `no-store` in the request (§5.2.1.5).
    case requestNoStore = "request-no-store"
    /// `no-store` in the response (§5.2.2.5).
    case responseNoStore = "response-no-store"
    /// Unqualified `private` in a shared cache (§5.2.2.7).
    case `private`
    /// The request carried `Authorization` and the response did not allow shared caching (§3.5).
    case authorization
    /// `Vary: *` can never match a later request (§4.1).
    case varyAny = "vary-any"
    /// No explicit expiration and a status code that is not heuristically cacheable (§3, §4.2.2).
    case noFreshnessInformation = "no-freshness-information"
    /// Stale on arrival, with nothing to validate it with and no stale-serving window: it could never be reused.
    case neverReusable = "never-reusable"
}

/// The storing rules of a shared cache (RFC 9111 §3).
public enum Storability {
    /// Header fields Larder never stores, so they are never served to another client: a cookie set by the origin
    /// is meant for the client whose request caused it (its own response still carries it).
    public static let unsharedFieldNames = ["set-cookie", "set-cookie2"]

    /// Decides whether a response may be stored (RFC 9111 §3), checking in this order:
    /// 1. the method: GET; POST only with explicit freshness and a `Content-Location` that resolves to the effective
    ///    request URI (RFC 9110 §9.3.3), so it can answer a later GET; HEAD responses are not stored;
    /// 2. a final status, and a complete one (not 206, not 304);
    /// 3. `must-understand` with a status code Larder understands (then `no-store` is ignored, §5.2.2.3);
    /// 4. `no-store` in request or response; unqualified `private` (shared cache);
    /// 5. `Authorization` in the request only with `public`, `s-maxage` or `must-revalidate` (§3.5);
    /// 6. not `Vary: *`;
    /// 7. explicit expiration (`max-age`, `s-maxage`, `Expires`), `public` (or `private` in a private cache), or a
    ///    heuristically cacheable status;
    /// 8. the response must be reusable at all: fresh on arrival, or validatable (`ETag` / `Last-Modified`), or
    ///    carrying a `stale-while-revalidate` / `stale-if-error` window.
    ///
    /// `requestURI` is needed only to accept POST responses; without it POST is never stored.
    public static func decide(
        request: HTTPRequestHead,
        requestURI: EffectiveURI?,
        response: HTTPResponseHead,
        requestTime: Instant,
        responseTime: Instant,
        configuration: PolicyConfiguration
    ) -> StorageDecision {
        let directives = ResponseDirectives(response: response.headers, configuration: configuration)
        let cacheControl = directives.cacheControl
        let explicit = Freshness.hasExplicitExpiration(
            headers: response.headers, directives: directives, configuration: configuration)
        if let reason = Self.methodRejection(request, requestURI, response.headers, explicit: explicit) {
            return .doNotStore(reason)
        }
        let code = response.status.code
        guard code >= 200 else { return .doNotStore(.nonFinalStatus) }
        guard code != 206 && code != 304 else { return .doNotStore(.incompleteResponse) }
        if cacheControl.mustUnderstand {
            guard Self.understoodStatusCodes.contains(code) else { return .doNotStore(.mustUnderstand) }
        } else if cacheControl.noStore {
            return .doNotStore(.responseNoStore)
        }
        guard !CacheControl(request: request.headers).noStore else { return .doNotStore(.requestNoStore) }
        if configuration.isShared, cacheControl.private == .whole { return .doNotStore(.private) }
        if configuration.isShared, request.headers.contains(name: "authorization"),
            !(cacheControl.public || cacheControl.sharedMaxAge != nil || cacheControl.mustRevalidate)
        {
            return .doNotStore(.authorization)
        }
        if Vary(response: response.headers) == .any { return .doNotStore(.varyAny) }
        let markedCacheable = cacheControl.public || (!configuration.isShared && cacheControl.private != nil)
        guard explicit || markedCacheable || Freshness.isHeuristicallyCacheable(response.status) else {
            return .doNotStore(.noFreshnessInformation)
        }
        let stored = StoredResponse(
            status: response.status,
            headers: Self.headersToStore(
                response.headers, responseTime: responseTime, cacheControl: cacheControl, configuration: configuration),
            requestTime: requestTime,
            responseTime: responseTime
        )
        // The directives are parsed once: the stored fields still carry them unless `Connection` or a qualified
        // `no-cache` / `private` named the field they came from, and then they are read again from what is stored.
        // The validators are read only for a response that is not fresh on arrival.
        let source = directives.source.fieldName
        let keepsDirectives = stored.headers.contains(name: source) == response.headers.contains(name: source)
        func reusePolicy(readingValidators: Bool) -> ReusePolicy {
            keepsDirectives
                ? ReusePolicy(stored, directives: directives, configuration: configuration,
                              readingValidators: readingValidators)
                : ReusePolicy(stored, configuration: configuration)
        }
        let policy = reusePolicy(readingValidators: false)
        guard policy.remainingFreshness(at: responseTime) > 0
            || policy.staleWhileRevalidate != nil || policy.staleIfError != nil
            || configuration.defaultStaleIfError != nil || reusePolicy(readingValidators: true).hasValidator
        else { return .doNotStore(.neverReusable) }
        return .store(headers: stored.headers)
    }

    /// The header fields to keep with a stored response (RFC 9111 §3.1, §3.2, §5.2.2.4, §5.2.2.7): everything
    /// except hop-by-hop fields and the fields `Connection` names (RFC 9110 §7.6.1), the fields a qualified
    /// `no-cache` or (shared cache) `private` lists, and `Set-Cookie` (`unsharedFieldNames`). A `Date` is added
    /// when the response has none (RFC 9110 §6.6.1).
    public static func headersToStore(
        _ headers: HTTPHeaders,
        responseTime: Instant,
        configuration: PolicyConfiguration
    ) -> HTTPHeaders {
        let cacheControl = ResponseDirectives(response: headers, configuration: configuration).cacheControl
        return Self.headersToStore(headers, responseTime: responseTime, cacheControl: cacheControl,
                                   configuration: configuration)
    }

    /// `headersToStore(_:responseTime:configuration:)` with the response's governing directives already parsed.
    static func headersToStore(
        _ headers: HTTPHeaders,
        responseTime: Instant,
        cacheControl: CacheControl,
        configuration: PolicyConfiguration
    ) -> HTTPHeaders {
        var stored = headers
        let excluded = Self.excludedFieldNames(cacheControl: cacheControl, configuration: configuration)
        stored.removeHopByHop(alsoRemoving: excluded)
        if !stored.contains(name: "date") {
            stored.add(name: "Date", value: HTTPDate.format(responseTime))
        }
        return stored
    }

    /// Fields of this response that are never stored: `unsharedFieldNames` and the qualified `no-cache` and
    /// `private` lists.
    static func excludedFieldNames(_ headers: HTTPHeaders, configuration: PolicyConfiguration) -> [String] {
        let cacheControl = ResponseDirectives(response: headers, configuration: configuration).cacheControl
        return Self.excludedFieldNames(cacheControl: cacheControl, configuration: configuration)
    }

    private static func excludedFieldNames(cacheControl: CacheControl, configuration: PolicyConfiguration) -> [String] {
        var names = Self.unsharedFieldNames
        if case .fields(let listed) = cacheControl.noCache { names += listed }
        if configuration.isShared, case .fields(let listed) = cacheControl.private { names += listed }
        return names
    }

    /// Final status codes whose caching rules Larder implements, for `must-understand` (RFC 9111 §5.2.2.3): the
    /// codes defined by RFC 9110 §15, less 206 and 304 (not stored) and the obsolete 305 and 306.
    public static let understoodStatusCodes: Set<UInt> = [
        200, 201, 202, 203, 204, 205, 300, 301, 302, 303, 307, 308,
        400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 426,
        500, 501, 502, 503, 504, 505,
    ]

    private static func methodRejection(
        _ request: HTTPRequestHead,
        _ requestURI: EffectiveURI?,
        _ responseHeaders: HTTPHeaders,
        explicit: Bool
    ) -> NotStorableReason? {
        switch request.method {
        case .GET:
            return nil
        case .HEAD:
            return .headResponse
        case .POST:
            guard explicit, let requestURI, let location = responseHeaders["content-location"].first,
                let contentLocation = requestURI.resolving(location),
                CacheKey.make(contentLocation) == CacheKey.make(requestURI)
            else { return .postWithoutContentLocation }
            return nil
        default:
            return .method
        }
    }
}
