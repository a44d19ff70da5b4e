import ArgumentParser
import Logging
import NIOCore
import NIOPosix
import Proxy

#if canImport(Glibc)
import Glibc
#endif

/// `larder serve`: run the proxy until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the proxy (the default command).")

    @OptionGroup var options: ServeOptions

    func run() async throws {
        let configuration = try self.options.resolvedConfiguration()
        LogSetup.bootstrap(format: configuration.logFormat, level: configuration.logLevel)
        let logger = Logger(label: "larder")
        let accessLogger = configuration.accessLog ? Logger(label: "larder.access") : nil

        let signals = SignalWaiter(signals: [SIGTERM, SIGINT])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.workers ?? CPUAffinity.availableCount())
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        let server = ProxyServer(
            configuration: configuration, group: group, threadPool: threadPool, logger: logger,
            accessLogger: accessLogger)
        do {
            try await server.start()
        } catch {
            try? await threadPool.shutdownGracefully()
            try? await group.shutdownGracefully()
            throw ValidationError("cannot start: \(error)")
        }
        let signal = await signals.next()
        logger.info("shutting down", metadata: ["signal": "\(signal)"])
        await server.shutdown()
        try? await threadPool.shutdownGracefully()
        try? await group.shutdownGracefully()
        logger.info("stopped")
    }
}
