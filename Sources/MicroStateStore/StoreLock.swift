#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A plain pthread mutex with `tryLock`, which the store needs to apply log completions without ever waiting
/// on its own lock (see `KVStore.drainCompletions`). `Synchronization.Mutex` has no try-lock and needs
/// macOS 15.
final class StoreLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        self.mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
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
    func tryLock() -> Bool {
        pthread_mutex_trylock(self.mutex) == 0
    }
}
