/// A position in `.proto` text: 1-based line and column (columns count bytes of UTF-8).
public struct ProtoSourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(self.line):\(self.column)" }
}

/// Why a `.proto` text was rejected: where, and a sentence for people.
public struct ProtoParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure, extensible without breaking callers that switch on known codes.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let raw: String
        /// The text is not valid `.proto` syntax (or uses something this parser does not support).
        public static let syntax = Code(raw: "syntax")
        /// A named limit (``ProtoParserLimits``) was exceeded.
        public static let limitExceeded = Code(raw: "limitExceeded")
        /// The text parses but is not a valid schema: unknown type, duplicate number, reserved number used...
        public static let invalid = Code(raw: "invalid")
        public var description: String { self.raw }
    }

    public var code: Code
    public var location: ProtoSourceLocation
    public var message: String
    /// The file the error is in, when known (imports are resolved by name).
    public var file: String?

    public init(code: Code, location: ProtoSourceLocation, message: String, file: String? = nil) {
        self.code = code
        self.location = location
        self.message = message
        self.file = file
    }

    public var description: String {
        "\(self.file.map { "\($0):" } ?? "")\(self.location): \(self.message)"
    }
}

/// Bounds on what the parser accepts; every input that can grow has one (STYLE.md, "Errors and limits").
public struct ProtoParserLimits: Sendable, Hashable {
    /// Most bytes of `.proto` text. Default 1 MiB: the largest public schemas (googleapis) are ~300 KiB, and a
    /// registry stores the text per version.
    public var maxInputBytes: Int
    /// Most nested blocks (messages, enums, oneofs, services, aggregate option values). Default 64: protoc's
    /// own parser stops recursing at 100, and the parser recurses once per level.
    public var maxDepth: Int
    /// Most tokens. Default 262,144: ~4 bytes per token for a maximum-size input, bounding the token array.
    public var maxTokens: Int

    public static let `default` = ProtoParserLimits(maxInputBytes: 1 << 20, maxDepth: 64, maxTokens: 1 << 18)

    public init(maxInputBytes: Int, maxDepth: Int, maxTokens: Int) {
        self.maxInputBytes = maxInputBytes
        self.maxDepth = maxDepth
        self.maxTokens = maxTokens
    }
}

/// One lexical token of `.proto` text (protobuf language spec, "Lexical elements").
public struct ProtoToken: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// `letter { letter | decimalDigit | "_" }`.
        case identifier
        /// Decimal, octal (`0` prefix) or hex (`0x` prefix) integer literal; `integer` holds its value.
        case integer
        /// Floating point literal (`1.5`, `1e10`, `.5`); `text` holds it as written.
        case float
        /// String literal with escapes decoded into `text`.
        case string
        /// One punctuation character: `{ } ( ) [ ] < > ; , = . - + :` and so on.
        case symbol
    }

    public var kind: Kind
    public var text: String
    /// The value of an integer literal; `nil` for other kinds and for literals beyond `UInt64`.
    public var integer: UInt64?
    public var location: ProtoSourceLocation
}

/// Splits `.proto` text into tokens, dropping whitespace and `//` and `/* */` comments.
///
/// Works on UTF-8 bytes; non-ASCII is allowed only inside strings and comments. Bounded by
/// ``ProtoParserLimits/maxInputBytes`` and ``ProtoParserLimits/maxTokens``; one pass, no recursion.
public enum ProtoTokenizer {
    public static func tokenize(
        _ text: String, limits: ProtoParserLimits = .default
    ) throws(ProtoParseError) -> [ProtoToken] {
        let bytes = Array(text.utf8)
        guard bytes.count <= limits.maxInputBytes else {
            throw ProtoParseError(
                code: .limitExceeded, location: ProtoSourceLocation(line: 1, column: 1),
                message: "input is \(bytes.count) bytes, more than the limit of \(limits.maxInputBytes)")
        }
        var scanner = Scanner(bytes: bytes)
        var tokens: [ProtoToken] = []
        while let token = try scanner.next() {
            guard tokens.count < limits.maxTokens else {
                throw ProtoParseError(
                    code: .limitExceeded, location: token.location,
                    message: "more than \(limits.maxTokens) tokens")
            }
            tokens.append(token)
        }
        return tokens
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0
        var line = 1
        var lineStart = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        var location: ProtoSourceLocation {
            ProtoSourceLocation(line: self.line, column: self.index - self.lineStart + 1)
        }

        func peek(_ offset: Int = 0) -> UInt8? {
            let i = self.index + offset
            return i < self.bytes.count ? self.bytes[i] : nil
        }

        mutating func advance() {
            if self.bytes[self.index] == UInt8(ascii: "\n") {
                self.line += 1
                self.lineStart = self.index + 1
            }
            self.index += 1
        }

        func error(_ message: String, at location: ProtoSourceLocation? = nil) -> ProtoParseError {
            ProtoParseError(code: .syntax, location: location ?? self.location, message: message)
        }

        mutating func skipTrivia() throws(ProtoParseError) {
            while let c = self.peek() {
                if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0B || c == 0x0C {
                    self.advance()
                } else if c == UInt8(ascii: "/"), self.peek(1) == UInt8(ascii: "/") {
                    while let d = self.peek(), d != 0x0A { self.advance() }
                } else if c == UInt8(ascii: "/"), self.peek(1) == UInt8(ascii: "*") {
                    let start = self.location
                    self.advance()
                    self.advance()
                    while true {
                        guard let d = self.peek() else { throw self.error("unterminated /* comment", at: start) }
                        if d == UInt8(ascii: "*"), self.peek(1) == UInt8(ascii: "/") {
                            self.advance()
                            self.advance()
                            break
                        }
                        self.advance()
                    }
                } else {
                    return
                }
            }
        }

        static func isLetter(_ c: UInt8) -> Bool {
            (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_")
        }

        static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

        static func hexValue(_ c: UInt8) -> UInt32? {
            switch c {
            case 0x30...0x39: UInt32(c - 0x30)
            case 0x41...0x46: UInt32(c - 0x41 + 10)
            case 0x61...0x66: UInt32(c - 0x61 + 10)
            default: nil
            }
        }

        mutating func next() throws(ProtoParseError) -> ProtoToken? {
            try self.skipTrivia()
            guard let c = self.peek() else { return nil }
            let start = self.location
            let startIndex = self.index
            if Self.isLetter(c) {
                while let d = self.peek(), Self.isLetter(d) || Self.isDigit(d) { self.advance() }
                return ProtoToken(kind: .identifier, text: self.text(from: startIndex), location: start)
            }
            if Self.isDigit(c) || (c == UInt8(ascii: ".") && self.peek(1).map(Self.isDigit) == true) {
                return try self.number(start: start, startIndex: startIndex)
            }
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                return try self.string(quote: c, start: start)
            }
            if c < 0x21 || c > 0x7E {
                throw self.error("unexpected byte 0x\(String(c, radix: 16)) outside a string or comment")
            }
            self.advance()
            return ProtoToken(kind: .symbol, text: String(UnicodeScalar(c)), location: start)
        }

        func text(from start: Int) -> String {
            String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        }

        mutating func number(start: ProtoSourceLocation, startIndex: Int) throws(ProtoParseError) -> ProtoToken {
            if self.peek() == UInt8(ascii: "0"), let x = self.peek(1), x == UInt8(ascii: "x") || x == UInt8(ascii: "X")
            {
                self.advance()
                self.advance()
                var value: UInt64? = 0
                var digits = 0
                while let d = self.peek(), let h = Self.hexValue(d) {
                    value = value.flatMap { Self.accumulate($0, base: 16, digit: UInt64(h)) }
                    digits += 1
                    self.advance()
                }
                guard digits > 0 else { throw self.error("hex literal without digits", at: start) }
                try self.rejectTrailingLetter()
                return ProtoToken(kind: .integer, text: self.text(from: startIndex), integer: value, location: start)
            }
            var isFloat = false
            while let d = self.peek(), Self.isDigit(d) { self.advance() }
            if self.peek() == UInt8(ascii: ".") {
                isFloat = true
                self.advance()
                while let d = self.peek(), Self.isDigit(d) { self.advance() }
            }
            if let e = self.peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
                isFloat = true
                self.advance()
                if let s = self.peek(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { self.advance() }
                guard let d = self.peek(), Self.isDigit(d) else { throw self.error("exponent without digits") }
                while let d = self.peek(), Self.isDigit(d) { self.advance() }
            }
            if let f = self.peek(), f == UInt8(ascii: "f") || f == UInt8(ascii: "F"), isFloat { self.advance() }
            try self.rejectTrailingLetter()
            let text = self.text(from: startIndex)
            if isFloat { return ProtoToken(kind: .float, text: text, location: start) }
            let isOctal = text.count > 1 && text.hasPrefix("0")
            var value: UInt64? = 0
            for d in text.utf8 {
                let digit = UInt64(d - 0x30)
                if isOctal && digit > 7 {
                    throw self.error("invalid digit '\(UnicodeScalar(d))' in octal literal", at: start)
                }
                value = value.flatMap { Self.accumulate($0, base: isOctal ? 8 : 10, digit: digit) }
            }
            return ProtoToken(kind: .integer, text: text, integer: value, location: start)
        }

        static func accumulate(_ value: UInt64, base: UInt64, digit: UInt64) -> UInt64? {
            let (m, o1) = value.multipliedReportingOverflow(by: base)
            let (s, o2) = m.addingReportingOverflow(digit)
            return o1 || o2 ? nil : s
        }

        mutating func rejectTrailingLetter() throws(ProtoParseError) {
            if let d = self.peek(), Self.isLetter(d) {
                throw self.error("unexpected '\(UnicodeScalar(d))' right after a number")
            }
        }

        mutating func string(quote: UInt8, start: ProtoSourceLocation) throws(ProtoParseError) -> ProtoToken {
            self.advance()
            var out: [UInt8] = []
            while true {
                guard let c = self.peek(), c != 0x0A else { throw self.error("unterminated string", at: start) }
                if c == quote {
                    self.advance()
                    break
                }
                if c != UInt8(ascii: "\\") {
                    out.append(c)
                    self.advance()
                    continue
                }
                let escapeLocation = self.location
                self.advance()
                guard let e = self.peek() else { throw self.error("unterminated string", at: start) }
                self.advance()
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "a"): out.append(0x07)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "v"): out.append(0x0B)
                case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "?"): out.append(e)
                case UInt8(ascii: "x"), UInt8(ascii: "X"):
                    var value: UInt32 = 0
                    var digits = 0
                    while digits < 2, let d = self.peek(), let h = Self.hexValue(d) {
                        value = value * 16 + h
                        digits += 1
                        self.advance()
                    }
                    guard digits > 0 else { throw self.error("\\x escape without hex digits", at: escapeLocation) }
                    out.append(UInt8(value))
                case 0x30...0x37:
                    var value = UInt32(e - 0x30)
                    var digits = 1
                    while digits < 3, let d = self.peek(), d >= 0x30, d <= 0x37 {
                        value = value * 8 + UInt32(d - 0x30)
                        digits += 1
                        self.advance()
                    }
                    guard value <= 0xFF else { throw self.error("octal escape above \\377", at: escapeLocation) }
                    out.append(UInt8(value))
                case UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let count = e == UInt8(ascii: "u") ? 4 : 8
                    var value: UInt32 = 0
                    for _ in 0..<count {
                        guard let d = self.peek(), let h = Self.hexValue(d) else {
                            throw self.error(
                                "\\\(UnicodeScalar(e)) escape needs \(count) hex digits", at: escapeLocation)
                        }
                        value = value &* 16 &+ h
                        self.advance()
                    }
                    guard let scalar = Unicode.Scalar(value) else {
                        throw self.error("\\\(UnicodeScalar(e)) escape is not a Unicode scalar", at: escapeLocation)
                    }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    throw self.error("unknown escape '\\\(UnicodeScalar(e))'", at: escapeLocation)
                }
            }
            return ProtoToken(kind: .string, text: String(decoding: out, as: UTF8.self), location: start)
        }
    }
}
