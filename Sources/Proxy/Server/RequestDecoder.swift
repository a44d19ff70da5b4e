import HTTPRules
import NIOCore
import NIOHTTP1

/// Where a ``RequestDecoder`` delivers what it decodes.
protocol RequestPartSink: AnyObject {
    /// The next part of a request: its head, a piece of its body, its end.
    func requestPart(_ part: HTTPServerRequestPart)
    /// A new request's head has started but not yet arrived whole, so the header-read timeout can start
    /// (as opposed to the idle keep-alive timeout, which runs while nothing arrives).
    func requestHeadStarted()
}

/// A strict HTTP/1.1 request parser (RFC 9112) producing `HTTPServerRequestPart`s, run by the connection's
/// handler on the bytes it reads (no decoder handler between them in the pipeline).
///
/// A proxy must refuse, not repair, anything two parsers could read differently: bare LF line ends,
/// obs-fold, whitespace before a colon, control bytes in values, Transfer-Encoding with
/// Content-Length, repeated Content-Length, malformed chunk sizes. Limits are enforced while bytes
/// arrive, before anything is buffered past them: request line (414), header bytes and count (431),
/// body size (413), chunk-size line length (400). Every failure is thrown as a ``RequestRejection``.
///
/// After a CONNECT head the connection becomes a tunnel: every further byte is passed on as a
/// `.body` part, untouched.
struct RequestDecoder {
    private enum State {
        /// A head: `started` once leading empty lines are skipped and its first byte seen, `announced` once
        /// ``RequestPartSink/requestHeadStarted()`` was called (the head did not arrive whole in one read).
        case head(HeadScanner, started: Bool, announced: Bool)
        case fixedBody(remaining: Int)
        case chunked
        case tunnel
    }

    private let limits: RequestLimits
    private var state: State = .head(HeadScanner(), started: false, announced: false)
    private var chunks: ChunkedBodyDecoder

    init(limits: RequestLimits) {
        self.limits = limits
        self.chunks = ChunkedBodyDecoder(maxSizeLineBytes: limits.maxChunkLineBytes, trailerLimits: limits.head)
    }

    /// Decodes what it can of `buffer` into `sink`: `.continue` while a step consumed something,
    /// `.needMoreData` when the rest must wait for more bytes. Throws a ``RequestRejection``.
    mutating func decode(
        buffer: inout ByteBuffer, to sink: some RequestPartSink
    ) throws(RequestRejection) -> DecodingState {
        do {
            return try self.step(&buffer, to: sink)
        } catch let error as MessageSyntaxError {
            throw self.rejection(error)
        } catch let error as RequestRejection {
            throw error
        } catch {
            throw .badRequest("malformed request")
        }
    }

    private mutating func step(_ buffer: inout ByteBuffer, to sink: some RequestPartSink) throws -> DecodingState {
        switch self.state {
        case .head(var scanner, var started, var announced):
            if !started {
                self.skipLeadingEmptyLines(&buffer)
                guard buffer.readableBytes > 0 else { return .needMoreData }
                started = true
            }
            guard let end = try scanner.scan(buffer, limits: self.limits.head) else {
                if !announced {
                    // Only a head that is still incomplete needs the header-read timeout.
                    announced = true
                    sink.requestHeadStarted()
                }
                self.state = .head(scanner, started: started, announced: announced)
                return .needMoreData
            }
            let headBytes = buffer.readSlice(length: end)!
            let (head, framing) = try self.parseHead(
                headBytes, requestLineLength: scanner.firstLineLength!, fieldCount: scanner.fieldCount)
            sink.requestPart(.head(head))
            if head.method == .CONNECT {
                self.state = .tunnel
                return .continue
            }
            switch framing {
            case .none, .untilClose:
                sink.requestPart(.end(nil))
                self.state = .head(HeadScanner(), started: false, announced: false)
            case .length(let length):
                self.state = .fixedBody(remaining: length)
            case .chunked:
                self.state = .chunked
            }
            return .continue

        case .fixedBody(let remaining):
            guard buffer.readableBytes > 0 else { return .needMoreData }
            let part = buffer.readSlice(length: min(remaining, buffer.readableBytes))!
            sink.requestPart(.body(part))
            if remaining == part.readableBytes {
                sink.requestPart(.end(nil))
                self.state = .head(HeadScanner(), started: false, announced: false)
            } else {
                self.state = .fixedBody(remaining: remaining - part.readableBytes)
            }
            return .continue

        case .chunked:
            switch try self.chunks.step(&buffer) {
            case .data(let part):
                guard Int64(self.chunks.announcedBytes) <= self.limits.maxBodyBytes else {
                    throw RequestRejection(.payloadTooLarge, "request body exceeds \(self.limits.maxBodyBytes) bytes")
                }
                sink.requestPart(.body(part))
                return .continue
            case .end:
                sink.requestPart(.end(nil))
                self.state = .head(HeadScanner(), started: false, announced: false)
                return .continue
            case .needMoreData:
                guard Int64(self.chunks.announcedBytes) <= self.limits.maxBodyBytes else {
                    throw RequestRejection(.payloadTooLarge, "request body exceeds \(self.limits.maxBodyBytes) bytes")
                }
                return .needMoreData
            }

        case .tunnel:
            guard buffer.readableBytes > 0 else { return .needMoreData }
            sink.requestPart(.body(buffer.readSlice(length: buffer.readableBytes)!))
            return .continue
        }
    }

    /// The status a syntax error earns: 414 for the request line, 431 for fields, 400 for the rest.
    private func rejection(_ error: MessageSyntaxError) -> RequestRejection {
        switch error {
        case .malformed(let reason):
            return .badRequest(reason)
        case .firstLineTooLong:
            return RequestRejection(.uriTooLong, "request line longer than \(self.limits.maxRequestLineBytes) bytes")
        case .fieldsTooLarge:
            return RequestRejection(
                .requestHeaderFieldsTooLarge, "header fields larger than \(self.limits.maxHeaderBytes) bytes")
        case .tooManyFields:
            return RequestRejection(
                .requestHeaderFieldsTooLarge, "more than \(self.limits.maxHeaderCount) header fields")
        }
    }

    // MARK: Heads

    /// RFC 9112 §2.2: a server should ignore at least one empty line before the request line.
    private func skipLeadingEmptyLines(_ buffer: inout ByteBuffer) {
        while buffer.readableBytes >= 2, buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0x0D0A {
            buffer.moveReaderIndex(forwardBy: 2)
        }
    }

    private func parseHead(
        _ block: ByteBuffer, requestLineLength: Int, fieldCount: Int
    ) throws -> (HTTPRequestHead, BodyFraming) {
        try block.withUnsafeReadableBytes { bytes in
            let (method, uri, version) = try Self.parseRequestLine(bytes[0..<(requestLineLength - 2)])
            // Gathered as pairs, made into fields at once (`HTTPHeaders.add` checks each name again).
            var fields: [(String, String)] = []
            fields.reserveCapacity(fieldCount)
            try MessageSyntax.forEachFieldLine(in: bytes, from: requestLineLength) { line throws(MessageSyntaxError) in
                fields.append(try MessageSyntax.parseField(line))
            }
            let head = HTTPRequestHead(version: version, method: method, uri: uri, headers: HTTPHeaders(fields))
            let framing = try BodyFraming.ofRequest(head)
            if case .length(let length) = framing, Int64(length) > self.limits.maxBodyBytes {
                throw RequestRejection(.payloadTooLarge, "request body exceeds \(self.limits.maxBodyBytes) bytes")
            }
            return (head, framing)
        }
    }

    private static func parseRequestLine(
        _ line: Slice<UnsafeRawBufferPointer>
    ) throws -> (HTTPMethod, String, HTTPVersion) {
        // method SP request-target SP HTTP-version (RFC 9112 §3), scanned in place.
        guard let methodEnd = line.firstIndex(of: 0x20),
            let targetEnd = line[(methodEnd + 1)...].firstIndex(of: 0x20)
        else {
            throw RequestRejection.badRequest("malformed request line")
        }
        let methodBytes = line[line.startIndex..<methodEnd]
        let target = line[(methodEnd + 1)..<targetEnd]
        let versionBytes = line[(targetEnd + 1)...]
        guard !methodBytes.isEmpty, !target.isEmpty, methodBytes.allSatisfy(Token.isTokenByte),
            target.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else {
            throw RequestRejection.badRequest("malformed request line")
        }
        let version: HTTPVersion
        if MessageSyntax.equals(versionBytes, "HTTP/1.1") {
            version = .http1_1
        } else if MessageSyntax.equals(versionBytes, "HTTP/1.0") {
            version = .http1_0
        } else if versionBytes.count == 8 && versionBytes.starts(with: "HTTP/".utf8) {
            throw RequestRejection(.httpVersionNotSupported, "HTTP version not supported")
        } else {
            throw RequestRejection.badRequest("malformed HTTP version")
        }
        let method: HTTPMethod =
            if MessageSyntax.equals(methodBytes, "GET") {
                .GET
            } else if MessageSyntax.equals(methodBytes, "HEAD") {
                .HEAD
            } else {
                HTTPMethod(rawValue: String(decoding: methodBytes, as: UTF8.self))
            }
        return (method, String(decoding: target, as: UTF8.self), version)
    }
}
