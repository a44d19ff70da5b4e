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
            #expect(second.body == body)
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
            let response = try await TestClient.exchange(port: larder.port, Self.get("/n", "Cache-Control: no-cache\r\n"))
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
