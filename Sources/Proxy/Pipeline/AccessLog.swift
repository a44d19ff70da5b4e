import CachePolicy
import Logging
import NIOCore
import NIOHTTP1

/// One structured line per request through swift-log (`larder.access`), with dotted metadata keys,
/// and the one place every finished exchange is counted (``TrafficStats``).
///
/// The executable decides how lines look (text or JSON lines); this only says what they contain.
struct AccessLog: Sendable {
    let logger: Logger?
    /// The server's traffic counters; nil counts nothing.
    var stats: TrafficStats?

    init(logger: Logger?, stats: TrafficStats? = nil) {
        self.logger = logger
        self.stats = stats
    }

    /// What an exchange did, gathered while it ran. A reference owned by the exchange: recording it and
    /// counting it read it in place instead of copying a dozen fields.
    final class Entry {
        let client: String
        let method: String
        let url: String
        var status: UInt = 0
        var bytes = 0
        var start = NIODeadline.now()
        var upstream: String?
        var error: String?
        /// The cache's verdict as a value (nil when the cache was not involved), for the statistics.
        var cache: CacheStatus?
        /// The primary cache key, when the request was looked up.
        var cacheKey: String?
        /// The body came from the store after the origin was asked (a 304 freshening, or stale-if-error).
        var answeredFromStore = false

        init(client: String, method: String, url: String) {
            self.client = client
            self.method = method
            self.url = url
        }

        /// The cache's verdict as the log shows it: `hit`, or the forward reason, then `,revalidated`,
        /// `,stale-if-error`, `,collapsed` or `,stored`; "-" when the cache was not involved.
        var cacheText: String {
            guard let status = self.cache else { return "-" }
            var text = status.hit ? "hit" : (status.forward?.rawValue ?? "-")
            if self.answeredFromStore, status.forward == .stale {
                text += status.detail == "stale-if-error" ? ",stale-if-error" : ",revalidated"
            }
            if status.collapsed { text += ",collapsed" }
            if status.stored { text += ",stored" }
            return text
        }
    }

    func record(_ entry: Entry) {
        self.stats?.record(entry)
        guard let logger else { return }
        let elapsed = NIODeadline.now() - entry.start
        var metadata: Logger.Metadata = [
            "client": .string(entry.client),
            "method": .string(entry.method),
            "url": .string(entry.url),
            "status": .stringConvertible(entry.status),
            "bytes": .stringConvertible(entry.bytes),
            "duration_ms": .string(Self.milliseconds(elapsed)),
            "cache": .string(entry.cacheText),
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
