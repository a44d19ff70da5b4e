import Logging
import Proxy
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Bootstraps swift-log once for the process: text lines or JSON lines on standard output.
///
/// Every handler reads its level from one shared box, so a configuration reload changes the level of
/// loggers that already exist.
enum LogSetup {
    /// The process's log level (an index into `Logger.Level.allCases`).
    private static let level = Atomic<Int>(2)

    static func bootstrap(format: ProxyConfiguration.LogFormat, level: String) {
        self.setLevel(level)
        LoggingSystem.bootstrap { label in
            let handler: any LogHandler
            switch format {
            case .text: handler = StreamLogHandler.standardOutput(label: label)
            case .json: handler = JSONLinesLogHandler(label: label)
            }
            return SharedLevelLogHandler(inner: handler)
        }
    }

    /// Changes the level of every logger (unknown names leave it as it is).
    static func setLevel(_ name: String) {
        guard let level = Logger.Level(rawValue: name), let index = Logger.Level.allCases.firstIndex(of: level) else {
            return
        }
        self.level.store(index, ordering: .relaxed)
    }

    static var currentLevel: Logger.Level {
        let cases = Logger.Level.allCases
        return cases[min(max(0, self.level.load(ordering: .relaxed)), cases.count - 1)]
    }
}

/// A handler whose level is ``LogSetup``'s shared one.
struct SharedLevelLogHandler: LogHandler {
    var inner: any LogHandler

    var logLevel: Logger.Level {
        get { LogSetup.currentLevel }
        set {}  // the level is the process's, set by configuration
    }

    var metadata: Logger.Metadata {
        get { self.inner.metadata }
        set { self.inner.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.inner[metadataKey: key] }
        set { self.inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        self.inner.log(event: event)  // the shared level already let the event through
    }
}

/// One JSON object per line: time, level, label, message and the metadata as fields.
struct JSONLinesLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields = self.metadata
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        var line = "{\"time\":\(JSONValue.quoted(Self.timestamp()))"
        line += ",\"level\":\(JSONValue.quoted(event.level.rawValue))"
        line += ",\"label\":\(JSONValue.quoted(self.label)),\"message\":\(JSONValue.quoted("\(event.message)"))"
        for key in fields.keys.sorted() {
            line += ",\(JSONValue.quoted(key)):\(JSONValue.quoted("\(fields[key]!)"))"
        }
        line += "}\n"
        writeOut(line, to: STDOUT_FILENO)
    }

    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        var buffer = [Int8](repeating: 0, count: 32)
        let written = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &parts)
        let millis = Int(now.tv_nsec / 1_000_000)
        let base = String(decoding: buffer[0..<written].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return base + "." + String(millis + 1000).dropFirst() + "Z"
    }
}

/// Writes all of `text` to a file descriptor (standard output or error), retrying short writes.
func writeOut(_ text: String, to descriptor: Int32) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written <= 0 { return }
        bytes = bytes.dropFirst(written)
    }
}
