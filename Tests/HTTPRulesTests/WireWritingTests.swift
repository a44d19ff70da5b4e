import HTTPRules
import NIOCore
import NIOHTTP1
import Testing

/// The byte writers behind response heads: decimals, header fields, status lines.
@Suite("Writing heads as bytes")
struct WireWritingTests {
    @Test(
        "decimals as the standard library spells them",
        arguments: [0, 7, 9, 10, 99, 100, 12_345, -1, -7_000, .max, .min] as [Int64]
    )
    func decimals(_ value: Int64) {
        var buffer = ByteBuffer()
        buffer.writeDecimal(value)
        #expect(String(buffer: buffer) == String(value))
    }

    @Test("fields in order, repeated ones kept, non-ASCII values byte for byte")
    func fields() {
        var buffer = ByteBuffer()
        buffer.writeStatusLine(version: .http1_1, status: .notModified)
        buffer.writeHeaderFields(["ETag": "\"a\"", "Vary": "accept", "vary": "accept-encoding", "X-Name": "Zoë"])
        buffer.writeHeaderFields([:])
        #expect(String(buffer: buffer)
            == "HTTP/1.1 304 Not Modified\r\nETag: \"a\"\r\nVary: accept\r\nvary: accept-encoding\r\nX-Name: Zoë\r\n")
    }
}
