import CachePolicy
import NIOHTTP1

/// The instant every table is written against ("now" of the conformance suite's `Date: 0`).
let t0 = Instant(secondsSinceEpoch: 1_700_000_000)

/// Header fields from pairs; a value written `@+N` or `@-N` becomes the HTTP-date `t0 + N` seconds, so tables
/// read like the conformance suite's relative dates.
func fields(_ pairs: [(String, String)]) -> HTTPHeaders {
    HTTPHeaders(pairs.map { name, value in (name, relativeDate(value) ?? value) })
}

/// `@+N` / `@-N` → IMF-fixdate of `t0 + N`.
func relativeDate(_ value: String) -> String? {
    guard value.hasPrefix("@"), let offset = Int64(value.dropFirst()) else {
        return nil
    }
    return HTTPDate.format(t0.adding(seconds: offset))
}

func request(
    _ method: HTTPMethod = .GET,
    _ pairs: [(String, String)] = [],
    uri: String = "/resource"
) -> HTTPRequestHead {
    HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: fields(pairs))
}

func response(_ status: HTTPResponseStatus = .ok, _ pairs: [(String, String)] = []) -> HTTPResponseHead {
    HTTPResponseHead(version: .http1_1, status: status, headers: fields(pairs))
}

/// A stored response received at `t0` for a request sent at `t0` (no response delay) unless told otherwise.
func stored(
    _ pairs: [(String, String)],
    status: HTTPResponseStatus = .ok,
    requestTime: Instant = t0,
    responseTime: Instant = t0
) -> StoredResponse {
    StoredResponse(status: status, headers: fields(pairs), requestTime: requestTime, responseTime: responseTime)
}

func policy(
    _ pairs: [(String, String)],
    status: HTTPResponseStatus = .ok,
    configuration: PolicyConfiguration = PolicyConfiguration()
) -> ReusePolicy {
    ReusePolicy(stored(pairs, status: status), configuration: configuration)
}

/// `t0 + seconds`.
func at(_ seconds: Int64) -> Instant { t0.adding(seconds: seconds) }

/// Builds an expected `CacheControl` from the empty one.
func directives(_ build: (inout CacheControl) -> Void = { _ in }) -> CacheControl {
    var value = CacheControl()
    build(&value)
    return value
}

/// Every flag directive of a response, set.
let everyFlag = directives {
    $0.mustRevalidate = true
    $0.proxyRevalidate = true
    $0.public = true
    $0.mustUnderstand = true
    $0.immutable = true
    $0.noTransform = true
}

/// The reverse-mode configuration: the targeted field is obeyed.
let reverse = PolicyConfiguration(honoursTargetedField: true)

extension HTTPHeaders {
    /// Pairs in order, for exact comparisons where `==` would ignore order.
    var pairs: [String] { self.map { "\($0.name): \($0.value)" } }
}
