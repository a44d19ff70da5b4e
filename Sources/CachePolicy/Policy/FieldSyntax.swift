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
        // Every cached response's fields go through here: scan the bytes in place when they are contiguous (native
        // strings always are), which is several times cheaper than stepping through the UTF-8 view.
        value.utf8.withContiguousStorageIfAvailable { Self.listMembers(value, bytes: $0) }
            ?? Array(value.utf8).withUnsafeBufferPointer { Self.listMembers(value, bytes: $0) }
    }

    /// `listMembers(_:)` over `value`'s UTF-8, `bytes`; members are cut at ASCII bytes, so at character boundaries.
    private static func listMembers(_ value: Substring, bytes: UnsafeBufferPointer<UInt8>) -> [Substring] {
        var members: [Substring] = []
        MessageSyntax.forEachListMember(of: bytes) { member in
            let utf8 = value.utf8
            let first = utf8.index(utf8.startIndex, offsetBy: member.lowerBound)
            members.append(value[first..<utf8.index(first, offsetBy: member.count)])
        }
        return members
    }

    /// The members of every line of the field `name`, in order.
    static func listMembers(_ headers: HTTPHeaders, _ name: String) -> [Substring] {
        // Most fields asked for here are absent: a look at the names spares listing no lines.
        guard headers.contains(name: name) else { return [] }
        return headers[name].flatMap { Self.listMembers($0[...]) }
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
        headers.first(name: name).map { Self.trimmed($0[...]) }
    }
}
