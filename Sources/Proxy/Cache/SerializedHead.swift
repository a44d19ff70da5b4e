import CachePolicy
import HTTPRules
import NIOCore
import NIOHTTP1

/// A stored response's head in wire form, built once per stored variant (kept by ``DecodedVariants``),
/// so that a plain hit writes bytes instead of encoding every stored field again.
///
/// It holds the status line and the stored fields except those each answer sets itself (Age,
/// Content-Length, Cache-Status) and the targeted cache-control field addressed to Larder alone
/// (RFC 9213 §2.1). An answer appends its own fields with ``answer(_:bodyCapacity:allocator:)``.
struct SerializedHead: Sendable {
    /// Stored fields an answer replaces with its own.
    private static let answerFields: Set<String> = ["age", "content-length", "cache-status"]

    /// The status line and the kept stored fields.
    let stored: ByteBuffer
    /// The stored Cache-Status values, which the answer's own Cache-Status extends (RFC 9211 §2).
    let cacheStatus: [String]

    init(status: HTTPResponseStatus, headers: HTTPHeaders, policy: PolicyConfiguration) {
        let removed = Set(TargetedCacheControl.fieldsToStrip(configuration: policy).map { $0.lowercased() })
        var buffer = ByteBuffer()
        buffer.reserveCapacity(64 + headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 })
        buffer.writeStatusLine(version: .http1_1, status: status)
        var kept = HTTPHeaders()
        for (name, value) in headers {
            let lowercased = name.lowercased()
            guard !Self.answerFields.contains(lowercased), !removed.contains(lowercased) else { continue }
            kept.add(name: name, value: value)
        }
        buffer.writeHeaderFields(kept)
        self.stored = buffer
        self.cacheStatus = headers["cache-status"]
    }

    /// The fields a plain answer adds to the stored ones.
    struct AnswerFields {
        var age: Int64
        var contentLength: Int64
        /// Larder's Via member (``Forwarding/viaValue(receivedVersion:pseudonym:)``).
        var via: String
        /// Larder's own Cache-Status entry, after the stored ones.
        var cacheStatus: CacheStatus?
        /// The Connection field's value, if the answer needs one.
        var connection: String?
    }

    /// The whole head of an answer: the stored part, then `fields`, then the empty line; with room for
    /// `bodyCapacity` more bytes, so a small body can follow in the same buffer. The fields are written
    /// as bytes, as the general path's encoder would write them.
    func answer(_ fields: AnswerFields, bodyCapacity: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: self.stored.readableBytes + 192 + bodyCapacity)
        // Copied, not shared: a buffer sharing the stored one's storage would be copied again at the next write.
        buffer.writeBytes(self.stored.readableBytesView)
        // The fixed fields in one write: `age`, `content-length` (19 digits at most each) and `via`.
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 80 + fields.via.utf8.count) { out in
            var writer = RawWriter(out)
            writer.append("age: ")
            writer.appendDecimal(fields.age)
            writer.append("\r\ncontent-length: ")
            writer.appendDecimal(fields.contentLength)
            writer.append("\r\nvia: ")
            writer.append(utf8Of: fields.via)
            writer.append("\r\n")
            return writer.count
        }
        buffer.writeClosingFields(
            cacheStatus: self.cacheStatus, then: fields.cacheStatus, connection: fields.connection)
        return buffer
    }
}
