import NIOCore
import Proxy
import Upstream
import TestSupport
import Testing

/// RFC 9112 strictness: every malformed request is answered with its status, the connection is
/// closed, and not a byte reaches the origin.
@Suite("Strict request validation", .timeLimit(.minutes(2)))
struct RequestValidationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var status: Int
        /// The request; `{origin}` is replaced by the origin's URL and `{host}` by its authority.
        var raw: String
        var testDescription: String { self.name }
    }

    static let longTarget = "/" + String(repeating: "a", count: 8 * 1024 + 10)
    static let bigField = "X-Big: " + String(repeating: "b", count: 16 * 1024) + "\r\n"
    static let manyFields = (1...101).map { "X-F\($0): v\r\n" }.joined()

    static let cases: [Case] = [
        Case(name: "duplicate Content-Length", status: 400,
             raw: "POST {origin}/ HTTP/1.1\r\nHost: {host}\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"),
        Case(name: "conflicting Content-Length", status: 400,
             raw: "POST {origin}/ HTTP/1.1\r\nHost: {host}\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
        Case(name: "Content-Length list", status: 400,
             raw: "POST {origin}/ HTTP/1.1\r\nHost: {host}\r\nContent-Length: 3, 3\r\n\r\nabc"),
        Case(name: "Transfer-Encoding with Content-Length", status: 400,
             raw: "POST {origin}/ HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
                + "3\r\nabc\r\n0\r\n\r\n"),
        Case(name: "chunked on HTTP/1.0", status: 400,
             raw: "POST {origin}/ HTTP/1.0\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
        Case(name: "unknown transfer coding", status: 400,
             raw: "POST {origin}/ HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: gzip\r\n\r\n"),
        Case(name: "missing Host", status: 400, raw: "GET {origin}/ HTTP/1.1\r\n\r\n"),
        Case(name: "duplicate Host", status: 400,
             raw: "GET {origin}/ HTTP/1.1\r\nHost: {host}\r\nHost: {host}\r\n\r\n"),
        Case(name: "absolute-form authority differs from Host", status: 400,
             raw: "GET {origin}/ HTTP/1.1\r\nHost: other.example\r\n\r\n"),
        Case(name: "bad chunk size", status: 400,
             raw: "POST {origin}/ HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "zz\r\nabc\r\n0\r\n\r\n"),
        Case(name: "chunk size overflow", status: 400,
             raw: "POST {origin}/ HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n"),
        Case(name: "oversized chunk extension", status: 400,
             raw: "POST {origin}/ HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n3;"
                + String(repeating: "e", count: 2000) + "\r\nabc\r\n0\r\n\r\n"),
        Case(name: "chunk data without CRLF", status: 400,
             raw: "POST {origin}/ HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX0\r\n\r\n"),
        Case(name: "bare LF line ending", status: 400, raw: "GET {origin}/ HTTP/1.1\nHost: {host}\n\n"),
        Case(name: "obsolete line folding", status: 400,
             raw: "GET {origin}/ HTTP/1.1\r\nHost: {host}\r\nX-A: 1\r\n  folded\r\n\r\n"),
        Case(name: "whitespace before colon", status: 400, raw: "GET {origin}/ HTTP/1.1\r\nHost : {host}\r\n\r\n"),
        Case(name: "control character in value", status: 400,
             raw: "GET {origin}/ HTTP/1.1\r\nHost: {host}\r\nX-A: a\u{01}b\r\n\r\n"),
        Case(name: "malformed request line", status: 400, raw: "GET  {origin}/ HTTP/1.1\r\nHost: {host}\r\n\r\n"),
        Case(name: "unsupported HTTP version", status: 505, raw: "GET {origin}/ HTTP/2.0\r\nHost: {host}\r\n\r\n"),
        Case(name: "request line without a version", status: 400, raw: "GET {origin}/\r\nHost: {host}\r\n\r\n"),
        Case(name: "lowercase HTTP version", status: 400, raw: "GET {origin}/ http/1.1\r\nHost: {host}\r\n\r\n"),
        Case(name: "space after the version", status: 400, raw: "GET {origin}/ HTTP/1.1 \r\nHost: {host}\r\n\r\n"),
        Case(name: "separator in the method", status: 400, raw: "GE(T {origin}/ HTTP/1.1\r\nHost: {host}\r\n\r\n"),
        Case(name: "request line over 8 KiB", status: 414,
             raw: "GET {origin}\(longTarget) HTTP/1.1\r\nHost: {host}\r\n\r\n"),
        Case(name: "header fields over 16 KiB", status: 431,
             raw: "GET {origin}/ HTTP/1.1\r\nHost: {host}\r\n\(bigField)\r\n"),
        Case(name: "more than 100 header fields", status: 431,
             raw: "GET {origin}/ HTTP/1.1\r\nHost: {host}\r\n\(manyFields)\r\n"),
        Case(name: "body over the limit by Content-Length", status: 413,
             raw: "POST {origin}/ HTTP/1.1\r\nHost: {host}\r\nContent-Length: 2000\r\n\r\n"),
        Case(name: "chunked body over the limit", status: 413,
             raw: "POST {origin}/ HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n"),
        Case(name: "origin-form target to a forward proxy", status: 400, raw: "GET / HTTP/1.1\r\nHost: {host}\r\n\r\n"),
        Case(name: "https target without CONNECT", status: 501,
             raw: "GET https://{host}/ HTTP/1.1\r\nHost: {host}\r\n\r\n"),
    ]

    @Test("malformed requests are refused and never reach the origin", arguments: cases)
    func refused(_ testCase: Case) async throws {
        try await withOriginAndLarder(configure: { $0.limits.maxBodyBytes = 1000 }) { origin, larder in
            let raw = testCase.raw
                .replacingOccurrences(of: "{origin}", with: origin.url)
                .replacingOccurrences(of: "{host}", with: "127.0.0.1:\(origin.port)")
            let (response, closed) = try await TestClient.withConnection(port: larder.port) { connection in
                try await connection.send(raw)
                let response = try await connection.readResponse()
                return (response, try await connection.waitForClose())
            }
            #expect(response.status == testCase.status, "\(response.text)")
            #expect(response.header("connection") == "close")
            #expect(closed)
            #expect(origin.bytesReceived == 0)
        }
    }

    @Test("a request head that does not arrive in time gets 408")
    func headerReadTimeout() async throws {
        try await withOriginAndLarder(configure: { $0.headerReadTimeout = .milliseconds(200) }) { origin, larder in
            let response = try await TestClient.withConnection(port: larder.port) { connection in
                try await connection.send("GET \(origin.url)/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                return try await connection.readResponse()
            }
            #expect(response.status == 408)
            #expect(origin.bytesReceived == 0)
        }
    }

    @Test("an idle keep-alive connection is closed after the idle timeout")
    func idleTimeout() async throws {
        try await withOriginAndLarder(configure: { $0.keepAliveTimeout = .milliseconds(200) }) { _, larder in
            let closed = try await TestClient.withConnection(port: larder.port) { connection in
                try await connection.waitForClose()
            }
            #expect(closed)
        }
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        self.split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
