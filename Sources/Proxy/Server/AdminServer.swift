import NIOCore
import NIOHTTP1
import NIOPosix

/// The admin listener, apart from the proxy port (loopback by default): health, statistics,
/// Prometheus metrics, purge, listing and inspection (see ``AdminAPI`` for the routes).
enum AdminServer {
    static func bind(_ address: ListenAddress, api: AdminAPI, group: any EventLoopGroup) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(AdminHandler(api: api))
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
    }
}
