/// A fill the coalescer has in flight: the cache key being fetched and how many requests wait on it.
public struct FillWaiters: Sendable, Hashable {
    public var key: String
    public var waiters: Int

    public init(key: String, waiters: Int) {
        self.key = key
        self.waiters = waiters
    }
}

/// Live figures the statistics read from other components when a report is made, never per request.
///
/// The coalescer plugs in here: ``ProxyServer`` builds the sources with
/// ``StatsSources/make(cache:)``, which is the one place to return its snapshot of fills in flight.
struct StatsSources: Sendable {
    /// Fills in flight with their waiter counts; empty while nothing reports them.
    var inFlightFills: @Sendable () -> [FillWaiters] = { [] }

    /// The sources of a running server.
    static func make(cache: HTTPCache?) -> StatsSources {
        // Request coalescing (issue 5) reports its fills here, e.g.
        // `StatsSources(inFlightFills: { cache.coalescer.snapshot().keys.map {
        //     FillWaiters(key: $0.key, waiters: $0.waiting + $0.attached) } })`.
        StatsSources()
    }
}
