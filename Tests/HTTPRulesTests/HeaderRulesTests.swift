import HTTPRules
import NIOHTTP1
import Testing

@Suite("Hop-by-hop fields and forwarding fields (RFC 9110 §7.6)")
struct HeaderRulesTests {
    @Test("Connection, the fields it names, and fixed hop-by-hop fields are removed")
    func removesHopByHop() {
        var headers = HTTPHeaders([
            ("Connection", "close, X-Secret"), ("X-Secret", "1"), ("Keep-Alive", "timeout=5"), ("TE", "trailers"),
            ("Trailer", "X"), ("Transfer-Encoding", "chunked"), ("Upgrade", "websocket"),
            ("Proxy-Authorization", "Basic x"), ("Proxy-Connection", "keep-alive"), ("Proxy-Foo", "1"),
            ("Accept", "*/*"), ("X-Kept", "yes"),
        ])
        headers.removeHopByHop()
        #expect(headers.map(\.name) == ["Accept", "X-Kept"])
    }

    @Test(
        "persistence (RFC 9112 §9.3)",
        arguments: [
            (HTTPVersion.http1_1, [], true),
            (.http1_1, [("Connection", "close")], false),
            (.http1_1, [("Connection", "Keep-Alive, Close")], false),
            (.http1_0, [], false),
            (.http1_0, [("Connection", "keep-alive")], true),
        ] as [(HTTPVersion, [(String, String)], Bool)]
    )
    func keepsAlive(version: HTTPVersion, fields: [(String, String)], expected: Bool) {
        #expect(version.keepsAlive(HTTPHeaders(fields)) == expected)
    }

    @Test("Via names the received protocol version")
    func via() {
        var headers = HTTPHeaders([("Via", "1.0 fred")])
        Forwarding.appendVia(to: &headers, receivedVersion: .http1_1, pseudonym: "larder")
        #expect(headers["via"] == ["1.0 fred", "1.1 larder"])
    }

    @Test("X-Forwarded-For and Forwarded are extended; X-Forwarded-Proto is replaced")
    func forwardedFields() {
        var headers = HTTPHeaders([
            ("X-Forwarded-For", "203.0.113.7"), ("X-Forwarded-Proto", "https"), ("Forwarded", "for=203.0.113.7"),
        ])
        Forwarding.addClientFields(to: &headers, clientIP: "::1", proto: "http", host: "example.com")
        #expect(headers["x-forwarded-for"] == ["203.0.113.7, ::1"])
        #expect(headers["x-forwarded-proto"] == ["http"])
        #expect(headers["forwarded"] == ["for=203.0.113.7, for=\"[::1]\";proto=http;host=\"example.com\""])
    }
}
