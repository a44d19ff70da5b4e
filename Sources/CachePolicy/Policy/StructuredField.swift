import HTTPRules
/// The parts of Structured Field Values (RFC 8941) this module needs: parsing a Dictionary, as targeted
/// cache-control fields are (RFC 9213 §2.2), and writing Strings and Tokens, as `Cache-Status` does (RFC 9211 §2).
enum StructuredField {
    /// A Bare Item (RFC 8941 §3.3). Decimals and Byte Sequences are checked but their values are not kept.
    enum BareItem: Equatable {
        case integer(Int64)
        case decimal
        case string(String)
        case token(String)
        case byteSequence
        case boolean(Bool)
    }

    /// A Dictionary member value: an Item or an Inner List (whose contents no cache directive uses).
    enum Member: Equatable {
        case item(BareItem)
        case innerList
    }

    /// Parses the lines of a Dictionary field, joined with commas (RFC 8941 §4.2). `nil` on any syntax error. A key
    /// that appears twice keeps its last value (RFC 8941 §4.2.2) but its first position.
    static func parseDictionary(_ lines: [String]) -> [(key: String, member: Member)]? {
        var parser = Parser(bytes: Array(lines.joined(separator: ",").utf8))
        return parser.dictionary()
    }

    /// True when `text` can be written as an sf-token (RFC 8941 §3.3.4).
    static func isToken(_ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable(Self.isToken(bytes:))
            ?? Array(text.utf8).withUnsafeBufferPointer(Self.isToken(bytes:))
    }

    /// `isToken(_:)` over the text's bytes, in place (every forwarded response's Cache-Status asks).
    private static func isToken(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first, Self.isAlpha(first) || first == UInt8(ascii: "*") else { return false }
        for byte in bytes.dropFirst()
        where !(Token.isTokenByte(byte) || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "/")) {
            return false
        }
        return true
    }

    /// An sf-string (RFC 8941 §4.1.6): quoted, with `"` and `\` escaped. Bytes outside printable ASCII cannot appear
    /// in an sf-string, so they are percent-encoded (`%XX`) rather than produce an invalid field.
    static func string(_ text: String) -> String {
        var output = "\""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                output.append("\\")
                output.append(Character(Unicode.Scalar(byte)))
            case 0x20...0x7E:
                output.append(Character(Unicode.Scalar(byte)))
            default:
                let hex = Array("0123456789ABCDEF")
                output.append("%")
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
            }
        }
        return output + "\""
    }

    /// `text` as an sf-token when it is one, else as an sf-string.
    static func tokenOrString(_ text: String) -> String {
        Self.isToken(text) ? text : Self.string(text)
    }

    static func isAlpha(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// The parsing algorithms of RFC 8941 §4.2, over bytes.
    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        var peek: UInt8? { self.index < self.bytes.count ? self.bytes[self.index] : nil }

        mutating func skip(_ allowed: (UInt8) -> Bool) {
            while let byte = self.peek, allowed(byte) { self.index += 1 }
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            guard self.peek == byte else { return false }
            self.index += 1
            return true
        }

        mutating func dictionary() -> [(key: String, member: Member)]? {
            var members: [(key: String, member: Member)] = []
            self.skip { $0 == UInt8(ascii: " ") }
            while self.peek != nil {
                guard let key = self.key() else { return nil }
                let member: Member
                if self.consume(UInt8(ascii: "=")) {
                    guard let value = self.itemOrInnerList() else { return nil }
                    member = value
                } else {
                    guard self.parameters() else { return nil }
                    member = .item(.boolean(true))
                }
                if let existing = members.firstIndex(where: { $0.key == key }) {
                    members[existing].member = member
                } else {
                    members.append((key, member))
                }
                self.skip(FieldSyntax.isWhitespace)
                guard self.peek != nil else { return members }
                guard self.consume(UInt8(ascii: ",")) else { return nil }
                self.skip(FieldSyntax.isWhitespace)
                guard self.peek != nil else { return nil }
            }
            return members
        }

        mutating func key() -> String? {
            guard let first = self.peek,
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) || first == UInt8(ascii: "*")
            else { return nil }
            let start = self.index
            self.skip {
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || StructuredField.isDigit($0)
                    || [UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "*")].contains($0)
            }
            return String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        }

        mutating func itemOrInnerList() -> Member? {
            if self.consume(UInt8(ascii: "(")) {
                while true {
                    self.skip { $0 == UInt8(ascii: " ") }
                    if self.consume(UInt8(ascii: ")")) { return self.parameters() ? .innerList : nil }
                    guard self.bareItem() != nil, self.parameters() else { return nil }
                    guard self.peek == UInt8(ascii: " ") || self.peek == UInt8(ascii: ")") else { return nil }
                }
            }
            guard let item = self.bareItem(), self.parameters() else { return nil }
            return .item(item)
        }

        /// Parameters are checked for syntax; no cache directive defines any, so their values are dropped.
        mutating func parameters() -> Bool {
            while self.consume(UInt8(ascii: ";")) {
                self.skip { $0 == UInt8(ascii: " ") }
                guard self.key() != nil else { return false }
                if self.consume(UInt8(ascii: "=")), self.bareItem() == nil { return false }
            }
            return true
        }

        mutating func bareItem() -> BareItem? {
            guard let first = self.peek else { return nil }
            switch first {
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return self.number()
            case UInt8(ascii: "\""): return self.string()
            case UInt8(ascii: ":"): return self.byteSequence()
            case UInt8(ascii: "?"):
                self.index += 1
                if self.consume(UInt8(ascii: "0")) { return .boolean(false) }
                if self.consume(UInt8(ascii: "1")) { return .boolean(true) }
                return nil
            default:
                guard StructuredField.isAlpha(first) || first == UInt8(ascii: "*") else { return nil }
                let start = self.index
                self.skip { Token.isTokenByte($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "/") }
                return .token(String(decoding: self.bytes[start..<self.index], as: UTF8.self))
            }
        }

        mutating func number() -> BareItem? {
            let negative = self.consume(UInt8(ascii: "-"))
            let start = self.index
            self.skip(StructuredField.isDigit)
            let integerDigits = self.index - start
            guard integerDigits > 0 else { return nil }
            if self.consume(UInt8(ascii: ".")) {
                let fractionStart = self.index
                self.skip(StructuredField.isDigit)
                let fractionDigits = self.index - fractionStart
                return integerDigits <= 12 && (1...3).contains(fractionDigits) ? .decimal : nil
            }
            guard integerDigits <= 15 else { return nil }
            var value: Int64 = 0
            for byte in self.bytes[start..<self.index] { value = value * 10 + Int64(byte - UInt8(ascii: "0")) }
            return .integer(negative ? -value : value)
        }

        mutating func string() -> BareItem? {
            self.index += 1
            var output: [UInt8] = []
            while let byte = self.peek {
                self.index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return .string(String(decoding: output, as: UTF8.self))
                case UInt8(ascii: "\\"):
                    guard let escaped = self.peek, escaped == UInt8(ascii: "\"") || escaped == UInt8(ascii: "\\")
                    else { return nil }
                    output.append(escaped)
                    self.index += 1
                case 0x20...0x7E:
                    output.append(byte)
                default:
                    return nil
                }
            }
            return nil
        }

        mutating func byteSequence() -> BareItem? {
            self.index += 1
            self.skip {
                StructuredField.isAlpha($0) || StructuredField.isDigit($0)
                    || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "=")
            }
            return self.consume(UInt8(ascii: ":")) ? .byteSequence : nil
        }
    }
}
