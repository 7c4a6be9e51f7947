import MicroStateTracing
import Testing

private let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
private let spanID = "00f067aa0ba902b7"

@Suite("W3C traceparent and tracestate")
struct TraceContextTests {
    /// Valid values, with the trace id, span id and flags they must parse to (cases of the W3C trace-context test
    /// suite, test/traceparent tests, and the spec's examples).
    static let valid: [(String, String, String, UInt8)] = [
        ("00-\(traceID)-\(spanID)-01", traceID, spanID, 0x01),
        ("00-\(traceID)-\(spanID)-00", traceID, spanID, 0x00),
        ("00-\(traceID)-\(spanID)-03", traceID, spanID, 0x03),
        // Unknown flag bits are accepted but not propagated.
        ("00-\(traceID)-\(spanID)-ff", traceID, spanID, 0x03),
        // A future version: the first 55 characters as version 00, the rest ignored.
        ("cc-\(traceID)-\(spanID)-01", traceID, spanID, 0x01),
        ("cc-\(traceID)-\(spanID)-01-what-the-future-will-be-like", traceID, spanID, 0x01),
        ("01-\(traceID)-\(spanID)-09-", traceID, spanID, 0x01),
    ]

    static let invalid: [String] = [
        "",
        "00",
        // Version ff is forbidden; versions must be two lowercase hex digits.
        "ff-\(traceID)-\(spanID)-01",
        "0-\(traceID)-\(spanID)-01",
        "000-\(traceID)-\(spanID)-01",
        "0g-\(traceID)-\(spanID)-01",
        "AA-\(traceID)-\(spanID)-01",
        // Version 00 must be exactly 55 characters.
        "00-\(traceID)-\(spanID)-01-",
        "00-\(traceID)-\(spanID)-01-what-the-future-will-be-like",
        "00-\(traceID)-\(spanID)-1",
        "00-\(traceID)-\(spanID)-011",
        // Future versions still need '-' or the end after character 55.
        "cc-\(traceID)-\(spanID)-01.what-the-future-will-be-like",
        "cc-\(traceID)-\(spanID)-0",
        // Upper case is not allowed anywhere.
        "00-\(traceID.uppercased())-\(spanID)-01",
        "00-\(traceID)-\(spanID.uppercased())-01",
        "00-\(traceID)-\(spanID)-0A",
        // All-zero ids.
        "00-00000000000000000000000000000000-\(spanID)-01",
        "00-\(traceID)-0000000000000000-01",
        // Wrong lengths and separators.
        "00-\(traceID.dropLast())-\(spanID)-01",
        "00-\(traceID)0-\(spanID)-01",
        "00-\(traceID)-\(spanID.dropLast())-01",
        "00_\(traceID)-\(spanID)-01",
        "00-\(traceID)_\(spanID)-01",
        "00-\(traceID)-\(spanID)_01",
        " 00-\(traceID)-\(spanID)-01",
        "00-\(traceID.dropLast())z-\(spanID)-01",
        "00-\(traceID)-\(spanID.dropLast())z-01",
        "00-\(traceID)-\(spanID)-0z",
    ]

    @Test("Valid traceparent values parse to their ids and flags", arguments: Self.valid)
    func validTraceparent(_ value: String, _ trace: String, _ span: String, _ flags: UInt8) throws {
        let context = try #require(TraceContext.parseTraceparent(value), "\(value)")
        #expect(context.traceID.hex == trace)
        #expect(context.spanID.hex == span)
        #expect(context.flags.rawValue == flags)
        // Re-emitted as version 00.
        #expect(context.traceparent == "00-\(trace)-\(span)-" + (flags < 0x10 ? "0" : "") + String(flags, radix: 16))
    }

    @Test("Invalid traceparent values are rejected", arguments: Self.invalid)
    func invalidTraceparent(_ value: String) {
        #expect(TraceContext.parseTraceparent(value) == nil, "\(value)")
    }

    @Test("tracestate: members parse in order, OWS and empty members are allowed, multiple fields combine")
    func tracestateParses() throws {
        let state = try #require(TraceState.parse(["rojo=00f067aa0ba902b7 , ,congo=t61rcWkgMzE", "\tfoo@bar=x y"]))
        #expect(state.entries.map(\.key) == ["rojo", "congo", "foo@bar"])
        #expect(state.value(forKey: "congo") == "t61rcWkgMzE")
        #expect(state.value(forKey: "foo@bar") == "x y")
        #expect(state.header == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,foo@bar=x y")
    }

    static let invalidStates: [String] = [
        "Rojo=1",  // upper case key
        "=1",  // empty key
        "rojo",  // no '='
        "rojo=",  // empty value
        "rojo=a,rojo=b",  // duplicate key
        "rojo=a\tb",  // tab inside a value (a trailing space is OWS, not part of the value)
        "rojo=a=b",  // '=' in value
        "rojo=\u{7F}",  // not printable
        "rojo=é",  // not ASCII
        "a@b@c=1",  // two '@'
        "tenant@1system=1",  // system id must start with a letter
        "tenant@systemtoolong123=1",  // system id over 14 characters
        String(repeating: "k", count: 257) + "=1",  // key over 256 characters
        "k=" + String(repeating: "v", count: 257),  // value over 256 characters
        "_k=1",  // key must start with a letter or digit
    ]

    @Test("Invalid tracestate lists are dropped whole", arguments: Self.invalidStates)
    func invalidTracestate(_ value: String) {
        #expect(TraceState.parse([value]) == nil, "\(value)")
    }

    @Test("tracestate allows 32 members and rejects 33")
    func tracestateMemberLimit() {
        let members = (0..<33).map { "k\($0)=v" }
        #expect(TraceState.parse([members.prefix(32).joined(separator: ",")])?.entries.count == 32)
        #expect(TraceState.parse([members.joined(separator: ",")]) == nil)
        // Split across fields still counts together.
        #expect(TraceState.parse([members.prefix(20).joined(separator: ","), members.suffix(13).joined(separator: ",")]) == nil)
    }

    @Test("A long tracestate is cut to 512 characters, long members first, then from the right")
    func tracestateTruncation() throws {
        let long = "big=" + String(repeating: "x", count: 200)
        let small = (0..<31).map { "key\($0)=" + String(repeating: "v", count: 20) }
        let state = try #require(TraceState.parse([([long] + small).joined(separator: ",")]))
        let header = state.header
        #expect(header.utf8.count <= 512)
        #expect(!header.contains("big="))
        #expect(header.hasPrefix("key0="))
        let kept = header.split(separator: ",").map(String.init)
        #expect(kept == Array(small.prefix(kept.count)))
        #expect(header.utf8.count + 1 + small[kept.count].utf8.count > 512)
    }

    @Test("Key grammar: digits first, multi-tenant keys, the allowed punctuation")
    func tracestateKeys() {
        for key in ["0abc", "a_-*/z", "tenant@vendor", "1tenant@v-1*"] {
            #expect(TraceState.parse(["\(key)=1"]) != nil, "\(key)")
        }
    }
}
