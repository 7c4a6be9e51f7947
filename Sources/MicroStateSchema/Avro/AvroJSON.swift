/// A JSON value as the Avro schema parser sees it: objects keep their member order and numbers keep their text.
///
/// Avro keeps field defaults as JSON (Avro 1.11 spec, "Complex Types: Records"), so the parsed schema exposes them
/// in this form. This is a deliberately small reader private to the Avro parser; it is to be consolidated with the
/// JSON Schema reader once that lands (see `JSONSchema/`).
public enum AvroJSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number's literal text, as written (`-1`, `2.5e3`).
    case number(String)
    case string(String)
    case array([AvroJSONValue])
    /// Members in document order; keys are unique (duplicates are rejected by the reader).
    case object([AvroJSONMember])

    /// The member named `key`, if this is an object that has one.
    public subscript(key: String) -> AvroJSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first(where: { $0.key == key })?.value
    }

    /// The value as a 64-bit integer, if it is a number written without fraction or exponent and in range.
    public var int64Value: Int64? {
        guard case .number(let text) = self, !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) else {
            return nil
        }
        return Int64(text)
    }

    /// A short name of the JSON kind, for error messages.
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// One member of a JSON object.
public struct AvroJSONMember: Sendable, Hashable {
    public var key: String
    public var value: AvroJSONValue

    public init(key: String, value: AvroJSONValue) {
        self.key = key
        self.value = value
    }
}

/// Whether `bytes` are well-formed UTF-8 (no overlongs, surrogates or truncated sequences).
///
/// `String(validating:as:)` would do, but it needs macOS 15 and the package supports macOS 14.
func avroIsValidUTF8<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> Bool {
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    while true {
        switch decoder.decode(&iterator) {
        case .scalarValue: continue
        case .emptyInput: return true
        case .error: return false
        }
    }
}

/// A bounded RFC 8259 reader. Recursion depth is bounded by `maxDepth` (checked before each nested value), so the
/// native stack use is bounded too.
struct AvroJSONReader {
    private let bytes: [UInt8]
    private let maxDepth: Int
    private var offset = 0

    /// Parses one JSON document from `bytes`; rejects trailing non-whitespace.
    static func parse(_ bytes: [UInt8], limits: AvroSchemaLimits) throws(AvroSchemaError) -> AvroJSONValue {
        guard bytes.count <= limits.maxBytes else {
            throw AvroSchemaError(
                code: .tooLarge, path: "", offset: limits.maxBytes,
                message: "schema is \(bytes.count) bytes; the limit is \(limits.maxBytes)")
        }
        var reader = AvroJSONReader(bytes: bytes, maxDepth: limits.maxDepth)
        let value = try reader.readValue(depth: 0)
        reader.skipWhitespace()
        guard reader.offset == bytes.count else {
            throw reader.error("unexpected data after the JSON value")
        }
        return value
    }

    private init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    private func error(_ message: String) -> AvroSchemaError {
        AvroSchemaError(code: .malformedJSON, path: "", offset: self.offset, message: message)
    }

    private mutating func skipWhitespace() {
        while self.offset < self.bytes.count {
            switch self.bytes[self.offset] {
            case 0x20, 0x09, 0x0A, 0x0D: self.offset += 1
            default: return
            }
        }
    }

    private mutating func expect(_ literal: StaticString, _ value: AvroJSONValue) throws(AvroSchemaError)
        -> AvroJSONValue
    {
        let text = literal.withUTF8Buffer { Array($0) }
        guard self.offset + text.count <= self.bytes.count,
            self.bytes[self.offset..<(self.offset + text.count)].elementsEqual(text)
        else {
            throw self.error("invalid literal")
        }
        self.offset += text.count
        return value
    }

    private mutating func readValue(depth: Int) throws(AvroSchemaError) -> AvroJSONValue {
        self.skipWhitespace()
        guard self.offset < self.bytes.count else { throw self.error("unexpected end of input") }
        switch self.bytes[self.offset] {
        case UInt8(ascii: "n"): return try self.expect("null", .null)
        case UInt8(ascii: "t"): return try self.expect("true", .bool(true))
        case UInt8(ascii: "f"): return try self.expect("false", .bool(false))
        case UInt8(ascii: "\""): return .string(try self.readString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try self.readNumber())
        case UInt8(ascii: "["):
            guard depth < self.maxDepth else {
                throw AvroSchemaError(
                    code: .tooDeep, path: "", offset: self.offset,
                    message: "JSON nesting exceeds the limit of \(self.maxDepth)")
            }
            self.offset += 1
            var items: [AvroJSONValue] = []
            self.skipWhitespace()
            if self.offset < self.bytes.count, self.bytes[self.offset] == UInt8(ascii: "]") {
                self.offset += 1
                return .array(items)
            }
            while true {
                items.append(try self.readValue(depth: depth + 1))
                self.skipWhitespace()
                guard self.offset < self.bytes.count else { throw self.error("unterminated array") }
                let byte = self.bytes[self.offset]
                self.offset += 1
                if byte == UInt8(ascii: "]") { return .array(items) }
                guard byte == UInt8(ascii: ",") else {
                    self.offset -= 1
                    throw self.error("expected ',' or ']' in array")
                }
            }
        case UInt8(ascii: "{"):
            guard depth < self.maxDepth else {
                throw AvroSchemaError(
                    code: .tooDeep, path: "", offset: self.offset,
                    message: "JSON nesting exceeds the limit of \(self.maxDepth)")
            }
            self.offset += 1
            var members: [AvroJSONMember] = []
            var keys: Set<String> = []
            self.skipWhitespace()
            if self.offset < self.bytes.count, self.bytes[self.offset] == UInt8(ascii: "}") {
                self.offset += 1
                return .object(members)
            }
            while true {
                self.skipWhitespace()
                guard self.offset < self.bytes.count, self.bytes[self.offset] == UInt8(ascii: "\"") else {
                    throw self.error("expected a string key in object")
                }
                let keyOffset = self.offset
                let key = try self.readString()
                guard keys.insert(key).inserted else {
                    self.offset = keyOffset
                    throw self.error("duplicate key \"\(key)\"")
                }
                self.skipWhitespace()
                guard self.offset < self.bytes.count, self.bytes[self.offset] == UInt8(ascii: ":") else {
                    throw self.error("expected ':' after key")
                }
                self.offset += 1
                members.append(AvroJSONMember(key: key, value: try self.readValue(depth: depth + 1)))
                self.skipWhitespace()
                guard self.offset < self.bytes.count else { throw self.error("unterminated object") }
                let byte = self.bytes[self.offset]
                self.offset += 1
                if byte == UInt8(ascii: "}") { return .object(members) }
                guard byte == UInt8(ascii: ",") else {
                    self.offset -= 1
                    throw self.error("expected ',' or '}' in object")
                }
            }
        default:
            throw self.error("unexpected character")
        }
    }

    private mutating func readNumber() throws(AvroSchemaError) -> String {
        let start = self.offset
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        if self.bytes[self.offset] == UInt8(ascii: "-") { self.offset += 1 }
        guard self.offset < self.bytes.count, isDigit(self.bytes[self.offset]) else {
            throw self.error("invalid number")
        }
        if self.bytes[self.offset] == UInt8(ascii: "0") {
            self.offset += 1
            if self.offset < self.bytes.count, isDigit(self.bytes[self.offset]) {
                throw self.error("leading zero in number")
            }
        } else {
            while self.offset < self.bytes.count, isDigit(self.bytes[self.offset]) { self.offset += 1 }
        }
        if self.offset < self.bytes.count, self.bytes[self.offset] == UInt8(ascii: ".") {
            self.offset += 1
            guard self.offset < self.bytes.count, isDigit(self.bytes[self.offset]) else {
                throw self.error("invalid fraction")
            }
            while self.offset < self.bytes.count, isDigit(self.bytes[self.offset]) { self.offset += 1 }
        }
        if self.offset < self.bytes.count, self.bytes[self.offset] | 0x20 == UInt8(ascii: "e") {
            self.offset += 1
            if self.offset < self.bytes.count,
                self.bytes[self.offset] == UInt8(ascii: "+") || self.bytes[self.offset] == UInt8(ascii: "-")
            {
                self.offset += 1
            }
            guard self.offset < self.bytes.count, isDigit(self.bytes[self.offset]) else {
                throw self.error("invalid exponent")
            }
            while self.offset < self.bytes.count, isDigit(self.bytes[self.offset]) { self.offset += 1 }
        }
        return String(decoding: self.bytes[start..<self.offset], as: UTF8.self)
    }

    private mutating func readHex4() throws(AvroSchemaError) -> UInt32 {
        guard self.offset + 4 <= self.bytes.count else { throw self.error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = self.bytes[self.offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw self.error("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            self.offset += 1
        }
        return value
    }

    /// Reads a string starting at the opening quote; validates UTF-8 and escapes.
    private mutating func readString() throws(AvroSchemaError) -> String {
        let start = self.offset
        self.offset += 1
        var out: [UInt8] = []
        while true {
            guard self.offset < self.bytes.count else {
                self.offset = start
                throw self.error("unterminated string")
            }
            let byte = self.bytes[self.offset]
            switch byte {
            case UInt8(ascii: "\""):
                self.offset += 1
                guard avroIsValidUTF8(out) else {
                    self.offset = start
                    throw self.error("string is not valid UTF-8")
                }
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                self.offset += 1
                guard self.offset < self.bytes.count else { throw self.error("unterminated escape") }
                let escape = self.bytes[self.offset]
                self.offset += 1
                switch escape {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try self.readHex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard self.offset + 2 <= self.bytes.count, self.bytes[self.offset] == UInt8(ascii: "\\"),
                            self.bytes[self.offset + 1] == UInt8(ascii: "u")
                        else { throw self.error("unpaired surrogate") }
                        self.offset += 2
                        let low = try self.readHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw self.error("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw self.error("unpaired surrogate") }
                    out.append(contentsOf: Array(String(Character(unicode)).utf8))
                default:
                    self.offset -= 1
                    throw self.error("invalid escape")
                }
            case 0x00..<0x20:
                throw self.error("control character in string")
            default:
                out.append(byte)
                self.offset += 1
            }
        }
    }
}
