/// The writing side of one streaming fill, returned by ``CacheStore/beginFill(primaryKey:secondaryKey:metadata:)``.
///
/// Append the body as it arrives, then ``finish(_:)`` or ``abort()``. Appends never wait for the disk:
/// bytes are hashed and gathered into chunks, and each full chunk is queued for the writer, which
/// commits chunks of many fills together. Nothing is servable until `finish` commits the last chunk,
/// the body record and the variant record in one transaction. A fill that is dropped without
/// finishing is aborted.
///
/// Use a fill from one task or event loop at a time; readers use ``view`` from anywhere.
public final class Fill: Sendable {
    let context: StoreContext
    let state: FillState
    /// The reading side: progress, events and readers of the bytes committed so far.
    public let view: FillView

    init(context: StoreContext, state: FillState) {
        self.context = context
        self.state = state
        self.view = FillView(context: context, state: state)
    }

    deinit {
        self.abort()
    }

    /// The id of the body being written.
    public var bodyID: BodyID { self.state.bodyID }

    /// Appends body bytes. Returns ``Backpressure/pause`` when the write queue is over its high-water
    /// mark: stop reading from the origin until ``whenWritable(_:)`` fires. Throws if the fill has
    /// ended (``StoreError/storeFull``, ``StoreError/tooLarge``, ``StoreError/closed``, …).
    @discardableResult
    public func append(_ bytes: UnsafeRawBufferPointer) throws(StoreError) -> Backpressure {
        let chunkSize = self.context.chunkSize
        let (pressure, total) = try self.state.producer.withLock {
            (producer) throws(StoreError) -> (Backpressure, Int64) in
            guard !producer.closed else { throw self.state.outcome?.error ?? .fillNotActive }
            if let error = self.state.outcome?.error {
                producer.closed = true
                throw error
            }
            let total = producer.appended + Int64(bytes.count)
            if let limit = self.context.maxObjectBytes, total > limit {
                producer.closed = true
                let error = StoreError.tooLarge("\(self.state.primaryKey) passed \(limit) bytes")
                _ = self.context.writer.enqueue(.abort(self.state, error))
                throw error
            }
            producer.hasher.update(bytes)
            producer.appended = total
            var pressure = Backpressure.ready
            var offset = 0
            while offset < bytes.count {
                let take = min(chunkSize - producer.buffer.count, bytes.count - offset)
                if producer.buffer.capacity < producer.buffer.count + take {
                    // A body that arrives in one piece gets a buffer its size; others a whole chunk.
                    let first = producer.nextChunk == 0 && producer.buffer.isEmpty
                    producer.buffer.reserveCapacity(first ? take : chunkSize)
                }
                producer.buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + take]))
                offset += take
                guard producer.buffer.count == chunkSize else { continue }
                var chunk = [UInt8]()
                swap(&chunk, &producer.buffer)
                self.state.holdPending(chunk, index: producer.nextChunk)
                guard let result = self.context.writer.enqueue(.chunk(self.state, producer.nextChunk, chunk)) else {
                    producer.closed = true
                    throw .closed
                }
                producer.nextChunk += 1
                if result == .pause { pressure = .pause }
            }
            return (pressure, total)
        }
        // Readers following the fill get these bytes before they are committed.
        self.state.publishBuffered(total)
        return pressure
    }

    /// Appends body bytes; see ``append(_:)-(UnsafeRawBufferPointer)``.
    @discardableResult
    public func append(_ bytes: [UInt8]) throws(StoreError) -> Backpressure {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(StoreError) in try self.append(raw) } }
        return try result.get()
    }

    /// Appends and, when the queue is over its high-water mark, suspends until it drains.
    public func write(_ bytes: [UInt8]) async throws(StoreError) {
        guard try self.append(bytes) == .pause else { return }
        await withCheckedContinuation { continuation in
            self.whenWritable { continuation.resume() }
        }
    }

    /// Calls `callback` (on the writer thread, or at once) when appending may resume.
    public func whenWritable(_ callback: @escaping @Sendable () -> Void) {
        self.context.writer.whenWritable(self.state, callback)
    }

    /// Commits the rest of the body and the variant. `completion` runs on the writer thread after the
    /// commit (keep it short: hop to your own executor) with the stored variant, or with the error
    /// that ended the fill.
    public func finish(_ completion: @escaping @Sendable (Result<StoredVariant, StoreError>) -> Void) {
        let request = self.state.producer.withLock { producer -> Mutation.Completion? in
            guard !producer.closed else { return nil }
            producer.closed = true
            var tail = [UInt8]()
            swap(&tail, &producer.buffer)
            self.state.holdPending(tail, index: producer.nextChunk)
            let chunkCount = producer.nextChunk + (tail.isEmpty ? 0 : 1)
            return Mutation.Completion(
                tail: tail,
                digest: producer.hasher.finish(),
                size: producer.appended,
                chunkCount: chunkCount
            )
        }
        guard let request else {
            completion(.failure(self.state.outcome?.error ?? .fillNotActive))
            return
        }
        if self.context.writer.enqueue(.finish(self.state, request, completion)) == nil {
            completion(.failure(.closed))
        }
    }

    /// Commits the rest of the body and the variant; returns once they are durable.
    public func finish() async throws(StoreError) -> StoredVariant {
        let result = await withCheckedContinuation { continuation in
            self.finish { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Abandons the fill: what it wrote is freed and nothing becomes servable. Readers see
    /// ``FillEvent/aborted(_:)``. Does nothing after `finish` or a previous `abort`.
    public func abort() {
        let first = self.state.producer.withLock { producer in
            defer { producer.closed = true }
            return !producer.closed
        }
        if first {
            _ = self.context.writer.enqueue(.abort(self.state, .aborted))
        }
    }
}
