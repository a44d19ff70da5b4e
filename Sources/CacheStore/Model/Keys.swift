/// Byte layouts of LMDB keys. All integers are big-endian so keys sort numerically.
enum Keys {
    /// Bytes of the key text kept in the `keys` index (LMDB keys are at most 511 bytes).
    static let indexedTextLimit = 400

    /// `variants` key: SHA-256(primary key) ‖ SHA-256(secondary key), 64 bytes.
    static func variant(primary: [UInt8], secondary: [UInt8]) -> [UInt8] {
        primary + SHA256.hash(secondary).bytes
    }

    static func primaryHash(_ primaryKey: String) -> [UInt8] {
        SHA256.hash(Array(primaryKey.utf8)).bytes
    }

    /// `keys` key: the first 400 bytes of the key text ‖ SHA-256(primary key), so the index sorts by
    /// text (prefix scans) and long keys sharing 400 bytes stay distinct.
    static func index(text: String, primaryHash: [UInt8]) -> [UInt8] {
        Array(text.utf8.prefix(self.indexedTextLimit)) + primaryHash
    }

    /// The text part of a `keys` key (the bytes before the trailing hash).
    static func indexedText(of key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer.SubSequence {
        key[key.startIndex..<max(key.startIndex, key.endIndex - 32)]
    }

    /// `bodies` and `pending` key: the body id, 8 bytes.
    static func body(_ id: BodyID) -> [UInt8] {
        var writer = RecordWriter(capacity: 8)
        writer.write(id.rawValue)
        return writer.bytes
    }

    /// `chunks` key: body id ‖ chunk index, 12 bytes.
    static func chunk(_ id: BodyID, _ index: UInt32) -> [UInt8] {
        var writer = RecordWriter(capacity: 12)
        writer.write(id.rawValue)
        writer.write(index)
        return writer.bytes
    }

    /// `lru` key: recency tick ‖ variant key, 72 bytes; the first entry is the least recently used.
    static func lru(tick: UInt64, variant: [UInt8]) -> [UInt8] {
        var writer = RecordWriter(capacity: 72)
        writer.write(tick)
        writer.writeRaw(variant)
        return writer.bytes
    }

    /// Reads a big-endian 8-byte id from the front of a key.
    static func bodyID(from key: UnsafeRawBufferPointer) throws(StoreError) -> BodyID {
        var reader = RecordReader(key, what: "body key")
        return BodyID(rawValue: try reader.read(UInt64.self))
    }
}
