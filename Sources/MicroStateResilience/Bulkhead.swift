import Synchronization

/// A semaphore bulkhead: at most `maxConcurrentCalls` calls to one destination at a time, the rest rejected at
/// once (resilience4j `SemaphoreBulkhead` with `maxWaitDuration` 0).
///
/// Give each class of call its own bulkhead (point reads, scans, writes, admin) so a flood of one cannot starve the
/// others; health checks should bypass bulkheads altogether.
public struct Bulkhead: Hashable, Sendable {
    /// resilience4j's default `maxConcurrentCalls`.
    public static let defaultMaxConcurrentCalls = 25

    /// The limit; at least 1.
    public let maxConcurrentCalls: Int
    /// Calls currently inside.
    public private(set) var inFlight = 0
    /// Calls rejected because the bulkhead was full, since creation.
    public private(set) var rejected: UInt64 = 0
    /// Calls let in, since creation.
    public private(set) var entered: UInt64 = 0

    /// Creates an empty bulkhead.
    public init(maxConcurrentCalls: Int = Self.defaultMaxConcurrentCalls) {
        precondition(maxConcurrentCalls >= 1, "maxConcurrentCalls must be at least 1")
        self.maxConcurrentCalls = maxConcurrentCalls
    }

    /// Lets a call in if there is room; counts a rejection otherwise.
    ///
    /// - Important: every `true` must be paired with exactly one `leave()`.
    public mutating func tryEnter() -> Bool {
        guard self.inFlight < self.maxConcurrentCalls else {
            self.rejected &+= 1
            return false
        }
        self.inFlight += 1
        self.entered &+= 1
        return true
    }

    /// A call that entered has finished.
    public mutating func leave() {
        precondition(self.inFlight > 0, "Bulkhead.leave() without a matching tryEnter()")
        self.inFlight -= 1
    }
}

/// A `Bulkhead` shared by many threads, behind a mutex.
@available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, visionOS 2.0, *)
public final class SharedBulkhead: Sendable {
    private let bulkhead: Mutex<Bulkhead>

    /// Creates an empty bulkhead.
    public init(maxConcurrentCalls: Int = Bulkhead.defaultMaxConcurrentCalls) {
        self.bulkhead = Mutex(Bulkhead(maxConcurrentCalls: maxConcurrentCalls))
    }

    /// `Bulkhead.tryEnter()` under the lock.
    public func tryEnter() -> Bool {
        self.bulkhead.withLock { $0.tryEnter() }
    }

    /// `Bulkhead.leave()` under the lock.
    public func leave() {
        self.bulkhead.withLock { $0.leave() }
    }

    /// A copy of the current counters.
    public var snapshot: Bulkhead {
        self.bulkhead.withLock { $0 }
    }
}
