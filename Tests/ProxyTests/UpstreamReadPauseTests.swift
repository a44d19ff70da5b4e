import HTTPRules
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import Upstream

/// Reading from an origin pauses while the other side cannot take more (a full store queue, a slow client). The
/// pause belongs to the response: a connection that goes back to the pool paused would never read the next answer.
@Suite("Upstream read pauses")
struct UpstreamReadPauseTests {
    /// Counts the reads that get past the connection to the socket.
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = IOData
        var reads = 0
        func read(context: ChannelHandlerContext) {
            self.reads += 1
            context.read()
        }
    }

    /// Pauses reading when the response's head arrives, as a fill whose store queue is full does.
    final class PausingDelegate: UpstreamResponseDelegate {
        var finished = 0
        func upstream(_ connection: UpstreamConnection, didReceiveHead head: HTTPResponseHead, framing: BodyFraming) {
            connection.pauseReading()
        }
        func upstream(_ connection: UpstreamConnection, didReceiveBodyPart part: ByteBuffer) {}
        func upstreamDidFinish(_ connection: UpstreamConnection) { self.finished += 1 }
        func upstream(_ connection: UpstreamConnection, didFail error: UpstreamError) {}
        func upstreamWritabilityDidChange(_ connection: UpstreamConnection) {}
        func upstreamDidReadComplete(_ connection: UpstreamConnection) {}
    }

    /// A connection on an embedded channel, its reads counted, carrying a GET whose delegate pauses on the head.
    static func exchange() throws -> (EmbeddedChannel, UpstreamConnection, ReadCounter, PausingDelegate) {
        let counter = ReadCounter()
        let connection = UpstreamConnection(
            origin: Origin(scheme: "http", host: "origin.test", port: 80), readTimeout: .seconds(30))
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([counter, connection])
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 80)).wait()
        let delegate = PausingDelegate()
        let request = ByteBuffer(string: "GET / HTTP/1.1\r\nHost: origin.test\r\n\r\n")
        connection.send(RequestHead(bytes: request, method: .GET, isChunked: false), delegate: delegate)
        return (channel, connection, counter, delegate)
    }

    @Test("a pause still on when the response ends is lifted: the idle connection reads again")
    func pauseEndsWithTheResponse() throws {
        let (channel, connection, counter, delegate) = try Self.exchange()
        // The head and the whole body arrive in one read; the delegate pauses on the head.
        try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"))
        #expect(delegate.finished == 1)
        let before = counter.reads
        channel.read()
        #expect(counter.reads == before + 1, "an idle connection's reads reach the socket")
        #expect(connection.isIdleAndOpen)
        _ = try channel.finish(acceptAlreadyClosed: true)
    }

    @Test("while the response is still arriving, a pause holds reads back until resumed")
    func pauseHoldsDuringTheResponse() throws {
        let (channel, connection, counter, _) = try Self.exchange()
        try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhe"))
        let before = counter.reads
        channel.read()
        #expect(counter.reads == before, "paused: the read is held back")
        connection.resumeReading()
        #expect(counter.reads == before + 1, "resumed: the held read goes out")
        _ = try channel.finish(acceptAlreadyClosed: true)
    }
}
