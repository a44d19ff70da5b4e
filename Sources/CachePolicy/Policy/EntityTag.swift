import NIOHTTP1

/// An entity tag (RFC 9110 §8.8.3): an opaque quoted string, optionally marked weak with `W/`.
///
/// Parsing is lenient in two ways that common servers need: a lowercase `w/` is read as weak, and a bare
/// unquoted value (`ETag: abc`) is read as the strong tag `"abc"`. Written back, tags are always in canonical form.
public struct EntityTag: Hashable, Sendable, Codable, CustomStringConvertible {
    public var isWeak: Bool
    /// The tag without quotes.
    public var opaqueTag: String

    public init(opaqueTag: String, isWeak: Bool = false) {
        self.opaqueTag = opaqueTag
        self.isWeak = isWeak
    }

    /// Parses one entity tag; `nil` when it is malformed (an unbalanced quote, a quote inside the tag).
    public init?(parsing text: Substring) {
        var rest = FieldSyntax.trimmed(text)
        var weak = false
        if rest.hasPrefix("W/\"") || rest.hasPrefix("w/\"") {
            weak = true
            rest = rest.dropFirst(2)
        }
        if rest.hasPrefix("\"") {
            guard rest.count >= 2, rest.hasSuffix("\""), !rest.dropFirst().dropLast().contains("\"") else {
                return nil
            }
            self.init(opaqueTag: String(rest.dropFirst().dropLast()), isWeak: weak)
        } else {
            guard !rest.isEmpty, !rest.contains("\""), !rest.contains(where: { $0 == " " || $0 == "," }) else {
                return nil
            }
            self.init(opaqueTag: String(rest), isWeak: false)
        }
    }

    /// The stored response's `ETag`, if it has a readable one (first line only).
    public init?(headers: HTTPHeaders) {
        guard let line = FieldSyntax.firstLine(headers, "etag") else { return nil }
        self.init(parsing: line)
    }

    /// `W/"tag"` or `"tag"`.
    public var description: String { (self.isWeak ? "W/" : "") + "\"" + self.opaqueTag + "\"" }

    /// Strong comparison: both strong and identical (RFC 9110 §8.8.3.2).
    public func matchesStrongly(_ other: EntityTag) -> Bool {
        !self.isWeak && !other.isWeak && self.opaqueTag == other.opaqueTag
    }

    /// Weak comparison: identical opaque tags, either or both weak (RFC 9110 §8.8.3.2).
    public func matchesWeakly(_ other: EntityTag) -> Bool {
        self.opaqueTag == other.opaqueTag
    }
}

/// The value of `If-Match` or `If-None-Match` (RFC 9110 §13.1.1–13.1.2): `*` or a list of entity tags.
public enum EntityTagCondition: Hashable, Sendable {
    case any
    case tags([EntityTag])

    /// Reads every line of field `name`; `nil` when the field is absent. Malformed members are skipped.
    public init?(_ headers: HTTPHeaders, field name: String) {
        guard headers.contains(name: name) else { return nil }
        let members = FieldSyntax.listMembers(headers, name)
        if members.contains("*") {
            self = .any
        } else {
            self = .tags(members.compactMap { EntityTag(parsing: $0) })
        }
    }

    /// Whether `current` satisfies the condition: `*` matches any current representation; a list matches when one of
    /// its tags compares equal under the given comparison.
    public func matches(_ current: EntityTag?, weakly: Bool) -> Bool {
        switch self {
        case .any: return true
        case .tags(let tags):
            guard let current else { return false }
            return tags.contains { weakly ? $0.matchesWeakly(current) : $0.matchesStrongly(current) }
        }
    }
}
