/// One change queued for the writer. Operations run in queue order; one batch of them shares a
/// transaction (group commit).
enum WriteOperation {
    typealias FinishCallback = @Sendable (Result<StoredVariant, StoreError>) -> Void

    /// Records a new filling body.
    case begin(FillState)
    /// Writes one full chunk of a fill.
    case chunk(FillState, UInt32, [UInt8])
    /// Writes the last chunk, the body and the variant record.
    case finish(FillState, Mutation.Completion, FinishCallback)
    /// Frees what a fill wrote.
    case abort(FillState, StoreError)
    case purge(PurgeScope, @Sendable (Result<Int, StoreError>) -> Void)
    /// Rewrites a variant's record with new metadata if it still refers to the same body.
    case updateMetadata(StoredVariant, ResponseMetadata, FinishCallback)
    /// The last reader of a released body closed.
    case release(BodyID)
    /// Saves recorded hits; `callback` runs once everything queued before it is committed.
    case barrier(@Sendable (Result<Void, StoreError>) -> Void)
    case limits(Limits, @Sendable (Result<Void, StoreError>) -> Void)

    /// Body bytes this operation writes (for batching and backpressure).
    var dataBytes: Int {
        switch self {
        case .chunk(_, _, let bytes): return bytes.count
        case .finish(_, let completion, _): return completion.tail.count
        default: return 0
        }
    }

    /// The fill this operation belongs to.
    var fill: FillState? {
        switch self {
        case .begin(let fill), .chunk(let fill, _, _), .finish(let fill, _, _), .abort(let fill, _): return fill
        default: return nil
        }
    }

    /// Tells the caller the operation could not be done.
    func fail(_ error: StoreError) {
        switch self {
        case .finish(_, _, let callback): callback(.failure(error))
        case .purge(_, let callback): callback(.failure(error))
        case .updateMetadata(_, _, let callback): callback(.failure(error))
        case .barrier(let callback): callback(.failure(error))
        case .limits(_, let callback): callback(.failure(error))
        case .begin, .chunk, .abort, .release: break
        }
    }
}
