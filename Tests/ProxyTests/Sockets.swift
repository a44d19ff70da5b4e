import NIOCore
import NIOPosix

/// A loopback port that was free a moment ago (for servers in child processes that must be told a port).
func freePort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress?.port ?? 0
    try await channel.close()
    return port
}

/// Waits until something accepts connections on the loopback port (bounded: 10 s).
func waitForPort(_ port: Int) async throws {
    for _ in 0..<200 {
        if let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port).get()
        {
            try? await channel.close()
            return
        }
        try await Task.sleep(nanoseconds: 50_000_000)
    }
    throw PortError(port: port)
}

struct PortError: Error, CustomStringConvertible {
    var port: Int
    var description: String { "nothing listens on 127.0.0.1:\(self.port)" }
}
