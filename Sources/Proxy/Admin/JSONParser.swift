/// Reads JSON text (RFC 8259) into a ``JSONValue``: for the CLI reading the admin API's answers.
public struct JSONParser {
    /// What is wrong with the text, and at which byte.
    public struct ParseError: Error, CustomStringConvertible {
        public var message: String
        public var offset: Int
        public var description: String { "invalid JSON at byte \(self.offset): \(self.message)" }
    }

    private let bytes: [UInt8]
    private var position = 0
    /// Nesting limit, so hostile input cannot exhaust the stack.
    private static let maxDepth = 64

    private init(_ text: String) {
        self.bytes = Array(text.utf8)
    }

    /// Parses a whole document; trailing non-space text is an error.
    public static func parse(_ text: String) throws(ParseError) -> JSONValue {
        var parser = JSONParser(text)
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.position == parser.bytes.count else { throw parser.error("unexpected text after the value") }
        return value
    }

    private func error(_ message: String) -> ParseError { ParseError(message: message, offset: self.position) }

    private mutating func skipSpace() {
        while self.position < self.bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(self.bytes[self.position]) {
            self.position += 1
        }
    }

    private mutating func value(depth: Int) throws(ParseError) -> JSONValue {
        guard depth < Self.maxDepth else { throw self.error("nested too deeply") }
        self.skipSpace()
        guard self.position < self.bytes.count else { throw self.error("unexpected end") }
        switch self.bytes[self.position] {
        case UInt8(ascii: "{"): return try self.object(depth: depth)
        case UInt8(ascii: "["): return try self.array(depth: depth)
        case UInt8(ascii: "\""): return .string(try self.string())
        case UInt8(ascii: "t"): try self.literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try self.literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try self.literal("null"); return .null
        default: return try self.number()
        }
    }

    private mutating func literal(_ word: String) throws(ParseError) {
        let expected = Array(word.utf8)
        guard self.bytes.count - self.position >= expected.count,
            Array(self.bytes[self.position..<self.position + expected.count]) == expected
        else { throw self.error("expected \(word)") }
        self.position += expected.count
    }

    private mutating func object(depth: Int) throws(ParseError) -> JSONValue {
        self.position += 1
        var fields: [(String, JSONValue)] = []
        self.skipSpace()
        if self.position < self.bytes.count, self.bytes[self.position] == UInt8(ascii: "}") {
            self.position += 1
            return .object(fields)
        }
        while true {
            self.skipSpace()
            guard self.position < self.bytes.count, self.bytes[self.position] == UInt8(ascii: "\"") else {
                throw self.error("expected a key")
            }
            let key = try self.string()
            self.skipSpace()
            guard self.position < self.bytes.count, self.bytes[self.position] == UInt8(ascii: ":") else {
                throw self.error("expected ':'")
            }
            self.position += 1
            fields.append((key, try self.value(depth: depth + 1)))
            self.skipSpace()
            guard self.position < self.bytes.count else { throw self.error("unexpected end in an object") }
            let next = self.bytes[self.position]
            self.position += 1
            if next == UInt8(ascii: "}") { return .object(fields) }
            guard next == UInt8(ascii: ",") else { throw self.error("expected ',' or '}'") }
        }
    }

    private mutating func array(depth: Int) throws(ParseError) -> JSONValue {
        self.position += 1
        var items: [JSONValue] = []
        self.skipSpace()
        if self.position < self.bytes.count, self.bytes[self.position] == UInt8(ascii: "]") {
            self.position += 1
            return .array(items)
        }
        while true {
            items.append(try self.value(depth: depth + 1))
            self.skipSpace()
            guard self.position < self.bytes.count else { throw self.error("unexpected end in an array") }
            let next = self.bytes[self.position]
            self.position += 1
            if next == UInt8(ascii: "]") { return .array(items) }
            guard next == UInt8(ascii: ",") else { throw self.error("expected ',' or ']'") }
        }
    }

    private mutating func string() throws(ParseError) -> String {
        self.position += 1
        var scalars = String.UnicodeScalarView()
        var run: [UInt8] = []
        func flush() {
            if !run.isEmpty {
                scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
                run.removeAll()
            }
        }
        while self.position < self.bytes.count {
            let byte = self.bytes[self.position]
            self.position += 1
            switch byte {
            case UInt8(ascii: "\""):
                flush()
                return String(scalars)
            case UInt8(ascii: "\\"):
                flush()
                guard self.position < self.bytes.count else { break }
                let escape = self.bytes[self.position]
                self.position += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{8}")
                case UInt8(ascii: "f"): scalars.append("\u{C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try self.hex4()
                    if (0xD800..<0xDC00).contains(code), self.bytes.count - self.position >= 6,
                        self.bytes[self.position] == UInt8(ascii: "\\"),
                        self.bytes[self.position + 1] == UInt8(ascii: "u")
                    {
                        self.position += 2
                        let low = try self.hex4()
                        code = 0x10000 + ((code - 0xD800) << 10) + (low &- 0xDC00)
                    }
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default:
                    throw self.error("bad escape")
                }
            case 0..<0x20:
                throw self.error("control character in a string")
            default:
                run.append(byte)
            }
        }
        throw self.error("unterminated string")
    }

    private mutating func hex4() throws(ParseError) -> UInt32 {
        guard self.bytes.count - self.position >= 4 else { throw self.error("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = Character(Unicode.Scalar(self.bytes[self.position])).hexDigitValue else {
                throw self.error("bad \\u escape")
            }
            value = value * 16 + UInt32(digit)
            self.position += 1
        }
        return value
    }

    private mutating func number() throws(ParseError) -> JSONValue {
        let start = self.position
        var isInteger = true
        while self.position < self.bytes.count {
            let byte = self.bytes[self.position]
            if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") {
                self.position += 1
            } else if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
                || byte == UInt8(ascii: "+")
            {
                isInteger = false
                self.position += 1
            } else {
                break
            }
        }
        let text = String(decoding: self.bytes[start..<self.position], as: UTF8.self)
        if isInteger, let value = Int64(text) { return .integer(value) }
        guard !text.isEmpty, let value = Double(text) else {
            self.position = start
            throw self.error("unexpected character")
        }
        return .number(value)
    }
}
