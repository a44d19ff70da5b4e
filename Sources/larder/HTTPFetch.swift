import NIOCore
import NIOHTTP1
import NIOPosix

/// A one-request HTTP/1.1 client for the CLI: the admin API and `warm` (through the proxy).
/// Each call opens a connection, sends one request with `Connection: close` and reads the answer.
enum HTTPFetch {
    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        /// The body, when kept; `bodyBytes` counts it either way.
        var body: [UInt8]
        var bodyBytes: Int

        var text: String { String(decoding: self.body, as: UTF8.self) }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends `method target` to `host:port`. With `keepBody` false the body is counted and dropped
    /// (warming multi-gigabyte files needs no memory). Fails after `timeout` without an answer.
    static func fetch(
        host: String, port: Int, method: HTTPMethod = .GET, target: String, headers: [(String, String)] = [],
        body: [UInt8] = [], keepBody: Bool = true, timeout: TimeAmount = .seconds(30)
    ) async throws -> Response {
        let group = MultiThreadedEventLoopGroup.singleton
        let loop = group.next()
        let promise = loop.makePromise(of: Response.self)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(Collector(promise: promise, keepBody: keepBody))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            promise.fail(error)
            throw Failure(description: "cannot connect to \(host):\(port): \(error)")
        }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: target)
        // An absolute-form target (a request to a proxy) names its own authority, which Host must repeat.
        head.headers.add(name: "host", value: Self.authority(of: target) ?? (port == 80 ? host : "\(host):\(port)"))
        head.headers.add(name: "connection", value: "close")
        head.headers.add(name: "user-agent", value: "larder-cli")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if !body.isEmpty || method == .POST { head.headers.add(name: "content-length", value: String(body.count)) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if !body.isEmpty {
            channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        let timer = loop.scheduleTask(in: timeout) {
            let seconds = timeout.nanoseconds / 1_000_000_000
            promise.fail(Failure(description: "no complete answer from \(host):\(port) within \(seconds) s"))
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        let response = try await promise.futureResult.get()
        channel.close(promise: nil)
        return response
    }

    /// The authority of an absolute `http://` URL, or nil for an origin-form target.
    static func authority(of target: String) -> String? {
        guard target.hasPrefix("http://") else { return nil }
        let rest = target.dropFirst("http://".count)
        return String(rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" })
    }

    /// Gathers one response and completes the promise at its end (or fails it if the connection closes first).
    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart

        let promise: EventLoopPromise<Response>
        let keepBody: Bool
        var response: Response?

        init(promise: EventLoopPromise<Response>, keepBody: Bool) {
            self.promise = promise
            self.keepBody = keepBody
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .head(let head):
                self.response = Response(status: Int(head.status.code), headers: head.headers, body: [], bodyBytes: 0)
            case .body(let part):
                self.response?.bodyBytes += part.readableBytes
                if self.keepBody { self.response?.body += part.readableBytesView }
            case .end:
                if let response = self.response { self.promise.succeed(response) }
                self.response = nil
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.promise.fail(Failure(description: "the connection closed before the answer was complete"))
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            self.promise.fail(Failure(description: "\(error)"))
            context.close(promise: nil)
        }
    }
}
