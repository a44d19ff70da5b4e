import HTTPRules
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#endif

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
        case head(LineScan)
        case fixedBody(remaining: Int)
        case chunkLine
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers(LineScan)
        case tunnel
    }

    /// Progress through a block of CRLF-terminated lines ending in an empty line.
    private struct LineScan {
        /// Offset from the reader index up to which bytes have been scanned.
        var scanned = 0
        /// Offset where the current line starts.
        var lineStart = 0
        /// Bytes of the first line including its CRLF, once seen (request line; 0 for trailers).
        var firstLineLength: Int?
        var fieldCount = 0
        /// Leading empty lines are skipped and the head's first byte seen.
        var started = false
        /// ``RequestPartSink/requestHeadStarted()`` was called: the head did not arrive whole in one read.
        var announced = false
    }

    private let limits: RequestLimits
    private var state: State = .head(LineScan())
    private var bodyBytes = 0

    init(limits: RequestLimits) {
        self.limits = limits
    }

    /// Decodes what it can of `buffer` into `sink`: `.continue` while a step consumed something,
    /// `.needMoreData` when the rest must wait for more bytes. Throws a ``RequestRejection``.
    mutating func decode(buffer: inout ByteBuffer, to sink: some RequestPartSink) throws -> DecodingState {
        switch self.state {
        case .head(var scan):
            if !scan.started {
                self.skipLeadingEmptyLines(&buffer)
                guard buffer.readableBytes > 0 else { return .needMoreData }
                scan.started = true
            }
            guard let end = try self.scanLines(&scan, buffer: buffer) else {
                if !scan.announced {
                    // Only a head that is still incomplete needs the header-read timeout.
                    scan.announced = true
                    sink.requestHeadStarted()
                }
                self.state = .head(scan)
                return .needMoreData
            }
            let headBytes = buffer.readSlice(length: end)!
            let (head, framing) = try self.parseHead(headBytes, requestLineLength: scan.firstLineLength!)
            sink.requestPart(.head(head))
            self.bodyBytes = 0
            if head.method == .CONNECT {
                self.state = .tunnel
                return .continue
            }
            switch framing {
            case .none, .untilClose:
                sink.requestPart(.end(nil))
                self.state = .head(LineScan())
            case .length(let length):
                self.state = .fixedBody(remaining: length)
            case .chunked:
                self.state = .chunkLine
            }
            return .continue

        case .fixedBody(let remaining):
            guard buffer.readableBytes > 0 else { return .needMoreData }
            let part = buffer.readSlice(length: min(remaining, buffer.readableBytes))!
            sink.requestPart(.body(part))
            if remaining == part.readableBytes {
                sink.requestPart(.end(nil))
                self.state = .head(LineScan())
            } else {
                self.state = .fixedBody(remaining: remaining - part.readableBytes)
            }
            return .continue

        case .chunkLine:
            guard let size = try self.readChunkLine(&buffer) else { return .needMoreData }
            if size == 0 {
                self.state = .trailers(LineScan(firstLineLength: 0))
            } else {
                self.bodyBytes += size
                guard Int64(self.bodyBytes) <= self.limits.maxBodyBytes else {
                    throw RequestRejection(.payloadTooLarge, "request body exceeds \(self.limits.maxBodyBytes) bytes")
                }
                self.state = .chunkData(remaining: size)
            }
            return .continue

        case .chunkData(let remaining):
            guard buffer.readableBytes > 0 else { return .needMoreData }
            let part = buffer.readSlice(length: min(remaining, buffer.readableBytes))!
            sink.requestPart(.body(part))
            self.state =
                remaining == part.readableBytes ? .chunkDataEnd : .chunkData(remaining: remaining - part.readableBytes)
            return .continue

        case .chunkDataEnd:
            guard buffer.readableBytes >= 2 else { return .needMoreData }
            guard buffer.readInteger(as: UInt16.self) == 0x0D0A else {
                throw RequestRejection.badRequest("chunk data not followed by CRLF")
            }
            self.state = .chunkLine
            return .continue

        case .trailers(var scan):
            guard let end = try self.scanLines(&scan, buffer: buffer) else {
                self.state = .trailers(scan)
                return .needMoreData
            }
            // Trailer fields are discarded (RFC 9112 §7.1.2 lets a recipient that removes chunking drop them).
            buffer.moveReaderIndex(forwardBy: end)
            sink.requestPart(.end(nil))
            self.state = .head(LineScan())
            return .continue

        case .tunnel:
            guard buffer.readableBytes > 0 else { return .needMoreData }
            sink.requestPart(.body(buffer.readSlice(length: buffer.readableBytes)!))
            return .continue
        }
    }

    // MARK: Heads

    /// RFC 9112 §2.2: a server should ignore at least one empty line before the request line.
    private func skipLeadingEmptyLines(_ buffer: inout ByteBuffer) {
        while buffer.readableBytes >= 2, buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0x0D0A {
            buffer.moveReaderIndex(forwardBy: 2)
        }
    }

    /// Scans for the empty line that ends a head or trailer section, enforcing the limits as it goes.
    /// Returns the length of the block including the final CRLF, or nil if more bytes are needed.
    private func scanLines(_ scan: inout LineScan, buffer: ByteBuffer) throws -> Int? {
        let limits = self.limits
        return try buffer.withUnsafeReadableBytes { bytes -> Int? in
            while scan.scanned < bytes.count {
                guard let lf = Self.indexOfLF(in: bytes, from: scan.scanned) else {
                    scan.scanned = bytes.count
                    break
                }
                guard lf > scan.lineStart, bytes[lf - 1] == 0x0D else {
                    throw RequestRejection.badRequest("line not terminated by CRLF")
                }
                let lineLength = lf + 1 - scan.lineStart
                scan.scanned = lf + 1
                scan.lineStart = lf + 1
                if scan.firstLineLength == nil {
                    guard lineLength - 2 <= limits.maxRequestLineBytes else { throw Self.requestLineTooLong(limits) }
                    scan.firstLineLength = lineLength
                    continue
                }
                if lineLength == 2 {
                    return lf + 1
                }
                scan.fieldCount += 1
                guard scan.fieldCount <= limits.maxHeaderCount else {
                    throw RequestRejection(
                        .requestHeaderFieldsTooLarge, "more than \(limits.maxHeaderCount) header fields")
                }
                guard lf + 1 - scan.firstLineLength! <= limits.maxHeaderBytes + 2 else {
                    throw Self.headerTooLarge(limits)
                }
            }
            // Incomplete: refuse as soon as the partial block is already over its limit.
            if let first = scan.firstLineLength {
                if bytes.count - first > limits.maxHeaderBytes + 2 { throw Self.headerTooLarge(limits) }
            } else if bytes.count > limits.maxRequestLineBytes + 2 {
                throw Self.requestLineTooLong(limits)
            }
            return nil
        }
    }

    private static func indexOfLF(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = bytes.baseAddress, start < bytes.count else { return nil }
        guard let found = memchr(base + start, 0x0A, bytes.count - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    private static func requestLineTooLong(_ limits: RequestLimits) -> RequestRejection {
        RequestRejection(.uriTooLong, "request line longer than \(limits.maxRequestLineBytes) bytes")
    }

    private static func headerTooLarge(_ limits: RequestLimits) -> RequestRejection {
        RequestRejection(.requestHeaderFieldsTooLarge, "header fields larger than \(limits.maxHeaderBytes) bytes")
    }

    private func parseHead(_ block: ByteBuffer, requestLineLength: Int) throws -> (HTTPRequestHead, BodyFraming) {
        try block.withUnsafeReadableBytes { bytes in
            let (method, uri, version) = try Self.parseRequestLine(bytes[0..<(requestLineLength - 2)])
            var headers = HTTPHeaders()
            var lineStart = requestLineLength
            while lineStart < bytes.count - 2 {
                var lineEnd = lineStart
                while bytes[lineEnd] != 0x0D { lineEnd += 1 }
                let (name, value) = try Self.parseField(UnsafeRawBufferPointer(rebasing: bytes[lineStart..<lineEnd]))
                headers.add(name: name, value: value)
                lineStart = lineEnd + 2
            }
            let head = HTTPRequestHead(version: version, method: method, uri: uri, headers: headers)
            let framing = try BodyFraming.ofRequest(head)
            if case .length(let length) = framing, Int64(length) > self.limits.maxBodyBytes {
                throw RequestRejection(.payloadTooLarge, "request body exceeds \(self.limits.maxBodyBytes) bytes")
            }
            return (head, framing)
        }
    }

    private static func parseRequestLine(_ line: Slice<UnsafeRawBufferPointer>) throws -> (HTTPMethod, String, HTTPVersion) {
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
        if Self.equals(versionBytes, "HTTP/1.1") {
            version = .http1_1
        } else if Self.equals(versionBytes, "HTTP/1.0") {
            version = .http1_0
        } else if versionBytes.count == 8 && versionBytes.starts(with: "HTTP/".utf8) {
            throw RequestRejection(.httpVersionNotSupported, "HTTP version not supported")
        } else {
            throw RequestRejection.badRequest("malformed HTTP version")
        }
        let method: HTTPMethod =
            if Self.equals(methodBytes, "GET") {
                .GET
            } else if Self.equals(methodBytes, "HEAD") {
                .HEAD
            } else {
                HTTPMethod(rawValue: String(decoding: methodBytes, as: UTF8.self))
            }
        return (method, String(decoding: target, as: UTF8.self), version)
    }

    /// Whether `bytes` are exactly `literal`'s.
    private static func equals(_ bytes: Slice<UnsafeRawBufferPointer>, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        return bytes.isEmpty || memcmp(bytes.base.baseAddress! + bytes.startIndex, literal.utf8Start, bytes.count) == 0
    }

    private static func parseField(_ line: UnsafeRawBufferPointer) throws -> (String, String) {
        guard let first = line.first, first != 0x20, first != 0x09 else {
            throw RequestRejection.badRequest("obsolete line folding in header")
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0,
            line[0..<colon].allSatisfy(Token.isTokenByte)
        else {
            throw RequestRejection.badRequest("malformed header field")
        }
        var valueStart = colon + 1
        var valueEnd = line.count
        while valueStart < valueEnd, line[valueStart] == 0x20 || line[valueStart] == 0x09 { valueStart += 1 }
        while valueEnd > valueStart, line[valueEnd - 1] == 0x20 || line[valueEnd - 1] == 0x09 { valueEnd -= 1 }
        let value = line[valueStart..<valueEnd]
        guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
            throw RequestRejection.badRequest("control character in header value")
        }
        return (
            String(decoding: UnsafeRawBufferPointer(rebasing: line[0..<colon]), as: UTF8.self),
            String(decoding: UnsafeRawBufferPointer(rebasing: value), as: UTF8.self)
        )
    }

    // MARK: Chunks

    /// Reads `chunk-size [ chunk-ext ] CRLF` (RFC 9112 §7.1). Returns nil if the line is incomplete.
    private func readChunkLine(_ buffer: inout ByteBuffer) throws -> Int? {
        let limit = self.limits.maxChunkLineBytes
        let parsed: (size: Int, length: Int)? = try buffer.withUnsafeReadableBytes { bytes in
            guard let lf = Self.indexOfLF(in: bytes, from: 0) else {
                if bytes.count > limit + 2 { throw RequestRejection.badRequest("chunk extensions too long") }
                return nil
            }
            guard lf <= limit + 1 else { throw RequestRejection.badRequest("chunk extensions too long") }
            guard lf > 0, bytes[lf - 1] == 0x0D else { throw RequestRejection.badRequest("chunk size not ended by CRLF") }
            var size = 0
            var index = 0
            while index < lf - 1, let digit = Self.hexValue(bytes[index]) {
                guard index < 15 else { throw RequestRejection.badRequest("chunk size too large") }
                size = size << 4 | digit
                index += 1
            }
            guard index > 0 else { throw RequestRejection.badRequest("invalid chunk size") }
            var rest = index
            while rest < lf - 1, bytes[rest] == 0x20 || bytes[rest] == 0x09 { rest += 1 }
            if rest < lf - 1 {
                guard bytes[rest] == UInt8(ascii: ";") else { throw RequestRejection.badRequest("invalid chunk size") }
                guard bytes[rest..<(lf - 1)].allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
                    throw RequestRejection.badRequest("control character in chunk extension")
                }
            }
            return (size, lf + 1)
        }
        guard let parsed else { return nil }
        buffer.moveReaderIndex(forwardBy: parsed.length)
        return parsed.size
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }
}
