import HTTPRules
import NIOHTTP1

/// The lexical pieces shared by field parsers (RFC 9110 §5.6): tokens, whitespace, lists and quoted strings.
enum FieldSyntax {
    /// `OWS` bytes: space and horizontal tab.
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    /// `text` without leading and trailing `OWS`.
    static func trimmed(_ text: Substring) -> Substring {
        let utf8 = text.utf8
        guard let first = utf8.firstIndex(where: { !Self.isWhitespace($0) }),
            let last = utf8.lastIndex(where: { !Self.isWhitespace($0) })
        else { return text[text.endIndex...] }
        return text[first...last]
    }

    /// The members of a list-based field value (RFC 9110 §5.6.1): split on commas outside quoted strings, each
    /// trimmed of `OWS`, empty members dropped.
    static func listMembers(_ value: Substring) -> [Substring] {
        var members: [Substring] = []
        var start = value.startIndex
        var inQuotes = false
        var escaped = false
        var index = value.utf8.startIndex
        while index < value.utf8.endIndex {
            let byte = value.utf8[index]
            if escaped {
                escaped = false
            } else if inQuotes && byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inQuotes.toggle()
            } else if byte == UInt8(ascii: ","), !inQuotes {
                Self.appendMember(value[start..<index], to: &members)
                start = value.utf8.index(after: index)
            }
            index = value.utf8.index(after: index)
        }
        Self.appendMember(value[start...], to: &members)
        return members
    }

    /// The members of every line of the field `name`, in order.
    static func listMembers(_ headers: HTTPHeaders, _ name: String) -> [Substring] {
        headers[name].flatMap { Self.listMembers($0[...]) }
    }

    private static func appendMember(_ member: Substring, to members: inout [Substring]) {
        let member = Self.trimmed(member)
        if !member.isEmpty { members.append(member) }
    }

    /// The content of a complete `quoted-string` (RFC 9110 §5.6.4) with its escapes removed, or `nil` when `text`
    /// is not exactly one quoted string.
    static func unquote(_ text: Substring) -> String? {
        let utf8 = text.utf8
        guard utf8.count >= 2, utf8.first == UInt8(ascii: "\""), utf8.last == UInt8(ascii: "\"") else { return nil }
        var bytes: [UInt8] = []
        var escaped = false
        for byte in utf8.dropFirst().dropLast() {
            if escaped {
                bytes.append(byte)
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                return nil
            } else {
                bytes.append(byte)
            }
        }
        guard !escaped else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The first line of field `name`, trimmed; `nil` when the field is absent.
    static func firstLine(_ headers: HTTPHeaders, _ name: String) -> Substring? {
        headers[name].first.map { Self.trimmed($0[...]) }
    }
}
