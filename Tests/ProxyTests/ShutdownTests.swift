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
        // A shutdown timeout beyond the test's own limit: on a loaded machine the download may take longer
        // than the default 30 s, and what is tested is that Larder waits for it, not how fast it is.
        let larder = try await LarderProcess.start(
            arguments: ["--mode", "reverse", "--upstream", origin.url],
            config: "log:\n  access: false\ntimeouts:\n  shutdown: 10m\n")
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
