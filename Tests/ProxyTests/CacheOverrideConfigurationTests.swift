import CachePolicy
import NIOHTTP1
import Proxy
import TestSupport
import Testing

@Suite("Configuration: cache.overrides and cache.status_key")
struct CacheOverrideConfigurationTests {
    @Test("overrides are read in order, with every setting")
    func readsOverrides() throws {
        let yaml = """
            cache:
              status_key: true
              overrides:
                - host: "*.Mirror.example"
                  path: /debian/
                  default_ttl: 24h
                  heuristic_percent: 20
                  heuristic_max: 168h
                - path: /api/
                  enabled: false
                - host: www.example.com
                  default_ttl: off
                  ignore_query_parameters: [sid, ref_*]
            """
        var configuration = ProxyConfiguration()
        try ConfigFile.apply(yaml: yaml, to: &configuration)
        #expect(configuration.cacheStatusKey)
        #expect(configuration.cacheOverrides == [
            CacheOverride(host: "*.mirror.example", pathPrefix: "/debian/", defaultTTL: 86_400, heuristicFraction: 0.2,
                          heuristicCap: 604_800),
            CacheOverride(pathPrefix: "/api/", bypass: true),
            CacheOverride(host: "www.example.com", defaultTTL: .some(nil),
                          keys: CacheKeyConfiguration(ignoredQueryParameters: ["sid"],
                                                      ignoredQueryParameterPrefixes: ["ref_"])),
        ])
    }

    @Test(
        "a bad override is named with its index, key and line",
        arguments: [
            ("cache:\n  overrides: yes\n",
             "line 2: cache.overrides: expected a list of overrides, each with host: and/or path:"),
            ("cache:\n  overrides:\n    - enabled: false\n",
             "line 3: cache.overrides[0]: an override needs host: or path: (or both)"),
            ("cache:\n  overrides:\n    - path: /a/\n    - path: api/\n",
             "line 4: cache.overrides[1].path: 'api/' is not a path prefix (it starts with /)"),
            ("cache:\n  overrides:\n    - path: /a/\n      default_ttl: forever\n",
             "line 4: cache.overrides[0].default_ttl: 'forever' is not a duration (like 30s, 5m, 24h) or off"),
            ("cache:\n  overrides:\n    - path: /a/\n      ttl: 5m\n",
             "line 4: cache.overrides[0]: unknown key 'ttl' (expected host, path, enabled, default_ttl, "
                 + "heuristic_percent, heuristic_max, ignore_query_parameters)"),
            ("cache:\n  overrides:\n    - host: a.example/x\n",
             "line 3: cache.overrides[0].host: 'a.example/x' is not a host name (like example.com or *.example.com)"),
            ("cache:\n  overrides:\n    - host: a.example\n      heuristic_percent: 150\n",
             "line 4: cache.overrides[0].heuristic_percent: expected a percentage from 0 to 100"),
            ("cache:\n  overrides:\n    - host: a.example\n      enabled: maybe\n",
             "line 4: cache.overrides[0].enabled: expected true or false"),
            ("cache:\n  overrides:\n    - host: a.example\n      ignore_query_parameters: sid\n",
             "line 4: cache.overrides[0].ignore_query_parameters: expected a list of parameter names"),
            ("cache:\n  status_key: sometimes\n", "line 2: cache.status_key: expected true or false"),
        ]
    )
    func namesProblems(yaml: String, message: String) {
        var configuration = ProxyConfiguration()
        let error = #expect(throws: ConfigurationError.self) { try ConfigFile.apply(yaml: yaml, to: &configuration) }
        #expect(error?.description == message)
        #expect(configuration == ProxyConfiguration(), "nothing is applied from a file with an error")
    }
}

/// Overrides applied in the pipeline.
@Suite("Cache overrides through the pipeline", .timeLimit(.minutes(2)))
struct CacheOverridePipelineTests {
    @Test("a bypassed path neither uses nor fills the cache, and says fwd=bypass; other paths are cached")
    func bypass() async throws {
        try await Conformance.run(
            configure: { $0.cacheOverrides = [CacheOverride(pathPrefix: "/api/", bypass: true)] },
            responses: [ok([("Cache-Control", "max-age=60")])]
        ) { s in
            let first = try await s.get("/api/users")
            #expect(first.larderStatus["fwd"] == "bypass")
            #expect(first.larderStatus["stored"] == nil)
            #expect(try await !s.get("/api/users").isHit)
            _ = try await s.get("/static/app.js")
            #expect(try await s.get("/static/app.js").isHit)
            #expect(s.requests.map(\.head.uri) == ["/api/users", "/api/users", "/static/app.js"])
        }
    }

    @Test("a default TTL for one host and path keeps responses without freshness, elsewhere they pass")
    func defaultTTL() async throws {
        try await Conformance.run(
            configure: {
                $0.cacheOverrides = [CacheOverride(host: Conformance.host, pathPrefix: "/pool/", defaultTTL: 3600)]
            },
            responses: [ok([])]
        ) { s in
            _ = try await s.get("/pool/a.deb")
            _ = try await s.get("/other")
            s.advance(3000)
            let pooled = try await s.get("/pool/a.deb")
            #expect(pooled.isHit)
            #expect(pooled.larderStatus["ttl"] == "600")
            #expect(try await !s.get("/other").isHit)
            #expect(s.requests.map(\.head.uri) == ["/pool/a.deb", "/other", "/other"])
        }
    }

    @Test("a global default TTL can be turned off for a path")
    func defaultTTLOff() async throws {
        try await Conformance.run(
            configure: {
                $0.cacheDefaultTTL = 3600
                $0.cacheOverrides = [CacheOverride(pathPrefix: "/live/", defaultTTL: .some(nil))]
            },
            responses: [ok([])]
        ) { s in
            _ = try await s.get("/live/score")
            #expect(try await !s.get("/live/score").isHit)
            _ = try await s.get("/page")
            #expect(try await s.get("/page").isHit)
        }
    }

    @Test("heuristic percent and maximum per path (Squid's refresh_pattern)")
    func heuristics() async throws {
        try await Conformance.run(
            configure: {
                $0.cacheOverrides = [CacheOverride(pathPrefix: "/docs/", heuristicFraction: 0.5, heuristicCap: 400)]
            },
            responses: [ok([("Date", "@+0"), ("Last-Modified", "@-1000")])]
        ) { s in
            _ = try await s.get("/docs/a")
            _ = try await s.get("/other")
            s.advance(300)
            let docs = try await s.get("/docs/a")
            #expect(docs.isHit, "50% of 1000 s, capped at 400 s")
            #expect(docs.larderStatus["ttl"] == "100")
            #expect(try await !s.get("/other").isHit, "the global 10% is 100 s")
        }
    }

    @Test("ignored query parameters per path")
    func queryParameters() async throws {
        try await Conformance.run(
            configure: {
                $0.cacheOverrides = [
                    CacheOverride(pathPrefix: "/shop/", keys: CacheKeyConfiguration(parameterPatterns: ["sid"]))
                ]
            },
            responses: [ok([("Cache-Control", "max-age=60")])]
        ) { s in
            _ = try await s.get("/shop/item?id=1&sid=abc")
            #expect(try await s.get("/shop/item?sid=xyz&id=1").isHit)
            _ = try await s.get("/news?sid=abc")
            #expect(try await !s.get("/news?sid=xyz").isHit)
            #expect(s.requests.count == 3)
        }
    }
}
