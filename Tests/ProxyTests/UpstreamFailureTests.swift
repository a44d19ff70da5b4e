import NIOCore
import NIOHTTP1
import NIOPosix
import Proxy
import Upstream
import TestSupport
import Testing

@Suite("Upstream failures", .timeLimit(.minutes(2)))
struct UpstreamFailureTests {
    @Test("a refused connection becomes 502 with a reason")
    func connectionRefused() async throws {
        try await withRefusingPort { port in
            let response = try await getThroughLarder(origin: port)
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
        let handler: TestOrigin.Handler = { _ in
            .init(body: .pattern(length: 500_000), framing: framing, abortAfter: 200_000)
        }
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

@Suite("Origin responses no HTTP library would write", .timeLimit(.minutes(2)))
struct RawOriginResponseTests {
    @Test("a malformed response head becomes 502 with a reason", arguments: [
        "HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
    ])
    func malformedHead(reply: String) async throws {
        try await withRawOrigin(reply: reply) { port in
            let response = try await getThroughLarder(origin: port)
            #expect(response.status == 502)
            #expect(response.text.contains("invalid response"), "\(response.text)")
        }
    }

    @Test("bytes after a response are never read as the answer to the next request")
    func bytesAfterResponse() async throws {
        let reply = "HTTP/1.1 200 OK\r\nCache-Control: no-store\r\nContent-Length: 2\r\n\r\nok"
            + "HTTP/1.1 200 OK\r\nCache-Control: no-store\r\nContent-Length: 6\r\n\r\nforged"
        try await withRawOrigin(reply: reply) { port in
            let larder = try await TestLarder.start(mode: .reverse, upstreams: ["http://127.0.0.1:\(port)"])
            let bodies = try await TestClient.withConnection(port: larder.port) { connection in
                var bodies: [String] = []
                for _ in 0..<3 {
                    try await connection.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
                    bodies.append(try await connection.readResponse().text)
                }
                return bodies
            }
            await larder.shutdown()
            #expect(bodies == ["ok", "ok", "ok"])
        }
    }

    @Test("interim 1xx responses are skipped and a reason phrase without a standard name is kept")
    func interimAndReason() async throws {
        let reply = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
            + "HTTP/1.1 299 Odd Thing\r\nCache-Control: no-store\r\nContent-Length: 4\r\n\r\nbody"
        try await withRawOrigin(reply: reply) { port in
            let response = try await getThroughLarder(origin: port)
            #expect(response.status == 299)
            #expect(response.reason == "Odd Thing")
            #expect(response.text == "body")
        }
    }
}

/// Runs `body` with the port of an origin that answers each request head it reads with `reply`, verbatim.
/// One `GET /` through a reverse-mode Larder in front of the origin on `port`; Larder is shut down after.
private func getThroughLarder(origin port: Int) async throws -> TestClient.Response {
    let larder = try await TestLarder.start(mode: .reverse, upstreams: ["http://127.0.0.1:\(port)"])
    let response = try await TestClient.exchange(port: larder.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    await larder.shutdown()
    return response
}

private func withRawOrigin<Result>(reply: String, _ body: (Int) async throws -> Result) async throws -> Result {
    let bytes = Array(reply.utf8)
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { child in
            child.eventLoop.makeCompletedFuture { try child.pipeline.syncOperations.addHandler(RawReply(reply: bytes)) }
        }
        .bind(host: "127.0.0.1", port: 0).get()
    do {
        let result = try await body(channel.localAddress!.port!)
        try await channel.close()
        return result
    } catch {
        try? await channel.close()
        throw error
    }
}

/// Writes its reply once per request head (bytes up to an empty line) it receives.
private final class RawReply: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let reply: [UInt8]
    private var received: [UInt8] = []

    init(reply: [UInt8]) { self.reply = reply }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.received += self.unwrapInboundIn(data).readableBytesView
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        while let range = self.received.firstRange(of: end) {
            self.received.removeSubrange(..<range.upperBound)
            context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(bytes: self.reply)), promise: nil)
        }
    }
}
