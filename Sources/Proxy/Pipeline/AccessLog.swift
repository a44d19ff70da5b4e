import Logging
import NIOCore
import NIOHTTP1

/// One structured line per request through swift-log (`larder.access`), with dotted metadata keys.
///
/// The executable decides how lines look (text or JSON lines); this only says what they contain.
struct AccessLog: Sendable {
    let logger: Logger?

    /// What an exchange did, gathered while it ran.
    struct Entry {
        var client: String
        var method: String
        var url: String
        var status: UInt = 0
        var bytes = 0
        var start = NIODeadline.now()
        /// The cache's verdict; "-" until the cache is in the pipeline.
        var cacheStatus = "-"
        var upstream: String?
        var error: String?
    }

    func record(_ entry: Entry) {
        guard let logger else { return }
        let elapsed = NIODeadline.now() - entry.start
        var metadata: Logger.Metadata = [
            "client": .string(entry.client),
            "method": .string(entry.method),
            "url": .string(entry.url),
            "status": .stringConvertible(entry.status),
            "bytes": .stringConvertible(entry.bytes),
            "duration_ms": .string(Self.milliseconds(elapsed)),
            "cache": .string(entry.cacheStatus),
        ]
        if let upstream = entry.upstream { metadata["upstream"] = .string(upstream) }
        if let error = entry.error { metadata["error"] = .string(error) }
        logger.info("access", metadata: metadata)
    }

    private static func milliseconds(_ amount: TimeAmount) -> String {
        let tenths = amount.nanoseconds / 100_000
        return "\(tenths / 10).\(tenths % 10)"
    }
}
