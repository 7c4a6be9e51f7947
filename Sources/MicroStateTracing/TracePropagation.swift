import MicroStateRPC

/// Reading trace context from inbound metadata and writing it into outbound metadata.
///
/// Precedence when a call carries several formats: a valid W3C `traceparent` wins (with its `tracestate`); then a
/// valid single `b3` header; then the `x-b3-*` headers. An invalid header of one format falls through to the next,
/// and with none valid the call starts a new trace. W3C first because it is the OpenTelemetry default and the only
/// format carrying `tracestate`; B3 is accepted for Zipkin-instrumented callers and meshes (Istio, Linkerd).
public enum TracePropagation {
    /// Header names (gRPC metadata keys are lowercase).
    public static let traceparentHeader = "traceparent"
    public static let tracestateHeader = "tracestate"
    public static let b3Header = "b3"
    public static let b3TraceIDHeader = "x-b3-traceid"
    public static let b3SpanIDHeader = "x-b3-spanid"
    public static let b3ParentSpanIDHeader = "x-b3-parentspanid"
    public static let b3SampledHeader = "x-b3-sampled"
    public static let b3FlagsHeader = "x-b3-flags"
    /// Istio's request id, passed through and logged with the trace id.
    public static let requestIDHeader = "x-request-id"

    /// The caller's trace context as found in a call's metadata.
    public struct Extracted: Sendable, Hashable {
        /// The remote parent; nil when the call starts a new trace.
        public var parent: TraceContext?
        /// The sampling decision the caller asked for: `true`/`false` from W3C's sampled flag or a B3 state, nil
        /// for a B3 "defer" (our sampler decides as if there were no parent decision).
        public var sampled: Bool?
        /// B3 debug (`b3: ...-d`, `x-b3-flags: 1`).
        public var debug: Bool
        /// The B3 encoding the caller used, if any B3 header was present: outbound calls then carry B3 too.
        public var b3Style: B3.Style?
        /// Whether the caller's B3 trace id was 64 bits.
        public var b3TraceID64Bit: Bool

        /// Nothing found: a new trace.
        public static let none = Extracted(parent: nil, sampled: nil, debug: false, b3Style: nil, b3TraceID64Bit: false)
    }

    /// Extracts the trace context from `metadata` following the precedence above.
    public static func extract(from metadata: Metadata) -> Extracted {
        var result = Extracted.none
        // Note which B3 style the caller used even when W3C wins, so outbound calls keep both.
        let single = metadata.first(Self.b3Header)
        let multiTrace = metadata.first(Self.b3TraceIDHeader)
        let multiSampled = metadata.first(Self.b3SampledHeader)
        let multiFlags = metadata.first(Self.b3FlagsHeader)
        if single != nil {
            result.b3Style = .single
        } else if multiTrace != nil || multiSampled != nil || multiFlags != nil {
            result.b3Style = .multi
        }

        if let traceparent = metadata.first(Self.traceparentHeader),
           var parent = TraceContext.parseTraceparent(traceparent)
        {
            let fields = metadata.values(Self.tracestateHeader)
            if !fields.isEmpty, let state = TraceState.parse(fields) {
                parent.traceState = state
            }
            result.parent = parent
            result.sampled = parent.flags.isSampled
            return result
        }
        var b3: B3.Extracted?
        if let single {
            b3 = B3.parseSingle(single)
        }
        if b3 == nil, result.b3Style != nil || metadata.first(Self.b3SpanIDHeader) != nil {
            b3 = B3.parseMulti(
                traceID: multiTrace, spanID: metadata.first(Self.b3SpanIDHeader),
                parentSpanID: metadata.first(Self.b3ParentSpanIDHeader), sampled: multiSampled, flags: multiFlags
            )
            if b3 != nil {
                result.b3Style = .multi
            }
        }
        if let b3 {
            result.parent = b3.context
            result.sampled = b3.sampling.sampled
            result.debug = b3.sampling == .debug
            result.b3TraceID64Bit = b3.traceID64Bit
        }
        return result
    }

    /// Writes `context` (our span, the callee's parent) into outbound `metadata`: always `traceparent` (and
    /// `tracestate` when not empty); B3 as well when `b3Style` is set, with `parent` as B3's parent span id.
    public static func inject(
        _ context: TraceContext, parent: SpanID? = nil, b3Style: B3.Style? = nil, debug: Bool = false,
        traceID64Bit: Bool = false, into metadata: inout Metadata
    ) {
        metadata.add(Self.traceparentHeader, context.traceparent)
        let state = context.traceState.header
        if !state.isEmpty {
            metadata.add(Self.tracestateHeader, state)
        }
        switch b3Style {
        case .single:
            metadata.add(Self.b3Header, B3.single(context, parent: parent, debug: debug, traceID64Bit: traceID64Bit))
        case .multi:
            for header in B3.multi(context, parent: parent, debug: debug, traceID64Bit: traceID64Bit) {
                metadata.add(header.name, header.value)
            }
        case nil:
            break
        }
    }
}
