import NIOHTTP1
import Proxy
import TestSupport
import Testing

/// RFC 9110 §13–14: a client's preconditions and ranges answered from a stored response. Covered elsewhere
/// (`CachedRangeTests`): If-None-Match → 304, a failing If-Match → 412, one range, two ranges as
/// multipart/byteranges, an unsatisfiable range → 416, a non-matching If-Range → 200.
@Suite("Conformance: client conditionals and ranges from cache (RFC 9110 §13–14)", .timeLimit(.minutes(2)))
struct ClientConditionalsConformanceTests {
    static let body = "0123456789abcdefghij"

    /// Stores /r (20 bytes, fresh for a minute, with `validators`), then runs `check` with the origin asked once.
    static func withStored(
        _ validators: [(String, String)] = [("ETag", "\"v1\""), ("Last-Modified", "@-1000"), ("Date", "@+0")],
        _ check: (Conformance) async throws -> Void
    ) async throws {
        try await Conformance.run(responses: [ok([("Cache-Control", "max-age=60")] + validators, Self.body)]) { s in
            _ = try await s.get()
            try await check(s)
            #expect(s.requests.count == 1, "every later answer came from the cache")
        }
    }

    @Test("RFC 9110 §13.1.3: If-Modified-Since not earlier than Last-Modified → 304 from cache, without content")
    func ifModifiedSince() async throws {
        try await Self.withStored { s in
            let response = try await s.get("/r", [("If-Modified-Since", "@-1000")])
            #expect(response.status == 304)
            #expect(response.bodyLength == 0)
            #expect(response.header("etag") == "\"v1\"")
            #expect(response.header("age") != nil)
            let older = try await s.get("/r", [("If-Modified-Since", "@-2000")])
            #expect(older.status == 200)
            #expect(older.text == Self.body)
        }
    }

    @Test("RFC 9110 §13.1.2: If-None-Match uses the weak comparison, and * matches any stored representation")
    func ifNoneMatchWeakAndStar() async throws {
        try await Self.withStored([("ETag", "W/\"v1\"")]) { s async throws in
            #expect(try await s.get("/r", [("If-None-Match", "\"v1\"")]).status == 304)
            #expect(try await s.get("/r", [("If-None-Match", "\"x\", W/\"v1\"")]).status == 304)
            #expect(try await s.get("/r", [("If-None-Match", "*")]).status == 304)
            #expect(try await s.get("/r", [("If-None-Match", "\"v2\"")]).status == 200)
        }
    }

    @Test("RFC 9110 §13.1.4: If-Unmodified-Since earlier than Last-Modified → 412")
    func ifUnmodifiedSince() async throws {
        try await Self.withStored { s async throws in
            #expect(try await s.get("/r", [("If-Unmodified-Since", "@-2000")]).status == 412)
            #expect(try await s.get("/r", [("If-Unmodified-Since", "@-500")]).status == 200)
        }
    }

    @Test("RFC 9110 §13.1.5: If-Range with the stored strong ETag → 206")
    func ifRangeEntityTag() async throws {
        try await Self.withStored { s in
            let response = try await s.get("/r", [("Range", "bytes=10-14"), ("If-Range", "\"v1\"")])
            #expect(response.status == 206)
            #expect(response.header("content-range") == "bytes 10-14/20")
            #expect(response.text == "abcde")
        }
    }

    @Test("RFC 9110 §13.1.5: If-Range with a date equal to a strong Last-Modified → 206; a weak ETag never matches")
    func ifRangeDateAndWeak() async throws {
        try await Self.withStored { s in
            let dated = try await s.get("/r", [("Range", "bytes=0-1"), ("If-Range", "@-1000")])
            #expect(dated.status == 206)
            #expect(dated.text == "01")
        }
        try await Self.withStored([("ETag", "W/\"v1\"")]) { s in
            let weak = try await s.get("/r", [("Range", "bytes=0-1"), ("If-Range", "W/\"v1\"")])
            #expect(weak.status == 200)
            #expect(weak.text == Self.body)
        }
    }

    @Test("RFC 9110 §14.6: overlapping and adjacent ranges are coalesced into one part")
    func coalescedRanges() async throws {
        try await Self.withStored { s in
            let response = try await s.get("/r", [("Range", "bytes=5-9, 0-4, 8-12")])
            #expect(response.status == 206)
            #expect(response.header("content-range") == "bytes 0-12/20")
            #expect(response.text == "0123456789abc")
        }
    }

    @Test("RFC 9110 §14.1.1: a suffix range longer than the representation selects all of it")
    func longSuffix() async throws {
        try await Self.withStored { s in
            let response = try await s.get("/r", [("Range", "bytes=-1000")])
            #expect(response.status == 206)
            #expect(response.header("content-range") == "bytes 0-19/20")
            #expect(response.text == Self.body)
        }
    }

    @Test("RFC 9110 §14.2: a Range with an unknown unit or bad syntax is ignored: 200 with everything",
          arguments: ["items=0-1", "bytes=5-1", "bytes=abc"])
    func ignoredRange(range: String) async throws {
        try await Self.withStored { s in
            let response = try await s.get("/r", [("Range", range)])
            #expect(response.status == 200)
            #expect(response.text == Self.body)
        }
    }

    @Test("RFC 9110 §14.2: more ranges than Larder serves (16) → the whole representation")
    func tooManyRanges() async throws {
        try await Self.withStored { s in
            let ranges = (0..<17).map { "\($0)-\($0)" }.joined(separator: ",")
            let response = try await s.get("/r", [("Range", "bytes=\(ranges)")])
            #expect(response.status == 200)
            #expect(response.text == Self.body)
        }
    }
}
