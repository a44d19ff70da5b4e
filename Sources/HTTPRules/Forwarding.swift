import NIOHTTP1

/// What a proxy adds to the messages it forwards (RFC 9110 §7.6.3, RFC 7239, and the X-Forwarded-* conventions).
public enum Forwarding {
    /// Appends this hop to Via: `1.1 name` for an HTTP/1.1 message received by `name`.
    public static func appendVia(to headers: inout HTTPHeaders, receivedVersion: HTTPVersion, pseudonym: String) {
        headers.add(name: "via", value: Self.viaValue(receivedVersion: receivedVersion, pseudonym: pseudonym))
    }

    /// This hop's Via member: the version received, then `pseudonym` (RFC 9110 §7.6.3).
    public static func viaValue(receivedVersion: HTTPVersion, pseudonym: String) -> String {
        var value =
            receivedVersion == .http1_1 ? "1.1" : "\(receivedVersion.major).\(receivedVersion.minor)"
        value += " "
        value += pseudonym
        return value
    }

    /// Adds the client to X-Forwarded-For, X-Forwarded-Proto and Forwarded, as reverse proxies do.
    ///
    /// An incoming X-Forwarded-For or Forwarded is extended, not replaced, so a chain of proxies stays visible;
    /// X-Forwarded-Proto describes only the hop Larder received, so it is replaced.
    public static func addClientFields(
        to headers: inout HTTPHeaders,
        clientIP: String?,
        proto: String,
        host: String?
    ) {
        let client = clientIP ?? "unknown"
        if let existing = headers.first(name: "x-forwarded-for") {
            headers.replaceOrAdd(name: "x-forwarded-for", value: "\(existing), \(client)")
        } else {
            headers.add(name: "x-forwarded-for", value: client)
        }
        headers.replaceOrAdd(name: "x-forwarded-proto", value: proto)

        // Made as bytes (a String's own appends cost several times more; this runs for every reverse-mode request).
        var element: [UInt8] = []
        element.reserveCapacity(32 + client.utf8.count + proto.utf8.count + (host?.utf8.count ?? 0))
        element.append(contentsOf: "for=".utf8)
        element.append(contentsOf: Self.forwardedNode(client).utf8)
        element.append(contentsOf: ";proto=".utf8)
        element.append(contentsOf: proto.utf8)
        if let host {
            element.append(contentsOf: ";host=\"".utf8)
            element.append(contentsOf: host.utf8)
            element.append(UInt8(ascii: "\""))
        }
        let value = String(decoding: element, as: UTF8.self)
        if let existing = headers.first(name: "forwarded") {
            headers.replaceOrAdd(name: "forwarded", value: "\(existing), \(value)")
        } else {
            headers.add(name: "forwarded", value: value)
        }
    }

    /// A node for Forwarded's `for=`: IPv6 addresses are quoted and bracketed (RFC 7239 §6).
    static func forwardedNode(_ ip: String) -> String {
        ip.utf8.contains(UInt8(ascii: ":")) ? "\"[\(ip)]\"" : ip
    }
}
