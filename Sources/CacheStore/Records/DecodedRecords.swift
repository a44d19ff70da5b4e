import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Variant records as decoded by earlier lookups, reused while the stored bytes are the same, so a hit on
/// a hot entry does not decode every header string again. Keyed by the `variants` key; an entry is used only
/// if the record's bytes are byte-for-byte those it was decoded from. Bounded: when full, it starts over.
final class DecodedRecords: Sendable {
    private struct Entry {
        var bytes: [UInt8]
        var record: VariantRecord
    }

    private let capacity: Int
    private let entries = Mutex<[ByteKey: Entry]>([:])

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    /// The record stored as `bytes` under `key`.
    func decode(key: UnsafeRawBufferPointer, bytes: UnsafeRawBufferPointer) throws(StoreError) -> VariantRecord {
        let key = ByteKey(Array(key))
        if let known = self.entries.withLock({ $0[key] }), Self.equal(known.bytes, bytes) {
            return known.record
        }
        let record = try VariantRecord(decoding: bytes)
        self.entries.withLock { entries in
            if entries.count >= self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(bytes: Array(bytes), record: record)
        }
        return record
    }

    private static func equal(_ stored: [UInt8], _ bytes: UnsafeRawBufferPointer) -> Bool {
        stored.withUnsafeBytes { stored in
            stored.count == bytes.count
                && (bytes.isEmpty || memcmp(stored.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
        }
    }
}
