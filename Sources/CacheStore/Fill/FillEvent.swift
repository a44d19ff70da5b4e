/// How a fill ended.
public enum FillOutcome: Sendable {
    /// The body and its variant record were committed; the variant is servable.
    case completed(StoredVariant)
    /// Nothing servable was left: the owner aborted, the fill failed, or the store closed.
    case aborted(StoreError)
}

/// What a fill observer is told, always after the commit it reports.
public enum FillEvent: Sendable {
    /// The first `n` bytes of the body are committed and readable.
    case committed(Int64)
    /// The fill completed; every byte is readable.
    case completed(StoredVariant)
    /// The fill was aborted; readers should stop.
    case aborted(StoreError)
}

/// A fill's state at one moment.
public struct FillProgress: Sendable {
    /// Bytes committed so far (whole chunks while filling; the full size once completed).
    public var committedBytes: Int64
    /// Set once the fill has ended.
    public var outcome: FillOutcome?

    /// The event that brings an observer up to this state.
    public var event: FillEvent {
        switch self.outcome {
        case .completed(let variant): return .completed(variant)
        case .aborted(let error): return .aborted(error)
        case nil: return .committed(self.committedBytes)
        }
    }
}

/// Whether a producer should keep appending.
public enum Backpressure: Sendable, Equatable {
    /// Keep going.
    case ready
    /// The write queue is over its high-water mark: stop appending until `whenWritable` fires.
    case pause
}
