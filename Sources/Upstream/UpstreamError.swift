import HTTPRules
import NIOHTTP1

/// Why an exchange with an origin failed. Each kind maps to the status a client receives.
public struct UpstreamError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// The host name did not resolve.
        case resolution
        /// The target resolved to an address the forward proxy must not reach.
        case refusedTarget(AddressClass)
        /// The connection could not be made.
        case connect
        /// No connection within the connect timeout.
        case connectTimeout
        /// No response head within the read timeout.
        case firstByteTimeout
        /// The body stalled for longer than the read timeout.
        case readTimeout
        /// The origin sent something that is not a usable HTTP response.
        case invalidResponse
        /// The connection closed before the response was complete.
        case closedEarly
    }

    public var kind: Kind
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    /// The status a client receives when this happens before the response head was sent.
    public var status: HTTPResponseStatus {
        switch self.kind {
        case .refusedTarget: return .forbidden
        case .connectTimeout, .firstByteTimeout, .readTimeout: return .gatewayTimeout
        case .resolution, .connect, .invalidResponse, .closedEarly: return .badGateway
        }
    }

    public var description: String { self.detail }
}
