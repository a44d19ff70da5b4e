import NIOCore
import NIOHTTP1

/// A strict HTTP/1.1 response parser (RFC 9112) for the origin side, run by the connection's handler on
/// the bytes it reads (no decoder handler between them in the pipeline).
///
/// It expects one response per request it is told of (``expectResponse(to:)``): interim 1xx responses
/// are skipped, a response to HEAD (and a 204 or 304) has no body, and bytes arriving when no response is
/// expected are an error. Lines must end in CRLF; obs-fold, a field name that is not a token and control
/// bytes in values are refused (RFC 9112 §5.2 lets a proxy answer 502 rather than unfold); whitespace
/// before a field's colon is removed (§5.1). Framing follows ``BodyFraming/ofResponse(_:requestMethod:)``.
/// Failures are thrown as ``MessageSyntaxError``s.
public struct ResponseDecoder: Sendable {
    /// Limits on what an origin may send in a head.
    public struct Limits: Sendable, Hashable {
        public var head = HeadLimits(firstLineBytes: 8 * 1024, fieldBytes: 64 * 1024, fieldCount: 256)
        public var chunkLineBytes = 4 * 1024

        public init() {}
    }

    private enum State: Sendable {
        /// No request is outstanding.
        case idle
        case head(HeadScanner)
        case fixedBody(remaining: Int)
        case chunked
        case untilClose
        /// The body is complete; its end is the next part.
        case ending
    }

    /// What one step decoded.
    public enum Part {
        /// A final response's head, and how its body is framed.
        case head(HTTPResponseHead, BodyFraming)
        case body(ByteBuffer)
        /// The response is complete.
        case end
    }

    private let limits: Limits
    private var state = State.idle
    private var requestMethod = HTTPMethod.GET
    private var chunks: ChunkedBodyDecoder

    public init(limits: Limits = Limits()) {
        self.limits = limits
        self.chunks = ChunkedBodyDecoder(maxSizeLineBytes: limits.chunkLineBytes, trailerLimits: limits.head)
    }

    /// Prepares for the response to a request sent with `method`.
    public mutating func expectResponse(to method: HTTPMethod) {
        self.requestMethod = method
        self.state = .head(HeadScanner())
    }

    /// The next part decoded from `buffer`, or nil when more bytes are needed.
    public mutating func next(_ buffer: inout ByteBuffer) throws(MessageSyntaxError) -> Part? {
        while true {
            switch self.state {
            case .idle:
                guard buffer.readableBytes == 0 else { throw .malformed("data outside a response") }
                return nil

            case .head(var scanner):
                guard let end = try scanner.scan(buffer, limits: self.limits.head) else {
                    self.state = .head(scanner)
                    return nil
                }
                let block = buffer.readSlice(length: end)!
                let head = try Self.parseHead(
                    block, statusLineLength: scanner.firstLineLength!, fieldCount: scanner.fieldCount)
                let code = head.status.code
                if code >= 100 && code < 200 {
                    // Interim (100 Continue, 103 Early Hints): the final response follows. 101 would switch
                    // protocols, which Larder never asks for.
                    guard code != 101 else { throw .malformed("unrequested protocol switch") }
                    self.state = .head(HeadScanner())
                    continue
                }
                guard let framing = BodyFraming.ofResponse(head, requestMethod: self.requestMethod) else {
                    throw .malformed("invalid Content-Length")
                }
                switch framing {
                case .none: self.state = .ending
                case .length(let length): self.state = .fixedBody(remaining: length)
                case .chunked: self.state = .chunked
                case .untilClose: self.state = .untilClose
                }
                return .head(head, framing)

            case .fixedBody(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let part = buffer.readSlice(length: min(remaining, buffer.readableBytes))!
                let left = remaining - part.readableBytes
                self.state = left == 0 ? .ending : .fixedBody(remaining: left)
                return .body(part)

            case .chunked:
                switch try self.chunks.step(&buffer) {
                case .data(let part): return .body(part)
                case .end: self.state = .ending
                case .needMoreData: return nil
                }

            case .untilClose:
                guard buffer.readableBytes > 0 else { return nil }
                return .body(buffer.readSlice(length: buffer.readableBytes)!)

            case .ending:
                self.state = .idle
                return .end
            }
        }
    }

    /// The connection closed. True when that completes the response in progress (a body delimited by the
    /// close; the caller delivers its end) or none was in progress; false when one was cut short.
    public mutating func connectionClosed() -> Bool {
        switch self.state {
        case .idle: return true
        case .untilClose, .ending:
            self.state = .idle
            return true
        case .head, .fixedBody, .chunked:
            return false
        }
    }

    // MARK: Heads

    private static func parseHead(
        _ block: ByteBuffer, statusLineLength: Int, fieldCount: Int
    ) throws(MessageSyntaxError) -> HTTPResponseHead {
        let outcome: Result<HTTPResponseHead, MessageSyntaxError> = block.withUnsafeReadableBytes { bytes in
            Result { () throws(MessageSyntaxError) in
                let (version, status) = try Self.parseStatusLine(bytes[0..<(statusLineLength - 2)])
                // Gathered as pairs, made into fields at once (`HTTPHeaders.add` checks each name again).
                var fields: [(String, String)] = []
                fields.reserveCapacity(fieldCount)
                try MessageSyntax.forEachFieldLine(in: bytes, from: statusLineLength) {
                    line throws(MessageSyntaxError) in
                    fields.append(try MessageSyntax.parseField(line, trimmingSpaceBeforeColon: true))
                }
                return HTTPResponseHead(version: version, status: status, headers: HTTPHeaders(fields))
            }
        }
        return try outcome.get()
    }

    /// `HTTP-version SP status-code SP [ reason-phrase ]` (RFC 9112 §4); a missing space and reason after
    /// the code are tolerated. The reason phrase is kept only for codes NIO has no name for.
    private static func parseStatusLine(
        _ line: Slice<UnsafeRawBufferPointer>
    ) throws(MessageSyntaxError) -> (HTTPVersion, HTTPResponseStatus) {
        let start = line.startIndex
        guard line.count >= 12, line[start + 8] == 0x20 else { throw .malformed("malformed status line") }
        let version: HTTPVersion
        if MessageSyntax.equals(line[start..<(start + 8)], "HTTP/1.1") {
            version = .http1_1
        } else if MessageSyntax.equals(line[start..<(start + 8)], "HTTP/1.0") {
            version = .http1_0
        } else {
            throw .malformed("unsupported HTTP version")
        }
        var code = 0
        for byte in line[(start + 9)..<(start + 12)] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw .malformed("malformed status code")
            }
            code = code * 10 + Int(byte - UInt8(ascii: "0"))
        }
        guard code >= 100, code <= 599 else { throw .malformed("status code \(code) out of range") }
        let rest = line[(start + 12)...]
        if let first = rest.first, first != 0x20 { throw .malformed("malformed status code") }
        let reason = rest.dropFirst()
        guard reason.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
            throw .malformed("control character in reason phrase")
        }
        var status = HTTPResponseStatus(statusCode: code)
        if case .custom = status, !reason.isEmpty {
            let phrase = String(decoding: UnsafeRawBufferPointer(rebasing: reason), as: UTF8.self)
            status = HTTPResponseStatus(statusCode: code, reasonPhrase: phrase)
        }
        return (version, status)
    }
}
