/// Decides whether a new span is recorded and exported, as the OpenTelemetry SDK samplers do
/// (https://opentelemetry.io/docs/specs/otel/trace/sdk/#built-in-samplers).
public struct Sampler: Sendable, Hashable, CustomStringConvertible {
    /// The decision for a span without a parent decision.
    public enum Root: Sendable, Hashable {
        case alwaysOn
        case alwaysOff
        /// `TraceIdRatioBased` with the ratio in [0, 1].
        case traceIDRatio(Double)
    }

    /// The decision for spans without a (usable) parent decision.
    public var root: Root
    /// `ParentBased`: follow the caller's sampled flag when there is one (remote parent sampled → record, not
    /// sampled → drop, the spec's default delegates), else `root`.
    public var parentBased: Bool

    /// Creates a sampler.
    public init(root: Root, parentBased: Bool) {
        self.root = root
        self.parentBased = parentBased
    }

    /// `always_on`.
    public static let alwaysOn = Sampler(root: .alwaysOn, parentBased: false)
    /// `always_off`.
    public static let alwaysOff = Sampler(root: .alwaysOff, parentBased: false)
    /// `parentbased_always_on`, the OpenTelemetry default (`OTEL_TRACES_SAMPLER` unset).
    public static let parentBasedAlwaysOn = Sampler(root: .alwaysOn, parentBased: true)

    /// Whether to sample a span of trace `traceID` whose caller asked for `parentSampled` (nil: no parent, or a B3
    /// "defer").
    public func shouldSample(traceID: TraceID, parentSampled: Bool?) -> Bool {
        if self.parentBased, let parentSampled {
            return parentSampled
        }
        switch self.root {
        case .alwaysOn: return true
        case .alwaysOff: return false
        case .traceIDRatio(let ratio): return Self.traceIDRatioDecision(traceID: traceID, ratio: ratio)
        }
    }

    /// Randomness bits the ratio decision reads: the rightmost 7 bytes of the trace id.
    static let randomnessBits = 56
    static let randomnessMask: UInt64 = (1 << 56) - 1

    /// `TraceIdRatioBased`: the OpenTelemetry specification's algorithm (trace/sdk.md, "TraceIdRatioBased", with
    /// the sampling thresholds of trace/tracestate-probability-sampling.md, OTEP 235): the randomness R is the
    /// least-significant 56 bits of the trace id (W3C Trace Context Level 2 makes exactly those random), the
    /// rejection threshold is T = (1 - ratio) × 2^56, and the span is sampled iff R ≥ T. Deterministic per trace
    /// id, and any trace sampled at one ratio is sampled at every larger ratio, so services sampling at different
    /// ratios keep consistent traces.
    public static func traceIDRatioDecision(traceID: TraceID, ratio: Double) -> Bool {
        let threshold = Self.rejectionThreshold(ratio: ratio)
        return traceID.low & Self.randomnessMask >= threshold
    }

    /// T = round((1 - ratio) × 2^56), clamped to [0, 2^56]; 2^56 rejects everything (ratio 0).
    static func rejectionThreshold(ratio: Double) -> UInt64 {
        guard ratio.isFinite, ratio > 0 else { return 1 << 56 }
        guard ratio < 1 else { return 0 }
        let threshold = ((1 - ratio) * Double(UInt64(1) << 56)).rounded()
        return min(UInt64(threshold), 1 << 56)
    }

    /// The ratio of a trace-id-ratio root; 1 for always_on, 0 for always_off.
    public var ratio: Double {
        switch self.root {
        case .alwaysOn: return 1
        case .alwaysOff: return 0
        case .traceIDRatio(let ratio): return ratio
        }
    }

    public var description: String {
        let root: String
        switch self.root {
        case .alwaysOn: root = "always_on"
        case .alwaysOff: root = "always_off"
        case .traceIDRatio(let ratio): root = "traceidratio(\(ratio))"
        }
        return self.parentBased ? "parentbased_" + root : root
    }
}

// MARK: - OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG

/// A sampler name or argument that cannot be used.
public struct SamplerConfigurationError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { self.message }
}

extension Sampler {
    /// The values `OTEL_TRACES_SAMPLER` may take here (the SDK environment variable specification's list, less
    /// `jaeger_remote` and `parentbased_jaeger_remote`, which need a remote sampling server).
    public static let names = [
        "always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off",
        "parentbased_traceidratio",
    ]

    /// Parses a sampler name and its argument (the ratio of the `*traceidratio` samplers, in [0, 1]; default 1.0
    /// when `argument` is nil, as the specification says for an unset `OTEL_TRACES_SAMPLER_ARG`).
    ///
    /// - Throws: ``SamplerConfigurationError`` for an unknown name or a ratio that is not a number in [0, 1].
    public static func parse(name: String, argument: String?) throws(SamplerConfigurationError) -> Sampler {
        func ratio() throws(SamplerConfigurationError) -> Double {
            guard let argument else { return 1.0 }
            guard let value = Double(argument.trimmingCharacters(in: " \t")), value >= 0, value <= 1 else {
                throw SamplerConfigurationError(
                    message: "sampler argument \"\(argument)\" is not a ratio between 0 and 1"
                )
            }
            return value
        }
        switch name.lowercased() {
        case "always_on": return Sampler(root: .alwaysOn, parentBased: false)
        case "always_off": return Sampler(root: .alwaysOff, parentBased: false)
        case "traceidratio": return Sampler(root: .traceIDRatio(try ratio()), parentBased: false)
        case "parentbased_always_on": return Sampler(root: .alwaysOn, parentBased: true)
        case "parentbased_always_off": return Sampler(root: .alwaysOff, parentBased: true)
        case "parentbased_traceidratio": return Sampler(root: .traceIDRatio(try ratio()), parentBased: true)
        default:
            throw SamplerConfigurationError(
                message: "unknown sampler \"\(name)\"; use one of \(Self.names.joined(separator: ", "))"
            )
        }
    }
}
