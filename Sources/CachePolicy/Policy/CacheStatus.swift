import NIOCore
import NIOHTTP1

/// One cache's entry in the `Cache-Status` response field (RFC 9211).
///
/// Serialised as an RFC 8941 List member: the cache name as an sf-token when it is one (else an sf-string),
/// then parameters in the order `hit`, `fwd`, `fwd-status`, `ttl`, `stored`, `collapsed`, `key`, `detail`.
/// Boolean parameters appear bare when true and not at all when false; `key` is always an sf-string, `detail` a
/// token when it can be.
public struct CacheStatus: Hashable, Sendable, CustomStringConvertible {
    /// Why the request went forward (RFC 9211 §2.2).
    public enum ForwardReason: String, Hashable, Sendable {
        /// The cache was configured not to handle this request.
        case bypass
        /// The request method's semantics require forwarding.
        case method
        /// No stored response for the URI.
        case uriMiss = "uri-miss"
        /// Stored responses for the URI, none matching the request's `Vary` fields.
        case varyMiss = "vary-miss"
        /// No usable stored response (when uri-miss and vary-miss cannot be told apart).
        case miss
        /// A fresh response was stored but the request's directives did not allow its use.
        case request
        /// The stored response was stale (or needed validation).
        case stale
        /// A partial stored response did not cover the request.
        case partial
    }

    public var cacheName: String
    /// The request was satisfied by the cache (RFC 9211 §2.1).
    public var hit: Bool
    public var forward: ForwardReason?
    /// The status code of the forwarded request's response (RFC 9211 §2.3).
    public var forwardStatus: Int?
    /// Remaining freshness in seconds; negative when stale (RFC 9211 §2.4).
    public var ttl: Int64?
    /// The response was stored (RFC 9211 §2.5).
    public var stored: Bool
    /// The request was collapsed with another one (RFC 9211 §2.6).
    public var collapsed: Bool
    /// The cache key, only when the operator asks for it (RFC 9211 §2.7).
    public var key: String?
    /// Free-form detail: a `NotStorableReason`, a revalidation reason… (RFC 9211 §2.8).
    public var detail: String?

    public init(
        cacheName: String = "larder",
        hit: Bool = false,
        forward: ForwardReason? = nil,
        forwardStatus: Int? = nil,
        ttl: Int64? = nil,
        stored: Bool = false,
        collapsed: Bool = false,
        key: String? = nil,
        detail: String? = nil
    ) {
        self.cacheName = cacheName
        self.hit = hit
        self.forward = forward
        self.forwardStatus = forwardStatus
        self.ttl = ttl
        self.stored = stored
        self.collapsed = collapsed
        self.key = key
        self.detail = detail
    }

    /// The serialised list member, e.g. `larder; hit; ttl=376` or `larder; fwd=uri-miss; fwd-status=200; stored`.
    public var fieldValue: String {
        var bytes: [UInt8] = []  // appended as bytes: a String's own appends cost several times more
        bytes.reserveCapacity(64 + (self.key?.utf8.count ?? 0))
        self.writeMembers(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes a Cache-Status list: the members of caches nearer the origin (`existing`, as received) first,
    /// then `own`, the member nearest the user (RFC 9211 §2).
    public static func writeList(_ existing: [String], then own: CacheStatus?, to buffer: inout ByteBuffer) {
        for (index, member) in existing.enumerated() {
            if index > 0 { buffer.writeStaticString(", ") }
            buffer.writeString(member)
        }
        guard let own else { return }
        if !existing.isEmpty { buffer.writeStaticString(", ") }
        own.write(to: &buffer)
    }

    /// Appends ``fieldValue`` to `buffer` (a stored response's answer writes its head as bytes).
    public func write(to buffer: inout ByteBuffer) {
        self.writeMembers(to: &buffer)
    }

    /// The one writer of the member, into bytes or text.
    private func writeMembers(to output: inout some TextOutputSink) {
        output.appendText(StructuredField.tokenOrString(self.cacheName))
        if self.hit { output.appendLiteral("; hit") }
        if let forward {
            output.appendLiteral("; fwd=")
            output.appendText(forward.rawValue)
        }
        if let forwardStatus {
            output.appendLiteral("; fwd-status=")
            output.appendText(String(forwardStatus))
        }
        if let ttl {
            output.appendLiteral("; ttl=")
            output.appendText(String(ttl))
        }
        if self.stored { output.appendLiteral("; stored") }
        if self.collapsed { output.appendLiteral("; collapsed") }
        if let key {
            output.appendLiteral("; key=")
            output.appendText(StructuredField.string(key))
        }
        if let detail {
            output.appendLiteral("; detail=")
            output.appendText(StructuredField.tokenOrString(detail))
        }
    }

    public var description: String { self.fieldValue }

    /// Adds this entry after any entries from caches nearer the origin, keeping theirs (RFC 9211 §2: the last
    /// member is the cache nearest the user).
    public func append(to headers: inout HTTPHeaders) {
        let existing = headers["cache-status"]
        guard !existing.isEmpty else { return headers.add(name: "Cache-Status", value: self.fieldValue) }
        var buffer = ByteBuffer()
        Self.writeList(existing, then: self, to: &buffer)
        headers.remove(name: "cache-status")
        headers.add(name: "Cache-Status", value: String(buffer: buffer))
    }
}

/// Where a field value is written: a head's buffer, or the bytes of a field's text.
private protocol TextOutputSink {
    mutating func appendText(_ text: String)
    mutating func appendLiteral(_ literal: StaticString)
}

extension ByteBuffer: TextOutputSink {
    fileprivate mutating func appendText(_ text: String) { self.writeString(text) }
    fileprivate mutating func appendLiteral(_ literal: StaticString) { self.writeStaticString(literal) }
}

extension [UInt8]: TextOutputSink {
    fileprivate mutating func appendText(_ text: String) { self.append(contentsOf: text.utf8) }
    fileprivate mutating func appendLiteral(_ literal: StaticString) {
        literal.withUTF8Buffer { self.append(contentsOf: $0) }
    }
}
