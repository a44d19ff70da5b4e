import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// The `larder` executable built next to the test bundle, started on a free port, with a config file
/// of the test's choosing in its own directory (which also holds the cache store).
public struct LarderProcess: Sendable {
    public let process: ChildProcess
    public let port: Int
    /// Holds the config file and the cache store; removed when the process stops.
    public let directory: TemporaryDirectory

    /// The config file the process was started with (rewrite it, then send SIGHUP, to reload).
    public var configPath: String { self.directory.path + "/larder.yaml" }

    /// Starts `larder serve` on a port of its own choosing (read back from its start-up log line), so no
    /// other test can take the port in between. The default config turns the access log off so the output
    /// pipe never fills; a test that reads the output can log more.
    public static func start(arguments: [String], config: String = "log:\n  access: false\n") async throws
        -> LarderProcess
    {
        let directory = TemporaryDirectory()
        let path = directory.path + "/larder.yaml"
        try Self.write(config, to: path)
        let process = try ChildProcess(
            try ChildProcess.siblingExecutable(named: "larder"),
            ["serve", "--config", path, "--listen", "127.0.0.1:0", "--admin", "off", "--cache-dir", directory.path]
                + arguments,
            captureOutput: true)
        let port = try await NIOThreadPool.singleton.runIfActive {
            process.firstLine { line -> Int? in
                guard let start = line.firstRange(of: "listen.address=")?.upperBound else { return nil }
                let address = line[start...].prefix(while: { $0 != " " })
                return address.split(separator: ":").last.flatMap { Int($0) }
            }
        }
        guard let port else {
            throw ChildProcess.SpawnError(description: "larder did not report a listening address")
        }
        return LarderProcess(process: process, port: port, directory: directory)
    }

    /// Writes `text` to `path`, replacing it.
    public static func write(_ text: String, to path: String) throws {
        guard let file = fopen(path, "w") else {
            throw ChildProcess.SpawnError(description: "cannot write \(path)")
        }
        defer { fclose(file) }
        let bytes = Array(text.utf8)
        guard fwrite(bytes, 1, bytes.count, file) == bytes.count else {
            throw ChildProcess.SpawnError(description: "short write to \(path)")
        }
    }

    /// Reads the process's output until a line contains `text`; returns that line (nil at end of output).
    /// Blocks: call it off the cooperative pool.
    public func waitForLine(containing text: String) -> String? {
        self.process.firstLine { $0.contains(text) ? $0 : nil }
    }

    /// VmHWM from /proc: the most resident memory the process has had.
    public func peakResidentBytes() -> Int? {
        guard let file = fopen("/proc/\(self.process.pid)/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix("VmHWM:") else { continue }
            return text.split(separator: " ").compactMap { Int($0) }.first.map { $0 * 1024 }
        }
        return nil
    }

    /// SIGTERM, then waits for the exit; removes the directory.
    public func stop() async {
        _ = try? await NIOThreadPool.singleton.runIfActive {
            self.process.signal(SIGTERM)
            self.process.wait()
        }
        self.directory.remove()
    }
}
