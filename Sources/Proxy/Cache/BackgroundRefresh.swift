import CachePolicy
import CacheStore
import HTTPRules
import NIOCore
import NIOHTTP1
import Upstream

/// Revalidates a stored response in the background after it was served stale within its
/// `stale-while-revalidate` window (RFC 5861 §3), independent of the client that triggered it. It holds
/// the key's coalescing lease, so it is the one fetch for the key: requests that need the origin meanwhile
/// wait on it like on any other fetch. A 304 freshens the stored fields; a storable full response replaces
/// the entry (streamed by a ``FillDriver``); anything else leaves the stale entry to expire.
final class BackgroundRefresh: UpstreamResponseDelegate {
    private let cache: HTTPCache
    private let key: String
    private let revision: HTTPCache.StoredRevision
    private let request: HTTPRequestHead
    private let pool: ConnectionPool
    private let eventLoop: any EventLoop
    private var lease: CoalescingLease?
    private var requestTime: Int64 = 0

    init(cache: HTTPCache, key: String, lease: CoalescingLease, revision: HTTPCache.StoredRevision,
         request: HTTPRequestHead, pool: ConnectionPool, eventLoop: any EventLoop) {
        self.cache = cache
        self.key = key
        self.lease = lease
        self.revision = revision
        self.request = request
        self.pool = pool
        self.eventLoop = eventLoop
    }

    /// Sends `head` (the routed request with the conditional fields) to `origin`.
    func start(head: RequestHead, origin: Origin, allowInternal: Bool) {
        self.pool.connection(to: origin, allowInternal: allowInternal).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let connection):
                self.requestTime = self.cache.clock()
                connection.send(head, delegate: self)
                connection.sendEnd()
            case .failure:
                self.endLease { $0.abandon() }
            }
        }
    }

    func upstream(_ connection: UpstreamConnection, didReceiveHead head: HTTPResponseHead, framing: BodyFraming) {
        let lease = self.lease
        let result = self.cache.validated(
            self.revision, request: self.request, response: head, requestTime: self.requestTime,
            committed: { lease?.refreshed() })
        self.lease = nil
        switch result {
        case .freshened:
            return  // the lease ends when the new fields are committed
        case .forward where (200..<300).contains(head.status.code):
            let declared = framing.declaredLength
            switch self.cache.beginFill(
                request: self.request, key: self.key, response: head, declaredLength: declared,
                requestTime: self.requestTime, responseTime: self.cache.clock())
            {
            case .success(let fill):
                lease?.filling(StreamingFill(view: fill.view, expectedLength: declared))
                FillDriver(fill: fill, pool: self.pool, eventLoop: self.eventLoop)
                    .adopt(connection, declaredLength: declared)
            case .failure(let refusal):
                if refusal.originRefused { lease?.uncacheable() } else { lease?.release() }
            }
        case .forward, .serveStale, .unusable304:
            lease?.release()
        }
    }

    func upstream(_ connection: UpstreamConnection, didReceiveBodyPart part: ByteBuffer) {}

    func upstreamDidFinish(_ connection: UpstreamConnection) {
        self.pool.release(connection)
    }

    func upstream(_ connection: UpstreamConnection, didFail error: UpstreamError) {
        self.endLease { $0.abandon() }
    }

    func upstreamWritabilityDidChange(_ connection: UpstreamConnection) {}

    func upstreamDidReadComplete(_ connection: UpstreamConnection) {}

    private func endLease(_ end: (CoalescingLease) -> Void) {
        if let lease = self.lease { end(lease) }
        self.lease = nil
    }
}
