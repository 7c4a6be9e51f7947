import Testing

@testable import MicroStateResilience

private let second: UInt64 = 1_000_000_000
private let millisecond: UInt64 = 1_000_000
private let ok = 0
private let unavailable = 14
private let cancelled = 1
private let notFound = 5

/// A small breaker: count window `size`, minimum `minimum` calls, 50 % failure threshold, 5 s fixed wait, 3 trial
/// calls, 1 ms slow-call threshold at 100 %.
private func configuration(
    window: CircuitBreakerSlidingWindow = .countBased(size: 10),
    minimum: Int = 4,
    permitted: Int = 3
) -> CircuitBreakerConfiguration {
    var configuration = CircuitBreakerConfiguration()
    configuration.slidingWindow = window
    configuration.minimumNumberOfCalls = minimum
    configuration.permittedNumberOfCallsInHalfOpenState = permitted
    configuration.waitDurationInOpenState = .fixed(nanoseconds: 5 * second)
    configuration.slowCallDurationThreshold = millisecond
    return configuration
}

extension CircuitBreaker {
    /// One permitted call with `code`, asserting the permit; returns the result's action.
    mutating func call(_ code: Int, duration: UInt64 = 10_000, now: UInt64 = 0) -> CircuitBreakerAction {
        let decision = self.tryAcquirePermission(now: now)
        #expect(decision.isPermitted, "call at \(now) in \(self.state) was rejected")
        return self.onResult(code: code, duration: duration, now: now)
    }

    /// Opens a closed breaker built by `configuration()` with `minimum` failures at `now`.
    mutating func trip(now: UInt64, failures: Int = 4) {
        for _ in 0..<failures {
            _ = self.call(unavailable, now: now)
        }
        #expect(self.state == .open)
    }
}

@Suite("Circuit breaker")
struct CircuitBreakerTests {
    @Test("Defaults are resilience4j's CircuitBreakerConfig defaults")
    func defaults() {
        let configuration = CircuitBreakerConfiguration()
        #expect(configuration.failureRateThreshold == 50)
        #expect(configuration.slowCallRateThreshold == 100)
        #expect(configuration.slowCallDurationThreshold == 60 * second)
        #expect(configuration.slidingWindow == .countBased(size: 100))
        #expect(configuration.minimumNumberOfCalls == 100)
        #expect(configuration.permittedNumberOfCallsInHalfOpenState == 10)
        #expect(configuration.maxWaitDurationInHalfOpenState == 0)
        #expect(configuration.waitDurationInOpenState == .fixed(nanoseconds: 60 * second))
        #expect(configuration.automaticTransitionFromOpenToHalfOpenEnabled == false)
        #expect(configuration.failureCodes == [2, 4, 8, 13, 14, 15])
        #expect(configuration.ignoredCodes == [1])
        #expect(CircuitBreaker(now: 0).state == .closed)
    }

    @Test("A closed breaker opens when the failure rate reaches the threshold, never below the minimum calls")
    func opensOnFailureRate() {
        var breaker = CircuitBreaker(configuration: configuration(), now: 0)
        // Three failures: 100 %, but below the minimum of 4 calls.
        for _ in 0..<3 {
            #expect(breaker.call(unavailable) == .none)
        }
        #expect(breaker.state == .closed)
        #expect(breaker.metrics.failureRate == -1)
        // The fourth call, a success, makes 3/4 = 75 % ≥ 50 %.
        #expect(breaker.call(ok, now: 7) == .transition(from: .closed, to: .open))
        #expect(breaker.state == .open)
        #expect(breaker.openUntil == 7 + 5 * second)
    }

    @Test("A failure rate exactly at the threshold opens; just below it does not")
    func thresholdIsInclusive() {
        var below = CircuitBreaker(configuration: configuration(), now: 0)
        for code in [unavailable, ok, ok, ok, ok] {
            #expect(below.call(code) == .none)
        }
        #expect(below.state == .closed)
        #expect(below.metrics.failureRate == 20)
        var at = CircuitBreaker(configuration: configuration(), now: 0)
        for code in [unavailable, ok, ok] {
            #expect(at.call(code) == .none)
        }
        #expect(at.call(unavailable) == .transition(from: .closed, to: .open))
    }

    @Test("A closed breaker opens on the slow-call rate, counting only calls longer than the threshold")
    func opensOnSlowCallRate() {
        var slowConfiguration = configuration()
        slowConfiguration.slowCallRateThreshold = 50
        var breaker = CircuitBreaker(configuration: slowConfiguration, now: 0)
        // Exactly the threshold is not slow.
        for _ in 0..<4 {
            #expect(breaker.call(ok, duration: millisecond) == .none)
        }
        #expect(breaker.metrics.slowCallRate == 0)
        #expect(breaker.call(ok, duration: millisecond + 1) == .none)
        #expect(breaker.call(ok, duration: 2 * millisecond) == .none)
        #expect(breaker.call(ok, duration: 2 * millisecond) == .none)
        #expect(breaker.state == .closed)  // 3/7 slow
        #expect(breaker.call(ok, duration: 2 * millisecond) == .transition(from: .closed, to: .open))  // 4/8
        #expect(breaker.metrics.failedCallsTotal == 0)
    }

    @Test("A count window caps the minimum calls at its size and evicts the oldest outcome")
    func countWindow() {
        var capped = CircuitBreaker(configuration: configuration(window: .countBased(size: 3), minimum: 100), now: 0)
        _ = capped.call(unavailable)
        _ = capped.call(unavailable)
        #expect(capped.call(unavailable) == .transition(from: .closed, to: .open))

        var breaker = CircuitBreaker(configuration: configuration(window: .countBased(size: 4), minimum: 4), now: 0)
        for _ in 0..<4 {
            _ = breaker.call(ok)
        }
        #expect(breaker.call(unavailable) == .none)  // [S S S F] 25 %; without eviction 1/5
        #expect(breaker.metrics.bufferedCalls == 4)
        #expect(breaker.metrics.failureRate == 25)
        // [S S F F] = 50 %; without eviction it would be 2/6.
        #expect(breaker.call(unavailable) == .transition(from: .closed, to: .open))
    }

    @Test("A time window forgets the seconds that left it and does not cap the minimum calls")
    func timeWindow() {
        let window = CircuitBreakerSlidingWindow.timeBased(seconds: 10)
        var breaker = CircuitBreaker(configuration: configuration(window: window, minimum: 4), now: 0)
        for _ in 0..<4 {
            _ = breaker.call(ok, now: 100 * millisecond)
        }
        // Still inside the window (second 9): 2 failures of 6 calls.
        _ = breaker.call(unavailable, now: 9 * second)
        _ = breaker.call(unavailable, now: 9 * second + 900 * millisecond)
        #expect(breaker.state == .closed)
        #expect(breaker.metrics.bufferedCalls == 6)
        // Second 10: the successes of second 0 expire; 3 failures of 3 calls, below the minimum.
        #expect(breaker.call(unavailable, now: 10 * second) == .none)
        #expect(breaker.metrics.bufferedCalls == 3)
        #expect(breaker.metrics.failureRate == -1)
        #expect(breaker.call(ok, now: 10 * second + 1) == .transition(from: .closed, to: .open))  // 3/4

        // A long pause clears everything at once.
        var idle = CircuitBreaker(configuration: configuration(window: window, minimum: 4), now: 0)
        for _ in 0..<3 {
            _ = idle.call(unavailable, now: second)
        }
        _ = idle.call(unavailable, now: 1000 * second)
        #expect(idle.state == .closed)
        #expect(idle.metrics.bufferedCalls == 1)

        // Buckets are reused: a second that maps onto an old bucket starts from zero. Rounds 5 s apart, round r
        // records r + 1 calls, and the 10 s window holds rounds r − 1 and r.
        var rolling = CircuitBreaker(configuration: configuration(window: window, minimum: 1000), now: 0)
        for round in 0..<6 {
            let now = UInt64(round) * 5 * second + 500 * millisecond
            for _ in 0...round {
                _ = rolling.call(unavailable, now: now)
            }
            #expect(rolling.metrics.bufferedCalls == (round == 0 ? 1 : 2 * round + 1), "round \(round)")
        }

        // The minimum is not capped at the window size for a time window.
        let short = CircuitBreakerSlidingWindow.timeBased(seconds: 2)
        var uncapped = CircuitBreaker(configuration: configuration(window: short, minimum: 20), now: 0)
        for _ in 0..<19 {
            _ = uncapped.call(unavailable, now: second)
        }
        #expect(uncapped.state == .closed)
        #expect(uncapped.call(unavailable, now: second) == .transition(from: .closed, to: .open))
    }

    @Test("Open rejects with the time left; the first attempt after the wait moves to half-open and is a trial")
    func openToHalfOpen() {
        var breaker = CircuitBreaker(configuration: configuration(), now: 0)
        breaker.trip(now: 10 * second)
        let early = breaker.tryAcquirePermission(now: 11 * second)
        #expect(early == CircuitBreakerDecision(isPermitted: false, retryAfter: 4 * second, action: .none))
        let last = breaker.tryAcquirePermission(now: 15 * second - 1)
        #expect(last.retryAfter == 1)
        #expect(breaker.metrics.notPermittedCalls == 2)
        // Without automatic transition, time alone does nothing.
        #expect(breaker.advance(now: 20 * second) == .none)
        #expect(breaker.state == .open)
        let trial = breaker.tryAcquirePermission(now: 20 * second)
        #expect(trial.isPermitted)
        #expect(trial.action == .transition(from: .open, to: .halfOpen))
        #expect(breaker.state == .halfOpen)
    }

    @Test("Automatic transition: advance moves open to half-open at the end of the wait")
    func automaticTransition() {
        var automatic = configuration()
        automatic.automaticTransitionFromOpenToHalfOpenEnabled = true
        var breaker = CircuitBreaker(configuration: automatic, now: 0)
        breaker.trip(now: 0)
        #expect(breaker.nextTimedTransition == 5 * second)
        #expect(breaker.advance(now: 5 * second - 1) == .none)
        #expect(breaker.advance(now: 5 * second) == .transition(from: .open, to: .halfOpen))
        #expect(breaker.nextTimedTransition == nil)
    }

    @Test("Half-open permits exactly the trial calls and closes once all are in below the thresholds")
    func halfOpenCloses() {
        var breaker = CircuitBreaker(configuration: configuration(permitted: 3), now: 0)
        breaker.trip(now: 0)
        for _ in 0..<3 {
            #expect(breaker.tryAcquirePermission(now: 5 * second).isPermitted)
        }
        let fourth = breaker.tryAcquirePermission(now: 5 * second)
        #expect(fourth == CircuitBreakerDecision(isPermitted: false, retryAfter: nil, action: .none))
        #expect(breaker.onResult(code: ok, duration: 1, now: 6 * second) == .none)
        #expect(breaker.onResult(code: unavailable, duration: 1, now: 6 * second) == .none)
        #expect(breaker.state == .halfOpen)
        #expect(breaker.onResult(code: ok, duration: 1, now: 6 * second) == .transition(from: .halfOpen, to: .closed))
        // Closed again with an empty window and the opening count reset.
        #expect(breaker.metrics.bufferedCalls == 0)
        #expect(breaker.openAttempts == 0)
    }

    @Test("Half-open reopens when the trial calls fail, with a fresh wait from the last result")
    func halfOpenReopens() {
        var breaker = CircuitBreaker(configuration: configuration(permitted: 3), now: 0)
        breaker.trip(now: 0)
        for _ in 0..<3 {
            #expect(breaker.tryAcquirePermission(now: 5 * second).isPermitted)
        }
        #expect(breaker.onResult(code: unavailable, duration: 1, now: 6 * second) == .none)
        #expect(breaker.onResult(code: ok, duration: 1, now: 6 * second) == .none)
        let action = breaker.onResult(code: unavailable, duration: 1, now: 7 * second)
        #expect(action == .transition(from: .halfOpen, to: .open))
        #expect(breaker.openUntil == 12 * second)
        #expect(breaker.openAttempts == 2)
        #expect(!breaker.tryAcquirePermission(now: 12 * second - 1).isPermitted)
    }

    @Test("Half-open ends after maxWaitDurationInHalfOpenState, in the configured state")
    func halfOpenMaxWait() {
        for after in [CircuitBreakerState.open, .closed] {
            var bounded = configuration()
            bounded.maxWaitDurationInHalfOpenState = 2 * second
            bounded.stateAfterMaxWaitInHalfOpenState = after
            var breaker = CircuitBreaker(configuration: bounded, now: 0)
            breaker.trip(now: 0)
            #expect(breaker.tryAcquirePermission(now: 5 * second).isPermitted, "\(after)")
            #expect(breaker.nextTimedTransition == 7 * second, "\(after)")
            // The trial call never reports; the next attempt at the limit ends half-open.
            let decision = breaker.tryAcquirePermission(now: 7 * second)
            #expect(decision.action == .transition(from: .halfOpen, to: after), "\(after)")
            #expect(decision.isPermitted == (after == .closed), "\(after)")
            if after == .open {
                #expect(decision.retryAfter == 5 * second)
            }
        }
        // advance(now:) does the same from a timer.
        var bounded = configuration()
        bounded.maxWaitDurationInHalfOpenState = 2 * second
        var breaker = CircuitBreaker(configuration: bounded, now: 0)
        breaker.trip(now: 0)
        _ = breaker.tryAcquirePermission(now: 5 * second)
        #expect(breaker.advance(now: 7 * second - 1) == .none)
        #expect(breaker.advance(now: 7 * second) == .transition(from: .halfOpen, to: .open))
        // A late trial result after the expiry does not move the new state.
        #expect(breaker.onResult(code: ok, duration: 1, now: 8 * second) == .none)
        #expect(breaker.state == .open)
    }

    @Test("Half-open with no max wait stays half-open while trial calls are outstanding")
    func halfOpenWaitsForever() {
        var breaker = CircuitBreaker(configuration: configuration(), now: 0)
        breaker.trip(now: 0)
        _ = breaker.tryAcquirePermission(now: 5 * second)
        #expect(breaker.advance(now: 1_000_000 * second) == .none)
        #expect(breaker.state == .halfOpen)
    }

    @Test("release() returns a half-open trial permit, and never mints more than configured")
    func releasePermit() {
        var breaker = CircuitBreaker(configuration: configuration(permitted: 2), now: 0)
        breaker.trip(now: 0)
        #expect(breaker.tryAcquirePermission(now: 5 * second).isPermitted)
        #expect(breaker.tryAcquirePermission(now: 5 * second).isPermitted)
        #expect(!breaker.tryAcquirePermission(now: 5 * second).isPermitted)
        breaker.release()
        #expect(breaker.tryAcquirePermission(now: 5 * second).isPermitted)
        for _ in 0..<5 {
            breaker.release()
        }
        #expect(breaker.tryAcquirePermission(now: 5 * second).isPermitted)
        #expect(breaker.tryAcquirePermission(now: 5 * second).isPermitted)
        #expect(!breaker.tryAcquirePermission(now: 5 * second).isPermitted)
        // In closed, release is a no-op.
        var closed = CircuitBreaker(configuration: configuration(), now: 0)
        closed.release()
        #expect(closed.state == .closed)
    }

    @Test("An ignored code is neither success nor failure, and in half-open returns its trial permit")
    func ignoredCodes() {
        var breaker = CircuitBreaker(configuration: configuration(window: .countBased(size: 2), minimum: 2), now: 0)
        _ = breaker.call(unavailable)
        #expect(breaker.call(cancelled) == .none)
        #expect(breaker.call(cancelled) == .none)
        #expect(breaker.metrics.bufferedCalls == 1)
        #expect(breaker.metrics.ignoredCallsTotal == 2)
        #expect(breaker.call(unavailable) == .transition(from: .closed, to: .open))

        var trial = CircuitBreaker(configuration: configuration(permitted: 1), now: 0)
        trial.trip(now: 0)
        #expect(trial.tryAcquirePermission(now: 5 * second).isPermitted)
        #expect(trial.onResult(code: cancelled, duration: 1, now: 5 * second) == .none)
        #expect(trial.state == .halfOpen)
        #expect(trial.tryAcquirePermission(now: 5 * second).isPermitted)
        #expect(trial.onResult(code: ok, duration: 1, now: 5 * second) == .transition(from: .halfOpen, to: .closed))
    }

    @Test("Each gRPC code is classified by the default failure and ignored sets")
    func defaultClassification() {
        let failures: Set<Int> = [2, 4, 8, 13, 14, 15]
        for code in 0...16 {
            var one = configuration(window: .countBased(size: 1), minimum: 1)
            one.failureCodes = CircuitBreakerConfiguration().failureCodes
            one.ignoredCodes = CircuitBreakerConfiguration().ignoredCodes
            var breaker = CircuitBreaker(configuration: one, now: 0)
            _ = breaker.call(code)
            #expect(breaker.state == (failures.contains(code) ? .open : .closed), "code \(code)")
            #expect(breaker.metrics.ignoredCallsTotal == (code == 1 ? 1 : 0), "code \(code)")
        }
        // Custom sets; a code in both is ignored.
        var custom = configuration(window: .countBased(size: 1), minimum: 1)
        custom.failureCodes = [notFound, cancelled]
        custom.ignoredCodes = [cancelled]
        var breaker = CircuitBreaker(configuration: custom, now: 0)
        _ = breaker.call(cancelled)
        _ = breaker.call(unavailable)
        #expect(breaker.state == .closed)
        _ = breaker.call(notFound)
        #expect(breaker.state == .open)
    }

    @Test("An exponential wait grows per consecutive opening, stays within its jitter bounds and resets on close")
    func exponentialWait() {
        let wait = CircuitBreakerWaitDuration.exponential(
            initial: second, multiplier: 2, randomizationFactor: 0.5, maximum: 8 * second)
        let cases: [(attempt: Int, random: Double, expected: UInt64)] = [
            (1, 0, 500 * millisecond), (1, 0.5, second), (1, 1, 1500 * millisecond),
            (2, 0.5, 2 * second), (3, 0, 2 * second), (3, 1, 6 * second),
            (4, 0.5, 8 * second), (50, 0.5, 8 * second), (50, 1, 12 * second),
        ]
        for (attempt, random, expected) in cases {
            #expect(wait.nanoseconds(attempt: attempt, random: random) == expected, "attempt \(attempt) r \(random)")
        }
        for attempt in 1...10 {
            for step in 0..<100 {
                let value = wait.nanoseconds(attempt: attempt, random: Double(step) / 100)
                let base = min(second << UInt64(attempt - 1), 8 * second)
                #expect(value >= base / 2 && value <= base + base / 2, "attempt \(attempt) step \(step)")
            }
        }
        #expect(CircuitBreakerWaitDuration.fixed(nanoseconds: 3).nanoseconds(attempt: 9, random: 0.9) == 3)

        // Driven through the breaker with injected randomness.
        var exponential = configuration(permitted: 1)
        exponential.waitDurationInOpenState = wait
        var breaker = CircuitBreaker(configuration: exponential, now: 0, random: { 0.5 })
        breaker.trip(now: 0)
        #expect(breaker.openUntil == second)
        _ = breaker.call(unavailable, now: second)  // trial fails: second opening
        #expect(breaker.openUntil == 3 * second)
        _ = breaker.call(unavailable, now: 3 * second)  // third opening
        #expect(breaker.openUntil == 7 * second)
        #expect(breaker.openAttempts == 3)
        _ = breaker.call(ok, now: 7 * second)  // trial succeeds: closed
        #expect(breaker.state == .closed)
        breaker.trip(now: 10 * second)
        #expect(breaker.openUntil == 11 * second)
    }

    @Test("Forced open rejects everything without a retry time and never changes on its own")
    func forcedOpen() {
        var breaker = CircuitBreaker(configuration: configuration(), now: 0)
        #expect(breaker.transitionToForcedOpenState(now: 1) == .transition(from: .closed, to: .forcedOpen))
        for step in 0..<10 {
            let decision = breaker.tryAcquirePermission(now: UInt64(step) * 100 * second)
            #expect(decision == CircuitBreakerDecision(isPermitted: false, retryAfter: nil, action: .none))
            #expect(breaker.advance(now: UInt64(step) * 100 * second) == .none)
        }
        #expect(breaker.onResult(code: ok, duration: 1, now: 0) == .none)
        #expect(breaker.state == .forcedOpen)
        #expect(breaker.metrics.notPermittedCalls == 10)
        var initiallyForced = CircuitBreaker(configuration: configuration(), initialState: .forcedOpen, now: 0)
        #expect(!initiallyForced.tryAcquirePermission(now: 0).isPermitted)
    }

    @Test("Disabled permits everything, records nothing and never changes on its own")
    func disabled() {
        var breaker = CircuitBreaker(configuration: configuration(), now: 0)
        _ = breaker.transitionToDisabledState(now: 0)
        for _ in 0..<100 {
            #expect(breaker.call(unavailable) == .none)
        }
        #expect(breaker.state == .disabled)
        #expect(breaker.metrics.bufferedCalls == 0)
    }

    @Test("Metrics-only permits everything and reports a threshold crossing once instead of opening")
    func metricsOnly() {
        var breaker = CircuitBreaker(configuration: configuration(window: .countBased(size: 4)), now: 0)
        #expect(breaker.transitionToMetricsOnlyState(now: 0) == .transition(from: .closed, to: .metricsOnly))
        for _ in 0..<3 {
            #expect(breaker.call(unavailable) == .none)
        }
        #expect(breaker.call(unavailable) == .thresholdsExceeded(failureRate: 100, slowCallRate: 0))
        for _ in 0..<10 {
            #expect(breaker.call(unavailable) == .none)  // reported once per crossing
        }
        #expect(breaker.state == .metricsOnly)
        // Below the thresholds again, then a new crossing is reported again.
        for _ in 0..<3 {
            _ = breaker.call(ok)
        }
        #expect(breaker.metrics.failureRate == 25)
        _ = breaker.call(unavailable)
        #expect(breaker.call(unavailable) == .thresholdsExceeded(failureRate: 50, slowCallRate: 0))  // [S S F F]
    }

    @Test("Manual transitions report from and to, same state included, and clear the window; reset zeroes counters")
    func manualTransitions() {
        var breaker = CircuitBreaker(configuration: configuration(), now: 0)
        _ = breaker.call(unavailable)
        #expect(breaker.transitionToClosedState(now: 1) == .transition(from: .closed, to: .closed))
        #expect(breaker.metrics.bufferedCalls == 0)
        #expect(breaker.transitionToOpenState(now: 1) == .transition(from: .closed, to: .open))
        #expect(breaker.openUntil == 1 + 5 * second)
        #expect(breaker.transitionToHalfOpenState(now: 2) == .transition(from: .open, to: .halfOpen))
        #expect(breaker.transitionToDisabledState(now: 3) == .transition(from: .halfOpen, to: .disabled))
        #expect(breaker.transitionToMetricsOnlyState(now: 4) == .transition(from: .disabled, to: .metricsOnly))
        #expect(breaker.transitionToForcedOpenState(now: 5) == .transition(from: .metricsOnly, to: .forcedOpen))
        _ = breaker.tryAcquirePermission(now: 5)
        #expect(breaker.metrics.notPermittedCalls == 1)
        #expect(breaker.reset(now: 6) == .reset(from: .forcedOpen))
        #expect(breaker.state == .closed)
        #expect(breaker.stateEnteredAt == 6)
        #expect(breaker.metrics.notPermittedCalls == 0)
        #expect(breaker.metrics.failedCallsTotal == 0)
    }

    @Test("A late result in open is counted but moves nothing")
    func lateResultInOpen() {
        var breaker = CircuitBreaker(configuration: configuration(), now: 0)
        breaker.trip(now: 0)
        #expect(breaker.onResult(code: ok, duration: 1, now: 1) == .none)
        #expect(breaker.onResult(code: unavailable, duration: 1, now: 1) == .none)
        #expect(breaker.state == .open)
        #expect(breaker.metrics.failedCallsTotal == 5)
        #expect(breaker.metrics.successfulCallsTotal == 1)
    }

    @Test("A copy of a breaker is independent")
    func valueSemantics() {
        var original = CircuitBreaker(configuration: configuration(), now: 0)
        _ = original.call(unavailable)
        var copy = original
        copy.trip(now: 0, failures: 3)
        #expect(original.state == .closed)
        #expect(original.metrics.bufferedCalls == 1)
    }

    @Test("A shared breaker counts the calls of many threads exactly")
    func sharedBreaker() async {
        var big = configuration(window: .countBased(size: 1000), minimum: 1000)
        big.failureRateThreshold = 100
        let shared = SharedCircuitBreaker(CircuitBreaker(configuration: big, now: 0))
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<250 {
                        _ = shared.tryAcquirePermission(now: 0)
                        _ = shared.onResult(code: ok, duration: 1, now: 0)
                    }
                }
            }
        }
        #expect(shared.metrics.bufferedCalls == 1000)
        #expect(shared.metrics.successfulCallsTotal == 1000)
        let forced = shared.withBreaker { $0.transitionToForcedOpenState(now: 0) }
        #expect(forced == .transition(from: .closed, to: .forcedOpen))
        #expect(!shared.tryAcquirePermission(now: 0).isPermitted)
    }
}
