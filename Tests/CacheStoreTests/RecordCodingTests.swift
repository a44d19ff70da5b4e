@testable import CacheStore
import Testing

@Suite("Record coding")
struct RecordCodingTests {
    static let record = VariantRecord(
        primaryKey: "http://codec.test/päth?q=1",
        secondaryKey: [0, 1, 2, 255],
        metadata: testMetadata(status: 203, tag: "codec"),
        bodyID: BodyID(rawValue: 0x0102_0304_0506_0708),
        bodySize: 123_456_789,
        digest: SHA256.hash([1, 2, 3]),
        tick: 0x1122_3344_5566_7788
    )

    static let valid = record.encoded()

    /// Bytes up to and including the header count of `valid` (version … digest, then the count).
    static var throughDigest: [UInt8] {
        var writer = RecordWriter()
        writer.write(UInt8(1))
        writer.write(UInt16(200))
        writer.write(Int64(1))
        writer.write(Int64(2))
        writer.writeString("k")
        writer.writeBytes([UInt8]())
        writer.write(UInt64(1))
        writer.write(UInt64(0))
        writer.writeRaw([UInt8](repeating: 0, count: 32))
        return writer.bytes
    }

    static let garbage: [(String, [UInt8])] = [
        ("empty", []),
        ("version 0", [0]),
        ("unknown version", [99] + Array(valid.dropFirst())),
        ("version only", [1]),
        ("cut in status", Array(valid.prefix(2))),
        ("cut in times", Array(valid.prefix(12))),
        ("cut in key", Array(valid.prefix(25))),
        ("cut in digest", Array(valid.prefix(valid.count - 60))),
        ("cut at last byte", Array(valid.dropLast())),
        ("trailing byte", valid + [0]),
        ("huge header count", throughDigest + [0xff, 0xff, 0xff, 0x7f]),
        ("length overflow", throughDigest + [UInt8](repeating: 0xff, count: 11)),
        ("invalid UTF-8 name", throughDigest + [1, 2, 0xc3, 0x28, 0, 0]),
        ("all ones", [UInt8](repeating: 0xff, count: 200)),
        ("all zeros", [UInt8](repeating: 0, count: 200)),
    ]

    @Test("a variant record round-trips")
    func roundTrips() throws {
        let decoded = try Self.valid.withUnsafeBytes { try VariantRecord(decoding: $0) }
        #expect(decoded == Self.record)
    }

    @Test("a version 1 record (no tick) decodes with tick 0; the tick reads without decoding the rest")
    func versionOne() throws {
        let versionOne = [1] + Array(Self.valid.dropFirst().dropLast(8))
        let decoded = try versionOne.withUnsafeBytes { try VariantRecord(decoding: $0) }
        var expected = Self.record
        expected.tick = 0
        #expect(decoded == expected)
        #expect(try versionOne.withUnsafeBytes { try VariantRecord.tick(ofEncoded: $0) } == 0)
        #expect(try Self.valid.withUnsafeBytes { try VariantRecord.tick(ofEncoded: $0) } == Self.record.tick)
        #expect(throws: StoreError.corruptRecord) {
            try ([3] + Array(Self.valid.dropFirst())).withUnsafeBytes { try VariantRecord.tick(ofEncoded: $0) }
        }
    }

    @Test("variant record decoding rejects truncated and garbage bytes", arguments: Self.garbage)
    func rejectsGarbage(name: String, bytes: [UInt8]) {
        #expect(throws: StoreError.corruptRecord, "\(name)") {
            try bytes.withUnsafeBytes { try VariantRecord(decoding: $0) }
        }
    }

    @Test("every truncation of a valid record is rejected")
    func rejectsEveryTruncation() {
        for length in 0..<Self.valid.count {
            #expect(throws: StoreError.corruptRecord, "length \(length)") {
                try Array(Self.valid.prefix(length)).withUnsafeBytes { try VariantRecord(decoding: $0) }
            }
        }
    }

    static let body = BodyRecord(state: .complete, references: 3, size: 99, chunkCount: 1, digest: SHA256.hash([9]))

    @Test("body records round-trip and reject garbage", arguments: [
        ("valid", body.encoded(), true),
        ("empty", [], false),
        ("unknown state", [1, 7] + Array(body.encoded().dropFirst(2)), false),
        ("unknown version", [2] + Array(body.encoded().dropFirst()), false),
        ("truncated", Array(body.encoded().dropLast()), false),
        ("trailing", body.encoded() + [0], false),
    ])
    func bodyRecord(name: String, bytes: [UInt8], isValid: Bool) throws {
        if isValid {
            #expect(try bytes.withUnsafeBytes { try BodyRecord(decoding: $0) } == Self.body)
        } else {
            #expect(throws: StoreError.corruptRecord, "\(name)") {
                try bytes.withUnsafeBytes { try BodyRecord(decoding: $0) }
            }
        }
    }

    @Test("counters read fewer values as zero and reject garbage")
    func counters() throws {
        var counters = Counters()
        counters[.variants] = 5
        counters.add(.evictions, 2)
        counters.add(.evictions, -5)
        #expect(counters[.evictions] == 0, "a counter saturates at zero")
        let decoded = try counters.encoded().withUnsafeBytes { try Counters(decoding: $0) }
        #expect(decoded == counters)
        let older = try ([1, 1, 0, 0, 0, 0, 0, 0, 0, 7] as [UInt8]).withUnsafeBytes { try Counters(decoding: $0) }
        #expect(older[.objects] == 7)
        #expect(older[.variants] == 0)
        for garbage: [UInt8] in [[], [2, 0], [1, 3, 0, 0], [1]] {
            #expect(throws: StoreError.corruptRecord) { try garbage.withUnsafeBytes { try Counters(decoding: $0) } }
        }
    }

    @Test("digests print and parse as hex")
    func digestHex() {
        let digest = SHA256.hash(Array("abc".utf8))
        #expect(digest.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest(hex: digest.hex) == digest)
        #expect(Digest(hex: "xyz") == nil)
    }

    @Test("incremental hashing, in pieces across block boundaries and again after finish, equals the one-shot hash")
    func incrementalHash() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var sha = SHA256()
        for start in stride(from: 0, to: bytes.count, by: 61) {
            sha.update(Array(bytes[start..<min(start + 61, bytes.count)]))
        }
        #expect(sha.finish() == SHA256.hash(bytes))
        sha.update(Array("abc".utf8))
        #expect(sha.finish().hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(sha.finish().hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "nothing fed")
    }
}
