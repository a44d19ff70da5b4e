import NIOCore
import NIOCore
import NIOHTTP1
import Proxy
import Upstream
import TestSupport
import Testing

@Suite("Upstream failures", .timeLimit(.minutes(2)))
struct UpstreamFailureTests {
    @Test("a refused connection becomes 502 with a reason")
    func connectionRefused() async throws {
        try await withRefusingPort { port in
            let larder = try await TestLarder.start(mode: .reverse, upstreams: ["http://127.0.0.1:\(port)"])
            let response = try await TestClient.exchange(port: larder.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            await larder.shutdown()
            #expect(response.status == 502)
            #expect(response.text.contains("connection refused"), "\(response.text)")
        }
    }

    @Test("an origin that does not answer in time becomes 504")
    func firstByteTimeout() async throws {
        try await withOriginAndLarder(
            mode: .reverse, origin: { _ in .init(silent: true) },
            configure: { $0.upstream.readTimeout = .milliseconds(300) }
        ) { _, larder in
            let response = try await TestClient.exchange(port: larder.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(response.status == 504)
        }
    }

    @Test("a body cut short by the origin is never presented as complete", arguments: [
        TestOrigin.Framing.contentLength, .chunked,
    ])
    func truncatedBody(framing: TestOrigin.Framing) async throws {
        let handler: TestOrigin.Handler = { _ in .init(body: .pattern(length: 500_000), framing: framing, abortAfter: 200_000) }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { _, larder in
            let response = try await TestClient.exchange(port: larder.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(response.status == 200)
            #expect(!response.complete)
            #expect(response.bodyLength <= 200_000)
        }
    }

    @Test("a close-delimited body is passed on close-delimited")
    func closeDelimited() async throws {
        let handler: TestOrigin.Handler = { _ in .init(body: .pattern(length: 100_000), framing: .close) }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { _, larder in
            let response = try await TestClient.exchange(port: larder.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(response.header("content-length") == nil)
            #expect(response.header("transfer-encoding") == nil)
            #expect(response.header("connection") == "close")
            #expect(response.bodyDigest == Pattern.digest(length: 100_000))
        }
    }

    @Test("a pooled connection keeps its read timeout on every exchange, after one that outlasted the timeout too")
    func readTimeoutOnPooledConnection() async throws {
        let handler: TestOrigin.Handler = { request in
            switch request.head.uri {
            case "/slow":
                // 400 ms in all, never 300 ms silent: the timer fires during the exchange and is re-armed.
                .init(body: .pattern(length: 40_000), trickle: .init(blockBytes: 10_000, interval: .milliseconds(100)))
            case "/silent":
                .init(silent: true)
            default:
                .text("ok\n")
            }
        }
        try await withOriginAndLarder(
            mode: .reverse, origin: handler, configure: { $0.upstream.readTimeout = .milliseconds(300) }
        ) { origin, larder in
            // One client connection, so every exchange takes the same pooled upstream connection.
            let (fast, slow, silent) = try await TestClient.withConnection(port: larder.port) { connection in
                try await connection.send("GET /fast HTTP/1.1\r\nHost: a\r\n\r\n")
                let fast = try await connection.readResponse()
                try await connection.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
                let slow = try await connection.readResponse()
                try await connection.send("GET /silent HTTP/1.1\r\nHost: a\r\n\r\n")
                return (fast, slow, try await connection.readResponse())
            }
            #expect(fast.status == 200)
            #expect(slow.status == 200 && slow.complete && slow.bodyDigest == Pattern.digest(length: 40_000))
            #expect(silent.status == 504)
            #expect(origin.requests.map(\.head.uri) == ["/fast", "/slow", "/silent"])
            #expect(origin.connectionsAccepted == 1)
        }
    }

    @Test("upstream connections are reused across client connections")
    func pooling() async throws {
        try await withOriginAndLarder(mode: .reverse) { origin, larder in
            for _ in 1...5 {
                let response = try await TestClient.exchange(port: larder.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(response.status == 200)
            }
            #expect(origin.requests.count == 5)
            #expect(origin.connectionsAccepted <= 2)  // one per event loop at most
        }
    }
}
