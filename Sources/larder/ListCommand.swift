import ArgumentParser
import CacheStore
import Proxy

#if canImport(Glibc)
import Glibc
#endif

/// `larder ls`: stored entries, optionally under a URL prefix, sorted.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List stored entries: size, hits, age and freshness left."
    )

    @OptionGroup var target: TargetOptions

    @Option(name: .long, help: "Only URLs starting with this, e.g. http://example.com/dists/.")
    var prefix: String?

    @Option(name: .long, help: "key (default), size, hits or age.")
    var sort: String = "key"

    @Option(name: .long, help: "Show at most N entries.")
    var limit: Int = 50

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func validate() throws {
        guard CacheCatalog.Sort(rawValue: self.sort) != nil else {
            throw ValidationError("--sort: '\(self.sort)' is not one of key, size, hits, age")
        }
        guard self.limit >= 0 else { throw ValidationError("--limit: '\(self.limit)' is not a whole number") }
    }

    func run() async throws {
        let listing: JSONValue
        switch try await self.target.resolve() {
        case .admin(let endpoint):
            var query = "sort=\(self.sort)&limit=\(self.limit)"
            if let prefix = self.prefix { query += "&prefix=\(FormEncoding.escape(prefix))" }
            listing = try await endpoint.json("/entries?\(query)")
        case .store(let directory, let configuration, let unanswered):
            let catalog = CacheCatalog(configuration: configuration)
            let reader = try OfflineStore.reader(directory, unanswered: unanswered)
            listing = try catalog.list(
                reader, prefix: self.prefix.map { catalog.keyPrefix(forURL: $0) } ?? "",
                sort: CacheCatalog.Sort(rawValue: self.sort) ?? .key, limit: self.limit,
                nowMilliseconds: Int64(time(nil)) * 1000)
        }
        writeOut((self.json ? listing.serialized(pretty: true) : Self.table(listing)) + "\n", to: STDOUT_FILENO)
    }

    static func table(_ listing: JSONValue) -> String {
        let rows = listing["entries"]?.arrayValue ?? []
        guard !rows.isEmpty else { return "no entries" }
        var lines = [
            Format.pad("SIZE", 10, right: true) + Format.pad("HITS", 7, right: true) + Format.pad("AGE", 9, right: true)
                + Format.pad("TTL", 9, right: true) + "  STATUS VARIANTS  URL"
        ]
        for row in rows {
            let ttl = row["ttl_seconds"]?.intValue ?? 0
            lines.append(
                Format.pad(Format.bytes(row["size"]?.intValue ?? 0), 10, right: true)
                    + Format.pad(String(row["hits"]?.intValue ?? 0), 7, right: true)
                    + Format.pad(Format.duration(row["age_seconds"]?.intValue ?? 0), 9, right: true)
                    + Format.pad(ttl > 0 ? Format.duration(ttl) : "stale", 9, right: true)
                    + "  " + Format.pad(String(row["status"]?.intValue ?? 0), 7)
                    + Format.pad(String(row["variants"]?.intValue ?? 0), 9, right: false) + " "
                    + (row["key"]?.stringValue ?? "?"))
        }
        return lines.joined(separator: "\n")
    }
}
