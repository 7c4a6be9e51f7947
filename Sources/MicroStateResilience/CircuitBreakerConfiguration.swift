/// The states of a `CircuitBreaker`, numbered as resilience4j's `CircuitBreaker.State`.
public enum CircuitBreakerState: UInt8, Hashable, Sendable, CustomStringConvertible {
    /// Calls flow; outcomes are recorded and the rates decide whether to open.
    case closed = 0
    /// Calls are rejected until the wait duration has elapsed; the next attempt then moves to `halfOpen`.
    case open = 1
    /// A fixed number of trial calls are permitted; their rates decide between `closed` and `open`.
    case halfOpen = 2
    /// Every call is permitted; nothing is recorded and no transition happens on its own.
    case disabled = 3
    /// Every call is rejected; nothing is recorded and no transition happens on its own.
    case forcedOpen = 4
    /// Every call is permitted; outcomes are recorded and threshold crossings reported, but the state never changes
    /// on its own.
    case metricsOnly = 5

    /// resilience4j's spelling, for logs and metrics labels.
    public var description: String {
        switch self {
        case .closed: return "CLOSED"
        case .open: return "OPEN"
        case .halfOpen: return "HALF_OPEN"
        case .disabled: return "DISABLED"
        case .forcedOpen: return "FORCED_OPEN"
        case .metricsOnly: return "METRICS_ONLY"
        }
    }
}

/// The kind and size of the window over which a `CircuitBreaker` computes its failure and slow-call rates.
public enum CircuitBreakerSlidingWindow: Hashable, Sendable {
    /// The last `size` recorded calls, in a ring (resilience4j `COUNT_BASED`, `FixedSizeSlidingWindowMetrics`).
    case countBased(size: Int)
    /// The calls recorded in the last `seconds` seconds, as one aggregate per second in a ring (resilience4j
    /// `TIME_BASED`, `SlidingTimeWindowMetrics`); a bucket is cleared when its second leaves the window.
    case timeBased(seconds: Int)

    /// The window's size in calls or seconds.
    public var size: Int {
        switch self {
        case .countBased(let size): return size
        case .timeBased(let seconds): return seconds
        }
    }
}

/// How long a `CircuitBreaker` stays `open` before it lets trial calls through.
public enum CircuitBreakerWaitDuration: Hashable, Sendable {
    /// The same wait after every opening (resilience4j `waitDurationInOpenState`).
    case fixed(nanoseconds: UInt64)
    /// A wait that grows with each consecutive opening, with jitter (resilience4j
    /// `IntervalFunction.ofExponentialRandomBackoff`): for the n-th opening since the breaker was last `closed`,
    /// `base = min(initial · multiplier^(n−1), maximum)` and the wait is uniform in
    /// `[base · (1 − randomizationFactor), base · (1 + randomizationFactor)]`.
    case exponential(initial: UInt64, multiplier: Double, randomizationFactor: Double, maximum: UInt64)

    /// The wait for the `attempt`-th consecutive opening (1-based), given a uniform `random` value in [0, 1).
    ///
    /// Never 0: a breaker that opens always rejects at least until the next nanosecond.
    public func nanoseconds(attempt: Int, random: Double) -> UInt64 {
        switch self {
        case .fixed(let nanoseconds):
            return max(1, nanoseconds)
        case .exponential(let initial, let multiplier, let factor, let maximum):
            var base = Double(initial)
            let cap = Double(maximum)
            // Bounded: the base reaches the cap after a few steps for any multiplier > 1; 64 steps cover 2^64.
            var step = 1
            while step < attempt && step < 64 && base < cap {
                base *= multiplier
                step += 1
            }
            base = min(base, cap)
            let unit = min(max(random, 0), 1)
            let wait = base * (1 - factor + 2 * factor * unit)
            return max(1, UInt64(min(wait, Double(UInt64.max / 2))))
        }
    }

    fileprivate func validate() {
        switch self {
        case .fixed(let nanoseconds):
            precondition(nanoseconds >= 1, "waitDurationInOpenState must be at least 1 ns")
        case .exponential(let initial, let multiplier, let factor, let maximum):
            precondition(initial >= 1 && maximum >= initial, "exponential wait needs 1 ns <= initial <= maximum")
            precondition(multiplier >= 1, "exponential wait multiplier must be >= 1")
            precondition(factor >= 0 && factor < 1, "randomizationFactor must be in [0, 1)")
        }
    }
}

/// The configuration of a `CircuitBreaker`: resilience4j's `CircuitBreakerConfig` with its defaults, plus the
/// classification of gRPC status codes into failures, ignored outcomes and successes.
///
/// Durations are nanoseconds on the caller's monotonic clock.
public struct CircuitBreakerConfiguration: Hashable, Sendable {
    /// Largest accepted `slidingWindow` size and `permittedNumberOfCallsInHalfOpenState`.
    ///
    /// Storage is allocated once at init (1 byte per call for a count window, 16 bytes per second for a time
    /// window), so this bounds a breaker's memory at 1.6 MB; larger windows buy nothing a rate needs.
    public static let maxWindowSize = 100_000

    /// Percentage of failed calls at or above which the breaker opens; in (0, 100]. Default 50.
    public var failureRateThreshold: Double = 50
    /// Percentage of slow calls at or above which the breaker opens; in (0, 100]. Default 100.
    public var slowCallRateThreshold: Double = 100
    /// A call longer than this is slow. Default 60 s; at least 1 ns.
    public var slowCallDurationThreshold: UInt64 = 60_000_000_000
    /// The window the rates are computed over. Default `.countBased(size: 100)`.
    public var slidingWindow: CircuitBreakerSlidingWindow = .countBased(size: 100)
    /// No rate is computed (and the breaker cannot open) before this many calls are in the window. Default 100.
    ///
    /// As in resilience4j, a count window uses `min(minimumNumberOfCalls, size)`; a time window uses it as is.
    public var minimumNumberOfCalls: Int = 100
    /// Trial calls permitted in `halfOpen`; their outcomes, once all are in, decide the next state. Default 10.
    public var permittedNumberOfCallsInHalfOpenState: Int = 10
    /// How long `halfOpen` may last before `stateAfterMaxWaitInHalfOpenState` is entered; 0 (the default) waits
    /// for all permitted calls, however long they take (resilience4j #935 "stuck in HALF_OPEN").
    public var maxWaitDurationInHalfOpenState: UInt64 = 0
    /// The state entered when `maxWaitDurationInHalfOpenState` elapses: `.open` (default) or `.closed`.
    public var stateAfterMaxWaitInHalfOpenState: CircuitBreakerState = .open
    /// How long the breaker stays `open`. Default 60 s, fixed.
    public var waitDurationInOpenState: CircuitBreakerWaitDuration = .fixed(nanoseconds: 60_000_000_000)
    /// When true, `advance(now:)` moves `open` to `halfOpen` once the wait has elapsed even without a call
    /// (resilience4j `automaticTransitionFromOpenToHalfOpenEnabled`, there done by a scheduler). Default false: the
    /// first call attempt after the wait makes the transition.
    public var automaticTransitionFromOpenToHalfOpenEnabled = false

    /// Status codes recorded as failures.
    ///
    /// Default: the codes that say the destination is unhealthy or overloaded, whatever the request was:
    /// `UNKNOWN` (2), `DEADLINE_EXCEEDED` (4), `RESOURCE_EXHAUSTED` (8), `INTERNAL` (13), `UNAVAILABLE` (14) and
    /// `DATA_LOSS` (15). Codes that describe the request (`INVALID_ARGUMENT`, `NOT_FOUND`, `FAILED_PRECONDITION`,
    /// `ABORTED`, …) are successes: the server answered correctly, and a client bug must not cut off a healthy
    /// destination.
    public var failureCodes: GRPCStatusCodeSet = [2, 4, 8, 13, 14, 15]
    /// Status codes that are neither success nor failure (resilience4j "ignored exceptions").
    ///
    /// Default: `CANCELLED` (1), which the caller itself causes (a client gave up, a hedge lost) and says nothing
    /// about the destination. An ignored outcome in `halfOpen` returns its trial permit. Ignored wins over
    /// `failureCodes` when a code is in both (resilience4j's `ignoreExceptionsPrecedenceEnabled`).
    public var ignoredCodes: GRPCStatusCodeSet = [1]

    /// The resilience4j defaults.
    public init() {}

    /// Checks the ranges documented on each property; a violation is a programmer error.
    public func validate() {
        precondition(self.failureRateThreshold > 0 && self.failureRateThreshold <= 100, "failureRateThreshold")
        precondition(self.slowCallRateThreshold > 0 && self.slowCallRateThreshold <= 100, "slowCallRateThreshold")
        precondition(self.slowCallDurationThreshold >= 1, "slowCallDurationThreshold must be at least 1 ns")
        let size = self.slidingWindow.size
        precondition(size >= 1 && size <= Self.maxWindowSize, "slidingWindow size must be in 1...maxWindowSize")
        precondition(self.minimumNumberOfCalls >= 1, "minimumNumberOfCalls must be at least 1")
        let permitted = self.permittedNumberOfCallsInHalfOpenState
        precondition(permitted >= 1 && permitted <= Self.maxWindowSize, "permittedNumberOfCallsInHalfOpenState")
        precondition(
            self.stateAfterMaxWaitInHalfOpenState == .open || self.stateAfterMaxWaitInHalfOpenState == .closed,
            "stateAfterMaxWaitInHalfOpenState must be .open or .closed"
        )
        self.waitDurationInOpenState.validate()
    }
}
