import Logging
import NIOCore
import NIOPosix
import Proxy
import Upstream

/// An in-process Larder on 127.0.0.1 with an ephemeral port and its own event loops.
public final class TestLarder: Sendable {
    public let server: ProxyServer
    public let port: Int
    /// The cache store's directory, removed at shutdown.
    public let cacheDirectory: TemporaryDirectory
    private let group: MultiThreadedEventLoopGroup
    private let threadPool: NIOThreadPool

    /// Starts Larder with test-friendly defaults (ephemeral port, no admin listener, no access log),
    /// then `configure` applied on top.
    public static func start(
        mode: ProxyConfiguration.Mode = .forward,
        upstreams: [String] = [],
        configure: (inout ProxyConfiguration) -> Void = { _ in }
    ) async throws -> TestLarder {
        var configuration = ProxyConfiguration()
        configuration.mode = mode
        configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.admin = nil
        configuration.accessLog = false
        configuration.allowPrivateTargets = true
        configuration.upstreams = upstreams.compactMap { Origin(url: $0) }
        let cacheDirectory = TemporaryDirectory()
        configuration.cacheDirectory = cacheDirectory.path
        configure(&configuration)

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        var logger = Logger(label: "larder.test")
        logger.logLevel = .critical
        let server = ProxyServer(
            configuration: configuration, group: group, threadPool: threadPool, logger: logger, accessLogger: nil)
        do {
            try await server.start()
        } catch {
            try? await threadPool.shutdownGracefully()
            try? await group.shutdownGracefully()
            cacheDirectory.remove()
            throw error
        }
        return TestLarder(
            server: server, port: server.localAddress?.port ?? 0, cacheDirectory: cacheDirectory, group: group,
            threadPool: threadPool)
    }

    private init(
        server: ProxyServer,
        port: Int,
        cacheDirectory: TemporaryDirectory,
        group: MultiThreadedEventLoopGroup,
        threadPool: NIOThreadPool
    ) {
        self.server = server
        self.port = port
        self.cacheDirectory = cacheDirectory
        self.group = group
        self.threadPool = threadPool
    }

    public func shutdown() async {
        await self.server.shutdown()
        try? await self.threadPool.shutdownGracefully()
        try? await self.group.shutdownGracefully()
        self.cacheDirectory.remove()
    }
}

/// Runs `body` with an origin and a Larder in front of it (reverse mode) or beside it (forward mode),
/// and shuts both down afterwards, also when `body` throws.
public func withOriginAndLarder<Result>(
    mode: ProxyConfiguration.Mode = .forward,
    origin handler: @escaping TestOrigin.Handler = { _ in .text("ok\n") },
    configure: (inout ProxyConfiguration) -> Void = { _ in },
    _ body: (TestOrigin, TestLarder) async throws -> Result
) async throws -> Result {
    let origin = try await TestOrigin.start(handler: handler)
    let larder: TestLarder
    do {
        larder = try await TestLarder.start(mode: mode, upstreams: mode == .reverse ? [origin.url] : [],
                                            configure: configure)
    } catch {
        await origin.shutdown()
        throw error
    }
    do {
        let result = try await body(origin, larder)
        await larder.shutdown()
        await origin.shutdown()
        return result
    } catch {
        await larder.shutdown()
        await origin.shutdown()
        throw error
    }
}
