import CachePolicy
import NIOHTTP1
import Testing

@Suite("Validation (RFC 9111 §3.2, §4.3)")
struct ValidationTests {
    @Test(
        "§4.3.1: conditional request fields from the stored validators",
        arguments: [
            ([[("ETag", "\"a\"")]], [("If-None-Match", "\"a\"")]),
            ([[("ETag", "W/\"a\"")]], [("If-None-Match", "W/\"a\"")]),
            ([[("ETag", "abcdef")]], [("If-None-Match", "\"abcdef\"")]),
            ([[("Last-Modified", "@-100")]], [("If-Modified-Since", "@-100")]),
            ([[("Last-Modified", "not a date")]], []),
            ([[("ETag", "\"a\""), ("Last-Modified", "@-100")]], [("If-None-Match", "\"a\""), ("If-Modified-Since",
                "@-100")]),
            ([[("ETag", "\"a\""), ("Last-Modified", "@-100")], [("ETag", "\"b\""), ("Last-Modified", "@-50")]],
             [("If-None-Match", "\"a\", \"b\"")]),
            ([[("ETag", "\"a\"")], [("ETag", "\"a\"")]], [("If-None-Match", "\"a\"")]),
            ([[("Date", "@+0")]], []),
        ] as [([[(String, String)]], [(String, String)])]
    )
    func conditionalHeaders(storedPairs: [[(String, String)]], expected: [(String, String)]) {
        let policies = storedPairs.map { policy($0) }
        #expect(Validation.conditionalHeaders(for: policies).pairs == fields(expected).pairs)
    }

    @Test(
        "§4.3.3, RFC 5861 §4: what a validation response means",
        arguments: [
            (304, RevalidationOutcome.notModified), (200, .replaced), (404, .replaced), (501, .replaced),
            (500, .error), (502, .error), (503, .error), (504, .error),
        ] as [(Int, RevalidationOutcome)]
    )
    func outcome(code: Int, expected: RevalidationOutcome) {
        #expect(Validation.outcome(of: HTTPResponseStatus(statusCode: code)) == expected)
    }

    @Test(
        "§4.3.4: selecting the stored responses a 304 refers to",
        arguments: [
            ("a strong ETag selects every strong match", [("ETag", "\"a\"")],
             [[("ETag", "\"a\"")], [("ETag", "\"b\"")], [("ETag", "\"a\"")]], [0, 2]),
            ("a strong ETag does not select a weak one", [("ETag", "\"a\"")], [[("ETag", "W/\"a\"")]], []),
            ("a weak ETag selects the most recent weak match", [("ETag", "W/\"a\"")],
             [[("ETag", "\"a\"")], [("ETag", "W/\"a\"")], [("ETag", "\"b\"")]], [1]),
            ("Last-Modified selects the most recent equal one", [("Last-Modified", "@-100")],
             [[("Last-Modified", "@-100")], [("Last-Modified", "@-100")], [("Last-Modified", "@-5")]], [1]),
            ("no validator, one stored response without one", [("Date", "@+0")], [[("Date", "@-10")]], [0]),
            ("no validator, the stored response has one", [("Date", "@+0")], [[("ETag", "\"a\"")]], []),
            ("no validator, two stored responses", [("Date", "@+0")], [[("Date", "@-10")], [("Date", "@-5")]], []),
        ] as [(String, [(String, String)], [[(String, String)]], [Int])]
    )
    func selection(name: String, notModified: [(String, String)], candidates: [[(String, String)]], expected: [Int]) {
        let stored = candidates.enumerated().map { index, pairs in
            StoredResponse(status: .ok, headers: fields(pairs), requestTime: at(Int64(index)),
                           responseTime: at(Int64(index)))
        }
        #expect(Validation.selectStoredResponses(for: fields(notModified), among: stored) == expected, "\(name)")
    }

    @Test(
        "§4.3.4: a 304 to Larder's own conditional request validates the response it was made from",
        arguments: [
            ("no validator in the 304, Last-Modified stored", [("Date", "@+0")], [("Last-Modified", "@-100")], true),
            ("no validator in the 304, ETag stored", [("Date", "@+0")], [("ETag", "\"a\"")], true),
            ("the same strong ETag", [("ETag", "\"a\"")], [("ETag", "\"a\"")], true),
            ("another strong ETag", [("ETag", "\"b\"")], [("ETag", "\"a\"")], false),
            ("another Last-Modified", [("Last-Modified", "@-5")], [("Last-Modified", "@-100")], false),
        ] as [(String, [(String, String)], [(String, String)], Bool)]
    )
    func validatesOwnRequest(name: String, notModified: [(String, String)], storedPairs: [(String, String)],
                             expected: Bool) {
        let candidate = StoredResponse(
            status: .ok, headers: fields(storedPairs), requestTime: at(0), responseTime: at(0))
        #expect(Validation.validates(candidate, notModified: fields(notModified)) == expected, "\(name)")
    }

    static let original = stored(
        [
            ("Content-Length", "5"), ("Content-Type", "text/plain"), ("Content-Encoding", "gzip"),
            ("Cache-Control", "max-age=1"), ("Test-Header", "A"), ("X-Multi", "1"), ("X-Multi", "2"),
            ("ETag", "\"x\""), ("Date", "@+0"), ("Age", "30"), ("X-Kept", "k"),
        ])

    @Test("§3.2, §4.3.4: a 304 updates the stored fields, except Content-Length and what the content depends on")
    func freshenMerge() {
        let update = fields([
            ("Cache-Control", "max-age=3600"), ("Test-Header", "B"), ("Content-Length", "10"),
            ("Content-Encoding", "br"), ("Date", "@+100"), ("X-Multi", "3"), ("Set-Cookie", "a=c"),
            ("Connection", "close, X-Hop"), ("X-Hop", "1"), ("Content-Type", "text/plain;charset=utf-8"),
        ])
        let freshened = Validation.freshen(
            Self.original, with: update, requestTime: at(99), responseTime: at(100),
            configuration: PolicyConfiguration())
        #expect(freshened.headers["content-length"] == ["5"])
        #expect(freshened.headers["content-encoding"] == ["gzip"])
        #expect(freshened.headers["cache-control"] == ["max-age=3600"])
        #expect(freshened.headers["test-header"] == ["B"])
        #expect(freshened.headers["content-type"] == ["text/plain;charset=utf-8"])
        #expect(freshened.headers["x-multi"] == ["3"])
        #expect(freshened.headers["date"] == [relativeDate("@+100")!])
        #expect(freshened.headers["etag"] == ["\"x\""])
        #expect(freshened.headers["x-kept"] == ["k"])
        #expect(!freshened.headers.contains(name: "age"))
        #expect(!freshened.headers.contains(name: "set-cookie"))
        #expect(!freshened.headers.contains(name: "connection") && !freshened.headers.contains(name: "x-hop"))
        #expect(freshened.requestTime == at(99) && freshened.responseTime == at(100))
        #expect(freshened.status == .ok)
    }

    @Test(
        "§4.3.4: Date and Age after an update",
        arguments: [
            ([("ETag", "\"x\"")], [relativeDate("@+100")!], [String]()),
            ([("Age", "5"), ("Date", "@+95")], [relativeDate("@+95")!], ["5"]),
        ] as [([(String, String)], [String], [String])]
    )
    func freshenDateAndAge(update: [(String, String)], date: [String], age: [String]) {
        let freshened = Validation.freshen(
            Self.original, with: fields(update), requestTime: at(100), responseTime: at(100),
            configuration: PolicyConfiguration())
        #expect(freshened.headers["date"] == date)
        #expect(freshened.headers["age"] == age)
    }

    @Test("§4.3.4: a 304 naming a field in no-cache removes it from the stored response")
    func freshenNoCacheField() {
        let freshened = Validation.freshen(
            Self.original, with: fields([("Cache-Control", "max-age=60, no-cache=\"x-kept\"")]), requestTime: at(100),
            responseTime: at(100), configuration: PolicyConfiguration())
        #expect(!freshened.headers.contains(name: "x-kept"))
    }

    @Test("§4.3.4: a stale response freshened by a 304 is fresh again")
    func freshenedIsFresh() {
        let configuration = PolicyConfiguration()
        let staleDecision = ServingDecision.decide(
            policy: ReusePolicy(Self.original, configuration: configuration), request: request(), now: at(100))
        #expect(staleDecision == .revalidate(conditionalHeaders: fields([("If-None-Match", "\"x\"")]), reason: .stale))
        let freshened = Validation.freshen(
            Self.original, with: fields([("Cache-Control", "max-age=3600"), ("Date", "@+100"), ("ETag", "\"x\"")]),
            requestTime: at(100), responseTime: at(100), configuration: configuration)
        let decision = ServingDecision.decide(
            policy: ReusePolicy(freshened, configuration: configuration), request: request(), now: at(200))
        #expect(decision == .fresh(age: 100))
    }

    @Test(
        "§4.3.5: a 200 to HEAD updates a stored GET response when validators and length agree",
        arguments: [
            ([("ETag", "\"x\""), ("Content-Length", "5"), ("Test-Header", "C")], true),
            ([("Test-Header", "C")], true),
            ([("ETag", "\"y\""), ("Test-Header", "C")], false),
            ([("Content-Length", "6"), ("Test-Header", "C")], false),
            ([("Last-Modified", "@-10"), ("Test-Header", "C")], false),
        ] as [([(String, String)], Bool)]
    )
    func headFreshening(pairs: [(String, String)], updates: Bool) {
        let outcome = Validation.freshen(
            Self.original, withHEAD: response(.ok, pairs), requestTime: at(50), responseTime: at(50),
            configuration: PolicyConfiguration())
        switch outcome {
        case .updated(let freshened):
            #expect(updates)
            #expect(freshened.headers["test-header"] == ["C"])
            #expect(freshened.headers["content-length"] == ["5"])
        case .stale:
            #expect(!updates)
        }
    }
}
