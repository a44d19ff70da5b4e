import HTTPRules
import NIOCore
import NIOHTTP1

/// What the pipeline writes to a client: NIO's response parts, plus a response already in wire form.
enum ResponsePart {
    /// A head to encode; a body follows, chunked when its Transfer-Encoding ends in `chunked`.
    case head(HTTPResponseHead)
    /// A head already in wire form (a stored response's pre-serialised head, see ``SerializedHead``, or a
    /// forwarded one, see ``ForwardedResponseHead``), possibly followed by the start of a body framed by
    /// Content-Length. Further `.body` parts are written as they are, or as chunks when `chunked` (the head
    /// said so, and holds no body bytes).
    case serialized(ByteBuffer, chunked: Bool = false)
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
        case .serialized(let bytes, let chunked):
            self.isChunked = chunked
            emit(.byteBuffer(bytes))
        case .body(let part):
            guard self.isChunked else { return emit(part) }
            ChunkedFraming.emitChunk(part, allocator: allocator, emit: emit)
        case .end(let trailers):
            guard self.isChunked else { return }
            self.isChunked = false
            emit(.byteBuffer(ChunkedFraming.lastChunk(trailers: trailers, allocator: allocator)))
        }
    }
}
