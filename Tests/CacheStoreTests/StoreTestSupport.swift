import CacheStore
import TestSupport
import Glibc

/// Opens a store in a fresh temporary directory, runs `body`, closes and removes it.
func withStore<T>(
    _ configuration: CacheStore.Configuration = CacheStore.Configuration(),
    _ body: (CacheStore, String) async throws -> T
) async throws -> T {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let store = try CacheStore.open(directory: directory.path, configuration: configuration)
    defer { store.close() }
    return try await body(store, directory.path)
}

/// Deterministic pseudo-random bytes (a 64-bit LCG, high half of each step): the same seed gives
/// the same body.
func testBytes(seed: UInt64, count: Int) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        var state = seed &* 0x2545_F491_4F6C_DD1D | 1
        var words = buffer.count / 4
        var raw = UnsafeMutableRawPointer(buffer.baseAddress)
        while words > 0 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            raw?.storeBytes(of: UInt32(truncatingIfNeeded: state >> 32), as: UInt32.self)
            raw = raw?.advanced(by: 4)
            words -= 1
        }
        for index in (buffer.count & ~3)..<buffer.count {
            buffer[index] = UInt8(truncatingIfNeeded: seed &+ UInt64(index))
        }
        initialized = count
    }
}

func testMetadata(status: Int = 200, tag: String = "") -> ResponseMetadata {
    ResponseMetadata(
        status: status,
        headers: [
            HeaderField(name: "content-type", value: "application/octet-stream"),
            HeaderField(name: "x-tag", value: tag),
        ],
        requestTime: 1_700_000_000_000,
        responseTime: 1_700_000_000_250,
        annotation: [1, 2, 3]
    )
}

extension CacheStore {
    /// Fills `bytes` under `key` in pieces of `piece` bytes and waits for the commit.
    @discardableResult
    func store(
        _ key: String,
        _ bytes: [UInt8],
        secondaryKey: [UInt8] = [],
        piece: Int = 100_000,
        tag: String = ""
    ) async throws -> StoredVariant {
        let fill = try self.beginFill(primaryKey: key, secondaryKey: secondaryKey, metadata: testMetadata(tag: tag))
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + piece)
            try await fill.write(Array(bytes[offset..<end]))
            offset = end
        }
        return try await fill.finish()
    }

    /// The whole body of a stored variant.
    func body(of variant: StoredVariant) async throws -> [UInt8] {
        try await self.openBody(variant).readAll()
    }
}

extension BodyReader {
    /// Everything from the current position to the end, waiting for a fill in progress.
    func readAll() async throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let piece = try await self.next() { bytes += piece }
        self.close()
        return bytes
    }
}
