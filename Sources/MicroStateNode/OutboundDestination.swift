import Logging
import MicroStateResilience
import MicroStateRPC
import NIOCore

/// Resilience policy of one outbound destination (`--config` `destinations.<name>`; docs/resilience.md).
public struct OutboundPolicy: Sendable {
    /// The circuit breaker; `enabled: false` in the file makes it DISABLED (calls always permitted, still counted).
    public var breaker = CircuitBreakerConfiguration()
    public var breakerEnabled = true
    /// nil = no automatic retries (a policy needs at least 2 attempts).
    public var retry: RetryPolicy? = RetryPolicy()
    /// gRFC A6 retry throttling, shared by every call to the destination.
    public var throttle: (maxTokens: Double, tokenRatio: Double) = (10, 0.1)
    /// Calls in flight at once; beyond it a call fails fast with RESOURCE_EXHAUSTED.
    public var maxConcurrentCalls = Bulkhead.defaultMaxConcurrentCalls
    /// Per-attempt timeout when the caller has no (shorter) deadline of its own.
    public var timeout: TimeAmount = .seconds(10)

    public init() {}

    /// The built-in policy with the file's settings for this destination applied.
    public init(_ file: ConfigFile.Destination?) {
        self.init()
        guard let file else {
            return
        }
        if let timeout = file.timeoutMilliseconds {
            self.timeout = .milliseconds(Int64(timeout))
        }
        if let limit = file.maxConcurrentCalls {
            self.maxConcurrentCalls = limit
        }
        let c = file.circuitBreaker
        self.breakerEnabled = c.enabled ?? true
        if let value = c.failureRateThreshold { self.breaker.failureRateThreshold = value }
        if let value = c.slowCallRateThreshold { self.breaker.slowCallRateThreshold = value }
        if let value = c.slowCallDurationThresholdMilliseconds { self.breaker.slowCallDurationThreshold = Self.nanos(value) }
        let size = c.slidingWindowSize ?? self.breaker.slidingWindow.size
        if c.slidingWindowType == "time_based" {
            self.breaker.slidingWindow = .timeBased(seconds: size)
        } else if c.slidingWindowType == "count_based" || c.slidingWindowSize != nil {
            self.breaker.slidingWindow = .countBased(size: size)
        }
        if let value = c.minimumNumberOfCalls { self.breaker.minimumNumberOfCalls = value }
        if let value = c.permittedNumberOfCallsInHalfOpenState { self.breaker.permittedNumberOfCallsInHalfOpenState = value }
        if let value = c.maxWaitDurationInHalfOpenStateMilliseconds {
            self.breaker.maxWaitDurationInHalfOpenState = Self.nanos(value)
        }
        if c.waitDurationInOpenStateMilliseconds != nil || c.waitDurationMultiplier != nil {
            let initial = Self.nanos(c.waitDurationInOpenStateMilliseconds ?? 60_000)
            if let multiplier = c.waitDurationMultiplier, multiplier > 1 {
                self.breaker.waitDurationInOpenState = .exponential(
                    initial: initial,
                    multiplier: multiplier,
                    randomizationFactor: c.randomizationFactor ?? 0.5,
                    maximum: Self.nanos(c.maxWaitDurationInOpenStateMilliseconds ?? 600_000)
                )
            } else {
                self.breaker.waitDurationInOpenState = .fixed(nanoseconds: initial)
            }
        }
        if let codes = c.recordCodes { self.breaker.failureCodes = GRPCStatusCodeSet(codes.compactMap(ConfigFile.code(named:))) }
        if let codes = c.ignoreCodes { self.breaker.ignoredCodes = GRPCStatusCodeSet(codes.compactMap(ConfigFile.code(named:))) }
        let r = file.retry
        if r.maxAttempts == 1 {
            self.retry = nil
        } else if r.maxAttempts != nil || r.initialBackoffMilliseconds != nil || r.maxBackoffMilliseconds != nil
            || r.backoffMultiplier != nil || r.retryableCodes != nil
        {
            let defaults = RetryPolicy()
            let initial = r.initialBackoffMilliseconds.map(Self.nanos) ?? defaults.initialBackoff
            self.retry = RetryPolicy(
                maxAttempts: r.maxAttempts ?? defaults.maxAttempts,
                initialBackoff: initial,
                maxBackoff: max(initial, r.maxBackoffMilliseconds.map(Self.nanos) ?? defaults.maxBackoff),
                backoffMultiplier: r.backoffMultiplier ?? defaults.backoffMultiplier,
                retryableStatusCodes: r.retryableCodes.map { GRPCStatusCodeSet($0.compactMap(ConfigFile.code(named:))) }
                    ?? defaults.retryableStatusCodes
            )
        }
        self.throttle = (file.retryThrottling.maxTokens ?? self.throttle.maxTokens,
                         file.retryThrottling.tokenRatio ?? self.throttle.tokenRatio)
    }

    private static func nanos(_ milliseconds: Int) -> UInt64 {
        UInt64(milliseconds) * 1_000_000
    }
}

/// Every outbound call the node makes to one destination goes through here: bulkhead, circuit breaker,
/// deadline propagation, retries with full-jitter backoff, A6 throttling and `grpc-retry-pushback-ms`
/// (MicroStateResilience), then the project's `RPCClient`.
///
/// Only calls the caller marks idempotent are retried. A call the breaker or the bulkhead refuses fails at once
/// with UNAVAILABLE / RESOURCE_EXHAUSTED naming the destination — the caller's fallback decides what then (the
/// OTLP exporter drops the batch and counts it). Breaker transitions are logged and counted, and its state is on
/// `/metrics` and `/status`.
public final class OutboundDestination: Sendable {
    public let name: String
    public let policy: OutboundPolicy
    /// nil for a destination whose calls bring their own transport (`call`).
    private let client: RPCClient?
    private let breaker: SharedCircuitBreaker
    private let throttle: SharedRetryThrottle
    private let bulkhead: SharedBulkhead
    private let logger: Logger
    private let now: @Sendable () -> UInt64
    private let random: @Sendable () -> Double
    private let sleep: @Sendable (UInt64) async -> Void

    /// - Parameters:
    ///   - now: monotonic nanoseconds (injected for tests).
    ///   - random: uniform [0, 1) for backoff jitter and the breaker's wait jitter.
    ///   - sleep: waits between attempts (injected for tests).
    public init(
        name: String,
        policy: OutboundPolicy,
        client: RPCClient?,
        logger: Logger,
        now: @escaping @Sendable () -> UInt64 = { NIODeadline.now().uptimeNanoseconds },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        sleep: @escaping @Sendable (UInt64) async -> Void = { try? await Task.sleep(nanoseconds: $0) }
    ) {
        self.name = name
        self.policy = policy
        self.client = client
        self.logger = logger
        self.now = now
        self.random = random
        self.sleep = sleep
        policy.breaker.validate()
        self.breaker = SharedCircuitBreaker(
            CircuitBreaker(
                configuration: policy.breaker,
                initialState: policy.breakerEnabled ? .closed : .disabled,
                now: now(),
                random: random
            )
        )
        self.throttle = SharedRetryThrottle(maxTokens: policy.throttle.maxTokens, tokenRatio: policy.throttle.tokenRatio)
        self.bulkhead = SharedBulkhead(maxConcurrentCalls: policy.maxConcurrentCalls)
    }

    /// A unary call through the policy.
    ///
    /// - Parameters:
    ///   - idempotent: whether replaying the request is safe; only then is it retried.
    ///   - deadline: the inbound call's deadline, if this call serves one: the outbound timeout is what is left of
    ///     it (capped by `policy.timeout`).
    public func unary(
        path: String,
        request: [UInt8],
        metadata: Metadata = [:],
        idempotent: Bool,
        deadline: NIODeadline? = nil
    ) async throws(RPCError) -> [UInt8] {
        guard let client = self.client else {
            preconditionFailure("\(self.name): unary() on a destination built without an RPCClient")
        }
        return try await self.call(path: path, idempotent: idempotent, deadline: deadline) { (timeout: TimeAmount) throws(RPCError) in
            try await client.unary(path: path, request: request, metadata: metadata, timeout: timeout)
        }
    }

    /// Any request/response exchange through the policy (the schema registry mirror's HTTP calls): `attempt` makes
    /// one attempt within `timeout` and reports failures as `RPCError`s whose gRPC code the breaker and the retry
    /// policy judge (UNAVAILABLE for a refused connection or a 5xx, DEADLINE_EXCEEDED for a timeout, ...).
    ///
    /// - Parameters:
    ///   - path: names the call in logs.
    ///   - idempotent: whether replaying the request is safe; only then is it retried.
    ///   - deadline: the overall deadline of the call, retries included.
    public func call<Response: Sendable>(
        path: String,
        idempotent: Bool,
        deadline: NIODeadline? = nil,
        attempt: @Sendable (TimeAmount) async throws(RPCError) -> Response
    ) async throws(RPCError) -> Response {
        guard self.bulkhead.tryEnter() else {
            throw RPCError(
                code: .resourceExhausted,
                message: "\(self.name): \(self.policy.maxConcurrentCalls) calls already in flight (bulkhead full)"
            )
        }
        defer { self.bulkhead.leave() }
        let deadlineNanos = deadline.map { $0.uptimeNanoseconds }
        var retry = self.policy.retry.map { RetryState(policy: $0, idempotent: idempotent, deadline: deadlineNanos) }
        while true {
            let decision = self.breaker.tryAcquirePermission(now: self.now())
            self.report(decision.action)
            guard decision.isPermitted else {
                let wait = decision.retryAfter.map { "; next trial in \($0 / 1_000_000) ms" } ?? ""
                throw RPCError(
                    code: .unavailable,
                    message: "\(self.name): circuit breaker \(self.breaker.state) (recent calls failed)\(wait)"
                )
            }
            var timeout = self.policy.timeout
            if let deadline {
                let remaining = deadline - .now()
                guard remaining > .zero else {
                    self.breaker.release()
                    throw RPCError(code: .deadlineExceeded, message: "\(self.name): the caller's deadline passed")
                }
                timeout = min(timeout, remaining)
            }
            let started = self.now()
            let result: Result<Response, RPCError>
            do {
                result = .success(try await attempt(timeout))
            } catch {
                result = .failure(error)
            }
            let finished = self.now()
            let code = (try? result.get()).map { _ in 0 } ?? result.error!.code.rawValue
            self.report(self.breaker.onResult(code: code, duration: finished &- started, now: finished))
            guard case .failure(let error) = result else {
                if retry != nil {
                    self.throttle.recordSuccess()
                }
                return try result.get()
            }
            guard var state = retry else {
                throw error
            }
            let pushback = RetryPushback(header: error.trailers.first("grpc-retry-pushback-ms"))
            switch state.onAttemptFinished(code: code, pushback: pushback, now: finished, random: self.random(), throttle: self.throttle) {
            case .retry(let attempt, let delay):
                retry = state
                self.logger.debug("retrying outbound call", metadata: [
                    "destination": "\(self.name)", "path": "\(path)", "attempt": "\(attempt)", "code": "\(error.code)",
                    "delay_ms": "\(delay / 1_000_000)",
                ])
                await self.sleep(delay)
            case .doNotRetry:
                throw error
            }
        }
    }

    private func report(_ action: CircuitBreakerAction) {
        if case .transition(let from, let to) = action {
            let level: Logger.Level = to == .open || to == .forcedOpen ? .warning : .info
            self.logger.log(level: level, "circuit breaker changed state", metadata: [
                "destination": "\(self.name)", "from": "\(from)", "to": "\(to)",
            ])
        }
    }

    /// The breaker's state now.
    public var state: CircuitBreakerState {
        self.breaker.state
    }

    /// The `/status` section for this destination.
    public var status: [String: any Sendable] {
        let metrics = self.breaker.metrics
        let bulkhead = self.bulkhead.snapshot
        return [
            "circuit_breaker": [
                "state": "\(self.breaker.state)",
                "failure_rate_percent": metrics.failureRate,
                "slow_call_rate_percent": metrics.slowCallRate,
                "buffered_calls": metrics.bufferedCalls,
                "not_permitted_calls": metrics.notPermittedCalls,
            ] as [String: any Sendable],
            "in_flight": bulkhead.inFlight,
            "bulkhead_rejected": bulkhead.rejected,
            "retry_tokens": self.throttle.snapshot.tokenCount,
        ]
    }

    /// Prometheus samples: breaker state (one series per state, 1 for the current one, as resilience4j's
    /// Micrometer binding exports it) and calls refused by the breaker and the bulkhead.
    func samples() -> String {
        let state = self.breaker.state
        let metrics = self.breaker.metrics
        let label = "destination=\"\(MetricsRegistry.escape(self.name))\""
        var out = ""
        for candidate in [CircuitBreakerState.closed, .open, .halfOpen, .disabled, .forcedOpen, .metricsOnly] {
            out += "microstatedb_circuit_breaker_state{\(label),state=\"\(candidate)\"} \(candidate == state ? 1 : 0)\n"
        }
        out += "microstatedb_circuit_breaker_not_permitted_calls_total{\(label)} \(metrics.notPermittedCalls)\n"
        out += "microstatedb_outbound_bulkhead_rejected_total{\(label)} \(self.bulkhead.snapshot.rejected)\n"
        return out
    }
}

extension Result {
    fileprivate var error: Failure? {
        if case .failure(let error) = self {
            return error
        }
        return nil
    }
}
