import HTTPRules
import NIOHTTP1

/// The directives of a `Cache-Control` field, request or response (RFC 9111 §5.2).
///
/// Parsing follows RFC 9111 §5.2 and RFC 9110 §5.6: directive names are case-insensitive tokens; an argument is a
/// token or a quoted-string (`max-age="60"` is accepted: senders must not quote it, recipients ought to accept both);
/// every field line is read, in order; unknown directives are ignored; a member that is not
/// `token [ "=" ( token / quoted-string ) ]` — `max-age =60`, `max-age= 60`, `max-age='60'` — keeps its name but
/// has an invalid argument.
///
/// How repeated and broken arguments are read, stated once:
/// - **Repeated valued directives** (`max-age`, `s-maxage`, `max-stale`, `min-fresh`, `stale-while-revalidate`,
///   `stale-if-error`): the first occurrence is used (RFC 9111 §4.2.1).
/// - **Invalid delta-seconds** (`-1`, `1.5`, `a100`, empty): for `max-age` and `s-maxage`, which bound freshness,
///   the value is taken as 0 — the response is stale and must be revalidated; for `max-stale` with a value,
///   `min-fresh`, `stale-while-revalidate` and `stale-if-error`, which only widen or narrow reuse on request, the
///   directive is ignored. Values beyond 2^31 are 2^31 (RFC 9111 §1.2.2).
/// - **`no-cache` and `private`**: present without argument (or with an unreadable one) they cover the whole
///   response; with a list of field names (`no-cache="set-cookie, x-id"`) they cover only those fields, and several
///   lists are joined. An unqualified occurrence anywhere wins.
public struct CacheControl: Equatable, Sendable {
    /// What a `no-cache` or `private` directive applies to (RFC 9111 §5.2.2.4, §5.2.2.7).
    public enum Scope: Hashable, Sendable {
        /// The whole response.
        case whole
        /// Only these header fields (lowercased).
        case fields([String])
    }

    /// The request `max-stale` directive (RFC 9111 §5.2.1.2).
    public enum MaxStale: Hashable, Sendable {
        /// No value: any staleness is acceptable.
        case unlimited
        /// At most this many seconds past expiry.
        case seconds(Int64)
    }

    /// `max-age` (request §5.2.1.1, response §5.2.2.1).
    public var maxAge: Int64?
    /// `s-maxage` (response, §5.2.2.10).
    public var sharedMaxAge: Int64?
    /// `no-cache` (request §5.2.1.4, response §5.2.2.4).
    public var noCache: Scope?
    /// `no-store` (request §5.2.1.5, response §5.2.2.5).
    public var noStore = false
    /// `no-transform` (§5.2.1.6, §5.2.2.6).
    public var noTransform = false
    /// `private` (response, §5.2.2.7).
    public var `private`: Scope?
    /// `public` (response, §5.2.2.9).
    public var `public` = false
    /// `must-revalidate` (response, §5.2.2.2).
    public var mustRevalidate = false
    /// `proxy-revalidate` (response, §5.2.2.8).
    public var proxyRevalidate = false
    /// `must-understand` (response, §5.2.2.3).
    public var mustUnderstand = false
    /// `immutable` (RFC 8246).
    public var immutable = false
    /// `max-stale` (request, §5.2.1.2).
    public var maxStale: MaxStale?
    /// `min-fresh` (request, §5.2.1.3).
    public var minFresh: Int64?
    /// `only-if-cached` (request, §5.2.1.7).
    public var onlyIfCached = false
    /// `stale-while-revalidate` (response, RFC 5861 §3).
    public var staleWhileRevalidate: Int64?
    /// `stale-if-error` (request or response, RFC 5861 §4).
    public var staleIfError: Int64?

    public init() {}

    /// Parses every line of a `Cache-Control` field, in order.
    public init(fieldValues: some Sequence<String>) {
        self.init()
        for line in fieldValues {
            for member in FieldSyntax.listMembers(line[...]) {
                self.apply(Self.directive(member))
            }
        }
    }

    /// Parses the field `fieldName` (by default `Cache-Control`) of `headers`.
    public init(_ headers: HTTPHeaders, fieldName: String = "cache-control") {
        self.init(fieldValues: headers[fieldName])
    }

    /// The directives of a request, with `Pragma: no-cache` read as `Cache-Control: no-cache` when the request has
    /// no `Cache-Control` field at all (RFC 9111 §5.4). `Pragma` in responses has no meaning and is not read.
    public init(request headers: HTTPHeaders) {
        if headers.contains(name: "cache-control") {
            self.init(headers)
        } else {
            self.init()
            let pragma = FieldSyntax.listMembers(headers, "pragma")
            if pragma.contains(where: { $0.lowercased() == "no-cache" }) {
                self.noCache = .whole
            }
        }
    }

    /// A directive's argument as written.
    enum Argument: Equatable {
        case none
        case value(String)
        case invalid
    }

    /// Splits one list member into a lowercased name and its argument; `nil` when it does not start with a token.
    static func directive(_ member: Substring) -> (name: String, argument: Argument)? {
        let utf8 = member.utf8
        let nameEnd = utf8.firstIndex { !Token.isTokenByte($0) } ?? utf8.endIndex
        guard nameEnd != utf8.startIndex else { return nil }
        // Directives are almost always sent in lowercase: lowercase only what needs it.
        let hasUppercase = utf8[..<nameEnd].contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
        let name = hasUppercase ? String(member[..<nameEnd]).lowercased() : String(member[..<nameEnd])
        let rest = member[nameEnd...]
        if rest.isEmpty { return (name, .none) }
        guard rest.utf8.first == UInt8(ascii: "=") else { return (name, .invalid) }
        let value = rest.dropFirst()
        if Token.isToken(value) { return (name, .value(String(value))) }
        if let unquoted = FieldSyntax.unquote(value) { return (name, .value(unquoted)) }
        return (name, .invalid)
    }

    private mutating func apply(_ directive: (name: String, argument: Argument)?) {
        guard let (name, argument) = directive else { return }
        switch name {
        case "max-age": Self.setFirst(&self.maxAge, Self.bound(argument))
        case "s-maxage": Self.setFirst(&self.sharedMaxAge, Self.bound(argument))
        case "min-fresh": Self.setFirst(&self.minFresh, Self.ignoringInvalid(argument))
        case "stale-while-revalidate": Self.setFirst(&self.staleWhileRevalidate, Self.ignoringInvalid(argument))
        case "stale-if-error": Self.setFirst(&self.staleIfError, Self.ignoringInvalid(argument))
        case "max-stale":
            guard self.maxStale == nil else { return }
            if argument == .none {
                self.maxStale = .unlimited
            } else if let seconds = Self.ignoringInvalid(argument) {
                self.maxStale = .seconds(seconds)
            }
        case "no-cache": self.noCache = Self.merge(self.noCache, Self.scope(argument))
        case "private": self.private = Self.merge(self.private, Self.scope(argument))
        case "no-store": self.noStore = true
        case "no-transform": self.noTransform = true
        case "public": self.public = true
        case "must-revalidate": self.mustRevalidate = true
        case "proxy-revalidate": self.proxyRevalidate = true
        case "must-understand": self.mustUnderstand = true
        case "immutable": self.immutable = true
        case "only-if-cached": self.onlyIfCached = true
        default: break
        }
    }

    private static func setFirst(_ slot: inout Int64?, _ value: Int64?) {
        if slot == nil { slot = value }
    }

    /// A freshness bound: unreadable means 0.
    private static func bound(_ argument: Argument) -> Int64 {
        if case .value(let text) = argument, let seconds = DeltaSeconds.parse(text[...]) { return seconds }
        return 0
    }

    /// A value that only widens reuse or is asked for by a client: unreadable means absent.
    private static func ignoringInvalid(_ argument: Argument) -> Int64? {
        if case .value(let text) = argument { return DeltaSeconds.parse(text[...]) }
        return nil
    }

    private static func scope(_ argument: Argument) -> Scope {
        guard case .value(let text) = argument else { return .whole }
        let names = FieldSyntax.listMembers(text[...]).map { $0.lowercased() }
        return names.isEmpty ? .whole : .fields(names)
    }

    private static func merge(_ existing: Scope?, _ new: Scope) -> Scope {
        guard let existing else { return new }
        if case .fields(let old) = existing, case .fields(let added) = new {
            return .fields(old + added.filter { !old.contains($0) })
        }
        return .whole
    }
}
