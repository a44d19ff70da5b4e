import NIOHTTP1
import Proxy
import TestSupport
import Testing

/// RFC 9111 §4.4: unsafe methods invalidate. POST invalidating its own target is in
/// `CachingTests.unsafeMethodInvalidates`.
@Suite("Conformance: invalidation (RFC 9111 §4.4)", .timeLimit(.minutes(2)))
struct InvalidationConformanceTests {
    /// GET answers are fresh for a minute; other methods get `status` and `headers`.
    static func script(status: HTTPResponseStatus = .ok, headers: [(String, String)] = []) -> Conformance.Script {
        { request, _ in
            request.head.method == .GET
                ? ok([("Cache-Control", "max-age=60")], request.head.uri)
                : .text("done", status: status, headers: headers)
        }
    }

    @Test("RFC 9111 §4.4: PUT, DELETE, PATCH and unknown methods invalidate the target URI",
          arguments: ["PUT", "DELETE", "PATCH", "LINK"])
    func unsafeMethods(method: String) async throws {
        try await Conformance.run(origin: Self.script()) { s in
            _ = try await s.get("/doc")
            _ = try await s.send(method, "/doc")
            let after = try await s.get("/doc")
            #expect(!after.isHit)
            #expect(s.requests.map(\.head.method.rawValue) == ["GET", method, "GET"])
        }
    }

    @Test("RFC 9111 §4.4: a same-origin Location is invalidated")
    func location() async throws {
        try await Conformance.run(origin: Self.script(status: .created, headers: [("Location", "/items/7")])) { s in
            _ = try await s.get("/items/7")
            _ = try await s.send("POST", "/items")
            let after = try await s.get("/items/7")
            #expect(!after.isHit)
            #expect(s.requests.count == 3)
        }
    }

    @Test("RFC 9111 §4.4: a same-origin Content-Location (absolute, default port) is invalidated")
    func contentLocation() async throws {
        let target = "http://\(Conformance.host):80/items/7/view"
        try await Conformance.run(origin: Self.script(headers: [("Content-Location", target)])) { s in
            _ = try await s.get("/items/7/view")
            _ = try await s.send("PUT", "/items/7")
            let after = try await s.get("/items/7/view")
            #expect(!after.isHit)
            #expect(s.requests.count == 3)
        }
    }

    @Test("RFC 9111 §4.4: Location and Content-Location on another origin are not invalidated")
    func otherOrigin() async throws {
        let headers = [
            ("Location", "http://other.example/items/7"), ("Content-Location", "https://\(Conformance.host)/items/7"),
        ]
        try await Conformance.run(origin: Self.script(headers: headers)) { s in
            _ = try await s.get("/items/7")
            _ = try await s.send("POST", "/items")
            let after = try await s.get("/items/7")
            #expect(after.isHit, "neither names this origin's /items/7: a different host, a different scheme")
            #expect(s.requests.count == 2)
        }
    }

    @Test("RFC 9111 §4.4: an error response to an unsafe method invalidates nothing", arguments: [404, 500])
    func errorsDoNotInvalidate(status: Int) async throws {
        try await Conformance.run(origin: Self.script(status: HTTPResponseStatus(statusCode: status))) { s in
            _ = try await s.get("/doc")
            let post = try await s.send("POST", "/doc")
            #expect(post.status == status)
            let after = try await s.get("/doc")
            #expect(after.isHit)
            #expect(s.requests.count == 2)
        }
    }

    @Test("RFC 9111 §4.4: safe methods invalidate nothing")
    func safeMethods() async throws {
        try await Conformance.run(origin: Self.script()) { s in
            _ = try await s.get("/doc")
            _ = try await s.send("OPTIONS", "/doc")
            let after = try await s.get("/doc")
            #expect(after.isHit)
            #expect(s.requests.map(\.head.method.rawValue) == ["GET", "OPTIONS"])
        }
    }

    @Test("RFC 9111 §4.4: invalidation reaches every stored variant of the URI")
    func allVariants() async throws {
        try await Conformance.run(origin: { request, _ in
            request.head.method == .GET
                ? ok([("Cache-Control", "max-age=60"), ("Vary", "Accept-Language")])
                : .text("done")
        }) { s in
            _ = try await s.get("/doc", [("Accept-Language", "en")])
            _ = try await s.get("/doc", [("Accept-Language", "de")])
            _ = try await s.send("DELETE", "/doc")
            #expect(try await !s.get("/doc", [("Accept-Language", "en")]).isHit)
            #expect(try await !s.get("/doc", [("Accept-Language", "de")]).isHit)
            #expect(s.requests.count == 5)
        }
    }
}
