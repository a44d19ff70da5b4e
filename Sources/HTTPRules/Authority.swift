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
    public var isIPv6Literal: Bool { self.host.contains(":") }

    /// `host[:port]`, with brackets around an IPv6 literal.
    public var description: String {
        let host = self.isIPv6Literal ? "[\(self.host)]" : self.host
        return self.port.map { "\(host):\($0)" } ?? host
    }

    /// The port, or `defaultPort` when none was written.
    public func port(default defaultPort: Int) -> Int { self.port ?? defaultPort }

    /// Parses `host`, `host:port`, `[v6]` or `[v6]:port`. Rejects userinfo, empty hosts, bad ports and
    /// characters that have no place in a host name.
    public init?(parsing text: Substring) {
        var hostPart: Substring
        var portPart: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portPart = rest.dropFirst()
            }
            guard !hostPart.isEmpty, hostPart.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                return nil
            }
        } else {
            if let colon = text.lastIndex(of: ":") {
                hostPart = text[..<colon]
                portPart = text[text.index(after: colon)...]
            } else {
                hostPart = text
            }
            guard !hostPart.isEmpty, hostPart.utf8.allSatisfy(Self.isRegisteredNameByte) else { return nil }
        }
        var port: Int?
        if let portPart {
            guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy(\.isASCIIDigit),
                let value = Int(portPart), value > 0, value <= 65535
            else { return nil }
            port = value
        }
        self.init(host: String(hostPart), port: port)
    }

    public init?(parsing text: String) { self.init(parsing: text[...]) }

    /// unreserved / pct-encoded / sub-delims of RFC 3986 §3.2.2, less the ones that let a host hide a second authority.
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

extension Character {
    var isASCIIDigit: Bool { self.isASCII && self.isNumber }
}
