/// The reading side of a fill in progress: what is committed so far, events as more is committed,
/// and readers that follow the fill as it grows.
///
/// This is what request coalescing hands to waiters: each streams the body from the store while the
/// origin fetch goes on, instead of waiting for the whole body. Callbacks and events come from the
/// writer thread right after each commit; they must be short (hop to an event loop or task).
public final class FillView: Sendable {
    let context: StoreContext
    let state: FillState

    init(context: StoreContext, state: FillState) {
        self.context = context
        self.state = state
    }

    /// The cache key being filled.
    public var primaryKey: String { self.state.primaryKey }
    /// The variant's secondary key (from Vary), so requests for another variant need not wait on it.
    public var secondaryKey: [UInt8] { self.state.secondaryKey }
    /// The response head given to `beginFill`, available before any body byte is committed.
    public var metadata: ResponseMetadata { self.state.metadata }
    /// The body being written (a completed fill may end up sharing another body instead).
    public var bodyID: BodyID { self.state.bodyID }
    /// Bytes per chunk: committed bytes grow by this much at a time until the fill completes.
    public var chunkSize: Int { self.context.chunkSize }

    /// Committed bytes and outcome right now.
    public var progress: FillProgress { self.state.snapshot }

    /// Registers `handler` for every later event; returns the progress it starts from. Events carry
    /// totals, so a handler that races the returned snapshot can keep the maximum. The handler runs
    /// on the writer thread.
    public func observe(_ handler: @escaping @Sendable (FillEvent) -> Void) -> FillObservation {
        let (id, progress) = self.state.observe(handler)
        return FillObservation(state: self.state, id: id, initialProgress: progress)
    }

    /// Events as an async sequence: first the current state, then each commit, ending with
    /// `.completed` or `.aborted`.
    public func events() -> AsyncStream<FillEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: FillEvent.self, bufferingPolicy: .unbounded)
        let state = self.state
        let id = state.observeStartingWithSnapshot { event in
            continuation.yield(event)
            switch event {
            case .completed, .aborted: continuation.finish()
            case .committed: break
            }
        }
        continuation.onTermination = { _ in state.removeObserver(id) }
        return stream
    }

    /// Calls `callback` once, when more than `bytes` bytes are committed or the fill ends (at once
    /// if already so). The building block for a reader that must not block its event loop.
    public func whenCommitted(beyond bytes: Int64, _ callback: @escaping @Sendable (FillProgress) -> Void) {
        self.state.whenCommitted(beyond: bytes, callback)
    }

    /// A reader of this fill's bytes from `range.lowerBound` (default 0) to `range.upperBound`
    /// (default: the end of the body, whatever it turns out to be). It returns committed bytes at
    /// once and ``BodyRead/waiting`` when it has caught up with the writer.
    public func openReader(range: Range<Int64>? = nil) throws(StoreError) -> BodyReader {
        if case .completed(let variant) = self.state.outcome {
            return try BodyReader(context: self.context, variant: variant, range: range)
        }
        if let range, range.lowerBound < 0 { throw .invalidRange("\(range)") }
        return BodyReader(context: self.context, fill: self.state, range: range)
    }
}

/// A registered fill observer; ``cancel()`` stops its events.
public struct FillObservation: Sendable {
    let state: FillState
    let id: UInt64
    /// The progress at registration; events follow from there.
    public let initialProgress: FillProgress

    /// Stops further events to this observer.
    public func cancel() {
        self.state.removeObserver(self.id)
    }
}
