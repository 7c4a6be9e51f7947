#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pthread mutex with condition variables, used instead of `Synchronization.Mutex` because the package still
/// supports macOS 14, and because the writer needs condition variables, which `Mutex` does not offer.
final class PThreadMutex: @unchecked Sendable {
    fileprivate let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        self.mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        self.mutex.initialize(to: pthread_mutex_t())
        let result = pthread_mutex_init(self.mutex, nil)
        precondition(result == 0, "pthread_mutex_init failed: \(result)")
    }

    deinit {
        pthread_mutex_destroy(self.mutex)
        self.mutex.deallocate()
    }

    @inline(__always)
    func lock() {
        let result = pthread_mutex_lock(self.mutex)
        precondition(result == 0, "pthread_mutex_lock failed: \(result)")
    }

    @inline(__always)
    func unlock() {
        let result = pthread_mutex_unlock(self.mutex)
        precondition(result == 0, "pthread_mutex_unlock failed: \(result)")
    }

    @inline(__always)
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        self.lock()
        defer { self.unlock() }
        return try body()
    }
}

/// A pthread condition variable bound by its callers to one `PThreadMutex`.
final class PThreadCondition: @unchecked Sendable {
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    init() {
        self.condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        self.condition.initialize(to: pthread_cond_t())
        let result = pthread_cond_init(self.condition, nil)
        precondition(result == 0, "pthread_cond_init failed: \(result)")
    }

    deinit {
        pthread_cond_destroy(self.condition)
        self.condition.deallocate()
    }

    /// Waits; the caller must hold `mutex` and re-check its predicate afterwards (spurious wake-ups).
    func wait(_ mutex: PThreadMutex) {
        let result = pthread_cond_wait(self.condition, mutex.mutex)
        precondition(result == 0, "pthread_cond_wait failed: \(result)")
    }

    /// Waits at most `nanoseconds` (wall clock); the caller must re-check its predicate afterwards.
    func wait(_ mutex: PThreadMutex, timeoutNanoseconds nanoseconds: Int) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let total = Int(now.tv_nsec) + nanoseconds
        var deadline = timespec(tv_sec: now.tv_sec + total / 1_000_000_000, tv_nsec: total % 1_000_000_000)
        let result = pthread_cond_timedwait(self.condition, mutex.mutex, &deadline)
        precondition(result == 0 || result == ETIMEDOUT, "pthread_cond_timedwait failed: \(result)")
    }

    func signal() {
        pthread_cond_signal(self.condition)
    }

    func broadcast() {
        pthread_cond_broadcast(self.condition)
    }
}
