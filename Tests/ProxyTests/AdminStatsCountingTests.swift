import CachePolicy
import Testing

@testable import Proxy

/// The counting rules, one finished exchange at a time: which counter an access log entry moves.
@Suite("Traffic counting rules")
struct AdminStatsCountingTests {
    /// An access log entry's fields: test arguments must be Sendable, and an entry is a reference.
    struct EntryFields: Sendable {
        var cache: CacheStatus?
        var status: UInt
        var bytes: Int
        var upstream: String?
        var answeredFromStore: Bool
        var method: String
        var error: String?
        var url: String

        func make() -> AccessLog.Entry {
            let entry = AccessLog.Entry(client: "127.0.0.1", method: self.method, url: self.url)
            entry.cache = self.cache
            entry.status = self.status
            entry.bytes = self.bytes
            entry.upstream = self.upstream
            entry.answeredFromStore = self.answeredFromStore
            entry.error = self.error
            entry.cacheKey = self.cache == nil ? nil : self.url
            return entry
        }
    }

    static func entry(
        _ cache: CacheStatus?, status: UInt = 200, bytes: Int = 100, upstream: String? = "http://o",
        answeredFromStore: Bool = false, method: String = "GET", error: String? = nil, url: String = "http://h.test/p"
    ) -> EntryFields {
        EntryFields(cache: cache, status: status, bytes: bytes, upstream: upstream,
                    answeredFromStore: answeredFromStore, method: method, error: error, url: url)
    }

    @Test("each kind of exchange lands in its counter", arguments: [
        (entry(CacheStatus(hit: true, ttl: 30), upstream: nil), RequestOutcome.hit(stale: false)),
        (entry(CacheStatus(hit: true, ttl: 0), upstream: nil), .hit(stale: true)),
        (entry(CacheStatus(hit: true, ttl: -5, detail: "stale-while-revalidate"), upstream: nil),
         .hit(stale: true)),
        (entry(CacheStatus(forward: .stale, forwardStatus: 304), answeredFromStore: true), .revalidated),
        (entry(CacheStatus(forward: .stale, forwardStatus: 503, detail: "stale-if-error"), answeredFromStore: true),
         .staleOnError),
        (entry(CacheStatus(forward: .stale, detail: "stale-if-error"), upstream: nil, answeredFromStore: true),
         .staleOnError),
        (entry(CacheStatus(forward: .uriMiss, forwardStatus: 200, collapsed: true), upstream: nil), .coalesced),
        (entry(CacheStatus(forward: .uriMiss, forwardStatus: 200, stored: true)), .miss),
        (entry(CacheStatus(forward: .stale, forwardStatus: 200, stored: true)), .miss),
        (entry(CacheStatus(forward: .miss, forwardStatus: 200, detail: "entry-gone"), answeredFromStore: true),
         .miss),
        (entry(CacheStatus(forward: .method), method: "POST"), .bypass),
        (entry(nil, method: "CONNECT"), .uncached),
    ])
    func classification(entry: EntryFields, expected: RequestOutcome) {
        #expect(RequestOutcome(entry.make()) == expected)
    }

    @Test("counters, byte sources, errors and ratios add up over a mix of exchanges")
    func countersAddUp() {
        let stats = TrafficStats(startedAt: 0)
        let exchanges = [
            Self.entry(CacheStatus(hit: true, ttl: 10), bytes: 1000, upstream: nil, url: "http://a.test/x"),
            Self.entry(CacheStatus(hit: true, ttl: -1), bytes: 1000, upstream: nil, url: "http://a.test/x"),
            Self.entry(CacheStatus(forward: .uriMiss, forwardStatus: 200), bytes: 500, url: "http://b.test/y"),
            Self.entry(CacheStatus(forward: .uriMiss, collapsed: true), bytes: 500, upstream: nil,
                       url: "http://b.test/y"),
            Self.entry(CacheStatus(forward: .uriMiss, forwardStatus: 502), status: 502, bytes: 20,
                       url: "http://c.test/z"),
            Self.entry(nil, status: 0, bytes: 4096, method: "CONNECT", error: "client closed the connection",
                       url: "c.test:443"),
        ]
        for exchange in exchanges { stats.record(exchange.make()) }
        let snapshot = stats.snapshot(top: 2)
        #expect(snapshot.requests == 6)
        #expect(snapshot.hits == 2)
        #expect(snapshot.staleServed == 1)
        #expect(snapshot.misses == 2)
        #expect(snapshot.coalesced == 1)
        #expect(snapshot.errors == 2)
        #expect(snapshot.bytesFromCache == 2500)
        #expect(snapshot.bytesFromOrigin == 520)
        #expect(snapshot.bytesCoalesced == 500)
        #expect(snapshot.lookups == 5)
        #expect(snapshot.hitRatio == 0.4)
        #expect(snapshot.topURLsByHits == [RankedKey(key: "http://a.test/x", value: 2)])
        #expect(snapshot.topHostsByBytes.map(\.key) == ["a.test", "b.test"])
        #expect(snapshot.topHostsByBytes.first?.value == 2000)
    }

    @Test("the top table keeps every key heavier than total/capacity, in bounded memory")
    func spaceSavingKeepsHeavyHitters() {
        var table = SpaceSaving(capacity: 8)
        for round in 0..<200 {
            table.add("heavy-a", weight: 3)
            table.add("heavy-b", weight: 2)
            table.add(Substring("noise-\(round)"), weight: 1)
        }
        #expect(table.slots.count == 8)
        let top = SpaceSaving.top(of: [table], limit: 2)
        #expect(top.map(\.key) == ["heavy-a", "heavy-b"])
        #expect(top[0].value >= 600)
        #expect(top[1].value >= 400)
    }

    @Test("hosts come from scheme://authority keys; origin-form targets have none")
    func hosts() {
        #expect(TrafficStats.host(of: "http://h.test:8080/a?b") == "h.test:8080")
        #expect(TrafficStats.host(of: "http://h.test?q") == "h.test")
        #expect(TrafficStats.host(of: "/relative") == "-")
    }
}
