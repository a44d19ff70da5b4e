import NIOCore
import NIOHTTP1

/// Writing HTTP/1.1 message heads into buffers (RFC 9112), shared by the response side (clients) and the
/// request side (origins).
extension ByteBuffer {
    /// Writes `HTTP/x.y code reason` and CRLF.
    public mutating func writeStatusLine(version: HTTPVersion, status: HTTPResponseStatus) {
        self.writeStaticString("HTTP/")
        self.writeDecimal(Int64(version.major))
        self.writeStaticString(".")
        self.writeDecimal(Int64(version.minor))
        self.writeStaticString(" ")
        self.writeDecimal(Int64(status.code))
        self.writeStaticString(" ")
        self.writeString(status.reasonPhrase)
        self.writeStaticString("\r\n")
    }

    /// Writes `method target HTTP/x.y` and CRLF.
    public mutating func writeRequestLine(method: HTTPMethod, target: String, version: HTTPVersion) {
        self.writeString(method.rawValue)
        self.writeStaticString(" ")
        self.writeString(target)
        self.writeStaticString(" HTTP/")
        self.writeDecimal(Int64(version.major))
        self.writeStaticString(".")
        self.writeDecimal(Int64(version.minor))
        self.writeStaticString("\r\n")
    }

    /// Writes `value` in decimal digits.
    public mutating func writeDecimal(_ value: Int64) {
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: 20) { out in
            var writer = RawWriter(out)
            writer.appendDecimal(value)
            return writer.count
        }
    }

    /// Writes one field as `name: value` and CRLF.
    public mutating func writeHeaderField(_ name: String, _ value: String) {
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: name.utf8.count + value.utf8.count + 4) { out in
            var writer = RawWriter(out)
            writer.append(utf8Of: name)
            writer.append(": ")
            writer.append(utf8Of: value)
            writer.append("\r\n")
            return writer.count
        }
    }

    /// Writes each field as `name: value` and CRLF, in order (the empty line ending a head is not included).
    /// Room for all of them is made once and each field copied in place, not four buffer writes per field.
    public mutating func writeHeaderFields(_ fields: HTTPHeaders) {
        var total = 0
        for (name, value) in fields { total += name.utf8.count + value.utf8.count + 4 }
        guard total > 0 else { return }
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: total) { out in
            var writer = RawWriter(out)
            for (name, value) in fields {
                writer.append(utf8Of: name)
                writer.append(": ")
                writer.append(utf8Of: value)
                writer.append("\r\n")
            }
            return writer.count
        }
    }
}

/// The chunked transfer coding's framing (RFC 9112 §7.1), for a body written in parts.
public enum ChunkedFraming {
    /// Hands `part` to `emit` as one chunk: size line, data, CRLF. An empty part is passed on as it is
    /// (nothing on the wire), since an empty chunk would end the body.
    public static func emitChunk(_ part: IOData, allocator: ByteBufferAllocator, emit: (IOData) -> Void) {
        guard part.readableBytes > 0 else { return emit(part) }
        var size = allocator.buffer(capacity: 24)
        size.writeString(String(part.readableBytes, radix: 16))
        size.writeStaticString("\r\n")
        emit(.byteBuffer(size))
        emit(part)
        emit(.byteBuffer(ByteBuffer(staticString: "\r\n")))
    }

    /// The last chunk and the trailer section that end a chunked body.
    public static func lastChunk(trailers: HTTPHeaders?, allocator: ByteBufferAllocator) -> ByteBuffer {
        guard let trailers else { return ByteBuffer(staticString: "0\r\n\r\n") }
        var buffer = allocator.buffer(capacity: 64)
        buffer.writeStaticString("0\r\n")
        buffer.writeHeaderFields(trailers)
        buffer.writeStaticString("\r\n")
        return buffer
    }
}

extension HTTPHeaders {
    /// Whether the last transfer coding is `chunked` (RFC 9112 §6.1).
    public var isChunked: Bool {
        guard let last = self[canonicalForm: "transfer-encoding"].last else { return false }
        return last.utf8.count == 7 && last.lowercased() == "chunked"
    }
}

/// Appends bytes to raw memory the caller sized, for a few fields written at once.
public struct RawWriter {
    private let out: UnsafeMutableRawBufferPointer
    public private(set) var count = 0

    public init(_ out: UnsafeMutableRawBufferPointer) { self.out = out }

    public mutating func append(_ text: StaticString) {
        (self.out.baseAddress! + self.count).copyMemory(from: text.utf8Start, byteCount: text.utf8CodeUnitCount)
        self.count += text.utf8CodeUnitCount
    }

    public mutating func append(utf8Of text: String) {
        var text = text
        text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            (self.out.baseAddress! + self.count).copyMemory(from: base, byteCount: bytes.count)
            self.count += bytes.count
        }
    }

    public mutating func appendDecimal(_ value: Int64) {
        if value < 0 { self.appendByte(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits = 1
        var rest = magnitude / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        var index = self.count + digits
        repeat {
            index -= 1
            self.out[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
        self.count += digits
    }

    private mutating func appendByte(_ byte: UInt8) {
        self.out[self.count] = byte
        self.count += 1
    }
}
