import Glibc
import NIOCore
import NIOHTTP1
import Proxy
import TestSupport
import Testing

/// Stored bodies leave by sendfile straight from `data.mdb`: the bytes must be the body's, whole and in
/// ranges, and stay so when the entry is purged or replaced while a slow client is still receiving it.
@Suite("Stored bodies sent from the data file", .timeLimit(.minutes(3)))
struct SendfileTests {
    static func get(_ path: String, _ extra: String = "") -> String {
        "GET \(path) HTTP/1.1\r\nHost: www.example.com\r\n\(extra)\r\n"
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: (count + 7) & ~7)
        bytes.withUnsafeMutableBytes { buffer in
            for offset in stride(from: 0, to: buffer.count, by: 8) {
                buffer.storeBytes(of: generator.next(), toByteOffset: offset, as: UInt64.self)
            }
        }
        return Array(bytes[..<count])
    }

    /// The parts of a `multipart/byteranges` body (RFC 9110 §14.6), without their headers.
    static func parts(of body: [UInt8], boundary: String) -> [[UInt8]] {
        let delimiter = Array("\r\n--\(boundary)".utf8)
        let text = Array("\r\n".utf8) + body  // the first delimiter has no CRLF before it
        var starts: [Int] = []
        var index = 0
        while index + delimiter.count <= text.count {
            if text[index..<index + delimiter.count].elementsEqual(delimiter) {
                starts.append(index)
                index += delimiter.count
            } else {
                index += 1
            }
        }
        var parts: [[UInt8]] = []
        for (start, end) in zip(starts, starts.dropFirst()) {
            let part = Array(text[(start + delimiter.count)..<end])
            let separator = Array("\r\n\r\n".utf8)
            guard let headerEnd = (0...(part.count - separator.count)).first(where: {
                part[$0..<$0 + separator.count].elementsEqual(separator)
            }) else { continue }
            parts.append(Array(part[(headerEnd + separator.count)...]))
        }
        return parts
    }

    @Test("a multi-chunk body from the cache arrives byte-identical, whole and in ranges",
          arguments: ProxyConfiguration.StoredBodySource.allCases)
    func wholeAndRanges(sendFrom: ProxyConfiguration.StoredBodySource) async throws {
        let body = Self.randomBytes((3 << 20) + 1234)  // 12 full chunks and a small last one
        let handler: TestOrigin.Handler = { _ in
            .init(headers: [("Cache-Control", "max-age=600")], body: .bytes(body))
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler, configure: { $0.cacheSendFrom = sendFrom }) {
            origin, larder in
            let first = try await TestClient.withConnection(port: larder.port) { connection in
                try await connection.send(Self.get("/big"))
                return try await connection.readResponse(keepBodyUpTo: 16 << 20)
            }
            #expect(firstDifference(first.body, body) == nil)
            try await larder.server.flushCache()

            let response = { (extra: String) async throws -> TestClient.Response in
                try await TestClient.withConnection(port: larder.port) { connection in
                    try await connection.send(Self.get("/big", extra))
                    return try await connection.readResponse(keepBodyUpTo: 16 << 20)
                }
            }
            let whole = try await response("")
            #expect(whole.header("cache-status")?.contains("hit") == true)
            #expect(firstDifference(whole.body, body) == nil)

            let size = body.count
            for (first, last) in [(1000, 2_000_000), (262_100, 262_200), (size - 5000, size - 1), (0, 0)] {
                let part = try await response("Range: bytes=\(first)-\(last)\r\n")
                #expect(part.status == 206)
                #expect(part.header("content-range") == "bytes \(first)-\(last)/\(size)")
                #expect(firstDifference(part.body, Array(body[first...last])) == nil, "bytes \(first)-\(last)")
            }

            let ranges = [(0, 99), (300_000, 900_000), (size - 10, size - 1)]
            let spec = ranges.map { "\($0.0)-\($0.1)" }.joined(separator: ",")
            let multipart = try await response("Range: bytes=\(spec)\r\n")
            #expect(multipart.status == 206)
            let contentType = try #require(multipart.header("content-type"))
            let boundary = try #require(contentType.split(separator: "boundary=").last.map(String.init))
            let parts = Self.parts(of: multipart.body, boundary: boundary)
            #expect(firstDifference(parts, ranges.map { Array(body[$0.0...$0.1]) }) == nil)

            // Keep-alive: several stored answers in a row on one connection.
            let again = try await TestClient.withConnection(port: larder.port) { connection in
                var bodies: [[UInt8]] = []
                for range in ["", "Range: bytes=5-300000\r\n", ""] {
                    try await connection.send(Self.get("/big", range))
                    bodies.append(try await connection.readResponse(keepBodyUpTo: 16 << 20).body)
                }
                return bodies
            }
            #expect(firstDifference(again, [body, Array(body[5...300_000]), body]) == nil)
            #expect(origin.requests.count == 1)
        }
    }

    @Test("an entry replaced while a slow client downloads it: the client gets the old bytes, later ones the new",
          arguments: [ProxyConfiguration.StoredBodySource.map, .file])
    func replacedDuringDownload(sendFrom: ProxyConfiguration.StoredBodySource) async throws {
        let old = Self.randomBytes(8 << 20)
        let new = Self.randomBytes(8 << 20)
        let version = Shared(0)
        let handler: TestOrigin.Handler = { request in
            let bytes = request.head.uri == "/big" ? (version.current == 0 ? old : new) : Self.randomBytes(4 << 20)
            return .init(headers: [("Cache-Control", "max-age=600")], body: .bytes(bytes))
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler, configure: { $0.cacheSendFrom = sendFrom }) {
            _, larder in
            _ = try await TestClient.exchange(port: larder.port, Self.get("/big"))
            try await larder.server.flushCache()

            let client = try SlowClient(port: larder.port, receiveBuffer: 64 << 10)
            defer { client.close() }
            try client.send(Self.get("/big"))
            let head = try client.readHead()
            #expect(head.contains("hit"))
            var received = try client.read(256 << 10)  // the proxy is now part way through the body

            // Replace the entry (the client's no-cache sends the request upstream), then store other bodies
            // that could take its pages were they free.
            version.update { $0 = 1 }
            let replacement = try await TestClient.withConnection(port: larder.port) { connection in
                try await connection.send(Self.get("/big", "Cache-Control: no-cache\r\n"))
                return try await connection.readResponse(keepBodyUpTo: 16 << 20)
            }
            #expect(firstDifference(replacement.body, new) == nil)
            for index in 0..<4 {
                _ = try await TestClient.exchange(port: larder.port, Self.get("/other\(index)"))
            }
            try await larder.server.flushCache()

            received += try client.read(old.count - received.count)
            #expect(firstDifference(received, old) == nil)
            let later = try await TestClient.withConnection(port: larder.port) { connection in
                try await connection.send(Self.get("/big"))
                return try await connection.readResponse(keepBodyUpTo: 16 << 20)
            }
            #expect(later.header("cache-status")?.contains("hit") == true)
            #expect(firstDifference(later.body, new) == nil)
        }
    }

    /// Linux sendfile leaves references to the file's pages in the socket queues (the client's too, on the
    /// same host): a body must not be freed, and its pages reused, while a client has not read it yet — even
    /// after every write completed.
    @Test("an entry purged after the proxy sent it all, before the client read it: the client gets its bytes",
          .enabled(if: SlowClient.maximumReceiveBuffer >= 4 << 20, "needs net.core.rmem_max of 2 MiB or more"),
          arguments: [ProxyConfiguration.StoredBodySource.map, .file])
    func purgedBeforeClientRead(sendFrom: ProxyConfiguration.StoredBodySource) async throws {
        let body = Self.randomBytes((2 << 20) + 777)
        let handler: TestOrigin.Handler = { request in
            .init(headers: [("Cache-Control", "max-age=600")],
                  body: .bytes(request.head.uri == "/big" ? body : Self.randomBytes(2 << 20)))
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler, configure: {
            Admin.enable(&$0)
            $0.cacheSendFrom = sendFrom
        }) { _, larder in
            _ = try await TestClient.exchange(port: larder.port, Self.get("/big"))
            try await larder.server.flushCache()

            let client = try SlowClient(port: larder.port, receiveBuffer: 8 << 20)
            defer { client.close() }
            try client.send(Self.get("/big"))
            // Everything is in the client's receive queue: the proxy's last write completed long ago.
            #expect(await eventually { client.headLength().map { client.unread >= $0 + body.count } ?? false })

            let purged = try await Admin.request(larder, "PURGE http://www.example.com/big")
            #expect(purged.status == 200)
            for index in 0..<6 {
                _ = try await TestClient.exchange(port: larder.port, Self.get("/other\(index)"))
            }
            try await larder.server.flushCache()

            let head = try client.readHead()
            #expect(head.contains("hit"))
            #expect(firstDifference(try client.read(body.count), body) == nil)
        }
    }
}

/// A blocking loopback client with a receive buffer of a chosen size, read only when the test says: a slow
/// client. Each read waits at most 30 s.
final class SlowClient: @unchecked Sendable {
    private let descriptor: CInt
    private var pending: [UInt8] = []

    /// The largest receive buffer SO_RCVBUF can ask for (twice `net.core.rmem_max`).
    static var maximumReceiveBuffer: Int {
        let descriptor = open("/proc/sys/net/core/rmem_max", O_RDONLY)
        guard descriptor >= 0 else { return 0 }
        defer { Glibc.close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: 64)
        let count = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return 0 }
        return 2 * (Int(String(decoding: bytes[..<count], as: UTF8.self).split(separator: "\n").first ?? "") ?? 0)
    }

    init(port: Int, receiveBuffer: Int) throws {
        self.descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard self.descriptor >= 0 else { throw PortError(port: port) }
        var size = CInt(receiveBuffer)
        setsockopt(self.descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<CInt>.size))
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(self.descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        let connected = address.withSockAddr { pointer, size in
            connect(self.descriptor, pointer, socklen_t(size)) == 0
        }
        guard connected else {
            Glibc.close(self.descriptor)
            throw PortError(port: port)
        }
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(self.descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw PortError(port: 0) }
            sent += count
        }
    }

    /// Bytes received and not yet read by the test (the kernel's queue plus what this object holds).
    var unread: Int {
        var count: CInt = 0
        _ = ioctl(self.descriptor, UInt(FIONREAD), &count)
        return Int(count) + self.pending.count
    }

    /// The length of the response head in the queue, if it has all arrived (looks without taking).
    func headLength() -> Int? {
        var bytes = [UInt8](repeating: 0, count: 8192)
        let flags = CInt(MSG_PEEK) | CInt(MSG_DONTWAIT)
        let count = bytes.withUnsafeMutableBytes { recv(self.descriptor, $0.baseAddress, $0.count, flags) }
        guard count > 0 else { return nil }
        return Self.headEnd(in: Array(bytes[..<count]))
    }

    private static func headEnd(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        return (0...(bytes.count - 4)).first { bytes[$0..<$0 + 4].elementsEqual([13, 10, 13, 10]) }.map { $0 + 4 }
    }

    /// Reads through the end of a response head and returns it.
    func readHead() throws -> String {
        while true {
            if let end = Self.headEnd(in: self.pending) {
                let head = String(decoding: self.pending[..<end], as: UTF8.self)
                self.pending.removeFirst(end)
                return head
            }
            self.pending += try self.receive(8192)
        }
    }

    /// Reads exactly `count` bytes.
    func read(_ count: Int) throws -> [UInt8] {
        while self.pending.count < count {
            self.pending += try self.receive(max(count - self.pending.count, 1 << 16))
        }
        let bytes = Array(self.pending[..<count])
        self.pending.removeFirst(count)
        return bytes
    }

    private func receive(_ limit: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: min(limit, 1 << 20))
        let count = bytes.withUnsafeMutableBytes { recv(self.descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { throw PortError(port: 0) }  // closed, or nothing for 30 s
        return Array(bytes[..<count])
    }

    func close() {
        Glibc.close(self.descriptor)
    }
}
