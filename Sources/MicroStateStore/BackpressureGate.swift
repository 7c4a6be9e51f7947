#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Atomics

/// A gate appenders wait at while the archiver is behind (`StoreLimits.maxArchiveBacklogChunks`).
///
/// The store closes and opens it under its own lock (lock order: store lock, then the gate's mutex); appenders wait
/// before taking the store lock, for at most the given time, so a stalled archiver slows writers but never stops
/// them. Checking an open gate is one atomic load.
final class BackpressureGate: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let closedFlag = ManagedAtomic<Bool>(false)
    // Guarded by `mutex`.
    private var waitCount = 0
    private var timeoutCount = 0

    init() {
        pthread_mutex_init(self.mutex, nil)
        pthread_cond_init(self.condition, nil)
    }

    deinit {
        pthread_cond_destroy(self.condition)
        pthread_mutex_destroy(self.mutex)
        self.condition.deallocate()
        self.mutex.deallocate()
    }

    var isClosed: Bool { self.closedFlag.load(ordering: .acquiring) }

    /// Waits so far, and how many of them ran out of time.
    var counts: (waits: Int, timeouts: Int) {
        pthread_mutex_lock(self.mutex)
        defer { pthread_mutex_unlock(self.mutex) }
        return (self.waitCount, self.timeoutCount)
    }

    /// Opens or closes the gate; opening wakes every waiter.
    func set(closed: Bool) {
        guard self.closedFlag.load(ordering: .relaxed) != closed else {
            return
        }
        pthread_mutex_lock(self.mutex)
        self.closedFlag.store(closed, ordering: .releasing)
        if !closed {
            pthread_cond_broadcast(self.condition)
        }
        pthread_mutex_unlock(self.mutex)
    }

    /// Waits while the gate is closed, at most `milliseconds`.
    func wait(milliseconds: Int) {
        pthread_mutex_lock(self.mutex)
        defer { pthread_mutex_unlock(self.mutex) }
        guard self.closedFlag.load(ordering: .relaxed) else {
            return
        }
        self.waitCount += 1
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let nanoseconds = Int(now.tv_nsec) + (milliseconds % 1000) * 1_000_000
        var deadline = timespec()
        deadline.tv_sec = now.tv_sec + milliseconds / 1000 + nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000
        while self.closedFlag.load(ordering: .relaxed) {
            if pthread_cond_timedwait(self.condition, self.mutex, &deadline) == ETIMEDOUT {
                self.timeoutCount += 1
                return
            }
        }
    }
}
