import CachePolicy
import NIOHTTP1
import Testing

struct StoreCase: Sendable, CustomTestStringConvertible {
    let name: String
    var method: HTTPMethod = .GET
    var requestPairs: [(String, String)] = []
    var status: HTTPResponseStatus = .ok
    let responsePairs: [(String, String)]
    var configuration = PolicyConfiguration()
    /// `nil`: stored.
    let refusal: NotStorableReason?
    var testDescription: String { self.name }
}

@Suite("Storing responses in a shared cache (RFC 9111 §3)")
struct StorabilityTests {
    static let target = EffectiveURI(requestTarget: "/resource", host: "example.com", scheme: "http")

    @Test(
        "§3: methods, status codes, freshness information",
        arguments: [
            StoreCase(name: "GET 200 with max-age", responsePairs: [("Cache-Control", "max-age=60")], refusal: nil),
            StoreCase(
                name: "GET 200 with only an ETag (heuristically cacheable, validatable)",
                responsePairs: [("ETag", "\"a\"")], refusal: nil),
            StoreCase(
                name: "GET 200 with nothing: stale at once and not validatable", responsePairs: [],
                refusal: .neverReusable),
            StoreCase(
                name: "GET 200 with nothing but a default TTL", responsePairs: [],
                configuration: PolicyConfiguration(defaultTTL: 60), refusal: nil),
            StoreCase(
                name: "GET 200 with max-age=0 and no validator", responsePairs: [("Cache-Control", "max-age=0")],
                refusal: .neverReusable),
            StoreCase(
                name: "GET 200 with max-age=0 and an ETag", responsePairs: [("Cache-Control", "max-age=0"), ("ETag",
                    "\"a\"")],
                refusal: nil),
            StoreCase(
                name: "GET 200 with max-age=0 and stale-while-revalidate",
                responsePairs: [("Cache-Control", "max-age=0, stale-while-revalidate=60")], refusal: nil),
            StoreCase(
                name: "GET 200 whose Age exceeds max-age", responsePairs: [("Cache-Control", "max-age=10"), ("Age",
                    "15")],
                refusal: .neverReusable),
            StoreCase(
                name: "GET 201 with only an ETag", status: .created, responsePairs: [("ETag", "\"a\"")],
                refusal: .noFreshnessInformation),
            StoreCase(
                name: "GET 201 with max-age", status: .created, responsePairs: [("Cache-Control", "max-age=60")],
                refusal: nil),
            StoreCase(
                name: "GET 599 with Expires", status: HTTPResponseStatus(statusCode: 599),
                responsePairs: [("Expires", "@+60"), ("Date", "@+0")], refusal: nil),
            StoreCase(
                name: "GET 599 with public and Last-Modified", status: HTTPResponseStatus(statusCode: 599),
                responsePairs: [("Cache-Control", "public"), ("Last-Modified", "@-1000")], refusal: nil),
            StoreCase(
                name: "GET 599 with Last-Modified only", status: HTTPResponseStatus(statusCode: 599),
                responsePairs: [("Last-Modified", "@-1000")], refusal: .noFreshnessInformation),
            StoreCase(
                name: "PUT", method: .PUT, responsePairs: [("Cache-Control", "max-age=60")], refusal: .method),
            StoreCase(
                name: "HEAD", method: .HEAD, responsePairs: [("Cache-Control", "max-age=60")], refusal: .headResponse),
            StoreCase(
                name: "POST with freshness and Content-Location of the target", method: .POST,
                responsePairs: [("Cache-Control", "max-age=60"), ("Content-Location", "http://example.com/resource")],
                refusal: nil),
            StoreCase(
                name: "POST with freshness and a relative Content-Location of the target", method: .POST,
                responsePairs: [("Expires", "@+60"), ("Content-Location", "resource")], refusal: nil),
            StoreCase(
                name: "POST with freshness and Content-Location of the target with its default port", method: .POST,
                responsePairs: [
                    ("Cache-Control", "max-age=60"), ("Content-Location", "http://EXAMPLE.com:80/resource"),
                ],
                refusal: nil),
            StoreCase(
                name: "POST with freshness, no Content-Location", method: .POST,
                responsePairs: [("Cache-Control", "max-age=60")], refusal: .postWithoutContentLocation),
            StoreCase(
                name: "POST with another Content-Location", method: .POST,
                responsePairs: [("Cache-Control", "max-age=60"), ("Content-Location", "/other")],
                refusal: .postWithoutContentLocation),
            StoreCase(
                name: "POST with Content-Location but no explicit freshness", method: .POST,
                responsePairs: [("Content-Location", "/resource"), ("Last-Modified", "@-1000")],
                refusal: .postWithoutContentLocation),
            StoreCase(
                name: "1xx", status: .continue, responsePairs: [("Cache-Control", "max-age=60")],
                refusal: .nonFinalStatus),
            StoreCase(
                name: "206", status: .partialContent,
                responsePairs: [("Cache-Control", "max-age=60"), ("Content-Range", "bytes 0-4/10")],
                refusal: .incompleteResponse),
            StoreCase(
                name: "304", status: .notModified, responsePairs: [("Cache-Control", "max-age=60")],
                refusal: .incompleteResponse),
        ]
    )
    func methodsAndStatus(_ testCase: StoreCase) {
        Self.check(testCase)
    }

    @Test(
        "§3, §3.5, §5.2: no-store, private, Authorization, Vary: *, must-understand",
        arguments: [
            StoreCase(name: "response no-store", responsePairs: [("Cache-Control", "no-store")],
                refusal: .responseNoStore),
            StoreCase(
                name: "response No-StOrE with max-age and Expires",
                responsePairs: [("Cache-Control", "max-age=10000, No-StOrE"), ("Expires", "@+10000"), ("Date", "@+0")],
                refusal: .responseNoStore),
            StoreCase(
                name: "request no-store", requestPairs: [("Cache-Control", "no-store")],
                responsePairs: [("Cache-Control", "max-age=60")], refusal: .requestNoStore),
            StoreCase(
                name: "private", responsePairs: [("Cache-Control", "private, max-age=3600")], refusal: .private),
            StoreCase(
                name: "private with field names: stored without them",
                responsePairs: [("Cache-Control", "private=\"x-user\", max-age=3600")], refusal: nil),
            StoreCase(
                name: "private in a private cache", responsePairs: [("Cache-Control", "private, max-age=3600")],
                configuration: PolicyConfiguration(isShared: false), refusal: nil),
            StoreCase(
                name: "private marks a 599 cacheable in a private cache", status: HTTPResponseStatus(statusCode: 599),
                responsePairs: [("Cache-Control", "private"), ("ETag", "\"a\"")],
                configuration: PolicyConfiguration(isShared: false), refusal: nil),
            StoreCase(
                name: "Authorization with Expires", requestPairs: [("Authorization", "FOO")],
                responsePairs: [("Expires", "@+3600"), ("Date", "@+0")], refusal: .authorization),
            StoreCase(
                name: "Authorization with public", requestPairs: [("Authorization", "FOO")],
                responsePairs: [("Cache-Control", "max-age=3600, public")], refusal: nil),
            StoreCase(
                name: "Authorization with s-maxage", requestPairs: [("Authorization", "FOO")],
                responsePairs: [("Cache-Control", "s-maxage=3600")], refusal: nil),
            StoreCase(
                name: "Authorization with must-revalidate", requestPairs: [("Authorization", "FOO")],
                responsePairs: [("Cache-Control", "max-age=3600, must-revalidate")], refusal: nil),
            StoreCase(
                name: "Authorization in a private cache", requestPairs: [("Authorization", "FOO")],
                responsePairs: [("Cache-Control", "max-age=3600")], configuration: PolicyConfiguration(isShared: false),
                refusal: nil),
            StoreCase(
                name: "Vary: *", responsePairs: [("Cache-Control", "max-age=60"), ("Vary", "*")], refusal: .varyAny),
            StoreCase(
                name: "Vary: Foo, * on two lines",
                responsePairs: [("Cache-Control", "max-age=60"), ("Vary", "Foo"), ("Vary", "*")], refusal: .varyAny),
            StoreCase(
                name: "must-understand on an understood status overrides no-store",
                responsePairs: [("Cache-Control", "must-understand, no-store, max-age=60")], refusal: nil),
            StoreCase(
                name: "must-understand on an unknown status", status: HTTPResponseStatus(statusCode: 299),
                responsePairs: [("Cache-Control", "must-understand, no-store, max-age=60")], refusal: .mustUnderstand),
            StoreCase(
                name: "an unknown status with max-age", status: HTTPResponseStatus(statusCode: 299),
                responsePairs: [("Cache-Control", "max-age=60")], refusal: nil),
        ]
    )
    func directives(_ testCase: StoreCase) {
        Self.check(testCase)
    }

    @Test(
        "RFC 9213 §2.1: in reverse mode CDN-Cache-Control decides storing",
        arguments: [
            StoreCase(
                name: "CDN-Cache-Control no-store beats a fresh Cache-Control",
                responsePairs: [("Cache-Control", "max-age=10000"), ("CDN-Cache-Control", "no-store")],
                configuration: reverse, refusal: .responseNoStore),
            StoreCase(
                name: "a fresh CDN-Cache-Control beats Cache-Control: no-store",
                responsePairs: [("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=10000")],
                configuration: reverse, refusal: nil),
            StoreCase(
                name: "CDN-Cache-Control private",
                responsePairs: [("CDN-Cache-Control", "private"), ("Cache-Control", "max-age=10000")],
                configuration: reverse, refusal: .private),
            StoreCase(
                name: "an invalid CDN-Cache-Control is ignored",
                responsePairs: [("CDN-Cache-Control", "max-age=10000, &&&&&"), ("Cache-Control", "no-store")],
                configuration: reverse, refusal: .responseNoStore),
            StoreCase(
                name: "forward mode ignores CDN-Cache-Control",
                responsePairs: [("Cache-Control", "no-store"), ("CDN-Cache-Control", "max-age=10000")],
                refusal: .responseNoStore),
        ]
    )
    func targeted(_ testCase: StoreCase) {
        Self.check(testCase)
    }

    @Test(
        "§3.1, §5.2.2.4: whether a response can be reused is judged on the fields that are stored",
        arguments: [
            StoreCase(
                name: "Connection names Cache-Control: its max-age is not stored",
                responsePairs: [("Cache-Control", "max-age=600"), ("Connection", "cache-control")],
                refusal: .neverReusable),
            StoreCase(
                name: "no-cache names Cache-Control: its max-age is not stored",
                responsePairs: [("Cache-Control", "max-age=600, no-cache=\"cache-control\"")],
                refusal: .neverReusable),
            StoreCase(
                name: "the same with an ETag stored: validatable",
                responsePairs: [("Cache-Control", "max-age=600"), ("Connection", "Cache-Control"), ("ETag", "\"a\"")],
                refusal: nil),
            StoreCase(
                name: "Connection names another field: the directives stand",
                responsePairs: [("Cache-Control", "max-age=600"), ("Connection", "x-trace"), ("X-Trace", "1")],
                refusal: nil),
            StoreCase(
                name: "Connection names CDN-Cache-Control: the stored Cache-Control governs",
                responsePairs: [
                    ("Cache-Control", "max-age=0"), ("CDN-Cache-Control", "max-age=10000"),
                    ("Connection", "CDN-Cache-Control"),
                ],
                configuration: reverse, refusal: .neverReusable),
            StoreCase(
                name: "stale on arrival with a valid Last-Modified: validatable",
                responsePairs: [("Cache-Control", "max-age=0"), ("Last-Modified", "@-1000")], refusal: nil),
            StoreCase(
                name: "stale on arrival with an invalid Last-Modified and no ETag",
                responsePairs: [("Cache-Control", "max-age=0"), ("Last-Modified", "yesterday")],
                refusal: .neverReusable),
        ]
    )
    func reusableAsStored(_ testCase: StoreCase) {
        Self.check(testCase)
    }

    static func check(_ testCase: StoreCase) {
        let decision = Storability.decide(
            request: request(testCase.method, testCase.requestPairs + [("Host", "example.com")]),
            requestURI: Self.target,
            response: response(testCase.status, testCase.responsePairs),
            requestTime: t0,
            responseTime: t0,
            configuration: testCase.configuration
        )
        if let refusal = testCase.refusal {
            #expect(decision == .doNotStore(refusal))
        } else {
            guard case .store = decision else {
                Issue.record("expected the response to be stored, got \(decision)")
                return
            }
        }
    }

    @Test(
        "§3.1, §5.2.2.4, §5.2.2.7, RFC 9110 §7.6.1: the header fields kept with a stored response",
        arguments: [
            (
                [("Connection", "a, b"), ("a", "1"), ("b", "2"), ("c", "3"), ("Date", "@+0")],
                ["c: 3", "Date: @+0"]
            ),
            ([("Cache-Control", "no-cache=\"a\""), ("a", "1"), ("b", "2")], ["Cache-Control: no-cache=\"a\"", "b: 2",
                "Date: @+0"]),
            (
                [("Cache-Control", "no-cache=\"a, b\", max-age=5"), ("a", "1"), ("b", "2"), ("c", "3")],
                ["Cache-Control: no-cache=\"a, b\", max-age=5", "c: 3", "Date: @+0"]
            ),
            ([("Cache-Control", "private=\"x-user\""), ("X-User", "ann")], ["Cache-Control: private=\"x-user\"",
                "Date: @+0"]),
            ([("Set-Cookie", "a=b"), ("Set-Cookie2", "a=b"), ("ETag", "\"e\"")], ["ETag: \"e\"", "Date: @+0"]),
            (
                [("Keep-Alive", "timeout=5"), ("Transfer-Encoding", "chunked"), ("Proxy-Authenticate", "Basic"),
                 ("Upgrade", "h2c"), ("TE", "trailers"), ("Content-Type", "text/plain")],
                ["Content-Type: text/plain", "Date: @+0"]
            ),
            ([("Date", "@-5"), ("Age", "3")], ["Date: @-5", "Age: 3"]),
        ] as [([(String, String)], [String])]
    )
    func storedHeaders(pairs: [(String, String)], expected: [String]) {
        let kept = Storability.headersToStore(fields(pairs), responseTime: t0, configuration: PolicyConfiguration())
        let expectedPairs = expected.map { line in
            let parts = line.split(separator: ":", maxSplits: 1).map { String($0).droppingLeadingSpaces() }
            return "\(parts[0]): \(relativeDate(String(parts[1])) ?? String(parts[1]))"
        }
        #expect(kept.pairs == expectedPairs)
    }

    @Test("§3.1: a qualified private list is kept in a private cache")
    func privateCacheKeepsPrivateFields() {
        let kept = Storability.headersToStore(
            fields([("Cache-Control", "private=\"x-user\""), ("X-User", "ann"), ("Date", "@+0")]),
            responseTime: t0, configuration: PolicyConfiguration(isShared: false))
        #expect(kept["x-user"] == ["ann"])
    }
}

extension String {
    fileprivate func droppingLeadingSpaces() -> String {
        String(self.drop { $0 == " " })
    }
}
