import NIOHTTP1
import Proxy
import TestSupport
import Testing

/// A plain hit is written from the stored response's pre-serialised head, with the body in the same buffer
/// when it is small; the encoder must frame every other response on the same connection as before.
@Suite("Hits from a serialised head", .timeLimit(.minutes(2)))
struct SerializedHitTests {
    static func get(_ path: String) -> String {
        "GET \(path) HTTP/1.1\r\nHost: www.example.com\r\n\r\n"
    }

    @Test("a hit carries the stored fields once, Larder's own fields once, and the exact body", arguments: [
        0, 1, 16 * 1024, 16 * 1024 + 1, 300_000,
    ])
    func plainHit(length: Int) async throws {
        let body = Pattern.bytes(length: length)
        let handler: TestOrigin.Handler = { _ in
            .init(headers: [("Cache-Control", "max-age=60"), ("ETag", "\"v1\""), ("Age", "5"),
                            ("Cache-Status", "upstream; hit"), ("X-Kept", "a"), ("X-Kept", "b")],
                  body: .bytes(body))
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            _ = try await TestClient.exchange(port: larder.port, Self.get("/h"))
            try await larder.server.flushCache()
            let hit = try await TestClient.exchange(port: larder.port, Self.get("/h"))
            #expect(origin.requests.count == 1)
            #expect(hit.status == 200)
            #expect(firstDifference(hit.body, body) == nil)
            #expect(hit.headers("content-length") == [String(length)])
            #expect(hit.headers("age").count == 1)
            #expect(Int(hit.header("age") ?? "") ?? 0 >= 5, "the origin's Age counts (RFC 9111 §4.2.3)")
            #expect(hit.headers("etag") == ["\"v1\""])
            #expect(hit.headers("x-kept") == ["a", "b"])
            #expect(hit.headers("via") == ["1.1 larder"])
            let status = hit.headers("cache-status")
            #expect(status.count == 1)
            #expect(status.first?.hasPrefix("upstream; hit, larder; hit; ttl=") == true)
        }
    }

    @Test("a chunked response, then a hit, then a chunked response on one connection are each framed right")
    func framingAcrossResponses() async throws {
        let stored = Pattern.bytes(length: 2_000)
        let handler: TestOrigin.Handler = { request in
            request.head.uri == "/stored"
                ? .init(headers: [("Cache-Control", "max-age=60")], body: .bytes(stored))
                : .init(
                    headers: [("Cache-Control", "no-store")], body: .bytes(Array("streamed".utf8)), framing: .chunked)
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            _ = try await TestClient.exchange(port: larder.port, Self.get("/stored"))
            try await larder.server.flushCache()
            let responses = try await TestClient.withConnection(port: larder.port) { connection in
                var responses: [TestClient.Response] = []
                for path in ["/chunked", "/stored", "/chunked", "/stored"] {
                    try await connection.send(Self.get(path))
                    responses.append(try await connection.readResponse())
                }
                return responses
            }
            #expect(responses.map(\.status) == [200, 200, 200, 200])
            #expect(responses.map(\.complete) == [true, true, true, true])
            #expect(responses[0].text == "streamed" && responses[2].text == "streamed")
            #expect(responses[0].header("transfer-encoding") == "chunked")
            #expect(responses[1].body == stored && responses[3].body == stored)
            #expect(responses[1].header("cache-status")?.hasPrefix("larder; hit") == true)
            #expect(origin.requests.count == 3)
        }
    }

    @Test("HEAD, a conditional and a range are answered from the stored entry with their own framing")
    func otherAnswers() async throws {
        let body = Pattern.bytes(length: 5_000)
        let handler: TestOrigin.Handler = { _ in
            .init(headers: [("Cache-Control", "max-age=60"), ("ETag", "\"e\"")], body: .bytes(body))
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            _ = try await TestClient.exchange(port: larder.port, Self.get("/o"))
            try await larder.server.flushCache()
            let head = try await TestClient.exchange(
                port: larder.port, "HEAD /o HTTP/1.1\r\nHost: www.example.com\r\n\r\n", headRequest: true)
            #expect(head.status == 200 && head.body.isEmpty)
            #expect(head.header("content-length") == "5000")
            let notModified = try await TestClient.exchange(
                port: larder.port, "GET /o HTTP/1.1\r\nHost: www.example.com\r\nIf-None-Match: \"e\"\r\n\r\n")
            #expect(notModified.status == 304 && notModified.body.isEmpty)
            let range = try await TestClient.exchange(
                port: larder.port, "GET /o HTTP/1.1\r\nHost: www.example.com\r\nRange: bytes=10-19\r\n\r\n")
            #expect(range.status == 206)
            #expect(range.body == Array(body[10..<20]))
            #expect(origin.requests.count == 1)
        }
    }
}
