import HTTPRules
import Testing

@Suite("Authority (RFC 3986 §3.2)")
struct AuthorityTests {
    @Test("parses host, port and IPv6 literals; lowercases the host", arguments: [
        ("example.com", "example.com", nil),
        ("Example.COM:8080", "example.com", 8080),
        ("a-b_c~d.%41:1", "a-b_c~d.%41", 1),
        ("[::1]", "::1", nil),
        ("[2001:DB8::A]:65535", "2001:db8::a", 65535),
        ("[::ffff:192.0.2.1]:80", "::ffff:192.0.2.1", 80),
    ] as [(String, String, Int?)])
    func parses(text: String, host: String, port: Int?) throws {
        let authority = try #require(Authority(parsing: text))
        #expect(authority.host == host)
        #expect(authority.port == port)
    }

    @Test("parses a slice of a longer text, not the text around it")
    func parsesSlice() throws {
        let text = "Host: [::1]:81/path"
        let authority = try #require(Authority(parsing: text.dropFirst(6).prefix(8)))
        #expect(authority.host == "::1")
        #expect(authority.port == 81)
        #expect(Authority(parsing: text.dropFirst(6).prefix(9)) == nil)
    }

    @Test("rejects what is not a plain host[:port]", arguments: [
        "", ":80", "user@example.com", "example.com:", "example.com:0", "example.com:65536", "example.com:+80",
        "example.com:８０", "exämple.com", "example.com:80:80", "[::1", "[::1]x", "[]", "[::g]", "a b",
        "example.com:123456",
    ])
    func rejects(text: String) {
        #expect(Authority(parsing: text) == nil)
    }

    @Test("is written back with brackets and without a default port")
    func writes() throws {
        #expect(try #require(Authority(parsing: "[::1]:8080")).description == "[::1]:8080")
        #expect(try #require(Authority(parsing: "Example.com")).description == "example.com")
        var text = "http://"
        try #require(Authority(parsing: "example.com:80")).write(to: &text, defaultPort: 80)
        #expect(text == "http://example.com")
        text = ""
        try #require(Authority(parsing: "[::1]:81")).write(to: &text, defaultPort: 80)
        #expect(text == "[::1]:81")
    }
}
