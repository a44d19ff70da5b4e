import Glibc

/// The writer's claim on a store directory: an exclusive `flock` on `writer.lock`, held while a
/// ``CacheStore`` is open.
///
/// LMDB would serialise two writing processes, but a store's pins, recency and start-up cleanup are
/// per process: a second writer would free bodies the first is still filling. The lock makes a second
/// open fail at once (``StoreError/inUse``) with the holder's pid; read-only views (``StoreReader``)
/// do not take it. The kernel drops it when the process dies, so a crash never leaves it stale.
final class StoreLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Takes the lock in `directory` (created if needed) or throws ``StoreError/inUse``.
    static func acquire(directory: String) throws(StoreError) -> StoreLock {
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw .system("mkdir \(directory)", errno: errno)
        }
        let path = directory + "/writer.lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .system("open \(path)", errno: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.readPID(descriptor)
            close(descriptor)
            let who = holder.map { "process \($0)" } ?? "another process"
            throw .inUse("the store in \(directory) is open for writing by \(who)")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return StoreLock(descriptor: descriptor)
    }

    /// Whether some process holds the lock in `directory` now (false when there is no lock file).
    static func isHeld(directory: String) -> Bool {
        let descriptor = open(directory + "/writer.lock", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_SH | LOCK_NB) == 0 else { return true }
        flock(descriptor, LOCK_UN)
        return false
    }

    /// Releases the lock.
    func release() {
        flock(self.descriptor, LOCK_UN)
        close(self.descriptor)
    }

    private static func readPID(_ descriptor: Int32) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int(String(decoding: buffer[0..<count], as: UTF8.self).filter(\.isNumber))
    }
}
