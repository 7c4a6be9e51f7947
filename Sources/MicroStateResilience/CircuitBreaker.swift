/// What a `CircuitBreaker` event asks the caller to report (log, count, export); never I/O the breaker does.
public enum CircuitBreakerAction: Hashable, Sendable {
    /// Nothing changed.
    case none
    /// The state changed (resilience4j `onStateTransition`). Manual transitions report `from == to` too, as
    /// resilience4j's X_TO_X transitions do; they also clear the window.
    case transition(from: CircuitBreakerState, to: CircuitBreakerState)
    /// In `metricsOnly`, a recorded outcome made the rates reach a threshold (resilience4j
    /// `onFailureRateExceeded` / `onSlowCallRateExceeded`). Reported once per crossing, again only after the rates
    /// fell below the thresholds.
    case thresholdsExceeded(failureRate: Double, slowCallRate: Double)
    /// `reset(now:)` cleared the breaker back to `closed` (resilience4j `onReset`).
    case reset(from: CircuitBreakerState)
}

/// The answer to `CircuitBreaker.tryAcquirePermission(now:)`.
public struct CircuitBreakerDecision: Hashable, Sendable {
    /// Whether the call may go ahead. A permitted call must be followed by exactly one `onResult` or `release`.
    public var isPermitted: Bool
    /// For a rejection in `open`: nanoseconds until a call attempt will be let through as a trial. Nil when
    /// permitted, and for rejections with no known end (`forcedOpen`, `halfOpen` with every trial permit taken).
    public var retryAfter: UInt64?
    /// A transition this attempt caused (`open` → `halfOpen` after the wait, or the end of `halfOpen` after
    /// `maxWaitDurationInHalfOpenState`), else `.none`.
    public var action: CircuitBreakerAction

    /// Creates a decision.
    public init(isPermitted: Bool, retryAfter: UInt64?, action: CircuitBreakerAction) {
        self.isPermitted = isPermitted
        self.retryAfter = retryAfter
        self.action = action
    }
}

/// A snapshot of a breaker's rates and counters.
public struct CircuitBreakerMetrics: Hashable, Sendable {
    /// Failed calls in the current window, in percent; −1 below the minimum number of calls (resilience4j).
    public var failureRate: Double
    /// Slow calls in the current window, in percent; −1 below the minimum number of calls.
    public var slowCallRate: Double
    /// Calls in the current window (the `halfOpen` trial window while half-open).
    public var bufferedCalls: Int
    /// Failed calls in the current window.
    public var failedCalls: Int
    /// Slow calls (successful or failed) in the current window.
    public var slowCalls: Int
    /// Calls rejected since the breaker was created or reset.
    public var notPermittedCalls: UInt64
    /// Calls recorded as successes since the breaker was created or reset.
    public var successfulCallsTotal: UInt64
    /// Calls recorded as failures since the breaker was created or reset.
    public var failedCallsTotal: UInt64
    /// Calls whose outcome was ignored since the breaker was created or reset.
    public var ignoredCallsTotal: UInt64
}

/// A circuit breaker with resilience4j's semantics, as a value-type state machine: events in (`tryAcquirePermission`,
/// `onResult`, `release`, manual transitions), decisions and `CircuitBreakerAction`s out. The caller owns the clock
/// (monotonic nanoseconds passed into every event) and the randomness (a uniform [0, 1) source for the jitter of
/// `CircuitBreakerWaitDuration.exponential`).
///
/// States (resilience4j `CircuitBreaker.State`):
/// - `closed`: every call is permitted; outcomes go into the sliding window. Once the window holds at least the
///   minimum number of calls, a failure rate ≥ `failureRateThreshold` or a slow-call rate ≥
///   `slowCallRateThreshold` moves to `open`.
/// - `open`: calls are rejected with the time left. The first attempt at or after the end of the wait moves to
///   `halfOpen` and takes a trial permit (or `advance(now:)` does, with automatic transition enabled).
/// - `halfOpen`: `permittedNumberOfCallsInHalfOpenState` trial calls are permitted, the rest rejected. Once all
///   trial outcomes are in, rates at or above a threshold move to `open` (with a longer wait if exponential),
///   otherwise to `closed`. With `maxWaitDurationInHalfOpenState` > 0, the state ends after that long anyway.
/// - `disabled`: always permits, records nothing. `forcedOpen`: always rejects. `metricsOnly`: always permits,
///   records, and reports `thresholdsExceeded` instead of opening. None of these three changes on its own; only
///   manual transitions leave them.
///
/// Outcomes: `onResult(code:duration:now:)` classifies a gRPC status code with the configuration's
/// `ignoredCodes` (neither success nor failure) and `failureCodes`; every other code, `OK` included, is a success.
/// A call longer than `slowCallDurationThreshold` is also slow. Results of calls that started in an earlier state
/// (a late result in `open`) are counted in the totals but do not move the state.
///
/// Decisions do not allocate: the windows are allocated at init and reused across transitions, and no event builds
/// an array or boxes an existential. A copy of a breaker is an independent breaker (its storage is copied on the
/// copy's first write).
///
/// Falling back: on a rejection, do not send; answer locally, e.g. with `UNAVAILABLE` and the `retryAfter` as a
/// `grpc-retry-pushback-ms` hint, a cached value, or another replica:
///
/// ```swift
/// let decision = breaker.tryAcquirePermission(now: clock.now)
/// log(decision.action)
/// guard decision.isPermitted else { return fallback(retryAfter: decision.retryAfter) }
/// let status = send(request)          // exactly one of onResult or release follows a permit
/// log(breaker.onResult(code: status.code, duration: clock.now - start, now: clock.now))
/// ```
///
/// - Important: a breaker is not thread-safe; share one between event loops through `SharedCircuitBreaker`.
public struct CircuitBreaker: Sendable {
    /// The configuration, validated at init.
    public let configuration: CircuitBreakerConfiguration
    /// The current state.
    public private(set) var state: CircuitBreakerState
    /// When the current state was entered (nanoseconds).
    public private(set) var stateEnteredAt: UInt64
    /// In `open`: when a call attempt will be let through as a trial (nanoseconds).
    public private(set) var openUntil: UInt64 = 0
    /// Consecutive openings since the breaker was last `closed` (drives the exponential wait).
    public private(set) var openAttempts = 0

    @usableFromInline var window: CallWindow
    @usableFromInline var trialWindow: CallWindow
    @usableFromInline var trialPermitsLeft = 0
    @usableFromInline var thresholdsReported = false
    @usableFromInline var notPermittedCalls: UInt64 = 0
    @usableFromInline var successfulCallsTotal: UInt64 = 0
    @usableFromInline var failedCallsTotal: UInt64 = 0
    @usableFromInline var ignoredCallsTotal: UInt64 = 0
    @usableFromInline let minimumCalls: Int
    @usableFromInline let random: @Sendable () -> Double

    /// Creates a breaker in `initialState` (default `closed`) at `now`.
    ///
    /// - Parameters:
    ///   - random: a uniform value in [0, 1) per call; read only when the breaker opens with an exponential wait.
    ///     Tests inject a constant; the default is the system generator.
    public init(
        configuration: CircuitBreakerConfiguration = CircuitBreakerConfiguration(),
        initialState: CircuitBreakerState = .closed,
        now: UInt64,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        configuration.validate()
        self.configuration = configuration
        self.state = .closed
        self.stateEnteredAt = now
        self.window = CallWindow(configuration.slidingWindow)
        self.trialWindow = CallWindow(countBased: configuration.permittedNumberOfCallsInHalfOpenState)
        switch configuration.slidingWindow {
        case .countBased(let size): self.minimumCalls = min(configuration.minimumNumberOfCalls, size)
        case .timeBased: self.minimumCalls = configuration.minimumNumberOfCalls
        }
        self.random = random
        if initialState != .closed {
            _ = self.enter(initialState, now: now)
        }
    }

    // MARK: Events

    /// Asks whether a call may start at `now`; see the type's documentation for each state's answer.
    ///
    /// - Important: a permitted call must be followed by exactly one `onResult` or, if it was never executed,
    ///   `release`; otherwise a `halfOpen` trial permit is lost.
    public mutating func tryAcquirePermission(now: UInt64) -> CircuitBreakerDecision {
        var action = self.expireHalfOpenIfDue(now: now)
        switch self.state {
        case .closed, .disabled, .metricsOnly:
            return CircuitBreakerDecision(isPermitted: true, retryAfter: nil, action: action)
        case .forcedOpen:
            self.notPermittedCalls &+= 1
            return CircuitBreakerDecision(isPermitted: false, retryAfter: nil, action: action)
        case .open:
            guard now >= self.openUntil else {
                self.notPermittedCalls &+= 1
                return CircuitBreakerDecision(isPermitted: false, retryAfter: self.openUntil - now, action: action)
            }
            action = self.enter(.halfOpen, now: now)
            return self.acquireTrialPermit(action: action)
        case .halfOpen:
            return self.acquireTrialPermit(action: action)
        }
    }

    /// Records the outcome of a permitted call: its gRPC status `code` (0…16) and how long it took.
    ///
    /// Returns the transition or threshold report it caused, if any.
    public mutating func onResult(code: Int, duration: UInt64, now: UInt64) -> CircuitBreakerAction {
        let expired = self.expireHalfOpenIfDue(now: now)
        if expired != .none {
            // The trial period ended before this result; it belongs to the state that is gone.
            return expired
        }
        if self.configuration.ignoredCodes.contains(code) {
            self.ignoredCallsTotal &+= 1
            if self.state == .halfOpen {
                self.releaseTrialPermit()
            }
            return .none
        }
        let failure = self.configuration.failureCodes.contains(code)
        let slow = duration > self.configuration.slowCallDurationThreshold
        if failure {
            self.failedCallsTotal &+= 1
        } else {
            self.successfulCallsTotal &+= 1
        }
        switch self.state {
        case .disabled, .open, .forcedOpen:
            return .none
        case .closed:
            self.window.record(failure: failure, slow: slow, now: now)
            if self.exceedsThresholds(self.window, minimumCalls: self.minimumCalls) == true {
                return self.enter(.open, now: now)
            }
            return .none
        case .metricsOnly:
            self.window.record(failure: failure, slow: slow, now: now)
            let exceeded = self.exceedsThresholds(self.window, minimumCalls: self.minimumCalls)
            if exceeded == true && !self.thresholdsReported {
                self.thresholdsReported = true
                let rates = self.rates(self.window, minimumCalls: self.minimumCalls)
                return .thresholdsExceeded(failureRate: rates.failure, slowCallRate: rates.slow)
            }
            if exceeded == false {
                self.thresholdsReported = false
            }
            return .none
        case .halfOpen:
            self.trialWindow.record(failure: failure, slow: slow, now: now)
            let permitted = self.configuration.permittedNumberOfCallsInHalfOpenState
            switch self.exceedsThresholds(self.trialWindow, minimumCalls: permitted) {
            case true?: return self.enter(.open, now: now)
            case false?: return self.enter(.closed, now: now)
            case nil: return .none
            }
        }
    }

    /// Gives back the permission of a call that was permitted but never executed (resilience4j
    /// `releasePermission`): in `halfOpen` the trial permit becomes available again; elsewhere nothing happens.
    public mutating func release() {
        if self.state == .halfOpen {
            self.releaseTrialPermit()
        }
    }

    /// Applies the transitions due by `now` without a call: the end of `halfOpen` after
    /// `maxWaitDurationInHalfOpenState`, and, with `automaticTransitionFromOpenToHalfOpenEnabled`, `open` →
    /// `halfOpen` after the wait. Drive it from a timer at `nextTimedTransition`.
    public mutating func advance(now: UInt64) -> CircuitBreakerAction {
        let expired = self.expireHalfOpenIfDue(now: now)
        if expired != .none {
            return expired
        }
        if self.state == .open && self.configuration.automaticTransitionFromOpenToHalfOpenEnabled
            && now >= self.openUntil
        {
            return self.enter(.halfOpen, now: now)
        }
        if self.state == .closed || self.state == .metricsOnly {
            self.window.advance(now: now)
        }
        return .none
    }

    /// When `advance(now:)` would next change the state, or nil if only calls can.
    public var nextTimedTransition: UInt64? {
        switch self.state {
        case .open where self.configuration.automaticTransitionFromOpenToHalfOpenEnabled:
            return self.openUntil
        case .halfOpen where self.configuration.maxWaitDurationInHalfOpenState > 0:
            return self.stateEnteredAt &+ self.configuration.maxWaitDurationInHalfOpenState
        default:
            return nil
        }
    }

    // MARK: Manual transitions (resilience4j `transitionTo…State`)

    /// Moves to `closed` with an empty window.
    public mutating func transitionToClosedState(now: UInt64) -> CircuitBreakerAction {
        self.enter(.closed, now: now)
    }

    /// Moves to `open`, counting as one more consecutive opening.
    public mutating func transitionToOpenState(now: UInt64) -> CircuitBreakerAction {
        self.enter(.open, now: now)
    }

    /// Moves to `halfOpen` with all trial permits available.
    public mutating func transitionToHalfOpenState(now: UInt64) -> CircuitBreakerAction {
        self.enter(.halfOpen, now: now)
    }

    /// Moves to `disabled`: every call permitted, nothing recorded, until another manual transition.
    public mutating func transitionToDisabledState(now: UInt64) -> CircuitBreakerAction {
        self.enter(.disabled, now: now)
    }

    /// Moves to `forcedOpen`: every call rejected, until another manual transition.
    public mutating func transitionToForcedOpenState(now: UInt64) -> CircuitBreakerAction {
        self.enter(.forcedOpen, now: now)
    }

    /// Moves to `metricsOnly`: every call permitted and recorded, threshold crossings reported, no transitions.
    public mutating func transitionToMetricsOnlyState(now: UInt64) -> CircuitBreakerAction {
        self.enter(.metricsOnly, now: now)
    }

    /// Returns to `closed` with an empty window and zeroed counters (resilience4j `reset()`).
    public mutating func reset(now: UInt64) -> CircuitBreakerAction {
        let from = self.state
        _ = self.enter(.closed, now: now)
        self.notPermittedCalls = 0
        self.successfulCallsTotal = 0
        self.failedCallsTotal = 0
        self.ignoredCallsTotal = 0
        return .reset(from: from)
    }

    // MARK: Metrics

    /// The rates and counts of the current window (as of the last recorded event) and the lifetime counters.
    public var metrics: CircuitBreakerMetrics {
        let halfOpen = self.state == .halfOpen
        let window = halfOpen ? self.trialWindow : self.window
        let minimum = halfOpen ? self.configuration.permittedNumberOfCallsInHalfOpenState : self.minimumCalls
        let rates = self.rates(window, minimumCalls: minimum)
        return CircuitBreakerMetrics(
            failureRate: rates.failure,
            slowCallRate: rates.slow,
            bufferedCalls: Int(window.total.calls),
            failedCalls: Int(window.total.failed),
            slowCalls: Int(window.total.slow),
            notPermittedCalls: self.notPermittedCalls,
            successfulCallsTotal: self.successfulCallsTotal,
            failedCallsTotal: self.failedCallsTotal,
            ignoredCallsTotal: self.ignoredCallsTotal
        )
    }

    // MARK: Internals

    /// Nil below the minimum number of calls, else whether a rate reached its threshold.
    @usableFromInline
    func exceedsThresholds(_ window: CallWindow, minimumCalls: Int) -> Bool? {
        let rates = self.rates(window, minimumCalls: minimumCalls)
        guard rates.failure >= 0 else {
            return nil
        }
        return rates.failure >= self.configuration.failureRateThreshold
            || rates.slow >= self.configuration.slowCallRateThreshold
    }

    @usableFromInline
    func rates(_ window: CallWindow, minimumCalls: Int) -> (failure: Double, slow: Double) {
        let calls = window.total.calls
        guard calls > 0 && Int(calls) >= minimumCalls else {
            return (-1, -1)
        }
        return (Double(window.total.failed) * 100 / Double(calls), Double(window.total.slow) * 100 / Double(calls))
    }

    mutating func acquireTrialPermit(action: CircuitBreakerAction) -> CircuitBreakerDecision {
        guard self.trialPermitsLeft > 0 else {
            self.notPermittedCalls &+= 1
            return CircuitBreakerDecision(isPermitted: false, retryAfter: nil, action: action)
        }
        self.trialPermitsLeft -= 1
        return CircuitBreakerDecision(isPermitted: true, retryAfter: nil, action: action)
    }

    mutating func releaseTrialPermit() {
        // Bounded: never more permits than configured, whatever the caller releases.
        let permitted = self.configuration.permittedNumberOfCallsInHalfOpenState
        let outstanding = permitted - self.trialPermitsLeft - Int(self.trialWindow.total.calls)
        if outstanding > 0 {
            self.trialPermitsLeft += 1
        }
    }

    mutating func expireHalfOpenIfDue(now: UInt64) -> CircuitBreakerAction {
        let maxWait = self.configuration.maxWaitDurationInHalfOpenState
        guard self.state == .halfOpen, maxWait > 0, now >= self.stateEnteredAt &+ maxWait else {
            return .none
        }
        return self.enter(self.configuration.stateAfterMaxWaitInHalfOpenState, now: now)
    }

    /// Enters `state`, preparing its bookkeeping; transitions reuse the storage allocated at init.
    mutating func enter(_ state: CircuitBreakerState, now: UInt64) -> CircuitBreakerAction {
        let from = self.state
        switch state {
        case .closed, .metricsOnly, .disabled:
            self.window.reset()
            self.openAttempts = 0
            self.thresholdsReported = false
        case .open:
            self.openAttempts += 1
            let wait = self.configuration.waitDurationInOpenState.nanoseconds(
                attempt: self.openAttempts,
                random: self.random()
            )
            self.openUntil = now &+ wait
        case .halfOpen:
            self.trialWindow.reset()
            self.trialPermitsLeft = self.configuration.permittedNumberOfCallsInHalfOpenState
        case .forcedOpen:
            break
        }
        self.state = state
        self.stateEnteredAt = now
        return .transition(from: from, to: state)
    }
}
