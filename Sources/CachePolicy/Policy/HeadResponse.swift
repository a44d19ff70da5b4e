import NIOHTTP1

/// Answering `HEAD` from a stored `GET` response (RFC 9110 §9.3.2, RFC 9111 §4).
public enum HeadResponse {
    /// The header fields of a HEAD response made from a stored GET response: the same fields — including
    /// `Content-Length`, which states the size the GET would send (RFC 9110 §8.6) — and no content. The caller
    /// sends no body and adds `Age` and `Cache-Status` as for any cached answer.
    public static func headers(fromStoredGET stored: HTTPHeaders) -> HTTPHeaders {
        stored
    }
}
