import CLMDB
import Glibc

/// What went wrong in the store.
///
/// Compare with the static members (`error == .notFound`): equality looks at the kind only,
/// not at the detail text. LMDB failures keep the LMDB code and `mdb_strerror` text.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Kind: Sendable, Equatable {
        case lmdb
        case corruptRecord
        case notFound
        case closed
        case storeFull
        case tooLarge
        case aborted
        case invalidRange
        case fillNotActive
        case system
        case integrity
        case inUse
    }

    private let kind: Kind
    /// Human-readable detail: the operation and what failed.
    public let detail: String
    /// The LMDB return code, for LMDB failures.
    public let lmdbCode: Int32?

    private init(_ kind: Kind, _ detail: String, lmdbCode: Int32? = nil) {
        self.kind = kind
        self.detail = detail
        self.lmdbCode = lmdbCode
    }

    public static func == (lhs: StoreError, rhs: StoreError) -> Bool { lhs.kind == rhs.kind }

    public var description: String { self.detail }

    /// An LMDB call failed. `lmdbCode` holds its return code.
    public static var lmdb: StoreError { .init(.lmdb, "lmdb error") }
    /// A stored record could not be decoded: truncated, garbage, or an unknown version.
    public static var corruptRecord: StoreError { .init(.corruptRecord, "corrupt record") }
    /// No such entry, or the body was freed before it could be opened.
    public static var notFound: StoreError { .init(.notFound, "not found") }
    /// The store was closed.
    public static var closed: StoreError { .init(.closed, "store closed") }
    /// The map is full and nothing can be evicted: the fill was aborted.
    public static var storeFull: StoreError { .init(.storeFull, "store full") }
    /// The fill grew past the configured maximum object size and was aborted.
    public static var tooLarge: StoreError { .init(.tooLarge, "object too large") }
    /// The fill was aborted by its owner (or the owner went away without finishing).
    public static var aborted: StoreError { .init(.aborted, "fill aborted") }
    /// A byte range outside the body was asked for.
    public static var invalidRange: StoreError { .init(.invalidRange, "invalid range") }
    /// `append` or `finish` on a fill that already finished, aborted or failed.
    public static var fillNotActive: StoreError { .init(.fillNotActive, "fill not active") }
    /// A system call (mkdir, open, …) failed.
    public static var system: StoreError { .init(.system, "system call failed") }
    /// An integrity check found an inconsistency.
    public static var integrity: StoreError { .init(.integrity, "integrity check failed") }
    /// Another process (or another open in this one) already writes the store: open it read-only
    /// (``StoreReader``) or go through that process.
    public static var inUse: StoreError { .init(.inUse, "store in use") }

    static func lmdb(_ code: Int32, _ operation: String) -> StoreError {
        let text = mdb_strerror(code).map { String(cString: $0) } ?? "unknown"
        return .init(.lmdb, "\(operation): \(text) (\(code))", lmdbCode: code)
    }

    static func corrupt(_ what: String) -> StoreError { .init(.corruptRecord, "corrupt record: \(what)") }
    static func notFound(_ what: String) -> StoreError { .init(.notFound, "not found: \(what)") }
    static func storeFull(_ what: String) -> StoreError { .init(.storeFull, "store full: \(what)") }
    static func tooLarge(_ what: String) -> StoreError { .init(.tooLarge, "object too large: \(what)") }
    static func invalidRange(_ what: String) -> StoreError { .init(.invalidRange, "invalid range: \(what)") }
    static func system(_ operation: String, errno code: Int32) -> StoreError {
        .init(.system, "\(operation): errno \(code)")
    }
    static func integrity(_ what: String) -> StoreError { .init(.integrity, "integrity: \(what)") }
    static func inUse(_ what: String) -> StoreError { .init(.inUse, what) }

    /// Whether this LMDB failure means "no room": the map is full or the disk is.
    var isOutOfSpace: Bool {
        guard let code = self.lmdbCode else { return false }
        return code == MDB_MAP_FULL || code == ENOSPC
    }
}
