import CachePolicy
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Request and byte counters of a running server, counted where every exchange ends
/// (``AccessLog/record(_:)``).
///
/// Built for the hot path: the plain counters are relaxed atomic adds; the top-N tables live in
/// shards picked by the calling thread (each event loop is one thread, so its shard's lock is
/// practically never contended) and are merged only when a report is made. Counting a request that
/// repeats a known URL allocates nothing. Counters start at zero when the server starts; the
/// store's own counters (``CacheStore/stats()``) survive restarts.
public final class TrafficStats: Sendable {
    /// How many hosts and URLs each top table keeps (the reports show fewer).
    static let trackedKeys = 64
    private static let shardCount = 16

    private let requests = Atomic<UInt64>(0)
    private let hits = Atomic<UInt64>(0)
    private let staleServed = Atomic<UInt64>(0)
    private let staleOnError = Atomic<UInt64>(0)
    private let revalidated = Atomic<UInt64>(0)
    private let misses = Atomic<UInt64>(0)
    private let bypassed = Atomic<UInt64>(0)
    private let coalesced = Atomic<UInt64>(0)
    private let errors = Atomic<UInt64>(0)
    private let bytesFromCache = Atomic<UInt64>(0)
    private let bytesFromOrigin = Atomic<UInt64>(0)
    private let bytesCoalesced = Atomic<UInt64>(0)
    private let shards: [Shard]
    /// When counting started, seconds since the epoch.
    public let startedAt: Int64

    public init(startedAt: Int64 = Int64(time(nil))) {
        self.startedAt = startedAt
        self.shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    /// Counts one finished exchange.
    func record(_ entry: AccessLog.Entry) {
        let outcome = RequestOutcome(entry)
        let bytes = UInt64(max(0, entry.bytes))
        self.requests.add(1, ordering: .relaxed)
        switch outcome {
        case .hit(let stale):
            self.hits.add(1, ordering: .relaxed)
            if stale { self.staleServed.add(1, ordering: .relaxed) }
        case .staleOnError:
            self.staleServed.add(1, ordering: .relaxed)
            self.staleOnError.add(1, ordering: .relaxed)
        case .revalidated:
            self.revalidated.add(1, ordering: .relaxed)
        case .coalesced:
            self.coalesced.add(1, ordering: .relaxed)
            self.bytesCoalesced.add(bytes, ordering: .relaxed)
        case .miss:
            self.misses.add(1, ordering: .relaxed)
        case .bypass:
            self.bypassed.add(1, ordering: .relaxed)
        case .uncached:
            break
        }
        if entry.status >= 500 || entry.error != nil { self.errors.add(1, ordering: .relaxed) }
        let tunnelled = entry.method == "CONNECT"
        if outcome.servedFromStore {
            self.bytesFromCache.add(bytes, ordering: .relaxed)
        } else if entry.upstream != nil, !tunnelled {
            self.bytesFromOrigin.add(bytes, ordering: .relaxed)
        }
        let hitWeight: UInt64 = if case .hit = outcome { 1 } else { 0 }
        guard !tunnelled, hitWeight > 0 || bytes > 0 else { return }
        let url = entry.cacheKey.map { Substring($0) } ?? Substring(entry.url)
        self.shard().tables.withLock { tables in
            tables.add(url: url, host: Self.host(of: url), hits: hitWeight, bytes: bytes)
        }
    }

    /// The counters now, with the `top` heaviest hosts and URLs.
    public func snapshot(top: Int = 10) -> TrafficSnapshot {
        let tables = self.shards.map { shard in shard.tables.withLock { $0 } }
        return TrafficSnapshot(
            requests: self.requests.load(ordering: .relaxed),
            hits: self.hits.load(ordering: .relaxed),
            misses: self.misses.load(ordering: .relaxed),
            staleServed: self.staleServed.load(ordering: .relaxed),
            staleOnError: self.staleOnError.load(ordering: .relaxed),
            revalidated: self.revalidated.load(ordering: .relaxed),
            bypassed: self.bypassed.load(ordering: .relaxed),
            coalesced: self.coalesced.load(ordering: .relaxed),
            errors: self.errors.load(ordering: .relaxed),
            bytesFromCache: self.bytesFromCache.load(ordering: .relaxed),
            bytesFromOrigin: self.bytesFromOrigin.load(ordering: .relaxed),
            bytesCoalesced: self.bytesCoalesced.load(ordering: .relaxed),
            topHostsByHits: SpaceSaving.top(of: tables.map(\.hostsByHits), limit: top),
            topHostsByBytes: SpaceSaving.top(of: tables.map(\.hostsByBytes), limit: top),
            topURLsByHits: SpaceSaving.top(of: tables.map(\.urlsByHits), limit: top),
            topURLsByBytes: SpaceSaving.top(of: tables.map(\.urlsByBytes), limit: top),
            startedAt: self.startedAt
        )
    }

    /// `scheme://authority` of a URL or cache key, or "-" for an origin-form target.
    static func host(of url: Substring) -> Substring {
        // A byte scan over contiguous UTF-8: this runs once per request.
        let span = url.utf8.withContiguousStorageIfAvailable { Self.authoritySpan(in: $0) }
            ?? Self.authoritySpan(in: Array(url.utf8))
        guard let span else { return "-" }
        let utf8 = url.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: span.lowerBound)
        return url[start..<utf8.index(start, offsetBy: span.count)]
    }

    /// The offsets of the authority in `scheme://authority[/?…]`; nil for anything else.
    private static func authoritySpan(in bytes: some RandomAccessCollection<UInt8>) -> Range<Int>? {
        var offset = 0
        var slashes = -1  // -1 until the ':' of "://"
        for byte in bytes {
            offset += 1
            if slashes < 0 {
                if byte == UInt8(ascii: ":") { slashes = 0 } else if byte == UInt8(ascii: "/") { return nil }
            } else if byte == UInt8(ascii: "/") {
                slashes += 1
                if slashes == 2 { break }
            } else {
                return nil
            }
        }
        guard slashes == 2 else { return nil }
        let start = offset
        for byte in bytes.dropFirst(start) {
            if byte == UInt8(ascii: "/") || byte == UInt8(ascii: "?") { break }
            offset += 1
        }
        return start..<offset
    }

    private func shard() -> Shard {
        let thread = UInt64(UInt(bitPattern: Int(bitPattern: UInt(pthread_self()))))
        let mixed = thread &* 0x9E37_79B9_7F4A_7C15
        return self.shards[Int(mixed >> 60) % self.shards.count]
    }

    private final class Shard: Sendable {
        let tables = Mutex(TopTables())
    }

    /// One shard's top tables.
    private struct TopTables {
        var hostsByHits = SpaceSaving(capacity: TrafficStats.trackedKeys)
        var hostsByBytes = SpaceSaving(capacity: TrafficStats.trackedKeys)
        var urlsByHits = SpaceSaving(capacity: TrafficStats.trackedKeys)
        var urlsByBytes = SpaceSaving(capacity: TrafficStats.trackedKeys)

        mutating func add(url: Substring, host: Substring, hits: UInt64, bytes: UInt64) {
            let urlHash = url.hashValue
            let hostHash = host.hashValue
            self.hostsByHits.add(host, hash: hostHash, weight: hits)
            self.urlsByHits.add(url, hash: urlHash, weight: hits)
            self.hostsByBytes.add(host, hash: hostHash, weight: bytes)
            self.urlsByBytes.add(url, hash: urlHash, weight: bytes)
        }
    }
}
