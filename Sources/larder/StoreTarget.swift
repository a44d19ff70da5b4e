import ArgumentParser
import CacheStore
import NIOCore
import NIOHTTP1
import Proxy

#if canImport(Glibc)
import Glibc
#endif

/// Where an inspecting command looks: a running server's admin API, or a store on disk.
enum StoreTarget {
    case admin(AdminEndpoint)
    /// `unanswered`: the admin address asked first, when no server answered there (said in errors).
    case store(directory: String, configuration: ProxyConfiguration, unanswered: String?)
}

/// `--admin URL`, `--cache-dir DIR`, `--token`, `--config`: shared by stats, ls, inspect and purge.
///
/// With neither `--admin` nor `--cache-dir`, the command asks the admin address of the config file (or
/// the default 127.0.0.1:9090) and, when nothing answers there, reads the config's cache directory.
struct TargetOptions: ParsableArguments {
    @Option(name: .long, help: "Admin API of a running server, e.g. http://127.0.0.1:9090.")
    var admin: String?

    @Option(name: .customLong("cache-dir"), help: "Cache directory of a store on disk (a stopped server's).")
    var cacheDir: String?

    @Option(name: .long, help: "Bearer token for the admin API (default: $LARDER_ADMIN_TOKEN, or the config's).")
    var token: String?

    @Option(name: .long, help: "Config file: its admin address, token, cache directory and key rules.")
    var config: String?

    func validate() throws {
        if self.admin != nil && self.cacheDir != nil {
            throw ValidationError("--admin and --cache-dir: give one of them (a running server or a store on disk)")
        }
        if let admin = self.admin, AdminEndpoint(parsing: admin, token: nil) == nil {
            throw ValidationError("--admin: '\(admin)' is not http://HOST:PORT")
        }
        if let cacheDir = self.cacheDir, cacheDir.isEmpty {
            throw ValidationError("--cache-dir: must not be empty")
        }
    }

    /// The configuration the target's defaults come from.
    func configuration() throws -> ProxyConfiguration {
        try ProxyConfiguration.loading(file: self.config)
    }

    private func resolvedToken(_ configuration: ProxyConfiguration) -> String? {
        if let token = self.token { return token }
        if let value = getenv("LARDER_ADMIN_TOKEN"), !String(cString: value).isEmpty { return String(cString: value) }
        return configuration.adminToken
    }

    func resolve() async throws -> StoreTarget {
        let configuration = try self.configuration()
        let token = self.resolvedToken(configuration)
        if let admin = self.admin, let endpoint = AdminEndpoint(parsing: admin, token: token) {
            return .admin(endpoint)
        }
        if let cacheDir = self.cacheDir {
            var configuration = configuration
            configuration.cacheDirectory = cacheDir
            return .store(directory: cacheDir, configuration: configuration, unanswered: nil)
        }
        if let address = configuration.admin {
            let endpoint = AdminEndpoint(host: address.host == "0.0.0.0" ? "127.0.0.1" : address.host,
                                         port: address.port, token: token)
            if (try? await endpoint.get("/healthz", timeout: .seconds(2)))?.status == 200 { return .admin(endpoint) }
            return .store(
                directory: configuration.cacheDirectory, configuration: configuration, unanswered: endpoint.description)
        }
        return .store(directory: configuration.cacheDirectory, configuration: configuration, unanswered: nil)
    }
}

/// A running server's admin API.
struct AdminEndpoint: Sendable {
    var host: String
    var port: Int
    var token: String?

    init(host: String, port: Int, token: String?) {
        self.host = host
        self.port = port
        self.token = token
    }

    /// `http://HOST:PORT`, `HOST:PORT` or `http://[V6]:PORT`, with an optional trailing slash.
    init?(parsing text: String, token: String?) {
        var rest = Substring(text)
        if rest.hasPrefix("http://") { rest = rest.dropFirst("http://".count) }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let address = ListenAddress(parsing: String(rest)), address.port > 0 else { return nil }
        self.init(host: address.host, port: address.port, token: token)
    }

    var description: String { "http://\(ListenAddress(host: self.host, port: self.port))" }

    private var headers: [(String, String)] {
        self.token.map { [("authorization", "Bearer \($0)")] } ?? []
    }

    func get(_ target: String, timeout: TimeAmountSeconds = .seconds(30)) async throws -> HTTPFetch.Response {
        try await HTTPFetch.fetch(
            host: self.host, port: self.port, target: target, headers: self.headers, timeout: .seconds(timeout.value))
    }

    func post(_ target: String, form: [(String, String)]) async throws -> HTTPFetch.Response {
        let body = form.map { "\(FormEncoding.escape($0.0))=\(FormEncoding.escape($0.1))" }.joined(separator: "&")
        return try await HTTPFetch.fetch(
            host: self.host, port: self.port, method: .POST, target: target,
            headers: self.headers + [("content-type", "application/x-www-form-urlencoded")], body: Array(body.utf8))
    }

    /// GETs a JSON answer; a non-200 answer becomes an error naming what the server said.
    func json(_ target: String) async throws -> JSONValue {
        try Self.decode(try await self.get(target), from: self, target: target)
    }

    static func decode(
        _ response: HTTPFetch.Response, from endpoint: AdminEndpoint, target: String
    ) throws -> JSONValue {
        let parsed = try? JSONParser.parse(response.text)
        guard response.status == 200, let parsed else {
            let message = parsed?["error"]?.stringValue ?? response.text.trimmingCharacters(in: "\n")
            if response.status == 401 {
                throw CLIError("\(endpoint.description) asks for a token: pass --token or set LARDER_ADMIN_TOKEN")
            }
            throw CLIError("\(endpoint.description)\(target.prefix { $0 != "?" }): \(response.status) \(message)")
        }
        return parsed
    }
}

/// Whole seconds, for timeouts given to the admin client.
struct TimeAmountSeconds: Sendable {
    var value: Int64
    static func seconds(_ value: Int64) -> TimeAmountSeconds { TimeAmountSeconds(value: value) }
}

/// Percent-encoding for query strings and form bodies.
enum FormEncoding {
    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"), UInt8(ascii: "/"), UInt8(ascii: ":"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}

/// A problem the CLI reports in one line and exits with status 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        let characters = Set(set)
        return String(self.drop { characters.contains($0) }.reversed().drop { characters.contains($0) }.reversed())
    }
}
