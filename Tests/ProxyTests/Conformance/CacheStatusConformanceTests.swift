import NIOHTTP1
import Proxy
import TestSupport
import Testing

/// RFC 9211 `Cache-Status` parameters and RFC 9111 §5.1 `Age` on answers from cache. The exact entries of a fresh
/// hit, a stored miss, a 304 validation and forwarded methods are checked in `CachingTests` and siblings.
@Suite("Conformance: Cache-Status and Age (RFC 9211, RFC 9111 §5.1)", .timeLimit(.minutes(2)))
struct CacheStatusConformanceTests {
    @Test("RFC 9111 §4.2.3, §5.1: Age is the origin's Age plus the time Larder has held the response")
    func ageAccumulates() async throws {
        try await Conformance.run(responses: [ok([("Cache-Control", "max-age=60"), ("Age", "10")])]) { s in
            _ = try await s.get()
            s.advance(7)
            let hit = try await s.get()
            #expect(hit.isHit)
            #expect(hit.header("age") == "17")
            #expect(hit.headers("age").count == 1, "the stored Age is replaced, not repeated")
        }
    }

    @Test(
        "RFC 9111 §5.1: every answer from cache carries Age: 200, 304, 206 and 416",
        arguments: [
            ([], 200), ([("If-None-Match", "\"v1\"")], 304), ([("Range", "bytes=0-3")], 206),
            ([("Range", "bytes=100-")], 416),
        ] as [([(String, String)], Int)])
    func ageOnEveryCachedAnswer(request: [(String, String)], status: Int) async throws {
        try await Conformance.run(responses: [ok([("Cache-Control", "max-age=60"), ("ETag", "\"v1\"")])]) { s in
            _ = try await s.get()
            s.advance(3)
            let response = try await s.get("/r", request)
            #expect(response.status == status)
            #expect(response.header("age") == "3")
            #expect(response.isHit)
            #expect(s.requests.count == 1)
        }
    }

    @Test("RFC 9111 §5.1: answers built from the store after contacting the origin carry Age too")
    func ageAfterValidationAndError() async throws {
        try await Conformance.run(origin: { request, index in
            switch index {
            case 0: ok([("Cache-Control", "max-age=10, stale-if-error=600"), ("ETag", "\"v1\"")])
            case 1: notModified([("ETag", "\"v1\""), ("Cache-Control", "max-age=10, stale-if-error=600")])
            default: .text("broken", status: .serviceUnavailable)
            }
        }) { s in
            _ = try await s.get()
            s.advance(20)
            let validated = try await s.get()
            #expect(validated.larderStatus["fwd-status"] == "304")
            #expect(validated.header("age") == "0")
            s.advance(30)
            let stale = try await s.get()
            #expect(stale.larderStatus["detail"] == "stale-if-error")
            #expect(stale.header("age") == "30")
        }
    }

    @Test("RFC 9211 §2.4: ttl is the remaining freshness, negative when served stale")
    func ttl() async throws {
        try await Conformance.run(responses: [ok([("Cache-Control", "max-age=60")])]) { s in
            _ = try await s.get()
            s.advance(20)
            #expect(try await s.get().larderStatus["ttl"] == "40")
            s.advance(60)
            #expect(try await s.get("/r", [("Cache-Control", "max-stale")]).larderStatus["ttl"] == "-20")
        }
    }

    @Test("RFC 9211 §2: Larder's entry follows those of caches nearer the origin")
    func appendsAfterUpstreamEntries() async throws {
        try await Conformance.run(
            responses: [ok([("Cache-Control", "max-age=60"), ("Cache-Status", "OriginCache; hit")])]
        ) { s in
            let response = try await s.get()
            let field = response.headers("cache-status").joined(separator: ", ")
            #expect(field.hasPrefix("OriginCache; hit, larder; fwd=uri-miss"))
        }
    }

    @Test("RFC 9211 §2.2: fwd=request when the request's directives refused a fresh stored response")
    func forwardRequest() async throws {
        try await Conformance.run(responses: [ok([("Cache-Control", "max-age=60")])]) { s in
            _ = try await s.get()
            let response = try await s.get("/r", [("Cache-Control", "max-age=0")])
            #expect(response.larderStatus["fwd"] == "request")
            #expect(response.larderStatus["fwd-status"] == "200")
            #expect(s.requests.count == 2)
        }
    }

    @Test("RFC 9211 §2.7: key only when the operator enables cache.status_key")
    func keyWhenAsked() async throws {
        try await Conformance.run(
            configure: { $0.cacheStatusKey = true },
            responses: [ok([("Cache-Control", "max-age=60")])]
        ) { s in
            let response = try await s.get("/r?a=1")
            #expect(response.larderStatus["key"] == "\"http://www.example.com/r?a=1\"")
            let hit = try await s.get("/r?a=1")
            #expect(hit.isHit)
            #expect(hit.larderStatus["key"] == "\"http://www.example.com/r?a=1\"", "on answers from the cache too")
        }
        try await Conformance.run(responses: [ok([("Cache-Control", "max-age=60")])]) { s in
            let response = try await s.get("/r?a=1")
            #expect(response.larderStatus["key"] == nil)
        }
    }
}
