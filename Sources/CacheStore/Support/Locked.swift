import Glibc

/// A value behind a pthread mutex.
///
/// Used where `Synchronization.Mutex` is awkward: state touched by one owner at a time that mixes
/// with caller-provided, non-`Sendable` values (buffers to copy from, closures returning generic
/// results), which `Mutex`'s `sending` rules reject although nothing escapes the lock.
final class Locked<Value: ~Copyable>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: consuming Value) {
        self.value = value
        self.mutex = .allocate(capacity: 1)
        pthread_mutex_init(self.mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(self.mutex)
        self.mutex.deallocate()
    }

    func withLock<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(self.mutex)
        defer { pthread_mutex_unlock(self.mutex) }
        return try body(&self.value)
    }
}
