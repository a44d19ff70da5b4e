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
        let timeout = self.configuration.connectTimeout
        return self.resolver
            .resolve(host: origin.host, port: origin.port, allowInternal: allowInternal, on: eventLoop)
            .flatMap { addresses in
                Self.connect(
                    to: addresses[...], origin: origin, eventLoop: eventLoop, timeout: timeout,
                    initializer: initializer)
            }
    }

    /// Tries `addresses` in order; a bootstrap per attempt (a bootstrap is not `Sendable`, so none is captured).
    private static func connect(
        to addresses: ArraySlice<SocketAddress>,
        origin: Origin,
        eventLoop: any EventLoop,
        timeout: TimeAmount,
        initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) -> EventLoopFuture<any Channel> {
        guard let address = addresses.first else {
            return eventLoop.makeFailedFuture(UpstreamError(.connect, "cannot connect to \(origin)"))
        }
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer(initializer)
            .connect(to: address)
            .flatMapError { error in
                if addresses.count > 1 {
                    return Self.connect(
                        to: addresses.dropFirst(), origin: origin, eventLoop: eventLoop, timeout: timeout,
                        initializer: initializer)
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
