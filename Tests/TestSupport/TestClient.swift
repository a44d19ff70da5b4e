import CacheStore
import NIOCore
import NIOPosix

/// A raw HTTP/1.1 client for tests: sends exactly the bytes it is given and parses what comes back,
/// so malformed requests, pipelining and truncated responses can be driven and observed.
public struct TestClient {
    /// A response as received. `complete` is false when the connection closed before the framing's end.
    public struct Response: Sendable, CustomStringConvertible {
        public var status: Int
        public var reason: String
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]
        public var bodyLength: Int
        public var bodyDigest: String
        public var complete: Bool

        public func header(_ name: String) -> String? {
            self.headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        public func headers(_ name: String) -> [String] {
            self.headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
        }

        public var text: String { String(decoding: self.body, as: UTF8.self) }

        /// Short enough for a test failure message: no body bytes.
        public var description: String {
            let fields = self.headers.map { "\($0.name): \($0.value)" }.joined(separator: ", ")
            return "\(self.status) [\(fields)] body \(self.bodyLength) bytes, complete: \(self.complete)"
        }
    }

    public struct ProtocolError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Connects, runs `body` with a connection, and closes it.
    public static func withConnection<Result>(
        port: Int,
        host: String = "127.0.0.1",
        _ body: (inout Connection) async throws -> Result
    ) async throws -> Result {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var connection = Connection(iterator: inbound.makeAsyncIterator(), outbound: outbound)
            return try await body(&connection)
        }
    }

    /// One request on a new connection: sends `raw`, reads one response.
    public static func exchange(port: Int, _ raw: String, headRequest: Bool = false) async throws -> Response {
        try await self.withConnection(port: port) { connection in
            try await connection.send(raw)
            return try await connection.readResponse(headRequest: headRequest)
        }
    }

    public struct Connection {
        var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        var buffer = ByteBuffer()
        var closed = false
        /// Runs when the first body bytes of the response being read arrive.
        var bodyStartHook: (@Sendable () -> Void)?

        public mutating func send(_ text: String) async throws {
            try await self.outbound.write(ByteBuffer(string: text))
        }

        public mutating func send(_ bytes: [UInt8]) async throws {
            try await self.outbound.write(ByteBuffer(bytes: bytes))
        }

        /// Half-closes: the server reads end-of-input, and this side can still read.
        public func finishSending() {
            self.outbound.finish()
        }

        /// Reads one response. Bodies longer than `keepBodyUpTo` are hashed but not kept; `afterHead`
        /// runs once the head is in, before the body is read, and `onBodyStart` when the first body
        /// bytes arrive (to act while a body is in flight).
        public mutating func readResponse(
            headRequest: Bool = false,
            keepBodyUpTo: Int = 1 << 20,
            afterHead: () -> Void = {},
            onBodyStart: (@Sendable () -> Void)? = nil
        ) async throws -> Response {
            self.bodyStartHook = onBodyStart
            defer { self.bodyStartHook = nil }
            guard let headText = try await self.readHead() else {
                throw ProtocolError(description: "connection closed before a response head")
            }
            afterHead()
            var lines = headText.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
            let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2).map(String.init)
            guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
                throw ProtocolError(description: "bad status line")
            }
            var response = Response(
                status: status, reason: statusLine.count > 2 ? statusLine[2] : "", headers: [], body: [],
                bodyLength: 0, bodyDigest: "", complete: false)
            for line in lines where !line.isEmpty {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
                response.headers.append((String(line[..<colon]), value))
            }
            if (100..<200).contains(status) {
                response.complete = true
                return response
            }
            var digest = SHA256()
            let noBody = headRequest || status == 204 || status == 304
            if noBody {
                response.complete = true
            } else if response.header("transfer-encoding")?.lowercased().contains("chunked") == true {
                response.complete = try await self.readChunked(into: &response, digest: &digest, keep: keepBodyUpTo)
            } else if let lengthText = response.header("content-length"), let length = Int(lengthText) {
                response.complete = try await self.readBytes(
                    length, into: &response, digest: &digest, keep: keepBodyUpTo)
            } else {
                try await self.readUntilClose(into: &response, digest: &digest, keep: keepBodyUpTo)
                response.complete = true
            }
            response.bodyDigest = digest.finish().hex
            return response
        }

        /// Reads a response head only (its raw text), leaving the body unread.
        public mutating func readHeadOnly() async throws -> String? {
            try await self.readHead()
        }

        /// True once the server has closed the connection (reads until EOF, discarding bytes).
        public mutating func waitForClose() async throws -> Bool {
            while try await self.fill() {}
            return true
        }

        // MARK: Reading

        private mutating func fill() async throws -> Bool {
            if self.closed { return false }
            do {
                guard var next = try await self.iterator.next() else {
                    self.closed = true
                    return false
                }
                self.buffer.writeBuffer(&next)
                return true
            } catch {
                self.closed = true  // a reset counts as closed
                return false
            }
        }

        private mutating func readHead() async throws -> String? {
            while true {
                let view = self.buffer.readableBytesView
                if let end = view.firstRange(of: [13, 10, 13, 10]) {
                    let text = self.buffer.readString(length: end.lowerBound - view.startIndex) ?? ""
                    self.buffer.moveReaderIndex(forwardBy: 4)
                    return text
                }
                guard try await self.fill() else { return nil }
            }
        }

        private mutating func take(_ count: Int, into response: inout Response, digest: inout SHA256, keep: Int) {
            if response.bodyLength == 0 && count > 0, let hook = self.bodyStartHook {
                self.bodyStartHook = nil
                hook()
            }
            let slice = self.buffer.readSlice(length: count)!
            slice.withUnsafeReadableBytes { digest.update($0) }
            if response.bodyLength + count <= keep { response.body += slice.readableBytesView }
            response.bodyLength += count
        }

        private mutating func readBytes(_ length: Int, into response: inout Response, digest: inout SHA256, keep: Int)
            async throws -> Bool
        {
            var remaining = length
            while remaining > 0 {
                if self.buffer.readableBytes == 0 {
                    guard try await self.fill() else { return false }
                }
                let count = min(remaining, self.buffer.readableBytes)
                self.take(count, into: &response, digest: &digest, keep: keep)
                remaining -= count
            }
            return true
        }

        private mutating func readLine() async throws -> String? {
            while true {
                let view = self.buffer.readableBytesView
                if let end = view.firstRange(of: [13, 10]) {
                    let text = self.buffer.readString(length: end.lowerBound - view.startIndex) ?? ""
                    self.buffer.moveReaderIndex(forwardBy: 2)
                    return text
                }
                guard try await self.fill() else { return nil }
            }
        }

        private mutating func readChunked(into response: inout Response, digest: inout SHA256, keep: Int)
            async throws -> Bool
        {
            while true {
                guard let line = try await self.readLine() else { return false }
                let sizeText = line.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: " "), radix: 16) else {
                    throw ProtocolError(description: "bad chunk size line '\(line)'")
                }
                if size == 0 {
                    while let trailer = try await self.readLine() {
                        if trailer.isEmpty { return true }
                    }
                    return false
                }
                guard try await self.readBytes(size, into: &response, digest: &digest, keep: keep) else { return false }
                guard try await self.readLine() == "" else { return false }
            }
        }

        private mutating func readUntilClose(into response: inout Response, digest: inout SHA256, keep: Int)
            async throws
        {
            while true {
                if self.buffer.readableBytes > 0 {
                    self.take(self.buffer.readableBytes, into: &response, digest: &digest, keep: keep)
                }
                guard try await self.fill() else { return }
            }
        }
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text.removeFirst() }
        while let last = text.last, set.contains(last) { text.removeLast() }
        return String(text)
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String { String(self).trimmingCharacters(in: set) }
}
