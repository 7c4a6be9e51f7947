/// The outcome counts of a `CallWindow`.
@usableFromInline
struct CallCounts: Sendable {
    @usableFromInline var calls: UInt32 = 0
    @usableFromInline var failed: UInt32 = 0
    @usableFromInline var slow: UInt32 = 0
    @usableFromInline var slowFailed: UInt32 = 0

    @usableFromInline
    init() {}
}

/// A sliding window of call outcomes with O(1) record and subtract-on-evict, resilience4j's
/// `FixedSizeSlidingWindowMetrics` (count) and `SlidingTimeWindowMetrics` (time) in one struct.
///
/// Storage is allocated once at init and never grows; `record` and `reset` never allocate as long as the window is
/// uniquely referenced (it lives inside one `CircuitBreaker`). One struct rather than an enum with payloads, so a
/// mutation never copies the storage out of an enum case.
@usableFromInline
struct CallWindow: Sendable {
    /// Outcome flags of a count window's slot.
    @usableFromInline static let present: UInt8 = 1
    @usableFromInline static let failure: UInt8 = 2
    @usableFromInline static let slow: UInt8 = 4

    @usableFromInline let isTimeBased: Bool
    @usableFromInline let size: Int
    /// Count window: one flag byte per call slot. Empty for a time window.
    @usableFromInline var slots: ContiguousArray<UInt8>
    /// Time window: one aggregate per second, indexed by `epochSecond % size`. Empty for a count window.
    @usableFromInline var buckets: ContiguousArray<CallCounts>
    /// Count window: the next slot to write.
    @usableFromInline var head = 0
    /// Time window: the second of the newest bucket.
    @usableFromInline var latestSecond: UInt64 = 0
    /// The sum over the window.
    @usableFromInline var total = CallCounts()

    init(countBased size: Int) {
        precondition(size >= 1)
        self.isTimeBased = false
        self.size = size
        self.slots = ContiguousArray(repeating: 0, count: size)
        self.buckets = []
    }

    init(timeBased seconds: Int) {
        precondition(seconds >= 1)
        self.isTimeBased = true
        self.size = seconds
        self.slots = []
        self.buckets = ContiguousArray(repeating: CallCounts(), count: seconds)
    }

    init(_ window: CircuitBreakerSlidingWindow) {
        switch window {
        case .countBased(let size): self.init(countBased: size)
        case .timeBased(let seconds): self.init(timeBased: seconds)
        }
    }

    /// Empties the window in place (O(size), on state transitions only).
    @usableFromInline
    mutating func reset() {
        for index in self.slots.indices {
            self.slots[index] = 0
        }
        for index in self.buckets.indices {
            self.buckets[index] = CallCounts()
        }
        self.head = 0
        self.total = CallCounts()
    }

    /// Records one call outcome at `now` (nanoseconds; used by time windows only).
    @inlinable
    mutating func record(failure: Bool, slow: Bool, now: UInt64) {
        if self.isTimeBased {
            self.advance(now: now)
            let index = Int(self.latestSecond % UInt64(self.size))
            self.buckets[index].calls &+= 1
            if failure { self.buckets[index].failed &+= 1 }
            if slow { self.buckets[index].slow &+= 1 }
            if failure && slow { self.buckets[index].slowFailed &+= 1 }
        } else {
            let evicted = self.slots[self.head]
            if evicted & Self.present != 0 {
                self.total.calls &-= 1
                if evicted & Self.failure != 0 { self.total.failed &-= 1 }
                if evicted & Self.slow != 0 { self.total.slow &-= 1 }
                if evicted & (Self.failure | Self.slow) == (Self.failure | Self.slow) { self.total.slowFailed &-= 1 }
            }
            self.slots[self.head] = Self.present | (failure ? Self.failure : 0) | (slow ? Self.slow : 0)
            self.head = self.head + 1 == self.size ? 0 : self.head + 1
        }
        self.total.calls &+= 1
        if failure { self.total.failed &+= 1 }
        if slow { self.total.slow &+= 1 }
        if failure && slow { self.total.slowFailed &+= 1 }
    }

    /// Time window: clears the buckets of the seconds that left the window by `now`. A clock reading older than the
    /// newest bucket counts into the newest bucket.
    @inlinable
    mutating func advance(now: UInt64) {
        guard self.isTimeBased else {
            return
        }
        let second = now / 1_000_000_000
        guard second > self.latestSecond else {
            return
        }
        if second - self.latestSecond >= UInt64(self.size) {
            self.reset()
        } else {
            // Bounded by `size` iterations: the gap is smaller than the window.
            var passing = self.latestSecond + 1
            while passing <= second {
                let index = Int(passing % UInt64(self.size))
                let old = self.buckets[index]
                self.total.calls &-= old.calls
                self.total.failed &-= old.failed
                self.total.slow &-= old.slow
                self.total.slowFailed &-= old.slowFailed
                self.buckets[index] = CallCounts()
                passing += 1
            }
        }
        self.latestSecond = second
    }
}
