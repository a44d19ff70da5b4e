import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Why bytes are not an HTTP/1.1 message (RFC 9112). The decoders turn it into their side's error: a
/// request's status (400, 414, 431), an origin's invalid response (502).
public enum MessageSyntaxError: Error, Hashable, Sendable {
    /// Not well-formed; the reason is one short phrase.
    case malformed(String)
    /// The start line is longer than its limit.
    case firstLineTooLong
    /// The field lines are more bytes than their limit.
    case fieldsTooLarge
    /// More field lines than their limit.
    case tooManyFields
}

/// Limits on a head (start line and field lines) or a trailer section, checked while bytes arrive.
public struct HeadLimits: Sendable, Hashable {
    public var firstLineBytes: Int
    public var fieldBytes: Int
    public var fieldCount: Int

    public init(firstLineBytes: Int, fieldBytes: Int, fieldCount: Int) {
        self.firstLineBytes = firstLineBytes
        self.fieldBytes = fieldBytes
        self.fieldCount = fieldCount
    }
}

/// `OWS` bytes: space and horizontal tab.
func isOptionalWhitespace(_ byte: UInt8) -> Bool {
    byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
}

/// The parsing steps both sides share: field lines, list members, line ends.
public enum MessageSyntax {
    /// Calls `body` with each field line of a complete head block (as ``HeadScanner`` found it), from
    /// `start` (the first line's length) to the block's final CRLF, without its CRLF.
    public static func forEachFieldLine(
        in block: UnsafeRawBufferPointer, from start: Int,
        _ body: (UnsafeRawBufferPointer) throws(MessageSyntaxError) -> Void
    ) throws(MessageSyntaxError) {
        var lineStart = start
        while lineStart < block.count - 2 {
            var lineEnd = lineStart
            while block[lineEnd] != 0x0D { lineEnd += 1 }
            try body(UnsafeRawBufferPointer(rebasing: block[lineStart..<lineEnd]))
            lineStart = lineEnd + 2
        }
    }

    /// Parses `field-name ":" OWS field-value OWS` (RFC 9112 §5). Refuses obs-fold, a name that is not a
    /// token and control bytes in the value. Whitespace between name and colon is refused unless
    /// `trimmingSpaceBeforeColon`: a server must reject it in a request, a proxy must remove it from a
    /// response (§5.1).
    public static func parseField(
        _ line: UnsafeRawBufferPointer, trimmingSpaceBeforeColon: Bool = false
    ) throws(MessageSyntaxError) -> (name: String, value: String) {
        let count = line.count
        guard count > 0, line[0] != 0x20, line[0] != 0x09 else {
            throw .malformed("obsolete line folding in header")
        }
        var colon = 0
        while colon < count, line[colon] != UInt8(ascii: ":") { colon += 1 }
        guard colon < count else { throw .malformed("malformed header field") }
        var nameEnd = colon
        if trimmingSpaceBeforeColon {
            while nameEnd > 0, line[nameEnd - 1] == 0x20 || line[nameEnd - 1] == 0x09 { nameEnd -= 1 }
        }
        let nameBytes = UnsafeRawBufferPointer(rebasing: line[0..<nameEnd])
        let name: String
        if let common = CommonFieldNames.name(spelledAs: nameBytes) {
            name = common
        } else {
            var index = 0
            while index < nameEnd, Token.isTokenByte(line[index]) { index += 1 }
            guard nameEnd > 0, index == nameEnd else { throw .malformed("malformed header field") }
            name = String(decoding: nameBytes, as: UTF8.self)
        }
        var valueStart = colon + 1
        var valueEnd = count
        while valueStart < valueEnd, line[valueStart] == 0x20 || line[valueStart] == 0x09 { valueStart += 1 }
        while valueEnd > valueStart, line[valueEnd - 1] == 0x20 || line[valueEnd - 1] == 0x09 { valueEnd -= 1 }
        var index = valueStart
        while index < valueEnd {
            let byte = line[index]
            guard byte >= 0x20 ? byte != 0x7F : byte == 0x09 else {
                throw .malformed("control character in header value")
            }
            index += 1
        }
        return (name, String(decoding: UnsafeRawBufferPointer(rebasing: line[valueStart..<valueEnd]), as: UTF8.self))
    }

    /// Calls `body` with the range of each member of a list-based field value in `bytes` (RFC 9110 §5.6.1): split
    /// on commas outside quoted strings, trimmed of `OWS`, empty members skipped.
    public static func forEachListMember(of bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        func member(_ lower: Int, _ upper: Int) {
            var (lower, upper) = (lower, upper)
            while lower < upper, isOptionalWhitespace(bytes[lower]) { lower += 1 }
            while upper > lower, isOptionalWhitespace(bytes[upper - 1]) { upper -= 1 }
            if lower < upper { body(lower..<upper) }
        }
        var start = 0
        var inQuotes = false
        var escaped = false
        for index in bytes.indices {
            let byte = bytes[index]
            if escaped {
                escaped = false
            } else if inQuotes && byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inQuotes.toggle()
            } else if byte == UInt8(ascii: ","), !inQuotes {
                member(start, index)
                start = index + 1
            }
        }
        member(start, bytes.count)
    }

    /// The offset of the first LF in `bytes` at or after `start`.
    public static func indexOfLF(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = bytes.baseAddress, start < bytes.count else { return nil }
        guard let found = memchr(base + start, 0x0A, bytes.count - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// Whether `bytes` are exactly `literal`'s.
    public static func equals(_ bytes: Slice<UnsafeRawBufferPointer>, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        return bytes.isEmpty || memcmp(bytes.base.baseAddress! + bytes.startIndex, literal.utf8Start, bytes.count) == 0
    }
}

/// Bytes read but not yet decodable (a head or chunk line cut by the read's end), kept for the next read.
public struct UndecodedBytes: Sendable {
    private var rest: ByteBuffer?

    public init() {}

    /// What was kept, followed by `bytes`: the input for the next decoding pass.
    public mutating func take(followedBy bytes: ByteBuffer) -> ByteBuffer {
        guard var rest = self.rest else { return bytes }
        self.rest = nil
        var bytes = bytes
        rest.writeBuffer(&bytes)
        return rest
    }

    /// Keeps what a decoding pass left of `bytes`.
    public mutating func keep(_ bytes: ByteBuffer) {
        self.rest = bytes.readableBytes > 0 ? bytes : nil
    }
}

/// The field names most messages carry, as most senders spell them. A name read from the wire that matches
/// one exactly is this constant: no validation, no new string.
enum CommonFieldNames {
    /// Sorted by length: a lookup compares only the spellings of the length it was given.
    private static let spellings: [StaticString] = [
        "Age", "Via", "Host", "Date", "ETag", "Vary", "Range", "Server", "Accept", "Cookie", "Pragma", "Expires",
        "Referer", "Location", "Forwarded", "Connection", "Set-Cookie", "Keep-Alive", "User-Agent",
        "Content-Type", "Cache-Control", "Last-Modified", "Accept-Ranges", "If-None-Match", "Authorization",
        "Content-Range", "Content-Length", "Accept-Encoding", "Accept-Language", "X-Forwarded-For",
        "Content-Encoding", "If-Modified-Since", "Transfer-Encoding",
    ]
    /// The same names as strings, made once.
    private static let names: [String] = Self.spellings.map { $0.description }
    /// For each length, the index of the first spelling at least that long.
    private static let firstOfLength: [Int] = (0...Self.maxLength + 1).map { length in
        Self.spellings.firstIndex { $0.utf8CodeUnitCount >= length } ?? Self.spellings.count
    }
    private static let maxLength = 17

    /// The constant spelled exactly as `bytes`, if there is one.
    static func name(spelledAs bytes: UnsafeRawBufferPointer) -> String? {
        let count = bytes.count
        guard count <= Self.maxLength, let base = bytes.baseAddress else { return nil }
        for index in Self.firstOfLength[count]..<Self.firstOfLength[count + 1]
        where memcmp(Self.spellings[index].utf8Start, base, count) == 0 {
            return Self.names[index]
        }
        return nil
    }
}
