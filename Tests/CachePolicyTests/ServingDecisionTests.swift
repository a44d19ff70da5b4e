import CachePolicy
import NIOHTTP1
import Testing

struct ServeCase: Sendable, CustomTestStringConvertible {
    let name: String
    let responsePairs: [(String, String)]
    var requestPairs: [(String, String)] = []
    var configuration = PolicyConfiguration()
    /// Seconds after the response arrived (at `t0`).
    let now: Int64
    let expected: ServingDecision
    var testDescription: String { self.name }
}

/// The expected `.revalidate` with these conditional fields.
func revalidate(_ pairs: [(String, String)], _ reason: RevalidationReason) -> ServingDecision {
    .revalidate(conditionalHeaders: fields(pairs), reason: reason)
}

@Suite("Serving stored responses (RFC 9111 §4.2.4, §4.3.1, §5.2.1; RFC 5861)")
struct ServingDecisionTests {
    @Test(
        "§4.2: fresh while age < lifetime; Age, Date and Expires count",
        arguments: [
            ServeCase(name: "max-age, 10 s later", responsePairs: [("Cache-Control", "max-age=3600")], now: 10,
                      expected: .fresh(age: 10)),
            ServeCase(name: "max-age reached", responsePairs: [("Cache-Control", "max-age=10")], now: 10,
                      expected: .miss(reason: .stale)),
            ServeCase(name: "an Age beyond max-age on arrival",
                      responsePairs: [("Date", "@+0"), ("Cache-Control", "max-age=10"), ("Age", "15")], now: 0,
                      expected: .miss(reason: .stale)),
            ServeCase(name: "an Age within max-age reduces what is left",
                      responsePairs: [("Cache-Control", "max-age=600"), ("Age", "30")], now: 5,
                      expected: .fresh(age: 35)),
            ServeCase(name: "Age beyond Expires − Date, slow Date",
                      responsePairs: [("Date", "@-10"), ("Expires", "@+10"), ("Age", "25")], now: 0,
                      expected: .miss(reason: .stale)),
            ServeCase(name: "Age beyond Expires − Date, fast Date",
                      responsePairs: [("Date", "@+10"), ("Expires", "@+20"), ("Age", "15")], now: 0,
                      expected: .miss(reason: .stale)),
            ServeCase(name: "a future Expires", responsePairs: [("Expires", "@+2592000"), ("Date", "@+0")], now: 100,
                      expected: .fresh(age: 100)),
            ServeCase(name: "§5.3: an invalid Expires is stale", responsePairs: [("Expires", "0"), ("Date", "@+0")],
                      now: 0, expected: .miss(reason: .stale)),
            ServeCase(name: "s-maxage shorter than max-age, shared",
                      responsePairs: [("Cache-Control", "max-age=3600, s-maxage=1")], now: 2,
                      expected: .miss(reason: .stale)),
            ServeCase(name: "heuristic: 10% of 100000 s, at 5000 s",
                      responsePairs: [("Last-Modified", "@-100000"), ("Date", "@+0")], now: 5000,
                      expected: .fresh(age: 5000)),
            ServeCase(name: "heuristic expired: validate with If-Modified-Since",
                      responsePairs: [("Last-Modified", "@-100000"), ("Date", "@+0")], now: 20000,
                      expected: revalidate([("If-Modified-Since", "@-100000")], .stale)),
            ServeCase(name: "stale with an ETag: If-None-Match",
                      responsePairs: [("Cache-Control", "max-age=10"), ("ETag", "\"abc\"")], now: 20,
                      expected: revalidate([("If-None-Match", "\"abc\"")], .stale)),
            ServeCase(name: "stale with a weak ETag and Last-Modified: both validators",
                      responsePairs: [("Cache-Control", "max-age=10"), ("ETag", "W/\"abc\""),
                                      ("Last-Modified", "@-500")], now: 20,
                      expected: revalidate([("If-None-Match", "W/\"abc\""),
                                                                             ("If-Modified-Since", "@-500")], .stale)),
        ]
    )
    func freshness(_ testCase: ServeCase) {
        Self.check(testCase)
    }

    @Test(
        "§5.2.1, §5.2.2.4, §5.4: request directives and response no-cache",
        arguments: [
            ServeCase(name: "response no-cache with max-age: validate",
                      responsePairs: [("Cache-Control", "max-age=10000, no-cache"), ("ETag", "\"abcd\"")], now: 1,
                      expected: revalidate([("If-None-Match", "\"abcd\"")], .responseNoCache)),
            ServeCase(name: "response No-CaChE without validators: miss",
                      responsePairs: [("Cache-Control", "max-age=10000, No-CaChE")], now: 1,
                      expected: .miss(reason: .responseNoCache)),
            ServeCase(name: "response no-cache with field names: served",
                      responsePairs: [("Cache-Control", "max-age=100, no-cache=\"x\"")], now: 1,
                      expected: .fresh(age: 1)),
            ServeCase(name: "request no-cache", responsePairs: [("Cache-Control", "max-age=3600"), ("ETag", "\"a\"")],
                      requestPairs: [("Cache-Control", "no-cache")], now: 1,
                      expected: revalidate([("If-None-Match", "\"a\"")], .requestNoCache)),
            ServeCase(name: "request Pragma: no-cache alone",
                      responsePairs: [("Cache-Control", "max-age=3600"), ("Last-Modified", "@-10000")],
                      requestPairs: [("Pragma", "no-cache")], now: 1,
                      expected: revalidate([("If-Modified-Since", "@-10000")], .requestNoCache)),
            ServeCase(name: "request Pragma: no-cache beside Cache-Control is ignored",
                      responsePairs: [("Cache-Control", "max-age=3600")],
                      requestPairs: [("Pragma", "no-cache"), ("Cache-Control", "max-stale=5")], now: 1,
                      expected: .fresh(age: 1)),
            ServeCase(name: "request max-age=0", responsePairs: [("Cache-Control", "max-age=3600")],
                      requestPairs: [("Cache-Control", "max-age=0")], now: 0,
                      expected: .miss(reason: .requestMaxAge)),
            ServeCase(name: "request max-age below the current age",
                      responsePairs: [("Cache-Control", "max-age=3600"), ("Age", "1800")],
                      requestPairs: [("Cache-Control", "max-age=600")], now: 0,
                      expected: .miss(reason: .requestMaxAge)),
            ServeCase(name: "request max-age above the current age",
                      responsePairs: [("Cache-Control", "max-age=3600")],
                      requestPairs: [("Cache-Control", "max-age=600")], now: 600,
                      expected: .fresh(age: 600)),
            ServeCase(name: "request min-fresh beyond the remaining freshness",
                      responsePairs: [("Cache-Control", "max-age=1500"), ("Age", "1000")],
                      requestPairs: [("Cache-Control", "min-fresh=1000")], now: 0,
                      expected: .miss(reason: .requestMinFresh)),
            ServeCase(name: "request min-fresh within the remaining freshness",
                      responsePairs: [("Cache-Control", "max-age=1500")],
                      requestPairs: [("Cache-Control", "min-fresh=1000")], now: 400,
                      expected: .fresh(age: 400)),
        ]
    )
    func requestDirectives(_ testCase: ServeCase) {
        Self.check(testCase)
    }

    @Test(
        "§4.2.4, §5.2.1.2, RFC 5861 §3: serving stale",
        arguments: [
            ServeCase(name: "max-stale without value", responsePairs: [("Cache-Control", "max-age=1")],
                      requestPairs: [("Cache-Control", "max-stale")], now: 100, expected: .stale(age: 100)),
            ServeCase(name: "max-stale covering the staleness of an aged response",
                      responsePairs: [("Cache-Control", "max-age=1500"), ("Age", "2000")],
                      requestPairs: [("Cache-Control", "max-stale=1000")], now: 0, expected: .stale(age: 2000)),
            ServeCase(name: "max-stale too small", responsePairs: [("Cache-Control", "max-age=1")],
                      requestPairs: [("Cache-Control", "max-stale=10")], now: 100,
                      expected: .miss(reason: .stale)),
            ServeCase(name: "must-revalidate blocks max-stale",
                      responsePairs: [("Cache-Control", "max-age=1, must-revalidate"), ("ETag", "\"a\"")],
                      requestPairs: [("Cache-Control", "max-stale")], now: 100,
                      expected: revalidate([("If-None-Match", "\"a\"")], .stale)),
            ServeCase(name: "proxy-revalidate blocks max-stale in a shared cache",
                      responsePairs: [("Cache-Control", "max-age=1, proxy-revalidate")],
                      requestPairs: [("Cache-Control", "max-stale")], now: 100, expected: .miss(reason: .stale)),
            ServeCase(name: "proxy-revalidate does not bind a private cache",
                      responsePairs: [("Cache-Control", "max-age=1, proxy-revalidate")],
                      requestPairs: [("Cache-Control", "max-stale")],
                          configuration: PolicyConfiguration(isShared: false),
                      now: 100, expected: .stale(age: 100)),
            ServeCase(name: "s-maxage blocks max-stale in a shared cache",
                      responsePairs: [("Cache-Control", "s-maxage=1")],
                      requestPairs: [("Cache-Control", "max-stale")], now: 100, expected: .miss(reason: .stale)),
            ServeCase(name: "max-stale with request max-age beyond the age",
                      responsePairs: [("Cache-Control", "max-age=1")],
                      requestPairs: [("Cache-Control", "max-stale, max-age=50")], now: 100,
                      expected: .miss(reason: .stale)),
            ServeCase(name: "stale-while-revalidate window: serve and revalidate in the background",
                      responsePairs: [("Cache-Control", "max-age=0, stale-while-revalidate=3600"), ("ETag", "\"abc\"")],
                      now: 10,
                      expected: .staleWhileRevalidate(age: 10,
                                                      conditionalHeaders: fields([("If-None-Match", "\"abc\"")]))),
            ServeCase(name: "stale-while-revalidate without validators: background refetch",
                      responsePairs: [("Cache-Control", "max-age=1, stale-while-revalidate=60")], now: 30,
                      expected: .staleWhileRevalidate(age: 30, conditionalHeaders: HTTPHeaders())),
            ServeCase(name: "stale-while-revalidate window passed",
                      responsePairs: [("Cache-Control", "max-age=1, stale-while-revalidate=10")], now: 100,
                      expected: .miss(reason: .stale)),
            ServeCase(name: "stale-while-revalidate with must-revalidate",
                      responsePairs: [("Cache-Control", "max-age=1, must-revalidate, stale-while-revalidate=100")],
                      now: 10, expected: .miss(reason: .stale)),
            ServeCase(name: "stale-while-revalidate and a request no-cache",
                      responsePairs: [("Cache-Control", "max-age=1, stale-while-revalidate=100")],
                      requestPairs: [("Cache-Control", "no-cache")], now: 10, expected: .miss(reason: .stale)),
        ]
    )
    func stale(_ testCase: ServeCase) {
        Self.check(testCase)
    }

    @Test(
        "§5.2.1.7: only-if-cached never contacts the origin",
        arguments: [
            ServeCase(name: "fresh", responsePairs: [("Cache-Control", "max-age=60")],
                      requestPairs: [("Cache-Control", "only-if-cached")], now: 1, expected: .fresh(age: 1)),
            ServeCase(name: "stale without validators", responsePairs: [("Cache-Control", "max-age=1")],
                      requestPairs: [("Cache-Control", "only-if-cached")], now: 10, expected: .gatewayTimeout),
            ServeCase(name: "stale with an ETag", responsePairs: [("Cache-Control", "max-age=1"), ("ETag", "\"a\"")],
                      requestPairs: [("Cache-Control", "only-if-cached")], now: 10, expected: .gatewayTimeout),
            ServeCase(name: "stale, but max-stale allows it", responsePairs: [("Cache-Control", "max-age=1")],
                      requestPairs: [("Cache-Control", "only-if-cached, max-stale")], now: 10,
                      expected: .stale(age: 10)),
            ServeCase(name: "response no-cache", responsePairs: [("Cache-Control", "no-cache, max-age=60")],
                      requestPairs: [("Cache-Control", "only-if-cached")], now: 1, expected: .gatewayTimeout),
        ]
    )
    func onlyIfCached(_ testCase: ServeCase) {
        Self.check(testCase)
    }

    @Test(
        "RFC 9213 §2.1: CDN-Cache-Control governs freshness in reverse mode",
        arguments: [
            ServeCase(name: "a short CDN-Cache-Control beats a long Cache-Control",
                      responsePairs: [("Cache-Control", "max-age=3600"), ("CDN-Cache-Control", "max-age=1")],
                      configuration: reverse, now: 2, expected: .miss(reason: .stale)),
            ServeCase(name: "a long CDN-Cache-Control beats a short Cache-Control",
                      responsePairs: [("Cache-Control", "max-age=1"), ("CDN-Cache-Control", "max-age=3600")],
                      configuration: reverse, now: 2, expected: .fresh(age: 2)),
            ServeCase(name: "CDN-Cache-Control with a past Expires",
                      responsePairs: [("CDN-Cache-Control", "max-age=3600"), ("Expires", "@-10000"), ("Date", "@+0")],
                      configuration: reverse, now: 2, expected: .fresh(age: 2)),
            ServeCase(name: "CDN-Cache-Control max-age=0 with a future Expires",
                      responsePairs: [("CDN-Cache-Control", "max-age=0"), ("Expires", "@+10000"), ("Date", "@+0")],
                      configuration: reverse, now: 0, expected: .miss(reason: .stale)),
            ServeCase(name: "CDN-Cache-Control Age beyond max-age",
                      responsePairs: [("Date", "@+0"), ("CDN-Cache-Control", "max-age=3600"), ("Age", "7200")],
                      configuration: reverse, now: 0, expected: .miss(reason: .stale)),
            ServeCase(name: "CDN-Cache-Control no-cache beats a fresh Cache-Control",
                      responsePairs: [("CDN-Cache-Control", "no-cache"), ("Cache-Control", "max-age=10000")],
                      configuration: reverse, now: 1, expected: .miss(reason: .responseNoCache)),
        ]
    )
    func targeted(_ testCase: ServeCase) {
        Self.check(testCase)
    }

    static func check(_ testCase: ServeCase) {
        let policy = ReusePolicy(stored(testCase.responsePairs), configuration: testCase.configuration)
        let decision = ServingDecision.decide(policy: policy, request: request(.GET, testCase.requestPairs),
                                              now: at(testCase.now))
        #expect(decision == testCase.expected)
    }

    @Test(
        "RFC 5861 §4, §4.2.4: stale-if-error when the origin fails",
        arguments: [
            ("response window covers", [("Cache-Control", "max-age=0, stale-if-error=3600")], [], nil, Int64(10),
             StaleOnError.serveStale(age: 10)),
            ("response window elapsed", [("Cache-Control", "max-age=0, stale-if-error=1")], [], nil, 10, .passError),
            ("request window covers", [("Cache-Control", "max-age=0")], [("Cache-Control", "stale-if-error=3600")],
             nil, 10, .serveStale(age: 10)),
            ("request window elapsed", [("Cache-Control", "max-age=0")], [("Cache-Control", "stale-if-error=1")], nil,
             10, .passError),
            ("no window: pass the error", [("Cache-Control", "max-age=0")], [], nil, 10, .passError),
            ("configured default window", [("Cache-Control", "max-age=0")], [], 60, 10, .serveStale(age: 10)),
            ("must-revalidate forbids it", [("Cache-Control", "max-age=0, must-revalidate, stale-if-error=3600")], [],
             nil, 10, .passError),
            ("no-cache forbids it", [("Cache-Control", "no-cache, stale-if-error=3600")], [], nil, 10, .passError),
            ("s-maxage forbids it", [("Cache-Control", "s-maxage=0, stale-if-error=3600")], [], nil, 10, .passError),
        ] as [(String, [(String, String)], [(String, String)], Int64?, Int64, StaleOnError)]
    )
    func staleIfError(
        name: String,
        responsePairs: [(String, String)],
        requestPairs: [(String, String)],
        defaultWindow: Int64?,
        now: Int64,
        expected: StaleOnError
    ) {
        let configuration = PolicyConfiguration(defaultStaleIfError: defaultWindow)
        let decision = ServingDecision.onOriginError(
            policy: ReusePolicy(stored(responsePairs), configuration: configuration),
            request: request(.GET, requestPairs), now: at(now), configuration: configuration)
        #expect(decision == expected, "\(name)")
    }

    @Test(
        "RFC 9211 §2.2: the fwd reason of each decision",
        arguments: [
            (ServingDecision.fresh(age: 1), CacheStatus.ForwardReason?.none),
            (.stale(age: 1), nil),
            (.staleWhileRevalidate(age: 1, conditionalHeaders: HTTPHeaders()), nil),
            (.gatewayTimeout, nil),
            (.miss(reason: .stale), .stale),
            (.revalidate(conditionalHeaders: HTTPHeaders(), reason: .responseNoCache), .stale),
            (.revalidate(conditionalHeaders: HTTPHeaders(), reason: .requestNoCache), .request),
            (.miss(reason: .requestMaxAge), .request),
            (.miss(reason: .requestMinFresh), .request),
        ] as [(ServingDecision, CacheStatus.ForwardReason?)]
    )
    func forwardReason(decision: ServingDecision, expected: CacheStatus.ForwardReason?) {
        #expect(decision.forwardReason == expected)
    }

    @Test("§4.2: ReusePolicy keeps what a hit needs")
    func reusePolicyFields() {
        let policy = policy([
            ("Cache-Control", "max-age=100, stale-while-revalidate=30, stale-if-error=60"), ("Age", "10"),
            ("ETag", "\"v1\""), ("Last-Modified", "@-1000"),
        ])
        #expect(policy.freshnessLifetime == FreshnessLifetime(seconds: 100, source: .maxAge))
        #expect(policy.correctedInitialAge == 10)
        #expect(policy.freshUntil == at(90))
        #expect(policy.remainingFreshness(at: at(100)) == -10)
        #expect(policy.isFresh(at: at(89)) && !policy.isFresh(at: at(90)))
        #expect(policy.staleWhileRevalidate == 30 && policy.staleIfError == 60)
        #expect(policy.entityTag == EntityTag(opaqueTag: "v1"))
        #expect(policy.lastModified == relativeDate("@-1000"))
        #expect(policy.mayServeStale && !policy.requiresValidation)
    }
}
