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
    /// Runs on every message in both directions, so it makes one pass over the fields, and a second only when
    /// `Connection` names a field that is not hop-by-hop anyway; nothing is allocated when nothing is removed,
    /// and what is found is removed in place (a response with `Connection: keep-alive`, the common case, loses
    /// that one field).
    public mutating func removeHopByHop() {
        var found: [String] = []
        var options: [Substring] = []
        for (name, value) in self where Self.isFixedHopByHop(name) {
            if !found.contains(where: { equalsIgnoringCase($0, name) }) { found.append(name) }
            if equalsIgnoringCase(name, "connection") { Self.appendOptions(of: value, to: &options) }
        }
        if options.contains(where: { !Self.isFixedHopByHop($0) }) {
            for (name, _) in self where options.contains(where: { equalsIgnoringCase(name, $0) }) {
                if !found.contains(where: { equalsIgnoringCase($0, name) }) { found.append(name) }
            }
        }
        for name in found {
            self.remove(name: name)
        }
    }

    /// Whether `name` is one of `hopByHopFieldNames` or starts with `proxy-`: by length first, so the fields of
    /// a typical message are each passed over after one or two byte comparisons.
    private static func isFixedHopByHop(_ name: some StringProtocol) -> Bool {
        switch name.utf8.count {
        case 2: return equalsIgnoringCase(name, "te")
        case 7: return equalsIgnoringCase(name, "trailer") || equalsIgnoringCase(name, "upgrade")
        case 10: return equalsIgnoringCase(name, "connection") || equalsIgnoringCase(name, "keep-alive")
        case 17: return equalsIgnoringCase(name, "transfer-encoding")
        case 0...6: return false
        default: return equalsIgnoringCase(name.utf8.prefix(6), "proxy-")
        }
    }

    /// True when the Connection field carries the `close` option (RFC 9112 §9.6).
    public var requestsClose: Bool {
        self.connectionOptions.contains { equalsIgnoringCase($0, "close") }
    }

    /// True when the Connection field carries the `keep-alive` option (HTTP/1.0 persistence).
    public var requestsKeepAlive: Bool {
        self.connectionOptions.contains { equalsIgnoringCase($0, "keep-alive") }
    }

    /// The options of every `Connection` line (RFC 9110 §7.6.1: a comma-separated list of tokens), trimmed of
    /// whitespace, empty members dropped. Read for every message, so it works on bytes in place and costs one
    /// pass over the names when `Connection` is absent.
    var connectionOptions: [Substring] {
        var options: [Substring] = []
        for (name, value) in self where equalsIgnoringCase(name, "connection") {
            Self.appendOptions(of: value, to: &options)
        }
        return options
    }

    /// Appends the members of one `Connection` line to `options`.
    private static func appendOptions(of value: String, to options: inout [Substring]) {
        var rest = value[...]
        while !rest.isEmpty {
            let comma = rest.utf8.firstIndex(of: UInt8(ascii: ",")) ?? rest.endIndex
            let member = rest[..<comma].utf8
            if let first = member.firstIndex(where: { !isWhitespace($0) }),
                let last = member.lastIndex(where: { !isWhitespace($0) })
            {
                options.append(rest[first...last])
            }
            rest = comma == rest.endIndex ? rest[rest.endIndex...] : rest[rest.utf8.index(after: comma)...]
        }
    }
}

/// `OWS` bytes: space and horizontal tab.
private func isWhitespace(_ byte: UInt8) -> Bool {
    byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
}

/// ASCII case-insensitive equality of two field names or tokens, compared in place when both are contiguous UTF-8
/// (as native strings are): iterating `String.UTF8View`s pairwise costs several times more.
func equalsIgnoringCase(_ a: some StringProtocol, _ b: some StringProtocol) -> Bool {
    guard a.utf8.count == b.utf8.count else { return false }
    let inPlace = a.utf8.withContiguousStorageIfAvailable { x in
        b.utf8.withContiguousStorageIfAvailable { y in asciiCaseInsensitiveEquals(x, y) }
    }
    return (inPlace ?? nil) ?? asciiCaseInsensitiveEquals(a.utf8, b.utf8)
}

/// `equalsIgnoringCase` against a literal.
func equalsIgnoringCase(_ text: some StringProtocol, _ literal: StaticString) -> Bool {
    literal.withUTF8Buffer { equalsIgnoringCase(text.utf8, $0) }
}

/// `equalsIgnoringCase` of bytes against literal bytes.
func equalsIgnoringCase(_ bytes: some Collection<UInt8>, _ literal: UnsafeBufferPointer<UInt8>) -> Bool {
    guard bytes.count == literal.count else { return false }
    return bytes.withContiguousStorageIfAvailable { asciiCaseInsensitiveEquals($0, literal) }
        ?? asciiCaseInsensitiveEquals(bytes, literal)
}

/// `equalsIgnoringCase` of bytes against a literal.
func equalsIgnoringCase(_ bytes: some Collection<UInt8>, _ literal: StaticString) -> Bool {
    literal.withUTF8Buffer { equalsIgnoringCase(bytes, $0) }
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
