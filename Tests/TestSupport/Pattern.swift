import CacheStore

/// Deterministic bodies of any length, generated in blocks so huge bodies need no memory.
///
/// Every 64 KiB block starts with its own index, so a block delivered twice or out of order changes the digest.
public enum Pattern {
    public static let blockSize = 64 * 1024

    private static let base: [UInt8] = (0..<blockSize).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ ($0 >> 9)) }

    /// Block `index` of the pattern, `count` bytes long (≤ blockSize).
    public static func block(_ index: Int, count: Int = blockSize) -> [UInt8] {
        var bytes = Array(self.base[0..<count])
        withUnsafeBytes(of: UInt64(index).bigEndian) { header in
            for offset in 0..<min(8, count) { bytes[offset] = header[offset] }
        }
        return bytes
    }

    /// The first `length` bytes of the pattern.
    public static func bytes(length: Int) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(length)
        var index = 0
        while result.count < length {
            result += self.block(index, count: min(self.blockSize, length - result.count))
            index += 1
        }
        return result
    }

    /// SHA-256 hex of the first `length` bytes, computed block by block.
    public static func digest(length: Int) -> String {
        var digest = SHA256()
        var remaining = length
        var index = 0
        while remaining > 0 {
            let count = min(self.blockSize, remaining)
            digest.update(self.block(index, count: count))
            remaining -= count
            index += 1
        }
        return digest.finish().hex
    }
}
