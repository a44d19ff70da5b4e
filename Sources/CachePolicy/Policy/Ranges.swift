import NIOHTTP1

/// An inclusive range of byte positions, `first...last` (RFC 9110 §14.1.1).
public struct ByteRange: Hashable, Sendable {
    public var first: Int64
    public var last: Int64

    public init(first: Int64, last: Int64) {
        self.first = first
        self.last = last
    }

    /// Number of bytes in the range.
    public var count: Int64 { self.last - self.first + 1 }

    /// `bytes first-last/complete` (RFC 9110 §14.4).
    public func contentRange(completeLength: Int64) -> String {
        "bytes \(self.first)-\(self.last)/\(completeLength)"
    }
}

/// One `range-spec` of a `Range: bytes=…` field (RFC 9110 §14.1.1).
public enum RangeSpec: Hashable, Sendable {
    /// `first-last` or `first-` (open end).
    case positions(first: Int64, last: Int64?)
    /// `-length`: the last `length` bytes.
    case suffix(length: Int64)
}

/// How to answer a request from a stored complete representation (RFC 9110 §14).
public enum RangePlan: Equatable, Sendable {
    /// 200 with the whole representation: no `Range`, an ignored one, or `If-Range` not matching.
    case full
    /// 206 with one range and this `Content-Range`.
    case single(ByteRange, contentRange: String)
    /// 206 `multipart/byteranges` with these ranges (sorted, coalesced) and boundary.
    case multipart([ByteRange], boundary: String)
    /// 416 with this `Content-Range` (`bytes */length`).
    case unsatisfiable(contentRange: String)
}

/// Range requests answered from a stored response (RFC 9110 §14, §13.1.5).
public enum Ranges {
    /// Parses a `Range` field value with the `bytes` unit (RFC 9110 §14.1.1, §14.2): a comma-separated list of
    /// `first-last`, `first-` and `-suffix`, whitespace allowed around commas only. `nil` when the unit is not
    /// `bytes` or the syntax is invalid — including `last < first` — in which case the field is ignored.
    /// Positions too large for 64 bits are clamped.
    public static func parse(_ value: String) -> [RangeSpec]? {
        let trimmed = FieldSyntax.trimmed(value[...])
        guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals].lowercased() == "bytes" else { return nil }
        let members = FieldSyntax.listMembers(trimmed[trimmed.index(after: equals)...])
        guard !members.isEmpty else { return nil }
        var specs: [RangeSpec] = []
        for member in members {
            guard let dash = member.firstIndex(of: "-") else { return nil }
            let firstText = member[..<dash]
            let lastText = member[member.index(after: dash)...]
            if firstText.isEmpty {
                guard let length = Self.position(lastText) else { return nil }
                specs.append(.suffix(length: length))
            } else {
                guard let first = Self.position(firstText) else { return nil }
                if lastText.isEmpty {
                    specs.append(.positions(first: first, last: nil))
                } else {
                    guard let last = Self.position(lastText), last >= first else { return nil }
                    specs.append(.positions(first: first, last: last))
                }
            }
        }
        return specs
    }

    /// Plans the answer to a request for a stored response of `completeLength` bytes:
    /// - only a GET with exactly one `Range` field, served from a stored 200, uses ranges (RFC 9110 §14.2);
    /// - `If-Range` must match (`ifRangeMatches`), else the whole representation is sent;
    /// - an invalid `Range`, more than `configuration.maximumRanges` ranges (against abuse, RFC 9110 §14.2) or an
    ///   empty representation → `.full`;
    /// - ranges beyond the end are dropped; if none is left → `.unsatisfiable` (416);
    /// - overlapping and adjacent ranges are sorted and coalesced (RFC 9110 §14.6); one left → `.single`, else
    ///   `.multipart` with `boundary` (made only then).
    public static func plan(
        request: HTTPRequestHead,
        stored: StoredResponse,
        completeLength: Int64,
        boundary: @autoclosure () -> String,
        configuration: PolicyConfiguration
    ) -> RangePlan {
        let fields = request.headers["range"]
        guard request.method == .GET, stored.status == .ok, fields.count == 1, completeLength > 0,
            let specs = Self.parse(fields[0]), specs.count <= configuration.maximumRanges
        else { return .full }
        if let ifRange = request.headers["if-range"].first, !Self.ifRangeMatches(ifRange, stored: stored) {
            return .full
        }
        let ranges = Self.coalesce(specs.compactMap { Self.resolve($0, completeLength: completeLength) })
        switch ranges.count {
        case 0: return .unsatisfiable(contentRange: "bytes */\(completeLength)")
        case 1: return .single(ranges[0], contentRange: ranges[0].contentRange(completeLength: completeLength))
        default: return .multipart(ranges, boundary: boundary())
        }
    }

    /// Whether an `If-Range` value allows the range request (RFC 9110 §13.1.5): an entity tag must match the stored
    /// `ETag` strongly (a weak tag never does); a date must equal the stored `Last-Modified` exactly, and that
    /// `Last-Modified` must be strong — at least one second before the stored `Date` (RFC 9110 §8.8.2.2). Anything
    /// else, including an invalid value, does not match.
    public static func ifRangeMatches(_ value: String, stored: StoredResponse) -> Bool {
        let trimmed = FieldSyntax.trimmed(value[...])
        if trimmed.hasPrefix("\"") || trimmed.hasPrefix("W/") {
            guard let tag = EntityTag(parsing: trimmed), let storedTag = EntityTag(headers: stored.headers) else {
                return false
            }
            return tag.matchesStrongly(storedTag)
        }
        let now = stored.responseTime
        guard let date = HTTPDate.parse(trimmed, now: now),
            let lastModified = HTTPDate.field("last-modified", in: stored.headers, now: now),
            let storedDate = AgeCalculation.dateValue(stored.headers, now: now)
        else { return false }
        return date == lastModified && storedDate.seconds(since: lastModified) >= 1
    }

    /// The `Content-Type` of a multipart answer (RFC 9110 §14.6).
    public static func multipartContentType(boundary: String) -> String {
        "multipart/byteranges; boundary=\(boundary)"
    }

    /// The delimiter and header fields that precede one part of a `multipart/byteranges` body (RFC 9110 §14.6,
    /// RFC 2046 §5.1.1). The first part has no leading CRLF; later parts start with the CRLF that ends the previous
    /// part's content.
    public static func partHeader(
        _ range: ByteRange,
        completeLength: Int64,
        contentType: String?,
        boundary: String,
        isFirst: Bool
    ) -> String {
        var header = (isFirst ? "" : "\r\n") + "--\(boundary)\r\n"
        if let contentType { header += "Content-Type: \(contentType)\r\n" }
        return header + "Content-Range: \(range.contentRange(completeLength: completeLength))\r\n\r\n"
    }

    /// The close delimiter that ends a `multipart/byteranges` body.
    public static func multipartTrailer(boundary: String) -> String {
        "\r\n--\(boundary)--\r\n"
    }

    /// The exact length of a `multipart/byteranges` body, for its `Content-Length`.
    public static func multipartLength(
        _ ranges: [ByteRange],
        completeLength: Int64,
        contentType: String?,
        boundary: String
    ) -> Int64 {
        var length = Int64(Self.multipartTrailer(boundary: boundary).utf8.count)
        for (index, range) in ranges.enumerated() {
            let header = Self.partHeader(
                range, completeLength: completeLength, contentType: contentType, boundary: boundary,
                isFirst: index == 0)
            length += Int64(header.utf8.count) + range.count
        }
        return length
    }

    /// A range within `0..<completeLength`, or `nil` when unsatisfiable (RFC 9110 §14.1.1).
    static func resolve(_ spec: RangeSpec, completeLength: Int64) -> ByteRange? {
        switch spec {
        case .positions(let first, let last):
            guard first < completeLength else { return nil }
            return ByteRange(first: first, last: min(last ?? completeLength - 1, completeLength - 1))
        case .suffix(let length):
            guard length > 0 else { return nil }
            return ByteRange(first: max(0, completeLength - length), last: completeLength - 1)
        }
    }

    /// Sorts ranges and merges those that overlap or touch.
    static func coalesce(_ ranges: [ByteRange]) -> [ByteRange] {
        var merged: [ByteRange] = []
        for range in ranges.sorted(by: { $0.first < $1.first }) {
            if let last = merged.last, range.first <= last.last.addingSaturated(1) {
                merged[merged.count - 1].last = max(last.last, range.last)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    private static func position(_ text: Substring) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        return Int64(text) ?? .max
    }
}
