import CachePolicy
import NIOHTTP1
import Testing

enum ExpectedConditional: Sendable {
    case proceed, notModified, preconditionFailed
}

@Suite("Client preconditions on stored responses (RFC 9110 §13.1–13.2, RFC 9111 §4.3.2)")
struct ConditionalsTests {
    static let storedWithValidators = stored([
        ("Cache-Control", "max-age=100000"), ("Date", "@+0"), ("ETag", "\"abc\""), ("Last-Modified", "@-3000"),
        ("Content-Type", "text/plain"), ("Content-Length", "5"), ("Vary", "Accept-Encoding"),
        ("Expires", "@+100000"), ("Content-Location", "/r.txt"),
    ])

    @Test(
        "§13.2.2: If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since, in that order",
        arguments: [
            (HTTPMethod.GET, [("If-None-Match", "\"abc\"")], ExpectedConditional.notModified),
            (.HEAD, [("If-None-Match", "\"abc\"")], .notModified),
            (.GET, [("If-None-Match", "W/\"abc\"")], .notModified),
            (.GET, [("If-None-Match", "\"xyz\"")], .proceed),
            (.GET, [("If-None-Match", "\"1234\", \"abc\", \"5678\"")], .notModified),
            (.GET, [("If-None-Match", "\"1234\""), ("If-None-Match", "\"abc\"")], .notModified),
            (.GET, [("If-None-Match", "*")], .notModified),
            (.GET, [("If-None-Match", "abc")], .notModified),
            (.POST, [("If-None-Match", "\"abc\"")], .preconditionFailed),
            (.GET, [("If-None-Match", "\"abc\""), ("If-Modified-Since", "@-10000")], .notModified),
            (.GET, [("If-None-Match", "\"xyz\""), ("If-Modified-Since", "@+0")], .proceed),
            (.GET, [("If-Modified-Since", "@-3000")], .notModified),
            (.GET, [("If-Modified-Since", "@-2000")], .notModified),
            (.GET, [("If-Modified-Since", "@-4000")], .proceed),
            (.GET, [("If-Modified-Since", "yesterday")], .proceed),
            (.POST, [("If-Modified-Since", "@-3000")], .proceed),
            (.GET, [("If-Match", "\"abc\"")], .proceed),
            (.GET, [("If-Match", "\"xyz\"")], .preconditionFailed),
            (.GET, [("If-Match", "W/\"abc\"")], .preconditionFailed),
            (.GET, [("If-Match", "*")], .proceed),
            (.GET, [("If-Unmodified-Since", "@-4000")], .preconditionFailed),
            (.GET, [("If-Unmodified-Since", "@-3000")], .proceed),
            (.GET, [("If-Unmodified-Since", "not a date")], .proceed),
            (.GET, [("If-Match", "\"abc\""), ("If-Unmodified-Since", "@-4000")], .proceed),
            (.GET, [("If-Match", "\"xyz\""), ("If-None-Match", "\"abc\"")], .preconditionFailed),
            (.GET, [], .proceed),
        ] as [(HTTPMethod, [(String, String)], ExpectedConditional)]
    )
    func evaluates(method: HTTPMethod, pairs: [(String, String)], expected: ExpectedConditional) {
        let outcome = Conditionals.evaluate(request: request(method, pairs), stored: Self.storedWithValidators)
        switch (outcome, expected) {
        case (.proceed, .proceed), (.notModified, .notModified), (.preconditionFailed, .preconditionFailed):
            break
        default:
            Issue.record("expected \(expected), got \(outcome)")
        }
    }

    @Test(
        "RFC 9111 §4.3.2: without Last-Modified, If-Modified-Since compares with Date, then the response time",
        arguments: [
            ([("Date", "@+0")], "@-3000", false),
            ([("Date", "@+0")], "@+10", true),
            ([("Date", "@+0")], "@-1", false),
            ([], "@+0", true),
            ([], "@-1", false),
            ([("Date", "junk")], "@+0", true),
        ] as [([(String, String)], String, Bool)]
    )
    func modifiedSinceFallback(storedPairs: [(String, String)], since: String, notModified: Bool) {
        let outcome = Conditionals.evaluate(
            request: request(.GET, [("If-Modified-Since", since)]), stored: stored(storedPairs))
        if case .notModified = outcome { #expect(notModified) } else { #expect(!notModified) }
    }

    @Test("RFC 9110 §13.1.3: If-Modified-Since in the obsolete RFC 850 form counts")
    func rfc850ModifiedSince() throws {
        let lastModified = try #require(HTTPDate.parse(relativeDate("@-3000")!, now: t0))
        let parts = HTTPDate.format(lastModified).split(separator: " ")
        let longDay = ["Sun": "Sunday", "Mon": "Monday", "Tue": "Tuesday", "Wed": "Wednesday", "Thu": "Thursday",
                       "Fri": "Friday", "Sat": "Saturday"][String(parts[0].dropLast())]!
        let rfc850 = "\(longDay), \(parts[1])-\(parts[2])-\(parts[3].suffix(2)) \(parts[4]) GMT"
        let outcome = Conditionals.evaluate(
            request: request(.GET, [("If-Modified-Since", rfc850)]), stored: Self.storedWithValidators)
        guard case .notModified = outcome else {
            Issue.record("\(rfc850) should have matched, got \(outcome)")
            return
        }
    }

    @Test("§13.2.1: preconditions are ignored on a stored non-2xx response")
    func ignoredOnErrors() {
        let notFound = stored([("ETag", "\"abc\""), ("Cache-Control", "max-age=60")], status: .notFound)
        #expect(Conditionals.evaluate(request: request(.GET, [("If-None-Match", "*")]), stored: notFound) == .proceed)
    }

    @Test(
        "§15.4.5: the fields of a 304 made from a stored response",
        arguments: [
            (
                [("Cache-Control", "max-age=60"), ("Date", "@+0"), ("ETag", "\"a\""), ("Last-Modified", "@-10"),
                 ("Content-Type", "text/plain"), ("Content-Length", "5"), ("Vary", "Accept-Encoding"),
                 ("Expires", "@+60"), ("Content-Location", "/r"), ("X-Other", "1")],
                ["Cache-Control", "Date", "ETag", "Vary", "Expires", "Content-Location"]
            ),
            (
                [("Cache-Control", "max-age=60"), ("Date", "@+0"), ("Last-Modified", "@-10"), ("Content-Length", "5")],
                ["Cache-Control", "Date", "Last-Modified"]
            ),
        ] as [([(String, String)], [String])]
    )
    func notModifiedHeaders(storedPairs: [(String, String)], names: [String]) {
        #expect(Conditionals.notModifiedHeaders(from: fields(storedPairs)).map(\.name) == names)
    }

    @Test("RFC 9110 §9.3.2: HEAD from a stored GET keeps every field, Content-Length included")
    func headFromGet() {
        let getHeaders = fields([("Content-Length", "11"), ("Content-Type", "text/plain"), ("ETag", "\"a\"")])
        #expect(HeadResponse.headers(fromStoredGET: getHeaders).pairs == getHeaders.pairs)
    }
}
