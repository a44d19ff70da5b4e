import ArgumentParser
import CacheStore
import Proxy

#if canImport(Glibc)
import Glibc
#endif

/// `larder inspect URL`: everything stored for one URL, and why it is or is not fresh.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show one URL's variants: headers, age, freshness and why, digest, size, hits, shared bodies."
    )

    @OptionGroup var target: TargetOptions

    @Argument(help: "The URL, e.g. http://example.com/file.tar.gz.")
    var url: String

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func validate() throws {
        guard CacheCatalog(configuration: ProxyConfiguration()).key(forURL: self.url) != nil else {
            throw ValidationError("URL: '\(self.url)' is not an absolute http:// URL")
        }
    }

    func run() async throws {
        let found: JSONValue
        switch try await self.target.resolve() {
        case .admin(let endpoint):
            found = try await endpoint.json("/inspect?url=\(FormEncoding.escape(self.url))")
        case .store(let directory, let configuration, let unanswered):
            let catalog = CacheCatalog(configuration: configuration)
            let reader = try OfflineStore.reader(directory, unanswered: unanswered)
            guard let key = catalog.key(forURL: self.url),
                let result = try catalog.inspect(reader, key: key, nowMilliseconds: Int64(time(nil)) * 1000)
            else { throw CLIError("nothing stored for \(self.url) in \(directory)") }
            found = result
        }
        writeOut((self.json ? found.serialized(pretty: true) : Self.text(found)) + "\n", to: STDOUT_FILENO)
    }

    static func text(_ entry: JSONValue) -> String {
        let variants = entry["variants"]?.arrayValue ?? []
        let plural = variants.count == 1 ? "" : "s"
        var lines = ["\(entry["key"]?.stringValue ?? "?")  (\(variants.count) variant\(plural))"]
        for (index, variant) in variants.enumerated() {
            let secondary = variant["secondary_key"]?.stringValue ?? ""
            lines += [
                "",
                "variant \(index + 1)" + (secondary.isEmpty ? "" : " (vary: \(secondary))"),
                "  status      \(variant["status"]?.intValue ?? 0)",
                "  size        \(Format.bytes(variant["size"]?.intValue ?? 0)) "
                    + "(\(variant["size"]?.intValue ?? 0) bytes)",
                "  digest      sha256:\(variant["digest"]?.stringValue ?? "?")",
                "  hits        \(variant["hits"]?.intValue ?? 0)",
                "  age         \(Format.duration(variant["age_seconds"]?.intValue ?? 0))",
                "  fresh       \(variant["fresh"]?.boolValue == true ? "yes" : "no"), "
                    + "\(variant["why"]?.stringValue ?? "")",
            ]
            let shared = variant["body_shared_with"]?.arrayValue?.compactMap(\.stringValue) ?? []
            lines.append("  shared with " + (shared.isEmpty ? "no other URL" : shared.joined(separator: ", ")))
            lines.append("  headers")
            for field in variant["headers"]?.arrayValue ?? [] {
                lines.append("    \(field["name"]?.stringValue ?? ""): \(field["value"]?.stringValue ?? "")")
            }
        }
        return lines.joined(separator: "\n")
    }
}
