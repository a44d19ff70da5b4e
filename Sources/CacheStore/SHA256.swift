import CSHA256

/// A SHA-256 digest: 32 bytes, compared and hashed by value.
public struct Digest: Hashable, Sendable, CustomStringConvertible {
    /// The 32 digest bytes.
    public let bytes: [UInt8]

    /// Wraps 32 bytes; returns nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        self.bytes = Array(bytes)
    }

    /// Parses 64 hex digits (either case); returns nil for anything else.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(32)
        for index in stride(from: 0, to: 64, by: 2) {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        self.bytes = bytes
    }

    /// Lowercase hex, 64 characters.
    public var hex: String {
        let alphabet = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(64)
        for byte in self.bytes {
            text.append(alphabet[Int(byte >> 4)])
            text.append(alphabet[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    public var description: String { self.hex }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// Incremental SHA-256 over libcrypto (through the `CSHA256` shim).
///
/// Not copyable: it owns a libcrypto context, freed when the value goes away.
public struct SHA256: ~Copyable {
    private let context: OpaquePointer

    /// A fresh context. Traps only if libcrypto cannot allocate a few hundred bytes.
    public init() {
        guard let context = larder_sha256_new() else { preconditionFailure("libcrypto could not allocate") }
        self.context = context
    }

    deinit { larder_sha256_free(self.context) }

    /// Feeds bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        _ = larder_sha256_update(self.context, bytes.baseAddress, bytes.count)
    }

    /// Feeds bytes.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { self.update($0) }
    }

    /// The digest of everything fed so far; the context starts over afterwards.
    public mutating func finish() -> Digest {
        var out = [UInt8](repeating: 0, count: 32)
        _ = larder_sha256_finish(self.context, &out)
        return Digest(unchecked: out)
    }

    /// The digest of `bytes` in one call (no context is allocated).
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> Digest {
        let out = [UInt8](unsafeUninitializedCapacity: 32) { buffer, count in
            guard larder_sha256_oneshot(bytes.baseAddress, bytes.count, buffer.baseAddress) == 1 else {
                preconditionFailure("libcrypto could not hash")
            }
            count = 32
        }
        return Digest(unchecked: out)
    }

    /// The digest of `bytes` in one call.
    public static func hash(_ bytes: [UInt8]) -> Digest {
        bytes.withUnsafeBytes { Self.hash($0) }
    }
}

extension Digest {
    init(unchecked bytes: [UInt8]) {
        self.bytes = bytes
    }
}
