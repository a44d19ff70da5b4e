import CachePolicy
import NIOHTTP1
import Testing

struct ParseCase: Sendable, CustomTestStringConvertible {
    let lines: [String]
    let expected: CacheControl
    init(_ lines: String..., expected: CacheControl) {
        self.lines = lines
        self.expected = expected
    }
    var testDescription: String { self.lines.joined(separator: " | ") }
}

@Suite("Cache-Control parsing (RFC 9111 §5.2, RFC 9110 §5.6)")
struct CacheControlTests {
    @Test(
        "§5.2: case, quoting, duplicates (first wins), invalid and overflowing delta-seconds, unknown directives",
        arguments: [
            ParseCase("max-age=60", expected: directives { $0.maxAge = 60 }),
            ParseCase("MaX-AgE=60", expected: directives { $0.maxAge = 60 }),
            ParseCase("max-age=\"60\"", expected: directives { $0.maxAge = 60 }),
            ParseCase("max-age=003600", expected: directives { $0.maxAge = 3600 }),
            ParseCase("max-age=60, max-age=10", expected: directives { $0.maxAge = 60 }),
            ParseCase("max-age=1, max-age=1800", expected: directives { $0.maxAge = 1 }),
            ParseCase("max-age=60", "max-age=10", expected: directives { $0.maxAge = 60 }),
            ParseCase("max-age=-1", expected: directives { $0.maxAge = 0 }),
            ParseCase("max-age=1.5", expected: directives { $0.maxAge = 0 }),
            ParseCase("max-age=a100", expected: directives { $0.maxAge = 0 }),
            ParseCase("max-age=100a", expected: directives { $0.maxAge = 0 }),
            ParseCase("max-age='3600'", expected: directives { $0.maxAge = 0 }),
            ParseCase("max-age =100", expected: directives { $0.maxAge = 0 }),
            ParseCase("max-age= 100", expected: directives { $0.maxAge = 0 }),
            ParseCase("max-age", expected: directives { $0.maxAge = 0 }),
            ParseCase("max-age=99999999999", expected: directives { $0.maxAge = 2_147_483_648 }),
            ParseCase("max-age=2147483648", expected: directives { $0.maxAge = 2_147_483_648 }),
            ParseCase("extension=\"max-age=100\", max-age=1", expected: directives { $0.maxAge = 1 }),
            ParseCase("max-age=1, extension=\"max-age=100\"", expected: directives { $0.maxAge = 1 }),
            ParseCase("extension=\"a, max-age=100\", max-age=\"1\"", expected: directives { $0.maxAge = 1 }),
            ParseCase("foo, bar=baz, max-age=5", expected: directives { $0.maxAge = 5 }),
            ParseCase(" , ,max-age=5,", expected: directives { $0.maxAge = 5 }),
            ParseCase("s-maxage=10, max-age=20", expected: directives { $0.sharedMaxAge = 10; $0.maxAge = 20 }),
            ParseCase("s-maxage=x", expected: directives { $0.sharedMaxAge = 0 }),
            ParseCase(
                "must-revalidate, proxy-revalidate, public, must-understand, immutable, no-transform",
                expected: everyFlag),
            ParseCase("No-StOrE", expected: directives { $0.noStore = true }),
            ParseCase("max-stale", expected: directives { $0.maxStale = .unlimited }),
            ParseCase("max-stale=30", expected: directives { $0.maxStale = .seconds(30) }),
            ParseCase("max-stale=abc", expected: directives()),
            ParseCase("min-fresh=20, only-if-cached",
                expected: directives { $0.minFresh = 20; $0.onlyIfCached = true }),
            ParseCase("min-fresh=-5", expected: directives()),
            ParseCase(
                "stale-while-revalidate=30, stale-if-error=60",
                expected: directives { $0.staleWhileRevalidate = 30; $0.staleIfError = 60 }),
            ParseCase("stale-if-error=soon", expected: directives()),
        ]
    )
    func parsesDirectives(_ testCase: ParseCase) {
        #expect(CacheControl(fieldValues: testCase.lines) == testCase.expected)
    }

    @Test(
        "§5.2.2.4, §5.2.2.7: no-cache and private, unqualified or with field names",
        arguments: [
            ParseCase("no-cache", expected: directives { $0.noCache = .whole }),
            ParseCase("no-cache=\"Set-Cookie, X-Id\"", expected: directives { $0.noCache = .fields(["set-cookie",
                "x-id"]) }),
            ParseCase("no-cache=x-id", expected: directives { $0.noCache = .fields(["x-id"]) }),
            ParseCase("no-cache=\"a\", no-cache=\"b, a\"", expected: directives { $0.noCache = .fields(["a", "b"]) }),
            ParseCase("no-cache=\"a\", no-cache", expected: directives { $0.noCache = .whole }),
            ParseCase("no-cache", "no-cache=\"a\"", expected: directives { $0.noCache = .whole }),
            ParseCase("no-cache=\"\"", expected: directives { $0.noCache = .whole }),
            ParseCase("no-cache=\"a", expected: directives { $0.noCache = .whole }),
            ParseCase("private", expected: directives { $0.private = .whole }),
            ParseCase("private=\"x-user\", max-age=60",
                expected: directives { $0.private = .fields(["x-user"]); $0.maxAge = 60 }),
        ]
    )
    func parsesFieldScopes(_ testCase: ParseCase) {
        #expect(CacheControl(fieldValues: testCase.lines) == testCase.expected)
    }

    @Test(
        "§5.4: Pragma: no-cache counts only when the request has no Cache-Control",
        arguments: [
            ([("Pragma", "no-cache")], CacheControl.Scope?.some(.whole)),
            ([("Pragma", "No-Cache, foo")], .some(.whole)),
            ([("Pragma", "unrecognised-extension")], nil),
            ([("Pragma", "no-cache"), ("Cache-Control", "max-stale")], nil),
            ([("Cache-Control", "no-cache")], .some(.whole)),
            ([], nil),
        ] as [([(String, String)], CacheControl.Scope?)]
    )
    func pragma(pairs: [(String, String)], expected: CacheControl.Scope?) {
        #expect(CacheControl(request: fields(pairs)).noCache == expected)
    }

    @Test("§5.4: Pragma in a response is not read")
    func responsePragmaIgnored() {
        let parsed = CacheControl(fields([("Pragma", "no-cache"), ("Cache-Control", "max-age=5")]))
        #expect(parsed == directives { $0.maxAge = 5 })
    }
}
