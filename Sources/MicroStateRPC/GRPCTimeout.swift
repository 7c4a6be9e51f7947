import NIOCore

/// The `grpc-timeout` header: `TimeoutValue TimeoutUnit`, at most 8 ASCII digits then one of
/// `H M S m u n` (hours, minutes, seconds, milliseconds, microseconds, nanoseconds).
/// See gRPC PROTOCOL-HTTP2.md, "Requests".
public enum GRPCTimeout {
    /// Largest value the header can carry.
    public static let maxValue = 99_999_999

    /// Parses a header value; nil when malformed. A server answers a malformed timeout with `INTERNAL`
    /// (as grpc-go and grpc-java do): it is a protocol error of the client, not a bad argument.
    public static func parse(_ text: some StringProtocol) -> TimeAmount? {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8.count <= 9 else {
            return nil
        }
        var value: Int64 = 0
        for byte in utf8.dropLast() {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                return nil
            }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        switch utf8.last! {
        case UInt8(ascii: "H"): return .hours(value)
        case UInt8(ascii: "M"): return .minutes(value)
        case UInt8(ascii: "S"): return .seconds(value)
        case UInt8(ascii: "m"): return .milliseconds(value)
        case UInt8(ascii: "u"): return .microseconds(value)
        case UInt8(ascii: "n"): return .nanoseconds(value)
        default: return nil
        }
    }

    /// Encodes a timeout in the finest unit that fits in 8 digits (rounding up, so a deadline is never
    /// shortened). Negative amounts encode as `0n`.
    public static func encode(_ amount: TimeAmount) -> String {
        let nanos = max(amount.nanoseconds, 0)
        let units: [(Int64, Character)] = [
            (1, "n"), (1_000, "u"), (1_000_000, "m"), (1_000_000_000, "S"), (60_000_000_000, "M"),
            (3_600_000_000_000, "H"),
        ]
        for (scale, unit) in units {
            let value = (nanos + scale - 1) / scale
            if value <= Int64(Self.maxValue) {
                return "\(value)\(unit)"
            }
        }
        return "\(Self.maxValue)H"
    }
}
