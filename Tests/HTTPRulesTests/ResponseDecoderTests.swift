import HTTPRules
import NIOCore
import NIOHTTP1
import Testing

@Suite("RFC 9112 response parsing (the origin side)")
struct ResponseDecoderTests {
    /// What a decoder produced from some bytes, parts flattened for comparison.
    struct Decoded: Equatable {
        var heads: [String] = []
        var framings: [BodyFraming] = []
        var body = ""
        var ends = 0
        var left = 0
    }

    /// Decodes `wire` fed in pieces of `pieceSize` bytes (all at once when nil), as reads would arrive.
    static func decode(
        _ wire: String, pieceSize: Int? = nil, decoder: inout ResponseDecoder
    ) throws(MessageSyntaxError) -> Decoded {
        var decoded = Decoded()
        var pending = ByteBuffer()
        let bytes = Array(wire.utf8)
        let size = pieceSize ?? max(bytes.count, 1)
        var offset = 0
        repeat {
            let piece = bytes[offset..<min(offset + size, bytes.count)]
            offset += size
            pending.writeBytes(piece)
            while let part = try decoder.next(&pending) {
                switch part {
                case .head(let head, let framing):
                    let fields = head.headers.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
                    decoded.heads.append("\(head.version.major).\(head.version.minor) \(head.status.code) [\(fields)]")
                    decoded.framings.append(framing)
                case .body(var part):
                    decoded.body += part.readString(length: part.readableBytes)!
                case .end:
                    decoded.ends += 1
                }
            }
        } while offset < bytes.count
        decoded.left = pending.readableBytes
        return decoded
    }

    static func decode(
        _ wire: String, method: HTTPMethod = .GET, pieceSize: Int? = nil
    ) throws(MessageSyntaxError) -> Decoded {
        var decoder = ResponseDecoder()
        decoder.expectResponse(to: method)
        return try Self.decode(wire, pieceSize: pieceSize, decoder: &decoder)
    }

    /// The error decoding `wire` ends in, if any.
    static func error(decoding wire: String, with decoder: inout ResponseDecoder) -> MessageSyntaxError? {
        do {
            _ = try Self.decode(wire, decoder: &decoder)
            return nil
        } catch {
            return error
        }
    }

    @Test("a response framed by Content-Length, whole or a byte at a time", arguments: [nil, 1, 7] as [Int?])
    func contentLength(pieceSize: Int?) throws {
        let decoded = try Self.decode(
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A : b \r\n\r\nhello", pieceSize: pieceSize)
        #expect(decoded.heads == ["1.1 200 [Content-Length=5,X-A=b]"])
        #expect(decoded.framings == [.length(5)])
        #expect(decoded.body == "hello")
        #expect(decoded.ends == 1)
    }

    @Test("a chunked body with extensions and trailers, whole or a byte at a time", arguments: [nil, 1, 5] as [Int?])
    func chunked(pieceSize: Int?) throws {
        let wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\nA\r\n, chunked!\r\n0\r\nX-Trailer: t\r\n\r\n"
        let decoded = try Self.decode(wire, pieceSize: pieceSize)
        #expect(decoded.framings == [.chunked])
        #expect(decoded.body == "hello, chunked!")
        #expect(decoded.ends == 1)
        #expect(decoded.left == 0)
    }

    @Test("no body: HEAD, 204 and 304 whatever their Content-Length")
    func bodiless() throws {
        let head = try Self.decode("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", method: .HEAD)
        #expect(head.framings == [BodyFraming.none])
        #expect(head.ends == 1)
        for code in [204, 304] {
            let decoded = try Self.decode("HTTP/1.1 \(code) X\r\nContent-Length: 10\r\n\r\n")
            #expect(decoded.framings == [BodyFraming.none])
            #expect(decoded.ends == 1)
        }
    }

    @Test("interim 1xx responses are skipped; the final one is delivered")
    func interim() throws {
        let decoded = try Self.decode(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                + "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
        #expect(decoded.heads == ["1.1 201 [Content-Length=2]"])
        #expect(decoded.body == "ok")
    }

    @Test("a body without length runs until the connection closes")
    func untilClose() throws {
        var decoder = ResponseDecoder()
        decoder.expectResponse(to: .GET)
        let decoded = try Self.decode("HTTP/1.0 200 OK\r\n\r\nsome bytes", decoder: &decoder)
        #expect(decoded.heads == ["1.0 200 []"])
        #expect(decoded.framings == [.untilClose])
        #expect(decoded.body == "some bytes")
        #expect(decoded.ends == 0)
        let complete = decoder.connectionClosed()
        #expect(complete)
        // The response is over: more bytes answer nothing.
        #expect(Self.error(decoding: "x", with: &decoder) == .malformed("data outside a response"))
    }

    @Test("a close before the body's end is a cut-short response")
    func cutShort() throws {
        var decoder = ResponseDecoder()
        decoder.expectResponse(to: .GET)
        let decoded = try Self.decode("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", decoder: &decoder)
        #expect(decoded.body == "abc")
        #expect(decoded.ends == 0)
        let complete = decoder.connectionClosed()
        #expect(!complete)
    }

    @Test("one response per request: the decoder expects another only when told")
    func oneResponsePerRequest() throws {
        var decoder = ResponseDecoder()
        decoder.expectResponse(to: .GET)
        let first = try Self.decode("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na", decoder: &decoder)
        #expect(first.ends == 1)
        let error = Self.error(decoding: "HTTP/1.1 200 OK\r\n\r\n", with: &decoder)
        #expect(error == .malformed("data outside a response"))
        decoder = ResponseDecoder()
        decoder.expectResponse(to: .GET)
        _ = try Self.decode("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na", decoder: &decoder)
        decoder.expectResponse(to: .GET)
        let second = try Self.decode("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno", decoder: &decoder)
        #expect(second.heads == ["1.1 404 [Content-Length=2]"])
        #expect(second.body == "no")
    }

    @Test("a reason phrase is kept for codes without a name, the standard one otherwise")
    func reasonPhrase() throws {
        var pending = ByteBuffer(string: "HTTP/1.1 299 Odd Thing\r\n\r\n")
        var decoder = ResponseDecoder()
        decoder.expectResponse(to: .HEAD)
        guard case .head(let head, _) = try decoder.next(&pending) else {
            Issue.record("no head")
            return
        }
        #expect(head.status.reasonPhrase == "Odd Thing")
        var short = ByteBuffer(string: "HTTP/1.1 404\r\n\r\n")
        decoder.expectResponse(to: .HEAD)
        guard case .head(let notFound, _) = try decoder.next(&short) else {
            Issue.record("no head")
            return
        }
        #expect(notFound.status == .notFound)
    }

    @Test(
        "refused responses",
        arguments: [
            "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n",
            "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
            "HTTP/1.1 200 OK\r\nBad Name: a\r\n\r\n",
            "HTTP/1.1 200 OK\r\n: a\r\n\r\n",
            "HTTP/1.1 200 OK\r\nX: a\u{01}b\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "HTTP/2.0 200 OK\r\n\r\n",
            "HTTP/1.1 20 OK\r\n\r\n",
            "HTTP/1.1 2000 OK\r\n\r\n",
            "HTTP/1.1 099 OK\r\n\r\n",
            "HTTP/1.1 600 OK\r\n\r\n",
            "HTTP/1.1 101 Switching Protocols\r\n\r\n",
            "ICY 200 OK\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n",
        ]
    )
    func refused(wire: String) {
        #expect(throws: MessageSyntaxError.self) { try Self.decode(wire) }
    }

    @Test("limits: status line, field bytes and field count")
    func limits() {
        var limits = ResponseDecoder.Limits()
        limits.head = HeadLimits(firstLineBytes: 20, fieldBytes: 40, fieldCount: 2)
        let cases: [(String, MessageSyntaxError)] = [
            ("HTTP/1.1 200 A very long reason phrase\r\n\r\n", .firstLineTooLong),
            ("HTTP/1.1 200 OK\r\nX-Long: \(String(repeating: "v", count: 50))\r\n\r\n", .fieldsTooLarge),
            ("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", .tooManyFields),
            // Refused before the head is complete, as soon as it is over.
            ("HTTP/1.1 200 OK\r\nX-Long: \(String(repeating: "v", count: 50))", .fieldsTooLarge),
        ]
        for (wire, expected) in cases {
            var decoder = ResponseDecoder(limits: limits)
            decoder.expectResponse(to: .GET)
            #expect(Self.error(decoding: wire, with: &decoder) == expected)
        }
    }
}
