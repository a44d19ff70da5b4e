import ArgumentParser
import Logging
import Metrics
import NIOCore
import NIOPosix
import Prometheus
import Proxy

#if canImport(Glibc)
import Glibc
#endif

/// `larder serve`: run the proxy until SIGTERM or SIGINT; SIGHUP reloads the configuration.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the proxy (the default command).")

    @OptionGroup var options: ServeOptions

    func run() async throws {
        let configuration = try self.options.resolvedConfiguration()
        LogSetup.bootstrap(format: configuration.logFormat, level: configuration.logLevel)
        // One registry for Larder's /metrics and for any library reporting through swift-metrics.
        let metrics = MetricsExporter()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))
        let logger = Logger(label: "larder")
        let accessLogger = configuration.accessLog ? Logger(label: "larder.access") : nil

        let signals = SignalWaiter(signals: [SIGTERM, SIGINT, SIGHUP])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.workers ?? CPUAffinity.availableCount())
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        let server = ProxyServer(
            configuration: configuration, group: group, threadPool: threadPool, logger: logger,
            accessLogger: accessLogger, metrics: metrics)
        do {
            try await server.start()
        } catch {
            try? await threadPool.shutdownGracefully()
            try? await group.shutdownGracefully()
            throw ValidationError("cannot start: \(error)")
        }
        var signal = await signals.next()
        while signal == SIGHUP {
            await self.reload(server, logger: logger)
            signal = await signals.next()
        }
        logger.info("shutting down", metadata: ["signal": "\(signal)"])
        await server.shutdown()
        try? await threadPool.shutdownGracefully()
        try? await group.shutdownGracefully()
        logger.info("stopped")
    }

    /// Re-reads the config file (flags still override it) and applies it; a bad file changes nothing.
    private func reload(_ server: ProxyServer, logger: Logger) async {
        let source = self.options.config ?? "(no config file: flags and defaults)"
        do {
            let configuration = try self.options.resolvedConfiguration()
            let result = try await server.reload(configuration)
            LogSetup.setLevel(configuration.logLevel)
            let applied = result.applied.isEmpty ? "nothing changed" : result.applied.joined(separator: ",")
            let restart = result.needsRestart.isEmpty ? "-" : result.needsRestart.joined(separator: ",")
            logger.notice(
                "configuration reloaded",
                metadata: [
                    "config.file": "\(source)", "config.applied": "\(applied)", "config.needs_restart": "\(restart)",
                ])
        } catch {
            logger.error(
                "configuration reload rejected, keeping the running configuration",
                metadata: ["config.file": "\(source)", "error": "\(error)"])
        }
    }
}
