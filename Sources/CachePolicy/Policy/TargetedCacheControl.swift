import NIOHTTP1

/// The directives that govern this cache's own handling of a response: a targeted field such as
/// `CDN-Cache-Control` when the configuration honours one and the response carries a valid, non-empty one,
/// otherwise `Cache-Control` (RFC 9213 §2.1).
///
/// When the targeted field is used, `Cache-Control` and `Expires` are ignored for this cache's storing and
/// freshness decisions (they still travel downstream for other caches).
public struct ResponseDirectives: Equatable, Sendable {
    /// Where the directives came from.
    public enum Source: Hashable, Sendable {
        case cacheControl
        /// The named targeted field (lowercased).
        case targeted(String)

        /// The (lowercased) name of the field the directives were read from.
        var fieldName: String {
            switch self {
            case .cacheControl: "cache-control"
            case .targeted(let name): name
            }
        }
    }

    public var cacheControl: CacheControl
    public var source: Source

    /// Whether `Expires` takes part in freshness: not when a targeted field is in effect (RFC 9213 §2.1).
    public var usesExpires: Bool { self.source == .cacheControl }

    public init(cacheControl: CacheControl, source: Source) {
        self.cacheControl = cacheControl
        self.source = source
    }

    /// Selects the governing directives of a response (RFC 9213 §2.1).
    public init(response headers: HTTPHeaders, configuration: PolicyConfiguration) {
        let name = configuration.targetedFieldName
        if configuration.honoursTargetedField, headers.contains(name: name),
            let targeted = CacheControl(targetedFieldValues: headers[name])
        {
            self.init(cacheControl: targeted, source: .targeted(name))
        } else {
            self.init(cacheControl: CacheControl(headers), source: .cacheControl)
        }
    }
}

extension CacheControl {
    /// Parses a targeted cache-control field (RFC 9213 §2.2): an RFC 8941 Dictionary whose members are cache
    /// directives. `nil` when the field is absent, empty or not a valid Dictionary — the cache then behaves as if
    /// the field were not there. Integer directives (`max-age`, `s-maxage`, `stale-while-revalidate`,
    /// `stale-if-error`) need a non-negative Integer, flag directives need `true`, and `no-cache` / `private` take
    /// `true` or a String of field names; a member of another type is ignored. Unlike `Cache-Control`, a key that
    /// repeats keeps its last value (RFC 8941 §4.2.2).
    public init?(targetedFieldValues lines: [String]) {
        guard !lines.isEmpty, let members = StructuredField.parseDictionary(lines), !members.isEmpty else {
            return nil
        }
        self.init()
        for (key, member) in members {
            guard case .item(let item) = member else { continue }
            self.applyTargeted(key: key, item: item)
        }
    }

    private mutating func applyTargeted(key: String, item: StructuredField.BareItem) {
        var seconds: Int64? {
            if case .integer(let value) = item, value >= 0 { return min(value, DeltaSeconds.maximum) }
            return nil
        }
        var scope: Scope? {
            switch item {
            case .boolean(true): return .whole
            case .string(let names):
                let fields = FieldSyntax.listMembers(names[...]).map { $0.lowercased() }
                return fields.isEmpty ? .whole : .fields(fields)
            default: return nil
            }
        }
        let flag = item == .boolean(true)
        switch key {
        case "max-age": self.maxAge = seconds ?? self.maxAge
        case "s-maxage": self.sharedMaxAge = seconds ?? self.sharedMaxAge
        case "stale-while-revalidate": self.staleWhileRevalidate = seconds ?? self.staleWhileRevalidate
        case "stale-if-error": self.staleIfError = seconds ?? self.staleIfError
        case "no-cache": self.noCache = scope ?? self.noCache
        case "private": self.private = scope ?? self.private
        case "no-store": self.noStore = self.noStore || flag
        case "no-transform": self.noTransform = self.noTransform || flag
        case "public": self.public = self.public || flag
        case "must-revalidate": self.mustRevalidate = self.mustRevalidate || flag
        case "proxy-revalidate": self.proxyRevalidate = self.proxyRevalidate || flag
        case "must-understand": self.mustUnderstand = self.mustUnderstand || flag
        case "immutable": self.immutable = self.immutable || flag
        default: break
        }
    }
}

/// What the pipeline does with targeted fields on the way downstream (RFC 9213).
public enum TargetedCacheControl {
    /// Response fields to remove before sending downstream: the targeted field when this cache obeys it and is not
    /// configured to pass it on. Empty otherwise — a field addressed to other caches travels untouched.
    public static func fieldsToStrip(configuration: PolicyConfiguration) -> [String] {
        configuration.honoursTargetedField && !configuration.forwardsTargetedField
            ? [configuration.targetedFieldName] : []
    }
}
