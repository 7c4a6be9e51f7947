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
        var cursor = Cursor(bytes: bytes, limits: limits)
        return try cursor.parseDocument()
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

private struct Cursor {
    let bytes: [UInt8]
    let limits: JSONParser.Limits
    var offset = 0
    var elements = 0
    var scratch: [UInt8] = []

    init(bytes: [UInt8], limits: JSONParser.Limits) {
        self.bytes = bytes
        self.limits = limits
    }

    func fail(_ code: JSONParseError.Code, _ message: String, at offset: Int? = nil) -> JSONParseError {
        JSONParseError(code: code, offset: offset ?? self.offset, message: message)
    }

    func describeCurrent() -> String {
        guard self.offset < self.bytes.count else { return "end of input" }
        let b = self.bytes[self.offset]
        if b >= 0x20 && b < 0x7F {
            return "'\(Character(Unicode.Scalar(b)))'"
        }
        return "byte 0x\(String(b, radix: 16))"
    }

    mutating func skipWhitespace() {
        while self.offset < self.bytes.count {
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
        guard self.offset == self.bytes.count else {
            throw self.fail(.trailingContent, "unexpected \(self.describeCurrent()) after the top-level value")
        }
        return value
    }

    /// Parses the value at `offset` (no leading whitespace); `depth` counts the enclosing containers.
    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard self.offset < self.bytes.count else {
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
        let matches = literal.withUTF8Buffer { expected in
            guard self.bytes.count - start >= count else { return false }
            for i in 0..<count where self.bytes[start + i] != expected[i] {
                return false
            }
            return true
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
        if self.offset < self.bytes.count && self.bytes[self.offset] == UInt8(ascii: "]") {
            self.offset += 1
            return .array(elements)
        }
        while true {
            elements.append(try self.parseValue(depth: depth))
            self.skipWhitespace()
            guard self.offset < self.bytes.count else {
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
        var object = JSONObject()
        if self.offset < self.bytes.count && self.bytes[self.offset] == UInt8(ascii: "}") {
            self.offset += 1
            return .object(object)
        }
        while true {
            guard self.offset < self.bytes.count else {
                throw self.fail(.unexpectedEnd, "unterminated object")
            }
            guard self.bytes[self.offset] == quote else {
                throw self.fail(.unexpectedByte, "expected a string key, found \(self.describeCurrent())")
            }
            let keyOffset = self.offset
            let key = try self.parseString()
            guard object.firstIndex(of: key) == nil else {
                throw self.fail(.duplicateKey, "duplicate key \"\(key)\"", at: keyOffset)
            }
            self.skipWhitespace()
            guard self.offset < self.bytes.count, self.bytes[self.offset] == UInt8(ascii: ":") else {
                throw self.fail(.unexpectedByte, "expected ':' after key, found \(self.describeCurrent())")
            }
            self.offset += 1
            self.skipWhitespace()
            let value = try self.parseValue(depth: depth)
            object.append(key: key, value: value)
            self.skipWhitespace()
            guard self.offset < self.bytes.count else {
                throw self.fail(.unexpectedEnd, "unterminated object")
            }
            switch self.bytes[self.offset] {
            case UInt8(ascii: ","):
                self.offset += 1
                self.skipWhitespace()
            case UInt8(ascii: "}"):
                self.offset += 1
                return .object(object)
            default:
                throw self.fail(.unexpectedByte, "expected ',' or '}' in object, found \(self.describeCurrent())")
            }
        }
    }

    /// Parses a string starting at its opening quote.
    mutating func parseString() throws(JSONParseError) -> String {
        let start = self.offset
        self.offset += 1
        let contentStart = self.offset
        // Fast path: no escapes, so the content is a slice of the input.
        while self.offset < self.bytes.count {
            let b = self.bytes[self.offset]
            if b == quote {
                guard let s = String(validating: self.bytes[contentStart..<self.offset], as: UTF8.self) else {
                    throw self.fail(.invalidUTF8, "string is not valid UTF-8", at: start)
                }
                self.offset += 1
                return s
            }
            if b == backslash { break }
            if b < 0x20 {
                throw self.fail(.invalidString, "unescaped control character in string")
            }
            self.offset += 1
        }
        self.scratch.removeAll(keepingCapacity: true)
        self.scratch.append(contentsOf: self.bytes[contentStart..<self.offset])
        while self.offset < self.bytes.count {
            let b = self.bytes[self.offset]
            if b == quote {
                guard let s = String(validating: self.scratch, as: UTF8.self) else {
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
            guard self.offset < self.bytes.count else { break }
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
                    guard self.bytes.count - self.offset >= 6, self.bytes[self.offset] == backslash,
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
        guard self.bytes.count - self.offset >= 4 else {
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

    func isDigit(_ i: Int) -> Bool {
        i < self.bytes.count && self.bytes[i] >= UInt8(ascii: "0") && self.bytes[i] <= UInt8(ascii: "9")
    }

    mutating func skipDigits() {
        while self.isDigit(self.offset) { self.offset += 1 }
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = self.offset
        if self.bytes[self.offset] == UInt8(ascii: "-") { self.offset += 1 }
        guard self.isDigit(self.offset) else {
            throw self.fail(.invalidNumber, "expected a digit, found \(self.describeCurrent())")
        }
        if self.bytes[self.offset] == UInt8(ascii: "0") {
            self.offset += 1
            if self.isDigit(self.offset) {
                throw self.fail(.invalidNumber, "leading zero in number", at: start)
            }
        } else {
            self.skipDigits()
        }
        var isInteger = true
        if self.offset < self.bytes.count && self.bytes[self.offset] == UInt8(ascii: ".") {
            isInteger = false
            self.offset += 1
            guard self.isDigit(self.offset) else {
                throw self.fail(.invalidNumber, "expected a digit after '.', found \(self.describeCurrent())")
            }
            self.skipDigits()
        }
        if self.offset < self.bytes.count && (self.bytes[self.offset] | 0x20) == UInt8(ascii: "e") {
            isInteger = false
            self.offset += 1
            if self.offset < self.bytes.count
                && (self.bytes[self.offset] == UInt8(ascii: "+") || self.bytes[self.offset] == UInt8(ascii: "-"))
            {
                self.offset += 1
            }
            guard self.isDigit(self.offset) else {
                throw self.fail(.invalidNumber, "expected a digit in exponent, found \(self.describeCurrent())")
            }
            self.skipDigits()
        }
        let text = String(decoding: self.bytes[start..<self.offset], as: UTF8.self)
        if isInteger, let i = Int64(text) {
            return .integer(i)
        }
        guard let d = Double(text), d.isFinite else {
            throw self.fail(.numberOutOfRange, "number \(text.prefix(40)) is out of range", at: start)
        }
        return .number(d)
    }
}
