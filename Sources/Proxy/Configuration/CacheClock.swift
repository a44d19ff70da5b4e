/// Where the cache reads the time: request and response times of stored responses, ages, freshness
/// (RFC 9111 §4.2.3). The real clock in production; tests inject one they move by hand, so that a
/// response can become stale without a test sleeping.
///
/// A value in ``ProxyConfiguration``: two clocks are equal when they are the same clock.
public struct CacheClock: Sendable, Hashable {
    private final class Source: Sendable {
        let milliseconds: @Sendable () -> Int64
        init(_ milliseconds: @escaping @Sendable () -> Int64) { self.milliseconds = milliseconds }
    }

    private let source: Source

    /// A clock reading `milliseconds` (since the Unix epoch) on every call.
    public init(milliseconds: @escaping @Sendable () -> Int64) {
        self.source = Source(milliseconds)
    }

    /// The real time.
    public static let wall = CacheClock(milliseconds: WallClock.milliseconds)

    /// Milliseconds since the Unix epoch.
    public func milliseconds() -> Int64 { self.source.milliseconds() }

    public static func == (lhs: CacheClock, rhs: CacheClock) -> Bool { lhs.source === rhs.source }

    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self.source)) }
}
