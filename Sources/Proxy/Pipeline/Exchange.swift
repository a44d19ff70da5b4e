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
}
