import Proxy
import Testing

/// The admin API's JSON: what the server writes, the CLI reads back unchanged; bad text is refused.
@Suite("Admin JSON")
struct AdminJSONTests {
    @Test("values round-trip through text, escapes and exact 64-bit counters included")
    func roundTrip() throws {
        let value = JSONValue.object([
            ("text", .string("quote \" backslash \\ tab \t newline \n bell \u{7} é 🦊")),
            ("count", .integer(Int64.max)),
            ("ratio", .number(0.333333)),
            ("flags", .array([.bool(true), .bool(false), .null])),
            ("empty", .object([])),
        ])
        for pretty in [false, true] {
            #expect(try JSONParser.parse(value.serialized(pretty: pretty)) == value)
        }
        #expect(JSONValue.number(0.25).serialized() == "0.25")
        #expect(JSONValue.count(UInt64.max).serialized() == String(Int64.max))
    }

    @Test("surrogate pairs and escaped solidus decode", arguments: [
        (#""\ud83e\udd8a""#, "🦊"), (#""a\/b""#, "a/b"), (#""\u00e9""#, "é"),
    ])
    func escapes(text: String, expected: String) throws {
        #expect(try JSONParser.parse(text) == .string(expected))
    }

    @Test("malformed documents are refused with the offset", arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "\"unterminated", "tru", "1 2", "{\"a\":1,}", "\"\u{1}\"",
        String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
    ])
    func malformed(text: String) {
        #expect(throws: JSONParser.ParseError.self) { try JSONParser.parse(text) }
    }
}
