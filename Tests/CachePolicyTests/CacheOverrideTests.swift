import CachePolicy
import Testing

struct OverrideCase: Sendable, CustomTestStringConvertible {
    let name: String
    let target: String
    var host = "www.example.com"
    let overrides: [CacheOverride]
    /// The expected rules, from the global ones.
    var expected: @Sendable (inout EffectiveCachePolicy) -> Void = { _ in }
    var testDescription: String { self.name }
}

@Suite("Per-host and per-path overrides (configuration, not an RFC)")
struct CacheOverrideTests {
    static let global = EffectiveCachePolicy(
        policy: PolicyConfiguration(defaultTTL: 60),
        keys: CacheKeyConfiguration(parameterPatterns: ["utm_*"]))

    @Test(
        "the first override matching host and path prefix applies; unset settings are inherited",
        arguments: [
            OverrideCase(name: "no override", target: "/a", overrides: []),
            OverrideCase(
                name: "path prefix matches", target: "/api/users?x=1",
                overrides: [CacheOverride(pathPrefix: "/api/", bypass: true)],
                expected: { $0.bypass = true }),
            OverrideCase(
                name: "path prefix is byte for byte", target: "/API/users",
                overrides: [CacheOverride(pathPrefix: "/api/", bypass: true)]),
            OverrideCase(
                name: "the query is not part of the path", target: "/static?/api/",
                overrides: [CacheOverride(pathPrefix: "/api/", bypass: true)]),
            OverrideCase(
                name: "exact host, any case", target: "/a", host: "WWW.Example.com:8080",
                overrides: [CacheOverride(host: "www.example.com", defaultTTL: 3600)],
                expected: { $0.policy.defaultTTL = 3600 }),
            OverrideCase(
                name: "exact host does not match a subdomain", target: "/a", host: "cdn.www.example.com",
                overrides: [CacheOverride(host: "www.example.com", defaultTTL: 3600)]),
            OverrideCase(
                name: "wildcard host matches subdomains", target: "/a", host: "a.b.example.com",
                overrides: [CacheOverride(host: "*.example.com", heuristicFraction: 0.5, heuristicCap: 7200)],
                expected: {
                    $0.policy.heuristicFraction = 0.5
                    $0.policy.heuristicCap = 7200
                }),
            OverrideCase(
                name: "wildcard host does not match the bare domain", target: "/a", host: "example.com",
                overrides: [CacheOverride(host: "*.example.com", bypass: true)]),
            OverrideCase(
                name: "wildcard host does not match a longer name ending alike", target: "/a", host: "notexample.com",
                overrides: [CacheOverride(host: "*.example.com", bypass: true)]),
            OverrideCase(
                name: "host and path must both match", target: "/b/x",
                overrides: [CacheOverride(host: "www.example.com", pathPrefix: "/a/", bypass: true)]),
            OverrideCase(
                name: "the first match wins over a later, more specific one", target: "/a/b/c",
                overrides: [
                    CacheOverride(pathPrefix: "/a/", defaultTTL: 10),
                    CacheOverride(pathPrefix: "/a/b/", bypass: true),
                ],
                expected: { $0.policy.defaultTTL = 10 }),
            OverrideCase(
                name: "a non-matching override is skipped", target: "/a/b/c",
                overrides: [
                    CacheOverride(pathPrefix: "/x/", defaultTTL: 10),
                    CacheOverride(pathPrefix: "/a/b/", defaultTTL: 20),
                ],
                expected: { $0.policy.defaultTTL = 20 }),
            OverrideCase(
                name: "default TTL turned off", target: "/a",
                overrides: [CacheOverride(pathPrefix: "/", defaultTTL: .some(nil))],
                expected: { $0.policy.defaultTTL = nil }),
            OverrideCase(
                name: "enabled again under a bypassed host", target: "/a",
                overrides: [CacheOverride(pathPrefix: "/a", bypass: false)], expected: { $0.bypass = false }),
            OverrideCase(
                name: "query parameters replace the global list", target: "/a",
                overrides: [CacheOverride(pathPrefix: "/", keys: CacheKeyConfiguration(parameterPatterns: ["sid"]))],
                expected: { $0.keys = CacheKeyConfiguration(ignoredQueryParameters: ["sid"]) }),
            OverrideCase(
                name: "an override without host or path matches nothing", target: "/a",
                overrides: [CacheOverride(bypass: true)]),
        ]
    )
    func resolution(_ test: OverrideCase) throws {
        let uri = try #require(EffectiveURI(requestTarget: test.target, host: test.host, scheme: "http"))
        var expected = Self.global
        test.expected(&expected)
        #expect(Self.global.resolved(for: uri, overrides: test.overrides) == expected)
    }

    @Test("query parameter patterns: a trailing * is a prefix")
    func parameterPatterns() {
        #expect(CacheKeyConfiguration(parameterPatterns: ["utm_*", "fbclid"])
            == CacheKeyConfiguration(ignoredQueryParameters: ["fbclid"], ignoredQueryParameterPrefixes: ["utm_"]))
    }
}
