import Testing

@testable import MicroStateResilience

private let millisecond: UInt64 = 1_000_000
private let unavailable = 14
private let almostOne = 0.999_999

@Suite("Retry policy")
struct RetryPolicyTests {
    @Test("Backoff ceilings grow by the multiplier up to maxBackoff; full jitter stays in [0, ceiling]")
    func backoffBounds() {
        let policy = RetryPolicy()  // 100 ms, ×2, 1 s
        let ceilings: [UInt64] = [100, 200, 400, 800, 1000, 1000].map { $0 * millisecond }
        for (index, ceiling) in ceilings.enumerated() {
            #expect(policy.backoffCeiling(retry: index + 1) == ceiling, "retry \(index + 1)")
            #expect(policy.backoff(retry: index + 1, random: 0) == 0, "retry \(index + 1)")
            let top = policy.backoff(retry: index + 1, random: almostOne)
            #expect(top <= ceiling && top >= ceiling - ceiling / 1000, "retry \(index + 1): \(top)")
            for step in 0..<50 {
                let value = policy.backoff(retry: index + 1, random: Double(step) / 50)
                #expect(value <= ceiling, "retry \(index + 1) step \(step)")
            }
        }
        #expect(policy.backoff(retry: 2, random: 0.5) == 100 * millisecond)
    }

    @Test("maxAttempts above 5 is clamped to 5 (A6)")
    func maxAttemptsCap() {
        #expect(RetryPolicy(maxAttempts: 9).maxAttempts == 5)
        #expect(RetryPolicy(maxAttempts: 2).maxAttempts == 2)
    }

    @Test("A retryable failure is retried until maxAttempts, with increasing attempt numbers and bounded delays")
    func retriesUntilExhausted() {
        var state = RetryState(policy: RetryPolicy(), idempotent: true, deadline: nil)
        let ceilings: [UInt64] = [100, 200, 400].map { $0 * millisecond }
        for (index, ceiling) in ceilings.enumerated() {
            let decision = state.onAttemptFinished(code: unavailable, pushback: .absent, now: 0, random: almostOne)
            guard case .retry(let attempt, let delay) = decision else {
                Issue.record("attempt \(index + 1): \(decision)")
                return
            }
            #expect(attempt == index + 2)
            #expect(delay <= ceiling && delay > ceiling - ceiling / 1000, "attempt \(attempt): \(delay)")
        }
        let last = state.onAttemptFinished(code: unavailable, pushback: .absent, now: 0, random: 0.5)
        #expect(last == .doNotRetry(.attemptsExhausted))
        #expect(state.attempts == 4)
    }

    @Test("Success, non-retryable codes and non-idempotent calls are not retried")
    func notRetried() {
        let cases: [(code: Int, idempotent: Bool, reason: RetryStopReason)] = [
            (0, true, .succeeded), (3, true, .notRetryable), (8, true, .notRetryable), (13, true, .notRetryable),
            (14, false, .notIdempotent), (0, false, .succeeded),
        ]
        for (code, idempotent, reason) in cases {
            var state = RetryState(policy: RetryPolicy(), idempotent: idempotent, deadline: nil)
            let decision = state.onAttemptFinished(code: code, pushback: .absent, now: 0, random: 0.5)
            #expect(decision == .doNotRetry(reason), "code \(code) idempotent \(idempotent)")
        }
    }

    @Test("grpc-retry-pushback-ms parses a non-negative integer; negative or malformed means do not retry")
    func pushbackParsing() {
        let cases: [(String?, RetryPushback)] = [
            (nil, .absent), ("0", .after(milliseconds: 0)), ("250", .after(milliseconds: 250)),
            ("007", .after(milliseconds: 7)), ("-1", .doNotRetry), ("-250", .doNotRetry), ("", .doNotRetry),
            ("abc", .doNotRetry), (" 5", .doNotRetry), ("5 ", .doNotRetry), ("5ms", .doNotRetry),
            ("+5", .doNotRetry), ("1.5", .doNotRetry), ("1e3", .doNotRetry),
            ("99999999999999999999999", .after(milliseconds: RetryPushback.maxMilliseconds)),
        ]
        for (header, expected) in cases {
            #expect(RetryPushback(header: header) == expected, "\(header ?? "nil")")
        }
    }

    @Test("A valid pushback sets the delay exactly and restarts the backoff sequence")
    func pushbackOverridesBackoff() {
        var state = RetryState(policy: RetryPolicy(maxAttempts: 5), idempotent: true, deadline: nil)
        _ = state.onAttemptFinished(code: unavailable, pushback: .absent, now: 0, random: almostOne)  // ≤ 100 ms
        _ = state.onAttemptFinished(code: unavailable, pushback: .absent, now: 0, random: almostOne)  // ≤ 200 ms
        let pushed = state.onAttemptFinished(
            code: unavailable, pushback: .after(milliseconds: 250), now: 0, random: 0)
        #expect(pushed == .retry(attempt: 4, delay: 250 * millisecond))
        // The next backoff starts again at initialBackoff (≤ 100 ms), not at the third ceiling (400 ms).
        guard case .retry(5, let delay) = state.onAttemptFinished(
            code: unavailable, pushback: .absent, now: 0, random: almostOne)
        else {
            Issue.record("no fifth attempt")
            return
        }
        #expect(delay <= 100 * millisecond && delay > 99 * millisecond)
        // A zero pushback retries at once.
        var immediate = RetryState(policy: RetryPolicy(), idempotent: true, deadline: nil)
        let zero = immediate.onAttemptFinished(code: unavailable, pushback: .after(milliseconds: 0), now: 0, random: 1)
        #expect(zero == .retry(attempt: 2, delay: 0))
    }

    @Test("A negative or malformed pushback stops retries even with attempts left")
    func pushbackStops() {
        var state = RetryState(policy: RetryPolicy(), idempotent: true, deadline: nil)
        let decision = state.onAttemptFinished(
            code: unavailable, pushback: RetryPushback(header: "-1"), now: 0, random: 0)
        #expect(decision == .doNotRetry(.serverPushback))
        #expect(state.attempts == 1)
    }

    @Test("A retry is never scheduled at or after the deadline")
    func deadline() {
        let policy = RetryPolicy(initialBackoff: 100 * millisecond)
        var fits = RetryState(policy: policy, idempotent: true, deadline: 1000 * millisecond)
        let ok = fits.onAttemptFinished(code: unavailable, pushback: .absent, now: 850 * millisecond, random: 0.5)
        #expect(ok == .retry(attempt: 2, delay: 50 * millisecond))
        var tooLate = RetryState(policy: policy, idempotent: true, deadline: 1000 * millisecond)
        let late = tooLate.onAttemptFinished(code: unavailable, pushback: .absent, now: 950 * millisecond, random: 0.5)
        #expect(late == .doNotRetry(.deadline))  // 950 + 50 = the deadline itself
        var pushedPast = RetryState(policy: policy, idempotent: true, deadline: 1000 * millisecond)
        let pushed = pushedPast.onAttemptFinished(
            code: unavailable, pushback: .after(milliseconds: 300), now: 800 * millisecond, random: 0)
        #expect(pushed == .doNotRetry(.deadline))
        var expired = RetryState(policy: policy, idempotent: true, deadline: 1000 * millisecond)
        #expect(expired.onAttemptFinished(code: unavailable, pushback: .absent, now: 2000 * millisecond, random: 0)
            == .doNotRetry(.deadline))
    }

    @Test("With a throttle, retryable failures cost tokens and retries stop at half the bucket")
    func throttled() {
        var throttle = RetryThrottle(maxTokens: 10, tokenRatio: 0.1)
        // Four failing calls, each attempt costs a token: 10 → 6 and still retried.
        for index in 0..<4 {
            var state = RetryState(policy: RetryPolicy(), idempotent: true, deadline: nil)
            let decision = state.onAttemptFinished(
                code: unavailable, pushback: .absent, now: 0, random: 0, throttle: &throttle)
            #expect(decision == .retry(attempt: 2, delay: 0), "call \(index)")
        }
        // The fifth takes the bucket to 5, which is not above 5.
        var state = RetryState(policy: RetryPolicy(), idempotent: true, deadline: nil)
        #expect(state.onAttemptFinished(code: unavailable, pushback: .absent, now: 0, random: 0, throttle: &throttle)
            == .doNotRetry(.throttled))
        #expect(throttle.tokenCount == 5)
        // A success adds tokenRatio; a non-retryable failure costs nothing; a non-idempotent failure still costs.
        var success = RetryState(policy: RetryPolicy(), idempotent: true, deadline: nil)
        #expect(success.onAttemptFinished(code: 0, pushback: .absent, now: 0, random: 0, throttle: &throttle)
            == .doNotRetry(.succeeded))
        #expect(throttle.tokenCount == 5.1)
        var other = RetryState(policy: RetryPolicy(), idempotent: true, deadline: nil)
        _ = other.onAttemptFinished(code: 3, pushback: .absent, now: 0, random: 0, throttle: &throttle)
        #expect(throttle.tokenCount == 5.1)
        var write = RetryState(policy: RetryPolicy(), idempotent: false, deadline: nil)
        _ = write.onAttemptFinished(code: unavailable, pushback: .absent, now: 0, random: 0, throttle: &throttle)
        #expect(throttle.tokenCount == 4.1)
        // A pushback refusing retries counts as a failure even for a non-retryable code (A6).
        var refused = RetryState(policy: RetryPolicy(), idempotent: true, deadline: nil)
        #expect(refused.onAttemptFinished(code: 8, pushback: .doNotRetry, now: 0, random: 0, throttle: &throttle)
            == .doNotRetry(.notRetryable))
        #expect(throttle.tokenCount == 3.1)
    }

    @Test("A shared throttle works with RetryState")
    func sharedThrottle() {
        let shared = SharedRetryThrottle(maxTokens: 2, tokenRatio: 1)
        var state = RetryState(policy: RetryPolicy(), idempotent: true, deadline: nil)
        #expect(state.onAttemptFinished(code: unavailable, pushback: .absent, now: 0, random: 0, throttle: shared)
            == .doNotRetry(.throttled))  // 2 → 1, not above 1
        #expect(shared.snapshot.tokenCount == 1)
    }
}
