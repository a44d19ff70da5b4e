import NIOHTTP1
import Proxy
import TestSupport
import Testing

/// RFC 9111 §4.2: freshness lifetime, its precedence, age, and how malformed or repeated values are read. Each test
/// moves Larder's clock instead of sleeping.
@Suite("Conformance: freshness (RFC 9111 §4.2)", .timeLimit(.minutes(2)))
struct FreshnessConformanceTests {
    /// Stores /r, moves the clock by `after` seconds, asks again; returns whether that was a hit.
    static func hitAfter(_ after: Int64, _ headers: [(String, String)]) async throws -> Bool {
        var hit = false
        try await Conformance.run(responses: [ok(headers)]) { s in
            _ = try await s.get()
            s.advance(after)
            let second = try await s.get()
            hit = second.isHit
            #expect(s.requests.count == (hit ? 1 : 2))
        }
        return hit
    }

    @Test("RFC 9111 §4.2.1: max-age: fresh before it runs out, not after")
    func maxAge() async throws {
        #expect(try await Self.hitAfter(59, [("Cache-Control", "max-age=60")]))
        #expect(try await !Self.hitAfter(61, [("Cache-Control", "max-age=60")]))
    }

    @Test("RFC 9111 §4.2.1: s-maxage takes precedence over max-age in a shared cache")
    func sharedMaxAgeFirst() async throws {
        #expect(try await Self.hitAfter(30, [("Cache-Control", "max-age=1, s-maxage=60")]))
        #expect(try await !Self.hitAfter(30, [("Cache-Control", "max-age=60, s-maxage=1")]))
    }

    @Test("RFC 9111 §4.2.1: max-age takes precedence over Expires")
    func maxAgeBeforeExpires() async throws {
        #expect(try await Self.hitAfter(30, [("Cache-Control", "max-age=60"), ("Date", "@+0"), ("Expires", "@-10")]))
        #expect(try await !Self.hitAfter(30, [("Cache-Control", "max-age=10"), ("Date", "@+0"), ("Expires", "@+60")]))
    }

    @Test("RFC 9111 §4.2.1: Expires − Date is the lifetime")
    func expiresMinusDate() async throws {
        #expect(try await Self.hitAfter(59, [("Date", "@+0"), ("Expires", "@+60")]))
        #expect(try await !Self.hitAfter(61, [("Date", "@+0"), ("Expires", "@+60")]))
    }

    @Test("RFC 9111 §4.2.1: Expires is measured from the origin's Date, not Larder's clock")
    func expiresAgainstDate() async throws {
        // The origin's clock runs 1000 s ahead: Expires − Date is 60 s however far ahead both are.
        #expect(try await !Self.hitAfter(61, [("Date", "@+1000"), ("Expires", "@+1060")]))
    }

    @Test(
        "RFC 9111 §5.3: an invalid Expires means already expired",
        arguments: [
            "0", "-1", "Thu, 01 Dec 2094 16:00:00 UTC", "soon",
            "Thu, 01 Dec 2094 16:00:00 GMT, Fri, 02 Dec 2094 16:00:00 GMT",
        ])
    func invalidExpires(expires: String) async throws {
        #expect(try await !Self.hitAfter(0, [("Date", "@+0"), ("Expires", expires)]))
    }

    @Test("RFC 9111 §5.3: an invalid Expires is explicit expiration: no heuristic freshness from Last-Modified")
    func invalidExpiresNoHeuristic() async throws {
        try await Conformance.run(origin: { request, _ in
            request.isConditional
                ? notModified([("Expires", "0")])
                : ok([("Date", "@+0"), ("Expires", "0"), ("Last-Modified", "@-100000")])
        }) { s in
            _ = try await s.get()
            let second = try await s.get()
            #expect(!second.isHit)
            #expect(second.status == 200)
            #expect(
                s.requests.count >= 2 && s.requests[1].header("if-modified-since") != nil,
                "stale at once, so validated")
        }
    }

    @Test(
        "RFC 9111 §5.3: of two Expires lines the first counts",
        arguments: [(true, ["@+60", "@-60"]), (false, ["@-60", "@+60"])])
    func duplicateExpires(fresh: Bool, lines: [String]) async throws {
        #expect(try await Self.hitAfter(1, [("Date", "@+0"), ("Expires", lines[0]), ("Expires", lines[1])]) == fresh)
    }

    @Test("RFC 9110 §6.6.1: an invalid Date is replaced by the time the response was received")
    func invalidDate() async throws {
        #expect(try await Self.hitAfter(30, [("Date", "yesterday"), ("Cache-Control", "max-age=60")]))
    }

    @Test("RFC 9111 §4.2.3: the origin's Age counts against the lifetime")
    func ageCounts() async throws {
        #expect(try await Self.hitAfter(25, [("Cache-Control", "max-age=60"), ("Age", "30")]))
        #expect(try await !Self.hitAfter(31, [("Cache-Control", "max-age=60"), ("Age", "30")]))
    }

    @Test("RFC 9111 §5.1: an invalid Age is ignored", arguments: ["-1", "abc", "1.5"])
    func invalidAge(age: String) async throws {
        #expect(try await Self.hitAfter(50, [("Cache-Control", "max-age=60"), ("Age", age)]))
    }

    @Test("RFC 9111 §5.1: of an Age list or repeated Age lines the first member counts")
    func ageList() async throws {
        #expect(try await !Self.hitAfter(0, [("Cache-Control", "max-age=60"), ("Age", "7200, 0")]))
        #expect(try await !Self.hitAfter(0, [("Cache-Control", "max-age=60"), ("Age", "7200"), ("Age", "0")]))
        #expect(try await Self.hitAfter(0, [("Cache-Control", "max-age=60"), ("Age", "0"), ("Age", "7200")]))
    }

    @Test("RFC 9111 §4.2.1: a repeated directive counts once, the first occurrence (one line or several)")
    func duplicateDirectives() async throws {
        #expect(try await Self.hitAfter(30, [("Cache-Control", "max-age=60, max-age=10")]))
        #expect(try await !Self.hitAfter(30, [("Cache-Control", "max-age=10, max-age=60")]))
        #expect(try await Self.hitAfter(30, [("Cache-Control", "max-age=60"), ("Cache-Control", "max-age=10")]))
    }

    @Test("RFC 9111 §5.2: a quoted argument is accepted (max-age=\"60\")")
    func quotedArgument() async throws {
        #expect(try await Self.hitAfter(30, [("Cache-Control", "max-age=\"60\"")]))
    }

    @Test("RFC 9111 §5.2: directive names are case-insensitive")
    func directiveCase() async throws {
        #expect(try await Self.hitAfter(30, [("Cache-Control", "MAX-AGE=60")]))
        #expect(try await !Self.hitAfter(0, [("Cache-Control", "No-Store, max-age=60")]))
    }

    @Test(
        "RFC 9111 §1.2.2, §4.2.1: an invalid max-age means stale",
        arguments: ["max-age=-1", "max-age=1.5", "max-age=a60", "max-age =60"])
    func invalidMaxAge(cacheControl: String) async throws {
        try await Conformance.run(responses: [ok([("Cache-Control", cacheControl), ("ETag", "\"v\"")])]) { s in
            _ = try await s.get()
            let second = try await s.get()
            #expect(!second.isHit)
            #expect(s.requests.last?.header("if-none-match") == "\"v\"", "stored but stale: validated")
        }
    }

    @Test("RFC 9111 §5.4: Pragma: no-cache in a request without Cache-Control is no-cache")
    func pragmaNoCache() async throws {
        try await Conformance.run(responses: [ok([("Cache-Control", "max-age=60")])]) { s in
            _ = try await s.get()
            let pragma = try await s.get("/r", [("Pragma", "no-cache")])
            #expect(!pragma.isHit)
            #expect(pragma.larderStatus["fwd"] == "request")
            #expect(s.requests.count == 2)
            let withCacheControl = try await s.get("/r", [("Pragma", "no-cache"), ("Cache-Control", "max-stale=1")])
            #expect(withCacheControl.isHit, "Cache-Control present: Pragma is ignored")
            #expect(s.requests.count == 2)
        }
    }

    @Test("RFC 9111 §5.4: Pragma in a response means nothing")
    func pragmaInResponse() async throws {
        #expect(try await Self.hitAfter(30, [("Cache-Control", "max-age=60"), ("Pragma", "no-cache")]))
    }
}

/// RFC 9111 §4.2.2: heuristic freshness.
@Suite("Conformance: heuristic freshness (RFC 9111 §4.2.2)", .timeLimit(.minutes(2)))
struct HeuristicConformanceTests {
    @Test("RFC 9111 §4.2.2: without explicit expiration, 10% of the time since Last-Modified")
    func lastModifiedFraction() async throws {
        let headers = [("Date", "@+0"), ("Last-Modified", "@-1000")]
        #expect(try await FreshnessConformanceTests.hitAfter(90, headers))
        try await Conformance.run(origin: { request, _ in
            request.isConditional ? notModified([("Last-Modified", "@-1110")]) : ok(headers)
        }) { s in
            let first = try await s.get()
            let lastModified = try #require(first.header("last-modified"))
            s.advance(110)
            let second = try await s.get()
            #expect(second.larderStatus["fwd"] == "stale")
            #expect(s.requests.last?.header("if-modified-since") == lastModified)
        }
    }

    @Test(
        "RFC 9111 §4.2.2: heuristics only for heuristically cacheable status codes",
        arguments: [(HTTPResponseStatus.ok, true), (.notFound, true), (.gone, true), (.found, false),
                    (.forbidden, false), (.internalServerError, false)])
    func onlyCacheableStatuses(status: HTTPResponseStatus, stored: Bool) async throws {
        let response = TestOrigin.Response.text(
            "x", status: status, headers: [("Date", "@+0"), ("Last-Modified", "@-100000")])
        try await Conformance.run(responses: [response]) { s in
            _ = try await s.get()
            s.advance(10)
            let second = try await s.get()
            #expect(second.isHit == stored)
            #expect(s.requests.count == (stored ? 1 : 2))
        }
    }
}
