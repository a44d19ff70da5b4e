/// One header field as received, in order.
public struct HeaderField: Sendable, Hashable {
    /// The field name as received.
    public var name: String
    /// The field value as received.
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// The stored part of a response besides its body: what the caller hands to
/// ``CacheStore/beginFill(primaryKey:secondaryKey:metadata:)``.
///
/// Times come from the caller (milliseconds since the Unix epoch); the store never reads a clock.
public struct ResponseMetadata: Sendable, Hashable {
    /// The status code (100–999).
    public var status: Int
    /// Header fields in the order received.
    public var headers: [HeaderField]
    /// When the request that produced this response was sent (RFC 9111 §4.2.3 `request_time`).
    public var requestTime: Int64
    /// When the response was received (RFC 9111 §4.2.3 `response_time`).
    public var responseTime: Int64
    /// Caller-owned bytes stored with the record, e.g. precomputed policy fields
    /// (fresh-until, stale windows), so a hit need not re-parse headers. The store does not read them.
    public var annotation: [UInt8]

    public init(
        status: Int,
        headers: [HeaderField],
        requestTime: Int64,
        responseTime: Int64,
        annotation: [UInt8] = []
    ) {
        self.status = status
        self.headers = headers
        self.requestTime = requestTime
        self.responseTime = responseTime
        self.annotation = annotation
    }
}
