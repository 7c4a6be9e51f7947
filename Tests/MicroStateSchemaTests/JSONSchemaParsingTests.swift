import Testing

@testable import MicroStateSchema

@Suite("JSON Schema parsing")
struct JSONSchemaParsingTests {
    @Test("Keywords of the supported subset are read into the node")
    func keywords() throws {
        let schema = try JSONSchema.parse(##"""
            {
              "$schema": "https://json-schema.org/draft/2020-12/schema",
              "title": "Order",
              "type": "object",
              "properties": {
                "id": {"type": "integer", "minimum": 1, "exclusiveMaximum": 1e9, "multipleOf": 1},
                "email": {"type": ["string", "null"], "format": "email", "maxLength": 254, "pattern": "@"},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 10,
                         "uniqueItems": true},
                "kind": {"enum": ["a", "b"], "default": "a"},
                "point": {"prefixItems": [{"type": "number"}, {"type": "number"}], "items": false},
                "ref": {"$ref": "#/$defs/Name"}
              },
              "required": ["id"],
              "additionalProperties": false,
              "$defs": {"Name": {"type": "string", "const": "x"}}
            }
            """##)
        let root = schema.nodes[schema.root]
        #expect(root.types == JSONSchemaTypeSet(.object))
        #expect(root.propertyOrder == ["id", "email", "tags", "kind", "point", "ref"])
        #expect(root.required == ["id"])
        #expect(schema.nodes[root.additionalProperties!].isFalse)
        let id = schema.nodes[root.properties["id"]!]
        #expect(id.minimum == 1 && id.exclusiveMaximum == 1e9 && id.multipleOf == 1)
        let email = schema.nodes[root.properties["email"]!]
        #expect(email.types == [JSONSchemaTypeSet(.string), JSONSchemaTypeSet(.null)])
        #expect(email.format == "email" && email.pattern == "@" && email.maxLength == 254)
        #expect(email.pointer == "#/properties/email")
        let tags = schema.nodes[root.properties["tags"]!]
        #expect(tags.minItems == 1 && tags.maxItems == 10 && tags.uniqueItems)
        #expect(schema.nodes[tags.items!].types == JSONSchemaTypeSet(.string))
        #expect(schema.nodes[root.properties["kind"]!].hasDefault)
        #expect(schema.nodes[root.properties["point"]!].prefixItems.count == 2)
        let ref = schema.dereference(root.properties["ref"]!)
        #expect(schema.nodes[ref].pointer == "#/$defs/Name")
        #expect(schema.nodes[ref].constValue == .string("x"))
    }

    @Test("true, {} and annotation-only schemas accept everything; false accepts nothing")
    func booleanSchemas() throws {
        #expect(try JSONSchema.parse("true").nodes[0].acceptsEverything)
        #expect(try JSONSchema.parse(#"{"title": "t", "description": "d", "format": "uuid"}"#).nodes[0]
            .acceptsEverything)
        #expect(try JSONSchema.parse("false").nodes[0].isFalse)
    }

    @Test("Invalid schemas are rejected naming the JSON pointer", arguments: [
        (#"{"properties": {"a": {"type": "text"}}}"#, JSONSchemaError.Code.invalidKeyword, "#/properties/a/type"),
        (#"{"type": []}"#, .invalidKeyword, "#/type"),
        (#"{"required": ["a", "a"]}"#, .invalidKeyword, "#/required"),
        (#"{"maxLength": -1}"#, .invalidKeyword, "#/maxLength"),
        (#"{"maxLength": 1.5}"#, .invalidKeyword, "#/maxLength"),
        (#"{"multipleOf": 0}"#, .invalidKeyword, "#/multipleOf"),
        (#"{"items": {"minimum": "1"}}"#, .invalidKeyword, "#/items/minimum"),
        (#"{"anyOf": []}"#, .invalidKeyword, "#/anyOf"),
        (#"{"properties": {"a/b": 1}}"#, .invalidKeyword, "#/properties/a~1b"),
        (#"[]"#, .invalidKeyword, "#"),
        (#"{"if": {}}"#, .unsupportedKeyword, "#/if"),
        (#"{"properties": {"a": {"$ref": "other.json#/x"}}}"#, .unresolvedReference, "#/properties/a/$ref"),
        (##"{"properties": {"a": {"$ref": "#anchor"}}}"##, .unsupportedKeyword, "#/properties/a/$ref"),
        (##"{"properties": {"a": {"$ref": "#/$defs/Missing"}}}"##, .unresolvedReference, "#/properties/a/$ref"),
        (#"{"a": 1,}"#, .invalidJSON, "#"),
    ])
    func invalid(text: String, code: JSONSchemaError.Code, pointer: String) {
        let error = #expect(throws: JSONSchemaError.self) { try JSONSchema.parse(text) }
        #expect(error?.code == code, "\(text): \(String(describing: error))")
        #expect(error?.pointer == pointer, "\(text): \(String(describing: error))")
    }

    @Test("A reference cycle that never descends into the instance is rejected; recursion through properties is not")
    func cycles() throws {
        let cyclic = ##"{"$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"allOf": [{"$ref": "#/$defs/A"}]}}}"##
        let error = #expect(throws: JSONSchemaError.self) { try JSONSchema.parse(cyclic) }
        #expect(error?.code == .referenceCycle)
        let selfRef = ##"{"$ref": "#"}"##
        #expect(throws: JSONSchemaError.self) { try JSONSchema.parse(selfRef) }
        let tree = ##"{"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#"}}}}"##
        let schema = try JSONSchema.parse(tree)
        let items = schema.nodes[schema.nodes[schema.nodes[0].properties["children"]!].items!]
        #expect(items.ref == schema.root)
    }

    @Test("The subschema count is bounded")
    func nodeLimit() {
        let properties = (0..<20).map { "\"p\($0)\": {}" }.joined(separator: ", ")
        let error = #expect(throws: JSONSchemaError.self) {
            try JSONSchema.parse("{\"properties\": {\(properties)}}", limits: .init(maxNodes: 10))
        }
        #expect(error?.code == .tooManyNodes)
    }
}
