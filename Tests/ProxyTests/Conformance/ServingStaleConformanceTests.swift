import NIOHTTP1
import Proxy
import TestSupport
import Testing

/// RFC 9111 §4.2.4 and the request directives of §5.2.1: when a stored response may be served, stale or fresh.
/// Request `no-cache` and `only-if-cached` with nothing stored are in `CachingTests`.
@Suite("Conformance: serving stale and request directives (RFC 9111 §4.2.4, §5.2.1)", .timeLimit(.minutes(2)))
struct ServingStaleConformanceTests {
    /// Stores a response with `cacheControl`, moves the clock `after` seconds, sends `request` fields.
    static func second(
        _ cacheControl: String, after: Int64, request: [(String, String)], extra: [(String, String)] = [],
        check: (TestClient.Response, [TestOrigin.Request]) -> Void
    ) async throws {
        try await Conformance.run(responses: [ok([("Cache-Control", cacheControl)] + extra)]) { s in
            _ = try await s.get()
            s.advance(after)
            check(try await s.get("/r", request), s.requests)
        }
    }

    @Test("RFC 9111 §5.2.1.2: request max-stale without a value accepts any staleness")
    func maxStaleUnlimited() async throws {
        try await Self.second("max-age=10", after: 1000, request: [("Cache-Control", "max-stale")]) { response, seen in
            #expect(response.isHit)
            #expect(response.larderStatus["ttl"] == "-990")
            #expect(seen.count == 1)
        }
    }

    @Test(
        "RFC 9111 §5.2.1.2: request max-stale=N accepts staleness up to N seconds",
        arguments: [(30, true), (5, false)])
    func maxStaleBound(allowed: Int, served: Bool) async throws {
        try await Self.second("max-age=10", after: 20, request: [("Cache-Control", "max-stale=\(allowed)")]) {
            response, seen in
            #expect(response.isHit == served)
            #expect(seen.count == (served ? 1 : 2))
        }
    }

    @Test(
        """
        RFC 9111 §5.2.2.2, §5.2.2.8, §5.2.2.10: must-revalidate, proxy-revalidate and s-maxage forbid \
        serving stale, even with max-stale
        """,
        arguments: ["max-age=10, must-revalidate", "max-age=10, proxy-revalidate", "s-maxage=10"])
    func staleForbidden(cacheControl: String) async throws {
        try await Self.second(
            cacheControl, after: 20, request: [("Cache-Control", "max-stale=1000")]
        ) { response, seen in
            #expect(!response.isHit)
            #expect(seen.count == 2)
        }
    }

    @Test("RFC 9111 §5.2.1.1: request max-age below the current age goes to the origin")
    func requestMaxAge() async throws {
        try await Self.second("max-age=600", after: 30, request: [("Cache-Control", "max-age=20")]) { response, seen in
            #expect(!response.isHit)
            #expect(response.larderStatus["fwd"] == "request")
            #expect(seen.count == 2)
        }
        try await Self.second("max-age=600", after: 30, request: [("Cache-Control", "max-age=40")]) { response, seen in
            #expect(response.isHit)
            #expect(seen.count == 1)
        }
    }

    @Test("RFC 9111 §5.2.1.3: request min-fresh beyond the remaining freshness goes to the origin")
    func minFresh() async throws {
        try await Self.second("max-age=60", after: 30, request: [("Cache-Control", "min-fresh=40")]) { response, seen in
            #expect(!response.isHit)
            #expect(response.larderStatus["fwd"] == "request")
            #expect(seen.count == 2)
        }
        try await Self.second("max-age=60", after: 30, request: [("Cache-Control", "min-fresh=20")]) { response, seen in
            #expect(response.isHit)
            #expect(seen.count == 1)
        }
    }

    @Test("RFC 9111 §5.2.1.7: only-if-cached is answered from a fresh stored response")
    func onlyIfCachedFresh() async throws {
        try await Self.second(
            "max-age=60", after: 10, request: [("Cache-Control", "only-if-cached")]
        ) { response, seen in
            #expect(response.status == 200)
            #expect(response.isHit)
            #expect(seen.count == 1)
        }
    }

    @Test("RFC 9111 §5.2.1.7: only-if-cached with only a stale stored response → 504, the origin is not asked")
    func onlyIfCachedStale() async throws {
        try await Self.second(
            "max-age=10", after: 20, request: [("Cache-Control", "only-if-cached")], extra: [("ETag", "\"v\"")]
        ) { response, seen in
            #expect(response.status == 504)
            #expect(seen.count == 1)
        }
    }

    @Test("RFC 9111 §5.2.2.4: response no-cache is validated on every use, even while fresh")
    func responseNoCache() async throws {
        try await Conformance.run(origin: { request, _ in
            request.isConditional
                ? notModified([("ETag", "\"v\"")])
                : ok([("Cache-Control", "no-cache, max-age=600"), ("ETag", "\"v\"")])
        }) { s in
            _ = try await s.get()
            let second = try await s.get()
            #expect(second.text == "stored body")
            #expect(second.larderStatus["fwd"] == "stale")
            #expect(second.larderStatus["fwd-status"] == "304")
            #expect(s.requests.count == 2)
            #expect(s.requests.last?.header("if-none-match") == "\"v\"")
        }
    }

    @Test("RFC 9111 §4.2.4: a stale response without validators is fetched again, unconditionally")
    func staleWithoutValidator() async throws {
        try await Self.second("max-age=10, stale-if-error=60", after: 20, request: []) { response, seen in
            #expect(response.larderStatus["fwd"] == "stale")
            #expect(response.larderStatus["fwd-status"] == "200")
            #expect(seen.count == 2)
            #expect(seen.last.map { !$0.isConditional } == true)
        }
    }
}
