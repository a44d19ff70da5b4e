import CachePolicy
import NIOCore
import Upstream

/// Everything a running Larder needs, as data. Built in one place (the `larder` executable) from the
/// built-in defaults, then the config file, then command-line flags.
public struct ProxyConfiguration: Sendable, Hashable {
    /// Forward: clients' HTTP proxy. Reverse: in front of the configured upstreams.
    public enum Mode: String, Sendable, Hashable, CaseIterable {
        case forward
        case reverse
    }

    /// Where the bytes of a stored body's large chunks are sent from (`cache.send_from`).
    public enum StoredBodySource: String, Sendable, Hashable, CaseIterable {
        /// Written from a read-only map of the store's data file: no copy in user space, one in the kernel.
        case map
        /// sendfile(2) from the data file: no copy in user space; the socket keeps references to the file's pages.
        case file
        /// Copied out of the store into buffers first.
        case copy
    }

    /// Access log line format.
    public enum LogFormat: String, Sendable, Hashable, CaseIterable {
        case text
        case json
    }

    public var mode: Mode = .forward
    /// The proxy listener.
    public var listen = ListenAddress(host: "127.0.0.1", port: 3128)
    /// The admin listener (health checks); nil turns it off.
    public var admin: ListenAddress? = ListenAddress(host: "127.0.0.1", port: 9090)
    /// A bearer token the admin API asks for (all but `/healthz` and `/readyz`); nil: no token.
    public var adminToken: String?
    /// Origins for reverse mode, used in turn.
    public var upstreams: [Origin] = []
    /// Whether responses are cached at all (off: a pure streaming proxy; the store is not opened).
    public var cacheEnabled = true
    /// Directory of the cache store.
    public var cacheDirectory = "./larder-cache"
    /// Byte budget of the cache store.
    public var cacheSize: Int64 = 1 << 30
    /// Largest response body stored; larger ones are passed through uncached. nil: no limit but the budget.
    public var cacheMaxObjectSize: Int64?
    /// Freshness, in seconds, for cacheable-by-default responses with no expiration and no Last-Modified
    /// (RFC 9111 §4.2.2 leaves it to the cache). nil: such responses are not fresh.
    public var cacheDefaultTTL: Int64?
    /// Query parameters left out of the cache key; an entry ending in `*` is a prefix (`utm_*`).
    public var cacheIgnoredQueryParameters: [String] = []
    /// The targeted cache-control field obeyed in reverse mode (RFC 9213), and not forwarded downstream.
    public var cacheTargetedField = "cdn-cache-control"
    /// Per-host and per-path exceptions to the settings above; the first that matches a request applies.
    public var cacheOverrides: [CacheOverride] = []
    /// Whether `Cache-Status` names the cache key (`key="…"`, RFC 9211 §2.7): for debugging a key setup; it tells
    /// clients how URLs are keyed, so it is off by default.
    public var cacheStatusKey = false
    /// How large chunks of complete stored bodies reach the client on connections that allow it (plain TCP).
    public var cacheSendFrom = StoredBodySource.map
    /// The cache's time source (request and response times, ages); tests inject one they can move.
    public var cacheClock = CacheClock.wall
    /// Request coalescing: one upstream fetch per cache key, the other requests streaming its fill.
    public var coalescing = CoalescingConfiguration()
    /// The pseudonym this proxy writes into Via.
    public var viaName = "larder"
    /// Event-loop threads; nil means one per CPU the process may run on.
    public var workers: Int?

    public var limits = RequestLimits()
    /// How long a client may take to send a request head once it started one (→ 408).
    public var headerReadTimeout: TimeAmount = .seconds(10)
    /// How long an idle client keep-alive connection is kept open.
    public var keepAliveTimeout: TimeAmount = .seconds(60)
    /// How long SIGTERM waits for in-flight requests before closing them.
    public var shutdownTimeout: TimeAmount = .seconds(30)
    public var upstream = UpstreamConfiguration()

    /// Forward mode: whether targets on loopback, private, link-local or multicast addresses may be reached.
    /// nil (`auto`, the default): allowed exactly when the proxy listens on a loopback address only, since
    /// every client is then on this host and could reach those targets directly.
    public var allowPrivateTargets: Bool?

    /// Whether forward mode may reach internal targets, with `auto` resolved against the listener.
    public var effectiveAllowPrivateTargets: Bool {
        self.allowPrivateTargets ?? self.listen.isLoopbackOnly
    }
    /// Forward mode: ports CONNECT may tunnel to.
    public var connectPorts: Set<Int> = [443]
    /// Reverse mode: keep the client's Host (true) or send the upstream's authority (false).
    public var preserveHost = true

    public var accessLog = true
    public var logFormat: LogFormat = .text
    public var logLevel = "info"

    public init() {}

    /// Problems that make the configuration unusable as a whole (a single bad value is caught while reading it).
    public func validate() throws(ConfigurationError) {
        if self.mode == .reverse && self.upstreams.isEmpty {
            throw ConfigurationError("reverse mode needs at least one upstream (upstreams: or --upstream)")
        }
        if let admin = self.admin, admin == self.listen, admin.port != 0 {
            throw ConfigurationError("admin listener and proxy listener are both \(admin)")
        }
    }
}

/// A host and port to listen on; port 0 picks a free one.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` or `[V6]:PORT`.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }

    public var description: String {
        self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
    }

    /// True for a listener only this host can reach: 127.0.0.0/8, ::1 or localhost.
    public var isLoopbackOnly: Bool {
        self.host == "localhost" || self.host == "::1" || self.host.hasPrefix("127.")
    }
}

/// A configuration problem, phrased for the operator: what is wrong, and where.
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    /// 1-based line in the config file, when the problem comes from one.
    public var line: Int?

    public init(_ message: String, line: Int? = nil) {
        self.message = message
        self.line = line
    }

    public var description: String { self.line.map { "line \($0): \(self.message)" } ?? self.message }
}

/// How request coalescing behaves (`cache.coalescing.*`).
public struct CoalescingConfiguration: Sendable, Hashable {
    /// How long a request queued behind another's fetch waits for its response head before it goes
    /// upstream on its own.
    public var waitTimeout: TimeAmount = .seconds(15)
    /// How long a key whose response could not be stored skips the queue (Varnish's hit-for-miss).
    public var uncacheableMemory: TimeAmount = .seconds(120)
    /// When the client that started a fill goes away, the fill goes on up to this many body bytes
    /// (nil: to the end; 0: it stops with the client).
    public var abandonedFillLimit: Int64?

    public init() {}
}
