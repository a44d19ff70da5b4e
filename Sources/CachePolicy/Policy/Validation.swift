import HTTPRules
import NIOHTTP1

/// What to do with the response to a request that revalidated stored responses (RFC 9111 §4.3.3).
public enum RevalidationOutcome: Hashable, Sendable {
    /// 304: freshen the selected stored responses (`Validation.selectStoredResponses`, `Validation.freshen`) and
    /// serve one of them.
    case notModified
    /// A 5xx error (500, 502, 503, 504 — RFC 5861 §4): the caller may serve stale if
    /// `ServingDecision.onOriginError` allows, else forwards this response.
    case error
    /// Any other full response: it replaces the stored one (store it if `Storability` allows) and is forwarded.
    case replaced
}

/// What a `200` response to a `HEAD` request means for a stored GET response (RFC 9111 §4.3.5).
public enum HEADFreshening: Equatable, Sendable {
    /// The validators and length agree: the stored response is updated with the HEAD response's fields.
    case updated(StoredResponse)
    /// They disagree: the stored response is to be treated as stale.
    case stale
}

/// Validation of stored responses with the origin (RFC 9111 §4.3).
public enum Validation {
    /// The fields of a conditional request validating `stored` (RFC 9111 §4.3.1): `If-None-Match` with every
    /// stored entity tag, strong or weak; `If-Modified-Since` with the stored `Last-Modified` when exactly one
    /// response is being validated. Empty when there is nothing to validate with — the request then goes
    /// unconditionally. The `Date` of a response without `Last-Modified` is not sent as `If-Modified-Since`: origins
    /// that do not give a modification time rarely compare one, and some compare it loosely.
    public static func conditionalHeaders(for stored: [ReusePolicy]) -> HTTPHeaders {
        var headers = HTTPHeaders()
        var tags: [String] = []
        for policy in stored {
            if let tag = policy.entityTag?.description, !tags.contains(tag) { tags.append(tag) }
        }
        if !tags.isEmpty {
            headers.add(name: "If-None-Match", value: tags.joined(separator: ", "))
        }
        if stored.count == 1, let lastModified = stored[0].lastModified {
            headers.add(name: "If-Modified-Since", value: lastModified)
        }
        return headers
    }

    /// Classifies the response to a validation request (RFC 9111 §4.3.3; errors per RFC 5861 §4).
    public static func outcome(of status: HTTPResponseStatus) -> RevalidationOutcome {
        switch status.code {
        case 304: return .notModified
        case 500, 502, 503, 504: return .error
        default: return .replaced
        }
    }

    /// Which stored responses a 304 refers to (RFC 9111 §4.3.4), as indices into `stored`:
    /// - a strong `ETag` in the 304 selects every stored response with the same strong tag;
    /// - else a weak `ETag`, or a `Last-Modified`, selects the most recent (by response time) stored response whose
    ///   tag matches weakly, or whose `Last-Modified` is the same instant;
    /// - else, with no validator in the 304, the only stored response is selected if it has no validator either.
    /// An empty result means the 304 cannot be used: the caller repeats the request unconditionally.
    public static func selectStoredResponses(for notModified: HTTPHeaders, among stored: [StoredResponse]) -> [Int] {
        let tag = EntityTag(headers: notModified)
        if let tag, !tag.isWeak {
            return stored.indices.filter { EntityTag(headers: stored[$0].headers).map(tag.matchesStrongly) ?? false }
        }
        let lastModified = Self.lastModified(notModified)
        if tag != nil || lastModified != nil {
            let matching = stored.indices.filter { index in
                let candidate = stored[index].headers
                if let tag { return EntityTag(headers: candidate).map(tag.matchesWeakly) ?? false }
                return Self.lastModified(candidate) == lastModified
            }
            return matching.max { stored[$0].responseTime < stored[$1].responseTime }.map { [$0] } ?? []
        }
        guard stored.count == 1, EntityTag(headers: stored[0].headers) == nil,
            Self.lastModified(stored[0].headers) == nil
        else { return [] }
        return [0]
    }

    /// Whether a 304 answering the conditional request this cache generated from `validated` may update it.
    ///
    /// The §4.3.4 selection, except that a 304 carrying no validator at all selects the response the
    /// conditional was made from even when that response has one: RFC 9110 §15.4.5 does not require
    /// `Last-Modified` in a 304, so an origin validating an `If-Modified-Since` built from the stored
    /// `Last-Modified` (Python's `http.server`, many static servers) sends none, and the letter of §4.3.4
    /// would make the cache ask again unconditionally every time. A 304 with a different validator still
    /// selects nothing.
    public static func validates(_ validated: StoredResponse, notModified: HTTPHeaders) -> Bool {
        if !Self.selectStoredResponses(for: notModified, among: [validated]).isEmpty { return true }
        return EntityTag(headers: notModified) == nil && Self.lastModified(notModified) == nil
    }

    /// Header fields of a stored response that an update never replaces: `Content-Length` (RFC 9111 §3.2) and the
    /// fields the stored content depends on — its `Content-Encoding` and `Content-Range`, which describe the bytes
    /// Larder holds — besides hop-by-hop fields and fields Larder never stores.
    public static let fieldsKeptOnUpdate = ["content-length", "content-encoding", "content-range"]

    /// Freshens a stored response with a 304 (RFC 9111 §4.3.4) or another response carrying new metadata
    /// (§3.2): each field present in `update` replaces every line of that field in the stored response, except the
    /// `fieldsKeptOnUpdate`, hop-by-hop fields, and fields that are never stored (`Set-Cookie`, fields listed by a
    /// qualified `no-cache` or `private`). `Age` is replaced or removed, because the stored response's age now
    /// starts from the update; a `Date` is added from `responseTime` when the update has none (RFC 9110 §6.6.1).
    /// The request and response times become those of the update.
    public static func freshen(
        _ stored: StoredResponse,
        with update: HTTPHeaders,
        requestTime: Instant,
        responseTime: Instant,
        configuration: PolicyConfiguration
    ) -> StoredResponse {
        var incoming = update
        incoming.removeHopByHop()
        let excluded = Set(Self.fieldsKeptOnUpdate + Storability.unsharedFieldNames)
        var merged = stored.headers
        merged.remove(name: "age")
        var replaced: Set<String> = []
        for (name, _) in incoming {
            let lowercased = name.lowercased()
            guard !excluded.contains(lowercased), replaced.insert(lowercased).inserted else { continue }
            merged.remove(name: lowercased)
            for value in incoming[lowercased] { merged.add(name: name, value: value) }
        }
        if !incoming.contains(name: "date") {
            merged.replaceOrAdd(name: "Date", value: HTTPDate.format(responseTime))
        }
        for name in Storability.excludedFieldNames(merged, configuration: configuration) {
            merged.remove(name: name)
        }
        return StoredResponse(
            status: stored.status, headers: merged, requestTime: requestTime, responseTime: responseTime)
    }

    /// Uses a `200` response to a `HEAD` request to update or invalidate a stored GET response (RFC 9111 §4.3.5):
    /// when every validator the HEAD response carries (`ETag`, `Last-Modified`) and its `Content-Length`, if any,
    /// equal the stored ones, the stored response is freshened with the HEAD response's fields; otherwise it is stale.
    public static func freshen(
        _ stored: StoredResponse,
        withHEAD response: HTTPResponseHead,
        requestTime: Instant,
        responseTime: Instant,
        configuration: PolicyConfiguration
    ) -> HEADFreshening {
        let head = response.headers
        let agrees =
            response.status == .ok
            && (!head.contains(name: "etag") || EntityTag(headers: head) == EntityTag(headers: stored.headers))
            && (!head.contains(name: "last-modified") || Self.lastModified(head) == Self.lastModified(stored.headers))
            && (!head.contains(name: "content-length") || head["content-length"] == stored.headers["content-length"])
        guard agrees else { return .stale }
        return .updated(
            Self.freshen(
                stored, with: head, requestTime: requestTime, responseTime: responseTime, configuration: configuration))
    }

    /// `Last-Modified` as an instant, for equality tests between two responses (both read the same way).
    static func lastModified(_ headers: HTTPHeaders) -> Instant? {
        HTTPDate.field("last-modified", in: headers, now: Instant(secondsSinceEpoch: 0))
    }
}
