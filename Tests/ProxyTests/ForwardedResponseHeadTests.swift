import CachePolicy
import NIOCore
import NIOHTTP1
@testable import Proxy
import Testing

/// The head of a forwarded response, written from the origin's fields: what goes, what stays, what Larder adds.
@Suite("Forwarded response heads")
struct ForwardedResponseHeadTests {
    static let received = HTTPHeaders([
        ("Date", "Wed, 02 Dec 2026 08:00:00 GMT"),
        ("Connection", "keep-alive, X-Hop"),
        ("X-Hop", "1"),
        ("Content-Length", "5"),
        ("Keep-Alive", "timeout=5"),
        ("CDN-Cache-Control", "max-age=60"),
        ("Cache-Status", "OriginCache; hit"),
        ("Proxy-Authenticate", "Basic"),
        ("ETag", "\"v1\""),
    ])

    static func head(
        _ framing: ForwardedResponseHead.Framing, cacheStatus: CacheStatus? = nil, connection: String? = nil
    ) -> String {
        let head = ForwardedResponseHead(
            status: .ok, received: Self.received, removing: ["cdn-cache-control"], via: "1.1 larder",
            framing: framing, cacheStatus: cacheStatus, connection: connection)
        return String(buffer: head.encoded(allocator: ByteBufferAllocator()))
    }

    static let endToEnd = "HTTP/1.1 200 OK\r\nDate: Wed, 02 Dec 2026 08:00:00 GMT\r\n"

    @Test("the origin's framing and hop-by-hop fields give way to Larder's, in order", arguments: [
        (ForwardedResponseHead.Framing.contentLength(5), "content-length: 5\r\n"),
        (.chunked, "transfer-encoding: chunked\r\n"),
        (.untilClose, ""),
    ])
    func framing(framing: ForwardedResponseHead.Framing, line: String) {
        #expect(Self.head(framing) == Self.endToEnd
            + "Cache-Status: OriginCache; hit\r\nETag: \"v1\"\r\nvia: 1.1 larder\r\n" + line + "\r\n")
    }

    @Test("a bodiless response keeps the origin's Content-Length")
    func bodiless() {
        #expect(Self.head(.bodiless) == Self.endToEnd
            + "Content-Length: 5\r\nCache-Status: OriginCache; hit\r\nETag: \"v1\"\r\nvia: 1.1 larder\r\n\r\n")
    }

    @Test("Via fields from farther hops are kept; Larder's own member comes after them")
    func viaAfterEarlierHops() {
        let head = ForwardedResponseHead(
            status: .ok, received: HTTPHeaders([("Via", "1.0 fred")]), removing: [], via: "1.1 larder",
            framing: .bodiless, cacheStatus: nil, connection: nil)
        #expect(String(buffer: head.encoded(allocator: ByteBufferAllocator()))
            == "HTTP/1.1 200 OK\r\nVia: 1.0 fred\r\nvia: 1.1 larder\r\n\r\n")
    }

    @Test("Larder's Cache-Status member follows the origin's in one field; Connection comes last")
    func cacheStatusAndConnection() {
        let own = CacheStatus(forward: .uriMiss, forwardStatus: 200, stored: true)
        #expect(Self.head(.contentLength(5), cacheStatus: own, connection: "close") == Self.endToEnd
            + "ETag: \"v1\"\r\nvia: 1.1 larder\r\ncontent-length: 5\r\n"
            + "Cache-Status: OriginCache; hit, larder; fwd=uri-miss; fwd-status=200; stored\r\n"
            + "connection: close\r\n\r\n")
    }
}
