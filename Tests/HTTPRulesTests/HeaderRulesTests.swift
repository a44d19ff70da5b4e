import HTTPRules
import NIOCore
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

    @Test("every fixed hop-by-hop name is removed in any letter case; names of the same lengths are kept")
    func removesEveryFixedName() {
        for name in HTTPHeaders.hopByHopFieldNames {
            var headers = HTTPHeaders([(name.uppercased(), "1"), ("X-Kept", "yes")])
            headers.removeHopByHop()
            #expect(headers.map(\.name) == ["X-Kept"], "\(name)")
            var mixed = HTTPHeaders([(name.prefix(1).uppercased() + name.dropFirst(), "1")])
            mixed.removeHopByHop()
            #expect(mixed.isEmpty, "\(name)")
        }
        let lookalikes = [
            "tf", "trailed", "upgrades", "connectiom", "keep-alivf", "transfer-encodinf", "proxy", "Proxy_x",
        ]
        var headers = HTTPHeaders(lookalikes.map { ($0, "1") })
        headers.removeHopByHop()
        #expect(headers.map(\.name) == lookalikes)
    }

    @Test(
        "Connection naming only hop-by-hop fields, or none, removes exactly those",
        arguments: [
            ([("Connection", "keep-alive"), ("Keep-Alive", "timeout=5"), ("Date", "x")], ["Date"]),
            ([("Date", "x"), ("connection", "Keep-Alive, proxy-x"), ("Proxy-X", "1")], ["Date"]),
            ([("Connection", ""), ("Close", "1"), ("Date", "x")], ["Close", "Date"]),
            ([("Connection", "close"), ("Close", "1"), ("Date", "x")], ["Date"]),
            ([("Date", "x"), ("ETag", "\"e\"")], ["Date", "ETag"]),
        ] as [([(String, String)], [String])]
    )
    func removesNamedHopByHop(fields: [(String, String)], kept: [String]) {
        var headers = HTTPHeaders(fields)
        headers.removeHopByHop()
        #expect(headers.map(\.name) == kept)
    }

    @Test("fields named by Connection are removed with every line of them, once")
    func removesNamedFieldsInPlace() {
        var headers = HTTPHeaders([
            ("Connection", "x-a"), ("X-A", "1"), ("Accept", "*/*"), ("x-a", "2"), ("Connection", "X-A"),
        ])
        headers.removeHopByHop()
        #expect(headers.map(\.name) == ["Accept"])
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
        #expect(Forwarding.viaValue(receivedVersion: .http1_1, pseudonym: "larder") == "1.1 larder")
        #expect(Forwarding.viaValue(receivedVersion: .http1_0, pseudonym: "fred") == "1.0 fred")
    }

    @Test("X-Forwarded-For and Forwarded are extended; X-Forwarded-Proto is replaced")
    func forwardedFields() {
        var buffer = ByteBuffer()
        Forwarding.writeClientFields(
            to: &buffer, clientIP: "::1", proto: "http", host: "example.com",
            receivedFor: "203.0.113.7, 198.51.100.2", receivedForwarded: "for=203.0.113.7")
        #expect(String(buffer: buffer) == """
            X-Forwarded-For: 203.0.113.7, 198.51.100.2, ::1\r
            X-Forwarded-Proto: http\r
            Forwarded: for=203.0.113.7, for="[::1]";proto=http;host="example.com"\r

            """)
        buffer.clear()
        Forwarding.writeClientFields(
            to: &buffer, clientIP: "192.0.2.1", proto: "http", host: nil, receivedFor: nil, receivedForwarded: nil)
        #expect(
            String(buffer: buffer)
                == "X-Forwarded-For: 192.0.2.1\r\nX-Forwarded-Proto: http\r\nForwarded: for=192.0.2.1;proto=http\r\n")
    }

    @Test("Via on a forwarded request names the version it was received in")
    func viaLine() {
        var buffer = ByteBuffer()
        Forwarding.writeVia(to: &buffer, receivedVersion: .http1_0, pseudonym: "larder")
        Forwarding.writeVia(to: &buffer, receivedVersion: .http1_1, pseudonym: "larder")
        #expect(String(buffer: buffer) == "Via: 1.0 larder\r\nVia: 1.1 larder\r\n")
    }
}
