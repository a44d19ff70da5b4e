import CachePolicy
import NIOHTTP1
import Testing

@Suite("Vary and secondary keys (RFC 9111 §4.1)")
struct VaryTests {
    @Test(
        "§4.1: the Vary field, every line, case-insensitive, * anywhere",
        arguments: [
            ([("Vary", "Foo")], Vary.fields(["foo"])),
            ([("Vary", "Foo, BAR"), ("Vary", "baz, foo")], .fields(["bar", "baz", "foo"])),
            ([("Vary", "*")], .any),
            ([("Vary", "*, *")], .any),
            ([("Vary", ", *")], .any),
            ([("Vary", ""), ("Vary", "*")], .any),
            ([("Vary", "*, Foo")], .any),
            ([("Vary", "Foo, *")], .any),
            ([], .fields([])),
        ] as [([(String, String)], Vary)]
    )
    func parses(pairs: [(String, String)], expected: Vary) {
        #expect(Vary(response: fields(pairs)) == expected)
    }

    @Test(
        "§4.1: the secondary key is deterministic; absent and empty fields differ",
        arguments: [
            ("Foo", [("Foo", "1")], "foo:1"),
            ("Foo", [], "foo"),
            ("Foo", [("Foo", "")], "foo:"),
            ("Foo, Bar", [("bar", "b"), ("FOO", " 1 ")], "bar:b\nfoo:1"),
            ("Foo", [("Foo", "1"), ("Foo", "2")], "foo:1,2"),
            ("Foo", [("Foo", "\"a, b\" , c")], "foo:\"a, b\",c"),
            ("Accept-Encoding", [("Accept-Encoding", "GZIP, br;q=0.5 , deflate")],
                "accept-encoding:br;q=0.5,deflate,gzip"),
            ("", [("Foo", "1")], ""),
        ] as [(String, [(String, String)], String)]
    )
    func secondaryKey(vary: String, requestPairs: [(String, String)], expected: String) {
        #expect(Vary(response: fields([("Vary", vary)])).secondaryKey(for: fields(requestPairs)) == expected)
    }

    @Test(
        "§4.1: a stored variant matches a new request",
        arguments: [
            ("Foo", [("Foo", "1")], [("Foo", "1")], true),
            ("Foo", [("Foo", "1")], [("Foo", "2")], false),
            ("Foo", [("Foo", "1")], [], false),
            ("Foo", [], [], true),
            ("Foo, Bar", [("Foo", "1"), ("Bar", "abc")], [("Foo", "1"), ("Bar", "abc")], true),
            ("Foo, Bar", [("Foo", "1"), ("Bar", "abc")], [("Foo", "2"), ("Bar", "abc")], false),
            ("Foo, Bar", [("Foo", "1")], [], false),
            ("Foo, Bar, Baz", [("Foo", "1"), ("Baz", "789")], [("Foo", "1"), ("Baz", "789")], true),
            ("Foo, Bar, Baz", [("Foo", "1"), ("Bar", "abc4"), ("Baz", "789")],
             [("Foo", "1"), ("Bar", "abc"), ("Baz", "789")], false),
            ("Foo", [("Foo", "1"), ("Other", "2")], [("Foo", "1"), ("Other", "3")], true),
            ("FOO", [("foo", "1")], [("Foo", "1")], true),
            ("Foo", [("Foo", "1,2")], [("Foo", " 1, 2 ")], true),
            ("Foo", [("Foo", "1, 2")], [("Foo", "1"), ("Foo", "2")], true),
            ("Accept-Language", [("Accept-Language", "en, de")], [("Accept-Language", "de, en")], false),
            ("Accept-Encoding", [("Accept-Encoding", "gzip, br")], [("Accept-Encoding", "BR,gzip")], true),
            ("Accept-Encoding", [("Accept-Encoding", "gzip;q=1.0, br")], [("Accept-Encoding", "br, gzip;q=0.5")],
                false),
            ("*", [("Foo", "1")], [("Foo", "1")], false),
        ] as [(String, [(String, String)], [(String, String)], Bool)]
    )
    func matches(vary: String, original: [(String, String)], incoming: [(String, String)], expected: Bool) throws {
        let vary = Vary(response: fields([("Vary", vary)]))
        let storedKey = vary.secondaryKey(for: fields(original)) ?? "never"
        #expect(vary.matches(storedKey: storedKey, request: fields(incoming)) == expected)
    }

    @Test(
        "§4.1: of several matching stored responses the most recent by Date is used first",
        arguments: [
            (["@+0", "@+10"], [t0, t0], [1, 0]),
            (["@+10", "@+0"], [t0, t0], [0, 1]),
            (["bad", "@+0"], [at(20), t0], [0, 1]),
            (["@+5", "@+5"], [t0, at(3)], [1, 0]),
            (["@+5", "@+5", "@+9"], [t0, t0, t0], [2, 0, 1]),
            ([], [], []),
        ] as [([String], [Instant], [Int])]
    )
    func mostRecentFirst(dates: [String], responseTimes: [Instant], order: [Int]) {
        let candidates = zip(dates, responseTimes).map { date, time in
            stored([("Date", date)], requestTime: time, responseTime: time)
        }
        #expect(Vary.mostRecentFirst(candidates) == order)
    }
}
