import CacheStore
import NIOCore
import NIOHTTP1
import Proxy
import TestSupport
import Testing

/// The admin listener against a real Larder and a real origin: counters match the traffic sent,
/// purge takes effect for the next request, the token guards data, `/metrics` is Prometheus text.
@Suite("Admin API", .timeLimit(.minutes(2)))
struct AdminAPITests {
    static func get(_ path: String, _ extra: String = "") -> String {
        "GET \(path) HTTP/1.1\r\nHost: www.example.com\r\n\(extra)\r\n"
    }

    /// An origin whose answers depend on the path: cacheable, not storable, failing, revalidatable.
    static let origin: TestOrigin.Handler = { request in
        let path = request.head.uri
        switch path {
        case "/n": return .text("not stored", headers: [("Cache-Control", "no-store")])
        case "/err": return .text("origin down", status: .serviceUnavailable)
        case "/etag":
            if request.head.headers.first(name: "if-none-match") == "\"v1\"" {
                return .init(status: .notModified, headers: [("ETag", "\"v1\""), ("Cache-Control", "max-age=0")])
            }
            return .text("validated body", headers: [("ETag", "\"v1\""), ("Cache-Control", "max-age=0")])
        case "/swr":
            return .text(
                "stale ok", headers: [("ETag", "\"s\""), ("Cache-Control", "max-age=0, stale-while-revalidate=600")])
        default:
            return .text("body of \(path)", headers: [("Cache-Control", "max-age=600")])
        }
    }

    @Test("/stats counts hits, misses, bypasses, errors and bytes exactly as sent")
    func statsMatchTraffic() async throws {
        try await withOriginAndLarder(mode: .reverse, origin: Self.origin, configure: Admin.enable) { origin, larder in
            let a = try await TestClient.exchange(port: larder.port, Self.get("/a"))
            try await larder.server.flushCache()
            let hit1 = try await TestClient.exchange(port: larder.port, Self.get("/a"))
            let hit2 = try await TestClient.exchange(port: larder.port, Self.get("/a"))
            let n = try await TestClient.exchange(port: larder.port, Self.get("/n"))
            let err = try await TestClient.exchange(port: larder.port, Self.get("/err"))
            let post = try await TestClient.exchange(
                port: larder.port, "POST /form HTTP/1.1\r\nHost: www.example.com\r\nContent-Length: 2\r\n\r\nhi")
            #expect(hit1.header("cache-status")?.contains("hit") == true)
            #expect(hit2.header("cache-status")?.contains("hit") == true)
            #expect(origin.requests.count == 4)

            let stats = try await Admin.stats(larder, waitingFor: 6)
            #expect(stats["source"]?.stringValue == "server")
            #expect(stats["requests"]?.intValue == 6)
            #expect(stats["hits"]?.intValue == 2)
            #expect(stats["misses"]?.intValue == 3)
            #expect(stats["bypassed"]?.intValue == 1)
            #expect(stats["errors"]?.intValue == 1)
            #expect(stats["stale_served"]?.intValue == 0)
            #expect(stats["revalidated"]?.intValue == 0)
            #expect(stats["coalesced"]?.intValue == 0)
            #expect(stats["bytes_from_cache"]?.intValue == Int64(hit1.body.count + hit2.body.count))
            let fromOrigin = a.body.count + n.body.count + err.body.count + post.body.count
            #expect(stats["bytes_from_origin"]?.intValue == Int64(fromOrigin))
            #expect(stats["hit_ratio"]?.doubleValue == 0.4)
            #expect(stats["store"]?["objects"]?.intValue == 1)
            #expect(stats["store"]?["variants"]?.intValue == 1)
            #expect(stats["store"]?["bytes_budget"]?.intValue == larder.server.configuration.cacheSize)
            #expect(stats["fills_in_flight"]?.arrayValue == [])
            let topURL = stats["top_urls_by_hits"]?.arrayValue?.first
            #expect(topURL?["key"]?.stringValue == "http://www.example.com/a")
            #expect(topURL?["hits"]?.intValue == 2)
            #expect(stats["top_hosts_by_hits"]?.arrayValue?.first?["key"]?.stringValue == "www.example.com")
        }
    }

    @Test("a 304 freshening counts as revalidated, a stale-while-revalidate answer as stale served")
    func revalidatedAndStale() async throws {
        try await withOriginAndLarder(mode: .reverse, origin: Self.origin, configure: Admin.enable) { origin, larder in
            _ = try await TestClient.exchange(port: larder.port, Self.get("/etag"))
            _ = try await TestClient.exchange(port: larder.port, Self.get("/swr"))
            try await larder.server.flushCache()
            let revalidated = try await TestClient.exchange(port: larder.port, Self.get("/etag"))
            #expect(revalidated.header("cache-status")?.contains("fwd-status=304") == true)
            #expect(revalidated.text == "validated body")
            let stale = try await TestClient.exchange(port: larder.port, Self.get("/swr"))
            #expect(stale.header("cache-status")?.contains("hit") == true)
            let stats = try await Admin.stats(larder, waitingFor: 4)
            #expect(stats["revalidated"]?.intValue == 1)
            #expect(stats["stale_served"]?.intValue == 1)
            #expect(stats["hits"]?.intValue == 1)
            #expect(stats["misses"]?.intValue == 2)
            let fromCache = Int64(revalidated.body.count + stale.body.count)
            #expect(stats["bytes_from_cache"]?.intValue == fromCache)
            _ = origin
        }
    }

    @Test("/metrics is Prometheus text whose counters match /stats")
    func metricsParse() async throws {
        try await withOriginAndLarder(mode: .reverse, origin: Self.origin, configure: Admin.enable) { _, larder in
            _ = try await TestClient.exchange(port: larder.port, Self.get("/m"))
            try await larder.server.flushCache()
            _ = try await TestClient.exchange(port: larder.port, Self.get("/m"))
            _ = try await Admin.stats(larder, waitingFor: 2)
            let response = try await Admin.request(larder, "GET /metrics")
            #expect(response.status == 200)
            #expect(response.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
            let samples = try PrometheusText.parse(response.text)
            #expect(samples["larder_requests_total{outcome=\"hit\"}"] == 1)
            #expect(samples["larder_requests_total{outcome=\"miss\"}"] == 1)
            #expect(samples["larder_store_objects"] == 1)
            #expect(samples["larder_errors_total"] == 0)
            // A second scrape adds only what happened in between.
            _ = try await TestClient.exchange(port: larder.port, Self.get("/m"))
            _ = try await Admin.stats(larder, waitingFor: 3)
            let again = try PrometheusText.parse(try await Admin.request(larder, "GET /metrics").text)
            #expect(again["larder_requests_total{outcome=\"hit\"}"] == 2)
        }
    }

    @Test("purge by URL, prefix, all and the PURGE method takes effect for the next request")
    func purgeTakesEffect() async throws {
        try await withOriginAndLarder(mode: .reverse, origin: Self.origin, configure: Admin.enable) { origin, larder in
            for path in ["/a", "/dir/b", "/dir/c", "/d"] {
                _ = try await TestClient.exchange(port: larder.port, Self.get(path))
            }
            try await larder.server.flushCache()
            #expect(origin.requests.count == 4)

            let one = try await Admin.request(larder, "POST /purge", body: "url=http%3A%2F%2Fwww.example.com%2Fa")
            #expect(one.status == 200)
            #expect(try JSONParser.parse(one.text)["purged"]?.intValue == 1)
            let refetched = try await TestClient.exchange(port: larder.port, Self.get("/a"))
            #expect(refetched.header("cache-status")?.contains("fwd=uri-miss") == true)
            #expect(origin.requests.count == 5)

            let prefix = try await Admin.request(larder, "POST /purge", body: "prefix=http://WWW.example.com/dir/")
            #expect(try JSONParser.parse(prefix.text)["purged"]?.intValue == 2)
            let method = try await Admin.request(larder, "PURGE http://www.example.com/d")
            #expect(try JSONParser.parse(method.text)["purged"]?.intValue == 1)
            for path in ["/dir/b", "/d"] {
                let again = try await TestClient.exchange(port: larder.port, Self.get(path))
                #expect(again.header("cache-status")?.contains("fwd=uri-miss") == true)
            }
            try await larder.server.flushCache()
            let all = try await Admin.request(larder, "POST /purge?all=true")
            #expect(try JSONParser.parse(all.text)["purged"]?.intValue == 3)
            let missing = try await Admin.request(larder, "POST /purge")
            #expect(missing.status == 400)
            let notURL = try await Admin.request(larder, "POST /purge", body: "url=/relative")
            #expect(notURL.status == 400)
        }
    }

    @Test("with a token, data routes answer 401 without it; health probes stay open")
    func bearerToken() async throws {
        let configure: (inout ProxyConfiguration) -> Void = { configuration in
            Admin.enable(&configuration)
            configuration.adminToken = "s3cret"
        }
        try await withOriginAndLarder(mode: .reverse, origin: Self.origin, configure: configure) { _, larder in
            let anonymous = try await Admin.request(larder, "GET /stats")
            #expect(anonymous.status == 401)
            #expect(anonymous.header("www-authenticate")?.hasPrefix("Bearer") == true)
            let wrong = try await Admin.request(larder, "GET /stats", headers: "Authorization: Bearer nope\r\n")
            #expect(wrong.status == 401)
            let right = try await Admin.request(larder, "GET /stats", headers: "Authorization: Bearer s3cret\r\n")
            #expect(right.status == 200)
            let purge = try await Admin.request(larder, "POST /purge?all=true")
            #expect(purge.status == 401)
            #expect(try await Admin.request(larder, "GET /healthz").text == "ok\n")
            #expect(try await Admin.request(larder, "GET /readyz").text == "ready\n")
        }
    }

    @Test("/entries sorts and limits, /inspect explains freshness, unknown routes are 404")
    func entriesAndInspect() async throws {
        let handler: TestOrigin.Handler = { request in
            let size = request.head.uri == "/big" ? 5000 : 10
            return .init(headers: [("Cache-Control", "max-age=600"), ("ETag", "\"e\"")],
                         body: .bytes(Array(repeating: UInt8(ascii: "x"), count: size)))
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler, configure: Admin.enable) { _, larder in
            for path in ["/small", "/big", "/same"] {
                _ = try await TestClient.exchange(port: larder.port, Self.get(path))
            }
            try await larder.server.flushCache()
            _ = try await TestClient.exchange(port: larder.port, Self.get("/same"))
            let bySize = try JSONParser.parse(try await Admin.request(larder, "GET /entries?sort=size&limit=2").text)
            let keys = bySize["entries"]?.arrayValue?.compactMap { $0["key"]?.stringValue }
            #expect(keys == ["http://www.example.com/big", "http://www.example.com/same"])
            let byHits = try JSONParser.parse(try await Admin.request(larder, "GET /entries?sort=hits").text)
            #expect(byHits["entries"]?.arrayValue?.first?["key"]?.stringValue == "http://www.example.com/same")
            #expect(byHits["entries"]?.arrayValue?.first?["hits"]?.intValue == 1)

            let inspected = try await Admin.request(larder, "GET /inspect?url=http://www.example.com/same")
            let entry = try JSONParser.parse(inspected.text)
            let variant = try #require(entry["variants"]?.arrayValue?.first)
            #expect(variant["size"]?.intValue == 10)
            #expect(variant["fresh"]?.boolValue == true)
            #expect(variant["freshness_source"]?.stringValue == "max-age")
            #expect(variant["why"]?.stringValue?.hasPrefix("fresh for") == true)
            #expect(variant["digest"]?.stringValue?.count == 64)
            // The same ten bytes are stored once and shared by both small URLs.
            #expect(variant["body_shared_with"]?.arrayValue == [.string("http://www.example.com/small")])

            #expect(try await Admin.request(larder, "GET /inspect?url=http://www.example.com/none").status == 404)
            #expect(try await Admin.request(larder, "GET /entries?sort=color").status == 400)
            #expect(try await Admin.request(larder, "GET /nope").status == 404)
            #expect(try await Admin.request(larder, "DELETE /stats").status == 405)
        }
    }
}

/// Helpers for talking to a test Larder's admin listener.
enum Admin {
    /// Turns the admin listener on, on an ephemeral loopback port.
    static func enable(_ configuration: inout ProxyConfiguration) {
        configuration.admin = ListenAddress(host: "127.0.0.1", port: 0)
    }

    static func port(_ larder: TestLarder) throws -> Int {
        try #require(larder.server.adminAddress?.port)
    }

    /// Sends `requestLine` (e.g. `GET /stats`) with an optional form body.
    static func request(_ larder: TestLarder, _ requestLine: String, headers: String = "", body: String = "")
        async throws -> TestClient.Response
    {
        var raw = "\(requestLine) HTTP/1.1\r\nHost: admin\r\n\(headers)"
        if !body.isEmpty || requestLine.hasPrefix("POST") {
            raw += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n"
        }
        raw += "\r\n" + body
        let port = try self.port(larder)
        return try await TestClient.exchange(port: port, raw, headRequest: requestLine.hasPrefix("HEAD"))
    }

    /// `/stats`, once the server has counted `requests` finished exchanges (an exchange is counted just
    /// after its last byte is written, so a client can be a moment ahead). Fails after five seconds.
    static func stats(_ larder: TestLarder, waitingFor requests: Int64) async throws -> JSONValue {
        var counted = larder.server.stats.snapshot().requests
        for _ in 0..<500 where counted < UInt64(requests) {
            try await Task.sleep(nanoseconds: 10_000_000)
            counted = larder.server.stats.snapshot().requests
        }
        #expect(counted == UInt64(requests), "the server counted \(counted) requests, the test sent \(requests)")
        let response = try await self.request(larder, "GET /stats")
        #expect(response.status == 200)
        return try JSONParser.parse(response.text)
    }
}

/// A strict reader of the Prometheus text exposition format (0.0.4), enough to check `/metrics`.
enum PrometheusText {
    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    /// Parses every line; returns samples by `name{labels}` (labels as written). Throws on any line that
    /// is not a comment, a `# HELP`/`# TYPE` line or a well-formed sample, and on a sample of a family whose
    /// `# TYPE` did not come first.
    static func parse(_ text: String) throws -> [String: Double] {
        var samples: [String: Double] = [:]
        var typed: Set<String> = []
        for (number, line) in text.split(separator: "\n").enumerated() {
            func fail(_ why: String) -> ParseError { ParseError(description: "line \(number + 1) '\(line)': \(why)") }
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3)
                if parts.count >= 2, parts[1] == "TYPE" {
                    guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]),
                        self.isName(parts[2])
                    else { throw fail("bad TYPE line") }
                    typed.insert(String(parts[2]))
                }
                continue
            }
            guard let space = line.lastIndex(of: " ") else { throw fail("no value") }
            let series = line[..<space]
            guard let value = Double(line[line.index(after: space)...]) else { throw fail("value is not a number") }
            let name = series.prefix { $0 != "{" }
            guard self.isName(name) else { throw fail("bad metric name") }
            if series.count > name.count {
                guard series.hasSuffix("}") else { throw fail("unclosed labels") }
                let labels = series.dropFirst(name.count + 1).dropLast()
                for label in labels.split(separator: ",") {
                    guard let equals = label.firstIndex(of: "="), self.isName(label[..<equals]),
                        label[label.index(after: equals)...].hasPrefix("\""), label.hasSuffix("\"")
                    else { throw fail("bad label '\(label)'") }
                }
            }
            let family = ["_bucket", "_sum", "_count"].reduce(String(name)) { name, suffix in
                name.hasSuffix(suffix) && !typed.contains(name) ? String(name.dropLast(suffix.count)) : name
            }
            guard typed.contains(family) else { throw fail("sample before its # TYPE line") }
            samples[String(series)] = value
        }
        return samples
    }

    static func isName(_ text: Substring) -> Bool {
        guard let first = text.first, first.isLetter || first == "_" || first == ":" else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
    }
}
