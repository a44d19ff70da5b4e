import CachePolicy
import CacheStore
import HTTPRules
import Logging
import NIOCore
import NIOHTTP1
import Upstream

/// What every connection's handler shares: the routing decision, the upstream pools, the log.
struct ProxyContext: Sendable {
    let configuration: ProxyConfiguration
    let router: any Router
    let upstreams: Upstreams
    /// The cache; nil when caching is off.
    let cache: HTTPCache?
    let accessLog: AccessLog
    let logger: Logger
}

/// Drives one client connection: one ``Exchange`` at a time, streamed between the client and an origin.
///
/// Bodies stream in both directions with backpressure: when the channel a part is written to stops
/// being writable, reading from the channel it came from stops until it drains. Pipelined requests
/// are held (and the socket not read) until the response before them is complete, so responses
/// leave in request order. A response that fails after its head was sent ends with the connection
/// closing, never with a framing that would present a short body as complete.
final class ProxyHandler: ChannelDuplexHandler, RequestPartSink {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = IOData

    private enum Queued {
        case part(HTTPServerRequestPart)
        case rejection(RequestRejection)
    }

    let shared: ProxyContext
    var context: ChannelHandlerContext?
    private var gate = ReadGate()
    var exchange: Exchange?
    /// Parts of pipelined requests that arrived while an earlier response was still being sent.
    private var queued: [Queued] = []
    private var timer: Scheduled<Void>?
    private var awaiting = Awaiting.nothing
    private var awaitingSince = NIODeadline.uptimeNanoseconds(0)
    /// A request head started arriving while an exchange was in progress (pipelining).
    private var headStarted = false
    private var quiescing = false
    /// The client half-closed: the requests it sent are answered, then the connection closes.
    private var inputClosed = false
    /// The client's IP address, read once per connection.
    private var clientIP: String?
    /// An exchange whose upstream connection starts when the current read has been decoded.
    private var connectAfterRead: Exchange?
    /// Whether stored bodies may leave this connection by sendfile (`FileRegion`): true on plain TCP. A connection
    /// whose bytes pass through a handler that must see them (TLS) says false: a file region cannot be encrypted.
    let mayUseSendfile: Bool
    /// The connection's sendfile state, made when a stored body is first sent from the file.
    var sendfile: SendfileState?
    private var encoder = ResponseEncoder()
    /// The Via member of an answer from the cache (a stored response counts as received over HTTP/1.1).
    let cachedAnswerVia: String
    private var decoder: RequestDecoder
    /// Bytes read but not yet decoded (the start of a head or chunk line still arriving).
    private var undecoded = UndecodedBytes()
    /// A request was rejected as malformed: nothing more is decoded, the connection is closing.
    private var decodingStopped = false

    init(shared: ProxyContext, mayUseSendfile: Bool) {
        self.shared = shared
        self.mayUseSendfile = mayUseSendfile
        self.decoder = RequestDecoder(limits: shared.configuration.limits)
        self.cachedAnswerVia = Forwarding.viaValue(receivedVersion: .http1_1, pseudonym: shared.configuration.viaName)
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.clientIP = context.channel.remoteAddress?.ipAddress
        if context.channel.isActive {
            self.wait(for: .nextRequest)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.wait(for: .nextRequest)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Decodes the bytes read into request parts (``RequestPartSink``), keeping an incomplete rest for the next read.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.decodingStopped else { return }  // after a rejected request: the connection is closing
        var bytes = self.undecoded.take(followedBy: self.unwrapInboundIn(data))
        do {
            while try self.decoder.decode(buffer: &bytes, to: self) == .continue {}
        } catch {
            self.decodingStopped = true
            return self.handle(.rejection(error))
        }
        self.undecoded.keep(bytes)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.abortConnection(reason: "client connection failed: \(error)")
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ChannelShouldQuiesceEvent:
            self.quiescing = true
            if self.exchange == nil && self.queued.isEmpty {
                context.close(promise: nil)
            } else {
                self.exchange?.keepAlive = false
            }
        case ChannelEvent.inputClosed:
            // The client sent all it will: what it asked is answered (`finish`), then the connection closes.
            // A tunnel ends with it.
            self.inputClosed = true
            if self.exchange == nil || self.exchange?.tunnelConnection != nil {
                context.close(promise: nil)
            }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.timer?.cancel()
        if let exchange = self.exchange {
            self.detachFill(exchange)
            exchange.releaseUpstream()
            exchange.noteCacheStatus()
            if !exchange.responseEnded && exchange.request.method != .CONNECT {
                exchange.log.error = exchange.log.error ?? "client closed the connection"
            }
            self.shared.accessLog.record(exchange.log)
            self.exchange = nil
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.exchange?.httpConnection?.resumeReading()
            self.exchange?.tunnelConnection?.resumeReading()
            self.pumpCachedBody()
        }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        self.gate.read(context: context)
    }

    // MARK: Requests

    func requestPart(_ part: HTTPServerRequestPart) {
        self.handle(.part(part))
    }

    func requestHeadStarted() {
        if self.exchange == nil {
            self.wait(for: .restOfHead)
        } else {
            self.headStarted = true
            self.gate.pause()  // the next request: read no further until this exchange is done
        }
    }

    private func handle(_ event: Queued) {
        // A part that belongs to the next pipelined request waits until the current exchange is done.
        if let exchange = self.exchange, exchange.requestEnded || !self.queued.isEmpty {
            self.queued.append(event)
            self.gate.pause()  // read no further until this exchange is done
            return
        }
        switch event {
        case .rejection(let rejection):
            self.reject(rejection)
        case .part(.head(let head)):
            self.begin(head)
        case .part(.body(let part)):
            self.forwardBody(part)
        case .part(.end):
            self.endRequest()
        }
    }

    private func begin(_ head: HTTPRequestHead) {
        self.awaiting = .nothing
        self.headStarted = false
        let exchange = Exchange(request: head, client: self.clientIP ?? "-")
        self.exchange = exchange
        if self.quiescing { exchange.keepAlive = false }

        let expectations = head.headers[canonicalForm: "expect"]
        if !expectations.isEmpty {
            guard expectations.count == 1, expectations[0].lowercased() == "100-continue" else {
                return self.respondLocally(RequestRejection(.expectationFailed, "unsupported expectation"))
            }
            exchange.expectsContinue = head.version.major == 1 && head.version.minor >= 1
        }

        let route: Route
        let framing: BodyFraming
        do {
            framing = try BodyFraming.ofRequest(head)
            route = try self.shared.router.route(head, framing: framing, clientIP: self.clientIP)
        } catch {
            return self.respondLocally(error)
        }
        exchange.route = route
        exchange.upstream = .connecting(pendingBody: [])
        if case .exchange = route, self.shared.cache != nil {
            // Cache-Status on every forwarded response (RFC 9211): requests the cache cannot answer say why.
            let cacheable = head.method == .GET || head.method == .HEAD
            exchange.cacheStatus = CacheStatus(forward: cacheable ? .bypass : .method)
        }
        if case .exchange(let request, _) = route, let cache = self.shared.cache,
            head.method == .GET || head.method == .HEAD, let uri = request.effectiveURI, let key = cache.key(for: uri)
        {
            exchange.cacheKey = key
            guard self.consultCache(cache, for: exchange, key: key) else { return }
        }
        // A body (or a tunnel's bytes) waits in the client's socket until there is an upstream to take it.
        // Without one, reading goes on: the next pipelined request is held when it arrives (`handle`), and
        // a client that sends nothing more costs no change of the socket's registration.
        if framing != .none || head.method == .CONNECT { self.gate.pause() }
        // Connect once the current read is fully decoded: a malformed body in the same read aborts
        // the request before a single byte goes upstream.
        self.connectAfterRead = exchange
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.startPendingConnect()
        context.fireChannelReadComplete()
    }

    private func startPendingConnect() {
        guard let exchange = self.connectAfterRead else { return }
        self.connectAfterRead = nil
        guard self.exchange === exchange else { return }
        self.proceed(exchange)
    }

    /// Starts what the exchange's upstream state calls for: connecting, or sending a cached answer.
    func proceed(_ exchange: Exchange) {
        if self.connectAfterRead === exchange { self.connectAfterRead = nil }
        switch exchange.upstream {
        case .connecting:
            self.connect(exchange, fresh: false)
        case .cacheHit(let body, let headers, let head, let age):
            self.serveFromCache(exchange, body: body, headers: headers, head: head, age: age)
        case .http, .tunnel, .cached, .waiting, .none:
            break
        }
    }

    func connect(_ exchange: Exchange, fresh: Bool) {
        guard let context, let route = exchange.route else { return }
        switch route {
        case .exchange(let request, let allowInternal):
            let origin = request.origin
            exchange.log.upstream = origin.description
            let pool = self.shared.upstreams.pool(for: context.eventLoop)
            // A pooled connection is taken at once, without a future.
            if !fresh, case .connecting(let pending) = exchange.upstream,
                let connection = pool.idleConnection(to: origin)
            {
                return self.startForwarding(exchange, over: connection, pendingBody: pending)
            }
            let future =
                fresh
                ? pool.newConnection(to: origin, allowInternal: allowInternal)
                : pool.connection(to: origin, allowInternal: allowInternal)
            future.assumeIsolated().whenComplete { [self] result in
                guard self.exchange === exchange, case .connecting(let pending) = exchange.upstream else {
                    if case .success(let connection) = result { connection.abort() }
                    return
                }
                switch result {
                case .success(let connection):
                    self.startForwarding(exchange, over: connection, pendingBody: pending)
                case .failure(let error):
                    self.upstreamFailed(exchange, error: Self.upstreamError(error))
                }
            }
        case .tunnel(let origin, let allowInternal):
            exchange.log.upstream = origin.description
            self.shared.upstreams.openTunnel(to: origin, allowInternal: allowInternal, on: context.eventLoop)
                .assumeIsolated().whenComplete { [self] result in
                    guard self.exchange === exchange, case .connecting(let pending) = exchange.upstream else {
                        if case .success(let tunnel) = result { tunnel.close() }
                        return
                    }
                    switch result {
                    case .success(let tunnel):
                        self.startTunnel(exchange, over: tunnel, pendingBytes: pending)
                    case .failure(let error):
                        self.upstreamFailed(exchange, error: Self.upstreamError(error))
                    }
                }
        }
    }

    private func startForwarding(_ exchange: Exchange, over connection: UpstreamConnection, pendingBody: [ByteBuffer]) {
        guard let context, case .exchange(let request, _)? = exchange.route else { return }
        let head = request.head(allocator: context.channel.allocator)
        exchange.upstream = .http(connection)
        exchange.requestTime = self.shared.cache?.clock() ?? 0
        connection.send(head, delegate: self)
        if exchange.expectsContinue && !exchange.requestEnded {
            exchange.expectsContinue = false
            self.send(.head(HTTPResponseHead(version: .http1_1, status: .continue)))
            self.context?.flush()
        }
        for part in pendingBody {
            connection.sendBodyPart(part)
            exchange.bodyPartsSent += 1
        }
        if exchange.requestEnded {
            connection.sendEnd()
        } else {
            connection.flush()
            self.updateClientReading()
        }
    }

    private func startTunnel(_ exchange: Exchange, over tunnel: TunnelConnection, pendingBytes: [ByteBuffer]) {
        exchange.upstream = .tunnel(tunnel)
        tunnel.delegate = self
        exchange.log.status = 200
        exchange.responseStarted = true
        exchange.keepAlive = false
        let head = HTTPResponseHead(
            version: .http1_1, status: .custom(code: 200, reasonPhrase: "Connection Established"))
        self.send(.head(head))
        self.context?.flush()
        for bytes in pendingBytes {
            tunnel.write(bytes)
        }
        self.updateClientReading()
    }

    private func forwardBody(_ part: ByteBuffer) {
        guard let exchange = self.exchange else { return }
        switch exchange.upstream {
        case .connecting(var pending):
            pending.append(part)
            exchange.upstream = .connecting(pendingBody: pending)
        case .http(let connection):
            connection.sendBodyPart(part)
            exchange.bodyPartsSent += 1
            if !connection.isWritable { self.gate.pause() }
        case .tunnel(let tunnel):
            tunnel.write(part)
            if !tunnel.isWritable { self.gate.pause() }
        case .cacheHit, .cached, .waiting, .none:
            break  // the response was already decided (an error or a stored answer); the body is dropped
        }
    }

    private func endRequest() {
        guard let exchange = self.exchange else { return }
        exchange.requestEnded = true
        if case .http(let connection) = exchange.upstream {
            connection.sendEnd()
        }
        if exchange.responseEnded {
            self.finish(exchange)
        }
    }

    private func reject(_ rejection: RequestRejection) {
        if let exchange = self.exchange, exchange.responseStarted {
            // The body of a request whose response is already streaming turned out malformed.
            exchange.log.error = rejection.reason
            return self.abortConnection(reason: rejection.reason)
        }
        self.exchange?.releaseUpstream()
        self.respondLocally(rejection)
    }

    // MARK: Responses

    /// Answers the current request (or a request that never got a head) with an error generated here.
    func respondLocally(_ rejection: RequestRejection) {
        guard let context else { return }
        let exchange =
            self.exchange
            ?? Exchange(
                request: HTTPRequestHead(version: .http1_1, method: .GET, uri: "-"), client: self.clientIP ?? "-")
        self.exchange = exchange
        if !rejection.keepsConnection || !exchange.requestEnded {
            exchange.keepAlive = false
        }
        exchange.upstream = .none
        exchange.log.status = rejection.status.code
        exchange.log.error = rejection.reason

        var body = context.channel.allocator.buffer(capacity: rejection.reason.utf8.count + 1)
        body.writeString(rejection.reason)
        body.writeString("\n")
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/plain; charset=utf-8")
        headers.add(name: "content-length", value: String(body.readableBytes))
        headers.add(name: "cache-control", value: "no-store")
        if !exchange.keepAlive { headers.add(name: "connection", value: "close") }
        exchange.responseStarted = true
        self.send(.head(HTTPResponseHead(version: .http1_1, status: rejection.status, headers: headers)))
        if exchange.request.method != .HEAD {
            exchange.log.bytes = body.readableBytes
            self.send(.body(.byteBuffer(body)))
        }
        self.endResponse(exchange)
    }

    /// Connection: close when the exchange ends the connection; keep-alive spelled out for HTTP/1.0 clients.
    func setPersistence(of exchange: Exchange, in headers: inout HTTPHeaders) {
        if let value = Self.persistence(of: exchange) { headers.replaceOrAdd(name: "connection", value: value) }
    }

    /// The Connection field's value an answer needs, if any (see ``setPersistence(of:in:)``).
    static func persistence(of exchange: Exchange) -> String? {
        if !exchange.keepAlive { return "close" }
        return exchange.request.version.minor == 0 ? "keep-alive" : nil
    }

    private func upstreamFailed(_ exchange: Exchange, error: UpstreamError) {
        exchange.upstream = .none
        exchange.abandonFill()
        if !exchange.responseStarted, self.serveStaleOnError(exchange, response: nil) { return }
        if exchange.responseStarted {
            exchange.log.error = error.detail
            return self.abortConnection(reason: error.detail)
        }
        self.respondLocally(RequestRejection(error.status, error.detail, keepsConnection: true))
    }

    /// Writes `part` to the client in wire form; `promise` completes with its last piece.
    func send(_ part: ResponsePart, promise: EventLoopPromise<Void>? = nil) {
        guard let context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        var held: IOData?
        self.encoder.encode(part, allocator: context.channel.allocator) { data in
            if let earlier = held { context.write(self.wrapOutboundOut(earlier), promise: nil) }
            held = data
        }
        if let held {
            context.write(self.wrapOutboundOut(held), promise: promise)
        } else if let promise {
            // Nothing to send, but the promise must complete after the writes before it.
            context.write(self.wrapOutboundOut(.byteBuffer(ByteBuffer())), promise: promise)
        }
    }

    /// Writes the response's last part (`.end` unless given) and flushes; then the exchange is finished.
    func endResponse(_ exchange: Exchange, last: ResponsePart = .end(nil)) {
        guard let context else { return }
        exchange.responseEnded = true
        guard exchange.requestEnded, exchange.keepAlive else {
            exchange.keepAlive = false
            let written = context.eventLoop.makePromise(of: Void.self)
            self.send(last, promise: written)
            context.flush()
            written.futureResult.assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
            return self.finish(exchange, closing: true)
        }
        self.send(last)
        context.flush()
        self.finish(exchange)
    }

    /// Ends the exchange once both the request and the response are complete (or the connection is closing).
    private func finish(_ exchange: Exchange, closing: Bool = false) {
        guard self.exchange === exchange, exchange.isComplete || closing else { return }
        exchange.endCoalescing()
        exchange.noteCacheStatus()
        self.shared.accessLog.record(exchange.log)
        self.exchange = nil
        guard exchange.keepAlive, !closing else {
            self.queued.removeAll()
            return
        }
        if self.headStarted {
            self.wait(for: .restOfHead)
        } else {
            self.wait(for: .nextRequest)
        }
        if let context = self.context {
            self.gate.resume(context: context)
        }
        let events = self.queued
        self.queued.removeAll()
        for event in events {
            self.handle(event)
        }
        self.startPendingConnect()  // queued parts were a complete read already
        if self.inputClosed && self.exchange == nil { self.context?.close(promise: nil) }
    }

    func abortConnection(reason: String) {
        if let exchange = self.exchange {
            exchange.log.error = exchange.log.error ?? reason
            self.detachFill(exchange)
            exchange.releaseUpstream()
        }
        self.context?.close(promise: nil)
    }

    private func updateClientReading() {
        guard let context, let exchange = self.exchange else { return }
        let upstreamWritable: Bool
        switch exchange.upstream {
        case .http(let connection): upstreamWritable = connection.isWritable
        case .tunnel(let tunnel): upstreamWritable = tunnel.isWritable
        case .connecting, .cacheHit, .cached, .waiting, .none: upstreamWritable = false
        }
        if upstreamWritable && !exchange.requestEnded {
            self.gate.resume(context: context)
        } else {
            self.gate.pause()
        }
    }

    // MARK: Timers

    /// What the connection waits for between exchanges; the one timer checks it.
    enum Awaiting {
        case nothing
        /// An idle keep-alive connection: closed after the keep-alive timeout.
        case nextRequest
        /// A request head that started arriving: 408 after the header read timeout.
        case restOfHead
    }

    /// Starts waiting. One timer serves every wait: armed when none is, it checks the wait when it
    /// fires and re-arms itself for what is left, so a busy keep-alive connection schedules and
    /// cancels nothing per request.
    private func wait(for what: Awaiting) {
        self.awaiting = what
        self.awaitingSince = .now()
        if self.timer == nil {
            self.armTimer(for: self.awaitingSince + self.timeout(for: what))
        }
    }

    private func timeout(for what: Awaiting) -> TimeAmount {
        switch what {
        case .nothing, .nextRequest: self.shared.configuration.keepAliveTimeout
        case .restOfHead: self.shared.configuration.headerReadTimeout
        }
    }

    /// Never further out than the header read timeout, the shortest wait, so a wait that starts while
    /// the timer is armed is never checked late.
    private func armTimer(for deadline: NIODeadline) {
        guard let context else { return }
        let cap = NIODeadline.now() + self.shared.configuration.headerReadTimeout
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: min(deadline, cap)) { [self] in
            self.timer = nil
            self.checkWait()
        }
    }

    private func checkWait() {
        guard self.awaiting != .nothing, self.exchange == nil else { return }
        let deadline = self.awaitingSince + self.timeout(for: self.awaiting)
        guard NIODeadline.now() >= deadline else { return self.armTimer(for: deadline) }
        switch self.awaiting {
        case .nothing:
            break
        case .nextRequest:
            self.context?.close(promise: nil)
        case .restOfHead:
            let timeout = self.shared.configuration.headerReadTimeout
            self.respondLocally(
                RequestRejection(.requestTimeout, "request head not received within \(timeout.seconds)s"))
        }
    }

    private static func upstreamError(_ error: any Error) -> UpstreamError {
        (error as? UpstreamError) ?? UpstreamError(.connect, "upstream connection failed: \(error)")
    }
}

// MARK: - Upstream responses

extension ProxyHandler: UpstreamResponseDelegate {
    func upstream(_ connection: UpstreamConnection, didReceiveHead head: HTTPResponseHead, framing: BodyFraming) {
        guard let context, let exchange = self.exchange, exchange.httpConnection === connection else { return }
        if exchange.revision != nil, self.applyValidation(head, to: exchange, over: connection) { return }
        let forwardedFraming: ForwardedResponseHead.Framing
        switch framing {
        case .length(let length):
            forwardedFraming = .contentLength(Int64(length))
        case .chunked where exchange.request.version.minor >= 1:
            forwardedFraming = .chunked
        case .chunked, .untilClose:
            // The end is marked by closing the connection, as the origin did: no framing is invented
            // that would present a body cut short as complete.
            forwardedFraming = .untilClose
            exchange.keepAlive = false
        case .none:
            forwardedFraming = .bodiless
        }
        exchange.declaredLength = framing.declaredLength
        var removing: [String] = []
        if let cache = self.shared.cache {
            self.applyCache(cache, to: exchange, response: head)
            removing = TargetedCacheControl.fieldsToStrip(configuration: cache.policy)
        }
        exchange.responseStarted = true
        exchange.log.status = head.status.code
        let response = ForwardedResponseHead(
            status: head.status, received: head.headers, removing: removing,
            via: head.version == .http1_1
                ? self.cachedAnswerVia
                : Forwarding.viaValue(receivedVersion: head.version, pseudonym: self.shared.configuration.viaName),
            framing: forwardedFraming, cacheStatus: exchange.cacheStatus, connection: Self.persistence(of: exchange))
        let bytes = response.encoded(allocator: context.channel.allocator)
        self.send(.serialized(bytes, chunked: forwardedFraming == .chunked))
    }

    func upstream(_ connection: UpstreamConnection, didReceiveBodyPart part: ByteBuffer) {
        guard let context, let exchange = self.exchange, exchange.httpConnection === connection else { return }
        guard exchange.answerFromStore == nil else { return }  // the origin's error body, replaced by the stored one
        exchange.log.bytes += part.readableBytes
        if let fill = exchange.fill {
            self.store(part, in: fill, for: exchange, pausing: connection)
        }
        self.send(.body(.byteBuffer(part)))
        if !context.channel.isWritable {
            if self.handOffSlowClient(exchange) {
                return context.flush()  // the rest comes from the store as this client drains
            }
            // Pause before flushing: a flush that drains fires the writability change (and the
            // resume) at once, which must find the pause already in place.
            connection.pauseReading()
            context.flush()
        }
    }

    func upstreamDidReadComplete(_ connection: UpstreamConnection) {
        guard self.exchange?.httpConnection === connection else { return }
        self.context?.flush()
    }

    func upstreamDidFinish(_ connection: UpstreamConnection) {
        guard let exchange = self.exchange, exchange.httpConnection === connection else { return }
        exchange.upstream = .none
        exchange.fill?.finish { _ in }
        exchange.fill = nil
        if exchange.requestEnded, let context = self.context {
            self.shared.upstreams.pool(for: context.eventLoop).release(connection)
        } else {
            connection.abort()  // the request body never finished: the connection's state is unknown
        }
        if let answer = exchange.answerFromStore, let revision = exchange.revision {
            exchange.revision = nil
            return self.serveFromCache(
                exchange, body: .stored(revision.variant), headers: answer.headers, age: answer.age)
        }
        self.endResponse(exchange)
    }

    func upstream(_ connection: UpstreamConnection, didFail error: UpstreamError) {
        guard let exchange = self.exchange, exchange.httpConnection === connection else { return }
        let retryable =
            connection.completedExchanges > 0 && error.kind == .closedEarly && !exchange.responseStarted
            && exchange.bodyPartsSent == 0 && !exchange.retried
        if retryable {
            // A pooled connection the origin had already closed: try once more on a new one.
            exchange.retried = true
            exchange.upstream = .connecting(pendingBody: [])
            return self.connect(exchange, fresh: true)
        }
        self.upstreamFailed(exchange, error: error)
    }

    func upstreamWritabilityDidChange(_ connection: UpstreamConnection) {
        guard self.exchange?.httpConnection === connection else { return }
        self.updateClientReading()
    }
}

// MARK: - Tunnels

extension ProxyHandler: TunnelDelegate {
    func tunnel(_ tunnel: TunnelConnection, didReceive bytes: ByteBuffer) {
        guard let context, let exchange = self.exchange, exchange.tunnelConnection === tunnel else { return }
        exchange.log.bytes += bytes.readableBytes
        self.send(.body(.byteBuffer(bytes)))
        context.flush()
        if !context.channel.isWritable {
            tunnel.pauseReading()
        }
    }

    func tunnelDidClose(_ tunnel: TunnelConnection) {
        guard let context, let exchange = self.exchange, exchange.tunnelConnection === tunnel else { return }
        exchange.upstream = .none
        context.flush()
        context.close(promise: nil)
    }

    func tunnelWritabilityDidChange(_ tunnel: TunnelConnection) {
        guard self.exchange?.tunnelConnection === tunnel else { return }
        self.updateClientReading()
    }
}
