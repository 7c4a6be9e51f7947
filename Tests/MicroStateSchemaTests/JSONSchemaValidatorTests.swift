import Testing

@testable import MicroStateSchema

private let orderSchema = ##"""
    {
      "type": "object",
      "properties": {
        "id": {"type": "integer", "minimum": 1},
        "email": {"type": "string", "maxLength": 10},
        "address": {
          "type": "object",
          "properties": {"zip": {"type": "string", "minLength": 5, "maxLength": 5}},
          "required": ["zip"],
          "additionalProperties": false
        },
        "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "uniqueItems": true, "maxItems": 3},
        "kind": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        "ratio": {"type": "number", "exclusiveMaximum": 1, "multipleOf": 0.25},
        "child": {"$ref": "#"}
      },
      "required": ["id"]
    }
    """##

private func errors(_ document: String, _ schemaText: String = orderSchema) throws -> [String] {
    let schema = try JSONSchema.parse(schemaText)
    let value = try JSONParser.parse(document)
    return JSONSchemaValidator.validate(value, against: schema).map {
        "\($0.instancePath.isEmpty ? "/" : $0.instancePath) \($0.keyword)"
    }
}

@Suite("JSON Schema validator")
struct JSONSchemaValidatorTests {
    @Test("A valid document has no errors")
    func valid() throws {
        let doc = #"{"id": 1, "email": "a@b.c", "address": {"zip": "12345"}, "tags": ["a", "b"], "kind": 3, "#
            + #""ratio": 0.5, "child": {"id": 2.0}}"#
        #expect(try errors(doc) == [])
    }

    @Test("Errors name the instance path and the keyword", arguments: [
        (#"{}"#, ["/ required"]),
        (#"{"id": "1"}"#, ["/id type"]),
        (#"{"id": 1.5}"#, ["/id type"]),
        (#"{"id": 0}"#, ["/id minimum"]),
        (#"{"id": 1, "email": "abcdefghijk"}"#, ["/email maxLength"]),
        (#"{"id": 1, "address": {"zip": "123"}}"#, ["/address/zip minLength"]),
        (#"{"id": 1, "address": {}}"#, ["/address required"]),
        (#"{"id": 1, "address": {"zip": "12345", "city": "x"}}"#, ["/address/city additionalProperties"]),
        (#"{"id": 1, "tags": ["a", "c"]}"#, ["/tags/1 enum"]),
        (#"{"id": 1, "tags": ["a", "a"]}"#, ["/tags uniqueItems"]),
        (#"{"id": 1, "tags": ["a", "b", "a", "b"]}"#, ["/tags maxItems", "/tags uniqueItems"]),
        (#"{"id": 1, "kind": true}"#, ["/kind oneOf"]),
        (#"{"id": 1, "ratio": 1}"#, ["/ratio exclusiveMaximum"]),
        (#"{"id": 1, "ratio": 0.3}"#, ["/ratio multipleOf"]),
        (#"{"id": 1, "child": {"child": {"id": "x"}}}"#, ["/child required", "/child/child/id type"]),
        (#"[]"#, ["/ type"]),
    ])
    func invalid(document: String, expected: [String]) throws {
        #expect(try errors(document) == expected, "\(document)")
    }

    @Test("Keys with / and ~ are escaped in instance paths (RFC 6901)")
    func escaping() throws {
        let schema = #"{"additionalProperties": {"type": "integer"}}"#
        #expect(try errors(#"{"a/b": "x", "c~d": 1, "e~f": "y"}"#, schema) == ["/a~1b type", "/e~0f type"])
    }

    @Test("Lengths count code points, not bytes")
    func lengths() throws {
        let schema = #"{"type": "string", "maxLength": 2, "minLength": 2}"#
        #expect(try errors(#""é😀""#, schema) == [])
        #expect(try errors(#""éé😀""#, schema) == ["/ maxLength"])
    }

    @Test("anyOf, not and const")
    func applicators() throws {
        let schema = #"{"anyOf": [{"type": "null"}, {"type": "string", "not": {"const": "bad"}}]}"#
        #expect(try errors("null", schema) == [])
        #expect(try errors(#""ok""#, schema) == [])
        #expect(try errors(#""bad""#, schema) == ["/ anyOf"])
        #expect(try errors("1", schema) == ["/ anyOf"])
    }

    @Test("Integral numbers are integers and 1 equals 1.0 for enum")
    func numbers() throws {
        #expect(try errors("0.3", #"{"multipleOf": 0.1}"#) == [])
        #expect(try errors("0.35", #"{"multipleOf": 0.1}"#) == ["/ multipleOf"])
        #expect(try errors("1e300", #"{"type": "integer"}"#) == [])
        #expect(try errors("9223372036854775807", #"{"type": "integer", "multipleOf": 7}"#) == [])
        #expect(try errors("-9223372036854775808", #"{"type": "integer", "multipleOf": 2}"#) == [])
        #expect(try errors("2.0", #"{"type": "integer", "enum": [1, 2]}"#) == [])
        #expect(try errors("3", #"{"type": "integer", "enum": [1, 2]}"#) == ["/ enum"])
    }

    @Test("The error count is bounded")
    func maxErrors() throws {
        let schema = try JSONSchema.parse(#"{"items": {"type": "string"}}"#)
        let value = try JSONParser.parse("[" + Array(repeating: "1", count: 500).joined(separator: ",") + "]")
        let validator = JSONSchemaValidator(schema: schema, limits: .init(maxErrors: 5))
        let found = validator.validate(value)
        #expect(found.count == 5)
        #expect(found.last?.instancePath == "/4")
        #expect(!validator.isValid(value))
    }

    @Test("Patterns are checked only with an injected matcher")
    func patterns() throws {
        let schema = try JSONSchema.parse(#"{"type": "string", "pattern": "^a"}"#)
        #expect(JSONSchemaValidator(schema: schema).validate(.string("b")).isEmpty)
        let strict = JSONSchemaValidator(schema: schema) { pattern, s in
            pattern == "^a" ? s.hasPrefix("a") : nil
        }
        #expect(strict.validate(.string("abc")).isEmpty)
        #expect(strict.validate(.string("b")).map(\.keyword) == ["pattern"])
        let keyed = try JSONSchema.parse(
            #"{"patternProperties": {"^x-": {"type": "string"}}, "additionalProperties": false}"#)
        let withMatcher = JSONSchemaValidator(schema: keyed) { _, s in s.hasPrefix("x-") }
        let value = try JSONParser.parse(#"{"x-a": "ok", "x-b": 1, "y": "no"}"#)
        #expect(withMatcher.validate(value).map { "\($0.instancePath) \($0.keyword)" }
            == ["/x-b type", "/y additionalProperties"])
    }

    @Test("The step limit stops a runaway evaluation")
    func stepLimit() throws {
        let schema = try JSONSchema.parse(#"{"items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}"#)
        let value = try JSONParser.parse("[" + Array(repeating: "1", count: 1000).joined(separator: ",") + "]")
        let found = JSONSchemaValidator(schema: schema, limits: .init(maxSteps: 100)).validate(value)
        #expect(found.map(\.keyword) == ["limit"])
    }

    @Test("Long reference chains neither overflow the stack nor pass unchecked")
    func referenceChains() throws {
        func chain(_ sibling: String) -> String {
            var defs = [#""D0": {"type": "string"}"#]
            for i in 1...2000 {
                defs.append(##""D\##(i)": {"$ref": "#/$defs/D\##(i - 1)"\##(sibling)}"##)
            }
            return ##"{"$defs": {\##(defs.joined(separator: ", "))}, "$ref": "#/$defs/D2000"}"##
        }
        let bare = try JSONSchema.parse(chain(""))
        #expect(JSONSchemaValidator.validate(.string("x"), against: bare).isEmpty)
        #expect(JSONSchemaValidator.validate(.integer(1), against: bare).map(\.keyword) == ["type"])
        let withSiblings = try JSONSchema.parse(chain(#", "minLength": 0"#))
        #expect(JSONSchemaValidator.validate(.string("x"), against: withSiblings).map(\.keyword) == ["limit"])
        let writer = try JSONSchema.parse(chain(#", "minLength": 0"#))
        let reader = try JSONSchema.parse(chain(#", "minLength": 0"#).replacing("string", with: "integer"))
        #expect(!JSONSchemaCompatibility.isCompatible(reader: reader, writer: writer))
        #expect(JSONSchemaCompatibility.isCompatible(reader: bare, writer: bare))
    }
}
