import Testing

@testable import MicroStateSchema

@Suite("JSON parser")
struct JSONSchemaJSONParserTests {
    @Test("Scalars, arrays and objects parse, keeping integers apart from other numbers")
    func valid() throws {
        let value = try JSONParser.parse(#" { "a" : [1, -2, 3.5, 1e2, true, false, null, "x"], "b": {} } "#)
        guard case .object(let object) = value else {
            Issue.record("not an object: \(value)")
            return
        }
        #expect(object.members.map(\.key) == ["a", "b"])
        #expect(object["a"] == .array([
            .integer(1), .integer(-2), .number(3.5), .number(100), .bool(true), .bool(false), .null, .string("x"),
        ]))
        guard case .array(let a) = object["a"], case .integer = a[0], case .number = a[3] else {
            Issue.record("integer/number distinction lost")
            return
        }
        #expect(object["b"] == .object(JSONObject([])))
        #expect(try JSONParser.parse("9223372036854775807") == .integer(Int64.max))
        #expect(try JSONParser.parse("9223372036854775808") == .number(9_223_372_036_854_775_808))
        #expect(try JSONParser.parse("-0") == .integer(0))
    }

    @Test("Escapes and surrogate pairs decode to the right scalars")
    func escapes() throws {
        #expect(try JSONParser.parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{C}\n\r\t"))
        #expect(try JSONParser.parse(#""\u00e9\u4e2d""#) == .string("é中"))
        #expect(try JSONParser.parse(#""\ud83d\ude00 ok""#) == .string("😀 ok"))
        #expect(try JSONParser.parse("\"héllo 😀\"") == .string("héllo 😀"))
    }

    @Test("Numbers compare by value: 1 equals 1.0, in sets too")
    func numericEquality() {
        #expect(JSONValue.integer(1) == .number(1.0))
        #expect(JSONValue.integer(1) != .number(1.5))
        #expect(Set<JSONValue>([.integer(1), .number(1.0)]).count == 1)
        #expect(JSONValue.integer(Int64.max) != .number(0x1p63))
        #expect(JSONValue.integer(Int64.min) == .number(-0x1p63))
        #expect(JSONValue.integer(0) != .number(.nan))
        #expect(JSONValue.number(1e300).schemaType == .integer && JSONValue.number(0.5).schemaType == .number)
        #expect(JSONValue.object(JSONObject([("a", .integer(1)), ("b", .null)]))
            == .object(JSONObject([("b", .null), ("a", .number(1))])))
    }

    @Test("Malformed input is rejected with the byte offset of the problem", arguments: [
        ("", JSONParseError.Code.unexpectedEnd, 0),
        ("[1,]", .unexpectedByte, 3),
        ("[1 2]", .unexpectedByte, 3),
        ("{\"a\" 1}", .unexpectedByte, 5),
        ("{\"a\":1,}", .unexpectedByte, 7),
        ("{a:1}", .unexpectedByte, 1),
        ("01", .invalidNumber, 0),
        ("1.", .invalidNumber, 2),
        ("1e", .invalidNumber, 2),
        ("-", .invalidNumber, 1),
        ("+1", .unexpectedByte, 0),
        ("NaN", .unexpectedByte, 0),
        ("tru", .unexpectedByte, 0),
        ("1e400", .numberOutOfRange, 0),
        ("\"abc", .unexpectedEnd, 4),
        ("\"a\u{01}\"", .invalidString, 2),
        (#""\x""#, .invalidString, 1),
        (#""\u12G4""#, .invalidString, 5),
        (#""\ud83d""#, .invalidString, 1),
        (#""\ud83dx""#, .invalidString, 1),
        (#""\ude00""#, .invalidString, 1),
        (#""\ud83d\u0041""#, .invalidString, 1),
        ("[1] x", .trailingContent, 4),
        ("{\"a\":1,\"a\":2}", .duplicateKey, 7),
        ("\u{FEFF}1", .unexpectedByte, 0),
        ("// c\n1", .unexpectedByte, 0),
    ])
    func malformed(input: String, code: JSONParseError.Code, offset: Int) {
        do {
            let value = try JSONParser.parse(input)
            Issue.record("\(input.debugDescription) parsed as \(value)")
        } catch {
            #expect(error.code == code, "\(input.debugDescription): \(error)")
            #expect(error.offset == offset, "\(input.debugDescription): \(error)")
        }
    }

    @Test("Invalid UTF-8 inside a string is rejected")
    func invalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22]] {
            #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes) }
        }
    }

    @Test("Duplicate keys are found in large objects too (hash index path)")
    func duplicateKeysLargeObject() {
        let members = (0..<40).map { "\"k\($0)\": \($0)" } + ["\"k7\": 0"]
        let text = "{" + members.joined(separator: ",") + "}"
        do {
            let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
            #expect(error?.code == .duplicateKey)
        }
        let unique = "{" + members.dropLast().joined(separator: ",") + "}"
        guard case .object(let object)? = try? JSONParser.parse(unique) else {
            Issue.record("large object did not parse")
            return
        }
        #expect(object["k39"] == .integer(39))
        #expect(object["k40"] == nil)
    }

    @Test("Duplicate keys are found at every object size, on both sides of the index threshold")
    func duplicateKeysEverySize() {
        for size in 1...(JSONObject.indexThreshold + 8) {
            let keys = (0..<size).map { "k\($0)" }
            let unique = "{" + keys.map { "\"\($0)\": 1" }.joined(separator: ",") + "}"
            guard case .object(let object)? = try? JSONParser.parse(unique) else {
                Issue.record("object of \(size) members did not parse")
                continue
            }
            #expect(object.count == size && object["k\(size - 1)"] == .integer(1) && object["k\(size)"] == nil)
            for repeated in [0, size / 2, size - 1] {
                let text = "{" + (keys + [keys[repeated]]).map { "\"\($0)\": 1" }.joined(separator: ",") + "}"
                do {
                    let error = #expect(throws: JSONParseError.self, "size \(size), repeating \(repeated)") {
                        try JSONParser.parse(text)
                    }
                    #expect(error?.code == .duplicateKey, "size \(size), repeating \(repeated)")
                }
            }
        }
    }

    @Test("Keys that decode to the same string are duplicates whatever their escaping", arguments: [
        #"{"a": 1, "\u0061": 2}"#,
        #"{"\u0061": 1, "a": 2}"#,
        #"{"é": 1, "\u00e9": 2}"#,
        #"{"a/b": 1, "a\/b": 2}"#,
        "{\"😀\": 1, \"\\ud83d\\ude00\": 2}",
    ])
    func duplicateEscapedKeys(text: String) {
        let error = #expect(throws: JSONParseError.self, "\(text)") { try JSONParser.parse(text) }
        #expect(error?.code == .duplicateKey, "\(text)")
    }

    @Test("Nested objects keep their own keys apart")
    func nestedObjectKeys() throws {
        let value = try JSONParser.parse(#"{"a": {"a": 1, "b": {"a": 2}}, "b": {"a": 3, "b": 4}, "c": [{"a": 5}]}"#)
        guard case .object(let object) = value, case .object(let b)? = object["b"] else {
            Issue.record("not parsed as nested objects: \(value)")
            return
        }
        #expect(object.count == 3 && b["b"] == .integer(4))
        let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(#"{"a": {"b": 1}, "b": 2, "a": 3}"#) }
        #expect(error?.code == .duplicateKey && error?.offset == 24)
    }

    @Test("Decimal numbers parse to the same double as the standard library's parser", arguments: [
        "98.5", "1234.5", "0.1", "-0.1", "0.05", "0.000123", "3.141592653589793", "123456789012345.6",
        "1.7976931348623157e308", "5e-324", "2.2250738585072014e-308", "1e22", "1e23", "1e-22", "1e-23",
        "9007199254740993.0", "0.30000000000000004", "12345678901234567890.5", "1.5E+3", "1.5e-3", "-2.5e0",
        "0.0000000000000000000000000001", "1.00000000000000000000000000001", "100000000000000000000000",
        "-9223372036854775809", "18446744073709551616", "4.9e-324", "1e-400", "0e5", "-0.0",
    ])
    func decimals(text: String) throws {
        let expected = try #require(Double(text))
        guard case .number(let d) = try JSONParser.parse(text) else {
            Issue.record("\(text) did not parse as a number")
            return
        }
        #expect(d.bitPattern == expected.bitPattern, "\(text): \(d) != \(expected)")
    }

    @Test("Integers up to Int64's bounds stay integers", arguments: [
        ("0", Int64(0)), ("-0", 0), ("7", 7), ("-42", -42), ("999999999999999999", 999_999_999_999_999_999),
        ("-999999999999999999", -999_999_999_999_999_999), ("1000000000000000000", 1_000_000_000_000_000_000),
        ("9223372036854775807", .max), ("-9223372036854775808", .min),
    ])
    func integers(text: String, expected: Int64) throws {
        guard case .integer(let i) = try JSONParser.parse(text) else {
            Issue.record("\(text) did not parse as an integer")
            return
        }
        #expect(i == expected, "\(text)")
    }

    @Test("Well-formed UTF-8 of every length is accepted; overlong, surrogate and out-of-range forms are not")
    func utf8Forms() throws {
        let valid: [([UInt8], String)] = [
            ([0x41], "A"), ([0xC2, 0x80], "\u{80}"), ([0xDF, 0xBF], "\u{7FF}"), ([0xE0, 0xA0, 0x80], "\u{800}"),
            ([0xED, 0x9F, 0xBF], "\u{D7FF}"), ([0xEE, 0x80, 0x80], "\u{E000}"), ([0xEF, 0xBF, 0xBF], "\u{FFFF}"),
            ([0xF0, 0x90, 0x80, 0x80], "\u{10000}"), ([0xF4, 0x8F, 0xBF, 0xBF], "\u{10FFFF}"),
        ]
        for (bytes, expected) in valid {
            #expect(try JSONParser.parse([0x22] + bytes + [0x22]) == .string(expected), "\(bytes)")
            // The same bytes after an escape take the slow path.
            #expect(try JSONParser.parse([0x22, 0x5C, 0x6E] + bytes + [0x22]) == .string("\n" + expected), "\(bytes)")
        }
        let invalid: [[UInt8]] = [
            [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF], [0xED, 0xA0, 0x80],
            [0xED, 0xBF, 0xBF], [0xF0, 0x80, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80],
            [0xF5, 0x80, 0x80, 0x80], [0xFE], [0xFF], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xC3, 0x41],
        ]
        for bytes in invalid {
            for prefix: [UInt8] in [[0x22], [0x22, 0x5C, 0x6E]] {
                let error = #expect(throws: JSONParseError.self, "\(bytes)") {
                    try JSONParser.parse(prefix + bytes + [0x22])
                }
                #expect(error?.code == .invalidUTF8, "\(bytes)")
            }
        }
    }

    @Test("Nesting up to the depth limit parses; one more level is rejected")
    func depthLimit() throws {
        let limits = JSONParser.Limits(maxDepth: 64)
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        _ = try JSONParser.parse(ok, limits: limits)
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        do {
            let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(deep, limits: limits) }
            #expect(error?.code == .depthLimitExceeded && error?.offset == 64)
        }
        // Far deeper input fails fast instead of overflowing the stack.
        let hostile = String(repeating: "{\"a\":", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(hostile) }
    }

    @Test("Input size and element count limits are enforced")
    func sizeLimits() throws {
        let big = "\"" + String(repeating: "a", count: 1 << 20) + "\""
        do {
            let error = #expect(throws: JSONParseError.self) { try JSONParser.parse(big) }
            #expect(error?.code == .inputTooLarge)
        }
        let limits = JSONParser.Limits(maxElements: 10)
        _ = try JSONParser.parse("[1,2,3,4,5,6,7,8,9]", limits: limits)
        do {
            let error = #expect(throws: JSONParseError.self) {
                try JSONParser.parse("[1,2,3,4,5,6,7,8,9,10]", limits: limits)
            }
            #expect(error?.code == .elementLimitExceeded)
        }
    }
}
