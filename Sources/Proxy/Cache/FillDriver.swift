import CacheStore
import HTTPRules
import NIOCore
import NIOHTTP1
import Upstream

/// Writes the rest of an origin's response into a fill when no client reads it directly: after the
/// client that started the fill went away, and for background revalidations. Reading from the origin
/// follows the store's backpressure only; the connection goes back to the pool when the body is complete.
final class FillDriver: UpstreamResponseDelegate {
    private var fill: Fill?
    private let pool: ConnectionPool
    private let eventLoop: any EventLoop
    /// The fill is abandoned once its body passes this many bytes (nil: no limit).
    private let limit: Int64?
    private var appended: Int64

    /// - Parameters:
    ///   - appended: body bytes the fill already holds.
    ///   - limit: abandon the fill when its body would pass this many bytes.
    init(fill: Fill, pool: ConnectionPool, eventLoop: any EventLoop, appended: Int64 = 0, limit: Int64? = nil) {
        self.fill = fill
        self.pool = pool
        self.eventLoop = eventLoop
        self.appended = appended
        self.limit = limit
    }

    /// Takes over `connection`'s current response, which has delivered its head already.
    func adopt(_ connection: UpstreamConnection, declaredLength: Int64?) {
        if let limit, let declaredLength, declaredLength > limit {
            return self.abandon(connection)
        }
        connection.handOver(to: self)
        connection.resumeReading()
    }

    func upstream(_ connection: UpstreamConnection, didReceiveHead head: HTTPResponseHead, framing: BodyFraming) {}

    func upstream(_ connection: UpstreamConnection, didReceiveBodyPart part: ByteBuffer) {
        guard let fill = self.fill else { return }
        self.appended += Int64(part.readableBytes)
        if let limit, self.appended > limit {
            return self.abandon(connection)
        }
        do {
            let pressure = try part.withUnsafeReadableBytes { bytes in try fill.append(bytes) }
            guard pressure == .pause else { return }
            connection.pauseReading()
            let loop = NIOLoopBound(connection, eventLoop: self.eventLoop)
            fill.whenWritable { loop.execute { $0.resumeReading() } }
        } catch {
            self.abandon(connection)
        }
    }

    func upstreamDidFinish(_ connection: UpstreamConnection) {
        self.fill?.finish { _ in }
        self.fill = nil
        self.pool.release(connection)
    }

    func upstream(_ connection: UpstreamConnection, didFail error: UpstreamError) {
        self.fill?.abort()
        self.fill = nil
    }

    func upstreamWritabilityDidChange(_ connection: UpstreamConnection) {}

    func upstreamDidReadComplete(_ connection: UpstreamConnection) {}

    private func abandon(_ connection: UpstreamConnection) {
        self.fill?.abort()
        self.fill = nil
        connection.abort()
    }
}
