import NIOCore
import NIOHTTP1

/// What a proxy adds to the messages it forwards (RFC 9110 §7.6.3, RFC 7239, and the X-Forwarded-* conventions).
public enum Forwarding {
    /// This hop's Via member: the version received, then `pseudonym` (RFC 9110 §7.6.3).
    public static func viaValue(receivedVersion: HTTPVersion, pseudonym: String) -> String {
        var value =
            receivedVersion == .http1_1 ? "1.1" : "\(receivedVersion.major).\(receivedVersion.minor)"
        value += " "
        value += pseudonym
        return value
    }

    /// Writes this hop's Via line for a request received as `receivedVersion`
    /// (see ``viaValue(receivedVersion:pseudonym:)``).
    public static func writeVia(to buffer: inout ByteBuffer, receivedVersion: HTTPVersion, pseudonym: String) {
        buffer.writeHeaderField("Via", Self.viaValue(receivedVersion: receivedVersion, pseudonym: pseudonym))
    }

    /// Writes X-Forwarded-For, X-Forwarded-Proto and Forwarded lines recording the client, as reverse proxies do.
    ///
    /// The values the request arrived with (`receivedFor`, `receivedForwarded`: its lines joined) are extended, not
    /// replaced, so a chain of proxies stays visible; X-Forwarded-Proto describes only the hop Larder received, so it
    /// is replaced (the caller drops the received lines of all three).
    public static func writeClientFields(
        to buffer: inout ByteBuffer, clientIP: String?, proto: String, host: String?,
        receivedFor: String?, receivedForwarded: String?
    ) {
        let client = clientIP ?? "unknown"
        buffer.writeStaticString("X-Forwarded-For: ")
        if let receivedFor {
            buffer.writeString(receivedFor)
            buffer.writeStaticString(", ")
        }
        buffer.writeString(client)
        buffer.writeStaticString("\r\nX-Forwarded-Proto: ")
        buffer.writeString(proto)
        buffer.writeStaticString("\r\nForwarded: ")
        if let receivedForwarded {
            buffer.writeString(receivedForwarded)
            buffer.writeStaticString(", ")
        }
        buffer.writeStaticString("for=")
        if client.utf8.contains(UInt8(ascii: ":")) {
            buffer.writeStaticString("\"[")
            buffer.writeString(client)
            buffer.writeStaticString("]\"")
        } else {
            buffer.writeString(client)
        }
        buffer.writeStaticString(";proto=")
        buffer.writeString(proto)
        if let host {
            buffer.writeStaticString(";host=\"")
            buffer.writeString(host)
            buffer.writeStaticString("\"")
        }
        buffer.writeStaticString("\r\n")
    }
}
