import CSHA256

/// Incremental SHA-256 for checking bodies in tests, over the same libcrypto shim the store uses.
public struct TestDigest: ~Copyable {
    private let context: OpaquePointer

    public init() {
        guard let context = larder_sha256_new() else { preconditionFailure("libcrypto could not allocate") }
        self.context = context
    }

    deinit { larder_sha256_free(self.context) }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        _ = larder_sha256_update(self.context, bytes.baseAddress, bytes.count)
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { self.update($0) }
    }

    /// The digest as lowercase hex.
    public consuming func hex() -> String {
        var out = [UInt8](repeating: 0, count: 32)
        _ = larder_sha256_finish(self.context, &out)
        return out.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }

    public static func hex(of bytes: [UInt8]) -> String {
        var digest = TestDigest()
        digest.update(bytes)
        return digest.hex()
    }
}
