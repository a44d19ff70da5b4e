#if canImport(Glibc)
import Glibc
#endif

/// The real time, for the cache's request and response times (RFC 9111 §4.2.3) and ages.
enum WallClock {
    /// Milliseconds since the Unix epoch.
    @Sendable
    static func milliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
