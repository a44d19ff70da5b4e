import HTTPRules
import NIOHTTP1

/// Where an upstream connection goes: a scheme, a host name or literal, and a port.
public struct Origin: Hashable, Sendable, CustomStringConvertible {
    public var scheme: String
    public var host: String
    public var port: Int

    public init(scheme: String, host: String, port: Int) {
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// An origin from a `http://host[:port]` URL (configuration and `--upstream`). Paths are not allowed.
    public init?(url: String) {
        guard case .absolute(let scheme, let authority, let path)? = try? RequestTarget(parsing: url, method: .GET),
            path == "/"
        else { return nil }
        self.init(scheme: scheme, authority: authority)
    }

    public init(scheme: String, authority: Authority) {
        self.init(scheme: scheme, host: authority.host, port: authority.port(default: scheme == "https" ? 443 : 80))
    }

    /// The authority as written in a Host field: the port only when it is not the scheme's default.
    public var hostField: String {
        let authority = Authority(host: self.host, port: self.port == self.defaultPort ? nil : self.port)
        return authority.description
    }

    public var description: String { "\(self.scheme)://\(Authority(host: self.host, port: self.port))" }

    private var defaultPort: Int { self.scheme == "https" ? 443 : 80 }
}
