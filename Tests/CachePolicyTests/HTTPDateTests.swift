import CachePolicy
import Testing

@Suite("HTTP-date (RFC 9110 §5.6.7)")
struct HTTPDateTests {
    static let rfcExample: Int64 = 784_111_777  // Sun, 06 Nov 1994 08:49:37 GMT

    @Test(
        "the three accepted forms, names in any case",
        arguments: [
            ("Sun, 06 Nov 1994 08:49:37 GMT", rfcExample),
            ("Sunday, 06-Nov-94 08:49:37 GMT", rfcExample),
            ("Sun Nov  6 08:49:37 1994", rfcExample),
            ("SUN, 06 NOV 1994 08:49:37 gmt", rfcExample),
            ("  Sun, 06 Nov 1994 08:49:37 GMT ", rfcExample),
            ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
            ("Tue, 29 Feb 2000 00:00:00 GMT", 951_782_400),
            ("Sat, 31 Dec 2016 23:59:60 GMT", 1_483_228_800),
        ] as [(String, Int64)]
    )
    func parses(text: String, seconds: Int64) {
        #expect(HTTPDate.parse(text, now: t0) == Instant(secondsSinceEpoch: seconds))
    }

    @Test(
        "invalid dates are nil",
        arguments: [
            "0", "", "-1", "Thu, 18 Aug 2050 02:01:18 UTC", "Thu, 18 Aug 50 02:01:18 GMT",
            "Thu 18 Aug 2050 02:01:18 GMT", "Thu, 18  Aug  2050 02:01:18 GMT", "Thu, 18-Aug-2050 02:01:18 GMT",
            "Thu, 18 Aug 2050 02.01.18 GMT", "Thu, 18 Aug 2050 2:01:18 GMT", "Mon, 30 Feb 2015 00:00:00 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT", "Sun Nov 6 08:49:37 1994",
        ]
    )
    func rejects(text: String) {
        #expect(HTTPDate.parse(text, now: t0) == nil)
    }

    @Test(
        "RFC 850 two-digit years: the year within 50 years after now, else a century earlier",
        arguments: [
            ("Thursday, 18-Aug-50 02:01:18 GMT", "Thu, 18 Aug 2050 02:01:18 GMT", 2024),
            ("Friday, 18-Aug-50 02:01:18 GMT", "Fri, 18 Aug 1950 02:01:18 GMT", 1990),
            ("Sunday, 06-Nov-94 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT", 2024),
            ("Monday, 01-Jan-25 00:00:00 GMT", "Mon, 01 Jan 2125 00:00:00 GMT", 2099),
            ("Saturday, 01-Jan-50 00:00:00 GMT", "Sat, 01 Jan 2050 00:00:00 GMT", 2099),
        ] as [(String, String, Int64)]
    )
    func twoDigitYears(rfc850: String, fixdate: String, currentYear: Int64) throws {
        let now = try #require(HTTPDate.parse("Mon, 01 Jun \(currentYear) 00:00:00 GMT", now: t0))
        #expect(HTTPDate.parse(rfc850, now: now) == HTTPDate.parse(fixdate, now: now))
    }

    @Test(
        "formatting is IMF-fixdate",
        arguments: [
            (rfcExample, "Sun, 06 Nov 1994 08:49:37 GMT"),
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
            (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
            (2_524_608_000, "Sat, 01 Jan 2050 00:00:00 GMT"),
        ] as [(Int64, String)]
    )
    func formats(seconds: Int64, text: String) {
        #expect(HTTPDate.format(Instant(secondsSinceEpoch: seconds)) == text)
    }

    @Test(
        "format and parse round-trip",
        arguments: Array(stride(from: Int64(-86_400 * 400), through: 4_102_444_800, by: 97_777_777))
    )
    func roundTrip(seconds: Int64) {
        let instant = Instant(secondsSinceEpoch: seconds)
        #expect(HTTPDate.parse(HTTPDate.format(instant), now: t0) == instant)
    }
}
