import NIOCore
import NIOHTTP1

/// What the pipeline writes to a client: NIO's response parts, plus a response already in wire form.
enum ResponsePart {
    /// A head to encode; a body follows, chunked when its Transfer-Encoding ends in `chunked`.
    case head(HTTPResponseHead)
    /// A head already in wire form (a stored response's pre-serialised head, see ``SerializedHead``),
    /// possibly followed by the start of the body. Framing is by Content-Length: any further `.body`
    /// parts are written as they are.
    case serialized(ByteBuffer)
    case body(IOData)
    case end(HTTPHeaders?)
}

/// Encodes ``ResponsePart``s for HTTP/1.x (RFC 9112), for the handler that writes them (no pipeline hop).
///
/// The pipeline sets every framing field itself (Content-Length, Transfer-Encoding, Connection); the
/// encoder frames body parts as chunks when the head said `chunked`, and passes pre-serialised
/// responses untouched, so a hit on a stored response costs no header encoding.
struct ResponseEncoder {
    private var isChunked = false

    /// Hands `part`'s wire form to `emit`, piece by piece; nothing for the end of a body framed by length.
    mutating func encode(_ part: ResponsePart, allocator: ByteBufferAllocator, emit: (IOData) -> Void) {
        switch part {
        case .head(let head):
            self.isChunked = head.version.major == 1 && head.version.minor >= 1
                && head.headers.isChunked
            var buffer = allocator.buffer(capacity: 256)
            buffer.writeStatusLine(version: head.version, status: head.status)
            buffer.writeHeaderFields(head.headers)
            buffer.writeStaticString("\r\n")
            emit(.byteBuffer(buffer))
        case .serialized(let bytes):
            self.isChunked = false
            emit(.byteBuffer(bytes))
        case .body(let part):
            // An empty chunk would end a chunked body early: it goes out as it is (nothing on the wire).
            guard self.isChunked, part.readableBytes > 0 else { return emit(part) }
            var size = allocator.buffer(capacity: 24)
            size.writeString(String(part.readableBytes, radix: 16))
            size.writeStaticString("\r\n")
            emit(.byteBuffer(size))
            emit(part)
            emit(.byteBuffer(ByteBuffer(staticString: "\r\n")))
        case .end(let trailers):
            guard self.isChunked else { return }
            self.isChunked = false
            var buffer = allocator.buffer(capacity: 64)
            buffer.writeStaticString("0\r\n")
            if let trailers { buffer.writeHeaderFields(trailers) }
            buffer.writeStaticString("\r\n")
            emit(.byteBuffer(buffer))
        }
    }
}

extension ByteBuffer {
    /// Writes `HTTP/x.y code reason` and CRLF.
    mutating func writeStatusLine(version: HTTPVersion, status: HTTPResponseStatus) {
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

    /// Writes `value` in decimal digits.
    mutating func writeDecimal(_ value: Int64) {
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: 20) { out in
            var writer = RawWriter(out)
            writer.appendDecimal(value)
            return writer.count
        }
    }

    /// Writes each field as `name: value` and CRLF, in order (the empty line ending a head is not included).
    /// Room for all of them is made once and each field copied in place, not four buffer writes per field.
    mutating func writeHeaderFields(_ fields: HTTPHeaders) {
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

extension HTTPHeaders {
    /// Whether the last transfer coding is `chunked` (RFC 9112 §6.1).
    var isChunked: Bool {
        guard let last = self[canonicalForm: "transfer-encoding"].last else { return false }
        return last.utf8.count == 7 && last.lowercased() == "chunked"
    }
}

/// Appends bytes to raw memory the caller sized, for a few fields written at once.
struct RawWriter {
    private let out: UnsafeMutableRawBufferPointer
    private(set) var count = 0

    init(_ out: UnsafeMutableRawBufferPointer) { self.out = out }

    mutating func append(_ text: StaticString) {
        (self.out.baseAddress! + self.count).copyMemory(from: text.utf8Start, byteCount: text.utf8CodeUnitCount)
        self.count += text.utf8CodeUnitCount
    }

    mutating func append(utf8Of text: String) {
        var text = text
        text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            (self.out.baseAddress! + self.count).copyMemory(from: base, byteCount: bytes.count)
            self.count += bytes.count
        }
    }

    mutating func appendDecimal(_ value: Int64) {
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
