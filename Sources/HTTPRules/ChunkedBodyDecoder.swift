import NIOCore

/// Decodes a chunked body (RFC 9112 §7.1): chunk-size lines, chunk data, the last chunk and the trailer
/// section, whose fields are discarded (§7.1.2 lets a recipient that removes the chunking drop them).
public struct ChunkedBodyDecoder: Sendable {
    private enum State: Sendable {
        case sizeLine
        case data(remaining: Int)
        case dataEnd
        case trailers(HeadScanner)
    }

    /// What one step decoded.
    public enum Step {
        /// A piece of chunk data.
        case data(ByteBuffer)
        /// The last chunk and the trailer section: the body is complete.
        case end
        /// Nothing more can be decoded until more bytes arrive.
        case needMoreData
    }

    /// Longest chunk-size line, extensions included.
    private let maxSizeLineBytes: Int
    /// Limits on the trailer section.
    private let trailerLimits: HeadLimits
    private var state = State.sizeLine
    /// The sum of the chunk sizes announced so far: a body limit can refuse a chunk before its data.
    public private(set) var announcedBytes = 0

    public init(maxSizeLineBytes: Int, trailerLimits: HeadLimits) {
        self.maxSizeLineBytes = maxSizeLineBytes
        self.trailerLimits = trailerLimits
    }

    /// Decodes from `buffer` until it yields data or the end, or needs more bytes.
    public mutating func step(_ buffer: inout ByteBuffer) throws(MessageSyntaxError) -> Step {
        while true {
            switch self.state {
            case .sizeLine:
                guard let size = try self.readSizeLine(&buffer) else { return .needMoreData }
                self.announcedBytes += size
                self.state = size == 0 ? .trailers(.trailers) : .data(remaining: size)
            case .data(let remaining):
                guard buffer.readableBytes > 0 else { return .needMoreData }
                let part = buffer.readSlice(length: min(remaining, buffer.readableBytes))!
                let left = remaining - part.readableBytes
                self.state = left == 0 ? .dataEnd : .data(remaining: left)
                return .data(part)
            case .dataEnd:
                guard buffer.readableBytes >= 2 else { return .needMoreData }
                guard buffer.readInteger(as: UInt16.self) == 0x0D0A else {
                    throw .malformed("chunk data not followed by CRLF")
                }
                self.state = .sizeLine
            case .trailers(var scanner):
                guard let end = try scanner.scan(buffer, limits: self.trailerLimits) else {
                    self.state = .trailers(scanner)
                    return .needMoreData
                }
                buffer.moveReaderIndex(forwardBy: end)
                self.state = .sizeLine
                self.announcedBytes = 0
                return .end
            }
        }
    }

    /// Reads `chunk-size [ chunk-ext ] CRLF`; nil if the line is incomplete.
    private func readSizeLine(_ buffer: inout ByteBuffer) throws(MessageSyntaxError) -> Int? {
        let limit = self.maxSizeLineBytes
        let outcome: Result<(size: Int, length: Int)?, MessageSyntaxError> = buffer.withUnsafeReadableBytes { bytes in
            Result { () throws(MessageSyntaxError) in try Self.parseSizeLine(bytes, limit: limit) }
        }
        guard let parsed = try outcome.get() else { return nil }
        buffer.moveReaderIndex(forwardBy: parsed.length)
        return parsed.size
    }

    private static func parseSizeLine(
        _ bytes: UnsafeRawBufferPointer, limit: Int
    ) throws(MessageSyntaxError) -> (size: Int, length: Int)? {
        guard let lf = MessageSyntax.indexOfLF(in: bytes, from: 0) else {
            if bytes.count > limit + 2 { throw .malformed("chunk extensions too long") }
            return nil
        }
        guard lf <= limit + 1 else { throw .malformed("chunk extensions too long") }
        guard lf > 0, bytes[lf - 1] == 0x0D else { throw .malformed("chunk size not ended by CRLF") }
        var size = 0
        var index = 0
        while index < lf - 1, let digit = Self.hexValue(bytes[index]) {
            guard index < 15 else { throw .malformed("chunk size too large") }
            size = size << 4 | digit
            index += 1
        }
        guard index > 0 else { throw .malformed("invalid chunk size") }
        var rest = index
        while rest < lf - 1, bytes[rest] == 0x20 || bytes[rest] == 0x09 { rest += 1 }
        if rest < lf - 1 {
            guard bytes[rest] == UInt8(ascii: ";") else { throw .malformed("invalid chunk size") }
            guard bytes[rest..<(lf - 1)].allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
                throw .malformed("control character in chunk extension")
            }
        }
        return (size, lf + 1)
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }
}
