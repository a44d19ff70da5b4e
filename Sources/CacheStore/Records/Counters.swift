/// Totals kept in the store's `meta` database and updated in the same write transaction as the
/// change they count, so they survive restarts and crashes exactly.
///
/// Layout: `u8 version=1, length count, count × u64` in the order of ``Field``; counters added
/// later go at the end, and a record with fewer values reads the missing ones as zero.
struct Counters: Hashable, Sendable {
    /// Order is the on-disk order: append only.
    enum Field: Int, CaseIterable {
        case objects, variants, logicalBytes, physicalBytes, pendingBytes, metadataBytes, bodies
        case evictions, fillsCompleted, fillsAborted, deduplicatedFills, purgedVariants, hits
    }

    private var values = [UInt64](repeating: 0, count: Field.allCases.count)

    init() {}

    subscript(field: Field) -> UInt64 {
        get { self.values[field.rawValue] }
        set { self.values[field.rawValue] = newValue }
    }

    /// Adds a signed amount, saturating at zero (a counter never wraps around after a bug).
    mutating func add(_ field: Field, _ amount: Int64) {
        let current = self.values[field.rawValue]
        if amount >= 0 {
            self.values[field.rawValue] = current &+ UInt64(amount)
        } else {
            let decrease = amount.magnitude
            self.values[field.rawValue] = current >= decrease ? current - decrease : 0
        }
    }

    /// Bytes that count against the budget: unique complete bodies, bodies still filling or
    /// awaiting free, and an estimate of record and index overhead.
    var budgetedBytes: Int64 {
        Int64(clamping: self[.physicalBytes] &+ self[.pendingBytes] &+ self[.metadataBytes])
    }

    func encoded() -> [UInt8] {
        var writer = RecordWriter(capacity: 2 + self.values.count * 8)
        writer.write(UInt8(1))
        writer.writeLength(self.values.count)
        for value in self.values { writer.write(value) }
        return writer.bytes
    }

    init(decoding bytes: UnsafeRawBufferPointer) throws(StoreError) {
        var reader = RecordReader(bytes, what: "counters")
        let version = try reader.read(UInt8.self)
        guard version == 1 else { throw .corrupt("counters: unknown version \(version)") }
        let count = try reader.readLength(limit: reader.remaining / 8)
        for index in 0..<count {
            let value = try reader.read(UInt64.self)
            if index < self.values.count { self.values[index] = value }
        }
        try reader.expectEnd()
    }
}
