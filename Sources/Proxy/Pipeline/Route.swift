import CachePolicy
import HTTPRules
import NIOCore
import NIOHTTP1
import Upstream

/// Where a request goes, decided by the mode's router.
enum Route {
    /// An HTTP exchange with the request's origin, sending it rewritten for the upstream hop.
    case exchange(UpstreamRequest, allowInternal: Bool)
    /// A CONNECT tunnel to `origin`.
    case tunnel(origin: Origin, allowInternal: Bool)
}

/// Decides where a request goes and rewrites it for the upstream hop.
///
/// Forward and reverse mode differ only here; everything after routing (upstream pool, streaming,
/// later caching and coalescing) is shared.
protocol Router: Sendable {
    func route(_ head: HTTPRequestHead, framing: BodyFraming, clientIP: String?) throws(RequestRejection) -> Route
}

/// A routed request as it will go upstream. The rewritten head is built only when a connection is made
/// (``head``): a request the cache answers never pays for it.
///
/// A reference, made once per request: the route is passed around and taken apart several times per
/// request, and a value this size would be copied field by field each time. Only ``addedFields`` changes.
final class UpstreamRequest {
    /// The client's request head.
    let client: HTTPRequestHead
    let target: RequestTarget
    /// The authority the client addressed (absolute-form target, else Host), validated.
    let authority: Authority?
    /// The origin: its own Host field is sent unless the client's is preserved.
    let origin: Origin
    /// Reverse mode's `preserve_host`: send the authority the client addressed.
    let preservesHost: Bool
    let framing: BodyFraming
    let via: String
    /// Reverse mode: record the client (`clientIP`, and the authority it addressed) in X-Forwarded-For,
    /// X-Forwarded-Proto and Forwarded. Forward mode hides clients.
    let recordsClient: Bool
    /// The client's IP address, as X-Forwarded-For and Forwarded record it.
    let clientIP: String?

    init(
        client: HTTPRequestHead, target: RequestTarget, authority: Authority?, origin: Origin, preservesHost: Bool,
        framing: BodyFraming, via: String, recordsClient: Bool, clientIP: String?
    ) {
        self.client = client
        self.target = target
        self.authority = authority
        self.origin = origin
        self.preservesHost = preservesHost
        self.framing = framing
        self.via = via
        self.recordsClient = recordsClient
        self.clientIP = clientIP
    }

    /// The Host field to send, given the addressed authority's text.
    private func host(addressed: String?) -> String {
        self.preservesHost ? (addressed ?? self.origin.hostField) : self.origin.hostField
    }

    /// The request's target URI (RFC 9112 §3.3), from what routing parsed: the cache key's source.
    var effectiveURI: EffectiveURI? {
        guard let authority else { return nil }
        switch self.target {
        case .origin, .absolute:
            return EffectiveURI(scheme: "http", authority: authority, pathAndQuery: self.target.pathAndQuery)
        case .authority, .asterisk: return nil
        }
    }
    /// Fields Larder adds itself (the validators of a conditional request it makes).
    var addedFields = HTTPHeaders()

    /// The head every mode writes the same way, in wire form: origin-form target, hop-by-hop fields removed
    /// (RFC 9110 §7.6.1), Expect answered here and not forwarded, Host set, Via added (§7.6.3), framing written by
    /// Larder; then the client fields of reverse mode and Larder's own fields (``addedFields``, or `added`), which
    /// replace any the client sent under the same names. Written straight from the client's fields, with no
    /// intermediate field list.
    func head(adding added: HTTPHeaders? = nil, allocator: ByteBufferAllocator) -> RequestHead {
        let added = added ?? self.addedFields
        // The addressed authority's text, only where it is written (preserved Host, reverse mode's Forwarded).
        let addressed = self.preservesHost || self.recordsClient ? self.authority?.description : nil
        let headers = self.client.headers
        var replaced = self.recordsClient ? Self.replacedRecordingClient : Self.replaced
        for (name, _) in added { replaced.append(name) }
        var buffer = allocator.buffer(capacity: 512)
        buffer.writeRequestLine(method: self.client.method, target: self.target.pathAndQuery, version: .http1_1)
        headers.forEachForwardable(alsoRemoving: replaced) { name, value in
            buffer.writeHeaderField(name, value)
        }
        let host = self.preservesHost ? (addressed ?? self.origin.hostField) : self.origin.hostField
        buffer.writeHeaderField("Host", host)
        Forwarding.writeVia(to: &buffer, receivedVersion: self.client.version, pseudonym: self.via)
        switch self.framing {
        case .length(let length):
            buffer.writeStaticString("Content-Length: ")
            buffer.writeDecimal(Int64(length))
            buffer.writeStaticString("\r\n")
        case .chunked:
            buffer.writeStaticString("Transfer-Encoding: chunked\r\n")
        case .none, .untilClose:
            let method = self.client.method
            if method == .POST || method == .PUT || method == .PATCH {
                buffer.writeStaticString("Content-Length: 0\r\n")
            }
        }
        if self.recordsClient {
            Forwarding.writeClientFields(
                to: &buffer, clientIP: self.clientIP, proto: "http", host: addressed,
                receivedFor: Self.joinedLines(headers, "x-forwarded-for"),
                receivedForwarded: Self.joinedLines(headers, "forwarded"))
        }
        buffer.writeHeaderFields(added)
        buffer.writeStaticString("\r\n")
        return RequestHead(bytes: buffer, method: self.client.method, isChunked: self.framing == .chunked)
    }

    /// Client fields every head leaves out because Larder writes its own (framing, Host) or answers them (Expect).
    private static let replaced = ["expect", "content-length", "host"]
    /// ``replaced``, and the fields reverse mode rewrites to record the client.
    private static let replacedRecordingClient =
        UpstreamRequest.replaced + ["x-forwarded-for", "x-forwarded-proto", "forwarded"]

    /// The lines of field `name` joined as one list, or nil when there are none.
    private static func joinedLines(_ headers: HTTPHeaders, _ name: String) -> String? {
        guard headers.contains(name: name) else { return nil }
        return headers[name].joined(separator: ", ")
    }
}

/// Forward mode: clients name the origin in an absolute-form target, or CONNECT to tunnel.
struct ForwardRouter: Router {
    var via: String
    var allowPrivateTargets: Bool
    var connectPorts: Set<Int>

    func route(_ head: HTTPRequestHead, framing: BodyFraming, clientIP: String?) throws(RequestRejection) -> Route {
        let target = try RequestTarget(parsing: head.uri, method: head.method)
        let addressed = try target.validatedAuthority(headers: head.headers, version: head.version)
        switch target {
        case .authority(let authority):
            let port = authority.port(default: 443)
            guard self.connectPorts.contains(port) else {
                throw RequestRejection(.forbidden, "CONNECT to port \(port) is not allowed")
            }
            return .tunnel(origin: Origin(scheme: "tcp", host: authority.host, port: port),
                           allowInternal: self.allowPrivateTargets)
        case .absolute(let scheme, let authority, _):
            guard scheme == "http" else {
                throw RequestRejection(.notImplemented, "https targets need CONNECT")
            }
            let origin = Origin(scheme: scheme, authority: authority)
            let request = UpstreamRequest(
                client: head, target: target, authority: addressed, origin: origin, preservesHost: false,
                framing: framing, via: self.via, recordsClient: false, clientIP: nil)
            return .exchange(request, allowInternal: self.allowPrivateTargets)
        case .origin, .asterisk:
            throw RequestRejection.badRequest("a forward proxy needs an absolute-form target (http://host/path)")
        }
    }
}

/// Reverse mode: every request goes to the configured upstream group, with the client recorded in
/// X-Forwarded-For, X-Forwarded-Proto and Forwarded.
struct ReverseRouter: Router {
    var via: String
    var upstreams: UpstreamGroup
    var preserveHost: Bool

    func route(_ head: HTTPRequestHead, framing: BodyFraming, clientIP: String?) throws(RequestRejection) -> Route {
        let target = try RequestTarget(parsing: head.uri, method: head.method)
        let authority = try target.validatedAuthority(headers: head.headers, version: head.version)
        if case .authority = target {
            throw RequestRejection(.methodNotAllowed, "CONNECT is not available in reverse mode")
        }
        let origin = self.upstreams.next()
        let request = UpstreamRequest(
            client: head, target: target, authority: authority, origin: origin,
            preservesHost: self.preserveHost, framing: framing, via: self.via, recordsClient: true,
            clientIP: clientIP)
        return .exchange(request, allowInternal: true)
    }
}
