import CachePolicy
import CacheStore
import NIOCore
import NIOHTTP1
import Upstream

/// Revalidates a stored response in the background after it was served stale within its
/// `stale-while-revalidate` window (RFC 5861 §3): one conditional request per key, independent of the
/// client that triggered it. A 304 freshens the stored fields; a storable full response replaces the
/// entry; anything else leaves the stale entry to expire.
final class BackgroundRefresh: UpstreamResponseDelegate {
    private let cache: HTTPCache
    private let key: String
    private let revision: HTTPCache.StoredRevision
    private let request: HTTPRequestHead
    private let pool: ConnectionPool
    private let eventLoop: any EventLoop
    private var requestTime: Int64 = 0
    private var fill: Fill?

    init(cache: HTTPCache, key: String, revision: HTTPCache.StoredRevision, request: HTTPRequestHead,
         pool: ConnectionPool, eventLoop: any EventLoop) {
        self.cache = cache
        self.key = key
        self.revision = revision
        self.request = request
        self.pool = pool
        self.eventLoop = eventLoop
    }

    /// Sends `head` (the routed request with the conditional fields) to `origin`.
    func start(head: HTTPRequestHead, origin: Origin, allowInternal: Bool) {
        self.pool.connection(to: origin, allowInternal: allowInternal).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let connection):
                self.requestTime = self.cache.clock()
                connection.send(head: head, delegate: self)
                connection.sendEnd()
            case .failure:
                self.cache.endRefresh(self.key)
            }
        }
    }

    func upstream(_ connection: UpstreamConnection, didReceiveHead head: HTTPResponseHead) {
        let result = self.cache.validated(
            self.revision, request: self.request, response: head, requestTime: self.requestTime)
        guard case .forward = result, (200..<300).contains(head.status.code) else { return }
        if case .success(let fill) = self.cache.beginFill(
            request: self.request, key: self.key, response: head, requestTime: self.requestTime,
            responseTime: self.cache.clock())
        {
            self.fill = fill
        }
    }

    func upstream(_ connection: UpstreamConnection, didReceiveBodyPart part: ByteBuffer) {
        guard let fill = self.fill else { return }
        do {
            let pressure = try part.withUnsafeReadableBytes { bytes in try fill.append(bytes) }
            guard pressure == .pause else { return }
            connection.pauseReading()
            let loop = NIOLoopBound(connection, eventLoop: self.eventLoop)
            fill.whenWritable { loop.execute { $0.resumeReading() } }
        } catch {
            fill.abort()
            self.fill = nil
        }
    }

    func upstreamDidFinish(_ connection: UpstreamConnection) {
        self.fill?.finish { _ in }
        self.fill = nil
        self.pool.release(connection)
        self.cache.endRefresh(self.key)
    }

    func upstream(_ connection: UpstreamConnection, didFail error: UpstreamError) {
        self.fill?.abort()
        self.fill = nil
        self.cache.endRefresh(self.key)
    }

    func upstreamWritabilityDidChange(_ connection: UpstreamConnection) {}

    func upstreamDidReadComplete(_ connection: UpstreamConnection) {}
}
