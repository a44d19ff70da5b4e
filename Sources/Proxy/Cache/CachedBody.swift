import CacheStore

/// Where the body of an answer from the cache comes from: a complete stored body, or a fill still
/// being written (a coalesced request streaming another request's fetch).
enum CachedBody {
    case stored(StoredVariant)
    case filling(StreamingFill)

    /// The stored response's status, fields and times.
    var metadata: ResponseMetadata {
        switch self {
        case .stored(let variant): variant.metadata
        case .filling(let fill): fill.view.metadata
        }
    }

    /// The body's length, when known: always for a stored body, for a fill only when the origin declared it.
    var completeLength: Int64? {
        switch self {
        case .stored(let variant): variant.bodySize
        case .filling(let fill): fill.expectedLength
        }
    }

    /// A `multipart/byteranges` boundary that cannot occur in this body.
    var boundary: String {
        switch self {
        case .stored(let variant): "larder-" + String(variant.digest.hex.prefix(24))
        case .filling(let fill): "larder-fill-" + String(fill.view.bodyID.rawValue, radix: 16)
        }
    }

    /// A reader of `range` (the whole body when nil).
    func openReader(in store: CacheStore, range: Range<Int64>?) throws(StoreError) -> BodyReader {
        switch self {
        case .stored(let variant): try store.openBody(variant, range: range)
        case .filling(let fill): try fill.view.openReader(range: range)
        }
    }
}
