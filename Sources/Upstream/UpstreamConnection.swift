import HTTPRules
import NIOCore
import NIOHTTP1

/// A request head in wire form (request line, fields, the empty line), with what its connection must know.
public struct RequestHead {
    public var bytes: ByteBuffer
    /// The response to a HEAD request has no body.
    public var method: HTTPMethod
    /// The body parts that follow are framed as chunks (the head says `Transfer-Encoding: chunked`).
    public var isChunked: Bool

    public init(bytes: ByteBuffer, method: HTTPMethod, isChunked: Bool) {
        self.bytes = bytes
        self.method = method
        self.isChunked = isChunked
    }
}

/// Receives one response from an ``UpstreamConnection``, on the connection's event loop.
public protocol UpstreamResponseDelegate: AnyObject {
    /// A final response's head (interim 1xx responses are skipped), and how its body is framed.
    func upstream(_ connection: UpstreamConnection, didReceiveHead head: HTTPResponseHead, framing: BodyFraming)
    func upstream(_ connection: UpstreamConnection, didReceiveBodyPart part: ByteBuffer)
    /// The response is complete. The connection may now be released to the pool.
    func upstreamDidFinish(_ connection: UpstreamConnection)
    /// The exchange failed; the connection is already closing.
    func upstream(_ connection: UpstreamConnection, didFail error: UpstreamError)
    /// The connection became writable or stopped being writable (request body backpressure).
    func upstreamWritabilityDidChange(_ connection: UpstreamConnection)
    /// A read from the socket has been delivered in full: the moment to flush what was written downstream.
    func upstreamDidReadComplete(_ connection: UpstreamConnection)
}

/// One keep-alive HTTP/1.1 connection to an origin, carrying one exchange at a time.
///
/// It is the connection's only handler: it writes requests in wire form and parses responses itself
/// (``ResponseDecoder``), handing response parts to its delegate. It enforces the read timeout (no response
/// head, or a stalled body) and turns a connection that closes mid-response into ``UpstreamError/Kind/closedEarly``
/// so a cut-short body is never passed on as complete. All methods must be called on its event loop.
public final class UpstreamConnection: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundIn = Never
    public typealias OutboundOut = IOData

    private enum State {
        case idle
        case awaitingHead
        case receivingBody
        case closed
    }

    public let origin: Origin
    private let readTimeout: TimeAmount
    private var context: ChannelHandlerContext?
    private var state = State.idle
    private var delegate: (any UpstreamResponseDelegate)?
    private var gate = ReadGate()
    private var decoder = ResponseDecoder()
    /// Bytes of a response part not yet complete, kept for the next read.
    private var undecoded = UndecodedBytes()
    /// The request being sent is chunked: body parts are framed as chunks.
    private var sendsChunked = false
    private var lastActivity = NIODeadline.now()
    private var timeoutTask: Scheduled<Void>?
    /// Called when the connection closes while idle, so the pool can forget it.
    var onClose: ((UpstreamConnection) -> Void)?

    /// How many exchanges this connection has carried before the current one.
    public private(set) var completedExchanges = 0
    /// Whether the origin allows the connection to be reused after the current response.
    public private(set) var originKeepsAlive = true

    init(origin: Origin, readTimeout: TimeAmount) {
        self.origin = origin
        self.readTimeout = readTimeout
    }

    /// Whether the connection is open and carries no exchange.
    public var isIdleAndOpen: Bool { self.state == .idle && (self.context?.channel.isActive ?? false) }

    /// Whether the request body may be written without queueing.
    public var isWritable: Bool { self.context?.channel.isWritable ?? false }

    /// The remote address, for logs.
    public var remoteAddress: SocketAddress? { self.context?.channel.remoteAddress }

    // MARK: Sending a request

    /// Starts an exchange: writes the request head (flushed with the first body part or the end).
    public func send(_ head: RequestHead, delegate: any UpstreamResponseDelegate) {
        guard let context, self.state == .idle else {
            delegate.upstream(self, didFail: UpstreamError(.closedEarly, "connection to \(self.origin) is not usable"))
            return
        }
        self.delegate = delegate
        self.state = .awaitingHead
        self.originKeepsAlive = true
        self.decoder.expectResponse(to: head.method)
        self.sendsChunked = head.isChunked
        self.touch()
        if self.timeoutTask == nil {
            self.scheduleTimeout(context: context)
        }
        context.write(self.wrapOutboundOut(.byteBuffer(head.bytes)), promise: nil)
    }

    public func sendBodyPart(_ part: ByteBuffer) {
        self.touch()
        guard let context else { return }
        if self.sendsChunked {
            ChunkedFraming.emitChunk(.byteBuffer(part), allocator: context.channel.allocator) { piece in
                context.write(self.wrapOutboundOut(piece), promise: nil)
            }
        } else {
            context.write(self.wrapOutboundOut(.byteBuffer(part)), promise: nil)
        }
        context.flush()
    }

    public func sendEnd() {
        self.touch()
        guard let context else { return }
        if self.sendsChunked {
            self.sendsChunked = false
            let lastChunk = ChunkedFraming.lastChunk(trailers: nil, allocator: context.channel.allocator)
            context.write(self.wrapOutboundOut(.byteBuffer(lastChunk)), promise: nil)
        }
        context.flush()
    }

    /// Sends what was written so far (the head of a request whose body has not arrived yet).
    public func flush() {
        self.context?.flush()
    }

    public func pauseReading() {
        self.gate.pause()
    }

    public func resumeReading() {
        guard let context else { return }
        self.gate.resume(context: context)
    }

    /// Hands the rest of the current response to another delegate (a fill that goes on after the
    /// client that started it left). Does nothing when no response is in progress.
    public func handOver(to delegate: any UpstreamResponseDelegate) {
        guard self.state == .awaitingHead || self.state == .receivingBody else { return }
        self.delegate = delegate
    }

    /// Ends the exchange early and closes the connection without telling the delegate.
    public func abort() {
        self.delegate = nil
        self.close()
    }

    func close() {
        self.state = .closed
        self.timeoutTask?.cancel()
        self.context?.close(promise: nil)
    }

    // MARK: Channel events

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Decodes the bytes read into response parts for the delegate, keeping an incomplete rest for the next read.
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.touch()
        var bytes = self.undecoded.take(followedBy: self.unwrapInboundIn(data))
        do {
            // The decoder is not borrowed while a part is delivered: the delegate may start the next exchange.
            while self.state != .closed, let part = try self.decoder.next(&bytes) {
                self.deliver(part, more: bytes.readableBytes > 0)
            }
        } catch {
            return self.invalidResponse(error)
        }
        self.undecoded.keep(bytes)
    }

    /// Hands one part to the delegate. `more`: bytes follow the part in the same read.
    private func deliver(_ part: ResponseDecoder.Part, more: Bool) {
        switch part {
        case .head(let head, let framing):
            self.state = .receivingBody
            self.originKeepsAlive = head.version.keepsAlive(head.headers)
            self.delegate?.upstream(self, didReceiveHead: head, framing: framing)
        case .body(let part):
            self.delegate?.upstream(self, didReceiveBodyPart: part)
        case .end:
            // The timer stays armed: it finds the connection idle when it fires and lapses, unless another
            // exchange has started meanwhile. A connection carrying exchange after exchange schedules no timer
            // per exchange.
            self.state = .idle
            self.completedExchanges += 1
            // A pause held back this response's bytes (a full store queue, a slow client); it ends with the
            // response. Kept, it would leave the connection deaf in the pool: the next request's answer never read.
            if let context = self.context { self.gate.resume(context: context) }
            // Bytes after the end of a response answer nothing sent: the connection is not reused.
            if more { self.originKeepsAlive = false }
            let delegate = self.delegate
            self.delegate = nil
            delegate?.upstreamDidFinish(self)
        }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        self.delegate?.upstreamDidReadComplete(self)
        context.fireChannelReadComplete()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        let wasInExchange = self.state == .awaitingHead || self.state == .receivingBody
        let sawHead = self.state == .receivingBody
        if wasInExchange && self.decoder.connectionClosed() {
            // A body delimited by the close is complete.
            self.originKeepsAlive = false
            self.deliver(.end, more: false)
        }
        let cutShort = self.state == .awaitingHead || self.state == .receivingBody
        self.state = .closed
        self.timeoutTask?.cancel()
        if cutShort {
            let detail =
                sawHead
                ? "\(self.origin) closed the connection before the response was complete"
                : "\(self.origin) closed the connection without a response"
            self.fail(UpstreamError(.closedEarly, detail))
        }
        self.onClose?(self)
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail(UpstreamError(.closedEarly, "connection to \(self.origin) failed: \(error)"))
        self.close()
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.delegate?.upstreamWritabilityDidChange(self)
        context.fireChannelWritabilityChanged()
    }

    public func read(context: ChannelHandlerContext) {
        self.gate.read(context: context)
    }

    // MARK: Internals

    private func invalidResponse(_ error: MessageSyntaxError) {
        let reason =
            switch error {
            case .malformed(let reason): reason
            case .firstLineTooLong: "status line too long"
            case .fieldsTooLarge: "header fields too large"
            case .tooManyFields: "too many header fields"
            }
        self.fail(UpstreamError(.invalidResponse, "\(self.origin) sent an invalid response (\(reason))"))
        self.close()
    }

    private func fail(_ error: UpstreamError) {
        let delegate = self.delegate
        self.delegate = nil
        delegate?.upstream(self, didFail: error)
    }

    private func touch() {
        self.lastActivity = .now()
    }

    /// One timer for the connection, armed by the first exchange after it lapsed: when it fires during an
    /// exchange it checks the last activity and re-arms for the remainder, so a busy connection pays a clock
    /// read per event rather than a timer per read or per exchange. Fired while idle, it lapses.
    private func scheduleTimeout(context: ChannelHandlerContext) {
        self.timeoutTask?.cancel()
        let deadline = self.lastActivity + self.readTimeout
        self.timeoutTask = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.timeoutTask = nil
            guard self.state == .awaitingHead || self.state == .receivingBody, let context = self.context else {
                return
            }
            if self.lastActivity + self.readTimeout > .now() {
                self.scheduleTimeout(context: context)
                return
            }
            let kind: UpstreamError.Kind = self.state == .awaitingHead ? .firstByteTimeout : .readTimeout
            let what = self.state == .awaitingHead ? "no response" : "the response stalled"
            self.fail(UpstreamError(kind, "\(what) from \(self.origin) within \(self.readTimeout.seconds)s"))
            self.close()
        }
    }
}

extension TimeAmount {
    /// Whole seconds, for messages.
    public var seconds: Int64 { self.nanoseconds / 1_000_000_000 }
}
