import NIOCore

/// How Larder talks to origins.
public struct UpstreamConfiguration: Sendable, Hashable {
    /// How long a TCP connect may take before the client gets 504.
    public var connectTimeout: TimeAmount = .seconds(5)
    /// How long the origin may stay silent: before the response head (→ 504) and between body reads (→ abort).
    public var readTimeout: TimeAmount = .seconds(60)
    /// Idle keep-alive connections kept per origin and event loop. Generous by default: an idle
    /// connection costs a socket, a new one costs a handshake on both sides per request.
    public var maxIdlePerOrigin: Int = 128
    /// How long an idle pooled connection is kept.
    public var idleTimeout: TimeAmount = .seconds(30)

    public init() {}
}
