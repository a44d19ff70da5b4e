import NIOHTTP1

/// The result of evaluating a client's preconditions against a stored response.
public enum ConditionalOutcome: Equatable, Sendable {
    /// No precondition stops the request: serve the stored response (ranges may still apply).
    case proceed
    /// Answer 304 with these header fields (RFC 9110 §15.4.5).
    case notModified(headers: HTTPHeaders)
    /// Answer 412 (RFC 9110 §15.5.13).
    case preconditionFailed
}

/// Client preconditions answered from a stored response (RFC 9110 §13.1–13.2, RFC 9111 §4.3.2).
public enum Conditionals {
    /// Evaluates the request's preconditions against a stored response that the cache is about to serve, in the
    /// order of RFC 9110 §13.2.2:
    /// 1. `If-Match` (strong comparison; `*` matches) false → 412;
    /// 2. without `If-Match`, `If-Unmodified-Since` (valid date, and the stored response has `Last-Modified`) with a
    ///    later modification → 412;
    /// 3. `If-None-Match` (weak comparison; `*` matches) true → 304 for GET and HEAD, 412 otherwise;
    /// 4. without `If-None-Match`, for GET and HEAD, `If-Modified-Since` with a valid date not earlier than the
    ///    stored `Last-Modified` — or, without one, the stored `Date`, or the response time (RFC 9111 §4.3.2)
    ///    → 304.
    /// Preconditions are ignored when the stored response is not a 2xx (RFC 9110 §13.2.1). `If-Range` is left to
    /// `Ranges.plan`.
    /// Whether the request carries any of the preconditions evaluated here: one pass over the fields, and
    /// only names starting with "i" are compared (most requests carry none, and this runs on every hit).
    private static func hasConditions(_ headers: HTTPHeaders) -> Bool {
        for (name, _) in headers where name.utf8.first.map({ $0 | 0x20 == UInt8(ascii: "i") }) == true {
            switch name.lowercased() {
            case "if-match", "if-none-match", "if-modified-since", "if-unmodified-since": return true
            default: continue
            }
        }
        return false
    }

    public static func evaluate(request: HTTPRequestHead, stored: StoredResponse) -> ConditionalOutcome {
        guard (200..<300).contains(stored.status.code), Self.hasConditions(request.headers) else { return .proceed }
        let headers = request.headers
        let now = stored.responseTime
        let storedTag = EntityTag(headers: stored.headers)
        let lastModified = HTTPDate.field("last-modified", in: stored.headers, now: now)
        let isRetrieval = request.method == .GET || request.method == .HEAD

        if let condition = EntityTagCondition(headers, field: "if-match") {
            guard condition.matches(storedTag, weakly: false) else { return .preconditionFailed }
        } else if let date = HTTPDate.field("if-unmodified-since", in: headers, now: now), let lastModified,
            lastModified > date
        {
            return .preconditionFailed
        }

        if let condition = EntityTagCondition(headers, field: "if-none-match") {
            guard condition.matches(storedTag, weakly: true) else { return .proceed }
            guard isRetrieval else { return .preconditionFailed }
            return .notModified(headers: Self.notModifiedHeaders(from: stored.headers))
        }
        if isRetrieval, let date = HTTPDate.field("if-modified-since", in: headers, now: now) {
            let modified = lastModified ?? AgeCalculation.dateValue(stored.headers, now: now) ?? stored.responseTime
            if modified <= date { return .notModified(headers: Self.notModifiedHeaders(from: stored.headers)) }
        }
        return .proceed
    }

    /// The header fields of a 304 generated from a stored response (RFC 9110 §15.4.5): those a 200 would carry among
    /// `Cache-Control`, `Content-Location`, `Date`, `ETag`, `Expires` and `Vary`, plus `Last-Modified` when there is
    /// no `ETag` (it guides cache updates then). The caller adds `Age` and `Cache-Status`.
    public static func notModifiedHeaders(from stored: HTTPHeaders) -> HTTPHeaders {
        var names = ["cache-control", "content-location", "date", "etag", "expires", "vary"]
        if !stored.contains(name: "etag") { names.append("last-modified") }
        return HTTPHeaders(stored.filter { names.contains($0.name.lowercased()) })
    }
}
