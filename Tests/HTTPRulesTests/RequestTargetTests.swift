import HTTPRules
import NIOHTTP1
import Testing

@Suite("RFC 9112 §3.2 request targets and Host")
struct RequestTargetTests {
    @Test(
        "parsing",
        arguments: [
            ("/a?b=c", HTTPMethod.GET, RequestTarget.origin(pathAndQuery: "/a?b=c")),
            ("http://Example.com/x", .GET, .absolute(scheme: "http",
                                                     authority: Authority(host: "example.com", port: nil),
                                                     pathAndQuery: "/x")),
            ("http://example.com:8080", .GET, .absolute(scheme: "http",
                                                        authority: Authority(host: "example.com", port: 8080),
                                                        pathAndQuery: "/")),
            ("http://example.com?q", .GET, .absolute(scheme: "http",
                                                     authority: Authority(host: "example.com", port: nil),
                                                     pathAndQuery: "/?q")),
            ("HTTP://[::1]:81/p#frag", .GET, .absolute(scheme: "http", authority: Authority(host: "::1", port: 81),
                                                       pathAndQuery: "/p")),
            ("example.com:443", .CONNECT, .authority(Authority(host: "example.com", port: 443))),
            ("*", .OPTIONS, .asterisk),
        ] as [(String, HTTPMethod, RequestTarget)]
    )
    func parses(uri: String, method: HTTPMethod, expected: RequestTarget) throws {
        #expect(try RequestTarget(parsing: uri, method: method) == expected)
    }

    @Test(
        "malformed targets are refused",
        arguments: [
            ("ftp://example.com/", HTTPMethod.GET),
            ("http://user@example.com/", .GET),
            ("http:///path", .GET),
            ("http://exa mple.com/", .GET),
            ("http://example.com:99999/", .GET),
            ("http://example.com:/", .GET),
            ("example.com", .CONNECT),
            ("*", .GET),
            ("relative/path", .GET),
        ] as [(String, HTTPMethod)]
    )
    func refuses(uri: String, method: HTTPMethod) {
        #expect(throws: RequestRejection.self) { try RequestTarget(parsing: uri, method: method) }
    }

    @Test(
        "Host against the target",
        arguments: [
            ("/x", ["example.com"], HTTPVersion.http1_1, true),
            ("/x", [], .http1_1, false),
            ("/x", [], .http1_0, true),
            ("/x", ["a.com", "a.com"], .http1_1, false),
            ("/x", ["bad host"], .http1_1, false),
            ("http://a.com/x", ["a.com"], .http1_1, true),
            ("http://a.com/x", ["A.COM:80"], .http1_1, true),
            ("http://a.com/x", ["b.com"], .http1_1, false),
            ("http://a.com:8080/x", ["a.com"], .http1_1, false),
            ("http://a.com/x", [], .http1_0, true),
        ] as [(String, [String], HTTPVersion, Bool)]
    )
    func host(uri: String, hosts: [String], version: HTTPVersion, valid: Bool) throws {
        let target = try RequestTarget(parsing: uri, method: .GET)
        let headers = HTTPHeaders(hosts.map { ("Host", $0) })
        if valid {
            _ = try target.validatedAuthority(headers: headers, version: version)
        } else {
            #expect(throws: RequestRejection.self) { try target.validatedAuthority(headers: headers, version: version) }
        }
    }
}
