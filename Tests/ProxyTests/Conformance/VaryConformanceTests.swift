import NIOHTTP1
import Proxy
import TestSupport
import Testing

/// RFC 9111 §4.1: selecting a stored response by the request fields its Vary names. Two variants stored side by
/// side are in `CachingTests.varySelectsVariant`.
@Suite("Conformance: Vary (RFC 9111 §4.1)", .timeLimit(.minutes(2)))
struct VaryConformanceTests {
    /// Echoes the request's `field` and varies on `vary`.
    static func echo(_ field: String, vary: [String]) -> Conformance.Script {
        { request, _ in
            ok([("Cache-Control", "max-age=60")] + vary.map { ("Vary", $0) },
               "\(field)=\(request.head.headers[field].joined(separator: "|"))")
        }
    }

    @Test("RFC 9111 §4.1: Vary: * never matches, so such a response is not stored")
    func varyStar() async throws {
        try await Conformance.run(origin: Self.echo("accept", vary: ["Accept, *"])) { s in
            let first = try await s.get()
            #expect(first.larderStatus["stored"] == nil)
            let second = try await s.get()
            #expect(!second.isHit)
            #expect(s.requests.count == 2)
        }
    }

    @Test("RFC 9111 §4.1: a request field absent at storing time and present now does not match")
    func absentVersusPresent() async throws {
        try await Conformance.run(origin: Self.echo("accept-language", vary: ["Accept-Language"])) { s in
            _ = try await s.get()
            let with = try await s.get("/r", [("Accept-Language", "en")])
            #expect(with.larderStatus["fwd"] == "vary-miss")
            #expect(with.text == "accept-language=en")
            let without = try await s.get()
            #expect(without.isHit)
            #expect(without.text == "accept-language=")
            #expect(s.requests.count == 2)
        }
    }

    @Test("RFC 9111 §4.1: values are normalised: whitespace around list members and line folding do not matter")
    func whitespaceAndLines() async throws {
        try await Conformance.run(origin: Self.echo("accept-language", vary: ["Accept-Language"])) { s in
            _ = try await s.get("/r", [("Accept-Language", "en,de")])
            let spaced = try await s.get("/r", [("Accept-Language", " en ,  de")])
            #expect(spaced.isHit)
            let twoLines = try await s.get("/r", [("Accept-Language", "en"), ("Accept-Language", "de")])
            #expect(twoLines.isHit)
            let reordered = try await s.get("/r", [("Accept-Language", "de, en")])
            #expect(!reordered.isHit, "the order of languages carries meaning")
            #expect(s.requests.count == 2)
        }
    }

    @Test("RFC 9111 §4.1: Accept-Encoding members match in any order and case")
    func acceptEncodingOrder() async throws {
        try await Conformance.run(origin: Self.echo("accept-encoding", vary: ["Accept-Encoding"])) { s in
            _ = try await s.get("/r", [("Accept-Encoding", "gzip, br")])
            let reordered = try await s.get("/r", [("Accept-Encoding", "BR,gzip")])
            #expect(reordered.isHit)
            let other = try await s.get("/r", [("Accept-Encoding", "identity")])
            #expect(!other.isHit)
            #expect(s.requests.count == 2)
        }
    }

    @Test("RFC 9111 §4.1: every Vary line and every listed field counts; field names in any case")
    func severalFields() async throws {
        try await Conformance.run(origin: Self.echo("accept", vary: ["accept", "X-Tenant"])) { s in
            _ = try await s.get("/r", [("Accept", "text/html"), ("X-Tenant", "a")])
            let same = try await s.get("/r", [("ACCEPT", "text/html"), ("x-tenant", "a")])
            #expect(same.isHit)
            let otherTenant = try await s.get("/r", [("Accept", "text/html"), ("X-Tenant", "b")])
            #expect(!otherTenant.isHit)
            #expect(s.requests.count == 2)
        }
    }

    @Test("RFC 9111 §4.1: a response without Vary matches every request")
    func noVary() async throws {
        try await Conformance.run(origin: Self.echo("accept", vary: [])) { s in
            _ = try await s.get("/r", [("Accept", "text/html")])
            let other = try await s.get("/r", [("Accept", "image/png")])
            #expect(other.isHit)
            #expect(s.requests.count == 1)
        }
    }

    @Test(
        "RFC 9111 §4.1: when several stored responses match, the most recent one is used",
        arguments: [false, true])
    func mostRecentMatch(olderVaries: Bool) async throws {
        // The stale response is validated and the origin's new one varies differently: both match `en` then.
        // Run both ways round, so that the store's own order of the two variants cannot hide a wrong choice.
        let vary = [("Vary", "Accept-Language")]
        try await Conformance.run(origin: { _, index in
            switch index {
            case 0: ok([("Cache-Control", "max-age=10"), ("ETag", "\"v1\""), ("Date", "@+0")]
                + (olderVaries ? vary : []), "v1")
            case 1: ok([("Cache-Control", "max-age=60"), ("ETag", "\"v2\""), ("Date", "@+0")]
                + (olderVaries ? [] : vary), "v2")
            default: ok([("Cache-Control", "max-age=60")], "v3")
            }
        }) { s in
            _ = try await s.get("/r", [("Accept-Language", "en")])
            s.advance(20)
            let replaced = try await s.get("/r", [("Accept-Language", "en")])
            #expect(replaced.text == "v2")
            let again = try await s.get("/r", [("Accept-Language", "en")])
            #expect(again.isHit)
            #expect(again.text == "v2")
            #expect(s.requests.count == 2)
        }
    }
}
