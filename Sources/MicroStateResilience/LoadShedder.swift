/// The limits of a `LoadShedder`.
public struct LoadShedderConfiguration: Hashable, Sendable {
    /// Largest accepted `maxQueueLength`; the queue is allocated at init (16 bytes per entry, 16 MB at the limit).
    public static let maxQueueLengthLimit = 1_000_000

    /// Calls executing at once; at least 1. Default 64 (a few per core plus slack for calls waiting on the log).
    public var maxInFlight: Int = 64
    /// Calls waiting for a slot; 0 disables queueing. Default 128 (two full rounds of `maxInFlight`): enough to
    /// absorb a burst, short enough that a queued call still starts within a couple of service times.
    public var maxQueueLength: Int = 128
    /// The longest a call may wait in the queue before it is timed out (answered without running). Default 100 ms:
    /// a caller with a typical 1 s deadline still has time to retry elsewhere.
    public var maxQueueTime: UInt64 = 100_000_000
    /// Smallest pushback suggested on a rejection. Default 10 ms.
    public var minPushbackMilliseconds: UInt64 = 10
    /// Largest pushback suggested on a rejection. Default 1000 ms.
    public var maxPushbackMilliseconds: UInt64 = 1000

    /// The defaults above.
    public init() {}
}

/// A queued call's handle; the RPC layer keeps it with the call to match `LoadShedderAction`s.
public struct LoadShedderTicket: Hashable, Sendable {
    /// Unique per shedder, increasing; never 0.
    public let id: UInt64
}

/// The answer to `LoadShedder.arrive(now:)`.
public enum LoadShedderAdmission: Hashable, Sendable {
    /// Run the call now; call `finish(serviceTime:)` when it ends.
    case admit
    /// The call waits; it will get `.start(ticket)` or `.timeOut(ticket)` from `nextAction(now:)`.
    case queue(LoadShedderTicket)
    /// Shed: answer at once, without running the call, with `RESOURCE_EXHAUSTED` and a `grpc-retry-pushback-ms`
    /// of `pushbackMilliseconds` (UNAVAILABLE would trigger outlier ejection and default retry policies).
    case reject(pushbackMilliseconds: UInt64)
}

/// Work a `LoadShedder` hands to the RPC layer as slots free up and time passes.
public enum LoadShedderAction: Hashable, Sendable {
    /// A queued call may run now; call `finish(serviceTime:)` when it ends.
    case start(LoadShedderTicket)
    /// A queued call waited `maxQueueTime`; answer it like a rejection, without running it.
    case timeOut(LoadShedderTicket)
}

/// Server-side admission control as a value-type state machine: bounded in-flight calls plus a bounded FIFO wait
/// queue with a per-entry time limit; never unbounded queueing.
///
/// Events in: `arrive(now:)` for each new call, `finish(serviceTime:)` when a running call ends, `cancel(_:)` when a
/// queued caller goes away. Actions out: the admission, then `nextAction(now:)`, which the RPC layer calls until it
/// returns nil after every `finish` and at the timer `nextExpiry` (one event loop drives one shedder; nothing here
/// blocks, allocates after init, or reads a clock).
///
/// Pushback on rejection: the time the current queue, plus the rejected call, would take to drain at full
/// concurrency at the recently observed service time, `(queued + 1) · serviceTimeEstimate / maxInFlight`, clamped
/// to [`minPushbackMilliseconds`, `maxPushbackMilliseconds`]. The estimate is an exponentially weighted average of
/// `finish` service times (weight 1/8, as TCP's smoothed RTT); before the first sample it is `maxQueueTime`.
public struct LoadShedder: Sendable {
    /// The limits.
    public let configuration: LoadShedderConfiguration
    /// Calls running now.
    public private(set) var inFlight = 0
    /// Calls admitted at arrival, since creation.
    public private(set) var admitted: UInt64 = 0
    /// Calls queued at arrival, since creation.
    public private(set) var queued: UInt64 = 0
    /// Queued calls that later started, since creation.
    public private(set) var startedFromQueue: UInt64 = 0
    /// Calls rejected at arrival, since creation.
    public private(set) var shed: UInt64 = 0
    /// Queued calls that timed out, since creation.
    public private(set) var timedOut: UInt64 = 0
    /// Queued calls cancelled by their callers, since creation.
    public private(set) var cancelled: UInt64 = 0
    /// The smoothed service time in nanoseconds, 0 before the first `finish`.
    public private(set) var serviceTimeEstimate: UInt64 = 0

    private var ticketIDs: ContiguousArray<UInt64>
    private var enqueuedAt: ContiguousArray<UInt64>
    private var head = 0
    private var count = 0
    private var nextTicketID: UInt64 = 1

    /// Creates an idle shedder; the queue storage is allocated here, once.
    public init(configuration: LoadShedderConfiguration = LoadShedderConfiguration()) {
        precondition(configuration.maxInFlight >= 1, "maxInFlight must be at least 1")
        precondition(
            (0...LoadShedderConfiguration.maxQueueLengthLimit).contains(configuration.maxQueueLength),
            "maxQueueLength must be in 0...maxQueueLengthLimit"
        )
        precondition(configuration.minPushbackMilliseconds <= configuration.maxPushbackMilliseconds, "pushback range")
        self.configuration = configuration
        let capacity = max(configuration.maxQueueLength, 1)
        self.ticketIDs = ContiguousArray(repeating: 0, count: capacity)
        self.enqueuedAt = ContiguousArray(repeating: 0, count: capacity)
    }

    /// Calls waiting in the queue now.
    public var queueLength: Int {
        self.count
    }

    /// When the oldest queued call times out (the RPC layer's next timer), or nil with an empty queue.
    public var nextExpiry: UInt64? {
        self.count == 0 ? nil : self.enqueuedAt[self.head] &+ self.configuration.maxQueueTime
    }

    /// A new call arrived at `now`: admit it if a slot is free and nobody is queued ahead of it, queue it if there
    /// is room, reject it otherwise.
    public mutating func arrive(now: UInt64) -> LoadShedderAdmission {
        if self.inFlight < self.configuration.maxInFlight && self.count == 0 {
            self.inFlight += 1
            self.admitted &+= 1
            return .admit
        }
        guard self.count < self.configuration.maxQueueLength else {
            self.shed &+= 1
            return .reject(pushbackMilliseconds: self.pushbackMilliseconds())
        }
        let ticket = LoadShedderTicket(id: self.nextTicketID)
        self.nextTicketID += 1
        let tail = (self.head + self.count) % self.ticketIDs.count
        self.ticketIDs[tail] = ticket.id
        self.enqueuedAt[tail] = now
        self.count += 1
        self.queued &+= 1
        return .queue(ticket)
    }

    /// A running call (admitted, or started from the queue) ended after `serviceTime` nanoseconds; its slot is free.
    /// Follow with `nextAction(now:)` until nil.
    public mutating func finish(serviceTime: UInt64) {
        precondition(self.inFlight > 0, "LoadShedder.finish without a running call")
        self.inFlight -= 1
        if self.serviceTimeEstimate == 0 {
            self.serviceTimeEstimate = max(serviceTime, 1)
        } else {
            // estimate += (sample − estimate) / 8, in signed arithmetic.
            let estimate = Int64(clamping: self.serviceTimeEstimate)
            let updated = estimate + (Int64(clamping: serviceTime) - estimate) / 8
            self.serviceTimeEstimate = UInt64(max(updated, 1))
        }
    }

    /// Removes a queued call whose caller went away; false if it is not queued (already started or timed out).
    /// O(queue length), bounded by `maxQueueLength`.
    public mutating func cancel(_ ticket: LoadShedderTicket) -> Bool {
        let capacity = self.ticketIDs.count
        var offset = 0
        while offset < self.count && self.ticketIDs[(self.head + offset) % capacity] != ticket.id {
            offset += 1
        }
        guard offset < self.count else {
            return false
        }
        // Close the gap, keeping FIFO order.
        while offset + 1 < self.count {
            let to = (self.head + offset) % capacity
            let from = (self.head + offset + 1) % capacity
            self.ticketIDs[to] = self.ticketIDs[from]
            self.enqueuedAt[to] = self.enqueuedAt[from]
            offset += 1
        }
        self.count -= 1
        self.cancelled &+= 1
        return true
    }

    /// The next thing to do at `now`: time out the oldest queued call if it waited `maxQueueTime`, else start it if
    /// a slot is free; nil when there is nothing to do. Call repeatedly until nil.
    public mutating func nextAction(now: UInt64) -> LoadShedderAction? {
        guard self.count > 0 else {
            return nil
        }
        let ticket = LoadShedderTicket(id: self.ticketIDs[self.head])
        if now >= self.enqueuedAt[self.head] &+ self.configuration.maxQueueTime {
            self.popHead()
            self.timedOut &+= 1
            return .timeOut(ticket)
        }
        guard self.inFlight < self.configuration.maxInFlight else {
            return nil
        }
        self.popHead()
        self.inFlight += 1
        self.startedFromQueue &+= 1
        return .start(ticket)
    }

    /// The pushback suggested to a call rejected now; see the type's documentation.
    public func pushbackMilliseconds() -> UInt64 {
        let perCall = self.serviceTimeEstimate > 0 ? self.serviceTimeEstimate : self.configuration.maxQueueTime
        let drain = perCall.multipliedReportingOverflow(by: UInt64(self.count + 1))
        let nanoseconds = drain.overflow ? UInt64.max : drain.partialValue / UInt64(self.configuration.maxInFlight)
        let milliseconds = nanoseconds / 1_000_000 + (nanoseconds % 1_000_000 == 0 ? 0 : 1)
        let floor = self.configuration.minPushbackMilliseconds
        return min(max(milliseconds, floor), self.configuration.maxPushbackMilliseconds)
    }

    private mutating func popHead() {
        self.head = self.head + 1 == self.ticketIDs.count ? 0 : self.head + 1
        self.count -= 1
    }
}
