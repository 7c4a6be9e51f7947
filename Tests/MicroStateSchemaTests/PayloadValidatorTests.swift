import Testing

@testable import MicroStateSchema

@Suite("PayloadValidator")
struct PayloadValidatorTests {
    static let personSchema = #"""
        {"type": "object",
         "properties": {
           "name": {"type": "string", "pattern": "^[A-Z][a-z]+$"},
           "age": {"type": "integer", "minimum": 0},
           "address": {"type": "object",
                       "properties": {"zip": {"type": "string", "pattern": "^\\d{5}(-\\d{4})?$"}},
                       "required": ["zip"]},
           "tags": {"type": "array", "items": {"type": "string"}}},
         "required": ["name", "age"],
         "additionalProperties": false}
        """#

    static func json(_ text: String) throws -> PayloadValidator {
        try PayloadValidator(schema: RegisteredSchema(type: .json, text: text), resolve: { _ in nil })
    }

    @Test("JSON payloads: valid ones pass; each violation names its path")
    func jsonViolations() throws {
        let validator = try Self.json(Self.personSchema)
        #expect(validator.validate(Array(#"{"name":"Ada","age":36,"address":{"zip":"12345-6789"},"tags":["x"]}"#.utf8)) == nil)
        let cases: [(String, String, String)] = [
            (#"{"name":"Ada","age":36,"address":{"zip":12345}}"#, "address.zip", "type"),
            (#"{"name":"Ada"}"#, "", "required"),
            (#"{"name":"Ada","age":1,"extra":true}"#, "extra", "additionalProperties"),
            (#"{"name":"ada","age":1}"#, "name", "pattern"),
            (#"{"name":"Ada","age":1,"address":{"zip":"1234"}}"#, "address.zip", "pattern"),
            (#"{"name":"Ada","age":1,"tags":["a",2]}"#, "tags[1]", "type"),
            (#"{"name":"Ada","age":-1}"#, "age", "minimum"),
            (#"{"name":"Ada","age":1"#, "", "JSON"),
            (#"{"name":"Ada","age":1,"age":2}"#, "", "duplicateKey"),
        ]
        for (payload, path, message) in cases {
            guard let violation = validator.validate(Array(payload.utf8)) else {
                Issue.record("accepted: \(payload)")
                continue
            }
            #expect(violation.path == path, "\(payload): \(violation)")
            #expect(violation.description.contains(message), "\(payload): \(violation)")
        }
    }

    @Test("A schema whose pattern is outside the supported subset is rejected when compiling")
    func unsupportedPattern() throws {
        for pattern in [#"(?=a)"#, #"\\bword"#, #"(a)\\1"#, #"\\p{L}"#, "[a-"] {
            let schema = #"{"type":"string","pattern":"\#(pattern)"}"#
            #expect(throws: RegistryError.self, "\(pattern)") { try Self.json(schema) }
        }
    }

    @Test("Patterns: the supported subset matches as ECMA-262 does")
    func patterns() throws {
        let cases: [(String, String, Bool)] = [
            ("^a.c$", "abc", true), ("^a.c$", "abbc", false), ("b", "abc", true), ("^[a-c]+$", "abcab", true),
            ("^[^a-c]+$", "xyz", true), ("^[^a-c]+$", "xaz", false), (#"^\d{2,3}$"#, "12", true),
            (#"^\d{2,3}$"#, "1234", false), (#"^\w+\s\S$"#, "ab_1 x", true), ("^(ab|cd)*e$", "abcdabe", true),
            ("^(ab|cd)*e$", "abce", false), ("^a?b+$", "bbb", true), ("^(?:x|y){2}$", "xy", true),
            ("colou?r", "my color", true), ("^a{2,}$", "a", false), (#"^\.$"#, ".", true), (#"^\.$"#, "x", false),
            ("^é+$", "éé", true), ("^a*?b$", "aab", true),
        ]
        for (pattern, string, expected) in cases {
            #expect(try SchemaPattern(pattern).match(string) == expected, "\(pattern) ~ \(string)")
        }
        // Catastrophic backtracking stops at the step limit instead of pinning a core.
        #expect(try SchemaPattern("^(a|a)*b$").match(String(repeating: "a", count: 40)) == nil)
    }

    @Test("Avro payloads: valid binary passes; a bad one names the field")
    func avro() throws {
        let schema = #"{"type":"record","name":"R","fields":[{"name":"id","type":"long"},{"name":"s","type":"string"}]}"#
        let validator = try PayloadValidator(schema: RegisteredSchema(type: .avro, text: schema), resolve: { _ in nil })
        #expect(validator.validate([0x02, 0x04, 0x68, 0x69]) == nil)
        let truncated = try #require(validator.validate([0x02, 0x06, 0x68]))
        #expect(truncated.path.contains("field s"))
        #expect(validator.validate([0x02, 0x04, 0x68, 0x69, 0x00]) != nil)
    }

    @Test("Protobuf payloads, unframed and Confluent-framed with message indexes and schema ids")
    func protobuf() throws {
        let text = """
            syntax = "proto3"; package p;
            message A { string s = 1; }
            message B { map<string, int32> m = 1; message C { int32 x = 1; } message D { string t = 1; } C c = 2; }
            """
        let validator = try PayloadValidator(schema: RegisteredSchema(type: .protobuf, text: text), resolve: { _ in nil })
        #expect(validator.validate([0x0A, 1, 0x41]) == nil)
        #expect(validator.validate([0x0A, 1, 0xFF])?.path == "s")
        let isOurs: (Int32) -> Bool = { $0 == 7 }
        // [0] → p.A
        #expect(validator.validateConfluentFramed([0, 0, 0, 0, 7, 0, 0x0A, 1, 0x41], isExpectedID: isOurs) == nil)
        #expect(validator.validateConfluentFramed([0, 0, 0, 0, 7, 0, 0x0A, 1, 0xFF], isExpectedID: isOurs)?.path == "s")
        #expect(validator.validateConfluentFramed([0, 0, 0, 0, 8, 0, 0x0A, 1, 0x41], isExpectedID: isOurs) != nil)
        // [1, 2] → p.B.D: B's nested types in protoc's order are MEntry, C, D. Field 1 of D is a string.
        let d = ConfluentWireFormat.encode(schemaID: 7, messageIndexes: [1, 2], payload: [0x0A, 1, 0xFF])
        #expect(validator.validateConfluentFramed(d, isExpectedID: isOurs)?.path == "t")
        // [1, 1] → p.B.C, whose field 1 is an int32: the same bytes are a wire-type mismatch at x.
        let c = ConfluentWireFormat.encode(schemaID: 7, messageIndexes: [1, 1], payload: [0x0A, 1, 0xFF])
        #expect(validator.validateConfluentFramed(c, isExpectedID: isOurs)?.path == "x")
        let none = ConfluentWireFormat.encode(schemaID: 7, messageIndexes: [5], payload: [])
        #expect(validator.validateConfluentFramed(none, isExpectedID: isOurs)?.message.contains("name no message") == true)
    }

    @Test("A Protobuf schema with references is compiled with its imports resolved")
    func references() throws {
        let common = RegisteredSchema(type: .protobuf, text: "syntax = \"proto3\"; package c; message M { int64 n = 1; }")
        let main = RegisteredSchema(
            type: .protobuf, text: "syntax = \"proto3\"; import \"c.proto\"; message W { c.M m = 1; }",
            references: [SchemaReference(name: "c.proto", subject: "c", version: 1)])
        let validator = try PayloadValidator(schema: main, resolve: { $0.subject == "c" ? common : nil })
        #expect(validator.validate([0x0A, 2, 0x08, 1]) == nil)
        #expect(validator.validate([0x0A, 2, 0x0A, 0])?.path == "m.n")
        #expect(throws: RegistryError.self) { try PayloadValidator(schema: main, resolve: { _ in nil }) }
    }
}
