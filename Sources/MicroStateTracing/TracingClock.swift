#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The wall clock spans are stamped with: OTLP times are Unix nanoseconds. Injected so tests control time.
public protocol TracingClock: Sendable {
    /// Nanoseconds since the Unix epoch.
    func nowUnixNanos() -> UInt64
}

/// `CLOCK_REALTIME`.
public struct SystemTracingClock: TracingClock {
    public init() {}

    public func nowUnixNanos() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}

/// Makes new trace and span ids from an injected source of random 64-bit words.
///
/// The default source is `SystemRandomNumberGenerator` (the OS CSPRNG), so every trace id's rightmost 7 bytes are
/// random as the trace-id-ratio sampler and W3C Level 2's random-trace-id flag assume.
public struct IDGenerator: Sendable {
    private let random: @Sendable () -> UInt64

    /// Uses `random` for every word.
    public init(random: @escaping @Sendable () -> UInt64) {
        self.random = random
    }

    /// The OS random number generator.
    public static let system = IDGenerator {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }

    /// A new valid trace id. A zero id is drawn again, a bounded number of times (a source that keeps returning
    /// zero is a programming error).
    public func newTraceID() -> TraceID {
        for _ in 0..<16 {
            let id = TraceID(high: self.random(), low: self.random())
            if id.isValid { return id }
        }
        preconditionFailure("the random source returned only zeros")
    }

    /// A new valid span id (see `newTraceID`).
    public func newSpanID() -> SpanID {
        for _ in 0..<16 {
            let id = SpanID(self.random())
            if id.isValid { return id }
        }
        preconditionFailure("the random source returned only zeros")
    }
}
