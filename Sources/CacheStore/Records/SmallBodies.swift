/// Copies of small complete bodies read by ``CacheStore/withBody(of:_:)``, so a hot small object is served
/// without a read transaction. Keyed by body id: a complete body's bytes never change and ids are never
/// reused, so a copy needs no invalidation (a lookup decides whether a variant still points at it).
/// Bounded by count and bytes: when either is reached, it starts over (``BoundedTable``).
final class SmallBodies: Sendable {
    /// Bodies larger than this are not kept.
    static let maxBodyBytes = 16 * 1024

    private let bodies: BoundedTable<BodyID, [UInt8]>

    init(maxEntries: Int = 4096, maxBytes: Int = 4 << 20) {
        self.bodies = BoundedTable(maxEntries: maxEntries, maxCost: maxBytes)
    }

    /// The kept copy of body `id`, if any.
    func body(_ id: BodyID) -> [UInt8]? {
        self.bodies.value(for: id)
    }

    /// Keeps a copy of body `id` if it is small enough.
    func remember(_ bytes: [UInt8], for id: BodyID) {
        guard bytes.count <= Self.maxBodyBytes else { return }
        self.bodies.insert(bytes, for: id, cost: bytes.count)
    }
}
