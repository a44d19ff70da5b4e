import NIOHTTP1

/// HTTP-date parsing and formatting (RFC 9110 §5.6.7).
///
/// Three forms are accepted, as the RFC requires of recipients: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the
/// obsolete RFC 850 form (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`). Anything else is
/// invalid and yields `nil` — callers then apply the rule of their field (an invalid `Expires` means "already
/// expired", RFC 9111 §5.3; an invalid `If-Modified-Since` is ignored, RFC 9110 §13.1.3).
///
/// Day and month names and the zone `GMT` are matched without regard to case (the RFC asks recipients to be robust
/// with timestamps); the layout itself — single spaces, two-digit hours, the comma, the zone — is strict, so
/// `UTC`, `2:01:18`, `18-Aug-2050` in a fixdate or a two-digit year in a fixdate are invalid. The day of the week is
/// not checked against the date.
public enum HTTPDate {
    /// Parses an HTTP-date. `now` is needed only for the RFC 850 form, whose two-digit year is read as the most
    /// recent matching year that is not more than 50 years in the future (RFC 9110 §5.6.7).
    public static func parse(_ text: some StringProtocol, now: Instant) -> Instant? {
        // Read in place (every response's Date goes through here); a copy only for text not stored contiguously.
        if let parsed = text.utf8.withContiguousStorageIfAvailable({ Self.parse(bytes: $0, now: now) }) {
            return parsed
        }
        return Array(text.utf8).withUnsafeBufferPointer { Self.parse(bytes: $0, now: now) }
    }

    private static func parse(bytes: UnsafeBufferPointer<UInt8>, now: Instant) -> Instant? {
        var (lower, upper) = (0, bytes.count)
        while lower < upper, FieldSyntax.isWhitespace(bytes[lower]) { lower += 1 }
        while upper > lower, FieldSyntax.isWhitespace(bytes[upper - 1]) { upper -= 1 }
        let b = UnsafeBufferPointer(rebasing: bytes[lower..<upper])
        guard b.count >= 24 else { return nil }
        if b[3] == UInt8(ascii: ",") { return Self.parseFixdate(b) }
        if b[3] == UInt8(ascii: " ") { return Self.parseAsctime(b) }
        return Self.parseRFC850(b, now: now)
    }

    /// Formats an instant as IMF-fixdate, the only form a sender may generate (RFC 9110 §5.6.7).
    public static func format(_ instant: Instant) -> String {
        let seconds = instant.secondsSinceEpoch
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Self.civil(fromDays: days)
        let weekday = Int(((days % 7) + 11) % 7)  // 1970-01-01 was a Thursday (index 4)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(Self.dayNames[weekday]), \(pad(day, 2)) \(Self.monthNames[Int(month) - 1]) \(pad(year, 4)) "
            + "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)) GMT"
    }

    /// The first line of field `name` as an HTTP-date; `nil` when absent or invalid.
    static func field(_ name: String, in headers: HTTPHeaders, now: Instant) -> Instant? {
        FieldSyntax.firstLine(headers, name).flatMap { Self.parse($0, now: now) }
    }

    static let dayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let longDayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 06 Nov 1994 08:49:37 GMT`
    private static func parseFixdate(_ b: Bytes) -> Instant? {
        guard b.count == 29, Self.isDayName(b[0..<3]),
            b[4] == space, b[7] == space, b[11] == space, b[16] == space, b[25] == space,
            Self.matchesGMT(b[26..<29]),
            let day = Self.number(b[5..<7]), let month = Self.month(b[8..<11]), let year = Self.number(b[12..<16])
        else { return nil }
        return Self.instant(year: year, month: month, day: day, time: b[17..<25])
    }

    /// `Sunday, 06-Nov-94 08:49:37 GMT`
    private static func parseRFC850(_ b: Bytes, now: Instant) -> Instant? {
        guard let comma = b.firstIndex(of: UInt8(ascii: ",")), Self.isName(b[0..<comma], in: Self.longDayNames),
            b.count == comma + 24
        else { return nil }
        let rest = comma + 1
        guard b[rest] == space, b[rest + 3] == dash, b[rest + 7] == dash, b[rest + 10] == space,
            b[rest + 19] == space, Self.matchesGMT(b[(rest + 20)..<(rest + 23)]),
            let day = Self.number(b[(rest + 1)..<(rest + 3)]), let month = Self.month(b[(rest + 4)..<(rest + 7)]),
            let twoDigitYear = Self.number(b[(rest + 8)..<(rest + 10)])
        else { return nil }
        let days = now.secondsSinceEpoch >= 0 ? now.secondsSinceEpoch / 86_400 : 0
        let currentYear = Self.civil(fromDays: days).year
        var year = currentYear - currentYear % 100 + twoDigitYear
        if year > currentYear + 50 { year -= 100 }
        if year + 100 <= currentYear + 50 { year += 100 }
        return Self.instant(year: year, month: month, day: day, time: b[(rest + 11)..<(rest + 19)])
    }

    /// `Sun Nov  6 08:49:37 1994`
    private static func parseAsctime(_ b: Bytes) -> Instant? {
        guard b.count == 24, Self.isDayName(b[0..<3]), b[7] == space, b[10] == space,
            b[19] == space, let month = Self.month(b[4..<7]), let year = Self.number(b[20..<24])
        else { return nil }
        let day: Int64?
        if b[8] == space { day = Self.number(b[9..<10]) } else { day = Self.number(b[8..<10]) }
        guard let day else { return nil }
        return Self.instant(year: year, month: month, day: day, time: b[11..<19])
    }

    private typealias Bytes = UnsafeBufferPointer<UInt8>

    private static let space = UInt8(ascii: " ")
    private static let dash = UInt8(ascii: "-")

    /// `HH:MM:SS` added to a calendar day, with each part range-checked (a leap second `60` is allowed).
    private static func instant(year: Int64, month: Int64, day: Int64, time: Slice<Bytes>) -> Instant? {
        let t = time.startIndex
        guard time.count == 8, time[t + 2] == UInt8(ascii: ":"), time[t + 5] == UInt8(ascii: ":"),
            let hour = Self.number(time[t..<(t + 2)]), let minute = Self.number(time[(t + 3)..<(t + 5)]),
            let second = Self.number(time[(t + 6)..<(t + 8)]),
            hour < 24, minute < 60, second <= 60, day >= 1, day <= Self.daysIn(month: month, year: year)
        else { return nil }
        let days = Self.days(fromCivil: year, month, day)
        return Instant(secondsSinceEpoch: days * 86_400 + hour * 3600 + minute * 60 + second)
    }

    private static func number(_ digits: Slice<Bytes>) -> Int64? {
        var value: Int64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return digits.isEmpty ? nil : value
    }

    /// Whether `bytes` spell `name` (ASCII letters only) in any letter case; compared in place, as this runs for
    /// every date read.
    private static func spells(_ bytes: Slice<Bytes>, _ name: String) -> Bool {
        name.utf8.count == bytes.count && zip(name.utf8, bytes).allSatisfy { $0 | 0x20 == $1 | 0x20 }
    }

    private static func isName(_ bytes: Slice<Bytes>, in names: [String]) -> Bool {
        names.contains { Self.spells(bytes, $0) }
    }

    /// Three bytes with letters folded to lower case, as one number, so a short name compares in one step.
    private static func folded(_ bytes: some Collection<UInt8>) -> UInt32? {
        guard bytes.count == 3 else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt32($1 | 0x20) }
    }

    private static let foldedDayNames = Self.dayNames.map { Self.folded($0.utf8)! }
    private static let foldedMonthNames = Self.monthNames.map { Self.folded($0.utf8)! }

    private static func isDayName(_ bytes: Slice<Bytes>) -> Bool {
        Self.folded(bytes).map(Self.foldedDayNames.contains) ?? false
    }

    private static func month(_ bytes: Slice<Bytes>) -> Int64? {
        Self.folded(bytes).flatMap { Self.foldedMonthNames.firstIndex(of: $0) }.map { Int64($0) + 1 }
    }

    private static func matchesGMT(_ bytes: Slice<Bytes>) -> Bool {
        Self.folded(bytes) == Self.foldedGMT
    }

    private static let foldedGMT = Self.folded("GMT".utf8)!

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    private static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The calendar date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
    private static func civil(fromDays count: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = count + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
