import CachePolicy
import NIOHTTP1
import Testing

@Suite("Cache key (RFC 9111 §2)")
struct CacheKeyTests {
    @Test(
        "§2: scheme, lowercased host, non-default port, path and query; ignored query parameters dropped",
        arguments: [
            ("http://Example.COM:80/a?b=1", nil, "http", CacheKeyConfiguration(), "http://example.com/a?b=1"),
            ("https://example.com:443/", nil, "https", CacheKeyConfiguration(), "https://example.com/"),
            ("http://example.com:8080/x", nil, "http", CacheKeyConfiguration(), "http://example.com:8080/x"),
            ("http://example.com", nil, "http", CacheKeyConfiguration(), "http://example.com/"),
            ("http://h/p#fragment", nil, "http", CacheKeyConfiguration(), "http://h/p"),
            ("/p?b=2&a=1", "Example.com", "http", CacheKeyConfiguration(), "http://example.com/p?b=2&a=1"),
            ("/p", "example.com:443", "https", CacheKeyConfiguration(), "https://example.com/p"),
            ("/p", "[::1]:8080", "http", CacheKeyConfiguration(), "http://[::1]:8080/p"),
            ("/p?", "h", "http", CacheKeyConfiguration(), "http://h/p?"),
            ("/p?utm_source=x&id=3&utm_medium=y", "h", "http",
             CacheKeyConfiguration(ignoredQueryParameterPrefixes: ["utm_"]), "http://h/p?id=3"),
            ("/p?utm_source=x&fbclid=1", "h", "http",
             CacheKeyConfiguration(ignoredQueryParameters: ["fbclid"], ignoredQueryParameterPrefixes: ["utm_"]),
             "http://h/p"),
            ("/p?fbclid&b=2&fbclid=3", "h", "http", CacheKeyConfiguration(ignoredQueryParameters: ["fbclid"]),
             "http://h/p?b=2"),
            ("/p?FBCLID=1", "h", "http", CacheKeyConfiguration(ignoredQueryParameters: ["fbclid"]),
             "http://h/p?FBCLID=1"),
        ] as [(String, String?, String, CacheKeyConfiguration, String)]
    )
    func key(target: String, host: String?, scheme: String, configuration: CacheKeyConfiguration, expected: String)
        throws
    {
        let uri = try #require(EffectiveURI(requestTarget: target, host: host, scheme: scheme))
        #expect(CacheKey.make(uri, configuration: configuration) == expected)
    }

    @Test("§2: GET and HEAD share a key; the method is not an input")
    func methodIndependent() throws {
        let get = try #require(EffectiveURI(request: request(.GET, [("Host", "h")], uri: "/p"), scheme: "http"))
        let head = try #require(EffectiveURI(request: request(.HEAD, [("Host", "h")], uri: "/p"), scheme: "http"))
        #expect(CacheKey.make(get) == CacheKey.make(head))
    }

    @Test(
        "RFC 9112 §3.3: no target URI without a usable Host",
        arguments: [("/p", nil), ("/p", "bad host"), ("*", "h"), ("h:443", "h")] as [(String, String?)]
    )
    func noTarget(target: String, host: String?) {
        #expect(EffectiveURI(requestTarget: target, host: host, scheme: "http") == nil)
    }
}
