import Atomics

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
/// The default source (`system`) is SplitMix64 seeded from the OS CSPRNG, so every trace id's rightmost 7 bytes are
/// uniformly random as the trace-id-ratio sampler and W3C Level 2's random-trace-id flag assume.
public struct IDGenerator: Sendable {
    private let random: @Sendable () -> UInt64

    /// Uses `random` for every word.
    public init(random: @escaping @Sendable () -> UInt64) {
        self.random = random
    }

    /// SplitMix64 over an atomic counter seeded once from the OS random number generator.
    ///
    /// Drawing every id from the OS generator cost a `getrandom` system call per word: with tracing on, 9 % of the
    /// node's CPU at 1 % sampling (every call gets a trace id, sampled or not). Ids must be unique and uniformly
    /// distributed (the ratio sampler reads their low bits), not secret; SplitMix64's output over a Weyl sequence is
    /// both, lock-free, and passes BigCrush.
    public static let system: IDGenerator = {
        var seed = SystemRandomNumberGenerator()
        let state = ManagedAtomic<UInt64>(seed.next())
        return IDGenerator {
            var z = state.loadThenWrappingIncrement(by: 0x9E37_79B9_7F4A_7C15, ordering: .relaxed) &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }()

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
