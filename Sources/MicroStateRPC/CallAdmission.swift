import Atomics
import MicroStateResilience
import NIOConcurrencyHelpers
import NIOCore

/// Server-side load shedding for one event loop: a `LoadShedder` (bounded in-flight calls, a bounded FIFO queue
/// with a per-entry time limit) driven by the unary calls of that loop's connections.
///
/// A unary call asks when its request is complete: it runs now, waits in the queue (its handler has not run; it
/// starts when a running call finishes), or is refused at once with RESOURCE_EXHAUSTED and
/// `grpc-retry-pushback-ms` (gRFC A6: clients wait that long; RESOURCE_EXHAUSTED rather than UNAVAILABLE so that
/// Envoy's outlier detection does not eject a node for shedding). A queued call that waits `maxQueueTime` is
/// refused the same way. Streaming calls are not subject to it: their count is bounded by
/// `maxConcurrentStreams`, `--max-subscriptions` and the watcher limit instead.
///
/// One per event loop, so deciding takes no lock: the configured limits are divided among the loops.
/// Loop-bound; the counters are atomics so `/metrics` can read them from anywhere.
final class CallAdmission {
    private var shedder: LoadShedder
    private let eventLoop: any EventLoop
    /// Queued calls by ticket id.
    private var waiting: [UInt64: ServerCall] = [:]
    private var timer: Scheduled<Void>?
    private var timerDeadline: UInt64 = .max
    private var pumping = false
    let counters: CallAdmissionCounters

    enum Decision {
        case run
        case wait(LoadShedderTicket)
        case reject(pushbackMilliseconds: UInt64)
    }

    init(configuration: LoadShedderConfiguration, eventLoop: any EventLoop, counters: CallAdmissionCounters) {
        self.shedder = LoadShedder(configuration: configuration)
        self.eventLoop = eventLoop
        self.counters = counters
    }

    private static func now() -> UInt64 {
        NIODeadline.now().uptimeNanoseconds
    }

    /// A unary call's request is complete; `call` is kept if it has to wait.
    func arrive(_ call: ServerCall) -> Decision {
        switch self.shedder.arrive(now: Self.now()) {
        case .admit:
            self.counters.running.wrappingIncrement(ordering: .relaxed)
            return .run
        case .queue(let ticket):
            self.waiting[ticket.id] = call
            self.counters.queued.wrappingIncrement(ordering: .relaxed)
            self.counters.waiting.wrappingIncrement(ordering: .relaxed)
            self.armTimer()
            return .wait(ticket)
        case .reject(let pushback):
            self.counters.rejected.wrappingIncrement(ordering: .relaxed)
            return .reject(pushbackMilliseconds: pushback)
        }
    }

    /// A running call ended after `serviceTime`: its slot goes to the oldest queued call, if any.
    func finished(serviceTime: TimeAmount) {
        self.counters.running.wrappingDecrement(ordering: .relaxed)
        self.shedder.finish(serviceTime: UInt64(max(serviceTime.nanoseconds, 0)))
        self.pump()
    }

    /// A queued call went away before it started (client cancel, deadline).
    func cancel(_ ticket: LoadShedderTicket) {
        if self.shedder.cancel(ticket) {
            self.waiting[ticket.id] = nil
            self.counters.waiting.wrappingDecrement(ordering: .relaxed)
        }
    }

    /// Starts queued calls while slots are free; refuses those that waited too long. Not reentrant: a started
    /// call that completes at once calls `finished` from inside this loop, which only frees its slot for the
    /// loop to hand on (no recursion through a long queue).
    private func pump() {
        guard !self.pumping else { return }
        self.pumping = true
        defer { self.pumping = false }
        while let action = self.shedder.nextAction(now: Self.now()) {
            switch action {
            case .start(let ticket):
                guard let call = self.waiting.removeValue(forKey: ticket.id) else { continue }
                self.counters.waiting.wrappingDecrement(ordering: .relaxed)
                self.counters.running.wrappingIncrement(ordering: .relaxed)
                call.admissionStarted()
            case .timeOut(let ticket):
                guard let call = self.waiting.removeValue(forKey: ticket.id) else { continue }
                self.counters.waiting.wrappingDecrement(ordering: .relaxed)
                self.counters.timedOut.wrappingIncrement(ordering: .relaxed)
                call.admissionTimedOut(pushbackMilliseconds: self.shedder.pushbackMilliseconds())
            }
        }
        self.armTimer()
    }

    private func armTimer() {
        guard let expiry = self.shedder.nextExpiry else {
            self.timer?.cancel()
            self.timer = nil
            self.timerDeadline = .max
            return
        }
        guard expiry < self.timerDeadline || self.timer == nil else { return }
        self.timer?.cancel()
        self.timerDeadline = expiry
        self.timer = self.eventLoop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(expiry)) {
            self.timer = nil
            self.timerDeadline = .max
            self.pump()
        }
    }
}

/// Load-shedding counters of one server, summed over its event loops.
final class CallAdmissionCounters: Sendable {
    let running = ManagedAtomic<Int>(0)
    let waiting = ManagedAtomic<Int>(0)
    let queued = ManagedAtomic<UInt64>(0)
    let rejected = ManagedAtomic<UInt64>(0)
    let timedOut = ManagedAtomic<UInt64>(0)

    var snapshot: LoadSheddingMetrics {
        LoadSheddingMetrics(
            running: self.running.load(ordering: .relaxed),
            waiting: self.waiting.load(ordering: .relaxed),
            queuedTotal: self.queued.load(ordering: .relaxed),
            rejectedTotal: self.rejected.load(ordering: .relaxed),
            timedOutTotal: self.timedOut.load(ordering: .relaxed)
        )
    }
}

/// A snapshot of a server's load shedding.
public struct LoadSheddingMetrics: Sendable, Equatable {
    /// Unary calls running now (admitted, not finished).
    public var running: Int
    /// Unary calls waiting in the queues now.
    public var waiting: Int
    /// Calls that had to wait, since start.
    public var queuedTotal: UInt64
    /// Calls refused at once because the queue was full.
    public var rejectedTotal: UInt64
    /// Calls refused after waiting the longest queue time.
    public var timedOutTotal: UInt64
}

/// The per-loop `CallAdmission`s of one server, created on first use by each loop.
final class CallAdmissions: Sendable {
    private let configuration: LoadShedderConfiguration
    private let admissions = NIOLockedValueBox<[ObjectIdentifier: CallAdmissionBox]>([:])
    let counters = CallAdmissionCounters()

    /// - Parameter loops: how many event loops share the limits.
    init(configuration: LoadShedderConfiguration, loops: Int) {
        var perLoop = configuration
        let loops = max(loops, 1)
        perLoop.maxInFlight = max(1, configuration.maxInFlight / loops)
        perLoop.maxQueueLength = configuration.maxQueueLength / loops
        self.configuration = perLoop
    }

    /// The admission of `loop` (created by its first connection).
    func admission(for loop: any EventLoop) -> CallAdmission {
        self.admissions.withLockedValue { admissions in
            if let box = admissions[ObjectIdentifier(loop)] {
                return box.admission
            }
            let admission = CallAdmission(configuration: self.configuration, eventLoop: loop, counters: self.counters)
            admissions[ObjectIdentifier(loop)] = CallAdmissionBox(admission: admission)
            return admission
        }
    }
}

/// Carries a loop-bound `CallAdmission` in the lock-protected table; only its own loop uses it.
private struct CallAdmissionBox: @unchecked Sendable {
    let admission: CallAdmission
}
