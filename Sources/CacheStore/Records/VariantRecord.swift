/// The `variants` value: one stored response without its body bytes.
///
/// Layout, version 1 (integers big-endian, "bytes" = LEB128 length then bytes):
/// `u8 version=1, u16 status, i64 requestTime, i64 responseTime, bytes primaryKey,
/// bytes secondaryKey, u64 bodyID, u64 bodySize, 32 bytes digest, length headerCount,
/// headerCount × (bytes name, bytes value), bytes annotation`. Version 2 appends `u64 tick`.
///
/// A later version appends fields after these and bumps the version byte; the decoder reads
/// every version it knows and rejects newer ones and any truncated or trailing bytes.
struct VariantRecord: Hashable {
    static let currentVersion: UInt8 = 2

    var primaryKey: String
    var secondaryKey: [UInt8]
    var metadata: ResponseMetadata
    var bodyID: BodyID
    var bodySize: Int64
    var digest: Digest
    /// The recency clock's tick when the variant was stored: its place in the LRU order until a saved hit moves
    /// it (the `recency` entry then holds the later tick). 0 in a version 1 record, which always has a `recency`
    /// entry: a fill writes its tick here, not there, so storing a variant touches no leaf for recency.
    var tick: UInt64 = 0

    func encoded() -> [UInt8] {
        var capacity = 128 + self.primaryKey.utf8.count + self.secondaryKey.count + self.metadata.annotation.count
        for field in self.metadata.headers { capacity += field.name.utf8.count + field.value.utf8.count + 4 }
        var writer = RecordWriter(capacity: capacity)
        writer.write(Self.currentVersion)
        writer.write(UInt16(clamping: self.metadata.status))
        writer.write(self.metadata.requestTime)
        writer.write(self.metadata.responseTime)
        writer.writeString(self.primaryKey)
        writer.writeBytes(self.secondaryKey)
        writer.write(self.bodyID.rawValue)
        writer.write(UInt64(self.bodySize))
        writer.writeRaw(self.digest.bytes)
        writer.writeLength(self.metadata.headers.count)
        for field in self.metadata.headers {
            writer.writeString(field.name)
            writer.writeString(field.value)
        }
        writer.writeBytes(self.metadata.annotation)
        writer.write(self.tick)
        return writer.bytes
    }

    /// The ``tick`` of an encoded record without decoding the rest: the last eight bytes from version 2 on.
    static func tick(ofEncoded bytes: UnsafeRawBufferPointer) throws(StoreError) -> UInt64 {
        guard let version = bytes.first, version >= 1, version <= Self.currentVersion, bytes.count > 9 else {
            throw .corrupt("variant record: unknown version or too short")
        }
        guard version >= 2 else { return 0 }
        var reader = RecordReader(UnsafeRawBufferPointer(rebasing: bytes[(bytes.count - 8)...]), what: "variant record")
        return try reader.read(UInt64.self)
    }
}

extension VariantRecord {
    /// Decodes and validates; throws ``StoreError/corruptRecord`` for anything malformed.
    init(decoding bytes: UnsafeRawBufferPointer) throws(StoreError) {
        var reader = RecordReader(bytes, what: "variant record")
        let version = try reader.read(UInt8.self)
        guard version >= 1, version <= Self.currentVersion else {
            throw .corrupt("variant record: unknown version \(version)")
        }
        let status = Int(try reader.read(UInt16.self))
        let requestTime = try reader.read(Int64.self)
        let responseTime = try reader.read(Int64.self)
        self.primaryKey = try reader.readString()
        self.secondaryKey = try reader.readBytes()
        self.bodyID = BodyID(rawValue: try reader.read(UInt64.self))
        let size = try reader.read(UInt64.self)
        guard size <= UInt64(Int64.max) else { throw .corrupt("variant record: body size \(size)") }
        self.bodySize = Int64(size)
        self.digest = Digest(unchecked: try reader.readRaw(count: 32))
        // Each header takes at least two bytes, which bounds the count before allocating.
        let headerCount = try reader.readLength(limit: reader.remaining / 2)
        var headers: [HeaderField] = []
        headers.reserveCapacity(headerCount)
        for _ in 0..<headerCount {
            let name = try reader.readString()
            let value = try reader.readString()
            headers.append(HeaderField(name: name, value: value))
        }
        let annotation = try reader.readBytes()
        self.tick = version >= 2 ? try reader.read(UInt64.self) : 0
        try reader.expectEnd()
        self.metadata = ResponseMetadata(
            status: status,
            headers: headers,
            requestTime: requestTime,
            responseTime: responseTime,
            annotation: annotation
        )
    }
}
