import Proxy
import Synchronization

/// A clock a test moves by hand, for the cache's ages and freshness: a response becomes stale because the
/// test said so, not because it slept.
public final class TestClock: Sendable {
    private final class Reading: Sendable {
        let milliseconds: Mutex<Int64>
        init(_ milliseconds: Int64) { self.milliseconds = Mutex(milliseconds) }
        var value: Int64 { self.milliseconds.withLock { $0 } }
    }

    private let reading: Reading
    /// The clock as Larder's configuration takes it (`ProxyConfiguration.cacheClock`).
    public let cacheClock: CacheClock

    /// Starts at `seconds` since the Unix epoch (by default a fixed instant in November 2023).
    public init(seconds: Int64 = 1_700_000_000) {
        let reading = Reading(seconds * 1000)
        self.reading = reading
        self.cacheClock = CacheClock { reading.value }
    }

    /// Whole seconds since the Unix epoch.
    public var seconds: Int64 { self.reading.value / 1000 }

    /// Moves the clock forward.
    public func advance(seconds: Int64) {
        self.reading.milliseconds.withLock { $0 += seconds * 1000 }
    }
}
