import HTTPRules
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Resolves host names off the event loop and refuses internal addresses when asked to.
///
/// The check runs on the resolved addresses, and the connection is then made to exactly those
/// addresses, so no spelling of a host (decimal `2130706433`, hex `0x7f.1`, `[::ffff:127.0.0.1]`)
/// and no DNS answer changing between check and connect can slip past it.
public struct AddressResolver: Sendable {
    private let threadPool: NIOThreadPool

    public init(threadPool: NIOThreadPool) {
        self.threadPool = threadPool
    }

    /// Resolves `host` for `port`; fails with ``UpstreamError`` when it does not resolve or,
    /// unless `allowInternal`, when any resulting address is internal.
    public func resolve(
        host: String,
        port: Int,
        allowInternal: Bool,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<[SocketAddress]> {
        // A canonical IP literal needs no lookup: answer on the event loop instead of a thread-pool hop.
        if let literal = try? SocketAddress(ipAddress: host, port: port) {
            let addressClass = Self.classify(literal)
            if !allowInternal && addressClass.isInternal {
                return eventLoop.makeFailedFuture(
                    UpstreamError(.refusedTarget(addressClass), "target \(host) is a \(addressClass.rawValue) address"))
            }
            return eventLoop.makeSucceededFuture([literal])
        }
        return self.threadPool.runIfActive(eventLoop: eventLoop) { () throws -> [SocketAddress] in
            let addresses = try Self.lookUp(host: host, port: port)
            if !allowInternal {
                for address in addresses {
                    let addressClass = Self.classify(address)
                    if addressClass.isInternal {
                        throw UpstreamError(
                            .refusedTarget(addressClass),
                            "target \(host) resolves to a \(addressClass.rawValue) address"
                        )
                    }
                }
            }
            return addresses
        }
    }

    /// The class of a resolved socket address.
    public static func classify(_ address: SocketAddress) -> AddressClass {
        switch address {
        case .v4(let v4):
            // sockaddr_in: family (2), port (2), address (4), in network byte order.
            let bytes = withUnsafeBytes(of: v4.address) { Array($0[4..<8]) }
            return AddressClass(addressBytes: bytes)
        case .v6(let v6):
            // sockaddr_in6: family (2), port (2), flow info (4), address (16).
            let bytes = withUnsafeBytes(of: v6.address) { Array($0[8..<24]) }
            return AddressClass(addressBytes: bytes)
        case .unixDomainSocket:
            return .reserved
        }
    }

    private static func lookUp(host: String, port: Int) throws -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let first = result else {
            let reason = String(cString: gai_strerror(status))
            throw UpstreamError(.resolution, "cannot resolve \(host): \(reason)")
        }
        defer { freeaddrinfo(first) }

        var addresses: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if let sockaddrPointer = info.pointee.ai_addr {
                switch info.pointee.ai_family {
                case AF_INET:
                    let v4 = sockaddrPointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
                    addresses.append(SocketAddress(v4, host: host))
                case AF_INET6:
                    let v6 = sockaddrPointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee }
                    addresses.append(SocketAddress(v6, host: host))
                default:
                    break
                }
            }
            cursor = info.pointee.ai_next
        }
        guard !addresses.isEmpty else {
            throw UpstreamError(.resolution, "cannot resolve \(host): no addresses")
        }
        return addresses
    }
}
