import NIOHTTP1

/// The four forms of request-target (RFC 9112 §3.2).
public enum RequestTarget: Hashable, Sendable {
    /// `/path?query`, sent to origins and reverse proxies.
    case origin(pathAndQuery: String)
    /// `http://host:port/path?query`, sent to forward proxies.
    case absolute(scheme: String, authority: Authority, pathAndQuery: String)
    /// `host:port`, only with CONNECT.
    case authority(Authority)
    /// `*`, only with OPTIONS.
    case asterisk

    /// Parses the request-target of a request line, checking that its form suits the method.
    public init(parsing uri: String, method: HTTPMethod) throws(RequestRejection) {
        if method == .CONNECT {
            guard let authority = Authority(parsing: uri), authority.port != nil else {
                throw .badRequest("CONNECT needs a host:port target")
            }
            self = .authority(authority)
            return
        }
        if uri == "*" {
            guard method == .OPTIONS else { throw .badRequest("asterisk target is only for OPTIONS") }
            self = .asterisk
            return
        }
        if uri.hasPrefix("/") {
            self = .origin(pathAndQuery: uri)
            return
        }
        guard let colon = uri.firstIndex(of: ":"), uri[colon...].hasPrefix("://") else {
            throw .badRequest("malformed request target")
        }
        let scheme = uri[..<colon].lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw .badRequest("unsupported scheme \(scheme)")
        }
        let afterScheme = uri[uri.index(colon, offsetBy: 3)...]
        let delimiters: Set<Character> = ["/", "?", "#"]
        let authorityEnd = afterScheme.firstIndex(where: delimiters.contains) ?? afterScheme.endIndex
        let authorityText = afterScheme[..<authorityEnd]
        guard !authorityText.contains("@") else {
            throw .badRequest("userinfo in request target")
        }
        guard let authority = Authority(parsing: authorityText) else {
            throw .badRequest("malformed authority in request target")
        }
        var rest = String(afterScheme[authorityEnd...])
        if let fragment = rest.firstIndex(of: "#") {
            rest = String(rest[..<fragment])
        }
        if rest.isEmpty || rest.hasPrefix("?") {
            rest = "/" + rest
        }
        self = .absolute(scheme: scheme, authority: authority, pathAndQuery: rest)
    }

    /// The path and query to send to an origin in origin-form.
    public var pathAndQuery: String {
        switch self {
        case .origin(let path), .absolute(_, _, let path): return path
        case .authority(let authority): return authority.description
        case .asterisk: return "*"
        }
    }
}
