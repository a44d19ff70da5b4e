import NIOHTTP1
import Proxy
import TestSupport
import Testing

/// RFC 9110 §9.3.2 with RFC 9111 §4: HEAD answered from a stored GET. The plain case is in
/// `CachingTests.headFromStoredGet`.
@Suite("Conformance: HEAD and the cache (RFC 9110 §9.3.2)", .timeLimit(.minutes(2)))
struct HeadConformanceTests {
    @Test("RFC 9110 §9.3.2: HEAD from a stored GET carries the GET's fields, Age and no content")
    func headFields() async throws {
        try await Conformance.run(responses: [
            ok([("Cache-Control", "max-age=60"), ("ETag", "\"v1\""), ("Content-Type", "text/plain")]),
        ]) { s in
            _ = try await s.get()
            s.advance(5)
            let head = try await s.send("HEAD", "/r")
            #expect(head.status == 200)
            #expect(head.isHit)
            #expect(head.header("etag") == "\"v1\"")
            #expect(head.header("content-type") == "text/plain")
            #expect(head.header("content-length") == "11")
            #expect(head.header("age") == "5")
            #expect(head.bodyLength == 0)
            #expect(s.requests.map(\.head.method) == [.GET])
        }
    }

    @Test("RFC 9111 §3: a response to HEAD is not stored: a later GET goes to the origin")
    func headResponseNotStored() async throws {
        try await Conformance.run(responses: [ok([("Cache-Control", "max-age=60")])]) { s in
            _ = try await s.send("HEAD", "/r")
            let get = try await s.get()
            #expect(!get.isHit)
            #expect(get.text == "stored body")
            #expect(s.requests.map(\.head.method) == [.HEAD, .GET])
        }
    }
}
