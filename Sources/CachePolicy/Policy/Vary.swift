import NIOHTTP1

/// The request fields a stored response was selected by (RFC 9111 §4.1), and the secondary cache key built from
/// them.
///
/// The secondary key is a deterministic string (fit for hashing and storing): one line per listed field, in
/// lowercased-name order, `name:value` when the request has the field and `name` alone when it does not — so an
/// absent field and an empty one differ. Values are normalised (RFC 9111 §4.1 allows it): every line of the field
/// is split into list members (commas inside quoted strings are kept), each member trimmed of whitespace, and the
/// members joined with `,` — so `a, b`, `a,b` and two lines `a` and `b` select alike. `Accept-Encoding` members are
/// also lowercased, stripped of inner whitespace and sorted, because their order carries no meaning (quality
/// values do, and are kept). Other fields keep their order and case: `Accept-Language: en, de` and `de, en` differ.
public enum Vary: Hashable, Sendable, Codable {
    /// The listed field names, lowercased, deduplicated and sorted. Empty: the response does not vary.
    case fields([String])
    /// `Vary: *` (alone or among names): no later request can match (RFC 9111 §4.1).
    case any

    /// Reads every line of the response's `Vary` field.
    public init(response headers: HTTPHeaders) {
        self.init(members: FieldSyntax.listMembers(headers, "vary"))
    }

    /// Reads the lines of a `Vary` field given as values (as a stored field list holds them).
    public init(lines: [String]) {
        var members: [Substring] = []
        for line in lines { members += FieldSyntax.listMembers(line[...]) }
        self.init(members: members)
    }

    private init(members: [Substring]) {
        guard !members.isEmpty else {
            self = .fields([])  // most responses
            return
        }
        let names = members.map { $0.lowercased() }
        if names.contains("*") {
            self = .any
        } else {
            self = .fields(Array(Set(names)).sorted())
        }
    }

    /// The secondary key of `request` under this Vary; `nil` for `Vary: *`.
    public func secondaryKey(for request: HTTPHeaders) -> String? {
        guard case .fields(let names) = self else { return nil }
        return names.map { name in
            request.contains(name: name) ? name + ":" + Self.normalisedValue(of: name, in: request) : name
        }.joined(separator: "\n")
    }

    /// Whether a stored response, whose original request had `storedKey` as secondary key, can be selected for
    /// `request` (RFC 9111 §4.1). Never true for `Vary: *`.
    public func matches(storedKey: String, request: HTTPHeaders) -> Bool {
        self.secondaryKey(for: request).map { $0 == storedKey } ?? false
    }

    /// The order in which stored responses that all match a request are to be tried (RFC 9111 §4.1: "the most
    /// recent response (as determined by the Date header field) is used"): indices into `candidates`, latest `Date`
    /// first — the response time stands in for a missing or invalid `Date`, and breaks ties, later first; equal
    /// candidates keep their order.
    public static func mostRecentFirst(_ candidates: [StoredResponse]) -> [Int] {
        func date(_ index: Int) -> Instant {
            let candidate = candidates[index]
            return AgeCalculation.dateValue(candidate.headers, now: candidate.responseTime) ?? candidate.responseTime
        }
        return candidates.indices.sorted { lhs, rhs in
            let (left, right) = (date(lhs), date(rhs))
            if left != right { return left > right }
            if candidates[lhs].responseTime != candidates[rhs].responseTime {
                return candidates[lhs].responseTime > candidates[rhs].responseTime
            }
            return lhs < rhs
        }
    }

    /// The normalised value of field `name` in `headers` (see the type's description).
    public static func normalisedValue(of name: String, in headers: HTTPHeaders) -> String {
        let members = FieldSyntax.listMembers(headers, name)
        guard name.lowercased() == "accept-encoding" else { return members.joined(separator: ",") }
        let tokens = members.map { String($0.lowercased().filter { $0 != " " && $0 != "\t" }) }
        return tokens.sorted().joined(separator: ",")
    }
}
