import NIOHTTP1
import Proxy
import TestSupport
import Testing

/// RFC 9213: targeted cache-control fields. CDN-Cache-Control governing storage over `Cache-Control: no-store`
/// and being stripped downstream is in `CacheConfigurationTests.targetedField`.
@Suite("Conformance: CDN-Cache-Control (RFC 9213)", .timeLimit(.minutes(2)))
struct TargetedFieldConformanceTests {
    @Test("RFC 9213 §2.1: in reverse mode the targeted field's lifetime replaces Cache-Control and Expires")
    func replacesCacheControlAndExpires() async throws {
        try await Conformance.run(responses: [
            ok([("CDN-Cache-Control", "max-age=10"), ("Cache-Control", "max-age=3600"), ("Date", "@+0"),
                ("Expires", "@+3600")]),
        ]) { s in
            _ = try await s.get()
            s.advance(5)
            let fresh = try await s.get()
            #expect(fresh.isHit)
            #expect(fresh.larderStatus["ttl"] == "5")
            #expect(fresh.header("cache-control") == "max-age=3600", "Cache-Control still travels downstream")
            s.advance(10)
            let stale = try await s.get()
            #expect(!stale.isHit)
            #expect(s.requests.count == 2)
        }
    }

    @Test("RFC 9213 §2.1: a targeted field that does not parse is ignored and Cache-Control applies")
    func invalidTargetedField() async throws {
        try await Conformance.run(responses: [
            ok([("CDN-Cache-Control", "max-age=3600, &&&"), ("Cache-Control", "max-age=10")]),
        ]) { s in
            _ = try await s.get()
            s.advance(20)
            let second = try await s.get()
            #expect(!second.isHit)
            #expect(s.requests.count == 2)
        }
    }

    @Test("RFC 9213 §2.2: a configured targeted field name is obeyed and stripped; CDN-Cache-Control then is not")
    func configuredFieldName() async throws {
        try await Conformance.run(configure: { $0.cacheTargetedField = "Larder-Cache-Control" }, responses: [
            ok([("Larder-Cache-Control", "max-age=60"), ("CDN-Cache-Control", "no-store"),
                ("Cache-Control", "no-store")]),
        ]) { s in
            let first = try await s.get()
            #expect(first.header("larder-cache-control") == nil)
            #expect(first.header("cdn-cache-control") == "no-store", "addressed to other caches: passed on")
            let second = try await s.get()
            #expect(second.isHit)
            #expect(s.requests.count == 1)
        }
    }

    @Test("RFC 9213 §2: in forward mode Larder is not the origin's CDN: the field is neither obeyed nor removed")
    func forwardModeIgnores() async throws {
        try await Conformance.run(mode: .forward, responses: [
            ok([("CDN-Cache-Control", "max-age=60"), ("Cache-Control", "no-store")]),
        ]) { s in
            let url = "\(s.origin.url)/r"
            let first = try await s.get(url)
            #expect(first.header("cdn-cache-control") == "max-age=60")
            let second = try await s.get(url)
            #expect(!second.isHit)
            #expect(s.requests.count == 2)
        }
    }
}
