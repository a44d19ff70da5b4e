import CachePolicy
import CacheStore
import HTTPRules
import NIOCore
import NIOHTTP1
import Upstream

/// One request and its response on a client connection, from head to end.
///
/// A reference type so that callbacks arriving late (a connect that completes after the client
/// left) can tell whether they still belong to the current exchange.
final class Exchange {
    enum Upstream {
        /// Routing decided; waiting for a connection. Body parts that arrive meanwhile wait here.
        case connecting(pendingBody: [ByteBuffer])
        case http(UpstreamConnection)
        case tunnel(TunnelConnection)
        /// A stored response (or one being stored) will answer, once the current read is decoded.
        /// `head`: the stored response's serialised head, when the answer may use it as it is.
        case cacheHit(body: CachedBody, headers: HTTPHeaders, head: SerializedHead?, age: Int64)
        /// Queued behind another request's fetch of the same key (request coalescing).
        case waiting(CoalescingWait)
        /// A stored body is being sent.
        case cached(StoredBodyStream)
        /// Answered by Larder itself (an error), or the upstream side is done.
        case none
    }

    let request: HTTPRequestHead
    var route: Route?
    var upstream: Upstream = .none
    let log: AccessLog.Entry

    /// The client sent `Expect: 100-continue` and has not yet been told to go on.
    var expectsContinue = false
    /// File regions of a stored body sent so far.
    var regionsSent = 0
    /// TCP_CORK is set on the client connection while a stored body goes out as file regions (from the second on).
    var corked = false
    var requestEnded = false
    /// Body parts already written upstream (a request whose body started cannot be retried).
    var bodyPartsSent = 0
    var responseStarted = false
    var responseEnded = false
    /// Whether the client connection stays open after this response.
    var keepAlive: Bool
    /// A second connection was already tried after a pooled one failed.
    var retried = false

    /// The primary cache key, when the request may be answered from or stored in the cache.
    var cacheKey: String?
    /// What the cache did, for the Cache-Status field and the access log; nil when it was not involved.
    var cacheStatus: CacheStatus?
    /// The store fill receiving the response body, when the response is being stored.
    var fill: Fill?
    /// The body length the origin declared for the response being stored, if it did.
    var declaredLength: Int64?
    /// This request's right to fetch its key for every request coalesced behind it; ended (and
    /// cleared) once the origin's response head says what the others should do.
    var lease: CoalescingLease?
    /// Ends the wait of a request queued behind another's fetch, when that takes too long.
    var waitTimer: Scheduled<Void>?
    /// When the request went upstream (ms since the epoch), for the stored response's age.
    var requestTime: Int64 = 0
    /// The stored response this request is revalidating, if it went upstream conditionally.
    var revision: HTTPCache.StoredRevision?
    /// Set when the origin's answer means "serve the stored response" (a matching 304, or an error
    /// under stale-if-error): the stored fields to send and the Age. Served once the upstream exchange ends.
    var answerFromStore: (headers: HTTPHeaders, age: Int64)?

    init(request: HTTPRequestHead, client: String) {
        self.request = request
        self.keepAlive = request.version.keepsAlive(request.headers)
        self.log = AccessLog.Entry(client: client, method: request.method.rawValue, url: request.uri)
    }

    var isComplete: Bool { self.requestEnded && self.responseEnded }

    var httpConnection: UpstreamConnection? {
        if case .http(let connection) = self.upstream { return connection }
        return nil
    }

    var tunnelConnection: TunnelConnection? {
        if case .tunnel(let tunnel) = self.upstream { return tunnel }
        return nil
    }

    /// Stops storing the response (the exchange failed or was cut short): nothing partial becomes servable.
    func abandonFill() {
        self.fill?.abort()
        self.fill = nil
    }

    /// Releases whatever the exchange holds upstream: the connection, tunnel, stored body or fill.
    func releaseUpstream() {
        switch self.upstream {
        case .http(let connection): connection.abort()
        case .tunnel(let tunnel): tunnel.close()
        case .cached(let body): body.close()
        case .waiting(let wait): _ = wait.cancel()
        case .connecting, .cacheHit, .none: break
        }
        self.upstream = .none
        self.abandonFill()
        self.endCoalescing()
    }

    /// Gives up this request's part in coalescing: a lease not yet ended passes the fetch to a waiter.
    func endCoalescing() {
        self.lease?.abandon()
        self.lease = nil
        self.waitTimer?.cancel()
        self.waitTimer = nil
    }

    /// Records the cache's verdict in the access log entry (its text is made only when a line is written).
    func noteCacheStatus() {
        self.log.cache = self.cacheStatus
        self.log.cacheKey = self.cacheKey
        self.log.answeredFromStore = self.answerFromStore != nil || self.cacheStatus?.detail == "stale-if-error"
    }
}
