import ArgumentParser
import Proxy
import Upstream

/// The `serve` flags. Each one overrides the config file, which overrides the built-in defaults.
struct ServeOptions: ParsableArguments {
    @Option(name: .long, help: "YAML config file (optional; built-in defaults otherwise).")
    var config: String?

    @Option(name: .long, help: "forward or reverse.")
    var mode: ProxyConfiguration.Mode?

    @Option(name: .long, help: "Proxy listener, HOST:PORT (default 127.0.0.1:3128).")
    var listen: String?

    @Option(name: .long, help: "Origin URL for reverse mode, http://host[:port]; repeat for several.")
    var upstream: [String] = []

    @Option(name: .customLong("cache-dir"), help: "Cache directory (default ./larder-cache).")
    var cacheDir: String?

    @Option(name: .customLong("cache-size"), help: "Cache budget: 512MiB, 10GiB or plain bytes (default 1GiB).")
    var cacheSize: String?

    @Option(name: .long, help: "Admin listener HOST:PORT, or off (default 127.0.0.1:9090).")
    var admin: String?

    @Flag(name: .customLong("allow-private-targets"),
          help: "Forward mode: allow loopback, private and link-local targets even on a non-loopback listener.")
    var allowPrivateTargets = false

    /// Defaults, then the file, then these flags.
    func resolvedConfiguration() throws -> ProxyConfiguration {
        var configuration = try ProxyConfiguration.loading(file: self.config)
        if let mode = self.mode { configuration.mode = mode }
        if let listen = self.listen {
            guard let address = ListenAddress(parsing: listen) else {
                throw ValidationError("--listen: '\(listen)' is not HOST:PORT")
            }
            configuration.listen = address
        }
        if !self.upstream.isEmpty {
            configuration.upstreams = try self.upstream.map { url in
                guard let origin = Origin(url: url), origin.scheme == "http" else {
                    throw ValidationError("--upstream: '\(url)' is not an http://host[:port] URL")
                }
                return origin
            }
        }
        if let cacheDir = self.cacheDir { configuration.cacheDirectory = cacheDir }
        if let cacheSize = self.cacheSize {
            guard let bytes = Units.parseSize(cacheSize) else {
                throw ValidationError("--cache-size: '\(cacheSize)' is not a size (like 512MiB, 10GiB or plain bytes)")
            }
            configuration.cacheSize = bytes
        }
        if let admin = self.admin {
            if admin == "off" {
                configuration.admin = nil
            } else {
                guard let address = ListenAddress(parsing: admin) else {
                    throw ValidationError("--admin: '\(admin)' is not HOST:PORT or off")
                }
                configuration.admin = address
            }
        }
        if self.allowPrivateTargets { configuration.allowPrivateTargets = true }
        do {
            try configuration.validate()
        } catch {
            throw ValidationError("\(error)")
        }
        return configuration
    }
}

extension ProxyConfiguration.Mode: ExpressibleByArgument {}
