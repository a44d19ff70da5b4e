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
        /// Bytes of a complete stored body to send straight from the store's data file (sendfile).
        case region(FileRegion)
        /// A fill in progress has no more bytes yet; ``whenReadable(_:)`` says when it has.
        case waiting
        case end
    }

    /// Pieces of chunks smaller than this are copied even when they could be sent from the file: a region is a
    /// write and a sendfile call of its own, while small buffers are gathered into one writev.
    static let minimumRegionBytes = 16 * 1024

    private let store: CacheStore
    private let body: CachedBody
    private var pieces: ArraySlice<Piece>
    private var reader: BodyReader?
    /// Set once the current reader's bytes went out as file regions: it is then handed to this state when done
    /// rather than closed, so its pin outlives the kernel's references to the pages.
    private var sentFrom: SendfileState?

    /// `first` is an already-open reader whose bytes come before `pieces` (opening it up front is how the
    /// caller learns that the entry still exists before it commits to a response head).
    init(store: CacheStore, body: CachedBody, first: BodyReader?, pieces: [Piece]) {
        self.store = store
        self.body = body
        self.reader = first
        self.pieces = pieces[...]
    }

    /// The next bytes to send, at most `maxBytes` of stored content at a time. With `sendfile` (the connection
    /// may send from the data file), large chunks of a complete stored body come with no copy, as buffers over the
    /// file's map or as file regions; everything else (literal pieces, small chunks, fills in progress) is copied
    /// once: from the LMDB map straight into a buffer from `allocator`.
    func next(maxBytes: Int, allocator: ByteBufferAllocator, sendfile: SendfileState? = nil) throws(StoreError)
        -> Next
    {
        while true {
            if let reader = self.reader {
                switch try self.read(reader, maxBytes: maxBytes, allocator: allocator, sendfile: sendfile) {
                case .data(let next): return next
                case .waiting: return .waiting
                case .end:
                    self.finishReader()
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

    private func read(_ reader: BodyReader, maxBytes: Int, allocator: ByteBufferAllocator, sendfile: SendfileState?)
        throws(StoreError) -> BodyRead<Next>
    {
        let copy = { (bytes: UnsafeRawBufferPointer) -> ByteBuffer in
            var buffer = allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            return buffer
        }
        guard let sendfile, case .stored = self.body else {
            return try reader.withNext(maxBytes: maxBytes) { .bytes(copy($0)) }
        }
        switch try reader.withNextExtent(maxBytes: maxBytes, minimumFileBytes: Self.minimumRegionBytes, copy: copy) {
        case .data(.file(let offset, let count)):
            self.sentFrom = sendfile
            return .data(sendfile.piece(offset: offset, count: count))
        case .data(.copied(let buffer)): return .data(.bytes(buffer))
        case .waiting: return .waiting
        case .end: return .end
        }
    }

    /// Closes the current reader, or hands it to the connection's ``SendfileState`` when some of its bytes
    /// were sent from the file.
    private func finishReader() {
        guard let reader = self.reader else { return }
        self.reader = nil
        if let sendfile = self.sentFrom, case .stored(let variant) = self.body {
            sendfile.hold(reader, of: variant.bodyID)
        } else {
            reader.close()
        }
        self.sentFrom = nil
    }

    func whenReadable(_ callback: @escaping @Sendable () -> Void) {
        self.reader?.whenReadable(callback)
    }

    /// Ends the stream (at its end, or when the response is abandoned): see ``finishReader()``.
    func close() {
        self.finishReader()
        self.pieces = []
    }
}
