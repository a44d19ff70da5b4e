import NIOCore
import NIOHTTP1

/// One admin connection: gathers a request (body up to 64 KiB), lets ``AdminAPI`` answer it off the
/// event loop, and writes the answer. NIO's server pipeline keeps pipelined requests in order.
final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let maxBodyBytes = 64 * 1024

    private let api: AdminAPI
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(api: AdminAPI) {
        self.api = api
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body = []
            self.tooLarge = false
        case .body(var part):
            if self.body.count + part.readableBytes > Self.maxBodyBytes {
                self.tooLarge = true
            } else if let bytes = part.readBytes(length: part.readableBytes) {
                self.body += bytes
            }
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            let keepAlive = head.isKeepAlive
            let isHead = head.method == .HEAD
            if self.tooLarge {
                return Self.write(.error(413, "request body over 64 KiB"), keepAlive: false, isHead: isHead,
                                  context: context)
            }
            let request = AdminRequest(
                method: head.method.rawValue, uri: head.uri, authorization: head.headers.first(name: "authorization"),
                body: self.body)
            self.body = []
            Self.answer(request, api: self.api, keepAlive: keepAlive, isHead: isHead,
                        context: NIOLoopBound(context, eventLoop: context.eventLoop))
        }
    }

    /// Lets the API answer off the event loop, then writes the answer on it.
    private static func answer(
        _ request: AdminRequest, api: AdminAPI, keepAlive: Bool, isHead: Bool,
        context: NIOLoopBound<ChannelHandlerContext>
    ) {
        Task {
            let response = await api.handle(request)
            context.eventLoop.execute {
                Self.write(response, keepAlive: keepAlive, isHead: isHead, context: context.value)
            }
        }
    }

    private static func write(
        _ response: AdminResponse, keepAlive: Bool, isHead: Bool, context: ChannelHandlerContext
    ) {
        var body = context.channel.allocator.buffer(capacity: response.body.utf8.count)
        body.writeString(response.body)
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: response.contentType)
        headers.add(name: "content-length", value: String(body.readableBytes))
        headers.add(name: "cache-control", value: "no-store")
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        if !keepAlive { headers.add(name: "connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: response.status)
        context.write(
            NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
            promise: nil)
        if !isHead { context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).assumeIsolated().whenComplete { _ in
            if !keepAlive { context.close(promise: nil) }
        }
    }
}
