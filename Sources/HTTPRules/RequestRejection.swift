import NIOHTTP1

/// Why Larder refuses a request before anything is sent upstream.
///
/// Carries the status the client receives and a one-line reason for the body and the access log.
/// Every rejection closes the client connection unless ``keepsConnection`` says the framing is intact.
public struct RequestRejection: Error, Hashable, Sendable, CustomStringConvertible {
    public var status: HTTPResponseStatus
    public var reason: String
    /// True when the message framing is still known, so the connection may carry further requests.
    public var keepsConnection: Bool

    public init(_ status: HTTPResponseStatus, _ reason: String, keepsConnection: Bool = false) {
        self.status = status
        self.reason = reason
        self.keepsConnection = keepsConnection
    }

    public var description: String { "\(self.status.code) \(self.reason)" }

    public static func badRequest(_ reason: String) -> RequestRejection { .init(.badRequest, reason) }
}
