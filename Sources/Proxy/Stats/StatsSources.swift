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
struct StatsSources: Sendable {
    /// Fills in flight with their waiter counts (queued for the head, or streaming the fill).
    var inFlightFills: @Sendable () -> [FillWaiters] = { [] }

    /// The sources of a running server: the coalescer's keys being fetched or filled.
    static func make(cache: HTTPCache?) -> StatsSources {
        guard let cache else { return StatsSources() }
        return StatsSources(inFlightFills: {
            cache.coalescer.snapshot().keys.map { FillWaiters(key: $0.key, waiters: $0.waiting + $0.attached) }
        })
    }
}
