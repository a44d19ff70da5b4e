import NIOHTTP1
import NIOPosix
import Proxy
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The inspecting commands (`larder stats|ls|inspect|purge|warm`) run as a user would: the real
/// executable against a real server's admin API, and against a store on disk (also while a server runs).
@Suite("larder stats, ls, inspect, purge, warm", .timeLimit(.minutes(3)))
struct OperationsCLITests {
    static let origin: TestOrigin.Handler = { request in
        let size = request.head.uri.hasSuffix("/big") ? 40_000 : 12
        return .init(headers: [("Cache-Control", "max-age=600"), ("ETag", "\"t\"")],
                     body: .bytes(Array(repeating: UInt8(ascii: "z"), count: size)))
    }

    static func get(_ path: String) -> String { "GET \(path) HTTP/1.1\r\nHost: files.example\r\n\r\n" }

    /// Sends a miss for each path, then one hit for the first.
    static func traffic(_ larder: TestLarder, _ paths: [String]) async throws {
        for path in paths { _ = try await TestClient.exchange(port: larder.port, Self.get(path)) }
        try await larder.server.flushCache()
        let hit = try await TestClient.exchange(port: larder.port, Self.get(paths[0]))
        #expect(hit.header("cache-status")?.contains("hit") == true)
        _ = try await Admin.stats(larder, waitingFor: Int64(paths.count + 1))
    }

    static func adminURL(_ larder: TestLarder) throws -> String { "http://127.0.0.1:\(try Admin.port(larder))" }

    @Test("stats against a running server: the table says so, the JSON counters match the traffic")
    func statsFromServer() async throws {
        try await withOriginAndLarder(mode: .reverse, origin: Self.origin, configure: Admin.enable) { _, larder in
            try await Self.traffic(larder, ["/a", "/big"])
            let admin = try Self.adminURL(larder)
            let json = try await CLI.run(["stats", "--admin", admin, "--json"])
            #expect(json.status == 0, "\(json.output)")
            let stats = try JSONParser.parse(json.output)
            #expect(stats["source"]?.stringValue == "server")
            #expect(stats["requests"]?.intValue == 3)
            #expect(stats["hits"]?.intValue == 1)
            #expect(stats["misses"]?.intValue == 2)
            #expect(stats["store"]?["objects"]?.intValue == 2)

            let table = try await CLI.run(["stats", "--admin", admin])
            #expect(table.status == 0)
            #expect(table.output.contains("running server at \(admin)"))
            #expect(table.output.contains("hit ratio 33.3%"))
            #expect(table.lines.contains { $0.hasPrefix("  hits") && $0.contains(" 1 ") })
            #expect(table.output.contains("http://files.example/a"))
        }
    }

    @Test("stats, ls, inspect and purge against a stopped store")
    func offlineStore() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try await withOriginAndLarder(mode: .reverse, origin: Self.origin, configure: { configuration in
            Admin.enable(&configuration)
            configuration.cacheDirectory = directory.path
        }) { _, larder in
            try await Self.traffic(larder, ["/a", "/big", "/docs/c"])
        }
        let stats = try await CLI.run(["stats", "--cache-dir", directory.path, "--json"])
        #expect(stats.status == 0, "\(stats.output)")
        let document = try JSONParser.parse(stats.output)
        #expect(document["source"]?.stringValue == "store")
        #expect(document["server_running"]?.boolValue == false)
        #expect(document["store"]?["objects"]?.intValue == 3)
        #expect(document["store"]?["saved_hits"]?.intValue == 1)
        #expect(document["hits"] == nil)
        let table = try await CLI.run(["stats", "--cache-dir", directory.path])
        #expect(table.output.contains("store on disk at \(directory.path), read-only (no server running)"))

        let list = try await CLI.run(["ls", "--cache-dir", directory.path, "--sort", "size"])
        #expect(list.status == 0, "\(list.output)")
        let urls = list.lines.dropFirst().compactMap { $0.split(separator: " ").last.map(String.init) }
        #expect(urls == ["http://files.example/big", "http://files.example/a", "http://files.example/docs/c"])

        let inspect = try await CLI.run(["inspect", "--cache-dir", directory.path, "http://FILES.example/a"])
        #expect(inspect.status == 0, "\(inspect.output)")
        #expect(inspect.output.contains("http://files.example/a  (1 variant)"))
        #expect(inspect.output.contains("fresh       yes, fresh for"))
        #expect(inspect.output.contains("hits        1"))
        #expect(inspect.output.contains("shared with http://files.example/docs/c"))
        #expect(inspect.output.contains("etag: \"t\"") || inspect.output.contains("ETag: \"t\""))

        let purge = try await CLI.run(
            ["purge", "--cache-dir", directory.path, "--prefix", "http://files.example/docs/"])
        #expect(purge.status == 0, "\(purge.output)")
        #expect(purge.output.contains("purged 1 variant(s)"))
        let after = try JSONParser.parse(try await CLI.run(["stats", "--cache-dir", directory.path, "--json"]).output)
        #expect(after["store"]?["objects"]?.intValue == 2)
        let gone = try await CLI.run(["inspect", "--cache-dir", directory.path, "http://files.example/docs/c"])
        #expect(gone.status == 1)
        #expect(gone.output.contains("nothing stored for http://files.example/docs/c"))
    }

    @Test("a store a server holds is read read-only, and an offline purge is refused")
    func storeInUse() async throws {
        try await withOriginAndLarder(mode: .reverse, origin: Self.origin, configure: Admin.enable) { _, larder in
            try await Self.traffic(larder, ["/a"])
            let directory = larder.server.configuration.cacheDirectory
            let stats = try await CLI.run(["stats", "--cache-dir", directory, "--json"])
            #expect(stats.status == 0, "\(stats.output)")
            let document = try JSONParser.parse(stats.output)
            #expect(document["server_running"]?.boolValue == true)
            #expect(document["store"]?["objects"]?.intValue == 1)
            let purge = try await CLI.run(["purge", "--cache-dir", directory, "--all"])
            #expect(purge.status == 1)
            #expect(purge.output.contains("open for writing by process \(getpid())"))
            #expect(purge.output.contains("--admin"))
            // The server was not disturbed: its entry still answers.
            let again = try await TestClient.exchange(port: larder.port, Self.get("/a"))
            #expect(again.header("cache-status")?.contains("hit") == true)
        }
    }

    @Test("ls, inspect and purge through the admin API; purge takes effect for the next request")
    func onlineCommands() async throws {
        try await withOriginAndLarder(mode: .reverse, origin: Self.origin, configure: Admin.enable) { origin, larder in
            try await Self.traffic(larder, ["/a", "/big"])
            let admin = try Self.adminURL(larder)
            let list = try await CLI.run(["ls", "--admin", admin, "--sort", "hits", "--limit", "1", "--json"])
            #expect(list.status == 0, "\(list.output)")
            let rows = try JSONParser.parse(list.output)["entries"]?.arrayValue ?? []
            #expect(rows.map { $0["key"]?.stringValue } == ["http://files.example/a"])
            #expect(rows.first?["hits"]?.intValue == 1)

            let inspect = try await CLI.run(["inspect", "--admin", admin, "http://files.example/big", "--json"])
            let variant = try JSONParser.parse(inspect.output)["variants"]?.arrayValue?.first
            #expect(variant?["size"]?.intValue == 40_000)

            let purge = try await CLI.run(["purge", "--admin", admin, "http://files.example/a"])
            #expect(purge.status == 0, "\(purge.output)")
            #expect(purge.output.contains("purged 1 variant(s)"))
            let after = try await TestClient.exchange(port: larder.port, Self.get("/a"))
            #expect(after.header("cache-status")?.contains("fwd=uri-miss") == true)
            #expect(origin.requests.count == 3)
        }
    }

    @Test("warm fetches each URL through the proxy and summarises; a second run finds them cached")
    func warm() async throws {
        try await withOriginAndLarder(mode: .forward, origin: Self.origin) { origin, larder in
            let directory = TemporaryDirectory()
            defer { directory.remove() }
            let list = directory.path + "/urls.txt"
            let urls = ["/one", "/two", "/big"].map { origin.url + $0 }
            try ("# warm these\n" + urls.joined(separator: "\n") + "\n\n").write(toFile: list)
            let proxy = "http://127.0.0.1:\(larder.port)"
            let first = try await CLI.run(["warm", list, "--proxy", proxy])
            #expect(first.status == 0, "\(first.output)")
            #expect(first.output.contains("warmed 3 URL(s)"))
            #expect(first.output.contains("3 stored, 0 already cached, 0 not cacheable, 0 failed"))
            try await larder.server.flushCache()
            let second = try await CLI.run(["warm", list, "--proxy", proxy])
            #expect(second.output.contains("0 stored, 3 already cached"))
            #expect(origin.requests.count == 3)
        }
    }

    @Test("bad arguments are named", arguments: [
        (["ls", "--sort", "color", "--cache-dir", "/nonexistent"], "--sort: 'color'"),
        (["purge", "--cache-dir", "/nonexistent"], "say what to purge"),
        (["inspect", "not-a-url", "--cache-dir", "/nonexistent"], "'not-a-url' is not an absolute http:// URL"),
        (["stats", "--admin", "http://127.0.0.1:1", "--cache-dir", "/x"], "give one of them"),
        (["stats", "--watch", "0", "--cache-dir", "/x"], "--watch"),
        (["warm", "/nonexistent/list", "--concurrency", "0"], "--concurrency"),
        (["stats", "--cache-dir", "/nonexistent/store"], "cannot read the store in /nonexistent/store"),
    ])
    func badArguments(arguments: [String], message: String) async throws {
        let result = try await CLI.run(arguments)
        #expect(result.status != 0)
        #expect(result.output.contains(message), "\(result.output)")
    }
}

/// Runs the `larder` executable built beside the tests.
enum CLI {
    struct Result {
        var status: Int32
        var output: String
        var lines: [String] { self.output.split(separator: "\n").map(String.init) }
    }

    /// Runs `larder arguments…` to completion; output is standard output and error together.
    static func run(_ arguments: [String]) async throws -> Result {
        let process = try ChildProcess(
            try ChildProcess.siblingExecutable(named: "larder"), arguments, captureOutput: true)
        return try await NIOThreadPool.singleton.runIfActive {
            let output = process.readAll()
            return Result(status: process.wait(), output: output)
        }
    }
}

/// One writer per store, for servers too.
@Suite("One server per cache directory", .timeLimit(.minutes(1)))
struct OperationsStoreOwnershipTests {
    @Test("a second server on a cache directory in use fails to start and names the holder")
    func secondServerRefused() async throws {
        try await withOriginAndLarder(mode: .reverse) { origin, larder in
            let directory = larder.server.configuration.cacheDirectory
            do {
                let second = try await TestLarder.start(mode: .reverse, upstreams: [origin.url]) { configuration in
                    configuration.cacheDirectory = directory
                }
                await second.shutdown()
                Issue.record("a second server opened \(directory)")
            } catch {
                #expect("\(error)".contains("open for writing by process \(getpid())"), "\(error)")
            }
            let still = try await TestClient.exchange(port: larder.port, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(still.status == 200)
        }
    }
}
