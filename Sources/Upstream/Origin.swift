import HTTPRules
import NIOHTTP1

/// Where an upstream connection goes: a scheme, a host name or literal, and a port.
///
/// A reference (immutable): every routed request carries its origin, and a value with five strings would be
/// copied and destroyed field by field each time. Equal and hashed by scheme, host and port.
public final class Origin: Hashable, Sendable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    public let port: Int
    /// The authority as written in a Host field: the port only when it is not the scheme's default. Made once:
    /// every request to the origin sends it.
    public let hostField: String
    /// `scheme://host:port`, made once: every exchange's access log entry names its origin.
    public let description: String

    public init(scheme: String, host: String, port: Int) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.hostField = Authority(host: host, port: port == Self.defaultPort(of: scheme) ? nil : port).description
        self.description = "\(scheme)://\(Authority(host: host, port: port))"
    }

    /// An origin from a `http://host[:port]` URL (configuration and `--upstream`). Paths are not allowed.
    public convenience init?(url: String) {
        guard case .absolute(let scheme, let authority, let path)? = try? RequestTarget(parsing: url, method: .GET),
            path == "/"
        else { return nil }
        self.init(scheme: scheme, authority: authority)
    }

    public convenience init(scheme: String, authority: Authority) {
        self.init(scheme: scheme, host: authority.host, port: authority.port(default: Self.defaultPort(of: scheme)))
    }

    private static func defaultPort(of scheme: String) -> Int { scheme == "https" ? 443 : 80 }

    public static func == (lhs: Origin, rhs: Origin) -> Bool {
        lhs === rhs || (lhs.port == rhs.port && lhs.host == rhs.host && lhs.scheme == rhs.scheme)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.scheme)
        hasher.combine(self.host)
        hasher.combine(self.port)
    }
}
