import CachePolicy
import NIOHTTP1
import Testing

@Suite("Targeted cache control: CDN-Cache-Control (RFC 9213)")
struct TargetedCacheControlTests {
    @Test(
        "§2.2: a Dictionary structured field; invalid or empty means absent",
        arguments: [
            (["max-age=3600"], CacheControl?.some(directives { $0.maxAge = 3600 })),
            (["foobar, max-age=3600"], directives { $0.maxAge = 3600 }),
            (["max-age=99999999999"], directives { $0.maxAge = 2_147_483_648 }),
            (["max-age=2147483648"], directives { $0.maxAge = 2_147_483_648 }),
            (["max-age=1, max-age=5"], directives { $0.maxAge = 5 }),
            (["max-age=3600;foo=bar"], directives { $0.maxAge = 3600 }),
            (["max-age=5", "no-store"], directives { $0.maxAge = 5; $0.noStore = true }),
            (["s-maxage=9, stale-while-revalidate=8, stale-if-error=7"],
             directives { $0.sharedMaxAge = 9; $0.staleWhileRevalidate = 8; $0.staleIfError = 7 }),
            (["max-age=\"10000\""], directives()),
            (["max-age=-5"], directives()),
            (["max-age=1.5"], directives()),
            (["no-store"], directives { $0.noStore = true }),
            (["no-store=?0"], directives()),
            (["private"], directives { $0.private = .whole }),
            (["no-cache=\"a, B\""], directives { $0.noCache = .fields(["a", "b"]) }),
            (["must-revalidate, proxy-revalidate, public, must-understand, immutable, no-transform"], everyFlag),
            (["max-age=(1 2)"], directives()),
            (["MaX-aGe=3600"], nil),
            (["max-age=10000, &&&&&"], nil),
            (["max-age =100"], nil),
            (["max-age= 100"], nil),
            (["max-age=5,"], nil),
            (["max-age=\"unterminated"], nil),
            ([""], nil),
            ([], nil),
        ] as [([String], CacheControl?)]
    )
    func parses(lines: [String], expected: CacheControl?) {
        #expect(CacheControl(targetedFieldValues: lines) == expected)
    }

    @Test(
        "§2.1: which directives govern this cache",
        arguments: [
            ([("CDN-Cache-Control", "max-age=60"), ("Cache-Control", "no-store")], reverse,
             ResponseDirectives.Source.targeted("cdn-cache-control"), Int64?.some(60)),
            ([("CDN-Cache-Control", "MaX-aGe=60"), ("Cache-Control", "max-age=1")], reverse, .cacheControl, 1),
            ([("CDN-Cache-Control", "max-age=60"), ("Cache-Control", "max-age=1")], PolicyConfiguration(),
             .cacheControl, 1),
            ([("Larder-Cache-Control", "max-age=60"), ("CDN-Cache-Control", "max-age=5")],
             PolicyConfiguration(targetedFieldName: "Larder-Cache-Control", honoursTargetedField: true),
             .targeted("larder-cache-control"), 60),
        ] as [([(String, String)], PolicyConfiguration, ResponseDirectives.Source, Int64?)]
    )
    func selects(pairs: [(String, String)], configuration: PolicyConfiguration, source: ResponseDirectives.Source,
                 maxAge: Int64?) {
        let selected = ResponseDirectives(response: fields(pairs), configuration: configuration)
        #expect(selected.source == source)
        #expect(selected.cacheControl.maxAge == maxAge)
        #expect(selected.usesExpires == (source == .cacheControl))
    }

    @Test(
        "§2.1: the targeted field is not passed downstream once obeyed, unless configured",
        arguments: [
            (reverse, ["cdn-cache-control"]),
            (PolicyConfiguration(honoursTargetedField: true, forwardsTargetedField: true), []),
            (PolicyConfiguration(), []),
        ] as [(PolicyConfiguration, [String])]
    )
    func strip(configuration: PolicyConfiguration, expected: [String]) {
        #expect(TargetedCacheControl.fieldsToStrip(configuration: configuration) == expected)
    }
}
