import HTTPRules
import NIOHTTP1

/// The target URI of a request, reduced to what caching uses: scheme, authority, and path with query
/// (RFC 9110 §7.1). Fragments never reach it.
public struct EffectiveURI: Hashable, Sendable, CustomStringConvertible {
    /// `http` or `https`, lowercased.
    public var scheme: String
    public var authority: Authority
    /// The path, starting with `/`, and the query if any (`/a/b?x=1`).
    public var pathAndQuery: String

    public init(scheme: String, authority: Authority, pathAndQuery: String) {
        self.scheme = scheme.lowercased()
        self.authority = authority
        self.pathAndQuery = pathAndQuery.isEmpty ? "/" : pathAndQuery
    }

    /// Reconstructs the target URI of a request (RFC 9112 §3.3): from an absolute-form target as it is, from an
    /// origin-form target with the `Host` field and the scheme of the connection. `nil` for authority-form,
    /// asterisk-form, or a missing or malformed `Host`.
    public init?(requestTarget: String, host: String?, scheme: String) {
        guard let target = try? RequestTarget(parsing: requestTarget, method: .GET) else { return nil }
        switch target {
        case .absolute(let scheme, let authority, let pathAndQuery):
            self.init(scheme: scheme, authority: authority, pathAndQuery: pathAndQuery)
        case .origin(let pathAndQuery):
            guard let host, let authority = Authority(parsing: FieldSyntax.trimmed(host[...])) else { return nil }
            self.init(scheme: scheme, authority: authority, pathAndQuery: pathAndQuery)
        case .authority, .asterisk:
            return nil
        }
    }

    /// The target URI of `request`, received on a connection using `scheme`.
    public init?(request: HTTPRequestHead, scheme: String) {
        self.init(requestTarget: request.uri, host: request.headers["host"].first, scheme: scheme)
    }

    /// The port used when the authority names none: 80 for http, 443 for https.
    public var defaultPort: Int? {
        switch self.scheme {
        case "http": return 80
        case "https": return 443
        default: return nil
        }
    }

    /// The port connections go to, explicit or default.
    public var port: Int? { self.authority.port ?? self.defaultPort }

    /// The path, without query.
    public var path: Substring {
        self.pathAndQuery[..<(self.queryMark ?? self.pathAndQuery.endIndex)]
    }

    /// The query, without `?`; `nil` when there is none.
    public var query: Substring? {
        self.queryMark.map { self.pathAndQuery[self.pathAndQuery.utf8.index(after: $0)...] }
    }

    /// Where the `?` before the query is (a byte search: `?` is ASCII, so the index is a character boundary).
    private var queryMark: String.Index? { self.pathAndQuery.utf8.firstIndex(of: UInt8(ascii: "?")) }

    /// Same scheme, host and port (RFC 6454 §5, the comparison RFC 9111 §4.4 asks for).
    public func isSameOrigin(as other: EffectiveURI) -> Bool {
        self.scheme == other.scheme && self.authority.host == other.authority.host && self.port == other.port
    }

    public var description: String { "\(self.scheme)://\(self.authority)\(self.pathAndQuery)" }

    /// Resolves a URI reference — the value of `Location` or `Content-Location` — against this URI
    /// (RFC 3986 §5.2). `nil` when the reference is malformed or names a scheme other than http or https.
    public func resolving(_ reference: String) -> EffectiveURI? {
        var reference = String(FieldSyntax.trimmed(reference[...]))
        if let hash = reference.firstIndex(of: "#") { reference = String(reference[..<hash]) }
        if Self.hasScheme(reference) {
            return EffectiveURI(requestTarget: reference, host: nil, scheme: self.scheme)
        }
        if reference.hasPrefix("//") {
            return EffectiveURI(requestTarget: self.scheme + ":" + reference, host: nil, scheme: self.scheme)
        }
        let queryStart = reference.firstIndex(of: "?")
        let path = reference[..<(queryStart ?? reference.endIndex)]
        let query = queryStart.map { reference[$0...] }
        guard !path.contains(where: { $0 == " " || $0 == "\\" }) else { return nil }
        let resolvedPath: String
        if path.isEmpty {
            resolvedPath = String(self.path)
            let resolvedQuery = query.map(String.init) ?? self.query.map { "?" + $0 } ?? ""
            return EffectiveURI(
                scheme: self.scheme, authority: self.authority, pathAndQuery: resolvedPath + resolvedQuery)
        } else if path.hasPrefix("/") {
            resolvedPath = Self.removingDotSegments(String(path))
        } else {
            let base = self.path[...(self.path.lastIndex(of: "/") ?? self.path.startIndex)]
            resolvedPath = Self.removingDotSegments(String(base) + path)
        }
        return EffectiveURI(
            scheme: self.scheme,
            authority: self.authority,
            pathAndQuery: resolvedPath + (query.map(String.init) ?? "")
        )
    }

    /// `scheme ":"` at the start (RFC 3986 §3.1).
    private static func hasScheme(_ reference: String) -> Bool {
        guard let colon = reference.firstIndex(of: ":"), colon != reference.startIndex else { return false }
        let scheme = reference[..<colon]
        guard let first = scheme.first, first.isASCII, first.isLetter else { return false }
        return scheme.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }
    }

    /// The `remove_dot_segments` algorithm of RFC 3986 §5.2.4.
    static func removingDotSegments(_ path: String) -> String {
        var input = Substring(path)
        var output = ""
        func dropLastSegment() {
            output = String(output[..<(output.lastIndex(of: "/") ?? output.startIndex)])
        }
        while !input.isEmpty {
            if input.hasPrefix("../") {
                input = input.dropFirst(3)
            } else if input.hasPrefix("./") {
                input = input.dropFirst(2)
            } else if input.hasPrefix("/./") {
                input = Substring("/" + input.dropFirst(3))
            } else if input == "/." {
                input = "/"
            } else if input.hasPrefix("/../") {
                input = Substring("/" + input.dropFirst(4))
                dropLastSegment()
            } else if input == "/.." {
                input = "/"
                dropLastSegment()
            } else if input == "." || input == ".." {
                input = ""
            } else {
                let searchStart = input.hasPrefix("/") ? input.index(after: input.startIndex) : input.startIndex
                let end = input[searchStart...].firstIndex(of: "/") ?? input.endIndex
                output += input[..<end]
                input = input[end...]
            }
        }
        return output.isEmpty ? "/" : output
    }
}
