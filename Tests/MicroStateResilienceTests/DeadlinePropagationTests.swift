import Testing

@testable import MicroStateResilience

private let millisecond: UInt64 = 1_000_000
private let second: UInt64 = 1_000_000_000

@Suite("Deadline propagation")
struct DeadlinePropagationTests {
    @Test("The outbound deadline is the inbound one minus the margin, capped")
    func outboundDeadline() {
        typealias D = DeadlinePropagation
        #expect(D.outboundDeadline(inboundDeadline: nil, now: 5) == nil)
        #expect(D.outboundDeadline(inboundDeadline: 10 * second, now: 1) == 10 * second)
        #expect(D.outboundDeadline(inboundDeadline: 10 * second, now: 1, margin: 50 * millisecond)
            == 10 * second - 50 * millisecond)
        #expect(D.outboundDeadline(inboundDeadline: 10 * second, now: 8 * second, cap: second) == 9 * second)
        #expect(D.outboundDeadline(inboundDeadline: 10 * second, now: 8 * second, cap: 5 * second) == 10 * second)
        #expect(D.outboundDeadline(inboundDeadline: nil, now: 8 * second, cap: second) == 9 * second)
        #expect(D.outboundDeadline(inboundDeadline: 10, now: 0, margin: 20) == 0)
        #expect(D.outboundDeadline(inboundDeadline: nil, now: UInt64.max - 1, cap: 10) == UInt64.max)
    }

    @Test("The outbound timeout is the inbound timeout minus the elapsed time and the margin, never negative")
    func outboundTimeout() {
        typealias D = DeadlinePropagation
        #expect(D.outboundTimeout(inboundTimeout: nil, elapsed: 7) == nil)
        #expect(D.outboundTimeout(inboundTimeout: second, elapsed: 300 * millisecond) == 700 * millisecond)
        #expect(D.outboundTimeout(inboundTimeout: second, elapsed: 300 * millisecond, margin: 100 * millisecond)
            == 600 * millisecond)
        #expect(D.outboundTimeout(inboundTimeout: second, elapsed: 300 * millisecond, cap: 200 * millisecond)
            == 200 * millisecond)
        #expect(D.outboundTimeout(inboundTimeout: nil, elapsed: 300, cap: 200) == 200)
        #expect(D.outboundTimeout(inboundTimeout: second, elapsed: 2 * second) == 0)
        #expect(D.outboundTimeout(inboundTimeout: second, elapsed: second) == 0)
    }

    @Test("grpc-timeout uses the finest unit that fits in 8 digits, rounding up")
    func headerValue() {
        let cases: [(UInt64, String?)] = [
            (0, nil),
            (1, "1n"),
            (99_999_999, "99999999n"),
            (100_000_000, "100000u"),
            (100_000_001, "100001u"),
            (second, "1000000u"),
            (99_999_999_000, "99999999u"),
            (100 * second, "100000m"),
            (99_999_999 * millisecond, "99999999m"),
            (100_000 * second, "100000S"),
            (100_000_000 * second, "1666667M"),
            (UInt64(100_000_000) * 60 * second, "1666667H"),
            (UInt64.max, "5124096H"),
        ]
        for (nanoseconds, expected) in cases {
            #expect(DeadlinePropagation.grpcTimeoutHeaderValue(nanoseconds: nanoseconds) == expected, "\(nanoseconds)")
        }
        // Encoding never shortens the timeout, adds less than one unit, and less than one part in 10^5.
        var value: UInt64 = 1
        while value < UInt64.max / 3 {
            let text = DeadlinePropagation.grpcTimeoutHeaderValue(nanoseconds: value)!
            #expect(text.utf8.count <= 9, "\(value)")
            let digits = UInt64(text.dropLast())!
            let scale: UInt64
            switch text.last! {
            case "n": scale = 1
            case "u": scale = 1_000
            case "m": scale = 1_000_000
            case "S": scale = second
            case "M": scale = 60 * second
            default: scale = 3600 * second
            }
            let decoded = digits * scale
            #expect(decoded >= value && decoded - value < scale, "\(value) → \(text)")
            #expect(scale == 1 || decoded - value <= value / 100_000, "\(value) → \(text)")
            value = value * 3 + 1
        }
    }
}
