import ArgumentParser
import CacheStore
import Proxy

#if canImport(Glibc)
import Glibc
#endif

/// `larder stats`: what the cache did, from a running server or a store on disk.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Hit ratios, counters, store usage and top hosts/URLs (a running server or a store on disk)."
    )

    @OptionGroup var target: TargetOptions

    @Flag(name: .long, help: "Print the JSON document instead of the table.")
    var json = false

    @Option(name: .long, help: "Refresh every SECONDS until interrupted.")
    var watch: Double?

    @Option(name: .long, help: "How many hosts and URLs the top lists show (0-64).")
    var top: Int = 5

    func validate() throws {
        if let watch = self.watch, !(watch > 0 && watch <= 86_400) {
            throw ValidationError("--watch: '\(watch)' is not a number of seconds above 0")
        }
        guard (0...64).contains(self.top) else { throw ValidationError("--top: '\(self.top)' is not between 0 and 64") }
    }

    func run() async throws {
        let target = try await self.target.resolve()
        while true {
            let (document, origin) = try await Self.load(target, top: self.top)
            let text = self.json ? document.serialized(pretty: true) : StatsTable.render(document, origin: origin)
            if self.watch != nil && !self.json { writeOut("\u{1B}[H\u{1B}[2J", to: STDOUT_FILENO) }
            writeOut(text + "\n", to: STDOUT_FILENO)
            guard let watch = self.watch else { return }
            try await Task.sleep(nanoseconds: UInt64(watch * 1_000_000_000))
        }
    }

    /// The `/stats` document and a phrase saying where it came from.
    static func load(_ target: StoreTarget, top: Int) async throws -> (JSONValue, String) {
        switch target {
        case .admin(let endpoint):
            return (try await endpoint.json("/stats?top=\(top)"), "running server at \(endpoint.description)")
        case .store(let directory, _, let unanswered):
            let reader = try OfflineStore.reader(directory, unanswered: unanswered)
            let report = StatsReport(
                source: .store, traffic: nil, store: try reader.stats(), fillsInFlight: [],
                generatedAt: Int64(time(nil)))
            let running = CacheStore.isOpenForWriting(directory: directory)
            guard case .object(var fields) = report.json else { return (report.json, directory) }
            fields.insert(("directory", .string(directory)), at: 1)
            fields.insert(("server_running", .bool(running)), at: 2)
            let origin = "store on disk at \(directory), read-only"
                + (running
                    ? " (a server is running on it: ask it with --admin for traffic counters)" : " (no server running)")
            return (.object(fields), origin)
        }
    }
}

/// Opening stores on disk for the CLI, with errors phrased for the operator.
enum OfflineStore {
    /// `unanswered`: the admin address tried first, if any, for the error message.
    static func reader(_ directory: String, unanswered: String? = nil) throws -> StoreReader {
        do {
            return try StoreReader.open(directory: directory)
        } catch {
            let server = unanswered.map { "no server answered at \($0) (pass --admin URL), and " } ?? ""
            throw CLIError("\(server)cannot read the store in \(directory): \(error)")
        }
    }

    /// Opens the store for writing (purge); refused while a server holds it.
    static func writer(_ directory: String) throws -> CacheStore {
        guard (try? StoreReader.open(directory: directory)) != nil else {
            throw CLIError("no cache store in \(directory)")
        }
        do {
            return try CacheStore.open(directory: directory)
        } catch where error == .inUse {
            throw CLIError("\(error.detail): a running server owns it; purge through it with --admin URL")
        } catch {
            throw CLIError("cannot open the store in \(directory): \(error)")
        }
    }
}
