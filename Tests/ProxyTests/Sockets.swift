import Glibc
import NIOCore
import NIOPosix

/// Runs `body` with a loopback port that refuses connections: a socket bound to it but not listening,
/// held for the duration so no other test can take the port.
func withRefusingPort<Result>(_ body: (Int) async throws -> Result) async throws -> Result {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw PortError(port: 0) }
    defer { close(descriptor) }
    let address = try SocketAddress(ipAddress: "127.0.0.1", port: 0)
    guard address.withSockAddr({ pointer, size in bind(descriptor, pointer, socklen_t(size)) == 0 }) else {
        throw PortError(port: 0)
    }
    // The kernel's choice, read back as raw bytes: sockaddr_in is family (2 bytes), then the port in network order.
    var name = [UInt8](repeating: 0, count: 128)
    var length = socklen_t(name.count)
    let named = name.withUnsafeMutableBytes { raw in
        getsockname(descriptor, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length) == 0
    }
    guard named else { throw PortError(port: 0) }
    return try await body(Int(name[2]) << 8 | Int(name[3]))
}

struct PortError: Error, CustomStringConvertible {
    var port: Int
    var description: String { "no usable port (\(self.port))" }
}
