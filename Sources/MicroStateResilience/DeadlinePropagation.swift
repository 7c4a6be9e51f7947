/// Deadline propagation for a server that calls other servers: the outbound call gets what is left of the inbound
/// deadline, minus a margin, optionally capped, and travels as a `grpc-timeout` header (gRPC PROTOCOL-HTTP2.md,
/// "Requests": `TimeoutValue TimeoutUnit`, at most 8 digits, units `H M S m u n`).
///
/// Times are nanoseconds on the caller's monotonic clock; a deadline is an absolute instant on it.
public enum DeadlinePropagation {
    /// The largest `TimeoutValue` the header can carry (8 digits).
    public static let maxTimeoutValue: UInt64 = 99_999_999

    /// The deadline for an outbound call made at `now` on behalf of an inbound call.
    ///
    /// - Parameters:
    ///   - inboundDeadline: the inbound call's deadline (its `grpc-timeout` added to when it arrived), nil if none.
    ///   - margin: kept back for the work after the outbound call returns (answering the inbound caller).
    ///   - cap: the longest the outbound call may take regardless of the inbound deadline, nil for no cap.
    /// - Returns: nil when neither a deadline nor a cap applies; otherwise the earlier of `inboundDeadline − margin`
    ///   and `now + cap`. A result ≤ `now` means the call must not be sent: fail it with `DEADLINE_EXCEEDED`.
    public static func outboundDeadline(
        inboundDeadline: UInt64?,
        now: UInt64,
        margin: UInt64 = 0,
        cap: UInt64? = nil
    ) -> UInt64? {
        let fromInbound = inboundDeadline.map { $0 > margin ? $0 - margin : 0 }
        let fromCap = cap.map { now.addingReportingOverflow($0).overflow ? UInt64.max : now + $0 }
        switch (fromInbound, fromCap) {
        case (nil, nil): return nil
        case (let deadline?, nil): return deadline
        case (nil, let deadline?): return deadline
        case (let inbound?, let capped?): return min(inbound, capped)
        }
    }

    /// The timeout for an outbound call: inbound timeout − time elapsed since the inbound call arrived − margin,
    /// capped by `cap`; nil when neither applies, 0 when nothing is left (do not send; `DEADLINE_EXCEEDED`).
    public static func outboundTimeout(
        inboundTimeout: UInt64?,
        elapsed: UInt64,
        margin: UInt64 = 0,
        cap: UInt64? = nil
    ) -> UInt64? {
        let remaining = inboundTimeout.map { $0 > elapsed &+ margin ? $0 - elapsed - margin : 0 }
        switch (remaining, cap) {
        case (nil, nil): return nil
        case (let value?, nil): return value
        case (nil, let value?): return value
        case (let value?, let capped?): return min(value, capped)
        }
    }

    /// The `grpc-timeout` value for `nanoseconds`, in the finest unit whose value fits in 8 digits, rounded up so a
    /// propagated deadline is never shortened by encoding (it grows by less than one unit, which is less than one part
    /// in 10^5 of the value: a coarser unit is chosen only when the finer one needs more than 8 digits).
    ///
    /// Returns nil for 0: the header needs a positive value, and an expired call must fail locally with
    /// `DEADLINE_EXCEEDED` instead of being sent. Durations beyond `99999999H` encode as `99999999H`.
    public static func grpcTimeoutHeaderValue(nanoseconds: UInt64) -> String? {
        guard nanoseconds > 0 else {
            return nil
        }
        // The first unit that fits wins; a switch rather than a table so encoding never allocates (the result is
        // a small string, stored inline).
        for step in 0..<6 {
            let scale: UInt64
            let unit: String
            switch step {
            case 0: (scale, unit) = (1, "n")
            case 1: (scale, unit) = (1_000, "u")
            case 2: (scale, unit) = (1_000_000, "m")
            case 3: (scale, unit) = (1_000_000_000, "S")
            case 4: (scale, unit) = (60_000_000_000, "M")
            default: (scale, unit) = (3_600_000_000_000, "H")
            }
            let value = nanoseconds / scale + (nanoseconds % scale == 0 ? 0 : 1)
            if value <= Self.maxTimeoutValue {
                return String(value) + unit
            }
        }
        return String(Self.maxTimeoutValue) + "H"
    }
}
