import MicroStateRPC
import MicroStateTracing
import Testing

private let trace128 = "80f198ee56343ba864fe8b2a57d3eff7"
private let trace64 = "64fe8b2a57d3eff7"
private let span = "e457b5a2e4d86bd1"
private let parent = "05e3ac9a4f6e3b90"

@Suite("B3 single and multi headers, and the precedence between formats")
struct B3Tests {
    @Test("b3 single: every valid shape")
    func singleValid() throws {
        let full = try #require(B3.parseSingle("\(trace128)-\(span)-1-\(parent)"))
        #expect(full.context?.traceID.hex == trace128)
        #expect(full.context?.spanID.hex == span)
        #expect(full.parentSpanID?.hex == parent)
        #expect(full.sampling == .accept && full.context?.flags.isSampled == true)

        let deferred = try #require(B3.parseSingle("\(trace64)-\(span)"))
        #expect(deferred.sampling == .deferred)
        #expect(deferred.traceID64Bit)
        #expect(deferred.context?.traceID.hex == "0000000000000000" + trace64)

        #expect(B3.parseSingle("\(trace128)-\(span)-0")?.sampling == .deny)
        #expect(B3.parseSingle("\(trace128)-\(span)-d")?.sampling == .debug)
        let denyOnly = try #require(B3.parseSingle("0"))
        #expect(denyOnly.context == nil && denyOnly.sampling == .deny)
        #expect(B3.parseSingle("d")?.sampling == .debug)
    }

    static let invalidSingle: [String] = [
        "", "-", "2", "true",
        "\(trace128)",  // trace id alone
        "\(trace128)-",  // empty span id
        "\(trace128)-\(span)-",  // empty sampling state
        "\(trace128)-\(span)-x",
        "\(trace128)-\(span)-1-",  // empty parent
        "\(trace128)-\(span)-1--",
        "\(trace128)-\(span)-1-\(parent)-extra",
        "\(trace128.uppercased())-\(span)-1",
        "\(trace128)-\(span.uppercased())-1",
        "\(trace128.dropLast())-\(span)-1",  // 31 digits
        "\(trace64)0-\(span)-1",  // 17 digits
        "00000000000000000000000000000000-\(span)-1",
        "\(trace128)-0000000000000000-1",
        "\(trace128)-\(span)-1-0000000000000000",
    ]

    @Test("b3 single: malformed values are rejected", arguments: Self.invalidSingle)
    func singleInvalid(_ value: String) {
        #expect(B3.parseSingle(value) == nil, "\(value)")
    }

    @Test("Multi-header: ids, sampled (lenient true/false), debug flag, and sampling-only")
    func multiValid() throws {
        let full = try #require(B3.parseMulti(traceID: trace128, spanID: span, parentSpanID: parent, sampled: "1", flags: nil))
        #expect(full.context?.traceID.hex == trace128 && full.parentSpanID?.hex == parent && full.sampling == .accept)
        #expect(B3.parseMulti(traceID: trace64, spanID: span, parentSpanID: nil, sampled: "true", flags: nil)?.sampling == .accept)
        #expect(B3.parseMulti(traceID: trace64, spanID: span, parentSpanID: nil, sampled: "false", flags: nil)?.sampling == .deny)
        #expect(B3.parseMulti(traceID: trace64, spanID: span, parentSpanID: nil, sampled: nil, flags: nil)?.sampling == .deferred)
        #expect(B3.parseMulti(traceID: trace64, spanID: span, parentSpanID: nil, sampled: "0", flags: "1")?.sampling == .debug)
        let samplingOnly = try #require(B3.parseMulti(traceID: nil, spanID: nil, parentSpanID: nil, sampled: "0", flags: nil))
        #expect(samplingOnly.context == nil && samplingOnly.sampling == .deny)
        #expect(B3.parseMulti(traceID: nil, spanID: nil, parentSpanID: nil, sampled: nil, flags: nil) == nil)
    }

    @Test("Multi-header: malformed sets are rejected")
    func multiInvalid() {
        #expect(B3.parseMulti(traceID: "", spanID: span, parentSpanID: nil, sampled: nil, flags: nil) == nil)
        #expect(B3.parseMulti(traceID: trace128, spanID: "", parentSpanID: nil, sampled: nil, flags: nil) == nil)
        #expect(B3.parseMulti(traceID: trace128, spanID: span, parentSpanID: "-", sampled: nil, flags: nil) == nil)
        #expect(B3.parseMulti(traceID: trace128, spanID: span, parentSpanID: nil, sampled: "yes", flags: nil) == nil)
        #expect(B3.parseMulti(traceID: trace128, spanID: span, parentSpanID: nil, sampled: nil, flags: "2") == nil)
        #expect(B3.parseMulti(traceID: trace128, spanID: nil, parentSpanID: nil, sampled: "1", flags: nil) == nil)
        #expect(B3.parseMulti(traceID: nil, spanID: span, parentSpanID: nil, sampled: "1", flags: nil) == nil)
        #expect(B3.parseMulti(traceID: trace128.uppercased(), spanID: span, parentSpanID: nil, sampled: nil, flags: nil) == nil)
    }

    @Test("Extraction: W3C first, then b3, then x-b3-*; invalid headers fall through; the first value wins")
    func precedence() {
        let w3c = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        var both = Metadata()
        both.add("b3", "\(trace128)-\(span)-1")
        both.add("traceparent", w3c)
        both.add("tracestate", "a=1")
        let fromBoth = TracePropagation.extract(from: both)
        #expect(fromBoth.parent?.traceID.hex == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(fromBoth.parent?.traceState.value(forKey: "a") == "1")
        #expect(fromBoth.b3Style == .single)  // answered in B3 too

        var badW3C = Metadata()
        badW3C.add("traceparent", "00-bad")
        badW3C.add("tracestate", "a=1")
        badW3C.add("x-b3-traceid", trace128)
        badW3C.add("x-b3-traceid", trace64)
        badW3C.add("x-b3-spanid", span)
        let fallback = TracePropagation.extract(from: badW3C)
        #expect(fallback.parent?.traceID.hex == trace128)
        #expect(fallback.parent?.traceState.isEmpty == true)
        #expect(fallback.b3Style == .multi)
        #expect(fallback.sampled == nil)  // deferred

        var badSingle = Metadata()
        badSingle.add("b3", "garbage")
        badSingle.add("x-b3-traceid", trace128)
        badSingle.add("x-b3-spanid", span)
        badSingle.add("x-b3-sampled", "0")
        let multi = TracePropagation.extract(from: badSingle)
        #expect(multi.parent?.spanID.hex == span && multi.sampled == false && multi.b3Style == .multi)

        var badState = Metadata()
        badState.add("traceparent", w3c)
        badState.add("tracestate", "A=1")
        let kept = TracePropagation.extract(from: badState)
        #expect(kept.parent != nil && kept.parent?.traceState.isEmpty == true)

        #expect(TracePropagation.extract(from: Metadata()) == .none)
    }

    @Test("Injection writes traceparent and tracestate, and B3 in the caller's style")
    func injection() throws {
        let state = try #require(TraceState.parse(["a=1,b=2"]))
        let context = TraceContext(
            traceID: try #require(TraceID(hex: trace128[...])), spanID: try #require(SpanID(hex: span[...])),
            flags: .sampled, traceState: state
        )
        let parentID = try #require(SpanID(hex: parent[...]))
        var w3cOnly = Metadata()
        TracePropagation.inject(context, parent: parentID, into: &w3cOnly)
        #expect(w3cOnly.first("traceparent") == "00-\(trace128)-\(span)-01")
        #expect(w3cOnly.first("tracestate") == "a=1,b=2")
        #expect(w3cOnly.first("b3") == nil && w3cOnly.first("x-b3-traceid") == nil)

        var single = Metadata()
        TracePropagation.inject(context, parent: parentID, b3Style: .single, into: &single)
        #expect(single.first("b3") == "\(trace128)-\(span)-1-\(parent)")

        var multi = Metadata()
        TracePropagation.inject(context, parent: parentID, b3Style: .multi, debug: true, into: &multi)
        #expect(multi.first("x-b3-traceid") == trace128)
        #expect(multi.first("x-b3-spanid") == span)
        #expect(multi.first("x-b3-parentspanid") == parent)
        #expect(multi.first("x-b3-flags") == "1")
        #expect(multi.first("x-b3-sampled") == nil)

        var narrow = Metadata()
        var context64 = context
        context64.traceID = TraceID(high: 0, low: context.traceID.low)
        TracePropagation.inject(context64, b3Style: .single, traceID64Bit: true, into: &narrow)
        #expect(narrow.first("b3") == "\(trace64)-\(span)-1")
    }
}
