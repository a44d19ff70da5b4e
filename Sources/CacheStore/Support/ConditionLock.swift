import Glibc

/// A pthread mutex with one condition variable, for the writer's queue.
///
/// `Synchronization.Mutex` has no condition variable; the writer thread needs to sleep until
/// work arrives or a deadline passes, so this wraps the pthread primitives directly.
final class ConditionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    init() {
        self.mutex = .allocate(capacity: 1)
        self.condition = .allocate(capacity: 1)
        pthread_mutex_init(self.mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(self.condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(self.condition)
        pthread_mutex_destroy(self.mutex)
        self.condition.deallocate()
        self.mutex.deallocate()
    }

    func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(self.mutex)
        defer { pthread_mutex_unlock(self.mutex) }
        return try body()
    }

    /// Waits for a signal; the caller holds the lock (inside `withLock`).
    /// Returns after a signal, a spurious wake-up, or `nanoseconds` (if given).
    func wait(nanoseconds: Int64?) {
        guard let nanoseconds else {
            pthread_cond_wait(self.condition, self.mutex)
            return
        }
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let total = Int64(deadline.tv_nsec) + nanoseconds
        deadline.tv_sec += Int(total / 1_000_000_000)
        deadline.tv_nsec = Int(total % 1_000_000_000)
        pthread_cond_timedwait(self.condition, self.mutex, &deadline)
    }

    /// Wakes the waiter; call with or without the lock held.
    func signal() {
        pthread_cond_broadcast(self.condition)
    }
}

/// Monotonic time in nanoseconds, for the writer's scheduling (never stored).
func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}
