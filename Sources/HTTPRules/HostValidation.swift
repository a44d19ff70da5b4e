import NIOHTTP1

extension RequestTarget {
    /// Checks the Host field against the target (RFC 9112 §3.2, §3.3) and returns the authority the request is for.
    ///
    /// An HTTP/1.1 request needs exactly one valid Host; HTTP/1.0 may omit it. An absolute-form target
    /// whose authority differs from Host is refused rather than silently preferring one of the two,
    /// since a cache and an origin that disagree on the host are a cache-poisoning vector.
    /// Returns `nil` only for an HTTP/1.0 origin-form request without Host.
    public func validatedAuthority(headers: HTTPHeaders, version: HTTPVersion) throws(RequestRejection) -> Authority? {
        let hosts = headers["host"]
        guard hosts.count <= 1 else { throw .badRequest("duplicate Host") }
        var hostAuthority: Authority?
        if let host = hosts.first {
            guard let parsed = Authority(parsing: host) else { throw .badRequest("invalid Host") }
            hostAuthority = parsed
        } else if version.major == 1 && version.minor >= 1 {
            throw .badRequest("missing Host")
        }

        switch self {
        case .absolute(let scheme, let authority, _):
            let defaultPort = scheme == "https" ? 443 : 80
            if let hostAuthority,
                hostAuthority.host != authority.host
                    || hostAuthority.port(default: defaultPort) != authority.port(default: defaultPort)
            {
                throw .badRequest("Host differs from the request target's authority")
            }
            return authority
        case .authority(let authority):
            return authority
        case .origin, .asterisk:
            return hostAuthority
        }
    }
}
