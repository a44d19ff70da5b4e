import CachePolicy
import NIOHTTP1
import Proxy
import TestSupport
import Testing

/// RFC 9111 §4.3: validating stored responses with the origin. The If-None-Match request, a 304 replacing stored
/// fields, a full response replacing the stored one and the client's own conditionals are in
/// `RevalidationTests`; these are the rest.
@Suite("Conformance: validation (RFC 9111 §4.3)", .timeLimit(.minutes(2)))
struct ValidationConformanceTests {
    /// Stores `stored` (stale after 10 s), moves the clock 20 s and asks again; the origin answers a conditional
    /// request with `revalidation`.
    static func revalidate(
        _ stored: [(String, String)],
        answer revalidation: @escaping @Sendable (TestOrigin.Request) -> TestOrigin.Response,
        _ check: (Conformance, TestClient.Response) async throws -> Void
    ) async throws {
        try await Conformance.run(origin: { request, index in
            index == 0 ? ok([("Cache-Control", "max-age=10")] + stored) : revalidation(request)
        }) { s in
            _ = try await s.get()
            s.advance(20)
            try await check(s, try await s.get())
        }
    }

    @Test("RFC 9111 §4.3.1: a stored response with only Last-Modified is validated with If-Modified-Since")
    func ifModifiedSince() async throws {
        try await Self.revalidate(
            [("Last-Modified", "@-1000")], answer: { _ in notModified([("Last-Modified", "@-1020")]) }
        ) { s, response in
            #expect(response.status == 200)
            #expect(response.text == "stored body")
            #expect(response.larderStatus["fwd-status"] == "304")
            let validation = try #require(s.requests.last)
            #expect(validation.header("if-modified-since") == HTTPDate.formatted(s.clock.seconds - 1020))
            #expect(validation.header("if-none-match") == nil)
        }
    }

    @Test("RFC 9111 §4.3.1: with ETag and Last-Modified both conditionals are sent")
    func bothValidators() async throws {
        try await Self.revalidate(
            [("ETag", "\"v1\""), ("Last-Modified", "@-1000")], answer: { _ in notModified([("ETag", "\"v1\"")]) }
        ) { s, response in
            #expect(response.text == "stored body")
            let validation = try #require(s.requests.last)
            #expect(validation.header("if-none-match") == "\"v1\"")
            #expect(validation.header("if-modified-since") != nil)
        }
    }

    @Test("RFC 9111 §4.3.4: a 304's Cache-Control replaces the stored one, so the response is fresh again")
    func notModifiedRefreshesFreshness() async throws {
        try await Self.revalidate(
            [("ETag", "\"v1\"")], answer: { _ in notModified([("ETag", "\"v1\""), ("Cache-Control", "max-age=600")]) }
        ) { s, response in
            #expect(response.header("cache-control") == "max-age=600")
            s.advance(300)
            let third = try await s.get()
            #expect(third.isHit)
            #expect(third.header("age") == "300")
            #expect(s.requests.count == 2)
        }
    }

    @Test("RFC 9111 §3.2: a 304 never changes the stored Content-Length (nor the body)")
    func notModifiedKeepsContentLength() async throws {
        // The test origin frames its 304 with `Content-Length: 0`.
        try await Self.revalidate(
            [("ETag", "\"v1\"")], answer: { _ in notModified([("ETag", "\"v1\"")]) }
        ) { s, response in
            #expect(response.text == "stored body")
            #expect(response.header("content-length") == "11")
            let third = try await s.get("/r", [("Cache-Control", "max-stale")])
            #expect(third.isHit)
            #expect(third.header("content-length") == "11")
            #expect(third.text == "stored body")
        }
    }

    @Test("RFC 9111 §4.3.4: a 304 with a weak ETag selects the stored response whose tag matches weakly")
    func weakEntityTag() async throws {
        try await Self.revalidate(
            [("ETag", "W/\"v1\""), ("X-Version", "1")],
            answer: { _ in notModified([("ETag", "W/\"v1\""), ("X-Version", "2")]) }
        ) { s, response in
            #expect(response.status == 200)
            #expect(response.header("x-version") == "2")
            #expect(s.requests.last?.header("if-none-match") == "W/\"v1\"")
        }
    }

    @Test("RFC 9111 §4.3.4: a 304 with only Last-Modified selects the stored response modified at that instant")
    func lastModifiedSelects() async throws {
        try await Self.revalidate(
            [("Last-Modified", "@-1000"), ("X-Version", "1")],
            answer: { _ in notModified([("Last-Modified", "@-1020"), ("X-Version", "2")]) }
        ) { _, response in
            #expect(response.status == 200)
            #expect(response.header("x-version") == "2")
        }
    }

    @Test(
        """
        RFC 9111 §4.3.4: a 304 naming another strong entity tag updates nothing; \
        the request is repeated unconditionally
        """)
    func notModifiedForAnotherTag() async throws {
        try await Conformance.run(origin: { request, index in
            switch index {
            case 0: ok([("Cache-Control", "max-age=10"), ("ETag", "\"v1\""), ("X-Version", "1")])
            case 1: notModified([("ETag", "\"v2\""), ("X-Version", "2"), ("Cache-Control", "max-age=600")])
            default: ok([("Cache-Control", "max-age=10"), ("ETag", "\"v3\""), ("X-Version", "3")], "new body")
            }
        }) { s in
            _ = try await s.get()
            s.advance(20)
            let response = try await s.get()
            #expect(response.status == 200)
            #expect(response.text == "new body")
            #expect(response.header("x-version") == "3", "the 304's fields were not merged into what the client got")
            #expect(s.requests.count == 3)
            #expect(s.requests[1].header("if-none-match") == "\"v1\"")
            #expect(s.requests[2].header("if-none-match") == nil, "asked again without the stored validators")
            let stored = try await s.get()
            #expect(stored.isHit && stored.header("x-version") == "3")
        }
    }

    @Test(
        "RFC 9111 §4.3.4: a bare 304 (no validator, as static servers send) validates the response Larder asked about")
    func bareNotModified() async throws {
        try await Self.revalidate([("Last-Modified", "@-1000")], answer: { _ in notModified([("Date", "@+0")]) }) {
            s, response in
            #expect(response.status == 200)
            #expect(response.text == "stored body")
            #expect(response.larderStatus["fwd-status"] == "304")
            #expect(s.requests.count == 2, "no unconditional repeat")
        }
    }

    @Test("RFC 9211 §2.2: a revalidation the request's own max-age=0 caused reports fwd=request")
    func requestCausedRevalidation() async throws {
        try await Conformance.run(responses: [
            ok([("Cache-Control", "max-age=600"), ("ETag", "\"v1\"")]), notModified([("ETag", "\"v1\"")]),
        ]) { s in
            _ = try await s.get()
            let response = try await s.get("/r", [("Cache-Control", "max-age=0")])
            #expect(response.text == "stored body")
            #expect(response.larderStatus["fwd"] == "request")
            #expect(response.larderStatus["fwd-status"] == "304")
            #expect(s.requests.last?.header("if-none-match") == "\"v1\"")
        }
    }

    @Test(
        "RFC 9111 §4.3.3: a 5xx answering a validation is passed on when nothing allows serving stale",
        arguments: [500, 502, 503, 504])
    func serverErrorPassedOn(status: Int) async throws {
        try await Self.revalidate(
            [("ETag", "\"v1\"")], answer: { _ in .text("broken", status: HTTPResponseStatus(statusCode: status)) }
        ) { s, response in
            #expect(response.status == status)
            #expect(response.text == "broken")
            #expect(response.larderStatus["fwd-status"] == String(status))
            #expect(s.requests.count == 2)
        }
    }

    @Test("RFC 9111 §4.3.3: a 4xx answering a validation replaces the stored response")
    func clientErrorReplaces() async throws {
        try await Self.revalidate(
            [("ETag", "\"v1\"")],
            answer: { _ in .text("gone", status: .notFound, headers: [("Cache-Control", "max-age=60")]) }
        ) { s, response in
            #expect(response.status == 404)
            let third = try await s.get()
            #expect(third.status == 404)
            #expect(third.isHit)
            #expect(s.requests.count == 2)
        }
    }
}

extension HTTPDate {
    /// The IMF-fixdate of `seconds` since the epoch.
    static func formatted(_ seconds: Int64) -> String { Self.format(Instant(secondsSinceEpoch: seconds)) }
}
