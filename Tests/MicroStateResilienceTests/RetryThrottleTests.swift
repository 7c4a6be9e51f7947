import Testing

@testable import MicroStateResilience

@Suite("Retry throttle")
struct RetryThrottleTests {
    @Test("A6 example: maxTokens 10, tokenRatio 0.1 throttles at 5 tokens and recovers at 5.1")
    func a6Example() {
        var throttle = RetryThrottle(maxTokens: 10, tokenRatio: 0.1)
        #expect(throttle.tokenCount == 10)
        #expect(throttle.isRetryAllowed)
        for failure in 1...4 {
            #expect(throttle.recordFailure() == true, "failure \(failure)")
        }
        #expect(throttle.tokenCount == 6)
        #expect(throttle.recordFailure() == false)
        #expect(throttle.tokenCount == 5)
        #expect(!throttle.isRetryAllowed)
        throttle.recordSuccess()
        #expect(throttle.milliTokens == 5100)
        #expect(throttle.isRetryAllowed)
        // Ten successes add exactly one token: no floating-point drift.
        for _ in 0..<10 {
            throttle.recordSuccess()
        }
        #expect(throttle.milliTokens == 6100)
    }

    @Test("Tokens stay within [0, maxTokens]")
    func bounds() {
        var throttle = RetryThrottle(maxTokens: 3, tokenRatio: 0.5)
        throttle.recordSuccess()
        #expect(throttle.tokenCount == 3)
        for _ in 0..<10 {
            throttle.recordFailure()
        }
        #expect(throttle.tokenCount == 0)
        throttle.recordSuccess()
        #expect(throttle.tokenCount == 0.5)
    }

    @Test("Only three decimal places of tokenRatio are kept")
    func threeDecimals() {
        let cases: [(Double, Int)] = [(0.1, 100), (0.29, 290), (0.1239, 123), (0.0019, 1), (1, 1000), (0.57, 570)]
        for (ratio, milli) in cases {
            #expect(RetryThrottle(maxTokens: 10, tokenRatio: ratio).milliTokenRatio == milli, "\(ratio)")
        }
        #expect(RetryThrottle(maxTokens: 1000, tokenRatio: 1).maxMilliTokens == 1_000_000)
    }

    @Test("Odd maxTokens: retries need strictly more than half")
    func oddMaximum() {
        var throttle = RetryThrottle(maxTokens: 3, tokenRatio: 0.001)
        #expect(throttle.recordFailure() == true)  // 2 > 1.5
        #expect(throttle.recordFailure() == false)  // 1
        throttle.recordSuccess()
        #expect(!throttle.isRetryAllowed)  // 1.001
    }

    @Test("A shared throttle counts concurrent failures exactly")
    func shared() async {
        let shared = SharedRetryThrottle(maxTokens: 1000, tokenRatio: 0.001)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<100 {
                        shared.recordFailure()
                    }
                }
            }
        }
        #expect(shared.snapshot.tokenCount == 600)
        #expect(shared.isRetryAllowed)
    }
}
