import NIOHTTP1

/// How the end of a message body is found (RFC 9112 §6.3).
public enum BodyFraming: Hashable, Sendable {
    /// No body at all.
    case none
    /// Exactly this many bytes follow the head.
    case length(Int)
    /// The chunked transfer coding (RFC 9112 §7.1).
    case chunked
    /// The body runs until the connection closes (responses only).
    case untilClose

    /// The body's length when the framing states it in advance (0 for no body); nil when only its end tells.
    public var declaredLength: Int64? {
        switch self {
        case .none: 0
        case .length(let length): Int64(length)
        case .chunked, .untilClose: nil
        }
    }

    /// Decides the framing of a request body, refusing every ambiguity that enables request smuggling.
    ///
    /// RFC 9112 §6.1–6.3: Transfer-Encoding together with Content-Length is rejected (a proxy would
    /// otherwise have to choose one), as is Transfer-Encoding on HTTP/1.0, any coding whose final
    /// coding is not `chunked` (the length could not be determined, §6.3 rule 4), and a missing,
    /// repeated or non-numeric Content-Length value (§8.6), even when the repeats agree.
    public static func ofRequest(_ head: HTTPRequestHead) throws(RequestRejection) -> BodyFraming {
        let transferEncodings =
            head.headers.contains(name: "transfer-encoding") ? head.headers[canonicalForm: "transfer-encoding"] : []
        let contentLengths = head.headers["content-length"]

        if !transferEncodings.isEmpty {
            guard contentLengths.isEmpty else {
                throw .badRequest("both Transfer-Encoding and Content-Length")
            }
            guard head.version.major == 1, head.version.minor >= 1 else {
                throw .badRequest("Transfer-Encoding on HTTP/1.0")
            }
            let codings = transferEncodings.map { $0.lowercased() }
            guard codings.last == "chunked" else {
                throw .badRequest("final transfer coding is not chunked")
            }
            guard codings.count == 1 else {
                throw RequestRejection(.notImplemented, "transfer coding \(codings[0]) not supported")
            }
            return .chunked
        }

        switch contentLengths.count {
        case 0:
            return .none
        case 1:
            guard let length = Self.parseContentLength(contentLengths[0]) else {
                throw .badRequest("invalid Content-Length")
            }
            return length == 0 ? .none : .length(length)
        default:
            throw .badRequest("duplicate Content-Length")
        }
    }

    /// Decides the framing of a response body (RFC 9112 §6.3), given the method of the request it answers.
    ///
    /// Returns `nil` when the framing is unusable (conflicting or invalid lengths): the caller treats
    /// the response as an upstream error rather than guess.
    public static func ofResponse(_ head: HTTPResponseHead, requestMethod: HTTPMethod) -> BodyFraming? {
        let code = head.status.code
        if requestMethod == .HEAD || (100..<200).contains(code) || code == 204 || code == 304 {
            return BodyFraming.none
        }
        if requestMethod == .CONNECT && (200..<300).contains(code) {
            return BodyFraming.none
        }
        // Looked for first: NIO's list splitting (`canonicalForm`) costs more than the check, on every response.
        let transferEncodings =
            head.headers.contains(name: "transfer-encoding") ? head.headers[canonicalForm: "transfer-encoding"] : []
        if !transferEncodings.isEmpty {
            // §6.3 rule 4: chunked last means chunked; anything else reads until close.
            return transferEncodings.last?.lowercased() == "chunked" ? .chunked : .untilClose
        }
        switch DeclaredLength(head.headers) {
        case .absent: return .untilClose
        case .invalid: return nil
        case .length(0): return BodyFraming.none
        case .length(let length): return .length(length)
        }
    }

    /// What a message's Content-Length lines say: every comma-separated member (empty ones skipped),
    /// trimmed of whitespace, must be 1 to 18 digits, and all must agree.
    enum DeclaredLength: Equatable {
        case absent
        case length(Int)
        case invalid

        /// One pass over the names, values read in place (every response asks).
        init(_ headers: HTTPHeaders) {
            var declared: Int?
            for (name, value) in headers where equalsIgnoringCase(name, "content-length") {
                let agrees = value.utf8.withContiguousStorageIfAvailable { Self.members($0, agreeWith: &declared) }
                    ?? Array(value.utf8).withUnsafeBufferPointer { Self.members($0, agreeWith: &declared) }
                guard agrees else {
                    self = .invalid
                    return
                }
            }
            self = declared.map { .length($0) } ?? .absent
        }

        /// Whether every member of `bytes` is a valid length equal to `declared` (set by the first).
        private static func members(_ bytes: UnsafeBufferPointer<UInt8>, agreeWith declared: inout Int?) -> Bool {
            let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: ",") { end += 1 }
                defer { start = end + 1 }
                guard end > start else { continue }
                var (lower, upper) = (start, end)
                while lower < upper, isSpace(bytes[lower]) { lower += 1 }
                while upper > lower, isSpace(bytes[upper - 1]) { upper -= 1 }
                guard let length = BodyFraming.parseContentLength(UnsafeBufferPointer(rebasing: bytes[lower..<upper])),
                    declared == nil || declared == length
                else { return false }
                declared = length
            }
            return true
        }
    }

    /// Parses a Content-Length value: 1 to 18 ASCII digits, nothing else (RFC 9110 §8.6).
    public static func parseContentLength(_ value: String) -> Int? {
        Self.parseContentLength(value.utf8)
    }

    /// ``parseContentLength(_:)`` over bytes.
    static func parseContentLength(_ utf8: some Collection<UInt8>) -> Int? {
        guard !utf8.isEmpty, utf8.count <= 18 else { return nil }
        var result = 0
        for byte in utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            result = result * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return result
    }
}
