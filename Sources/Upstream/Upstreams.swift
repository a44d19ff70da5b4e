import NIOCore
import NIOPosix

/// Everything Larder needs to reach origins: one ``ConnectionPool`` per event loop, name resolution, tunnels.
///
/// Sendable; the pools it hands out are bound to their event loops.
public final class Upstreams: Sendable {
    public let configuration: UpstreamConfiguration
    private let connector: Connector
    private let pools: [ObjectIdentifier: NIOLoopBoundBox<ConnectionPool?>]

    public init(configuration: UpstreamConfiguration, group: any EventLoopGroup, threadPool: NIOThreadPool) {
        self.configuration = configuration
        self.connector = Connector(resolver: AddressResolver(threadPool: threadPool), configuration: configuration)
        var pools: [ObjectIdentifier: NIOLoopBoundBox<ConnectionPool?>] = [:]
        for loop in group.makeIterator() {
            pools[ObjectIdentifier(loop)] = .makeEmptyBox(valueType: ConnectionPool.self, eventLoop: loop)
        }
        self.pools = pools
    }

    /// The pool of the current event loop. Must be called on one of the group's event loops.
    public func pool(for eventLoop: any EventLoop) -> ConnectionPool {
        guard let box = self.pools[ObjectIdentifier(eventLoop)] else {
            preconditionFailure("event loop is not part of the proxy's group")
        }
        if let pool = box.value {
            return pool
        }
        let pool = ConnectionPool(eventLoop: eventLoop, connector: self.connector)
        box.value = pool
        return pool
    }

    /// Opens a raw TCP connection for a CONNECT tunnel.
    public func openTunnel(
        to origin: Origin,
        allowInternal: Bool,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<TunnelConnection> {
        self.connector.connect(to: origin, on: eventLoop, allowInternal: allowInternal) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(TunnelConnection())
            }
        }.flatMapThrowing { channel in
            try channel.pipeline.syncOperations.handler(type: TunnelConnection.self)
        }
    }
}
