import Synchronization

/// gRPC retry throttling (gRFC A6 `retryThrottling`), one per server name: a token bucket that stops retries and
/// hedges when too many calls fail.
///
/// `tokenCount` starts at `maxTokens`; each failure (a status in `retryableStatusCodes`, or a pushback refusing
/// retries) subtracts 1, each success adds `tokenRatio`; the count stays within [0, `maxTokens`]. Retries are
/// allowed only while `tokenCount > maxTokens / 2`. As A6 specifies, only three decimal places of `tokenRatio`
/// count: tokens are kept as integer thousandths, so the arithmetic is exact (10 × 0.1 is exactly 1).
public struct RetryThrottle: Hashable, Sendable {
    /// A6's upper bound on `maxTokens`.
    public static let maxTokensLimit = 1000

    /// `maxTokens` in thousandths.
    public let maxMilliTokens: Int
    /// `tokenRatio` in thousandths (truncated to three decimal places).
    public let milliTokenRatio: Int
    /// The current count in thousandths.
    public private(set) var milliTokens: Int

    /// Creates a full bucket; A6 requires `maxTokens` in (0, 1000] and `tokenRatio` > 0 (with three decimals kept,
    /// at least 0.001).
    public init(maxTokens: Double, tokenRatio: Double) {
        precondition(maxTokens > 0 && maxTokens <= Double(Self.maxTokensLimit), "A6: maxTokens in (0, 1000]")
        // Round at the sixth decimal first so that 0.1 × 1000 = 100.00000000000001 and 0.29 × 1000 =
        // 289.99999999999994 both land on the intended thousandth, then truncate as A6 says.
        let ratio = Int((tokenRatio * 1_000_000).rounded()) / 1000
        precondition(ratio > 0, "A6: tokenRatio must be > 0 (three decimals are kept)")
        self.maxMilliTokens = Int((maxTokens * 1_000_000).rounded()) / 1000
        self.milliTokenRatio = ratio
        self.milliTokens = self.maxMilliTokens
    }

    /// The current token count.
    public var tokenCount: Double {
        Double(self.milliTokens) / 1000
    }

    /// Whether a retry or hedge may start now: `tokenCount > maxTokens / 2`.
    public var isRetryAllowed: Bool {
        self.milliTokens * 2 > self.maxMilliTokens
    }

    /// Records a successful call (+`tokenRatio`, up to `maxTokens`).
    public mutating func recordSuccess() {
        self.milliTokens = min(self.maxMilliTokens, self.milliTokens + self.milliTokenRatio)
    }

    /// Records a failed call (−1, down to 0) and returns whether retries are still allowed.
    @discardableResult
    public mutating func recordFailure() -> Bool {
        self.milliTokens = max(0, self.milliTokens - 1000)
        return self.isRetryAllowed
    }
}

/// A `RetryThrottle` shared by every call to one server, behind a mutex.
@available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, visionOS 2.0, *)
public final class SharedRetryThrottle: Sendable {
    private let throttle: Mutex<RetryThrottle>

    /// Wraps a full bucket; see `RetryThrottle.init(maxTokens:tokenRatio:)`.
    public init(maxTokens: Double, tokenRatio: Double) {
        self.throttle = Mutex(RetryThrottle(maxTokens: maxTokens, tokenRatio: tokenRatio))
    }

    /// `RetryThrottle.recordSuccess()` under the lock.
    public func recordSuccess() {
        self.throttle.withLock { $0.recordSuccess() }
    }

    /// `RetryThrottle.recordFailure()` under the lock.
    @discardableResult
    public func recordFailure() -> Bool {
        self.throttle.withLock { $0.recordFailure() }
    }

    /// Whether a retry or hedge may start now.
    public var isRetryAllowed: Bool {
        self.throttle.withLock { $0.isRetryAllowed }
    }

    /// A copy of the current bucket.
    public var snapshot: RetryThrottle {
        self.throttle.withLock { $0 }
    }
}
