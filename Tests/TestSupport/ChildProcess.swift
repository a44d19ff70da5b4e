#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn, for tests that need real peers (openssl, curl, larder).
///
/// Deliberately not Foundation's `Process`: its exit monitoring spins a run loop, which on Swift's few
/// cooperative threads starves the rest of a parallel test run. Output, when captured, is read with
/// blocking reads: call ``readAll()`` and ``wait()`` off the cooperative pool (e.g. NIO's thread pool).
public final class ChildProcess: Sendable {
    public let pid: pid_t
    private let outputDescriptor: Int32?

    public struct SpawnError: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// Starts `path` with `arguments`. Standard output and error go to a pipe when `captureOutput`,
    /// else to /dev/null; standard input is /dev/null.
    public init(_ path: String, _ arguments: [String], captureOutput: Bool = false) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var pipeDescriptors: [Int32] = [-1, -1]
        if captureOutput {
            guard pipe(&pipeDescriptors) == 0 else { throw SpawnError(description: "pipe failed") }
            posix_spawn_file_actions_adddup2(&actions, pipeDescriptors[1], 1)
            posix_spawn_file_actions_adddup2(&actions, pipeDescriptors[1], 2)
            posix_spawn_file_actions_addclose(&actions, pipeDescriptors[0])
            posix_spawn_file_actions_addclose(&actions, pipeDescriptors[1])
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, path, &actions, nil, argv, environ)
        if captureOutput { close(pipeDescriptors[1]) }
        guard status == 0 else {
            if captureOutput { close(pipeDescriptors[0]) }
            throw SpawnError(description: "cannot start \(path): \(String(cString: strerror(status)))")
        }
        self.pid = pid
        self.outputDescriptor = captureOutput ? pipeDescriptors[0] : nil
    }

    /// The path of an executable SwiftPM built next to the test bundle (products and the test binary
    /// share one build directory); found from the test binary's own path.
    public static func siblingExecutable(named name: String) throws -> String {
        var starts = [CommandLine.arguments[0]]
        var link = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &link, link.count - 1)
        if length > 0 {
            starts.append(String(decoding: link[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        for start in starts {
            var directory = start
            for _ in 0..<5 {
                guard let slash = directory.lastIndex(of: "/") else { break }
                directory = String(directory[..<slash])
                let candidate = directory + "/" + name
                if access(candidate, X_OK) == 0 { return candidate }
            }
        }
        throw SpawnError(description: "\(name) not found near \(starts)")
    }

    /// Reads the captured output until the child closes it (blocking).
    public func readAll() -> String {
        guard let descriptor = self.outputDescriptor else { return "" }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = read(descriptor, &chunk, chunk.count)
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        close(descriptor)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads captured output up to the next newline (blocking); nil at end of output.
    /// Unbuffered, so ``readAll()`` afterwards misses nothing.
    public func readLine() -> String? {
        guard let descriptor = self.outputDescriptor else { return nil }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while read(descriptor, &byte, 1) == 1 {
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }

    /// Reads lines until one satisfies `match`, returning what `match` extracted (nil at end of output).
    public func firstLine<T>(where match: (String) -> T?) -> T? {
        while let line = self.readLine() {
            if let found = match(line) { return found }
        }
        return nil
    }

    /// Sends `signal` to the child.
    public func signal(_ signal: Int32) {
        kill(self.pid, signal)
    }

    /// Waits for the child to exit (blocking) and returns its exit status, or 128 + signal.
    @discardableResult
    public func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(self.pid, &status, 0) == -1 && errno == EINTR {}
        if status & 0x7F == 0 { return (status >> 8) & 0xFF }
        return 128 + (status & 0x7F)
    }
}
