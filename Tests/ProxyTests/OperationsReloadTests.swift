import CacheStore
import Dispatch
import Glibc
import NIOCore
import NIOPosix
import Proxy
import TestSupport
import Testing
import Upstream

/// Configuration reload: in process (what changes, what is reported) and through SIGHUP on the real
/// executable, with a download in flight across the reload and across SIGTERM.
@Suite("Reload and graceful shutdown", .timeLimit(.minutes(3)))
struct OperationsReloadTests {
    static func get(_ path: String) -> String { "GET \(path) HTTP/1.1\r\nHost: www.example.com\r\n\r\n" }

    @Test("reload switches upstreams and the budget, reports what needs a restart, rejects a bad one")
    func reloadInProcess() async throws {
        let second = try await TestOrigin.start { _ in .text("second\n") }
        defer { Task { await second.shutdown() } }
        try await withOriginAndLarder(mode: .reverse, origin: { _ in .text("first\n") }) { first, larder in
            #expect(try await TestClient.exchange(port: larder.port, Self.get("/x")).text == "first\n")
            var new = larder.server.currentConfiguration
            new.upstreams = [try #require(Origin(url: second.url))]
            new.listen = ListenAddress(host: "127.0.0.1", port: 1)
            new.cacheSize = 64 << 20
            new.keepAliveTimeout = .seconds(5)
            let result = try await larder.server.reload(new)
            #expect(result.applied.contains("upstreams"))
            #expect(result.applied.contains("cache.size"))
            #expect(result.applied.contains("timeouts.keep_alive"))
            #expect(result.needsRestart == ["listen"])
            #expect(larder.server.currentConfiguration.listen.port == 0)
            #expect(try await TestClient.exchange(port: larder.port, Self.get("/y")).text == "second\n")
            let budget = try #require(try await Admin.storeBudget(larder))
            #expect(budget == 64 << 20)

            var bad = new
            bad.upstreams = []
            await #expect(throws: ConfigurationError.self) { try await larder.server.reload(bad) }
            #expect(try await TestClient.exchange(port: larder.port, Self.get("/z")).text == "second\n")
            #expect(first.requests.count == 1)
        }
    }

    @Test("SIGHUP changes upstreams without dropping an in-flight download; a bad file is rejected and logged")
    func sighupKeepsInFlightDownload() async throws {
        let length = 64 << 20
        let first = try await TestOrigin.start { _ in
            .init(headers: [("Cache-Control", "no-store")], body: .pattern(length: length))
        }
        let second = try await TestOrigin.start { _ in
            .text("second origin\n", headers: [("Cache-Control", "no-store")])
        }
        let config = { (origin: TestOrigin) in "log:\n  access: false\nmode: reverse\nupstreams:\n  - \(origin.url)\n" }
        let larder = try await LarderProcess.start(arguments: [], config: config(first))
        do {
            // Watch the output for the reload on a thread of its own (never the cooperative pool) while the
            // download runs; when the line came is compared with when the download ended.
            let watcher = Task {
                await withCheckedContinuation { continuation in
                    DispatchQueue.global().async {
                        continuation.resume(
                            returning: (larder.waitForLine(containing: "configuration reloaded"), ContinuousClock.now))
                    }
                }
            }
            let response = try await TestClient.withConnection(port: larder.port) { connection in
                try await connection.send("GET /big HTTP/1.1\r\nHost: a\r\n\r\n")
                return try await connection.readResponse(keepBodyUpTo: 0, afterHead: {
                    try? LarderProcess.write(config(second), to: larder.configPath)
                    larder.process.signal(SIGHUP)
                })
            }
            let downloaded = ContinuousClock.now
            let (reloaded, reloadedAt) = await watcher.value
            #expect(reloaded?.contains("upstreams") == true, "\(reloaded ?? "no reload line")")
            #expect(reloadedAt < downloaded, "the reload finished while the download was in flight")
            #expect(response.complete)
            #expect(response.bodyLength == length)
            #expect(response.bodyDigest == Pattern.digest(length: length))
            let after = try await TestClient.exchange(port: larder.port, Self.get("/next"))
            #expect(after.text == "second origin\n")

            try LarderProcess.write("mode: reverse\nupstreams: [\n", to: larder.configPath)
            larder.process.signal(SIGHUP)
            let rejected = try await NIOThreadPool.singleton.runIfActive {
                larder.waitForLine(containing: "configuration reload rejected")
            }
            #expect(rejected?.contains("YAML syntax") == true, "\(rejected ?? "no rejection line")")
            let still = try await TestClient.exchange(port: larder.port, Self.get("/still"))
            #expect(still.text == "second origin\n")
            #expect(first.requests.count == 1)
            #expect(second.requests.count == 2)
        } catch {
            await larder.stop()
            await first.shutdown()
            await second.shutdown()
            throw error
        }
        await larder.stop()
        await first.shutdown()
        await second.shutdown()
    }

    @Test("SIGTERM after a reload finishes the in-flight download, then exits 0")
    func sigtermAfterReload() async throws {
        let length = 32 << 20
        let origin = try await TestOrigin.start { _ in .init(body: .pattern(length: length)) }
        let larder = try await LarderProcess.start(arguments: ["--mode", "reverse", "--upstream", origin.url])
        larder.process.signal(SIGHUP)
        let reloaded = try await NIOThreadPool.singleton.runIfActive {
            larder.waitForLine(containing: "configuration reloaded")
        }
        #expect(reloaded?.contains("nothing changed") == true)
        let (response, closed) = try await TestClient.withConnection(port: larder.port) { connection in
            try await connection.send("GET /big HTTP/1.1\r\nHost: a\r\n\r\n")
            let response = try await connection.readResponse(keepBodyUpTo: 0, afterHead: {
                larder.process.signal(SIGTERM)
            })
            return (response, try await connection.waitForClose())
        }
        #expect(response.complete)
        #expect(response.bodyDigest == Pattern.digest(length: length))
        #expect(closed)
        let status = try await NIOThreadPool.singleton.runIfActive { larder.process.wait() }
        #expect(status == 0)
        larder.directory.remove()
        await origin.shutdown()
    }
}

extension Admin {
    /// The store's budget as the running server reports it.
    static func storeBudget(_ larder: TestLarder) async throws -> Int64? {
        larder.server.statsReport()?.store?.maxBytes
    }
}
