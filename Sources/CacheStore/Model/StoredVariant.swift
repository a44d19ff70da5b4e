/// Identifies a body in the store. Assigned when a fill starts and never reused.
public struct BodyID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The id as stored (big-endian in keys).
    public let rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public static func < (lhs: BodyID, rhs: BodyID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "body#\(self.rawValue)" }
}

/// A complete, servable variant as found by a lookup.
public struct StoredVariant: Sendable, Hashable {
    /// The cache key text (e.g. `http://host/path?q`).
    public var primaryKey: String
    /// The secondary key computed from the request headers named by Vary; empty without Vary.
    public var secondaryKey: [UInt8]
    /// Status, headers, times and annotation.
    public var metadata: ResponseMetadata
    /// The body's identity (content-addressed: variants with equal bytes share it).
    public var bodyID: BodyID
    /// SHA-256 of the body.
    public var digest: Digest
    /// Body length in bytes.
    public var bodySize: Int64
    /// Hits recorded with ``CacheStore/recordHit(_:)`` and already saved (saved in batches).
    public var hits: UInt64
}

/// One primary key with its variants, as listed by ``CacheStore/entries(prefix:limit:)``.
public struct StoredEntry: Sendable, Hashable {
    /// The cache key text.
    public var primaryKey: String
    /// Its variants, in secondary-key-hash order.
    public var variants: [StoredVariant]
}
