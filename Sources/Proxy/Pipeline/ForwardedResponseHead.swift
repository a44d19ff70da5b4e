import CachePolicy
import HTTPRules
import NIOCore
import NIOHTTP1

/// The head Larder sends a client for a response forwarded from the origin, written as bytes straight from
/// the origin's fields, as a forwarded request's head is (no `HTTPHeaders` built, edited and encoded again):
/// the status line, the origin's end-to-end fields less those Larder writes itself, then Larder's own fields.
struct ForwardedResponseHead {
    /// How Larder frames the body it forwards.
    enum Framing: Equatable {
        case contentLength(Int64)
        case chunked
        /// The end of the body is marked by closing the connection: no framing field.
        case untilClose
        /// No body (HEAD, 204, 304): the origin's Content-Length stays, describing the body a GET would have had.
        case bodiless
    }

    var status: HTTPResponseStatus
    /// The origin's fields; the hop-by-hop ones (RFC 9110 §7.6.1) are not forwarded.
    var received: HTTPHeaders
    /// Further fields of the origin's not to forward (the targeted cache-control field addressed to Larder).
    var removing: [String]
    /// Larder's Via member (``Forwarding/viaValue(receivedVersion:pseudonym:)``).
    var via: String
    var framing: Framing
    /// Larder's own Cache-Status member, written after those the origin sent (RFC 9211 §2); without one the
    /// origin's Cache-Status fields pass as they are.
    var cacheStatus: CacheStatus?
    /// The Connection field's value, if the response needs one.
    var connection: String?

    private static let contentLength = "content-length"
    private static let cacheStatusName = "cache-status"

    /// The whole head, ending with the empty line.
    func encoded(allocator: ByteBufferAllocator) -> ByteBuffer {
        var removing = self.removing
        if case .bodiless = self.framing {} else { removing.append(Self.contentLength) }
        if self.cacheStatus != nil { removing.append(Self.cacheStatusName) }
        var capacity = 160 + self.via.utf8.count
        for (name, value) in self.received { capacity += name.utf8.count + value.utf8.count + 4 }
        var buffer = allocator.buffer(capacity: capacity)
        buffer.writeStatusLine(version: .http1_1, status: self.status)
        self.received.forEachForwardable(alsoRemoving: removing) { name, value in
            buffer.writeHeaderField(name, value)
        }
        buffer.writeStaticString("via: ")
        buffer.writeString(self.via)
        switch self.framing {
        case .contentLength(let length):
            buffer.writeStaticString("\r\ncontent-length: ")
            buffer.writeDecimal(length)
            buffer.writeStaticString("\r\n")
        case .chunked:
            buffer.writeStaticString("\r\ntransfer-encoding: chunked\r\n")
        case .untilClose, .bodiless:
            buffer.writeStaticString("\r\n")
        }
        let receivedStatus = self.cacheStatus == nil ? [] : self.received[Self.cacheStatusName]
        buffer.writeClosingFields(cacheStatus: receivedStatus, then: self.cacheStatus, connection: self.connection)
        return buffer
    }
}

extension ByteBuffer {
    /// Writes the last fields of a head Larder answers with, then the empty line: Cache-Status (`received`
    /// members, then Larder's `own`, RFC 9211 §2) when there is any, and Connection when `connection` is given.
    mutating func writeClosingFields(cacheStatus received: [String], then own: CacheStatus?, connection: String?) {
        if !received.isEmpty || own != nil {
            self.writeStaticString("Cache-Status: ")
            CacheStatus.writeList(received, then: own, to: &self)
            self.writeStaticString("\r\n")
        }
        if let connection {
            self.writeStaticString("connection: ")
            self.writeString(connection)
            self.writeStaticString("\r\n")
        }
        self.writeStaticString("\r\n")
    }
}
