import Glibc
import NIOPosix
import TestSupport
import Testing

@Suite("Graceful shutdown", .timeLimit(.minutes(2)))
struct ShutdownTests {
    @Test("SIGTERM lets an in-flight download finish, then the process exits 0")
    func sigtermFinishesInFlight() async throws {
        let length = 128 << 20
        let origin = try await TestOrigin.start { _ in .init(body: .pattern(length: length)) }
        let larder = try await LarderProcess.start(arguments: ["--mode", "reverse", "--upstream", origin.url])
        let (response, closed) = try await TestClient.withConnection(port: larder.port) { connection in
            try await connection.send("GET /big HTTP/1.1\r\nHost: a\r\n\r\n")
            let response = try await connection.readResponse(keepBodyUpTo: 0, afterHead: {
                larder.process.signal(SIGTERM)
            })
            return (response, try await connection.waitForClose())
        }
        #expect(response.complete)
        #expect(response.bodyDigest == Pattern.digest(length: length))
        #expect(closed, "the connection closes after the in-flight response")
        let status = try await NIOThreadPool.singleton.runIfActive { larder.process.wait() }
        #expect(status == 0)
        larder.directory.remove()
        await origin.shutdown()
    }
}
