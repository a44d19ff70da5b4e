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
    ///
    /// One pass without allocation when there is nothing to remove (the common case on the hot path).
    public mutating func removeHopByHop() {
        let named = self[canonicalForm: "connection"]
        guard self.contains(where: { Self.isHopByHop($0.name, connectionOptions: named) }) else { return }
        self = HTTPHeaders(self.filter { !Self.isHopByHop($0.name, connectionOptions: named) })
    }

    private static func isHopByHop(_ name: String, connectionOptions: [Substring]) -> Bool {
        if name.utf8.count > 6, asciiCaseInsensitiveEquals(name.utf8.prefix(6), "proxy-".utf8) { return true }
        for fixed in Self.hopByHopFieldNames where asciiCaseInsensitiveEquals(name.utf8, fixed.utf8) {
            return true
        }
        for option in connectionOptions where asciiCaseInsensitiveEquals(name.utf8, option.utf8) {
            return true
        }
        return false
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

/// Compares two ASCII byte sequences ignoring letter case (field names are tokens, RFC 9110 §5.1).
func asciiCaseInsensitiveEquals<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool
where A.Element == UInt8, B.Element == UInt8 {
    guard a.count == b.count else { return false }
    return zip(a, b).allSatisfy { x, y in
        x == y || (x | 0x20 == y | 0x20 && (x | 0x20) >= UInt8(ascii: "a") && (x | 0x20) <= UInt8(ascii: "z"))
    }
}
