/// One step of reading a body.
public enum BodyRead<Value> {
    /// The next bytes (at most to the end of the current chunk).
    case data(Value)
    /// Reading a fill in progress and caught up with it: wait (``BodyReader/whenReadable(_:)``).
    case waiting
    /// Everything asked for was read.
    case end
}

extension BodyRead: Sendable where Value: Sendable {}

/// Where the next bytes of a body lie (``BodyReader/withNextExtent(maxBytes:minimumFileBytes:copy:)``).
public enum BodyExtent<Copied> {
    /// `count` bytes at `offset` in the store's data file (``CacheStore/dataFile``): a chunk of a complete
    /// stored body on LMDB overflow pages, which neither move nor change while the reader is open.
    case file(offset: Int64, count: Int)
    /// Bytes that must be copied out of the map (a small value inside a B-tree page, which moves; a fill's
    /// bytes), as the `copy` closure made them.
    case copied(Copied)
}

extension BodyExtent: Sendable where Copied: Sendable {}

/// Reads a body chunk by chunk, in order, from a start offset to an end offset (for Range requests).
///
/// Each step is a short LMDB read transaction, so a slow client never holds a snapshot open. The
/// body is pinned while the reader is open: eviction, purge or replacement only release it, and it is
/// freed when the last reader closes. Close readers (``close()``), or let them go.
///
/// ``withNext(maxBytes:_:)`` lends the bytes in place (they point into the map); ``read(maxBytes:)``
/// copies them; ``withNextExtent(maxBytes:minimumFileBytes:copy:)`` says where large chunks of a complete body
/// lie in the data file, for sending them without a copy (sendfile). Those file bytes stay as they are only
/// while the body is pinned: keep the reader open until nothing can read them any more.
public final class BodyReader: Sendable {
    private enum Source {
        case stored(BodyID, size: Int64)
        case fill(FillState)
    }

    private struct State {
        var source: Source
        var position: Int64
        var pinned: BodyID?
        /// Set when a fill's body could not be pinned because the writer was freeing it: wait for
        /// the outcome rather than for bytes.
        var awaitingOutcome = false
        var closed = false
    }

    private let context: StoreContext
    private let end: Int64?
    private let state: Locked<State>

    /// Opens a complete body. `range` must lie within the body.
    init(context: StoreContext, variant: StoredVariant, range: Range<Int64>?) throws(StoreError) {
        let range = range ?? 0..<variant.bodySize
        guard range.lowerBound >= 0, range.upperBound <= variant.bodySize else {
            throw .invalidRange("\(range) of \(variant.bodySize) bytes")
        }
        try context.pinStored(variant.bodyID, size: variant.bodySize)
        self.context = context
        self.end = range.upperBound
        self.state = Locked(State(
            source: .stored(variant.bodyID, size: variant.bodySize),
            position: range.lowerBound,
            pinned: variant.bodyID
        ))
    }

    /// Follows a fill in progress.
    init(context: StoreContext, fill: FillState, range: Range<Int64>?) {
        self.context = context
        self.end = range?.upperBound
        self.state = Locked(State(source: .fill(fill), position: range?.lowerBound ?? 0, pinned: nil))
    }

    deinit {
        self.close()
    }

    /// The offset of the next byte to read.
    public var position: Int64 { self.state.withLock { $0.position } }

    /// Reads the next bytes into a new array.
    public func read(maxBytes: Int = .max) throws(StoreError) -> BodyRead<[UInt8]> {
        try self.withNext(maxBytes: maxBytes) { Array($0) }
    }

    /// Lends the next bytes to `body` without copying; they point into the map and are valid only
    /// inside `body`, which runs inside a read transaction: do not call the store from it.
    ///
    /// Inlinable over a non-generic core, so a caller in another module pays no generic-metadata lookups per read.
    @inlinable
    public func withNext<R>(
        maxBytes: Int = .max,
        _ body: (UnsafeRawBufferPointer) -> R
    ) throws(StoreError) -> BodyRead<R> {
        var result: R?
        switch try self.next(maxBytes: maxBytes, minimumFileBytes: nil, lend: { result = body($0) }) {
        case .lent: return .data(result!)
        case .file: preconditionFailure("no file extent was asked for")
        case .waiting: return .waiting
        case .end: return .end
        }
    }

    /// Like ``withNext(maxBytes:_:)``, but for a complete stored body whose chunk lies on LMDB overflow pages
    /// (see `OverflowPages`) and at least `minimumFileBytes` are to be read, says where the bytes are in the data
    /// file instead of lending them: `.file(offset, count)`. Everything else is passed to `copy` (inside a read
    /// transaction, as for `withNext`), including every byte of a fill in progress.
    ///
    /// The file bytes are valid while this reader is open (its pin keeps the chunk from being freed and its
    /// pages from being reused): close it only when nothing will read them any more.
    @inlinable
    public func withNextExtent<R>(
        maxBytes: Int = .max,
        minimumFileBytes: Int = 0,
        copy: (UnsafeRawBufferPointer) -> R
    ) throws(StoreError) -> BodyRead<BodyExtent<R>> {
        var copied: R?
        switch try self.next(maxBytes: maxBytes, minimumFileBytes: minimumFileBytes, lend: { copied = copy($0) }) {
        case .lent: return .data(.copied(copied!))
        case .file(let offset, let count): return .data(.file(offset: offset, count: count))
        case .waiting: return .waiting
        case .end: return .end
        }
    }

    /// What one step of ``withNext(maxBytes:_:)`` or ``withNextExtent(maxBytes:minimumFileBytes:copy:)`` did.
    @usableFromInline
    enum Step {
        /// Bytes were lent to the closure.
        case lent
        case file(offset: Int64, count: Int)
        case waiting
        case end
    }

    /// The non-generic core of the reads: lends the next bytes to `lend`, or, with `minimumFileBytes`, says where
    /// they lie in the data file when they may be sent from it.
    @usableFromInline
    func next(
        maxBytes: Int, minimumFileBytes: Int?, lend: (UnsafeRawBufferPointer) -> Void
    ) throws(StoreError) -> Step {
        let environment = self.context.environment
        let read = try self.step(
            maxBytes: maxBytes,
            committed: { (bytes, place) -> Step in
                if let minimumFileBytes, let place, bytes.count >= max(minimumFileBytes, 1),
                    let start = environment.fileOffset(of: place.chunk)
                {
                    return .file(offset: start + Int64(place.offset), count: bytes.count)
                }
                lend(bytes)
                return .lent
            },
            buffered: { (bytes) -> Step in
                lend(bytes)
                return .lent
            })
        switch read {
        case .data(let step): return step
        case .waiting: return .waiting
        case .end: return .end
        }
    }

    /// One step of reading: `committed` gets bytes of a committed chunk (with the whole chunk and the offset in
    /// it when the body is complete and stored), `buffered` bytes a fill holds in memory.
    private func step<R>(
        maxBytes: Int,
        committed: (UnsafeRawBufferPointer, _ place: (chunk: UnsafeRawBufferPointer, offset: Int)?) -> R,
        buffered: (UnsafeRawBufferPointer) -> R
    ) throws(StoreError) -> BodyRead<R> {
        try self.state.withLock { (state) throws(StoreError) -> BodyRead<R> in
            guard !state.closed else { throw .closed }
            guard let span = try self.span(&state) else { return state.awaitingOutcome ? .waiting : .end }
            guard span.available > state.position else {
                // A fill holds the bytes it received in memory until the writer commits them: lend those.
                guard case .fill(let fill) = state.source,
                    let (result, count) = fill.withBuffered(
                        at: state.position, maxBytes: max(maxBytes, 1), end: self.end, buffered)
                else { return .waiting }
                state.position += Int64(count)
                return .data(result)
            }
            let isStored: Bool
            if case .stored = state.source { isStored = true } else { isStored = false }
            let chunkSize = Int64(self.context.chunkSize)
            let index = state.position / chunkSize
            let offset = Int(state.position % chunkSize)
            let count = Int(min(chunkSize - Int64(offset), span.available - state.position, Int64(max(maxBytes, 1))))
            let key = Keys.chunk(span.body, UInt32(truncatingIfNeeded: index))
            let result = try self.context.environment.read { (txn) throws(StoreError) -> R in
                guard let chunk = try txn.get(self.context.db.chunks, key) else {
                    throw .notFound("chunk \(index) of \(span.body)")
                }
                guard chunk.count >= offset + count else {
                    throw .corrupt("chunk \(index) of \(span.body) holds \(chunk.count) bytes")
                }
                let bytes = UnsafeRawBufferPointer(rebasing: chunk[offset..<offset + count])
                return committed(bytes, isStored ? (chunk, offset) : nil)
            }
            state.position += Int64(count)
            return .data(result)
        }
    }

    /// Which body to read and how far: nil at the end (or while waiting for a fill's outcome).
    private func span(_ state: inout State) throws(StoreError) -> (body: BodyID, available: Int64)? {
        switch state.source {
        case .stored(let id, let size):
            let limit = min(self.end ?? size, size)
            return state.position < limit ? (id, limit) : nil
        case .fill(let fill):
            if state.pinned == nil {
                // Read before pinning: a body with nothing committed when the pin failed has no record yet.
                let committedBeforePin = fill.snapshot.committedBytes
                if try self.context.pinFilling(fill.bodyID) {
                    state.pinned = fill.bodyID
                } else if case .completed(let variant) = fill.outcome {
                    // Deduplicated and freed before this reader pinned it: read the stored body.
                    try self.context.pinStored(variant.bodyID, size: variant.bodySize)
                    state.pinned = variant.bodyID
                    state.source = .stored(variant.bodyID, size: variant.bodySize)
                    state.awaitingOutcome = false
                    return try self.span(&state)
                } else if case .aborted(let error) = fill.outcome {
                    throw error
                } else if committedBeforePin == 0 {
                    // Nothing committed yet, so no body record to pin: wait for the first commit (or the
                    // outcome, which also wakes commit waiters) and pin then.
                    state.awaitingOutcome = false
                    return (fill.bodyID, 0)
                } else {
                    // Freed by a commit whose outcome is about to be published.
                    state.awaitingOutcome = true
                    return nil
                }
            }
            let progress = fill.snapshot
            if case .aborted(let error) = progress.outcome { throw error }
            state.awaitingOutcome = false
            var limit = progress.committedBytes
            if let end = self.end { limit = min(limit, end) }
            if case .completed = progress.outcome, state.position >= limit { return nil }
            if let end = self.end, state.position >= end { return nil }
            return (fill.bodyID, limit)
        }
    }

    /// Calls `callback` once there may be more to read: at once for a complete body, after the next
    /// commit (or the end) for a fill in progress.
    public func whenReadable(_ callback: @escaping @Sendable () -> Void) {
        let wait: (FillState, Int64)? = self.state.withLock { state in
            guard case .fill(let fill) = state.source else { return nil }
            return (fill, state.awaitingOutcome ? Int64.max : state.position)
        }
        guard let (fill, beyond) = wait else {
            callback()
            return
        }
        fill.whenCommitted(beyond: beyond, buffered: true) { _ in callback() }
    }

    /// The next bytes, waiting for a fill in progress; nil at the end.
    public func next(maxBytes: Int = .max) async throws(StoreError) -> [UInt8]? {
        while true {
            switch try self.read(maxBytes: maxBytes) {
            case .data(let bytes): return bytes
            case .end: return nil
            case .waiting:
                await withCheckedContinuation { continuation in
                    self.whenReadable { continuation.resume() }
                }
            }
        }
    }

    /// Unpins the body. Further reads throw ``StoreError/closed``.
    public func close() {
        let pinned: BodyID? = self.state.withLock { state in
            defer {
                state.closed = true
                state.pinned = nil
            }
            return state.pinned
        }
        if let pinned { self.context.unpin(pinned) }
    }
}
