/// The `host[:port]` part of a URI (RFC 3986 §3.2), as used in Host, absolute-form and authority-form targets.
///
/// The host is kept lowercased; an IPv6 literal is kept without its brackets.
public struct Authority: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int?

    public init(host: String, port: Int?) {
        self.host = host.lowercased()
        self.port = port
    }

    /// True when the host is an IPv6 literal (it needs brackets when written).
    public var isIPv6Literal: Bool { self.host.utf8.contains(UInt8(ascii: ":")) }

    /// `host[:port]`, with brackets around an IPv6 literal.
    public var description: String {
        var text = ""
        self.write(to: &text)
        return text
    }

    /// Appends ``description`` to `text`, leaving out the port when it is `defaultPort`.
    public func write(to text: inout String, defaultPort: Int? = nil) {
        let bracketed = self.isIPv6Literal
        let port = self.port.flatMap { $0 == defaultPort ? nil : $0 }
        guard bracketed || port != nil else { return text += self.host }
        // Made as bytes and appended once (a String's own appends cost several times more): reverse mode writes
        // an authority into every forwarded request, and every cache key holds one.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(self.host.utf8.count + 8)
        if bracketed { bytes.append(UInt8(ascii: "[")) }
        bytes.append(contentsOf: self.host.utf8)
        if bracketed { bytes.append(UInt8(ascii: "]")) }
        if let port {
            bytes.append(UInt8(ascii: ":"))
            bytes.append(contentsOf: String(port).utf8)
        }
        text += String(decoding: bytes, as: UTF8.self)
    }

    /// The port, or `defaultPort` when none was written.
    public func port(default defaultPort: Int) -> Int { self.port ?? defaultPort }

    /// Parses `host`, `host:port`, `[v6]` or `[v6]:port`. Rejects userinfo, empty hosts, bad ports and
    /// characters that have no place in a host name.
    public init?(parsing text: Substring) {
        var text = text
        guard let authority = text.withUTF8(Self.parse) else { return nil }
        self = authority
    }

    private init(lowercasedHost: String, port: Int?) {
        self.host = lowercasedHost
        self.port = port
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Authority? {
        let hostBytes: Slice<UnsafeBufferPointer<UInt8>>
        var portBytes: Slice<UnsafeBufferPointer<UInt8>>?
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            hostBytes = bytes[1..<close]
            if close + 1 < bytes.endIndex {
                guard bytes[close + 1] == UInt8(ascii: ":") else { return nil }
                portBytes = bytes[(close + 2)...]
            }
            guard !hostBytes.isEmpty, hostBytes.allSatisfy(Self.isIPv6LiteralByte) else { return nil }
        } else {
            if let colon = bytes.lastIndex(of: UInt8(ascii: ":")) {
                hostBytes = bytes[..<colon]
                portBytes = bytes[(colon + 1)...]
            } else {
                hostBytes = bytes[...]
            }
            guard !hostBytes.isEmpty, hostBytes.allSatisfy(Self.isRegisteredNameByte) else { return nil }
        }
        var port: Int?
        if let portBytes {
            guard !portBytes.isEmpty, portBytes.count <= 5 else { return nil }
            var value = 0
            for byte in portBytes {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            guard value > 0, value <= 65535 else { return nil }
            port = value
        }
        // Every accepted byte is ASCII: lowercase bytewise.
        let host = String(unsafeUninitializedCapacity: hostBytes.count) { out in
            for (offset, byte) in hostBytes.enumerated() {
                out[offset] = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            }
            return hostBytes.count
        }
        return Authority(lowercasedHost: host, port: port)
    }

    public init?(parsing text: String) { self.init(parsing: text[...]) }

    /// Hex digits, `:` and `.` (an IPv6 address, possibly with an embedded IPv4 part).
    private static func isIPv6LiteralByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
            UInt8(ascii: "A")...UInt8(ascii: "F"), UInt8(ascii: ":"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }

    /// unreserved / pct-encoded / sub-delims of RFC 3986 §3.2.2, less the ones that let a host hide a second
    /// authority.
    private static func isRegisteredNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"), UInt8(ascii: "%"):
            return true
        default:
            return false
        }
    }
}
