import NIOCore
import NIOHTTP1
import NIOPosix

/// The admin listener, apart from the proxy port: `/healthz` (the process serves) and `/readyz`
/// (it accepts proxy traffic). Stats, metrics and purge come with the operations work.
enum AdminServer {
    static func bind(_ address: ListenAddress, group: any EventLoopGroup) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(AdminHandler())
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
    }
}

/// Answers admin requests with a short plain-text body.
final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var keepAlive = true
    private var path = ""

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.path = head.uri
            self.keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            let (status, text): (HTTPResponseStatus, String) =
                switch self.path.split(separator: "?", maxSplits: 1).first ?? "" {
                case "/healthz": (.ok, "ok\n")
                case "/readyz": (.ok, "ready\n")
                default: (.notFound, "not found: the admin API serves /healthz and /readyz\n")
                }
            var body = context.channel.allocator.buffer(capacity: text.utf8.count)
            body.writeString(text)
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "text/plain; charset=utf-8")
            headers.add(name: "content-length", value: String(body.readableBytes))
            if !self.keepAlive { headers.add(name: "connection", value: "close") }
            context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status,
                                                                      headers: headers))), promise: nil)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            let keepAlive = self.keepAlive
            context.writeAndFlush(self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                if !keepAlive { context.close(promise: nil) }
            }
        }
    }
}
