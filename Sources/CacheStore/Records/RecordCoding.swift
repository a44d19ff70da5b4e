/// Appends fixed-width big-endian integers and length-prefixed byte strings.
///
/// The store's records are written with this and read back with ``RecordReader``; each record
/// starts with a version byte (see the record types).
struct RecordWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) {
        self.bytes.reserveCapacity(capacity)
    }

    mutating func write(_ value: UInt8) {
        self.bytes.append(value)
    }

    mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { self.bytes.append(contentsOf: $0) }
    }

    /// An unsigned LEB128 length.
    mutating func writeLength(_ length: Int) {
        var remaining = UInt64(length)
        while remaining >= 0x80 {
            self.bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        self.bytes.append(UInt8(remaining))
    }

    /// A length, then the bytes.
    mutating func writeBytes(_ value: some Collection<UInt8>) {
        self.writeLength(value.count)
        self.bytes.append(contentsOf: value)
    }

    mutating func writeString(_ value: String) {
        self.writeBytes(value.utf8)
    }

    /// Bytes with no length in front (for fixed-size fields such as digests).
    mutating func writeRaw(_ value: some Collection<UInt8>) {
        self.bytes.append(contentsOf: value)
    }
}

/// Reads what ``RecordWriter`` wrote, checking every length against what is left.
/// Truncated or garbage input throws ``StoreError/corruptRecord``; it never traps.
struct RecordReader {
    private let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0
    /// What is being decoded, for error messages.
    private let what: String

    init(_ bytes: UnsafeRawBufferPointer, what: String) {
        self.bytes = bytes
        self.what = what
    }

    var remaining: Int { self.bytes.count - self.offset }
    var isAtEnd: Bool { self.remaining == 0 }

    mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws(StoreError) -> T {
        let size = MemoryLayout<T>.size
        guard self.remaining >= size else { throw self.truncated() }
        var value: T = 0
        for index in 0..<size {
            value = value << 8 | T(self.bytes[self.offset + index])
        }
        self.offset += size
        return value
    }

    mutating func readLength(limit: Int) throws(StoreError) -> Int {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard self.remaining >= 1 else { throw self.truncated() }
            let byte = self.bytes[self.offset]
            self.offset += 1
            guard shift < 63 else { throw .corrupt("\(self.what): length overflows") }
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
        }
        guard value <= UInt64(limit) else { throw .corrupt("\(self.what): length \(value) exceeds \(limit)") }
        return Int(value)
    }

    /// A length-prefixed byte string.
    mutating func readBytes() throws(StoreError) -> [UInt8] {
        let length = try self.readLength(limit: self.remaining)
        return try self.readRaw(count: length)
    }

    /// A length-prefixed UTF-8 string; invalid UTF-8 is corrupt.
    mutating func readString() throws(StoreError) -> String {
        let length = try self.readLength(limit: self.remaining)
        guard self.remaining >= length else { throw self.truncated() }
        let bytes = UnsafeRawBufferPointer(rebasing: self.bytes[self.offset..<self.offset + length])
        self.offset += length
        let text = bytes.withMemoryRebound(to: UInt8.self) { (utf8) -> String? in
            // Header names and most values are ASCII, which is valid UTF-8 as it is: decode without
            // the generic validation (it costs a metadata lookup per string).
            utf8.allSatisfy { $0 < 0x80 }
                ? String(decoding: utf8, as: UTF8.self) : String(validating: utf8, as: UTF8.self)
        }
        guard let text else { throw .corrupt("\(self.what): invalid UTF-8") }
        return text
    }

    mutating func readRaw(count: Int) throws(StoreError) -> [UInt8] {
        guard count >= 0, self.remaining >= count else { throw self.truncated() }
        let slice = Array(self.bytes[self.offset..<self.offset + count])
        self.offset += count
        return slice
    }

    /// Fails unless every byte was consumed.
    func expectEnd() throws(StoreError) {
        guard self.isAtEnd else { throw .corrupt("\(self.what): \(self.remaining) trailing bytes") }
    }

    private func truncated() -> StoreError {
        .corrupt("\(self.what): truncated at byte \(self.offset) of \(self.bytes.count)")
    }
}
