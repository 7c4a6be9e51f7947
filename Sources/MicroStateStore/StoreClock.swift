#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A wall clock, injected so tests can drive TTL expiry and idempotency windows.
public protocol StoreClock: Sendable {
    /// Milliseconds since the Unix epoch.
    func nowMilliseconds() -> Int64
}

/// The system's real-time clock.
public struct SystemClock: StoreClock {
    /// Creates the clock.
    public init() {}

    /// Milliseconds since the Unix epoch, from `clock_gettime(CLOCK_REALTIME)`.
    public func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
