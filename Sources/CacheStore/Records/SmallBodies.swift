import Synchronization

/// Copies of small complete bodies read by ``CacheStore/withBody(of:_:)``, so a hot small object is served
/// without a read transaction. Keyed by body id: a complete body's bytes never change and ids are never
/// reused, so a copy needs no invalidation (a lookup decides whether a variant still points at it).
/// Bounded by count and bytes: when either is reached, it starts over.
final class SmallBodies: Sendable {
    /// Bodies larger than this are not kept.
    static let maxBodyBytes = 16 * 1024

    private struct Table {
        var bodies: [BodyID: [UInt8]] = [:]
        var bytes = 0
    }

    private let maxEntries: Int
    private let maxBytes: Int
    private let table = Mutex(Table())

    init(maxEntries: Int = 4096, maxBytes: Int = 4 << 20) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
    }

    /// The kept copy of body `id`, if any.
    func body(_ id: BodyID) -> [UInt8]? {
        self.table.withLock { $0.bodies[id] }
    }

    /// Keeps a copy of body `id` if it is small enough.
    func remember(_ bytes: [UInt8], for id: BodyID) {
        guard bytes.count <= Self.maxBodyBytes else { return }
        self.table.withLock { table in
            guard table.bodies[id] == nil else { return }
            if table.bodies.count >= self.maxEntries || table.bytes + bytes.count > self.maxBytes {
                table = Table()
            }
            table.bodies[id] = bytes
            table.bytes += bytes.count
        }
    }
}
