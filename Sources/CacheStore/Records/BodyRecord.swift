/// The `bodies` value: one body's bookkeeping.
///
/// Layout, version 1: `u8 version=1, u8 state, u32 references, u64 size, u32 chunkCount,
/// 32 bytes digest` (the digest is zero while filling).
struct BodyRecord: Hashable {
    static let currentVersion: UInt8 = 1
    static let encodedSize = 1 + 1 + 4 + 8 + 4 + 32

    enum State: UInt8 {
        /// Chunks are being written; listed in `pending`; never servable.
        case filling = 0
        /// All chunks written and the digest known; referenced by `references` variants.
        case complete = 1
        /// No variant references it any more but an open reader still does; listed in `pending`
        /// and freed when the last reader closes (or at the next start-up).
        case released = 2
    }

    var state: State
    var references: UInt32
    var size: Int64
    var chunkCount: UInt32
    var digest: Digest

    static func filling() -> BodyRecord {
        BodyRecord(
            state: .filling,
            references: 0,
            size: 0,
            chunkCount: 0,
            digest: Digest(unchecked: [UInt8](repeating: 0, count: 32))
        )
    }

    func encoded() -> [UInt8] {
        var writer = RecordWriter(capacity: Self.encodedSize)
        writer.write(Self.currentVersion)
        writer.write(self.state.rawValue)
        writer.write(self.references)
        writer.write(UInt64(self.size))
        writer.write(self.chunkCount)
        writer.writeRaw(self.digest.bytes)
        return writer.bytes
    }
}

extension BodyRecord {
    /// Decodes and validates; throws ``StoreError/corruptRecord`` for anything malformed.
    init(decoding bytes: UnsafeRawBufferPointer) throws(StoreError) {
        var reader = RecordReader(bytes, what: "body record")
        let version = try reader.read(UInt8.self)
        guard version == 1 else { throw .corrupt("body record: unknown version \(version)") }
        guard let state = State(rawValue: try reader.read(UInt8.self)) else {
            throw .corrupt("body record: unknown state")
        }
        self.state = state
        self.references = try reader.read(UInt32.self)
        let size = try reader.read(UInt64.self)
        guard size <= UInt64(Int64.max) else { throw .corrupt("body record: size \(size)") }
        self.size = Int64(size)
        self.chunkCount = try reader.read(UInt32.self)
        self.digest = Digest(unchecked: try reader.readRaw(count: 32))
        try reader.expectEnd()
    }
}
