/// A strict, bounded JSON parser (RFC 8259).
///
/// Strict: no comments, trailing commas, leading zeros, `NaN`, byte order mark, unescaped control characters,
/// invalid UTF-8 or lone UTF-16 surrogates in `\u` escapes; duplicate object keys are an error (RFC 8259 §4
/// leaves them undefined, and a schema or payload whose meaning depends on which duplicate wins is a bug).
/// Bounded: every input that can grow has a limit in `Limits`; recursion is at most `maxDepth` deep.
/// Unlike Foundation's `JSONSerialization`, integers stay integers (`JSONValue.integer`).
public enum JSONParser {
    /// Limits on what the parser accepts.
    public struct Limits: Sendable, Hashable {
        /// Largest accepted input in bytes. Default 1 MiB: schemas and KV payloads are far smaller, and the
        /// parsed tree costs a multiple of the input size in memory.
        public var maxInputBytes: Int
        /// Deepest nesting of arrays and objects. Default 64: bounds the parser's (and the validator's)
        /// recursion, and real documents rarely exceed 10.
        public var maxDepth: Int
        /// Most values (scalars, arrays, objects) in one document. Default 262,144: bounds the tree built from a
        /// 1 MiB input of tiny values such as `[0,0,0,…]`.
        public var maxElements: Int

        public init(maxInputBytes: Int = 1 << 20, maxDepth: Int = 64, maxElements: Int = 262_144) {
            precondition(maxInputBytes >= 0 && maxDepth >= 1 && maxElements >= 1)
            self.maxInputBytes = maxInputBytes
            self.maxDepth = maxDepth
            self.maxElements = maxElements
        }

        /// The documented defaults.
        public static let `default` = Limits()
    }

    /// Parses one JSON text.
    public static func parse(_ text: String, limits: Limits = .default) throws(JSONParseError) -> JSONValue {
        try self.parse(Array(text.utf8), limits: limits)
    }

    /// Parses one JSON text given as UTF-8 bytes.
    public static func parse(_ bytes: [UInt8], limits: Limits = .default) throws(JSONParseError) -> JSONValue {
        guard bytes.count <= limits.maxInputBytes else {
            throw JSONParseError(
                code: .inputTooLarge, offset: limits.maxInputBytes,
                message: "input is \(bytes.count) bytes, more than the limit of \(limits.maxInputBytes)"
            )
        }
        // One non-generic pass over contiguous bytes: no bounds checks, no generic metadata in the hot loop.
        let result: Result<JSONValue, JSONParseError> = bytes.withUnsafeBufferPointer { buffer in
            var cursor = Cursor(bytes: buffer, limits: limits)
            do throws(JSONParseError) {
                return .success(try cursor.parseDocument())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

/// Why a JSON text was rejected, and at which byte offset.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of error; extensible.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { self.name }

        public static let unexpectedEnd = Code("unexpectedEnd")
        public static let unexpectedByte = Code("unexpectedByte")
        public static let invalidString = Code("invalidString")
        public static let invalidUTF8 = Code("invalidUTF8")
        public static let invalidNumber = Code("invalidNumber")
        public static let numberOutOfRange = Code("numberOutOfRange")
        public static let duplicateKey = Code("duplicateKey")
        public static let trailingContent = Code("trailingContent")
        public static let inputTooLarge = Code("inputTooLarge")
        public static let depthLimitExceeded = Code("depthLimitExceeded")
        public static let elementLimitExceeded = Code("elementLimitExceeded")
    }

    public var code: Code
    /// Byte offset into the input where the problem was found.
    public var offset: Int
    public var message: String

    public init(code: Code, offset: Int, message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    public var description: String { "JSON \(self.code) at byte \(self.offset): \(self.message)" }
}

private let quote = UInt8(ascii: "\"")
private let backslash = UInt8(ascii: "\\")

/// Exact powers of ten as doubles (10^22 is the largest exactly representable), for the fast decimal path.
private let exactPowersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
    1e20, 1e21, 1e22,
]

/// Whether `bytes[from..<to]` is well-formed UTF-8 (Unicode §3.9, table 3-7): no overlong forms, no surrogates,
/// nothing above U+10FFFF, no truncated sequences.
func isWellFormedUTF8(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Bool {
    var i = from
    while i < to {
        let b0 = bytes[i]
        if b0 < 0x80 {
            i += 1
            continue
        }
        if b0 < 0xC2 { return false }  // a continuation byte, or an overlong 2-byte lead
        if b0 < 0xE0 {
            guard i + 1 < to, bytes[i + 1] & 0xC0 == 0x80 else { return false }
            i += 2
            continue
        }
        if b0 < 0xF0 {
            guard i + 2 < to else { return false }
            let b1 = bytes[i + 1]
            guard b1 & 0xC0 == 0x80, bytes[i + 2] & 0xC0 == 0x80 else { return false }
            if b0 == 0xE0 && b1 < 0xA0 { return false }  // overlong
            if b0 == 0xED && b1 >= 0xA0 { return false }  // UTF-16 surrogate
            i += 3
            continue
        }
        if b0 < 0xF5 {
            guard i + 3 < to else { return false }
            let b1 = bytes[i + 1]
            guard b1 & 0xC0 == 0x80, bytes[i + 2] & 0xC0 == 0x80, bytes[i + 3] & 0xC0 == 0x80 else { return false }
            if b0 == 0xF0 && b1 < 0x90 { return false }  // overlong
            if b0 == 0xF4 && b1 >= 0x90 { return false }  // above U+10FFFF
            i += 4
            continue
        }
        return false
    }
    return true
}

/// FNV-1a over a key's UTF-8 bytes: equal keys have equal fingerprints, so duplicate detection in small objects
/// compares two integers per member and compares strings only on a fingerprint match.
@inline(__always)
private func fingerprint(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    var i = from
    while i < to {
        h = (h ^ UInt64(bytes[i])) &* 0x0000_0100_0000_01B3
        i += 1
    }
    return h ^ UInt64(truncatingIfNeeded: to - from)
}

private struct Cursor {
    let bytes: UnsafeBufferPointer<UInt8>
    let count: Int
    let limits: JSONParser.Limits
    var offset = 0
    var elements = 0
    /// Decoded bytes of the string being parsed, for strings with escapes.
    var scratch: [UInt8] = []
    /// Fingerprint of the last string `parseString` returned.
    var lastFingerprint: UInt64 = 0
    /// Key fingerprints of the objects being parsed, innermost last (a stack shared by all nesting levels).
    var keyPrints: [UInt64] = []

    init(bytes: UnsafeBufferPointer<UInt8>, limits: JSONParser.Limits) {
        self.bytes = bytes
        self.count = bytes.count
        self.limits = limits
        self.keyPrints.reserveCapacity(32)
    }

    func fail(_ code: JSONParseError.Code, _ message: String, at offset: Int? = nil) -> JSONParseError {
        JSONParseError(code: code, offset: offset ?? self.offset, message: message)
    }

    func describeCurrent() -> String {
        guard self.offset < self.count else { return "end of input" }
        let b = self.bytes[self.offset]
        if b >= 0x20 && b < 0x7F {
            return "'\(Character(Unicode.Scalar(b)))'"
        }
        return "byte 0x\(String(b, radix: 16))"
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while self.offset < self.count {
            switch self.bytes[self.offset] {
            case 0x20, 0x09, 0x0A, 0x0D: self.offset += 1
            default: return
            }
        }
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        self.skipWhitespace()
        let value = try self.parseValue(depth: 0)
        self.skipWhitespace()
        guard self.offset == self.count else {
            throw self.fail(.trailingContent, "unexpected \(self.describeCurrent()) after the top-level value")
        }
        return value
    }

    /// Parses the value at `offset` (no leading whitespace); `depth` counts the enclosing containers.
    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard self.offset < self.count else {
            throw self.fail(.unexpectedEnd, "expected a value, found end of input")
        }
        self.elements += 1
        guard self.elements <= self.limits.maxElements else {
            throw self.fail(.elementLimitExceeded, "more than \(self.limits.maxElements) values")
        }
        switch self.bytes[self.offset] {
        case UInt8(ascii: "{"):
            return try self.parseObject(depth: depth + 1)
        case UInt8(ascii: "["):
            return try self.parseArray(depth: depth + 1)
        case quote:
            return .string(try self.parseString())
        case UInt8(ascii: "t"):
            try self.parseLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.parseLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.parseLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try self.parseNumber()
        default:
            throw self.fail(.unexpectedByte, "expected a value, found \(self.describeCurrent())")
        }
    }

    mutating func parseLiteral(_ literal: StaticString) throws(JSONParseError) {
        let start = self.offset
        let count = literal.utf8CodeUnitCount
        var matches = self.count - start >= count
        if matches {
            let expected = literal.utf8Start
            for i in 0..<count where self.bytes[start + i] != expected[i] {
                matches = false
                break
            }
        }
        guard matches else {
            throw self.fail(.unexpectedByte, "invalid literal, expected \(literal)", at: start)
        }
        self.offset += count
    }

    mutating func enter(depth: Int) throws(JSONParseError) {
        guard depth <= self.limits.maxDepth else {
            throw self.fail(.depthLimitExceeded, "nesting deeper than \(self.limits.maxDepth)")
        }
        self.offset += 1  // the opening bracket
        self.skipWhitespace()
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        try self.enter(depth: depth)
        var elements: [JSONValue] = []
        if self.offset < self.count && self.bytes[self.offset] == UInt8(ascii: "]") {
            self.offset += 1
            return .array(elements)
        }
        elements.reserveCapacity(8)
        while true {
            elements.append(try self.parseValue(depth: depth))
            self.skipWhitespace()
            guard self.offset < self.count else {
                throw self.fail(.unexpectedEnd, "unterminated array")
            }
            switch self.bytes[self.offset] {
            case UInt8(ascii: ","):
                self.offset += 1
                self.skipWhitespace()
            case UInt8(ascii: "]"):
                self.offset += 1
                return .array(elements)
            default:
                throw self.fail(.unexpectedByte, "expected ',' or ']' in array, found \(self.describeCurrent())")
            }
        }
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        try self.enter(depth: depth)
        var members: [JSONObject.Member] = []
        if self.offset < self.count && self.bytes[self.offset] == UInt8(ascii: "}") {
            self.offset += 1
            return .object(JSONObject(uniqueMembers: members, index: nil))
        }
        members.reserveCapacity(8)
        // Duplicate detection: up to `JSONObject.indexThreshold` members by fingerprint (two integer compares per
        // member, a string compare only on a match); above it by the object's hash index, so a huge object costs
        // O(n), not O(n²).
        let printBase = self.keyPrints.count
        var index: [String: Int]? = nil
        while true {
            guard self.offset < self.count else {
                throw self.fail(.unexpectedEnd, "unterminated object")
            }
            guard self.bytes[self.offset] == quote else {
                throw self.fail(.unexpectedByte, "expected a string key, found \(self.describeCurrent())")
            }
            let keyOffset = self.offset
            let key = try self.parseString()
            if index != nil {
                guard index!.updateValue(members.count, forKey: key) == nil else {
                    throw self.fail(.duplicateKey, "duplicate key \"\(key)\"", at: keyOffset)
                }
            } else {
                let print = self.lastFingerprint
                var j = printBase
                let end = self.keyPrints.count
                while j < end {
                    if self.keyPrints[j] == print && members[j - printBase].key == key {
                        throw self.fail(.duplicateKey, "duplicate key \"\(key)\"", at: keyOffset)
                    }
                    j += 1
                }
                if members.count < JSONObject.indexThreshold {
                    self.keyPrints.append(print)
                } else {
                    var built: [String: Int] = [:]
                    built.reserveCapacity(members.count * 2)
                    for (i, member) in members.enumerated() {
                        built[member.key] = i
                    }
                    built[key] = members.count
                    index = built
                    self.keyPrints.removeSubrange(printBase...)
                }
            }
            self.skipWhitespace()
            guard self.offset < self.count, self.bytes[self.offset] == UInt8(ascii: ":") else {
                throw self.fail(.unexpectedByte, "expected ':' after key, found \(self.describeCurrent())")
            }
            self.offset += 1
            self.skipWhitespace()
            let value = try self.parseValue(depth: depth)
            members.append(JSONObject.Member(key: key, value: value))
            self.skipWhitespace()
            guard self.offset < self.count else {
                throw self.fail(.unexpectedEnd, "unterminated object")
            }
            switch self.bytes[self.offset] {
            case UInt8(ascii: ","):
                self.offset += 1
                self.skipWhitespace()
            case UInt8(ascii: "}"):
                self.offset += 1
                if index == nil { self.keyPrints.removeSubrange(printBase...) }
                return .object(JSONObject(uniqueMembers: members, index: index))
            default:
                throw self.fail(.unexpectedByte, "expected ',' or '}' in object, found \(self.describeCurrent())")
            }
        }
    }

    /// Parses a string starting at its opening quote; sets `lastFingerprint`.
    mutating func parseString() throws(JSONParseError) -> String {
        let start = self.offset
        let contentStart = start + 1
        var i = contentStart
        var high: UInt8 = 0
        // Fast path: no escapes, so the content is a slice of the input, validated once.
        while i < self.count {
            let b = self.bytes[i]
            if b == quote {
                if high >= 0x80 && !isWellFormedUTF8(self.bytes, from: contentStart, to: i) {
                    throw self.fail(.invalidUTF8, "string is not valid UTF-8", at: start)
                }
                self.lastFingerprint = fingerprint(self.bytes, from: contentStart, to: i)
                let s = String(
                    decoding: UnsafeBufferPointer(rebasing: self.bytes[contentStart..<i]), as: UTF8.self)
                self.offset = i + 1
                return s
            }
            if b == backslash { break }
            if b < 0x20 {
                self.offset = i
                throw self.fail(.invalidString, "unescaped control character in string")
            }
            high |= b
            i += 1
        }
        self.offset = i
        return try self.parseEscapedString(start: start, contentStart: contentStart)
    }

    /// The slow path of `parseString`, from the first backslash (or the end of input).
    mutating func parseEscapedString(start: Int, contentStart: Int) throws(JSONParseError) -> String {
        self.scratch.removeAll(keepingCapacity: true)
        self.scratch.append(contentsOf: UnsafeBufferPointer(rebasing: self.bytes[contentStart..<self.offset]))
        while self.offset < self.count {
            let b = self.bytes[self.offset]
            if b == quote {
                let decoded: String? = self.scratch.withUnsafeBufferPointer { buffer in
                    guard isWellFormedUTF8(buffer, from: 0, to: buffer.count) else { return nil }
                    self.lastFingerprint = fingerprint(buffer, from: 0, to: buffer.count)
                    return String(decoding: buffer, as: UTF8.self)
                }
                guard let s = decoded else {
                    throw self.fail(.invalidUTF8, "string is not valid UTF-8", at: start)
                }
                self.offset += 1
                return s
            }
            if b < 0x20 {
                throw self.fail(.invalidString, "unescaped control character in string")
            }
            if b != backslash {
                self.scratch.append(b)
                self.offset += 1
                continue
            }
            let escapeOffset = self.offset
            self.offset += 1
            guard self.offset < self.count else { break }
            let e = self.bytes[self.offset]
            self.offset += 1
            switch e {
            case quote, backslash, UInt8(ascii: "/"): self.scratch.append(e)
            case UInt8(ascii: "b"): self.scratch.append(0x08)
            case UInt8(ascii: "f"): self.scratch.append(0x0C)
            case UInt8(ascii: "n"): self.scratch.append(0x0A)
            case UInt8(ascii: "r"): self.scratch.append(0x0D)
            case UInt8(ascii: "t"): self.scratch.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try self.parseHex4()
                if (0xDC00...0xDFFF).contains(scalar) {
                    throw self.fail(.invalidString, "lone low surrogate in \\u escape", at: escapeOffset)
                }
                if (0xD800...0xDBFF).contains(scalar) {
                    guard self.count - self.offset >= 6, self.bytes[self.offset] == backslash,
                        self.bytes[self.offset + 1] == UInt8(ascii: "u")
                    else {
                        throw self.fail(.invalidString, "high surrogate not followed by a low surrogate",
                                        at: escapeOffset)
                    }
                    self.offset += 2
                    let low = try self.parseHex4()
                    guard (0xDC00...0xDFFF).contains(low) else {
                        throw self.fail(.invalidString, "high surrogate not followed by a low surrogate",
                                        at: escapeOffset)
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                self.appendUTF8(scalar)
            default:
                throw self.fail(.invalidString, "invalid escape sequence", at: escapeOffset)
            }
        }
        throw self.fail(.unexpectedEnd, "unterminated string starting at byte \(start)")
    }

    mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard self.count - self.offset >= 4 else {
            throw self.fail(.unexpectedEnd, "truncated \\u escape")
        }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = self.bytes[self.offset]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw self.fail(.invalidString, "invalid hex digit in \\u escape")
            }
            value = value << 4 | UInt32(digit)
            self.offset += 1
        }
        return value
    }

    mutating func appendUTF8(_ v: UInt32) {
        switch v {
        case 0..<0x80:
            self.scratch.append(UInt8(v))
        case 0x80..<0x800:
            self.scratch.append(UInt8(0xC0 | (v >> 6)))
            self.scratch.append(UInt8(0x80 | (v & 0x3F)))
        case 0x800..<0x10000:
            self.scratch.append(UInt8(0xE0 | (v >> 12)))
            self.scratch.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            self.scratch.append(UInt8(0x80 | (v & 0x3F)))
        default:
            self.scratch.append(UInt8(0xF0 | (v >> 18)))
            self.scratch.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            self.scratch.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            self.scratch.append(UInt8(0x80 | (v & 0x3F)))
        }
    }

    @inline(__always)
    func isDigit(_ i: Int) -> Bool {
        i < self.count && self.bytes[i] &- UInt8(ascii: "0") < 10
    }

    /// Skips digits, accumulating up to 19 of them into `value`; returns how many were skipped.
    @inline(__always)
    mutating func scanDigits(into value: inout UInt64) -> Int {
        let first = self.offset
        while self.offset < self.count {
            let d = self.bytes[self.offset] &- UInt8(ascii: "0")
            guard d < 10 else { break }
            if self.offset - first < 19 { value = value &* 10 &+ UInt64(d) }
            self.offset += 1
        }
        return self.offset - first
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = self.offset
        let negative = self.bytes[self.offset] == UInt8(ascii: "-")
        if negative { self.offset += 1 }
        guard self.isDigit(self.offset) else {
            throw self.fail(.invalidNumber, "expected a digit, found \(self.describeCurrent())")
        }
        // The significand's digits (integer and fraction parts), as long as they fit in 19 digits.
        var significand: UInt64 = 0
        var digits: Int
        if self.bytes[self.offset] == UInt8(ascii: "0") {
            self.offset += 1
            if self.isDigit(self.offset) {
                throw self.fail(.invalidNumber, "leading zero in number", at: start)
            }
            digits = 0  // a leading zero adds no significant digit
        } else {
            digits = self.scanDigits(into: &significand)
        }
        var isInteger = true
        var fractionDigits = 0
        if self.offset < self.count && self.bytes[self.offset] == UInt8(ascii: ".") {
            isInteger = false
            self.offset += 1
            guard self.isDigit(self.offset) else {
                throw self.fail(.invalidNumber, "expected a digit after '.', found \(self.describeCurrent())")
            }
            let fractionStart = self.offset
            while self.isDigit(self.offset) {
                if digits < 19 {
                    significand = significand &* 10 &+ UInt64(self.bytes[self.offset] &- UInt8(ascii: "0"))
                    if significand != 0 { digits += 1 }  // leading zeros of `0.00x` are not significant
                    fractionDigits += 1
                } else {
                    digits += 1
                }
                self.offset += 1
            }
            if self.offset - fractionStart != fractionDigits { fractionDigits = -1 }  // too long for the fast path
        }
        var exponent = 0
        var exponentFits = true
        if self.offset < self.count && (self.bytes[self.offset] | 0x20) == UInt8(ascii: "e") {
            isInteger = false
            self.offset += 1
            var exponentNegative = false
            if self.offset < self.count
                && (self.bytes[self.offset] == UInt8(ascii: "+") || self.bytes[self.offset] == UInt8(ascii: "-"))
            {
                exponentNegative = self.bytes[self.offset] == UInt8(ascii: "-")
                self.offset += 1
            }
            guard self.isDigit(self.offset) else {
                throw self.fail(.invalidNumber, "expected a digit in exponent, found \(self.describeCurrent())")
            }
            var e: UInt64 = 0
            let exponentDigits = self.scanDigits(into: &e)
            if exponentDigits > 4 { exponentFits = false }
            exponent = exponentNegative ? -Int(e) : Int(e)
        }
        if isInteger && digits <= 18 {
            // At most 18 digits always fit in Int64.
            let magnitude = Int64(significand)
            return .integer(negative ? -magnitude : magnitude)
        }
        // Clinger's fast path: a significand below 2^53 and a power of ten up to 10^22 are both exact doubles,
        // so one correctly rounded multiplication or division gives the correctly rounded result.
        if !isInteger && exponentFits && fractionDigits >= 0 && digits <= 15 {
            let power = exponent - fractionDigits
            if power >= -22 && power <= 22 {
                var d = Double(significand)
                d = power < 0 ? d / exactPowersOfTen[-power] : d * exactPowersOfTen[power]
                return .number(negative ? -d : d)
            }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: self.bytes[start..<self.offset]), as: UTF8.self)
        if isInteger, let i = Int64(text) {
            return .integer(i)
        }
        guard let d = Double(text), d.isFinite else {
            throw self.fail(.numberOutOfRange, "number \(text.prefix(40)) is out of range", at: start)
        }
        return .number(d)
    }
}
