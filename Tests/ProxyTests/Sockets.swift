import Glibc
import NIOCore
import NIOPosix

/// Runs `body` with a loopback port that refuses connections: a socket bound to it but not listening,
/// held for the duration so no other test can take the port.
func withRefusingPort<Result>(_ body: (Int) async throws -> Result) async throws -> Result {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw PortError(port: 0) }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
            bind(descriptor, generic, length) == 0 && getsockname(descriptor, generic, &length) == 0
        }
    }
    guard bound else { throw PortError(port: 0) }
    return try await body(Int(UInt16(bigEndian: address.sin_port)))
}

struct PortError: Error, CustomStringConvertible {
    var port: Int
    var description: String { "no usable port (\(self.port))" }
}
