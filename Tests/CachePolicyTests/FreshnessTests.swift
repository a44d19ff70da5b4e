import CachePolicy
import NIOHTTP1
import Testing

struct LifetimeCase: Sendable, CustomTestStringConvertible {
    let name: String
    let pairs: [(String, String)]
    var status: HTTPResponseStatus = .ok
    var configuration = PolicyConfiguration()
    let seconds: Int64
    let source: FreshnessLifetime.Source
    var testDescription: String { self.name }
}

@Suite("Freshness lifetime (RFC 9111 §4.2.1, §4.2.2, §5.3)")
struct FreshnessTests {
    @Test(
        "§4.2.1: s-maxage > max-age > Expires − Date",
        arguments: [
            LifetimeCase(name: "max-age", pairs: [("Cache-Control", "max-age=3600")], seconds: 3600, source: .maxAge),
            LifetimeCase(
                name: "s-maxage over a longer max-age in a shared cache",
                pairs: [("Cache-Control", "max-age=3600, s-maxage=1")], seconds: 1, source: .sharedMaxAge),
            LifetimeCase(
                name: "s-maxage over a shorter max-age in a shared cache, separate lines",
                pairs: [("Cache-Control", "max-age=1"), ("Cache-Control", "s-maxage=3600")], seconds: 3600,
                source: .sharedMaxAge),
            LifetimeCase(
                name: "a private cache ignores s-maxage", pairs: [("Cache-Control", "s-maxage=3600, max-age=1")],
                configuration: PolicyConfiguration(isShared: false), seconds: 1, source: .maxAge),
            LifetimeCase(
                name: "max-age over a past Expires",
                pairs: [("Cache-Control", "max-age=3600"), ("Expires", "@-10000"), ("Date", "@+0")], seconds: 3600,
                source: .maxAge),
            LifetimeCase(
                name: "max-age=0 over a future Expires",
                pairs: [("Cache-Control", "max-age=0"), ("Expires", "@+10000"), ("Date", "@+0")], seconds: 0,
                source: .maxAge),
            LifetimeCase(
                name: "max-age over an invalid Expires",
                pairs: [("Cache-Control", "max-age=3600"), ("Expires", "0")], seconds: 3600, source: .maxAge),
            LifetimeCase(
                name: "Expires minus Date", pairs: [("Expires", "@+3600"), ("Date", "@-100")], seconds: 3700,
                source: .expires),
            LifetimeCase(
                name: "Expires without Date: minus the response time", pairs: [("Expires", "@+3600")], seconds: 3600,
                source: .expires),
            LifetimeCase(
                name: "Expires with an invalid Date: minus the response time",
                pairs: [("Date", "foo"), ("Expires", "@+10")], seconds: 10, source: .expires),
            LifetimeCase(
                name: "Expires older than Date", pairs: [("Expires", "@+300"), ("Date", "@+400")], seconds: 0,
                source: .expires),
            LifetimeCase(
                name: "the first of two Expires lines",
                pairs: [("Expires", "@+60"), ("Expires", "@+6000"), ("Date", "@+0")], seconds: 60, source: .expires),
            LifetimeCase(
                name: "§5.3: Expires: 0 means already expired", pairs: [("Expires", "0"), ("Date", "@+0")],
                seconds: 0, source: .expires),
            LifetimeCase(
                name: "§5.3: an Expires in UTC is invalid, so expired",
                pairs: [("Expires", "Thu, 18 Aug 2050 02:01:18 UTC"), ("Date", "@+0")], seconds: 0, source: .expires),
            LifetimeCase(
                name: "§5.3: an invalid Expires forbids heuristics too",
                pairs: [("Expires", "soon"), ("Last-Modified", "@-100000")], seconds: 0, source: .expires),
            LifetimeCase(
                name: "§5.3: an Expires in lower case is valid",
                pairs: [("Expires", "THU, 18 AUG 2050 02:01:18 gmt"), ("Date", "Thu, 18 Aug 2050 01:01:18 GMT")],
                seconds: 3600, source: .expires),
        ]
    )
    func explicit(_ testCase: LifetimeCase) {
        Self.check(testCase)
    }

    @Test(
        "§4.2.2: heuristics from Last-Modified, only without explicit expiration, capped; then the default TTL",
        arguments: [
            LifetimeCase(
                name: "10% of Date − Last-Modified", pairs: [("Last-Modified", "@-100000"), ("Date", "@+0")],
                seconds: 10_000, source: .heuristic),
            LifetimeCase(
                name: "capped at 24 h", pairs: [("Last-Modified", "@-10000000"), ("Date", "@+0")], seconds: 86_400,
                source: .heuristic),
            LifetimeCase(
                name: "a configured cap and fraction",
                pairs: [("Last-Modified", "@-1000"), ("Date", "@+0")],
                configuration: PolicyConfiguration(heuristicFraction: 0.5, heuristicCap: 60), seconds: 60,
                source: .heuristic),
            LifetimeCase(
                name: "404 is heuristically cacheable", pairs: [("Last-Modified", "@-1000")], status: .notFound,
                seconds: 100, source: .heuristic),
            LifetimeCase(
                name: "201 is not", pairs: [("Last-Modified", "@-100000")], status: .created, seconds: 0,
                source: .none),
            LifetimeCase(
                name: "503 is not", pairs: [("Last-Modified", "@-100000")], status: .serviceUnavailable, seconds: 0,
                source: .none),
            LifetimeCase(
                name: "599 with public is", pairs: [("Last-Modified", "@-1000"), ("Cache-Control", "public")],
                status: HTTPResponseStatus(statusCode: 599), seconds: 100, source: .heuristic),
            LifetimeCase(
                name: "a Last-Modified after Date gives nothing", pairs: [("Last-Modified", "@+100"), ("Date", "@+0")],
                seconds: 0, source: .none),
            LifetimeCase(
                name: "no Last-Modified: the default TTL", pairs: [],
                configuration: PolicyConfiguration(defaultTTL: 300), seconds: 300, source: .defaultTTL),
            LifetimeCase(
                name: "no Last-Modified, no default TTL", pairs: [], seconds: 0, source: .none),
            LifetimeCase(
                name: "the default TTL does not apply to 500", pairs: [], status: .internalServerError,
                configuration: PolicyConfiguration(defaultTTL: 300), seconds: 0, source: .none),
            LifetimeCase(
                name: "heuristics win over the default TTL", pairs: [("Last-Modified", "@-1000")],
                configuration: PolicyConfiguration(defaultTTL: 300), seconds: 100, source: .heuristic),
        ]
    )
    func heuristic(_ testCase: LifetimeCase) {
        Self.check(testCase)
    }

    static func check(_ testCase: LifetimeCase) {
        let headers = fields(testCase.pairs)
        let lifetime = Freshness.lifetime(
            status: testCase.status,
            headers: headers,
            directives: ResponseDirectives(response: headers, configuration: testCase.configuration),
            responseTime: t0,
            configuration: testCase.configuration
        )
        #expect(lifetime == FreshnessLifetime(seconds: testCase.seconds, source: testCase.source))
    }

    @Test(
        "§4.2.2: the heuristically cacheable status codes",
        arguments: [200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501]
    )
    func heuristicallyCacheable(code: Int) {
        #expect(Freshness.isHeuristicallyCacheable(HTTPResponseStatus(statusCode: code)))
    }

    @Test(
        "§4.2.2: other status codes are not",
        arguments: [201, 202, 205, 302, 303, 307, 400, 403, 500, 502, 503, 504, 599]
    )
    func notHeuristicallyCacheable(code: Int) {
        #expect(!Freshness.isHeuristicallyCacheable(HTTPResponseStatus(statusCode: code)))
    }
}
