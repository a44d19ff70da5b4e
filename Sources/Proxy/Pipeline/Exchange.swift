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
        /// A stored response will answer, once the current read is decoded.
        case cacheHit(variant: StoredVariant, headers: HTTPHeaders, age: Int64)
        /// A stored body is being sent.
        case cached(StoredBodyStream)
        /// Answered by Larder itself (an error), or the upstream side is done.
        case none
    }

    let request: HTTPRequestHead
    var route: Route?
    var upstream: Upstream = .none
    var log: AccessLog.Entry

    /// The client sent `Expect: 100-continue` and has not yet been told to go on.
    var expectsContinue = false
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
        case .connecting, .cacheHit, .none: break
        }
        self.upstream = .none
        self.abandonFill()
    }

    /// Records the cache's verdict in the access log entry.
    func noteCacheStatus() {
        guard let status = self.cacheStatus else { return }
        self.log.cacheStatus = status.hit ? "hit" : (status.forward?.rawValue ?? "-")
        if status.stored { self.log.cacheStatus += ",stored" }
    }
}
