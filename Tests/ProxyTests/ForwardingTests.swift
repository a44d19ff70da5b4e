import CacheStore
import NIOHTTP1
import Proxy
import TestSupport
import Testing

/// Requests pass through byte-exact in both modes, with framing written by Larder.
@Suite("Streaming pass-through", .timeLimit(.minutes(2)))
struct ForwardingTests {
    /// The request line for a mode: absolute-form to a forward proxy, origin-form to a reverse proxy.
    static func target(_ mode: ProxyConfiguration.Mode, _ origin: TestOrigin, _ path: String) -> String {
        mode == .forward ? "\(origin.url)\(path)" : path
    }

    static func hostField(_ origin: TestOrigin) -> String { "127.0.0.1:\(origin.port)" }

    @Test(
        "methods pass byte-exact in both directions",
        arguments: [ProxyConfiguration.Mode.forward, .reverse],
        ["GET", "HEAD", "POST", "PUT", "DELETE"]
    )
    func methods(mode: ProxyConfiguration.Mode, method: String) async throws {
        let responseBody = Pattern.bytes(length: 300_000)
        try await withOriginAndLarder(
            mode: mode, origin: { _ in .init(body: .bytes(responseBody)) }
        ) { origin, larder in
            let requestBody = method == "POST" || method == "PUT" ? Pattern.bytes(length: 200_000) : []
            var raw = "\(method) \(Self.target(mode, origin, "/item?x=1")) HTTP/1.1\r\n"
                + "Host: \(Self.hostField(origin))\r\n"
            raw += "Content-Length: \(requestBody.count)\r\n\r\n"
            let response = try await TestClient.withConnection(port: larder.port) { connection in
                try await connection.send(Array(raw.utf8) + requestBody)
                return try await connection.readResponse(headRequest: method == "HEAD")
            }
            #expect(response.status == 200)
            #expect(response.complete)
            #expect(response.header("content-length") == String(responseBody.count))
            if method == "HEAD" {
                #expect(response.bodyLength == 0)
            } else {
                #expect(firstDifference(response.body, responseBody) == nil)
            }
            let seen = try #require(origin.requests.first)
            #expect(seen.head.method.rawValue == method)
            #expect(seen.head.uri == "/item?x=1")
            #expect(seen.bodyDigest == SHA256.hash(requestBody).hex)
            #expect(seen.head.headers["via"] == ["1.1 larder"])
        }
    }

    @Test(
        "chunked request bodies and chunked responses stream through",
        arguments: [ProxyConfiguration.Mode.forward, .reverse]
    )
    func chunkedBothWays(mode: ProxyConfiguration.Mode) async throws {
        let handler: TestOrigin.Handler = { _ in .init(body: .pattern(length: 1_000_003), framing: .chunked) }
        try await withOriginAndLarder(mode: mode, origin: handler) { origin, larder in
            let parts = [Pattern.bytes(length: 70_000), Array("tail".utf8)]
            var raw = "POST \(Self.target(mode, origin, "/up")) HTTP/1.1\r\nHost: \(Self.hostField(origin))\r\n"
            raw += "Transfer-Encoding: chunked\r\n\r\n"
            var bytes = Array(raw.utf8)
            for part in parts {
                bytes += Array("\(String(part.count, radix: 16));ext=1\r\n".utf8) + part + Array("\r\n".utf8)
            }
            bytes += Array("0\r\nX-Trailer: dropped\r\n\r\n".utf8)
            let response = try await TestClient.withConnection(port: larder.port) { connection in
                try await connection.send(bytes)
                return try await connection.readResponse()
            }
            #expect(response.status == 200)
            #expect(response.complete)
            #expect(response.header("transfer-encoding") == "chunked")
            #expect(response.bodyDigest == Pattern.digest(length: 1_000_003))
            let seen = try #require(origin.requests.first)
            #expect(seen.bodyDigest == SHA256.hash(parts[0] + parts[1]).hex)
            #expect(seen.head.headers["transfer-encoding"] == ["chunked"])
        }
    }

    @Test("hop-by-hop fields are removed in both directions and Via is added")
    func hopByHop() async throws {
        let handler: TestOrigin.Handler = { _ in
            .text("ok", headers: [("Connection", "X-Origin-Hop"), ("X-Origin-Hop", "1"), ("X-End", "2")])
        }
        try await withOriginAndLarder(origin: handler) { origin, larder in
            let raw = """
                GET \(origin.url)/ HTTP/1.1\r
                Host: \(Self.hostField(origin))\r
                Connection: keep-alive, X-Client-Hop\r
                X-Client-Hop: secret\r
                Keep-Alive: timeout=5\r
                TE: trailers\r
                Upgrade: h2c\r
                Proxy-Authorization: Basic Zm9vOmJhcg==\r
                Proxy-Connection: keep-alive\r
                X-End-To-End: kept\r
                \r

                """
            let response = try await TestClient.exchange(port: larder.port, raw)
            let seen = try #require(origin.requests.first).head.headers
            for name in ["x-client-hop", "keep-alive", "te", "upgrade", "proxy-authorization", "proxy-connection"] {
                #expect(!seen.contains(name: name), "\(name) reached the origin")
            }
            #expect(seen["x-end-to-end"] == ["kept"])
            #expect(seen["via"] == ["1.1 larder"])
            #expect(response.header("x-origin-hop") == nil)
            #expect(response.header("x-end") == "2")
            #expect(response.header("via") == "1.1 larder")
        }
    }

    @Test("reverse mode sets X-Forwarded-For, X-Forwarded-Proto and Forwarded, and keeps Host")
    func reverseForwardingFields() async throws {
        try await withOriginAndLarder(mode: .reverse) { origin, larder in
            let raw = "GET /a HTTP/1.1\r\nHost: www.example.com\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n"
            let response = try await TestClient.exchange(port: larder.port, raw)
            #expect(response.status == 200)
            let seen = try #require(origin.requests.first).head.headers
            #expect(seen["host"] == ["www.example.com"])
            #expect(seen["x-forwarded-for"] == ["203.0.113.9, 127.0.0.1"])
            #expect(seen["x-forwarded-proto"] == ["http"])
            #expect(seen["forwarded"] == ["for=127.0.0.1;proto=http;host=\"www.example.com\""])
        }
    }

    @Test("reverse mode rewrites Host to the upstream when configured")
    func reverseRewritesHost() async throws {
        try await withOriginAndLarder(mode: .reverse, configure: { $0.preserveHost = false }) { origin, larder in
            _ = try await TestClient.exchange(port: larder.port, "GET /a HTTP/1.1\r\nHost: www.example.com\r\n\r\n")
            #expect(try #require(origin.requests.first).head.headers["host"] == ["127.0.0.1:\(origin.port)"])
        }
    }

    @Test("forward mode does not reveal the client")
    func forwardHidesClient() async throws {
        try await withOriginAndLarder { origin, larder in
            _ = try await TestClient.exchange(
                port: larder.port, "GET \(origin.url)/ HTTP/1.1\r\nHost: \(Self.hostField(origin))\r\n\r\n")
            let seen = try #require(origin.requests.first).head.headers
            #expect(!seen.contains(name: "x-forwarded-for"))
            #expect(!seen.contains(name: "forwarded"))
        }
    }

    @Test("pipelined requests are answered in order on one connection, reusing one upstream connection")
    func pipelining() async throws {
        try await withOriginAndLarder(mode: .reverse, origin: { .text("path=\($0.head.uri)") }) { origin, larder in
            let requests = (1...3).map { "GET /\($0) HTTP/1.1\r\nHost: a\r\n\r\n" }.joined()
            let bodies = try await TestClient.withConnection(port: larder.port) { connection in
                try await connection.send(requests)
                var bodies: [String] = []
                for _ in 1...3 { bodies.append(try await connection.readResponse().text) }
                return bodies
            }
            #expect(bodies == ["path=/1", "path=/2", "path=/3"])
            #expect(origin.connectionsAccepted == 1)
        }
    }

    @Test("a client that half-closes after its requests is answered, then the connection closes", arguments: [1, 3])
    func halfClose(requests count: Int) async throws {
        try await withOriginAndLarder(mode: .reverse, origin: { .text("path=\($0.head.uri)") }) { origin, larder in
            let requests = (1...count).map { "GET /\($0) HTTP/1.1\r\nHost: a\r\n\r\n" }.joined()
            let (bodies, closed) = try await TestClient.withConnection(port: larder.port) { connection in
                try await connection.send(requests)
                connection.finishSending()
                var bodies: [String] = []
                for _ in 1...count { bodies.append(try await connection.readResponse().text) }
                return (bodies, try await connection.waitForClose())
            }
            #expect(bodies == (1...count).map { "path=/\($0)" })
            #expect(closed)
        }
    }

    @Test("Expect: 100-continue gets an interim 100 before the body is sent")
    func expectContinue() async throws {
        try await withOriginAndLarder(mode: .reverse) { origin, larder in
            let result = try await TestClient.withConnection(port: larder.port) { connection in
                try await connection.send(
                    "PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
                let interim = try await connection.readResponse()
                try await connection.send("hello")
                let final = try await connection.readResponse()
                return (interim.status, final.status)
            }
            #expect(result.0 == 100)
            #expect(result.1 == 200)
            let seen = try #require(origin.requests.first)
            #expect(seen.body == Array("hello".utf8))
            #expect(!seen.head.headers.contains(name: "expect"))
        }
    }

    @Test("an unknown expectation is refused with 417")
    func unknownExpectation() async throws {
        try await withOriginAndLarder(mode: .reverse) { origin, larder in
            let response = try await TestClient.exchange(
                port: larder.port, "GET /x HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n")
            #expect(response.status == 417)
            #expect(origin.bytesReceived == 0)
        }
    }

    @Test("HTTP/1.0 clients get close-delimited bodies when the origin chunks")
    func http10Client() async throws {
        let handler: TestOrigin.Handler = { _ in .init(body: .pattern(length: 50_000), framing: .chunked) }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { _, larder in
            let response = try await TestClient.exchange(port: larder.port, "GET /x HTTP/1.0\r\n\r\n")
            #expect(response.header("transfer-encoding") == nil)
            #expect(response.header("connection") == "close")
            #expect(response.bodyDigest == Pattern.digest(length: 50_000))
        }
    }
}
