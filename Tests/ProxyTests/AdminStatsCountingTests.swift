import CachePolicy
import Testing

@testable import Proxy

/// The counting rules, one finished exchange at a time: which counter an access log entry moves.
@Suite("Traffic counting rules")
struct AdminStatsCountingTests {
    static func entry(
        _ cache: CacheStatus?, status: UInt = 200, bytes: Int = 100, upstream: String? = "http://o",
        answeredFromStore: Bool = false, method: String = "GET", error: String? = nil, url: String = "http://h.test/p"
    ) -> AccessLog.Entry {
        var entry = AccessLog.Entry(client: "127.0.0.1", method: method, url: url)
        entry.cache = cache
        entry.status = status
        entry.bytes = bytes
        entry.upstream = upstream
        entry.answeredFromStore = answeredFromStore
        entry.error = error
        entry.cacheKey = cache == nil ? nil : url
        return entry
    }

    @Test("each kind of exchange lands in its counter", arguments: [
        (entry(CacheStatus(hit: true, ttl: 30), upstream: nil), RequestOutcome.hit(stale: false)),
        (entry(CacheStatus(hit: true, ttl: 0), upstream: nil), .hit(stale: true)),
        (entry(CacheStatus(hit: true, ttl: -5, detail: "stale-while-revalidate"), upstream: nil), .hit(stale: true)),
        (entry(CacheStatus(forward: .stale, forwardStatus: 304), answeredFromStore: true), .revalidated),
        (entry(CacheStatus(forward: .stale, forwardStatus: 503, detail: "stale-if-error"), answeredFromStore: true),
         .staleOnError),
        (entry(CacheStatus(forward: .stale, detail: "stale-if-error"), upstream: nil, answeredFromStore: true),
         .staleOnError),
        (entry(CacheStatus(forward: .uriMiss, forwardStatus: 200, collapsed: true), upstream: nil), .coalesced),
        (entry(CacheStatus(forward: .uriMiss, forwardStatus: 200, stored: true)), .miss),
        (entry(CacheStatus(forward: .stale, forwardStatus: 200, stored: true)), .miss),
        (entry(CacheStatus(forward: .miss, forwardStatus: 200, detail: "entry-gone"), answeredFromStore: true), .miss),
        (entry(CacheStatus(forward: .method), method: "POST"), .bypass),
        (entry(nil, method: "CONNECT"), .uncached),
    ])
    func classification(entry: AccessLog.Entry, expected: RequestOutcome) {
        #expect(RequestOutcome(entry) == expected)
    }

    @Test("counters, byte sources, errors and ratios add up over a mix of exchanges")
    func countersAddUp() {
        let stats = TrafficStats(startedAt: 0)
        stats.record(Self.entry(CacheStatus(hit: true, ttl: 10), bytes: 1000, upstream: nil, url: "http://a.test/x"))
        stats.record(Self.entry(CacheStatus(hit: true, ttl: -1), bytes: 1000, upstream: nil, url: "http://a.test/x"))
        stats.record(Self.entry(CacheStatus(forward: .uriMiss, forwardStatus: 200), bytes: 500, url: "http://b.test/y"))
        stats.record(Self.entry(CacheStatus(forward: .uriMiss, collapsed: true), bytes: 500, upstream: nil,
                                url: "http://b.test/y"))
        stats.record(Self.entry(CacheStatus(forward: .uriMiss, forwardStatus: 502), status: 502, bytes: 20,
                                url: "http://c.test/z"))
        stats.record(Self.entry(nil, status: 0, bytes: 4096, method: "CONNECT", error: "client closed the connection",
                                url: "c.test:443"))
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
