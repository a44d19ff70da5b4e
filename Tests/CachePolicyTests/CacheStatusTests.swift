import CachePolicy
import NIOHTTP1
import Testing

@Suite("Cache-Status (RFC 9211, RFC 8941)")
struct CacheStatusTests {
    @Test(
        "§2: members and parameters, serialised as structured fields",
        arguments: [
            (CacheStatus(hit: true, ttl: 376), "larder; hit; ttl=376"),
            (CacheStatus(forward: .uriMiss, forwardStatus: 200, stored: true),
                "larder; fwd=uri-miss; fwd-status=200; stored"),
            (CacheStatus(forward: .varyMiss, forwardStatus: 200), "larder; fwd=vary-miss; fwd-status=200"),
            (CacheStatus(forward: .stale, forwardStatus: 304, ttl: -10, stored: true),
             "larder; fwd=stale; fwd-status=304; ttl=-10; stored"),
            (CacheStatus(forward: .request, forwardStatus: 200), "larder; fwd=request; fwd-status=200"),
            (CacheStatus(forward: .bypass), "larder; fwd=bypass"),
            (CacheStatus(forward: .method, forwardStatus: 201), "larder; fwd=method; fwd-status=201"),
            (CacheStatus(forward: .miss, forwardStatus: 200, collapsed: true),
                "larder; fwd=miss; fwd-status=200; collapsed"),
            (CacheStatus(hit: true, ttl: 5, key: "http://h/\"a\"\\b"),
                "larder; hit; ttl=5; key=\"http://h/\\\"a\\\"\\\\b\""),
            (CacheStatus(hit: true, key: "http://h/é"), "larder; hit; key=\"http://h/%C3%A9\""),
            (CacheStatus(forward: .miss, detail: "response-no-store"), "larder; fwd=miss; detail=response-no-store"),
            (CacheStatus(forward: .miss, detail: "no store"), "larder; fwd=miss; detail=\"no store\""),
            (CacheStatus(cacheName: "edge cache", hit: true), "\"edge cache\"; hit"),
            (CacheStatus(cacheName: "1st", hit: true), "\"1st\"; hit"),
            (CacheStatus(cacheName: "larder.example:8080/a", hit: true), "larder.example:8080/a; hit"),
        ] as [(CacheStatus, String)]
    )
    func serialises(status: CacheStatus, expected: String) {
        #expect(status.fieldValue == expected)
    }

    @Test("§2: entries from caches nearer the origin are kept, ours goes last")
    func appends() {
        var headers = fields([("Cache-Status", "origin-cache; hit"), ("Cache-Status", "cdn; fwd=stale")])
        CacheStatus(forward: .uriMiss, forwardStatus: 200).append(to: &headers)
        #expect(headers["cache-status"] == ["origin-cache; hit, cdn; fwd=stale, larder; fwd=uri-miss; fwd-status=200"])
        var empty = HTTPHeaders()
        CacheStatus(hit: true, ttl: 1).append(to: &empty)
        #expect(empty["cache-status"] == ["larder; hit; ttl=1"])
    }
}
