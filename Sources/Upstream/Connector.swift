import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Opens TCP connections to origins: resolution, the internal-address check and the connect timeout.
struct Connector: Sendable {
    let resolver: AddressResolver
    let configuration: UpstreamConfiguration

    /// Connects to the first of the origin's addresses that accepts, initialising the channel's pipeline.
    func connect(
        to origin: Origin,
        on eventLoop: any EventLoop,
        allowInternal: Bool,
        initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) -> EventLoopFuture<any Channel> {
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(self.configuration.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer(initializer)
        return self.resolver
            .resolve(host: origin.host, port: origin.port, allowInternal: allowInternal, on: eventLoop)
            .flatMap { addresses in
                Self.connect(bootstrap: bootstrap, addresses: addresses[...], origin: origin, eventLoop: eventLoop)
            }
    }

    private static func connect(
        bootstrap: ClientBootstrap,
        addresses: ArraySlice<SocketAddress>,
        origin: Origin,
        eventLoop: any EventLoop
    ) -> EventLoopFuture<any Channel> {
        guard let address = addresses.first else {
            return eventLoop.makeFailedFuture(UpstreamError(.connect, "cannot connect to \(origin)"))
        }
        return bootstrap.connect(to: address).flatMapError { error in
            if addresses.count > 1 {
                return Self.connect(
                    bootstrap: bootstrap, addresses: addresses.dropFirst(), origin: origin, eventLoop: eventLoop)
            }
            return eventLoop.makeFailedFuture(Self.upstreamError(error, origin: origin))
        }
    }

    private static func upstreamError(_ error: any Error, origin: Origin) -> UpstreamError {
        if let error = error as? UpstreamError {
            return error
        }
        if case ChannelError.connectTimeout = error {
            return UpstreamError(.connectTimeout, "timed out connecting to \(origin)")
        }
        if let error = error as? IOError {
            return UpstreamError(.connect, "cannot connect to \(origin): \(Self.describe(errno: error.errnoCode))")
        }
        return UpstreamError(.connect, "cannot connect to \(origin): \(error)")
    }

    private static func describe(errno: CInt) -> String {
        String(cString: strerror(errno)).lowercased()
    }
}
