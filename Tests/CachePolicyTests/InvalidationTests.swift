import CachePolicy
import NIOHTTP1
import Testing

@Suite("Invalidation after unsafe methods (RFC 9111 §4.4)")
struct InvalidationTests {
    static let target = EffectiveURI(requestTarget: "http://example.com/a/b?x", host: nil, scheme: "http")

    @Test(
        "§4.4: the target, and Location / Content-Location on the same origin only",
        arguments: [
            (HTTPMethod.POST, 200, [], ["http://example.com/a/b?x"]),
            (.PUT, 201, [("Location", "/new")], ["http://example.com/a/b?x", "http://example.com/new"]),
            (.DELETE, 204, [("Content-Location", "c")], ["http://example.com/a/b?x", "http://example.com/a/c"]),
            (.POST, 303, [("Location", "http://other.example/x")], ["http://example.com/a/b?x"]),
            (.POST, 200, [("Location", "https://example.com/x")], ["http://example.com/a/b?x"]),
            (.POST, 200, [("Location", "http://example.com:8080/x")], ["http://example.com/a/b?x"]),
            (.POST, 200, [("Location", "http://EXAMPLE.com:80/x"), ("Content-Location", "/x")],
             ["http://example.com/a/b?x", "http://example.com:80/x"]),
            (.POST, 200, [("Location", "//example.com/y")], ["http://example.com/a/b?x", "http://example.com/y"]),
            (.POST, 200, [("Location", "../up#frag")], ["http://example.com/a/b?x", "http://example.com/up"]),
            (.POST, 200, [("Location", "?q=1")], ["http://example.com/a/b?x", "http://example.com/a/b?q=1"]),
            (.POST, 200, [("Location", "/a/b?x"), ("Content-Location", "/c")],
             ["http://example.com/a/b?x", "http://example.com/c"]),
            (.POST, 200, [("Location", "mailto:someone@example.com")], ["http://example.com/a/b?x"]),
            (.PATCH, 200, [], ["http://example.com/a/b?x"]),
            (.MSEARCH, 200, [], ["http://example.com/a/b?x"]),
            (.RAW(value: "FROB"), 302, [], ["http://example.com/a/b?x"]),
            (.POST, 500, [("Location", "/new")], []),
            (.POST, 404, [], []),
            (.POST, 100, [], []),
            (.GET, 200, [("Location", "/new")], []),
            (.HEAD, 200, [], []),
            (.OPTIONS, 200, [], []),
            (.TRACE, 200, [], []),
        ] as [(HTTPMethod, Int, [(String, String)], [String])]
    )
    func invalidates(method: HTTPMethod, code: Int, pairs: [(String, String)], expected: [String]) throws {
        let target = try #require(Self.target)
        let uris = Invalidation.urisToInvalidate(
            method: method, target: target, status: HTTPResponseStatus(statusCode: code),
            responseHeaders: fields(pairs))
        #expect(uris.map(\.description) == expected)
    }

    @Test(
        "RFC 3986 §5.4: reference resolution against http://a/b/c/d;p?q",
        arguments: [
            ("g", "http://a/b/c/g"), ("./g", "http://a/b/c/g"), ("g/", "http://a/b/c/g/"), ("/g", "http://a/g"),
            ("//g", "http://g/"), ("?y", "http://a/b/c/d;p?y"), ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q"), ("g#s", "http://a/b/c/g"), (";x", "http://a/b/c/;x"),
            ("", "http://a/b/c/d;p?q"), (".", "http://a/b/c/"), ("./", "http://a/b/c/"), ("..", "http://a/b/"),
            ("../", "http://a/b/"), ("../g", "http://a/b/g"), ("../..", "http://a/"), ("../../", "http://a/"),
            ("../../g", "http://a/g"), ("../../../g", "http://a/g"), ("/./g", "http://a/g"), ("/../g", "http://a/g"),
            ("g.", "http://a/b/c/g."), (".g", "http://a/b/c/.g"), ("g..", "http://a/b/c/g.."),
            ("..g", "http://a/b/c/..g"), ("./../g", "http://a/b/g"), ("./g/.", "http://a/b/c/g/"),
            ("g/./h", "http://a/b/c/g/h"), ("g/../h", "http://a/b/c/h"), ("g;x=1/./y", "http://a/b/c/g;x=1/y"),
            ("g;x=1/../y", "http://a/b/c/y"), ("http://a/b/c/g", "http://a/b/c/g"),
        ]
    )
    func resolves(reference: String, expected: String) throws {
        let base = try #require(EffectiveURI(requestTarget: "http://a/b/c/d;p?q", host: nil, scheme: "http"))
        #expect(base.resolving(reference)?.description == expected)
    }

    @Test("RFC 9110 §9.2.1: safe methods", arguments: [
        (HTTPMethod.GET, true), (.HEAD, true), (.OPTIONS, true), (.TRACE, true), (.POST, false), (.PUT, false),
        (.DELETE, false), (.PATCH, false), (.RAW(value: "M-SEARCH"), false),
    ] as [(HTTPMethod, Bool)])
    func safety(method: HTTPMethod, safe: Bool) {
        #expect(Invalidation.isSafe(method) == safe)
    }
}
