import TestSupport
import Testing

/// The body comparison the large-body tests rely on: it must see every kind of difference.
@Suite("Test support: firstDifference")
struct FirstDifferenceTests {
    @Test("equal bodies have none; a changed byte, a short body and a long one are named")
    func differences() {
        let body = Pattern.bytes(length: 300_000)
        #expect(firstDifference(body, body) == nil)
        var changed = body
        changed[200_001] ^= 1
        #expect(firstDifference(changed, body)?.hasPrefix("byte 200001: ") == true)
        #expect(firstDifference(Array(body.dropLast()), body)?.hasPrefix("byte 299999: the end where") == true)
        #expect(firstDifference(body + [0], body)?.hasPrefix("byte 300000: 0x0 where the end") == true)
        #expect(firstDifference([body, changed], [body, body])?.hasPrefix("body 1, byte 200001") == true)
        #expect(firstDifference([body], [body, body]) == "1 bodies, 2 expected")
    }
}
