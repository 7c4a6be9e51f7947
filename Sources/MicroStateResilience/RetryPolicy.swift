/// A gRPC retry policy (gRFC A6 `retryPolicy`): how many attempts, which status codes, and the backoff between
/// attempts.
///
/// Backoff is A6's full jitter: retry n (1-based) waits `random(0, min(initialBackoff · backoffMultiplier^(n−1),
/// maxBackoff))`. (gRPC's *connection* backoff uses ±20 % jitter instead; A6 retries do not.) Durations are
/// nanoseconds.
public struct RetryPolicy: Hashable, Sendable {
    /// The client-side cap on `maxAttempts` (A6: "values greater than 5 are treated as 5").
    public static let maxAttemptsCap = 5

    /// Attempts in total, the original call included; in 2…`maxAttemptsCap`, larger values are clamped.
    /// Default 4, as in the reference service config (`docs/resilience.md`).
    public var maxAttempts: Int
    /// The backoff ceiling of the first retry; > 0. Default 100 ms.
    public var initialBackoff: UInt64
    /// The largest backoff ceiling; ≥ `initialBackoff`. Default 1 s.
    public var maxBackoff: UInt64
    /// Growth of the ceiling per retry; > 0. Default 2.
    public var backoffMultiplier: Double
    /// Status codes that may be retried; non-empty. Default `UNAVAILABLE` (14) only: retrying anything else
    /// (`RESOURCE_EXHAUSTED` without pushback, `ABORTED`, `DEADLINE_EXCEEDED`) multiplies load exactly when the
    /// server is least able to take it.
    public var retryableStatusCodes: GRPCStatusCodeSet

    /// Creates a policy; values outside the documented ranges are a programmer error.
    public init(
        maxAttempts: Int = 4,
        initialBackoff: UInt64 = 100_000_000,
        maxBackoff: UInt64 = 1_000_000_000,
        backoffMultiplier: Double = 2,
        retryableStatusCodes: GRPCStatusCodeSet = [14]
    ) {
        precondition(maxAttempts >= 2, "A6: maxAttempts must be at least 2")
        precondition(initialBackoff > 0 && maxBackoff >= initialBackoff, "A6: 0 < initialBackoff <= maxBackoff")
        precondition(backoffMultiplier > 0, "A6: backoffMultiplier must be > 0")
        precondition(retryableStatusCodes != .empty, "A6: retryableStatusCodes must be non-empty")
        self.maxAttempts = min(maxAttempts, Self.maxAttemptsCap)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.backoffMultiplier = backoffMultiplier
        self.retryableStatusCodes = retryableStatusCodes
    }

    /// The backoff ceiling before retry `retry` (1-based): `min(initialBackoff · multiplier^(retry−1), maxBackoff)`.
    public func backoffCeiling(retry: Int) -> UInt64 {
        var ceiling = Double(self.initialBackoff)
        let cap = Double(self.maxBackoff)
        var step = 1
        // Bounded by maxAttemptsCap in practice, by 64 steps in any case.
        while step < retry && step < 64 && ceiling < cap {
            ceiling *= self.backoffMultiplier
            step += 1
        }
        return UInt64(min(ceiling, cap))
    }

    /// A full-jitter backoff before retry `retry`: uniform in [0, `backoffCeiling(retry:)`], from a uniform
    /// `random` value in [0, 1).
    public func backoff(retry: Int, random: Double) -> UInt64 {
        let unit = min(max(random, 0), 1)
        return UInt64(Double(self.backoffCeiling(retry: retry)) * unit)
    }
}

/// The server's `grpc-retry-pushback-ms` trailer, parsed per gRFC A6.
public enum RetryPushback: Hashable, Sendable {
    /// No pushback: the policy's backoff applies.
    case absent
    /// Retry after exactly this many milliseconds, instead of the backoff.
    case after(milliseconds: UInt64)
    /// A negative or malformed value: the server asks the client not to retry at all.
    case doNotRetry

    /// Largest pushback honoured as given; larger values are clamped (24 h, far past any sane deadline).
    public static let maxMilliseconds: UInt64 = 86_400_000

    /// Parses a header value: nil or absent → `.absent`; a non-negative decimal integer (ASCII digits only, no sign,
    /// no spaces) → `.after`; anything else, a negative number included → `.doNotRetry`.
    public init(headerValue: Substring.UTF8View?) {
        guard let bytes = headerValue else {
            self = .absent
            return
        }
        var value: UInt64 = 0
        var digits = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else {
                self = .doNotRetry
                return
            }
            digits += 1
            if value <= Self.maxMilliseconds {
                value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
            }
        }
        self = digits == 0 ? .doNotRetry : .after(milliseconds: min(value, Self.maxMilliseconds))
    }

    /// Parses a header value given as a string; see `init(headerValue:)`.
    public init(header: String?) {
        self.init(headerValue: header.map { Substring($0).utf8 })
    }
}

/// The answer to `RetryState.onAttemptFinished`.
public enum RetryDecision: Hashable, Sendable {
    /// Start attempt number `attempt` (2 = first retry) after waiting `delay` nanoseconds; send
    /// `grpc-previous-rpc-attempts: attempt − 1` with it.
    case retry(attempt: Int, delay: UInt64)
    /// Do not retry; surface the last status to the caller.
    case doNotRetry(RetryStopReason)
}

/// Why a call is not retried.
public enum RetryStopReason: Hashable, Sendable {
    /// The attempt succeeded (`OK`).
    case succeeded
    /// The status code is not in `retryableStatusCodes`.
    case notRetryable
    /// The call is not idempotent; it is never retried automatically.
    case notIdempotent
    /// `maxAttempts` attempts were made.
    case attemptsExhausted
    /// The server's pushback was negative or malformed.
    case serverPushback
    /// The retry throttle has too few tokens.
    case throttled
    /// The retry could not start before the call's deadline.
    case deadline
}

/// The retry bookkeeping of one call, a value-type state machine: feed it each attempt's outcome, it answers
/// whether and when to retry. The caller owns the clock, the randomness and the timer.
///
/// The order of checks follows gRPC core's retry filter: success, retryable code, throttle (a retryable failure
/// always costs a throttle token, even when the call would not be retried for another reason), attempts, pushback,
/// deadline. A valid pushback sets the delay exactly and restarts the backoff sequence at `initialBackoff` (A6).
public struct RetryState: Sendable {
    /// The policy.
    public let policy: RetryPolicy
    /// Whether the call may be replayed safely; a non-idempotent call is never retried.
    public let idempotent: Bool
    /// The call's absolute deadline (nanoseconds on the caller's clock), or nil for none.
    public let deadline: UInt64?
    /// Attempts started so far, the original included.
    public private(set) var attempts = 1
    /// The backoff sequence position: retries since the start or the last pushback.
    public private(set) var backoffStep = 0

    /// Starts the bookkeeping of a call whose first attempt is being sent.
    public init(policy: RetryPolicy, idempotent: Bool, deadline: UInt64?) {
        self.policy = policy
        self.idempotent = idempotent
        self.deadline = deadline
    }

    /// The latest attempt finished with `code` and `pushback`: retry, or not?
    ///
    /// - Parameter random: a uniform value in [0, 1) for the jitter.
    public mutating func onAttemptFinished(
        code: Int,
        pushback: RetryPushback,
        now: UInt64,
        random: Double
    ) -> RetryDecision {
        self.decide(code: code, pushback: pushback, now: now, random: random, onSuccess: {}, onFailure: { true })
    }

    /// `onAttemptFinished` with A6 retry throttling: `OK` adds `tokenRatio`, a retryable failure (or a pushback
    /// refusing retries) takes a token, and the retry happens only while the throttle allows it.
    public mutating func onAttemptFinished(
        code: Int,
        pushback: RetryPushback,
        now: UInt64,
        random: Double,
        throttle: inout RetryThrottle
    ) -> RetryDecision {
        self.decide(
            code: code,
            pushback: pushback,
            now: now,
            random: random,
            onSuccess: { throttle.recordSuccess() },
            onFailure: { throttle.recordFailure() }
        )
    }

    /// `onAttemptFinished` with a throttle shared by every call to the same server.
    @available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, visionOS 2.0, *)
    public mutating func onAttemptFinished(
        code: Int,
        pushback: RetryPushback,
        now: UInt64,
        random: Double,
        throttle: SharedRetryThrottle
    ) -> RetryDecision {
        self.decide(
            code: code,
            pushback: pushback,
            now: now,
            random: random,
            onSuccess: { throttle.recordSuccess() },
            onFailure: { throttle.recordFailure() }
        )
    }

    private mutating func decide(
        code: Int,
        pushback: RetryPushback,
        now: UInt64,
        random: Double,
        onSuccess: () -> Void,
        onFailure: () -> Bool
    ) -> RetryDecision {
        if code == 0 {
            onSuccess()
            return .doNotRetry(.succeeded)
        }
        guard self.policy.retryableStatusCodes.contains(code) || pushback == .doNotRetry else {
            return .doNotRetry(.notRetryable)
        }
        let throttleAllows = onFailure()
        guard self.policy.retryableStatusCodes.contains(code) else {
            return .doNotRetry(.notRetryable)
        }
        guard throttleAllows else {
            return .doNotRetry(.throttled)
        }
        guard self.idempotent else {
            return .doNotRetry(.notIdempotent)
        }
        guard self.attempts < self.policy.maxAttempts else {
            return .doNotRetry(.attemptsExhausted)
        }
        let delay: UInt64
        switch pushback {
        case .doNotRetry:
            return .doNotRetry(.serverPushback)
        case .after(let milliseconds):
            delay = milliseconds * 1_000_000
            self.backoffStep = 0
        case .absent:
            self.backoffStep += 1
            delay = self.policy.backoff(retry: self.backoffStep, random: random)
        }
        if let deadline = self.deadline, now >= deadline || deadline - now <= delay {
            return .doNotRetry(.deadline)
        }
        self.attempts += 1
        return .retry(attempt: self.attempts, delay: delay)
    }
}
