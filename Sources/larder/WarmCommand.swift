import ArgumentParser
import NIOCore
import NIOHTTP1
import Proxy

#if canImport(Glibc)
import Glibc
#endif

/// `larder warm FILE`: fetch each URL of a list through the proxy, so later requests are hits.
struct WarmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warm",
        abstract: "Prefetch a list of URLs (one per line, # comments) through the proxy, with progress and a summary."
    )

    @Argument(help: "File with one URL per line; '-' reads standard input.")
    var file: String

    @Option(name: .long, help: "The proxy, http://HOST:PORT (default: the config's listen address, or 127.0.0.1:3128).")
    var proxy: String?

    @Option(name: .long, help: "Config file whose listen address is the proxy.")
    var config: String?

    @Option(name: .long, help: "Fetches at a time (1-64).")
    var concurrency: Int = 4

    @Option(name: .long, help: "Seconds one fetch may take.")
    var timeout: Int = 600

    func validate() throws {
        guard (1...64).contains(self.concurrency) else {
            throw ValidationError("--concurrency: '\(self.concurrency)' is not between 1 and 64")
        }
        guard self.timeout > 0 else { throw ValidationError("--timeout: must be above 0 seconds") }
        if let proxy = self.proxy, AdminEndpoint(parsing: proxy, token: nil) == nil {
            throw ValidationError("--proxy: '\(proxy)' is not http://HOST:PORT")
        }
    }

    func run() async throws {
        let urls = try self.readURLs()
        guard !urls.isEmpty else { throw CLIError("\(self.file): no URLs (one http:// URL per line)") }
        let proxy = try self.proxyAddress()
        let start = NIODeadline.now()
        var tally = Tally(total: urls.count)
        let interactive = isatty(STDERR_FILENO) != 0
        try await withThrowingTaskGroup(of: (String, Result<HTTPFetch.Response, any Error>).self) { group in
            var next = 0
            func launch() {
                guard next < urls.count else { return }
                let url = urls[next]
                next += 1
                let timeout = Int64(self.timeout)
                group.addTask {
                    do {
                        let response = try await HTTPFetch.fetch(
                            host: proxy.host, port: proxy.port, target: url, keepBody: false,
                            timeout: .seconds(timeout))
                        return (url, .success(response))
                    } catch {
                        return (url, .failure(error))
                    }
                }
            }
            for _ in 0..<self.concurrency { launch() }
            while let (url, result) = try await group.next() {
                let line = tally.add(url, result)
                if let line { writeOut((interactive ? "\r\u{1B}[K" : "") + line + "\n", to: STDERR_FILENO) }
                if interactive { writeOut("\r\u{1B}[K" + tally.progress, to: STDERR_FILENO) }
                launch()
            }
        }
        if interactive { writeOut("\r\u{1B}[K", to: STDERR_FILENO) }
        let seconds = Double((NIODeadline.now() - start).nanoseconds) / 1e9
        print(tally.summary(seconds: seconds))
        if tally.failed > 0 { throw ExitCode(1) }
    }

    private func readURLs() throws -> [String] {
        let text: String
        if self.file == "-" {
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(STDIN_FILENO, &buffer, buffer.count)
                if count <= 0 { break }
                bytes += buffer[0..<count]
            }
            text = String(decoding: bytes, as: UTF8.self)
        } else {
            guard let file = fopen(self.file, "r") else { throw CLIError("\(self.file): cannot read it") }
            defer { fclose(file) }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = fread(&buffer, 1, buffer.count, file)
                if count == 0 { break }
                bytes += buffer[0..<count]
            }
            text = String(decoding: bytes, as: UTF8.self)
        }
        var urls: [String] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw).trimmingCharacters(in: " \t\r")
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard line.hasPrefix("http://") else {
                throw CLIError("\(self.file): line \(number + 1): '\(line)' is not an http:// URL")
            }
            urls.append(line)
        }
        return urls
    }

    private func proxyAddress() throws -> AdminEndpoint {
        if let proxy = self.proxy, let endpoint = AdminEndpoint(parsing: proxy, token: nil) { return endpoint }
        let configuration = try ProxyConfiguration.loading(file: self.config)
        let listen = configuration.listen
        return AdminEndpoint(host: listen.host == "0.0.0.0" ? "127.0.0.1" : listen.host, port: listen.port, token: nil)
    }

    /// Counts outcomes as answers arrive.
    struct Tally {
        let total: Int
        var done = 0
        var stored = 0
        var cached = 0
        var notStored = 0
        var failed = 0
        var bytes: Int64 = 0

        /// Records one answer; returns a line worth printing on its own (failures and uncached answers).
        mutating func add(_ url: String, _ result: Result<HTTPFetch.Response, any Error>) -> String? {
            self.done += 1
            switch result {
            case .failure(let error):
                self.failed += 1
                return "failed      \(url): \(error)"
            case .success(let response):
                self.bytes += Int64(response.bodyBytes)
                let status = response.headers["cache-status"].last ?? ""
                if response.status >= 400 {
                    self.failed += 1
                    return "failed      \(url): status \(response.status)"
                } else if status.contains("; hit") {
                    self.cached += 1
                } else if status.contains("; stored") {
                    self.stored += 1
                } else {
                    self.notStored += 1
                    return "not stored  \(url): \(status.isEmpty ? "no Cache-Status" : status)"
                }
                return nil
            }
        }

        var progress: String {
            let width = 30
            let filled = self.total == 0 ? width : width * self.done / self.total
            return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                + "] \(self.done)/\(self.total)  \(Format.bytes(self.bytes))"
        }

        func summary(seconds: Double) -> String {
            "warmed \(self.total) URL(s) in \(Format.decimal(seconds, places: 1)) s: \(self.stored) stored, "
                + "\(self.cached) already cached, \(self.notStored) not cacheable, \(self.failed) failed; "
                + "\(Format.bytes(self.bytes)) fetched"
        }
    }
}
