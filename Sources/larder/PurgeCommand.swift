import ArgumentParser
import CacheStore
import Proxy

/// `larder purge URL | --prefix URL | --all`: remove stored entries, online or offline.
struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Remove one URL, every URL under a prefix, or everything; the next request goes to the origin."
    )

    @OptionGroup var target: TargetOptions

    @Argument(help: "The URL to purge (all its variants).")
    var url: String?

    @Option(name: .long, help: "Purge every URL starting with this.")
    var prefix: String?

    @Flag(name: .long, help: "Purge everything.")
    var all = false

    func validate() throws {
        let given = [self.url != nil, self.prefix != nil, self.all].filter { $0 }.count
        guard given == 1 else { throw ValidationError("say what to purge: a URL, --prefix URL or --all (one of them)") }
        if let url = self.url, CacheCatalog(configuration: ProxyConfiguration()).key(forURL: url) == nil {
            throw ValidationError("URL: '\(url)' is not an absolute http:// URL")
        }
        if let prefix = self.prefix, prefix.isEmpty { throw ValidationError("--prefix: must not be empty (use --all)") }
    }

    func run() async throws {
        switch try await self.target.resolve() {
        case .admin(let endpoint):
            let form: [(String, String)] =
                if let url = self.url { [("url", url)] } else if let prefix = self.prefix { [("prefix", prefix)] }
                else { [("all", "true")] }
            let answer = try AdminEndpoint.decode(
                try await endpoint.post("/purge", form: form), from: endpoint, target: "/purge")
            print("purged \(answer["purged"]?.intValue ?? 0) variant(s): \(answer["scope"]?.stringValue ?? "")"
                + " (running server at \(endpoint.description))")
        case .store(let directory, let configuration, _):
            let catalog = CacheCatalog(configuration: configuration)
            let scope: PurgeScope
            if let url = self.url, let key = catalog.key(forURL: url) {
                scope = .key(key)
            } else if let prefix = self.prefix {
                scope = .prefix(catalog.keyPrefix(forURL: prefix))
            } else {
                scope = .all
            }
            let store = try OfflineStore.writer(directory)
            defer { store.close() }
            let removed = try await store.purge(scope)
            print("purged \(removed) variant(s) from the store in \(directory)")
        }
    }
}
