import CachePolicy
import CacheStore
import NIOCore

/// The body of an answer from the cache, as a sequence of pieces: whole bodies or byte ranges of
/// them, with literal bytes between (the part headers of `multipart/byteranges`, RFC 9110 §14.6).
final class StoredBodyStream {
    enum Piece {
        case literal([UInt8])
        case range(ByteRange?)  // nil: the whole body
    }

    /// What the next read produced.
    enum Next {
        case bytes(ByteBuffer)
        /// A fill in progress has no more bytes yet; ``whenReadable(_:)`` says when it has.
        case waiting
        case end
    }

    private let store: CacheStore
    private let body: CachedBody
    private var pieces: ArraySlice<Piece>
    private var reader: BodyReader?

    /// `first` is an already-open reader whose bytes come before `pieces` (opening it up front is how the
    /// caller learns that the entry still exists before it commits to a response head).
    init(store: CacheStore, body: CachedBody, first: BodyReader?, pieces: [Piece]) {
        self.store = store
        self.body = body
        self.reader = first
        self.pieces = pieces[...]
    }

    /// The next bytes to send, at most `maxBytes` of stored content at a time, copied once: from the
    /// LMDB map straight into a buffer from `allocator`.
    func next(maxBytes: Int, allocator: ByteBufferAllocator) throws(StoreError) -> Next {
        while true {
            if let reader = self.reader {
                let read = try reader.withNext(maxBytes: maxBytes) { bytes in
                    var buffer = allocator.buffer(capacity: bytes.count)
                    buffer.writeBytes(bytes)
                    return buffer
                }
                switch read {
                case .data(let buffer): return .bytes(buffer)
                case .waiting: return .waiting
                case .end:
                    reader.close()
                    self.reader = nil
                    continue
                }
            }
            guard let piece = self.pieces.popFirst() else { return .end }
            switch piece {
            case .literal(let bytes):
                return .bytes(allocator.buffer(bytes: bytes))
            case .range(let range):
                self.reader = try self.body.openReader(in: self.store, range: range.map { $0.first..<($0.last + 1) })
            }
        }
    }

    func whenReadable(_ callback: @escaping @Sendable () -> Void) {
        self.reader?.whenReadable(callback)
    }

    func close() {
        self.reader?.close()
        self.reader = nil
        self.pieces = []
    }
}
