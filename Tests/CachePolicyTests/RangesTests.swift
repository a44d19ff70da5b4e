import CachePolicy
import NIOHTTP1
import Testing

@Suite("Ranges from stored responses (RFC 9110 §14, §13.1.5)")
struct RangesTests {
    @Test(
        "§14.1.1: parsing Range: bytes=…",
        arguments: [
            ("bytes=0-499", [RangeSpec.positions(first: 0, last: 499)]),
            ("bytes=0-0,-1", [.positions(first: 0, last: 0), .suffix(length: 1)]),
            ("bytes=1-2, 4-", [.positions(first: 1, last: 2), .positions(first: 4, last: nil)]),
            ("BYTES=1-2", [.positions(first: 1, last: 2)]),
            ("bytes=-5", [.suffix(length: 5)]),
            ("bytes=0-99999999999999999999999", [.positions(first: 0, last: .max)]),
            ("bytes=0-1,,2-3", [.positions(first: 0, last: 1), .positions(first: 2, last: 3)]),
        ] as [(String, [RangeSpec])]
    )
    func parses(value: String, expected: [RangeSpec]) {
        #expect(Ranges.parse(value) == expected)
    }

    @Test(
        "§14.1.1: invalid Range values are ignored",
        arguments: [
            "items=0-1", "bytes=5-1", "bytes=abc", "bytes=", "bytes=1 - 2", "bytes=-", "bytes=--1", "bytes=1-2-3",
            "bytes 0-1", "bytes=0-1;x", "=0-1", "bytes=+1-2",
        ]
    )
    func rejects(value: String) {
        #expect(Ranges.parse(value) == nil)
    }

    static let body = stored([
        ("ETag", "\"x\""), ("Last-Modified", "@-100"), ("Date", "@+0"), ("Content-Type", "text/plain"),
    ])

    /// `.single` for `first...last` of the 11-byte body.
    static func single(_ first: Int64, _ last: Int64) -> RangePlan {
        .single(ByteRange(first: first, last: last), contentRange: "bytes \(first)-\(last)/11")
    }

    /// `.multipart` with boundary `B`.
    static func multipart(_ ranges: (Int64, Int64)...) -> RangePlan {
        .multipart(ranges.map { ByteRange(first: $0.0, last: $0.1) }, boundary: "B")
    }

    @Test(
        "§14.2: the plan for a stored 200 of 11 bytes",
        arguments: [
            ([], RangePlan.full),
            ([("Range", "bytes=0-1")], single(0, 1)),
            ([("Range", "bytes=1-")], single(1, 10)),
            ([("Range", "bytes=-1")], single(10, 10)),
            ([("Range", "bytes=-100")], single(0, 10)),
            ([("Range", "bytes=0-100")], single(0, 10)),
            ([("Range", "bytes=20-30")], .unsatisfiable(contentRange: "bytes */11")),
            ([("Range", "bytes=11-")], .unsatisfiable(contentRange: "bytes */11")),
            ([("Range", "bytes=-0")], .unsatisfiable(contentRange: "bytes */11")),
            ([("Range", "bytes=0-1,20-30")], single(0, 1)),
            ([("Range", "bytes=0-1,5-6")], multipart((0, 1), (5, 6))),
            ([("Range", "bytes=5-6,0-1")], multipart((0, 1), (5, 6))),
            ([("Range", "bytes=0-3,2-5")], single(0, 5)),
            ([("Range", "bytes=0-1,2-3")], single(0, 3)),
            ([("Range", "bytes=-3,0-1")], multipart((0, 1), (8, 10))),
            ([("Range", "bytes=5-1")], .full),
            ([("Range", "bytes=0-1"), ("Range", "bytes=3-4")], .full),
            ([("Range", "bytes=" + Array(repeating: "0-0", count: 17).joined(separator: ","))], .full),
            ([("Range", "bytes=" + Array(repeating: "0-0", count: 16).joined(separator: ","))], single(0, 0)),
            ([("Range", "bytes=0-1"), ("If-Range", "\"x\"")], single(0, 1)),
            ([("Range", "bytes=0-1"), ("If-Range", "\"y\"")], .full),
            ([("Range", "bytes=0-1"), ("If-Range", "W/\"x\"")], .full),
            ([("Range", "bytes=0-1"), ("If-Range", "@-100")], single(0, 1)),
            ([("Range", "bytes=0-1"), ("If-Range", "@-99")], .full),
            ([("Range", "bytes=0-1"), ("If-Range", "garbage")], .full),
        ] as [([(String, String)], RangePlan)]
    )
    func plans(pairs: [(String, String)], expected: RangePlan) {
        let plan = Ranges.plan(
            request: request(.GET, pairs), stored: Self.body, completeLength: 11, boundary: "B",
            configuration: PolicyConfiguration())
        #expect(plan == expected)
    }

    @Test(
        "§14.2: ranges apply only to GET, to a stored 200, to a non-empty representation",
        arguments: [
            (HTTPMethod.HEAD, HTTPResponseStatus.ok, Int64(11)), (.POST, .ok, 11), (.GET, .notFound, 11),
            (.GET, .ok, 0),
        ] as [(HTTPMethod, HTTPResponseStatus, Int64)]
    )
    func ignored(method: HTTPMethod, status: HTTPResponseStatus, length: Int64) {
        var storedResponse = Self.body
        storedResponse.status = status
        let plan = Ranges.plan(
            request: request(method, [("Range", "bytes=0-1")]), stored: storedResponse, completeLength: length,
            boundary: "B", configuration: PolicyConfiguration())
        #expect(plan == .full)
    }

    @Test(
        "§13.1.5, §8.8.2.2: an If-Range date needs a strong Last-Modified (one second before Date)",
        arguments: [("@-100", "@+0", true), ("@-1", "@+0", true), ("@+0", "@+0", false)]
    )
    func ifRangeDate(lastModified: String, date: String, matches: Bool) {
        let response = stored([("Last-Modified", lastModified), ("Date", date)])
        #expect(Ranges.ifRangeMatches(relativeDate(lastModified)!, stored: response) == matches)
    }

    @Test("§14.6: multipart/byteranges framing and exact length")
    func multipartFraming() {
        let ranges = [ByteRange(first: 0, last: 1), ByteRange(first: 5, last: 6)]
        func part(_ index: Int) -> String {
            Ranges.partHeader(
                ranges[index], completeLength: 11, contentType: "text/plain", boundary: "B", isFirst: index == 0)
        }
        let (first, second) = (part(0), part(1))
        #expect(first == "--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/11\r\n\r\n")
        #expect(second == "\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 5-6/11\r\n\r\n")
        #expect(Ranges.multipartTrailer(boundary: "B") == "\r\n--B--\r\n")
        #expect(Ranges.multipartContentType(boundary: "B") == "multipart/byteranges; boundary=B")
        let body = first + "01" + second + "56" + Ranges.multipartTrailer(boundary: "B")
        #expect(
            Ranges.multipartLength(ranges, completeLength: 11, contentType: "text/plain", boundary: "B")
                == Int64(body.utf8.count))
        let noType = Ranges.partHeader(ranges[0], completeLength: 11, contentType: nil, boundary: "B", isFirst: true)
        #expect(noType == "--B\r\nContent-Range: bytes 0-1/11\r\n\r\n")
    }
}
