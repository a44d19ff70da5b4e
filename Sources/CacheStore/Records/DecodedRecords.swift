#if canImport(Glibc)
import Glibc
#endif

/// Variant records as decoded by earlier lookups, reused while the stored bytes are the same, so a hit on
/// a hot entry does not decode every header string again. Keyed by the `variants` key; an entry is used only
/// if the record's bytes are byte-for-byte those it was decoded from. Bounded: when full, it starts over
/// (``BoundedTable``).
final class DecodedRecords: Sendable {
    /// A reference, so that a lookup takes it out of the table with one retain.
    private final class Entry: Sendable {
        let bytes: [UInt8]
        let record: VariantRecord

        init(bytes: [UInt8], record: VariantRecord) {
            self.bytes = bytes
            self.record = record
        }
    }

    private let entries: BoundedTable<VariantKey, Entry>

    init(capacity: Int = 4096) {
        self.entries = BoundedTable(maxEntries: capacity)
    }

    /// The record stored as `bytes` under `key`.
    func decode(key: UnsafeRawBufferPointer, bytes: UnsafeRawBufferPointer) throws(StoreError) -> VariantRecord {
        guard let key = VariantKey(key) else { return try VariantRecord(decoding: bytes) }
        if let known = self.entries.value(for: key), Self.equal(known.bytes, bytes) {
            return known.record
        }
        let record = try VariantRecord(decoding: bytes)
        self.entries.insert(Entry(bytes: Array(bytes), record: record), for: key)
        return record
    }

    private static func equal(_ stored: [UInt8], _ bytes: UnsafeRawBufferPointer) -> Bool {
        stored.withUnsafeBytes { stored in
            stored.count == bytes.count
                && (bytes.isEmpty || memcmp(stored.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
        }
    }
}

/// A `variants` key — SHA-256(primary) ‖ SHA-256(secondary) — held inline, so a lookup allocates nothing.
/// Hashed by the first word of each digest: digests are already evenly spread, and the hasher is still
/// seeded per process, so bucket placement stays unpredictable.
private struct VariantKey: Hashable, Sendable {
    private let words: [8 of UInt64]

    /// nil unless `key` is 64 bytes long.
    init?(_ key: UnsafeRawBufferPointer) {
        guard key.count == 64 else { return nil }
        self.words = [8 of UInt64] { key.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self) }
    }

    static func == (lhs: VariantKey, rhs: VariantKey) -> Bool {
        (0..<8).allSatisfy { lhs.words[$0] == rhs.words[$0] }
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(self.words[0])
        hasher.combine(self.words[4])
    }
}
