import Glibc
import NIOHTTP1
import NIOPosix
import TestSupport
import Testing

/// A real `larder` process streams bodies far larger than its memory: RSS is read from /proc.
@Suite("Large bodies through a larder process", .timeLimit(.minutes(5)))
struct LargeBodyTests {
    static let gibibyte = 1 << 30

    @Test("1 GiB downloads and 256 MiB uploads stream through with equal SHA-256 and RSS under 64 MiB")
    func streamsLargeBodies() async throws {
        let download = Self.gibibyte
        let origin = try await TestOrigin.start { request in
            request.head.method == .GET ? .init(body: .pattern(length: download)) : .text(request.bodyDigest)
        }
        let larder = try await LarderProcess.start(arguments: ["--mode", "reverse", "--upstream", origin.url])
        do {
            let response = try await TestClient.withConnection(port: larder.port) { connection in
                try await connection.send("GET /big HTTP/1.1\r\nHost: a\r\n\r\n")
                return try await connection.readResponse(keepBodyUpTo: 0)
            }
            #expect(response.complete)
            #expect(response.bodyLength == download)
            #expect(response.bodyDigest == Pattern.digest(length: download))

            let upload = 256 << 20
            let uploaded = try await TestClient.withConnection(port: larder.port) { connection in
                try await connection.send("PUT /big HTTP/1.1\r\nHost: a\r\nContent-Length: \(upload)\r\n\r\n")
                for index in 0..<(upload / Pattern.blockSize) {
                    try await connection.send(Pattern.block(index))
                }
                return try await connection.readResponse()
            }
            #expect(uploaded.text == Pattern.digest(length: upload))

            let peak = try #require(larder.peakResidentBytes())
            #expect(peak < 64 << 20, "peak RSS \(peak >> 20) MiB")
        } catch {
            await larder.stop()
            await origin.shutdown()
            throw error
        }
        await larder.stop()
        await origin.shutdown()
    }
}
