/// The propagated identity of a span: what `traceparent` and `tracestate` (or B3) carry between processes.
public struct TraceContext: Sendable, Hashable {
    /// The trace.
    public var traceID: TraceID
    /// The span this context names (the caller's span when extracted, ours when injected).
    public var spanID: SpanID
    /// W3C trace flags (sampled, random-trace-id).
    public var flags: TraceFlags
    /// Vendor entries, passed on unchanged.
    public var traceState: TraceState

    /// Creates a context.
    public init(traceID: TraceID, spanID: SpanID, flags: TraceFlags = .sampled, traceState: TraceState = TraceState()) {
        self.traceID = traceID
        self.spanID = spanID
        self.flags = flags
        self.traceState = traceState
    }

    /// Whether both ids are valid (not all zero).
    public var isValid: Bool { self.traceID.isValid && self.spanID.isValid }
}

// MARK: - W3C traceparent (https://www.w3.org/TR/trace-context/#traceparent-header)

extension TraceContext {
    /// Length of a version-00 `traceparent`: `vv-` + 32 + `-` + 16 + `-` + 2.
    static let traceparentLength = 55

    /// Parses a `traceparent` value strictly (W3C Trace Context §3.2 and §4.3 "Versioning of traceparent").
    ///
    /// - Version `00`: exactly 55 characters, `00-<32 hex>-<16 hex>-<2 hex>`, lowercase hex only.
    /// - Version `ff`: invalid. Other versions (a newer spec): the first 55 characters are parsed as version 00
    ///   and must be followed by the end of the value or `-`; anything after that is ignored, and the context is
    ///   re-emitted as version 00.
    /// - An all-zero trace id or parent id makes the whole header invalid.
    ///
    /// Returns nil for an invalid value; the caller then starts a new trace (and ignores `tracestate`). Flag bits
    /// this implementation does not know are dropped (they "MUST be set to 0" when we send).
    public static func parseTraceparent(_ value: String) -> TraceContext? {
        let utf8 = Array(value.utf8)
        guard utf8.count >= Self.traceparentLength else { return nil }
        guard let v0 = Hex.value(utf8[0]), let v1 = Hex.value(utf8[1]) else { return nil }
        let version = v0 << 4 | v1
        if version == 0xFF {
            return nil
        }
        if version == 0 {
            guard utf8.count == Self.traceparentLength else { return nil }
        } else if utf8.count > Self.traceparentLength {
            guard utf8[Self.traceparentLength] == UInt8(ascii: "-") else { return nil }
        }
        guard utf8[2] == UInt8(ascii: "-"), utf8[35] == UInt8(ascii: "-"), utf8[52] == UInt8(ascii: "-"),
              let high = Hex.decode64(utf8[3..<19]), let low = Hex.decode64(utf8[19..<35]),
              let span = Hex.decode64(utf8[36..<52]), let flags = Hex.decode64(utf8[53..<55])
        else { return nil }
        let context = TraceContext(
            traceID: TraceID(high: high, low: low), spanID: SpanID(span),
            flags: TraceFlags(rawValue: UInt8(flags)).known
        )
        return context.isValid ? context : nil
    }

    /// The version-00 `traceparent` value.
    public var traceparent: String {
        "00-" + self.traceID.hex + "-" + self.spanID.hex + "-" + Hex.encode(self.flags.known.rawValue)
    }
}

// MARK: - W3C tracestate (https://www.w3.org/TR/trace-context/#tracestate-header)

/// The W3C `tracestate` list: ordered vendor key/value pairs, at most 32, keys unique.
public struct TraceState: Sendable, Hashable {
    /// One list member.
    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: String
    }

    /// The members, leftmost (most recently updated) first.
    public private(set) var entries: [Entry]

    /// Most members a `tracestate` may have (W3C §3.3.1.1).
    public static let maxMembers = 32
    /// Characters a propagated `tracestate` is cut to, at least (W3C §3.3.1.5 "vendors SHOULD propagate at least
    /// 512 characters").
    public static let propagationLimit = 512
    /// Members longer than this are the first dropped when cutting (W3C §3.3.1.5).
    public static let longMemberLimit = 128

    /// An empty list.
    public init() {
        self.entries = []
    }

    /// Whether there are no members.
    public var isEmpty: Bool { self.entries.isEmpty }

    /// The value for `key`, if present.
    public func value(forKey key: String) -> String? {
        self.entries.first { $0.key == key }?.value
    }

    /// Parses the `tracestate` header field values (several fields are combined in order, joined by `,`).
    ///
    /// Returns nil when the list is invalid (a malformed member, a duplicate key, more than 32 members): the
    /// whole `tracestate` is then dropped while `traceparent` is kept (W3C §3.3.1.1, §3.3.1.3). Empty members
    /// (`a=1,,b=2`) and optional whitespace around members are allowed.
    public static func parse(_ fields: [String]) -> TraceState? {
        var state = TraceState()
        var keys = Set<String>()
        for field in fields {
            for rawMember in field.split(separator: ",", omittingEmptySubsequences: false) {
                let member = rawMember.trimmingOWS()
                if member.isEmpty {
                    continue
                }
                guard let equals = member.firstIndex(of: "=") else { return nil }
                let key = member[member.startIndex..<equals]
                let value = member[member.index(after: equals)...]
                guard Self.isValidKey(key), Self.isValidValue(value) else { return nil }
                guard keys.insert(String(key)).inserted else { return nil }
                state.entries.append(Entry(key: String(key), value: String(value)))
                guard state.entries.count <= Self.maxMembers else { return nil }
            }
        }
        return state
    }

    /// `key = simple-key / multi-tenant-key`; `simple-key = (lcalpha / DIGIT) 0*255(lcalpha / DIGIT / "_" / "-" / "*"
    /// / "/")`; `multi-tenant-key = tenant-id "@" system-id`, tenant-id 1-241 characters starting with lcalpha or
    /// DIGIT, system-id 1-14 characters starting with lcalpha (W3C Trace Context Level 2, §3.3.1.3.1).
    static func isValidKey(_ key: Substring) -> Bool {
        let utf8 = Array(key.utf8)
        guard !utf8.isEmpty, utf8.count <= 256 else { return false }
        func isLCAlpha(_ b: UInt8) -> Bool { b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") }
        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        func isKeyChar(_ b: UInt8) -> Bool {
            isLCAlpha(b) || isDigit(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: "*")
                || b == UInt8(ascii: "/")
        }
        let ats = utf8.indices.filter { utf8[$0] == UInt8(ascii: "@") }
        switch ats.count {
        case 0:
            return (isLCAlpha(utf8[0]) || isDigit(utf8[0])) && utf8.dropFirst().allSatisfy(isKeyChar)
        case 1:
            let tenant = utf8[..<ats[0]]
            let system = utf8[(ats[0] + 1)...]
            guard let t0 = tenant.first, tenant.count <= 241, let s0 = system.first, system.count <= 14 else {
                return false
            }
            return (isLCAlpha(t0) || isDigit(t0)) && tenant.dropFirst().allSatisfy(isKeyChar)
                && isLCAlpha(s0) && system.dropFirst().allSatisfy(isKeyChar)
        default:
            return false
        }
    }

    /// `value = 0*255(chr) nblk-chr`; `nblk-chr = %x21-2B / %x2D-3C / %x3E-7E`; `chr = %x20 / nblk-chr`: 1-256
    /// printable ASCII characters without `,` or `=`, not ending in a space.
    static func isValidValue(_ value: Substring) -> Bool {
        let utf8 = value.utf8
        guard let last = utf8.last, utf8.count <= 256, last != UInt8(ascii: " ") else { return false }
        return utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E && $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: "=") }
    }

    /// The header value: members joined by `,`, cut to at least ``propagationLimit`` characters by dropping whole
    /// members, first those longer than ``longMemberLimit``, then from the right (W3C §3.3.1.5).
    public var header: String {
        var members = self.entries.map { $0.key + "=" + $0.value }
        func length() -> Int { members.reduce(0) { $0 + $1.utf8.count } + max(0, members.count - 1) }
        if length() > Self.propagationLimit {
            members.removeAll { $0.utf8.count > Self.longMemberLimit }
            while length() > Self.propagationLimit {
                members.removeLast()
            }
        }
        return members.joined(separator: ",")
    }
}

extension Substring {
    /// Without leading and trailing OWS (space and horizontal tab, RFC 9110 §5.6.3).
    func trimmingOWS() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}
