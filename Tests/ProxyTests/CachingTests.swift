import CacheStore
import NIOHTTP1
import Proxy
import TestSupport
import Testing

/// The cache in the pipeline: RFC 9111 decisions (from CachePolicy) over the LMDB store, end to end.
@Suite("Caching through the pipeline", .timeLimit(.minutes(2)))
struct CachingTests {
    static func get(_ path: String, _ extra: String = "") -> String {
        "GET \(path) HTTP/1.1\r\nHost: www.example.com\r\n\(extra)\r\n"
    }

    @Test("RFC 9111 §4.2: a fresh stored response answers without the origin, with Age and Cache-Status")
    func freshHit() async throws {
        let body = Pattern.bytes(length: 700_000)
        let handler: TestOrigin.Handler = { _ in .init(headers: [("Cache-Control", "max-age=60")], body: .bytes(body)) }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            let first = try await TestClient.exchange(port: larder.port, Self.get("/asset"))
            #expect(first.header("cache-status") == "larder; fwd=uri-miss; fwd-status=200; stored")
            try await larder.server.flushCache()
            let second = try await TestClient.exchange(port: larder.port, Self.get("/asset"))
            #expect(origin.requests.count == 1)
            #expect(second.status == 200)
            #expect(firstDifference(second.body, body) == nil)
            #expect(second.header("content-length") == String(body.count))
            #expect(second.header("age") != nil)
            #expect(second.header("cache-status")?.hasPrefix("larder; hit; ttl=") == true)
            #expect(second.header("cache-control") == "max-age=60")
        }
    }

    @Test("RFC 9111 §3: no-store, private and responses without freshness are not stored", arguments: [
        "no-store", "private", "max-age=60, no-store", "",
    ])
    func notStored(cacheControl: String) async throws {
        let handler: TestOrigin.Handler = { _ in
            .text("x", headers: cacheControl.isEmpty ? [] : [("Cache-Control", cacheControl)])
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            _ = try await TestClient.exchange(port: larder.port, Self.get("/p"))
            try await larder.server.flushCache()
            let second = try await TestClient.exchange(port: larder.port, Self.get("/p"))
            #expect(origin.requests.count == 2)
            #expect(second.header("cache-status")?.contains("stored") == false)
        }
    }

    @Test("RFC 9111 §4.1: Vary selects the stored variant by the request's header")
    func varySelectsVariant() async throws {
        let handler: TestOrigin.Handler = { request in
            .text("lang=\(request.head.headers.first(name: "accept-language") ?? "")",
                  headers: [("Cache-Control", "max-age=60"), ("Vary", "Accept-Language")])
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            _ = try await TestClient.exchange(port: larder.port, Self.get("/v", "Accept-Language: en\r\n"))
            try await larder.server.flushCache()
            let other = try await TestClient.exchange(port: larder.port, Self.get("/v", "Accept-Language: de\r\n"))
            #expect(other.text == "lang=de")
            #expect(other.header("cache-status")?.contains("fwd=vary-miss") == true)
            try await larder.server.flushCache()
            let again = try await TestClient.exchange(port: larder.port, Self.get("/v", "Accept-Language: en\r\n"))
            #expect(again.text == "lang=en")
            #expect(again.header("cache-status")?.contains("hit") == true)
            #expect(origin.requests.count == 2)
        }
    }

    @Test("RFC 9110 §9.3.2: HEAD is answered from a stored GET")
    func headFromStoredGet() async throws {
        let handler: TestOrigin.Handler = { _ in .text("hello", headers: [("Cache-Control", "max-age=60")]) }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            _ = try await TestClient.exchange(port: larder.port, Self.get("/h"))
            try await larder.server.flushCache()
            let head = try await TestClient.exchange(
                port: larder.port, "HEAD /h HTTP/1.1\r\nHost: www.example.com\r\n\r\n", headRequest: true)
            #expect(head.status == 200)
            #expect(head.header("content-length") == "5")
            #expect(head.header("cache-status")?.contains("hit") == true)
            #expect(origin.requests.map(\.head.method) == [.GET])
        }
    }

    @Test("RFC 9111 §4.4: a successful POST invalidates the stored response for its target")
    func unsafeMethodInvalidates() async throws {
        let handler: TestOrigin.Handler = { request in
            .text("\(request.head.method.rawValue) \(request.bodyLength)", headers: [("Cache-Control", "max-age=60")])
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            _ = try await TestClient.exchange(port: larder.port, Self.get("/doc"))
            try await larder.server.flushCache()
            let post = try await TestClient.exchange(
                port: larder.port, "POST /doc HTTP/1.1\r\nHost: www.example.com\r\nContent-Length: 2\r\n\r\nhi")
            #expect(post.status == 200)
            try await larder.server.flushCache()
            let after = try await TestClient.exchange(port: larder.port, Self.get("/doc"))
            #expect(after.header("cache-status")?.contains("fwd=uri-miss") == true)
            #expect(origin.requests.map(\.head.method) == [.GET, .POST, .GET])
        }
    }

    @Test("RFC 9111 §5.2.1.7: only-if-cached with nothing stored is 504 and never reaches the origin")
    func onlyIfCached() async throws {
        try await withOriginAndLarder(mode: .reverse) { origin, larder in
            let response = try await TestClient.exchange(
                port: larder.port, Self.get("/nothing", "Cache-Control: only-if-cached\r\n"))
            #expect(response.status == 504)
            #expect(origin.bytesReceived == 0)
        }
    }

    @Test("RFC 9111 §5.2.1.4: request no-cache goes to the origin even when a fresh response is stored")
    func requestNoCache() async throws {
        let handler: TestOrigin.Handler = { _ in .text("v", headers: [("Cache-Control", "max-age=60")]) }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            _ = try await TestClient.exchange(port: larder.port, Self.get("/n"))
            try await larder.server.flushCache()
            let response = try await TestClient.exchange(
                port: larder.port, Self.get("/n", "Cache-Control: no-cache\r\n"))
            #expect(response.status == 200)
            #expect(origin.requests.count == 2)
        }
    }

    @Test("a response cut short by the origin is not stored")
    func truncatedNotStored() async throws {
        let handler: TestOrigin.Handler = { _ in
            .init(headers: [("Cache-Control", "max-age=60")], body: .pattern(length: 500_000), abortAfter: 100_000)
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            let first = try await TestClient.exchange(port: larder.port, Self.get("/cut"))
            #expect(!first.complete)
            try await larder.server.flushCache()
            _ = try await TestClient.exchange(port: larder.port, Self.get("/cut"))
            #expect(origin.requests.count == 2)
        }
    }

    @Test("stored responses survive a restart of Larder")
    func survivesRestart() async throws {
        let store = TemporaryDirectory()
        defer { store.remove() }
        let origin = try await TestOrigin.start { _ in .text("kept", headers: [("Cache-Control", "max-age=600")]) }
        for _ in 1...2 {
            let larder = try await TestLarder.start(mode: .reverse, upstreams: [origin.url]) {
                $0.cacheDirectory = store.path
            }
            let response = try await TestClient.exchange(port: larder.port, Self.get("/k"))
            #expect(response.text == "kept")
            await larder.shutdown()
        }
        #expect(origin.requests.count == 1)
        await origin.shutdown()
    }
}

/// Validation of stored responses (RFC 9111 §4.3) and stale-if-error (RFC 5861 §4) through the pipeline.
@Suite("Revalidation through the pipeline", .timeLimit(.minutes(2)))
struct RevalidationTests {
    /// An origin whose responses are stale at once but validatable: `max-age=0` with an ETag.
    static func validatingOrigin(onRevalidation: @escaping @Sendable (TestOrigin.Request) -> TestOrigin.Response)
        -> TestOrigin.Handler
    {
        { request in
            if request.head.headers.contains(name: "if-none-match") { return onRevalidation(request) }
            return .text("stored body", headers: [
                ("Cache-Control", "max-age=0, stale-if-error=60"), ("ETag", "\"v1\""), ("X-Version", "1"),
            ])
        }
    }

    @Test("RFC 9111 §4.3.1, §4.3.4: a stale response is validated with If-None-Match and a 304 freshens it")
    func notModifiedFreshens() async throws {
        let handler = Self.validatingOrigin { request in
            // A request marked X-Probe gets a bare 304, so its X-Version can only come from the store.
            let fields = request.head.headers.contains(name: "x-probe") ? [] : [("X-Version", "2")]
            return .init(status: .notModified, headers: [("ETag", "\"v1\""), ("Cache-Control", "max-age=0")] + fields)
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            _ = try await TestClient.exchange(port: larder.port, CachingTests.get("/r"))
            try await larder.server.flushCache()
            let second = try await TestClient.exchange(port: larder.port, CachingTests.get("/r"))
            #expect(second.status == 200)
            #expect(second.text == "stored body")
            #expect(second.header("x-version") == "2", "the 304's fields update the stored ones")
            #expect(second.header("cache-status") == "larder; fwd=stale; fwd-status=304")
            #expect(origin.requests.count == 2)
            #expect(origin.requests.last?.head.headers["if-none-match"] == ["\"v1\""])
            try await larder.server.flushCache()
            let third = try await TestClient.exchange(port: larder.port, CachingTests.get("/r", "X-Probe: 1\r\n"))
            #expect(third.header("cache-status") == "larder; fwd=stale; fwd-status=304")
            #expect(third.header("x-version") == "2", "the freshened fields were stored")
        }
    }

    @Test("RFC 5861 §4: an origin error during validation serves the stored response under stale-if-error")
    func staleIfError() async throws {
        let handler = Self.validatingOrigin { _ in .text("broken", status: .serviceUnavailable) }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { _, larder in
            _ = try await TestClient.exchange(port: larder.port, CachingTests.get("/e"))
            try await larder.server.flushCache()
            let second = try await TestClient.exchange(port: larder.port, CachingTests.get("/e"))
            #expect(second.status == 200)
            #expect(second.text == "stored body")
            #expect(second.header("cache-status") == "larder; fwd=stale; fwd-status=503; detail=stale-if-error")
        }
    }

    @Test("RFC 9111 §4.3.3: a full response to a validation replaces the stored one")
    func fullResponseReplaces() async throws {
        let handler = Self.validatingOrigin { _ in
            .text("new body", headers: [("Cache-Control", "max-age=60"), ("ETag", "\"v2\"")])
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            _ = try await TestClient.exchange(port: larder.port, CachingTests.get("/f"))
            try await larder.server.flushCache()
            let second = try await TestClient.exchange(port: larder.port, CachingTests.get("/f"))
            #expect(second.text == "new body")
            try await larder.server.flushCache()
            let third = try await TestClient.exchange(port: larder.port, CachingTests.get("/f"))
            #expect(third.text == "new body")
            #expect(third.header("cache-status")?.hasPrefix("larder; hit") == true)
            #expect(origin.requests.count == 2)
        }
    }

    @Test("a client's own If-None-Match is forwarded, and the origin's 304 goes back to that client")
    func clientConditionalsForwarded() async throws {
        let handler = Self.validatingOrigin { _ in .init(status: .notModified, headers: [("ETag", "\"v1\"")]) }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { _, larder in
            _ = try await TestClient.exchange(port: larder.port, CachingTests.get("/c"))
            try await larder.server.flushCache()
            let response = try await TestClient.exchange(
                port: larder.port, CachingTests.get("/c", "If-None-Match: \"v1\"\r\n"))
            #expect(response.status == 304)
        }
    }
}

/// Client preconditions and ranges answered from a stored response (RFC 9110 §13–14).
@Suite("Conditionals and ranges from cache", .timeLimit(.minutes(2)))
struct CachedRangeTests {
    static let body = Pattern.bytes(length: 600_000)

    /// Runs `body` with an entry stored for /r (ETag "v1", fresh for a minute).
    static func withStoredEntry(_ body: (TestOrigin, TestLarder) async throws -> Void) async throws {
        let stored = Self.body
        let handler: TestOrigin.Handler = { _ in
            .init(
                headers: [("Cache-Control", "max-age=60"), ("ETag", "\"v1\""), ("Content-Type", "application/x-test")],
                body: .bytes(stored))
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            _ = try await TestClient.exchange(port: larder.port, CachingTests.get("/r"))
            try await larder.server.flushCache()
            try await body(origin, larder)
            #expect(origin.requests.count == 1, "everything after the first request came from the cache")
        }
    }

    @Test("RFC 9110 §13.1.2: If-None-Match matching the stored ETag → 304 from cache")
    func ifNoneMatch() async throws {
        try await Self.withStoredEntry { _, larder in
            let response = try await TestClient.exchange(
                port: larder.port, CachingTests.get("/r", "If-None-Match: \"v1\"\r\n"))
            #expect(response.status == 304)
            #expect(response.header("etag") == "\"v1\"")
            #expect(response.bodyLength == 0)
        }
    }

    @Test("RFC 9110 §13.1.1: If-Match not matching → 412")
    func ifMatchFails() async throws {
        try await Self.withStoredEntry { _, larder in
            let response = try await TestClient.exchange(
                port: larder.port, CachingTests.get("/r", "If-Match: \"other\"\r\n"))
            #expect(response.status == 412)
        }
    }

    @Test("RFC 9110 §14.2: a single range → 206 with Content-Range and exactly those bytes")
    func singleRange() async throws {
        try await Self.withStoredEntry { _, larder in
            let response = try await TestClient.exchange(
                port: larder.port, CachingTests.get("/r", "Range: bytes=262000-262199\r\n"))
            #expect(response.status == 206)
            #expect(response.header("content-range") == "bytes 262000-262199/600000")
            #expect(response.body == Array(Self.body[262000...262199]))
        }
    }

    @Test("RFC 9110 §14.6: several ranges → 206 multipart/byteranges with each part")
    func multipleRanges() async throws {
        try await Self.withStoredEntry { _, larder in
            let response = try await TestClient.exchange(
                port: larder.port, CachingTests.get("/r", "Range: bytes=0-9, -5\r\n"))
            #expect(response.status == 206)
            let contentType = try #require(response.header("content-type"))
            #expect(contentType.hasPrefix("multipart/byteranges; boundary="))
            let boundary = String(contentType.split(separator: "=").last ?? "")
            let text = response.body
            let partType = "Content-Type: application/x-test"
            let expected =
                Array("--\(boundary)\r\n\(partType)\r\nContent-Range: bytes 0-9/600000\r\n\r\n".utf8)
                + Array(Self.body[0..<10])
                + Array("\r\n--\(boundary)\r\n\(partType)\r\nContent-Range: bytes 599995-599999/600000\r\n\r\n".utf8)
                + Array(Self.body[599_995...]) + Array("\r\n--\(boundary)--\r\n".utf8)
            #expect(text == expected)
            #expect(response.header("content-length") == String(expected.count))
        }
    }

    @Test("RFC 9110 §14.2: a range beyond the end → 416 with bytes */length")
    func unsatisfiable() async throws {
        try await Self.withStoredEntry { _, larder in
            let response = try await TestClient.exchange(
                port: larder.port, CachingTests.get("/r", "Range: bytes=700000-\r\n"))
            #expect(response.status == 416)
            #expect(response.header("content-range") == "bytes */600000")
        }
    }

    @Test("RFC 9110 §13.1.5: If-Range that does not match → the whole representation")
    func ifRangeMismatch() async throws {
        try await Self.withStoredEntry { _, larder in
            let response = try await TestClient.exchange(
                port: larder.port, CachingTests.get("/r", "Range: bytes=0-9\r\nIf-Range: \"v0\"\r\n"))
            #expect(response.status == 200)
            #expect(response.bodyLength == Self.body.count)
        }
    }
}

@Suite("Cache configuration through the pipeline", .timeLimit(.minutes(2)))
struct CacheConfigurationTests {
    @Test("RFC 9213: in reverse mode CDN-Cache-Control governs the cache and is not forwarded downstream")
    func targetedField() async throws {
        let handler: TestOrigin.Handler = { _ in
            .text("cdn", headers: [("CDN-Cache-Control", "max-age=60"), ("Cache-Control", "no-store")])
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            let first = try await TestClient.exchange(port: larder.port, CachingTests.get("/t"))
            #expect(first.header("cdn-cache-control") == nil)
            #expect(first.header("cache-control") == "no-store", "the browser-facing field is left alone")
            try await larder.server.flushCache()
            let second = try await TestClient.exchange(port: larder.port, CachingTests.get("/t"))
            #expect(second.header("cache-status")?.hasPrefix("larder; hit") == true)
            #expect(second.header("cdn-cache-control") == nil)
            #expect(origin.requests.count == 1)
        }
    }

    @Test("ignored query parameters do not split the cache key")
    func ignoredQueryParameters() async throws {
        let handler: TestOrigin.Handler = { _ in .text("q", headers: [("Cache-Control", "max-age=60")]) }
        try await withOriginAndLarder(
            mode: .reverse, origin: handler, configure: { $0.cacheIgnoredQueryParameters = ["utm_*", "fbclid"] }
        ) { origin, larder in
            _ = try await TestClient.exchange(port: larder.port, CachingTests.get("/q?a=1&utm_source=x"))
            try await larder.server.flushCache()
            let second = try await TestClient.exchange(port: larder.port, CachingTests.get("/q?fbclid=7&a=1"))
            #expect(second.header("cache-status")?.hasPrefix("larder; hit") == true)
            let other = try await TestClient.exchange(port: larder.port, CachingTests.get("/q?a=2"))
            #expect(other.header("cache-status")?.hasPrefix("larder; fwd=uri-miss") == true)
            #expect(origin.requests.count == 2)
        }
    }

    @Test("a default TTL makes cacheable-by-default responses without freshness fresh")
    func defaultTTL() async throws {
        try await withOriginAndLarder(mode: .reverse, configure: { $0.cacheDefaultTTL = 60 }) { origin, larder in
            _ = try await TestClient.exchange(port: larder.port, CachingTests.get("/d"))
            try await larder.server.flushCache()
            let second = try await TestClient.exchange(port: larder.port, CachingTests.get("/d"))
            #expect(second.header("cache-status")?.hasPrefix("larder; hit") == true)
            #expect(origin.requests.count == 1)
        }
    }

    @Test("bodies over the maximum object size pass through uncached")
    func maxObjectSize() async throws {
        let handler: TestOrigin.Handler = { _ in
            .init(headers: [("Cache-Control", "max-age=60")], body: .pattern(length: 300_000))
        }
        try await withOriginAndLarder(
            mode: .reverse, origin: handler, configure: { $0.cacheMaxObjectSize = 100_000 }
        ) { origin, larder in
            let first = try await TestClient.exchange(port: larder.port, CachingTests.get("/big"))
            #expect(first.bodyDigest == Pattern.digest(length: 300_000))
            try await larder.server.flushCache()
            _ = try await TestClient.exchange(port: larder.port, CachingTests.get("/big"))
            #expect(origin.requests.count == 2)
        }
    }
}

@Suite("stale-while-revalidate", .timeLimit(.minutes(2)))
struct StaleWhileRevalidateTests {
    @Test("RFC 5861 §3: a stale response inside its window is served at once and revalidated in the background")
    func servesStaleAndRefreshes() async throws {
        let handler: TestOrigin.Handler = { request in
            if request.head.headers.contains(name: "if-none-match") {
                return .init(status: .notModified, headers: [
                    ("ETag", "\"v1\""), ("X-Version", "2"), ("Cache-Control", "max-age=0, stale-while-revalidate=60"),
                ])
            }
            return .text("stored body", headers: [
                ("Cache-Control", "max-age=0, stale-while-revalidate=60"), ("ETag", "\"v1\""), ("X-Version", "1"),
            ])
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            _ = try await TestClient.exchange(port: larder.port, CachingTests.get("/s"))
            try await larder.server.flushCache()
            let stale = try await TestClient.exchange(port: larder.port, CachingTests.get("/s"))
            #expect(stale.text == "stored body")
            #expect(stale.header("x-version") == "1", "served from the store without waiting for the origin")
            #expect(stale.header("cache-status")?.contains("hit") == true)
            #expect(stale.header("cache-status")?.contains("detail=stale-while-revalidate") == true)

            // The refresh runs on its own; wait (bounded) until the store has the freshened fields.
            var refreshed = false
            for _ in 0..<200 where !refreshed {
                try await larder.server.flushCache()
                let next = try await TestClient.exchange(port: larder.port, CachingTests.get("/s"))
                refreshed = next.header("x-version") == "2"
                if !refreshed { try await Task.sleep(nanoseconds: 10_000_000) }
            }
            #expect(refreshed, "the background revalidation's 304 reached the store")
            #expect(origin.requests.dropFirst().allSatisfy { $0.head.headers["if-none-match"] == ["\"v1\""] })
        }
    }
}

@Suite("Cache-Status on every forwarded response")
struct CacheStatusEverywhereTests {
    @Test(
        "RFC 9211: requests the cache cannot answer say why",
        arguments: [("POST", "larder; fwd=method; fwd-status=200"), ("HEAD", "larder; fwd=uri-miss; fwd-status=200")]
    )
    func reasons(method: String, expected: String) async throws {
        try await withOriginAndLarder(mode: .reverse) { _, larder in
            let response = try await TestClient.exchange(
                port: larder.port, "\(method) /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
                headRequest: method == "HEAD")
            #expect(response.header("cache-status") == expected)
        }
    }
}
