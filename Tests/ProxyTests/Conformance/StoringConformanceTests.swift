import NIOHTTP1
import Proxy
import TestSupport
import Testing

/// RFC 9111 §3: what a shared cache may store. `no-store`, `private` and responses without any freshness are
/// covered by `CachingTests.notStored`; the rules here are the others.
@Suite("Conformance: storing responses (RFC 9111 §3)", .timeLimit(.minutes(2)))
struct StoringConformanceTests {
    @Test(
        """
        RFC 9111 §3.5: a response to a request with Authorization is not stored \
        without public/s-maxage/must-revalidate
        """)
    func authorizationNotStored() async throws {
        try await Conformance.run(responses: [ok([("Cache-Control", "max-age=60")])]) { s in
            _ = try await s.get("/r", [("Authorization", "Basic YTpi")])
            let second = try await s.get("/r", [("Authorization", "Basic YTpi")])
            #expect(!second.isHit)
            #expect(second.larderStatus["detail"] == "authorization")
            #expect(s.requests.count == 2)
        }
    }

    @Test(
        "RFC 9111 §3.5: public, s-maxage or must-revalidate let a response to an authorized request be stored",
        arguments: ["public, max-age=60", "s-maxage=60", "must-revalidate, max-age=60"])
    func authorizationStoredWhenAllowed(cacheControl: String) async throws {
        try await Conformance.run(responses: [ok([("Cache-Control", cacheControl)])]) { s in
            let first = try await s.get("/r", [("Authorization", "Basic YTpi")])
            #expect(first.larderStatus["stored"] != nil)
            let second = try await s.get("/r", [("Authorization", "Basic YTpi")])
            #expect(second.isHit)
            #expect(s.requests.count == 1)
        }
    }

    @Test("RFC 9111 §5.2.1.5: request no-store keeps the response out of the cache")
    func requestNoStore() async throws {
        try await Conformance.run(responses: [ok([("Cache-Control", "max-age=60")])]) { s in
            let first = try await s.get("/r", [("Cache-Control", "no-store")])
            #expect(first.larderStatus["stored"] == nil)
            #expect(first.larderStatus["detail"] == "request-no-store")
            _ = try await s.get("/r")
            #expect(s.requests.count == 2)
        }
    }

    @Test(
        "RFC 9111 §3: a status that is not heuristically cacheable is stored only with explicit freshness",
        arguments: [("", false), ("max-age=60", true)])
    func nonHeuristicStatus(cacheControl: String, stored: Bool) async throws {
        let headers = [("Location", "/elsewhere")] + (cacheControl.isEmpty ? [] : [("Cache-Control", cacheControl)])
        try await Conformance.run(responses: [.text("moved", status: .found, headers: headers)]) { s in
            _ = try await s.get()
            let second = try await s.get()
            #expect(second.status == 302)
            #expect(second.isHit == stored)
            #expect(s.requests.count == (stored ? 1 : 2))
        }
    }

    @Test(
        "RFC 9111 §5.2: of conflicting directives the restrictive one applies",
        arguments: ["public, private, max-age=60", "max-age=60, private", "s-maxage=60, no-store, public"])
    func conflictingDirectives(cacheControl: String) async throws {
        try await Conformance.run(responses: [ok([("Cache-Control", cacheControl)])]) { s in
            _ = try await s.get()
            let second = try await s.get()
            #expect(!second.isHit)
            #expect(s.requests.count == 2)
        }
    }

    @Test("RFC 9111 §5.2.2.3: must-understand with an understood status overrides no-store")
    func mustUnderstandOverridesNoStore() async throws {
        try await Conformance.run(responses: [ok([("Cache-Control", "must-understand, no-store, max-age=60")])]) { s in
            _ = try await s.get()
            let second = try await s.get()
            #expect(second.isHit)
            #expect(s.requests.count == 1)
        }
    }

    @Test("RFC 9111 §5.2.2.3: must-understand with a status whose caching Larder does not know is not stored")
    func mustUnderstandUnknownStatus() async throws {
        let response = TestOrigin.Response.text(
            "odd", status: .init(statusCode: 299), headers: [("Cache-Control", "must-understand, max-age=60")])
        try await Conformance.run(responses: [response]) { s in
            let first = try await s.get()
            #expect(first.larderStatus["detail"] == "must-understand")
            _ = try await s.get()
            #expect(s.requests.count == 2)
        }
    }

    @Test("RFC 9111 §5.2.2.7: private=\"field\" stores the response without that field")
    func qualifiedPrivate() async throws {
        try await Conformance.run(responses: [
            ok([("Cache-Control", "max-age=60, private=\"x-user\""), ("X-User", "alice"), ("X-Other", "kept")]),
        ]) { s in
            let first = try await s.get()
            #expect(first.header("x-user") == "alice", "the live response keeps it")
            let second = try await s.get()
            #expect(second.isHit)
            #expect(second.header("x-user") == nil)
            #expect(second.header("x-other") == "kept")
            #expect(s.requests.count == 1)
        }
    }

    @Test("RFC 9111 §5.2.2.4: no-cache=\"field\" stores the response but never serves that field from cache")
    func qualifiedNoCache() async throws {
        try await Conformance.run(responses: [
            ok([("Cache-Control", "max-age=60, no-cache=\"x-session\""), ("X-Session", "s1")]),
        ]) { s in
            _ = try await s.get()
            let second = try await s.get()
            #expect(second.isHit)
            #expect(second.header("x-session") == nil)
            #expect(s.requests.count == 1)
        }
    }

    @Test("RFC 9111 §3, §7.3: Set-Cookie reaches only the client whose request caused the fill")
    func setCookieNotShared() async throws {
        try await Conformance.run(responses: [ok([("Cache-Control", "max-age=60"), ("Set-Cookie", "id=alice")])]) { s in
            let first = try await s.get()
            #expect(first.header("set-cookie") == "id=alice")
            let second = try await s.get()
            #expect(second.isHit)
            #expect(second.header("set-cookie") == nil)
        }
    }

    @Test("RFC 9111 §3.1: hop-by-hop fields and the fields Connection names are not stored")
    func hopByHopNotStored() async throws {
        try await Conformance.run(responses: [
            ok([("Cache-Control", "max-age=60"), ("Connection", "x-hop"), ("X-Hop", "1"), ("Keep-Alive", "timeout=5"),
                ("X-End", "2")]),
        ]) { s in
            _ = try await s.get()
            let second = try await s.get()
            #expect(second.isHit)
            #expect(second.header("x-hop") == nil)
            #expect(second.header("keep-alive") == nil)
            #expect(second.header("x-end") == "2")
        }
    }

    @Test("RFC 9111 §3.3: a 206 response is not stored; a later full request goes to the origin")
    func partialNotStored() async throws {
        try await Conformance.run(origin: { request, _ in
            if request.header("range") != nil {
                return .text("0123", status: .partialContent,
                             headers: [("Cache-Control", "max-age=60"), ("Content-Range", "bytes 0-3/10")])
            }
            return ok([("Cache-Control", "max-age=60")], "0123456789")
        }) { s in
            let partial = try await s.get("/r", [("Range", "bytes=0-3")])
            #expect(partial.status == 206)
            #expect(partial.larderStatus["stored"] == nil)
            let full = try await s.get()
            #expect(full.text == "0123456789")
            #expect(!full.isHit)
            #expect(s.requests.map { $0.header("range") } == ["bytes=0-3", nil])
        }
    }

    @Test("RFC 9111 §4.2.4: a response stale on arrival without validators is not stored")
    func staleOnArrivalNotStored() async throws {
        try await Conformance.run(responses: [ok([("Cache-Control", "max-age=10"), ("Age", "20")])]) { s in
            let first = try await s.get()
            #expect(first.larderStatus["detail"] == "never-reusable")
            _ = try await s.get()
            #expect(s.requests.count == 2)
        }
    }

    @Test(
        """
        RFC 9111 §3, RFC 9110 §9.3.3: a POST response with explicit freshness and Content-Location of its own URI \
        answers a later GET
        """)
    func postWithContentLocation() async throws {
        try await Conformance.run(origin: { request, _ in
            request.head.method == .POST
                ? ok([("Cache-Control", "max-age=60"), ("Content-Location", "/doc")], "posted")
                : ok([("Cache-Control", "max-age=60")], "fetched")
        }) { s in
            _ = try await s.get("/doc")
            let post = try await s.send("POST", "/doc", body: "x=1")
            #expect(post.text == "posted")
            #expect(post.larderStatus["fwd"] == "method")
            #expect(post.larderStatus["stored"] != nil)
            let get = try await s.get("/doc")
            #expect(get.isHit)
            #expect(get.text == "posted", "the POST's response replaced the GET's")
            #expect(s.requests.map(\.head.method) == [.GET, .POST])
        }
    }

    @Test(
        "RFC 9110 §9.3.3: a POST response is not stored without explicit freshness or with another Content-Location",
        arguments: [
            [("Content-Location", "/doc")], [("Cache-Control", "max-age=60"), ("Content-Location", "/other")],
            [("Cache-Control", "max-age=60")],
        ])
    func postNotStored(headers: [(String, String)]) async throws {
        try await Conformance.run(responses: [ok(headers, "posted")]) { s in
            let post = try await s.send("POST", "/doc", body: "x=1")
            #expect(post.larderStatus["stored"] == nil)
            #expect(post.larderStatus["detail"] == nil)
            let get = try await s.get("/doc")
            #expect(!get.isHit)
            #expect(s.requests.map(\.head.method) == [.POST, .GET])
        }
    }
}
