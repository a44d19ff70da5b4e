import NIOHTTP1

extension HTTPHeaders {
    /// Fields that describe one connection and never travel past it (RFC 9110 §7.6.1).
    ///
    /// Transfer-Encoding and Content-Length are framing: Larder writes its own, so they are removed
    /// here too and set again by whoever frames the outgoing message.
    public static let hopByHopFieldNames: [String] = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "proxy-authenticate", "proxy-authorization",
    ]

    /// Removes the Connection field, every field it names, the fixed hop-by-hop fields and any `Proxy-*` field.
    public mutating func removeHopByHop() {
        let named = self[canonicalForm: "connection"].map { $0.lowercased() }
        for name in Self.hopByHopFieldNames {
            self.remove(name: name)
        }
        for name in named where name != "close" && name != "keep-alive" {
            self.remove(name: name)
        }
        if self.contains(where: { $0.name.utf8.count > 6 && $0.name.lowercased().hasPrefix("proxy-") }) {
            self = HTTPHeaders(self.filter { !$0.name.lowercased().hasPrefix("proxy-") })
        }
    }

    /// True when the Connection field carries the `close` option (RFC 9112 §9.6).
    public var requestsClose: Bool {
        self[canonicalForm: "connection"].contains { $0.lowercased() == "close" }
    }

    /// True when the Connection field carries the `keep-alive` option (HTTP/1.0 persistence).
    public var requestsKeepAlive: Bool {
        self[canonicalForm: "connection"].contains { $0.lowercased() == "keep-alive" }
    }
}

extension HTTPVersion {
    /// Whether a message of this version, with these headers, leaves the connection open (RFC 9112 §9.3).
    public func keepsAlive(_ headers: HTTPHeaders) -> Bool {
        if headers.requestsClose { return false }
        if self.major == 1 && self.minor >= 1 { return true }
        return headers.requestsKeepAlive
    }
}
