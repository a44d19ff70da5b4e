import CachePolicy
import CacheStore
import HTTPRules
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Upstream

/// A running Larder: the proxy listener, the admin listener, and the upstream pools they share.
///
/// `start()` binds and returns; `shutdown()` stops accepting, lets in-flight exchanges finish up to
/// ``ProxyConfiguration/shutdownTimeout``, then closes what is left.
public final class ProxyServer: Sendable {
    public let configuration: ProxyConfiguration
    private let group: any EventLoopGroup
    private let threadPool: NIOThreadPool
    private let logger: Logger
    private let accessLogger: Logger?
    private let state = Mutex<Running?>(nil)
    /// Traffic counters since start (`/stats`, `larder stats`).
    public let stats = TrafficStats()
    /// Renders `/metrics`.
    public let metrics: MetricsExporter
    /// What new connections start with; replaced by ``reload(_:)``.
    let live = LiveContext()

    private struct Running: Sendable {
        var cache: HTTPCache?
        var proxyChannel: any Channel
        var adminChannel: (any Channel)?
        var connections: ConnectionTracker
        var adminAPI: AdminAPI?
    }

    /// - Parameters:
    ///   - logger: for operational messages.
    ///   - accessLogger: for one line per request; nil turns the access log off.
    ///   - metrics: renders `/metrics`; the executable passes one over the registry it bootstrapped
    ///     swift-metrics with.
    public init(
        configuration: ProxyConfiguration,
        group: any EventLoopGroup,
        threadPool: NIOThreadPool,
        logger: Logger,
        accessLogger: Logger?,
        metrics: MetricsExporter = MetricsExporter()
    ) {
        self.metrics = metrics
        self.configuration = configuration
        self.group = group
        self.threadPool = threadPool
        self.logger = logger
        self.accessLogger = accessLogger
    }

    /// The proxy listener's bound address (useful with port 0).
    public var localAddress: SocketAddress? { self.state.withLock { $0?.proxyChannel.localAddress } }
    /// The admin listener's bound address, if it runs.
    public var adminAddress: SocketAddress? { self.state.withLock { $0?.adminChannel?.localAddress } }

    /// Binds the listeners. Throws ``ConfigurationError`` for an unusable configuration and the bind error otherwise.
    public func start() async throws {
        try self.configuration.validate()
        let cache = try self.openCache()
        let context = self.makeContext(self.configuration, cache: cache, upstreams: nil)
        let live = self.live
        live.install(context)
        let connections = ConnectionTracker()
        let proxyChannel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            // A client may half-close after its request: it is still answered (ProxyHandler, inputClosed).
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            // Room for a stored chunk or two before a client connection counts as not writable: a 256 KiB file
            // region, or a 100 KiB body with its head, goes out without a writability flip and its two pipeline
            // events (NIO's default, 64 KiB, flips on every such response). A slow client holds at most this
            // much of a proxied response before the origin is paused.
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 256 * 1024, high: 512 * 1024))
            .childChannelInitializer { channel in
                connections.track(channel)
                let context = live.current ?? context  // a reload may have installed newer settings
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    // Plain TCP: nothing between the handler and the socket, so stored bodies may go by sendfile.
                    try sync.addHandler(ProxyHandler(shared: context, mayUseSendfile: true))
                }
            }
            .bind(host: self.configuration.listen.host, port: self.configuration.listen.port)
            .get()

        var adminChannel: (any Channel)?
        let adminAPI = AdminAPI(
            stats: self.stats, cache: cache, sources: StatsSources.make(cache: cache), metrics: self.metrics,
            token: self.configuration.adminToken)
        self.live.install(admin: adminAPI)
        if let admin = self.configuration.admin {
            do {
                adminChannel = try await AdminServer.bind(admin, api: adminAPI, group: self.group)
            } catch {
                try? await proxyChannel.close()
                cache?.store.close()
                throw error
            }
        }
        self.state.withLock {
            $0 = Running(
                cache: cache, proxyChannel: proxyChannel, adminChannel: adminChannel, connections: connections,
                adminAPI: adminAPI)
        }
        self.logger.info(
            "larder listening",
            metadata: [
                "listen.address": "\(proxyChannel.localAddress.map { "\($0)" } ?? "?")",
                "proxy.mode": "\(self.configuration.mode.rawValue)",
                "admin.address": "\(adminChannel?.localAddress.map { "\($0)" } ?? "off")",
            ])
    }

    /// Stops accepting, waits for in-flight exchanges up to the shutdown timeout, then closes everything.
    public func shutdown() async {
        guard let running = self.state.withLock({ current -> Running? in
            defer { current = nil }
            return current
        }) else { return }
        running.adminAPI?.markNotReady()
        try? await running.proxyChannel.close()
        let timeout = self.live.current?.configuration.shutdownTimeout ?? self.configuration.shutdownTimeout
        // In-flight exchanges get until the timeout; then whatever is left is closed, which also ends the wait.
        let deadline = Task {
            try await Task.sleep(nanoseconds: UInt64(max(0, timeout.nanoseconds)))
            running.connections.closeAll()
        }
        await running.connections.quiesce()
        deadline.cancel()
        try? await running.adminChannel?.close()
        running.cache?.store.close()
    }

    /// What request coalescing is doing right now; nil when caching is off or the server is not running.
    public var coalescing: CoalescingSnapshot? {
        self.state.withLock { $0?.cache?.coalescer.snapshot() }
    }

    /// Waits until every response already handed to the store is committed (tests, admin, shutdown).
    public func flushCache() async throws {
        guard let cache = self.state.withLock({ $0?.cache }) else { return }
        try await cache.store.flush()
    }

    /// Opens the store under ``ProxyConfiguration/cacheDirectory`` with the configured budget.
    private func openCache() throws -> HTTPCache? {
        guard self.configuration.cacheEnabled else { return nil }
        let configuration = self.configuration
        var storeConfiguration = CacheStore.Configuration()
        storeConfiguration.maxBytes = configuration.cacheSize
        storeConfiguration.maxObjectBytes = configuration.cacheMaxObjectSize
        let store = try CacheStore.open(directory: configuration.cacheDirectory, configuration: storeConfiguration)
        let policy = PolicyConfiguration(
            defaultTTL: configuration.cacheDefaultTTL,
            targetedFieldName: configuration.cacheTargetedField,
            honoursTargetedField: configuration.mode == .reverse)
        let keys = CacheKeyConfiguration(parameterPatterns: configuration.cacheIgnoredQueryParameters)
        let clock = configuration.cacheClock
        var coalescing = Coalescer.Configuration()
        coalescing.waitTimeout = configuration.coalescing.waitTimeout
        coalescing.uncacheableMemory = configuration.coalescing.uncacheableMemory.nanoseconds / 1_000_000
        coalescing.abandonedFillLimit = configuration.coalescing.abandonedFillLimit
        return HTTPCache(store: store, policy: policy, keys: keys, coalescing: coalescing,
                         overrides: configuration.cacheOverrides, reportsKey: configuration.cacheStatusKey,
                         clock: { clock.milliseconds() })
    }

    /// The settings connections share, for `configuration`; `upstreams` reuses existing pools.
    func makeContext(_ configuration: ProxyConfiguration, cache: HTTPCache?, upstreams: Upstreams?) -> ProxyContext {
        ProxyContext(
            configuration: configuration,
            router: Self.makeRouter(configuration),
            upstreams: upstreams ?? Upstreams(configuration: configuration.upstream, group: self.group,
                                              threadPool: self.threadPool),
            cache: cache,
            accessLog: AccessLog(logger: self.accessLogger, stats: self.stats),
            logger: self.logger
        )
    }

    private static func makeRouter(_ configuration: ProxyConfiguration) -> any Router {
        switch configuration.mode {
        case .forward:
            return ForwardRouter(
                via: configuration.viaName,
                allowPrivateTargets: configuration.effectiveAllowPrivateTargets,
                connectPorts: configuration.connectPorts
            )
        case .reverse:
            return ReverseRouter(
                via: configuration.viaName,
                upstreams: UpstreamGroup(origins: configuration.upstreams),
                preserveHost: configuration.preserveHost
            )
        }
    }
}
