import HTTPRules
import NIOHTTP1
import Testing

@Suite("RFC 9112 §6 body framing")
struct BodyFramingTests {
    static func head(_ fields: [(String, String)], version: HTTPVersion = .http1_1) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: .POST, uri: "/", headers: HTTPHeaders(fields))
    }

    @Test(
        "accepted request framings",
        arguments: [
            ([], BodyFraming.none),
            ([("Content-Length", "0")], .none),
            ([("Content-Length", "42")], .length(42)),
            ([("Transfer-Encoding", "chunked")], .chunked),
            ([("Transfer-Encoding", "Chunked")], .chunked),
        ] as [([(String, String)], BodyFraming)]
    )
    func accepted(fields: [(String, String)], expected: BodyFraming) throws {
        #expect(try BodyFraming.ofRequest(Self.head(fields)) == expected)
    }

    @Test(
        "refused request framings (§6.1, §6.3, §8.6)",
        arguments: [
            ([("Content-Length", "5"), ("Content-Length", "5")], 400),
            ([("Content-Length", "5"), ("Content-Length", "6")], 400),
            ([("Content-Length", "5, 5")], 400),
            ([("Content-Length", "-1")], 400),
            ([("Content-Length", "+5")], 400),
            ([("Content-Length", "0x10")], 400),
            ([("Content-Length", "")], 400),
            ([("Content-Length", "1234567890123456789")], 400),
            ([("Transfer-Encoding", "chunked"), ("Content-Length", "5")], 400),
            ([("Transfer-Encoding", "gzip")], 400),
            ([("Transfer-Encoding", "chunked, gzip")], 400),
            ([("Transfer-Encoding", "gzip, chunked")], 501),
            ([("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "chunked")], 501),
        ] as [([(String, String)], Int)]
    )
    func refused(fields: [(String, String)], status: Int) {
        let rejection = #expect(throws: RequestRejection.self) { try BodyFraming.ofRequest(Self.head(fields)) }
        #expect(rejection.map { Int($0.status.code) } == status)
    }

    @Test("chunked on HTTP/1.0 is refused (§6.1)")
    func chunkedOnHTTP10() {
        #expect(throws: RequestRejection.self) {
            try BodyFraming.ofRequest(Self.head([("Transfer-Encoding", "chunked")], version: .http1_0))
        }
    }

    @Test(
        "response framing (§6.3)",
        arguments: [
            (HTTPMethod.GET, 200, [("Content-Length", "10")], BodyFraming.length(10)),
            (.GET, 200, [("Content-Length", "10"), ("Content-Length", "10")], .length(10)),
            (.GET, 200, [("Content-Length", " 10 ,10,, 10\t")], .length(10)),
            (.GET, 200, [("Content-Length", "0")], BodyFraming.none),
            (.GET, 200, [("Transfer-Encoding", "chunked"), ("Content-Length", "10")], .chunked),
            (.GET, 200, [("Transfer-Encoding", "gzip")], .untilClose),
            (.GET, 200, [], .untilClose),
            (.HEAD, 200, [("Content-Length", "10")], BodyFraming.none),
            (.GET, 204, [("Content-Length", "10")], BodyFraming.none),
            (.GET, 304, [("Content-Length", "10")], BodyFraming.none),
            (.CONNECT, 200, [], BodyFraming.none),
        ] as [(HTTPMethod, Int, [(String, String)], BodyFraming)]
    )
    func response(method: HTTPMethod, status: Int, fields: [(String, String)], expected: BodyFraming) {
        let head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: HTTPHeaders(fields))
        #expect(BodyFraming.ofResponse(head, requestMethod: method) == expected)
    }

    @Test("conflicting response Content-Length is unusable")
    func conflictingResponseLength() {
        let head = HTTPResponseHead(
            version: .http1_1, status: .ok, headers: ["Content-Length": "10", "content-length": "11"])
        #expect(BodyFraming.ofResponse(head, requestMethod: .GET) == nil)
    }

    @Test(
        "a response Content-Length list with a member that is not a length is unusable",
        arguments: ["10, 11", "10, ", "10, , 10", "1 0", "+10", "10a", " "]
    )
    func unusableResponseLength(value: String) {
        let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: ["Content-Length": value])
        #expect(BodyFraming.ofResponse(head, requestMethod: .GET) == nil)
    }
}
