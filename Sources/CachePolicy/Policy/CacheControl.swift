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
        for var line in fieldValues {
            // Read in place: every response's field goes through here.
            line.withUTF8 { self.parse(line: $0) }
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

    /// The directives Larder knows; others are ignored.
    private enum Directive: String, CaseIterable {
        case maxAge = "max-age", sharedMaxAge = "s-maxage", minFresh = "min-fresh"
        case staleWhileRevalidate = "stale-while-revalidate", staleIfError = "stale-if-error", maxStale = "max-stale"
        case noCache = "no-cache", `private` = "private", noStore = "no-store", noTransform = "no-transform"
        case `public` = "public", mustRevalidate = "must-revalidate", proxyRevalidate = "proxy-revalidate"
        case mustUnderstand = "must-understand", immutable = "immutable", onlyIfCached = "only-if-cached"

        /// The directive `name` spells in any letter case (`name` holds token bytes only).
        init?(spelledAs name: Slice<UnsafeBufferPointer<UInt8>>) {
            for directive in Self.allCases where directive.rawValue.utf8.count == name.count {
                // Folding with 0x20 maps only letters onto the lowercase letters and '-' onto itself among tokens.
                if zip(directive.rawValue.utf8, name).allSatisfy({ $0 == $1 | 0x20 }) {
                    self = directive
                    return
                }
            }
            return nil
        }
    }

    /// A directive's argument as written.
    private enum Argument: Equatable {
        case none
        case value(String)
        case invalid
    }

    /// Applies each list member of a line: `token [ "=" ( token / quoted-string ) ]`. A member that does not
    /// start with a token, or names an unknown directive, is ignored; a malformed argument is an invalid one.
    private mutating func parse(line bytes: UnsafeBufferPointer<UInt8>) {
        MessageSyntax.forEachListMember(of: bytes) { member in
            var nameEnd = member.lowerBound
            while nameEnd < member.upperBound, Token.isTokenByte(bytes[nameEnd]) { nameEnd += 1 }
            guard nameEnd > member.lowerBound, let directive = Directive(spelledAs: bytes[member.lowerBound..<nameEnd])
            else { return }
            let argument: Argument
            if nameEnd == member.upperBound {
                argument = .none
            } else if bytes[nameEnd] != UInt8(ascii: "=") {
                argument = .invalid
            } else {
                let value = bytes[(nameEnd + 1)..<member.upperBound]
                let text = String(decoding: UnsafeBufferPointer(rebasing: value), as: UTF8.self)
                if !value.isEmpty, value.allSatisfy(Token.isTokenByte) {
                    argument = .value(text)
                } else {
                    argument = FieldSyntax.unquote(text[...]).map { .value($0) } ?? .invalid
                }
            }
            self.apply(directive, argument)
        }
    }

    private mutating func apply(_ directive: Directive, _ argument: Argument) {
        switch directive {
        case .maxAge: Self.setFirst(&self.maxAge, Self.bound(argument))
        case .sharedMaxAge: Self.setFirst(&self.sharedMaxAge, Self.bound(argument))
        case .minFresh: Self.setFirst(&self.minFresh, Self.ignoringInvalid(argument))
        case .staleWhileRevalidate: Self.setFirst(&self.staleWhileRevalidate, Self.ignoringInvalid(argument))
        case .staleIfError: Self.setFirst(&self.staleIfError, Self.ignoringInvalid(argument))
        case .maxStale:
            guard self.maxStale == nil else { return }
            if argument == .none {
                self.maxStale = .unlimited
            } else if let seconds = Self.ignoringInvalid(argument) {
                self.maxStale = .seconds(seconds)
            }
        case .noCache: self.noCache = Self.merge(self.noCache, Self.scope(argument))
        case .private: self.private = Self.merge(self.private, Self.scope(argument))
        case .noStore: self.noStore = true
        case .noTransform: self.noTransform = true
        case .public: self.public = true
        case .mustRevalidate: self.mustRevalidate = true
        case .proxyRevalidate: self.proxyRevalidate = true
        case .mustUnderstand: self.mustUnderstand = true
        case .immutable: self.immutable = true
        case .onlyIfCached: self.onlyIfCached = true
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
