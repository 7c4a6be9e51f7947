import Synchronization

/// One `CircuitBreaker` shared by many threads (event loops calling the same destination), behind a mutex.
///
/// Every method takes the lock once for the duration of the corresponding `CircuitBreaker` event, which is
/// allocation-free and a few tens of nanoseconds; the lock is never held across I/O.
@available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, visionOS 2.0, *)
public final class SharedCircuitBreaker: Sendable {
    private let breaker: Mutex<CircuitBreaker>

    /// Wraps `breaker`.
    public init(_ breaker: CircuitBreaker) {
        self.breaker = Mutex(breaker)
    }

    /// `CircuitBreaker.tryAcquirePermission(now:)` under the lock.
    public func tryAcquirePermission(now: UInt64) -> CircuitBreakerDecision {
        self.breaker.withLock { $0.tryAcquirePermission(now: now) }
    }

    /// `CircuitBreaker.onResult(code:duration:now:)` under the lock.
    public func onResult(code: Int, duration: UInt64, now: UInt64) -> CircuitBreakerAction {
        self.breaker.withLock { $0.onResult(code: code, duration: duration, now: now) }
    }

    /// `CircuitBreaker.release()` under the lock.
    public func release() {
        self.breaker.withLock { $0.release() }
    }

    /// `CircuitBreaker.advance(now:)` under the lock.
    public func advance(now: UInt64) -> CircuitBreakerAction {
        self.breaker.withLock { $0.advance(now: now) }
    }

    /// The current state.
    public var state: CircuitBreakerState {
        self.breaker.withLock { $0.state }
    }

    /// The current metrics.
    public var metrics: CircuitBreakerMetrics {
        self.breaker.withLock { $0.metrics }
    }

    /// Runs `body` with exclusive access to the breaker, for manual transitions and several events in one step.
    ///
    /// - Important: `body` must not block or do I/O; every other user of the breaker waits for it.
    public func withBreaker<Result>(_ body: (inout CircuitBreaker) -> Result) -> Result {
        self.breaker.withLock { body(&$0) }
    }
}
