import NIOHTTP1

/// A response as the cache holds it: its status, the header fields it stored, and the two instants the age
/// calculation needs (RFC 9111 §4.2.3) — when the request that produced it was sent and when the response arrived.
public struct StoredResponse: Equatable, Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    /// `request_time`: when the cache sent the request that got this response.
    public var requestTime: Instant
    /// `response_time`: when the cache received the response.
    public var responseTime: Instant

    public init(status: HTTPResponseStatus, headers: HTTPHeaders, requestTime: Instant, responseTime: Instant) {
        self.status = status
        self.headers = headers
        self.requestTime = requestTime
        self.responseTime = responseTime
    }
}
