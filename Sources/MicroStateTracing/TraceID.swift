/// A W3C / OpenTelemetry trace id: 16 bytes, valid only when not all zero.
public struct TraceID: Sendable, Hashable, CustomStringConvertible {
    /// Bytes 0-7, big-endian.
    public var high: UInt64
    /// Bytes 8-15, big-endian. The trace-id-ratio sampler reads its randomness from here.
    public var low: UInt64

    /// Creates a trace id from its two big-endian halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The all-zero id, which W3C Trace Context calls invalid.
    public static let invalid = TraceID(high: 0, low: 0)

    /// Whether the id is not all zero.
    public var isValid: Bool { self.high != 0 || self.low != 0 }

    /// The 16 bytes, big-endian (OTLP `trace_id`).
    public var bytes: [UInt8] { Hex.bytes(self.high) + Hex.bytes(self.low) }

    /// 32 lowercase hex digits.
    public var hex: String { Hex.encode(self.high) + Hex.encode(self.low) }

    public var description: String { self.hex }

    /// Parses exactly 32 lowercase hex digits (zero ids included: validity is the caller's check).
    public init?(hex: Substring) {
        guard hex.utf8.count == 32,
              let high = Hex.decode64(hex.utf8.prefix(16)),
              let low = Hex.decode64(hex.utf8.dropFirst(16))
        else { return nil }
        self.init(high: high, low: low)
    }
}

/// A W3C / OpenTelemetry span id: 8 bytes, valid only when not all zero.
public struct SpanID: Sendable, Hashable, CustomStringConvertible {
    /// The 8 bytes as a big-endian integer.
    public var value: UInt64

    /// Creates a span id.
    public init(_ value: UInt64) {
        self.value = value
    }

    /// Whether the id is not all zero.
    public var isValid: Bool { self.value != 0 }

    /// The 8 bytes, big-endian (OTLP `span_id`).
    public var bytes: [UInt8] { Hex.bytes(self.value) }

    /// 16 lowercase hex digits.
    public var hex: String { Hex.encode(self.value) }

    public var description: String { self.hex }

    /// Parses exactly 16 lowercase hex digits.
    public init?(hex: Substring) {
        guard hex.utf8.count == 16, let value = Hex.decode64(hex.utf8[...]) else { return nil }
        self.init(value)
    }
}

/// W3C `trace-flags`.
public struct TraceFlags: Sendable, Hashable {
    /// The flag byte.
    public var rawValue: UInt8

    /// Creates flags from the byte.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// Bit 0: the caller may have recorded the trace (W3C Trace Context §3.2.2.5.1).
    public static let sampled = TraceFlags(rawValue: 0x01)
    /// Bit 1 (Trace Context Level 2): the rightmost 7 bytes of the trace id are random.
    public static let randomTraceID = TraceFlags(rawValue: 0x02)

    /// Whether bit 0 is set.
    public var isSampled: Bool {
        get { self.rawValue & 0x01 != 0 }
        set { self.rawValue = newValue ? self.rawValue | 0x01 : self.rawValue & ~0x01 }
    }

    /// Only the bits this implementation knows (sampled, random-trace-id); unknown ones are not propagated.
    public var known: TraceFlags { TraceFlags(rawValue: self.rawValue & 0x03) }
}

/// Strict lowercase hex, as W3C Trace Context and B3 require.
enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func encode(_ value: UInt64) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<16 {
            bytes[index] = Self.digits[Int((value >> UInt64(60 - 4 * index)) & 0xF)]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func encode(_ value: UInt8) -> String {
        String(decoding: [Self.digits[Int(value >> 4)], Self.digits[Int(value & 0xF)]], as: UTF8.self)
    }

    static func bytes(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> UInt64(56 - 8 * $0)) }
    }

    /// One lowercase hex digit's value, nil for anything else (upper case included).
    @inline(__always)
    static func value(_ byte: UInt8) -> UInt64? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt64(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt64(byte - UInt8(ascii: "a") + 10)
        default: return nil
        }
    }

    /// Decodes 1-16 lowercase hex digits.
    static func decode64<C: Collection>(_ digits: C) -> UInt64? where C.Element == UInt8 {
        guard !digits.isEmpty, digits.count <= 16 else { return nil }
        var result: UInt64 = 0
        for byte in digits {
            guard let digit = Self.value(byte) else { return nil }
            result = result << 4 | digit
        }
        return result
    }

    static func isLowerHex<C: Collection>(_ digits: C) -> Bool where C.Element == UInt8 {
        digits.allSatisfy { Self.value($0) != nil }
    }
}
