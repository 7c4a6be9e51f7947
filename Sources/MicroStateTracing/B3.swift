/// B3 propagation (https://github.com/openzipkin/b3-propagation): the single `b3` header and the `X-B3-*` headers.
public enum B3 {
    /// A B3 sampling state.
    public enum SamplingState: Sendable, Hashable {
        /// `1`: accept.
        case accept
        /// `0`: deny.
        case deny
        /// `d` / `X-B3-Flags: 1`: debug, which implies accept.
        case debug
        /// Absent: the receiver decides.
        case deferred

        /// Whether the state asks for sampling (accept or debug); nil when deferred.
        public var sampled: Bool? {
            switch self {
            case .accept, .debug: return true
            case .deny: return false
            case .deferred: return nil
            }
        }
    }

    /// What a B3 header set carried: a context (trace id, span id, optional parent) and a sampling state, or only a
    /// sampling state (`b3: 0`, the deny-only form, or `X-B3-Sampled` alone).
    public struct Extracted: Sendable, Hashable {
        /// The caller's span; nil for the sampling-only forms.
        public var context: TraceContext?
        /// The caller's parent span (informational: our span's parent is `context.spanID`).
        public var parentSpanID: SpanID?
        /// The sampling state.
        public var sampling: SamplingState
        /// Whether the trace id had 16 hex digits (64 bits), so we send it back in the same width.
        public var traceID64Bit: Bool
    }

    /// Which B3 encoding a caller used, so outbound calls answer in kind.
    public enum Style: Sendable, Hashable {
        case single, multi
    }

    /// Parses a trace id of 16 or 32 lowercase hex digits (64-bit ids are left-padded with zeros).
    static func traceID(_ text: Substring) -> (TraceID, Bool)? {
        switch text.utf8.count {
        case 16:
            guard let low = Hex.decode64(text.utf8) else { return nil }
            return (TraceID(high: 0, low: low), true)
        case 32:
            guard let id = TraceID(hex: text) else { return nil }
            return (id, false)
        default:
            return nil
        }
    }

    static func sampling(_ text: Substring) -> SamplingState? {
        switch text {
        case "1": return .accept
        case "0": return .deny
        case "d": return .debug
        default: return nil
        }
    }

    /// Parses a single `b3` header: `{TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]]`, or only a sampling
    /// state (`0`, `1`, `d`). Returns nil when malformed: wrong widths, upper-case hex, all-zero ids, an empty or
    /// unknown field, a parent without a sampling state.
    public static func parseSingle(_ value: String) -> Extracted? {
        let fields = value.trimmingCharacters(in: " \t").split(separator: "-", omittingEmptySubsequences: false)
        if fields.count == 1 {
            guard let state = Self.sampling(fields[0]) else { return nil }
            return Extracted(context: nil, parentSpanID: nil, sampling: state, traceID64Bit: false)
        }
        guard fields.count >= 2, fields.count <= 4,
              let (traceID, is64) = Self.traceID(fields[0]), traceID.isValid,
              let spanID = SpanID(hex: fields[1]), spanID.isValid
        else { return nil }
        var state = SamplingState.deferred
        if fields.count >= 3 {
            guard let parsed = Self.sampling(fields[2]) else { return nil }
            state = parsed
        }
        var parent: SpanID?
        if fields.count == 4 {
            guard let parsed = SpanID(hex: fields[3]), parsed.isValid else { return nil }
            parent = parsed
        }
        let context = TraceContext(
            traceID: traceID, spanID: spanID, flags: state.sampled == true ? .sampled : TraceFlags(rawValue: 0)
        )
        return Extracted(context: context, parentSpanID: parent, sampling: state, traceID64Bit: is64)
    }

    /// Parses the multi-header form from the first value of each header (B3: "the first value wins").
    ///
    /// `X-B3-Sampled` accepts `1`/`0` and, leniently, `true`/`false`; `X-B3-Flags: 1` is debug (and wins over
    /// Sampled). Trace and span id must come together; with neither, a sampling header alone is a sampling-only
    /// result. Returns nil when no B3 header is present or any present one is malformed (empty values, a parent of
    /// `-`, wrong widths).
    public static func parseMulti(
        traceID traceText: String?, spanID spanText: String?, parentSpanID parentText: String?,
        sampled sampledText: String?, flags flagsText: String?
    ) -> Extracted? {
        guard traceText != nil || spanText != nil || parentText != nil || sampledText != nil || flagsText != nil else {
            return nil
        }
        var state = SamplingState.deferred
        if let sampledText {
            switch sampledText {
            case "1", "true": state = .accept
            case "0", "false": state = .deny
            default: return nil
            }
        }
        if let flagsText {
            switch flagsText {
            case "1": state = .debug
            case "0": break
            default: return nil
            }
        }
        guard let traceText, let spanText else {
            // Ids are all-or-nothing: a span id without a trace id (or a lone parent) is malformed.
            guard traceText == nil, spanText == nil, parentText == nil else { return nil }
            return Extracted(context: nil, parentSpanID: nil, sampling: state, traceID64Bit: false)
        }
        guard let (traceID, is64) = Self.traceID(traceText[...]), traceID.isValid,
              let spanID = SpanID(hex: spanText[...]), spanID.isValid
        else { return nil }
        var parent: SpanID?
        if let parentText {
            guard let parsed = SpanID(hex: parentText[...]), parsed.isValid else { return nil }
            parent = parsed
        }
        let context = TraceContext(
            traceID: traceID, spanID: spanID, flags: state.sampled == true ? .sampled : TraceFlags(rawValue: 0)
        )
        return Extracted(context: context, parentSpanID: parent, sampling: state, traceID64Bit: is64)
    }

    static func traceIDText(_ id: TraceID, _ is64: Bool) -> String {
        is64 && id.high == 0 ? Hex.encode(id.low) : id.hex
    }

    /// The single `b3` value for a span `context` whose parent is `parent`.
    public static func single(
        _ context: TraceContext, parent: SpanID?, debug: Bool = false, traceID64Bit: Bool = false
    ) -> String {
        var value = Self.traceIDText(context.traceID, traceID64Bit) + "-" + context.spanID.hex + "-"
        value += debug ? "d" : (context.flags.isSampled ? "1" : "0")
        if let parent {
            value += "-" + parent.hex
        }
        return value
    }

    /// The `x-b3-*` headers for a span `context` whose parent is `parent`. Debug sends `x-b3-flags: 1` and no
    /// `x-b3-sampled` (B3: "Debug implies an accept decision, so don't also send the X-B3-Sampled header").
    public static func multi(
        _ context: TraceContext, parent: SpanID?, debug: Bool = false, traceID64Bit: Bool = false
    ) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [
            ("x-b3-traceid", Self.traceIDText(context.traceID, traceID64Bit)),
            ("x-b3-spanid", context.spanID.hex),
        ]
        if let parent {
            headers.append(("x-b3-parentspanid", parent.hex))
        }
        if debug {
            headers.append(("x-b3-flags", "1"))
        } else {
            headers.append(("x-b3-sampled", context.flags.isSampled ? "1" : "0"))
        }
        return headers
    }
}

extension String {
    func trimmingCharacters(in set: String) -> Substring {
        var result = self[...]
        while let first = result.first, set.contains(first) { result.removeFirst() }
        while let last = result.last, set.contains(last) { result.removeLast() }
        return result
    }
}
