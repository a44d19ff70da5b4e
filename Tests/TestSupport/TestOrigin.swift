import CacheStore
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A scriptable origin server on 127.0.0.1 with an ephemeral port.
///
/// The test says what the origin answers (``Response``) and reads back what it received
/// (``requests``, ``bytesReceived``): enough to prove that a malformed request never reached it,
/// that hop-by-hop fields were stripped, or that a body arrived byte-exact.
public final class TestOrigin: Sendable {
    /// A request as the origin saw it.
    public struct Request: Sendable {
        public var head: HTTPRequestHead
        public var bodyLength: Int
        public var bodyDigest: String
        /// The body itself, if it was at most 1 MiB.
        public var body: [UInt8]?
    }

    public enum Body: Sendable {
        case bytes([UInt8])
        /// ``Pattern`` bytes, generated while sending.
        case pattern(length: Int)
    }

    public enum Framing: Sendable {
        case contentLength
        case chunked
        /// No length: the body ends when the origin closes the connection.
        case close
    }

    public struct Response: Sendable {
        public var status: HTTPResponseStatus
        public var headers: [(String, String)]
        public var body: Body
        public var framing: Framing
        /// Close the connection after this many body bytes, whatever the framing promised.
        public var abortAfter: Int?
        /// Never answer (for timeout tests).
        public var silent: Bool
        /// Answer only once this gate opens (a slow origin whose pace the test sets).
        public var gate: OriginGate?
        /// Send the body a block at a time with this pause between blocks.
        public var trickle: Trickle?
        /// Stop after this many body bytes until the gate opens (a fill caught mid-body).
        public var pause: (afterBytes: Int, until: OriginGate)?

        public init(
            status: HTTPResponseStatus = .ok,
            headers: [(String, String)] = [],
            body: Body = .bytes([]),
            framing: Framing = .contentLength,
            abortAfter: Int? = nil,
            silent: Bool = false,
            gate: OriginGate? = nil,
            trickle: Trickle? = nil,
            pause: (afterBytes: Int, until: OriginGate)? = nil
        ) {
            self.status = status
            self.headers = headers
            self.body = body
            self.framing = framing
            self.abortAfter = abortAfter
            self.silent = silent
            self.gate = gate
            self.trickle = trickle
            self.pause = pause
        }

        public static func text(_ text: String, status: HTTPResponseStatus = .ok, headers: [(String, String)] = [])
            -> Response
        {
            Response(status: status, headers: headers, body: .bytes(Array(text.utf8)))
        }
    }

    /// A body sent slowly: `blockBytes` at a time, `interval` apart.
    public struct Trickle: Sendable {
        public var blockBytes: Int
        public var interval: TimeAmount

        public init(blockBytes: Int, interval: TimeAmount) {
            self.blockBytes = blockBytes
            self.interval = interval
        }
    }

    public typealias Handler = @Sendable (Request) -> Response

    private struct State {
        var requests: [Request] = []
        var bytesReceived = 0
        var connections = 0
    }

    private let state = Mutex(State())
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    public let port: Int

    /// Starts an origin answering every request with `handler`'s response.
    public static func start(handler: @escaping Handler = { _ in .text("ok\n") }) async throws -> TestOrigin {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let box = OriginBox()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(ByteCounter(origin: box))
                    try sync.configureHTTPServerPipeline(withPipeliningAssistance: true)
                    try sync.addHandler(OriginHandler(origin: box, handler: handler))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let origin = TestOrigin(group: group, channel: channel, port: channel.localAddress?.port ?? 0)
        box.origin.withLock { $0 = origin }
        return origin
    }

    private init(group: MultiThreadedEventLoopGroup, channel: any Channel, port: Int) {
        self.group = group
        self.channel = channel
        self.port = port
    }

    public var url: String { "http://127.0.0.1:\(self.port)" }
    public var requests: [Request] { self.state.withLock { $0.requests } }
    public var bytesReceived: Int { self.state.withLock { $0.bytesReceived } }
    public var connectionsAccepted: Int { self.state.withLock { $0.connections } }

    public func shutdown() async {
        try? await self.channel.close()
        try? await self.group.shutdownGracefully()
    }

    fileprivate func record(_ request: Request) {
        self.state.withLock { $0.requests.append(request) }
    }

    fileprivate func countBytes(_ count: Int) {
        self.state.withLock { $0.bytesReceived += count }
    }

    fileprivate func countConnection() {
        self.state.withLock { $0.connections += 1 }
    }
}

/// Lets channel handlers created before the origin object exists reach it.
private final class OriginBox: Sendable {
    let origin = Mutex<TestOrigin?>(nil)
    func with(_ body: (TestOrigin) -> Void) {
        if let origin = self.origin.withLock({ $0 }) { body(origin) }
    }
}

/// Counts raw bytes received, before any parsing.
private final class ByteCounter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let origin: OriginBox

    init(origin: OriginBox) { self.origin = origin }

    func channelActive(context: ChannelHandlerContext) {
        self.origin.with { $0.countConnection() }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let count = self.unwrapInboundIn(data).readableBytes
        self.origin.with { $0.countBytes(count) }
        context.fireChannelRead(data)
    }
}

private final class OriginHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let origin: OriginBox
    let handler: TestOrigin.Handler
    private var head: HTTPRequestHead?
    private var digest = SHA256()
    private var bodyLength = 0
    private var body: [UInt8] = []
    private var sending: Sending?

    /// A generated body being written as the channel drains.
    private struct Sending {
        var response: TestOrigin.Response
        var offset = 0
        var total: Int
        var keepAlive: Bool
    }

    init(origin: OriginBox, handler: @escaping TestOrigin.Handler) {
        self.origin = origin
        self.handler = handler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            _ = self.digest.finish()
            self.bodyLength = 0
            self.body = []
        case .body(let part):
            part.withUnsafeReadableBytes { self.digest.update($0) }
            self.bodyLength += part.readableBytes
            if self.body.count + part.readableBytes <= 1 << 20 {
                self.body += part.readableBytesView
            }
        case .end:
            guard let head = self.head else { return }
            let request = TestOrigin.Request(
                head: head, bodyLength: self.bodyLength, bodyDigest: self.digest.finish().hex,
                body: self.bodyLength <= 1 << 20 ? self.body : nil)
            self.origin.with { $0.record(request) }
            self.respond(context: context, to: request)
        }
    }

    private func respond(context: ChannelHandlerContext, to request: TestOrigin.Request) {
        let response = self.handler(request)
        if response.silent { return }
        guard let gate = response.gate else { return self.send(response, context: context, to: request) }
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        gate.whenOpen {
            bound.eventLoop.execute { bound.value.handler.send(response, context: bound.value.context, to: request) }
        }
    }

    private func send(_ response: TestOrigin.Response, context: ChannelHandlerContext, to request: TestOrigin.Request) {
        var headers = HTTPHeaders(response.headers)
        let total: Int
        switch response.body {
        case .bytes(let bytes): total = bytes.count
        case .pattern(let length): total = length
        }
        let bodyless = request.head.method == .HEAD || response.status == .notModified || response.status == .noContent
        switch response.framing {
        case .contentLength:
            if !headers.contains(name: "content-length") { headers.add(name: "content-length", value: String(total)) }
        case .chunked:
            headers.add(name: "transfer-encoding", value: "chunked")
        case .close:
            headers.add(name: "connection", value: "close")
        }
        let keepAlive = request.head.isKeepAlive && response.framing != .close && response.abortAfter == nil
        if !keepAlive && response.framing != .close { headers.replaceOrAdd(name: "connection", value: "close") }
        // HTTP/1.0 keeps NIO's encoder from adding chunked framing to a close-delimited body.
        let version: HTTPVersion = response.framing == .close ? .http1_0 : .http1_1
        context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: version, status: response.status,
                                                                  headers: headers))), promise: nil)
        self.sending = Sending(response: response, total: bodyless ? 0 : total, keepAlive: keepAlive)
        self.pump(context: context)
    }

    /// Writes body blocks while the channel is writable; resumes on writability changes.
    private func pump(context: ChannelHandlerContext) {
        while var sending = self.sending, context.channel.isWritable {
            let limit = min(sending.total, sending.response.abortAfter ?? Int.max)
            if sending.offset >= limit {
                self.sending = nil
                if sending.response.abortAfter != nil && sending.offset < sending.total {
                    context.flush()
                    context.close(promise: nil)
                    return
                }
                let keepAlive = sending.keepAlive
                context.writeAndFlush(self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                    if !keepAlive { context.close(promise: nil) }
                }
                return
            }
            if let pause = sending.response.pause, sending.offset >= pause.afterBytes, !pause.until.isOpen {
                context.flush()
                let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
                pause.until.whenOpen {
                    bound.eventLoop.execute { bound.value.handler.pump(context: bound.value.context) }
                }
                return
            }
            var count = min(sending.response.trickle?.blockBytes ?? Pattern.blockSize, limit - sending.offset)
            if let pause = sending.response.pause, sending.offset < pause.afterBytes {
                count = min(count, pause.afterBytes - sending.offset)
            }
            var buffer = context.channel.allocator.buffer(capacity: count)
            switch sending.response.body {
            case .bytes(let bytes):
                buffer.writeBytes(bytes[sending.offset..<(sending.offset + count)])
            case .pattern:
                let within = sending.offset % Pattern.blockSize
                count = min(count, Pattern.blockSize - within)
                buffer.writeBytes(Pattern.block(sending.offset / Pattern.blockSize)[within..<(within + count)])
            }
            sending.offset += count
            self.sending = sending
            context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            if let trickle = sending.response.trickle, context.channel.isActive {
                let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: trickle.interval) {
                    bound.value.handler.pump(context: bound.value.context)
                }
                return
            }
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.pump(context: context)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// A latch a test opens to let held origin responses go (``TestOrigin/Response/gate``).
public final class OriginGate: Sendable {
    private let state = Mutex<(open: Bool, waiting: [@Sendable () -> Void])>((false, []))

    public init() {}

    /// Whether the gate has been opened.
    public var isOpen: Bool { self.state.withLock { $0.open } }

    /// Releases every held response, and answers later ones at once.
    public func open() {
        let waiting = self.state.withLock { state in
            state.open = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for callback in waiting { callback() }
    }

    func whenOpen(_ callback: @escaping @Sendable () -> Void) {
        let now = self.state.withLock { state in
            if !state.open { state.waiting.append(callback) }
            return state.open
        }
        if now { callback() }
    }
}
