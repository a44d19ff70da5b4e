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

    /// Removes the Connection field, every field it names, the fixed hop-by-hop fields and any `Proxy-*` field,
    /// and the fields named in `alsoRemoving` (compared ignoring case).
    ///
    /// Runs on every message in both directions, so it makes one pass over the names, each looked at in place
    /// (a typical name is passed over after a length and a first-byte check), and, only when something is to go,
    /// one more that keeps the rest in a new list: nothing is allocated when nothing is removed, and a response
    /// with `Connection: keep-alive`, the common case, loses that one field without its value being split up.
    public mutating func removeHopByHop(alsoRemoving extra: [String] = []) {
        var options: [Substring] = []
        var found = false
        for (name, value) in self where Self.isFixedHopByHop(name) || Self.isListed(name, in: extra) {
            found = true
            if equalsIgnoringCase(name, "connection") {
                Self.appendOptions(of: value, to: &options, skippingHopByHop: true)
            }
        }
        guard found else { return }
        var kept: [(String, String)] = []
        kept.reserveCapacity(self.count)
        for field in self where Self.isForwardable(field.name, alsoRemoving: extra, options: options) {
            kept.append(field)
        }
        self = HTTPHeaders(kept)
    }

    /// Calls `body` with each field ``removeHopByHop(alsoRemoving:)`` would keep, in order: for writing a
    /// forwarded message straight from the received fields.
    public func forEachForwardable(alsoRemoving extra: [String] = [], _ body: (String, String) -> Void) {
        var options: [Substring] = []
        for (name, value) in self where equalsIgnoringCase(name, "connection") {
            Self.appendOptions(of: value, to: &options, skippingHopByHop: true)
        }
        for (name, value) in self where Self.isForwardable(name, alsoRemoving: extra, options: options) {
            body(name, value)
        }
    }

    /// Whether field `name` travels on: not hop-by-hop, not in `extra`, not named by the Connection field (`options`).
    private static func isForwardable(_ name: String, alsoRemoving extra: [String], options: [Substring]) -> Bool {
        !Self.isFixedHopByHop(name) && !Self.isListed(name, in: extra)
            && !options.contains(where: { equalsIgnoringCase(name, $0) })
    }

    /// Whether `name` is one of `names`, ignoring case.
    private static func isListed(_ name: String, in names: [String]) -> Bool {
        names.contains { equalsIgnoringCase(name, $0) }
    }

    /// Whether `name` is one of `hopByHopFieldNames` or starts with `proxy-`.
    private static func isFixedHopByHop(_ name: some StringProtocol) -> Bool {
        name.utf8.withContiguousStorageIfAvailable(Self.isFixedHopByHop(bytes:))
            ?? Array(name.utf8).withUnsafeBufferPointer(Self.isFixedHopByHop(bytes:))
    }

    /// `isFixedHopByHop(_:)` over a name's bytes: by length and first byte, then one comparison.
    private static func isFixedHopByHop(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first else { return false }
        switch (bytes.count, first | 0x20) {
        case (2, UInt8(ascii: "t")): return equalsIgnoringCase(bytes, "te")
        case (7, UInt8(ascii: "t")): return equalsIgnoringCase(bytes, "trailer")
        case (7, UInt8(ascii: "u")): return equalsIgnoringCase(bytes, "upgrade")
        case (10, UInt8(ascii: "c")): return equalsIgnoringCase(bytes, "connection")
        case (10, UInt8(ascii: "k")): return equalsIgnoringCase(bytes, "keep-alive")
        case (17, UInt8(ascii: "t")): return equalsIgnoringCase(bytes, "transfer-encoding")
        case (7..., UInt8(ascii: "p")): return equalsIgnoringCase(UnsafeBufferPointer(rebasing: bytes[..<6]), "proxy-")
        default: return false
        }
    }

    /// True when the Connection field carries the `close` option (RFC 9112 §9.6).
    public var requestsClose: Bool { self.hasConnectionOption("close") }

    /// True when the Connection field carries the `keep-alive` option (HTTP/1.0 persistence).
    public var requestsKeepAlive: Bool { self.hasConnectionOption("keep-alive") }

    /// Whether a `Connection` line (RFC 9110 §7.6.1: a comma-separated list of tokens) carries `option`, compared
    /// ignoring case over the value's bytes in place: every message is asked, most carry one option or none.
    private func hasConnectionOption(_ option: StaticString) -> Bool {
        for (name, value) in self where equalsIgnoringCase(name, "connection") {
            var found = false
            Self.forEachMember(of: value) { member, _ in
                if !found, equalsIgnoringCase(member, option) { found = true }
            }
            if found { return true }
        }
        return false
    }

    /// Appends the members of one `Connection` line to `options` (with `skippingHopByHop`, those that are not
    /// fixed hop-by-hop names anyway).
    private static func appendOptions(
        of value: String, to options: inout [Substring], skippingHopByHop: Bool = false
    ) {
        var ranges: [Range<Int>] = []
        Self.forEachMember(of: value) { member, range in
            if skippingHopByHop, Self.isFixedHopByHop(bytes: member) { return }
            ranges.append(range)
        }
        let utf8 = value.utf8
        for range in ranges {
            let first = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
            options.append(value[first..<utf8.index(first, offsetBy: range.count)])
        }
    }

    /// Calls `body` with the bytes of each member of a list-valued `value` (in place when it is contiguous) and
    /// their range in its UTF-8.
    private static func forEachMember(of value: String, _ body: (UnsafeBufferPointer<UInt8>, Range<Int>) -> Void) {
        func scan(_ bytes: UnsafeBufferPointer<UInt8>) {
            MessageSyntax.forEachListMember(of: bytes) { range in
                body(UnsafeBufferPointer(rebasing: bytes[range]), range)
            }
        }
        if value.utf8.withContiguousStorageIfAvailable(scan) == nil {
            Array(value.utf8).withUnsafeBufferPointer(scan)
        }
    }
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
