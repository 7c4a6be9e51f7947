import Testing

@testable import MicroStateSchema

/// One row of the compatibility table: can a reader with `reader` read documents valid under `writer`?
struct JSONSchemaCompatibilityCase: CustomTestStringConvertible, Sendable {
    var name: String
    var writer: String
    var reader: String
    var compatible: Bool
    /// Every rule id the checker reports, compatible ones included.
    var rules: Set<String>

    var testDescription: String { self.name }
}

private func object(_ properties: String, _ extra: String = "") -> String {
    #"{"type": "object", "properties": {\#(properties)}\#(extra.isEmpty ? "" : ", " + extra)}"#
}

private let closed = #""additionalProperties": false"#

let compatibilityCases: [JSONSchemaCompatibilityCase] = [
    .init(name: "identical schemas", writer: object(#""a": {"type": "string"}"#),
          reader: object(#""a": {"type": "string"}"#), compatible: true, rules: []),
    .init(name: "type changed", writer: #"{"type": "string"}"#, reader: #"{"type": "integer"}"#,
          compatible: false, rules: ["TYPE_CHANGED"]),
    .init(name: "integer widened to number", writer: #"{"type": "integer"}"#, reader: #"{"type": "number"}"#,
          compatible: true, rules: ["TYPE_EXTENDED"]),
    .init(name: "number narrowed to integer", writer: #"{"type": "number"}"#, reader: #"{"type": "integer"}"#,
          compatible: false, rules: ["TYPE_NARROWED"]),
    .init(name: "null dropped from a type union", writer: #"{"type": ["string", "null"]}"#,
          reader: #"{"type": "string"}"#, compatible: false, rules: ["TYPE_NARROWED"]),
    .init(name: "null added to the type", writer: #"{"type": "string"}"#, reader: #"{"type": ["string", "null"]}"#,
          compatible: true, rules: ["TYPE_EXTENDED"]),
    .init(name: "reader accepts anything", writer: #"{"type": "string", "maxLength": 3}"#, reader: "{}",
          compatible: true, rules: []),
    .init(name: "writer writes nothing", writer: "false", reader: #"{"type": "string"}"#, compatible: true, rules: []),
    .init(name: "reader is false", writer: #"{"type": "string"}"#, reader: "false", compatible: false,
          rules: ["SCHEMA_REJECTS_EVERYTHING"]),
    .init(name: "maxLength decreased", writer: #"{"type": "string", "maxLength": 10}"#,
          reader: #"{"type": "string", "maxLength": 5}"#, compatible: false, rules: ["MAX_LENGTH_DECREASED"]),
    .init(name: "maxLength added", writer: #"{"type": "string"}"#, reader: #"{"type": "string", "maxLength": 5}"#,
          compatible: false, rules: ["MAX_LENGTH_ADDED"]),
    .init(name: "maxLength increased", writer: #"{"type": "string", "maxLength": 5}"#,
          reader: #"{"type": "string", "maxLength": 10}"#, compatible: true, rules: ["MAX_LENGTH_INCREASED"]),
    .init(name: "minLength increased", writer: #"{"type": "string", "minLength": 1}"#,
          reader: #"{"type": "string", "minLength": 3}"#, compatible: false, rules: ["MIN_LENGTH_INCREASED"]),
    .init(name: "minLength added", writer: #"{"type": "string"}"#, reader: #"{"type": "string", "minLength": 1}"#,
          compatible: false, rules: ["MIN_LENGTH_ADDED"]),
    .init(name: "pattern added", writer: #"{"type": "string"}"#, reader: #"{"type": "string", "pattern": "^a"}"#,
          compatible: false, rules: ["PATTERN_ADDED"]),
    .init(name: "maximum decreased", writer: #"{"type": "integer", "maximum": 100}"#,
          reader: #"{"type": "integer", "maximum": 50}"#, compatible: false, rules: ["MAXIMUM_DECREASED"]),
    .init(name: "minimum increased", writer: #"{"type": "integer", "minimum": 0}"#,
          reader: #"{"type": "integer", "minimum": 1}"#, compatible: false, rules: ["MINIMUM_INCREASED"]),
    .init(name: "minimum removed", writer: #"{"type": "integer", "minimum": 10}"#, reader: #"{"type": "integer"}"#,
          compatible: true, rules: ["MINIMUM_REMOVED"]),
    .init(name: "multipleOf reduced to a divisor", writer: #"{"type": "integer", "multipleOf": 10}"#,
          reader: #"{"type": "integer", "multipleOf": 5}"#, compatible: true, rules: ["MULTIPLE_OF_REDUCED"]),
    .init(name: "multipleOf expanded", writer: #"{"type": "integer", "multipleOf": 5}"#,
          reader: #"{"type": "integer", "multipleOf": 10}"#, compatible: false, rules: ["MULTIPLE_OF_EXPANDED"]),
    .init(name: "enum narrowed", writer: #"{"type": "string", "enum": ["a", "b", "c"]}"#,
          reader: #"{"type": "string", "enum": ["a", "b"]}"#, compatible: false, rules: ["ENUM_ARRAY_NARROWED"]),
    .init(name: "enum extended", writer: #"{"type": "string", "enum": ["a", "b"]}"#,
          reader: #"{"type": "string", "enum": ["a", "b", "c"]}"#, compatible: true, rules: ["ENUM_ARRAY_EXTENDED"]),
    .init(name: "enum changed", writer: #"{"type": "string", "enum": ["a", "b"]}"#,
          reader: #"{"type": "string", "enum": ["a", "c"]}"#, compatible: false, rules: ["ENUM_ARRAY_CHANGED"]),
    .init(name: "property added to an open content model", writer: object(#""a": {"type": "string"}"#),
          reader: object(#""a": {"type": "string"}, "b": {"type": "string"}"#), compatible: false,
          rules: ["PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"]),
    .init(name: "property with empty schema added to an open content model",
          writer: object(#""a": {"type": "string"}"#), reader: object(#""a": {"type": "string"}, "b": {}"#),
          compatible: true, rules: ["PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"]),
    .init(name: "optional property added to a closed content model",
          writer: object(#""a": {"type": "string"}"#, closed),
          reader: object(#""a": {"type": "string"}, "b": {"type": "string"}"#, closed), compatible: true,
          rules: ["OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"]),
    .init(name: "required property added to a closed content model",
          writer: object(#""a": {"type": "string"}"#, closed),
          reader: object(#""a": {"type": "string"}, "b": {"type": "string"}"#, closed + #", "required": ["b"]"#),
          compatible: false, rules: ["REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"]),
    .init(name: "required property with a default added to a closed content model",
          writer: object(#""a": {"type": "string"}"#, closed),
          reader: object(#""a": {"type": "string"}, "b": {"type": "string", "default": "x"}"#,
                         closed + #", "required": ["b"]"#),
          compatible: true, rules: ["REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL"]),
    .init(name: "property removed from a closed content model",
          writer: object(#""a": {"type": "string"}, "b": {"type": "string"}"#, closed),
          reader: object(#""a": {"type": "string"}"#, closed), compatible: false,
          rules: ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"]),
    .init(name: "property removed from an open content model",
          writer: object(#""a": {"type": "string"}, "b": {"type": "string"}"#),
          reader: object(#""a": {"type": "string"}"#), compatible: true,
          rules: ["PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL"]),
    .init(name: "property whose schema was false removed from a closed content model",
          writer: object(#""a": {"type": "string"}, "b": false"#, closed),
          reader: object(#""a": {"type": "string"}"#, closed), compatible: true,
          rules: ["PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"]),
    .init(name: "existing property made required",
          writer: object(#""a": {"type": "string"}, "b": {"type": "string"}"#, #""required": ["a"]"#),
          reader: object(#""a": {"type": "string"}, "b": {"type": "string"}"#, #""required": ["a", "b"]"#),
          compatible: false, rules: ["REQUIRED_ATTRIBUTE_ADDED"]),
    .init(name: "property no longer required",
          writer: object(#""a": {"type": "string"}, "b": {"type": "string"}"#, #""required": ["a", "b"]"#),
          reader: object(#""a": {"type": "string"}, "b": {"type": "string"}"#, #""required": ["a"]"#),
          compatible: true, rules: ["REQUIRED_ATTRIBUTE_REMOVED"]),
    .init(name: "additional properties removed", writer: object(#""a": {"type": "string"}"#),
          reader: object(#""a": {"type": "string"}"#, closed), compatible: false,
          rules: ["ADDITIONAL_PROPERTIES_REMOVED"]),
    .init(name: "additional properties added", writer: object(#""a": {"type": "string"}"#, closed),
          reader: object(#""a": {"type": "string"}"#), compatible: true, rules: ["ADDITIONAL_PROPERTIES_ADDED"]),
    .init(name: "additional properties narrowed to a schema", writer: object(#""a": {"type": "string"}"#),
          reader: object(#""a": {"type": "string"}"#, #""additionalProperties": {"type": "string"}"#),
          compatible: false, rules: ["ADDITIONAL_PROPERTIES_NARROWED"]),
    .init(name: "additional properties schema changed type",
          writer: object("", #""additionalProperties": {"type": "string"}"#),
          reader: object("", #""additionalProperties": {"type": "integer"}"#), compatible: false,
          rules: ["TYPE_CHANGED"]),
    .init(name: "property added and covered by the writer's additional properties",
          writer: object(#""a": {"type": "string"}"#, #""additionalProperties": {"type": "string"}"#),
          reader: object(#""a": {"type": "string"}, "b": {"type": ["string", "null"]}"#,
                         #""additionalProperties": {"type": "string"}"#),
          compatible: true, rules: ["PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"]),
    .init(name: "property added and not covered by the writer's additional properties",
          writer: object(#""a": {"type": "string"}"#, #""additionalProperties": {"type": "string"}"#),
          reader: object(#""a": {"type": "string"}, "b": {"type": "integer"}"#,
                         #""additionalProperties": {"type": "string"}"#),
          compatible: false, rules: ["PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"]),
    .init(name: "property removed and covered by the reader's additional properties",
          writer: object(#""a": {"type": "string"}, "b": {"type": "string", "maxLength": 3}"#,
                         #""additionalProperties": {"type": "string"}"#),
          reader: object(#""a": {"type": "string"}"#, #""additionalProperties": {"type": "string"}"#),
          compatible: true, rules: ["PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"]),
    .init(name: "nested property constraint narrowed",
          writer: object(#""address": \#(object(#""zip": {"type": "string", "maxLength": 10}"#))"#),
          reader: object(#""address": \#(object(#""zip": {"type": "string", "maxLength": 5}"#))"#),
          compatible: false, rules: ["MAX_LENGTH_DECREASED"]),
    .init(name: "array item type changed", writer: #"{"type": "array", "items": {"type": "string"}}"#,
          reader: #"{"type": "array", "items": {"type": "integer"}}"#, compatible: false, rules: ["TYPE_CHANGED"]),
    .init(name: "items schema added", writer: #"{"type": "array"}"#,
          reader: #"{"type": "array", "items": {"type": "string"}}"#, compatible: false,
          rules: ["ADDITIONAL_ITEMS_NARROWED"]),
    .init(name: "items schema removed", writer: #"{"type": "array", "items": {"type": "string"}}"#,
          reader: #"{"type": "array"}"#, compatible: true, rules: ["ADDITIONAL_ITEMS_EXTENDED"]),
    .init(name: "maxItems decreased and minItems added", writer: #"{"type": "array", "maxItems": 10}"#,
          reader: #"{"type": "array", "maxItems": 5, "minItems": 1}"#, compatible: false,
          rules: ["MAX_ITEMS_DECREASED", "MIN_ITEMS_ADDED"]),
    .init(name: "uniqueItems added", writer: #"{"type": "array"}"#, reader: #"{"type": "array", "uniqueItems": true}"#,
          compatible: false, rules: ["UNIQUE_ITEMS_ADDED"]),
    .init(name: "tuple item added to a closed tuple",
          writer: #"{"type": "array", "prefixItems": [{"type": "string"}], "items": false}"#,
          reader: #"{"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": false}"#,
          compatible: true, rules: ["ITEM_ADDED_TO_CLOSED_CONTENT_MODEL"]),
    .init(name: "tuple item removed from a closed tuple",
          writer: #"{"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": false}"#,
          reader: #"{"type": "array", "prefixItems": [{"type": "string"}], "items": false}"#,
          compatible: false, rules: ["ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL"]),
    .init(name: "tuple item whose schema was false removed from a closed tuple",
          writer: #"{"type": "array", "prefixItems": [{"type": "string"}, false], "items": false}"#,
          reader: #"{"type": "array", "prefixItems": [{"type": "string"}], "items": false}"#,
          compatible: true, rules: ["ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"]),
    .init(name: "tuple item added to an open tuple",
          writer: #"{"type": "array", "prefixItems": [{"type": "string"}]}"#,
          reader: #"{"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]}"#,
          compatible: false, rules: ["ITEM_ADDED_TO_OPEN_CONTENT_MODEL"]),
    .init(name: "oneOf gained a branch",
          writer: #"{"oneOf": [{"type": "string"}, {"type": "integer"}]}"#,
          reader: #"{"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}"#,
          compatible: true, rules: ["TYPE_EXTENDED", "SUM_TYPE_EXTENDED"]),
    .init(name: "anyOf lost a branch",
          writer: #"{"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}"#,
          reader: #"{"anyOf": [{"type": "string"}, {"type": "integer"}]}"#,
          compatible: false, rules: ["TYPE_EXTENDED", "SUM_TYPE_NARROWED"]),
    .init(name: "anyOf branch replaced",
          writer: #"{"anyOf": [{"type": "string"}, {"type": "integer"}]}"#,
          reader: #"{"anyOf": [{"type": "string"}, {"type": "boolean"}]}"#,
          compatible: false, rules: ["TYPE_EXTENDED", "COMBINED_TYPE_SUBSCHEMAS_CHANGED"]),
    .init(name: "oneOf relaxed to anyOf",
          writer: #"{"oneOf": [{"type": "string"}, {"type": "integer"}]}"#,
          reader: #"{"anyOf": [{"type": "string"}, {"type": "integer"}]}"#,
          compatible: true, rules: ["TYPE_EXTENDED", "COMBINED_TYPE_EXTENDED"]),
    .init(name: "anyOf tightened to oneOf",
          writer: #"{"anyOf": [{"type": "string"}, {"type": "integer"}]}"#,
          reader: #"{"oneOf": [{"type": "string"}, {"type": "integer"}]}"#,
          compatible: false, rules: ["TYPE_EXTENDED", "COMBINED_TYPE_CHANGED"]),
    .init(name: "a plain schema becomes one branch of anyOf", writer: #"{"type": "string"}"#,
          reader: #"{"anyOf": [{"type": "string"}, {"type": "null"}]}"#,
          compatible: true, rules: ["TYPE_EXTENDED", "SUM_TYPE_EXTENDED"]),
    .init(name: "allOf gained a constraining branch",
          writer: #"{"allOf": [{"type": "object"}, {"properties": {"a": {"type": "string"}}}]}"#,
          reader: #"{"allOf": [{"type": "object"}, {"properties": {"a": {"type": "string"}}}, {"required": ["a"]}]}"#,
          compatible: false, rules: ["PRODUCT_TYPE_EXTENDED"]),
    .init(name: "allOf lost a branch",
          writer: #"{"allOf": [{"type": "object"}, {"required": ["a"]}]}"#,
          reader: #"{"allOf": [{"type": "object"}]}"#,
          compatible: true, rules: ["PRODUCT_TYPE_NARROWED"]),
    .init(name: "not added", writer: #"{"type": "string"}"#, reader: #"{"type": "string", "not": {"const": "x"}}"#,
          compatible: false, rules: ["NOT_TYPE_EXTENDED"]),
    .init(name: "not removed", writer: #"{"type": "string", "not": {"const": "x"}}"#, reader: #"{"type": "string"}"#,
          compatible: true, rules: ["NOT_TYPE_NARROWED"]),
    .init(name: "constraint narrowed behind a $ref",
          writer: ##"{"$defs": {"Name": {"type": "string", "maxLength": 10}}, "type": "object", "##
              + ##""properties": {"n": {"$ref": "#/$defs/Name"}}}"##,
          reader: ##"{"definitions": {"Name": {"type": "string", "maxLength": 5}}, "type": "object", "##
              + ##""properties": {"n": {"$ref": "#/definitions/Name"}}}"##,
          compatible: false, rules: ["MAX_LENGTH_DECREASED"]),
    .init(name: "recursive schema widened terminates",
          writer: ##"{"type": "object", "properties": {"value": {"type": "integer"}, "##
              + ##""children": {"type": "array", "items": {"$ref": "#"}}}}"##,
          reader: ##"{"type": "object", "properties": {"value": {"type": "number"}, "##
              + ##""children": {"type": "array", "items": {"$ref": "#"}}}}"##,
          compatible: true, rules: ["TYPE_EXTENDED"]),
]

@Suite("JSON Schema compatibility")
struct JSONSchemaCompatibilityTests {
    @Test("Each table case reports the expected rules", arguments: compatibilityCases)
    func table(_ c: JSONSchemaCompatibilityCase) throws {
        let writer = try JSONSchema.parse(c.writer)
        let reader = try JSONSchema.parse(c.reader)
        let differences = JSONSchemaCompatibility.differences(reader: reader, writer: writer)
        #expect(Set(differences.map(\.rule.rawValue)) == c.rules, "\(c.name): \(differences)")
        #expect(JSONSchemaCompatibility.isCompatible(reader: reader, writer: writer) == c.compatible,
                "\(c.name): \(differences)")
        let messages = JSONSchemaCompatibility.check(reader: reader, writer: writer)
        #expect(messages.allSatisfy { JSONSchemaRule(rawValue: $0.rule)?.isCompatible == false })
    }

    @Test("The table has at least 30 cases, compatible and not")
    func tableSize() {
        #expect(compatibilityCases.count >= 30)
        #expect(compatibilityCases.contains { $0.compatible } && compatibilityCases.contains { !$0.compatible })
    }

    @Test("Messages name the schema path and the rule")
    func paths() throws {
        let writerAddress = object(#""zip": {"type": "string", "maxLength": 10}"#)
        let readerAddress = object(#""zip": {"type": "string", "maxLength": 5}"#)
        let writer = try JSONSchema.parse(object(
            #""email": {"type": "string"}, "address": \#(writerAddress), "#
                + #""tags": {"type": "array", "items": {"type": "string"}}"#))
        let reader = try JSONSchema.parse(object(
            #""email": {"type": "integer"}, "address": \#(readerAddress), "#
                + #""tags": {"type": "array", "items": {"type": "string", "minLength": 1}}"#,
            #""minProperties": 1"#))
        let messages = JSONSchemaCompatibility.check(reader: reader, writer: writer)
        let pairs = Set(messages.map { "\($0.rule) \($0.path)" })
        #expect(pairs == [
            "TYPE_CHANGED properties.email",
            "MAX_LENGTH_DECREASED properties.address.properties.zip",
            "MIN_LENGTH_ADDED properties.tags.items",
            "MIN_PROPERTIES_ADDED #",
        ], "\(messages)")
        #expect(messages.first { $0.rule == "TYPE_CHANGED" }?.description
            == "TYPE_CHANGED at properties.email: type changed from string to integer")
    }

    @Test("The level decides direction: a property added to an open model fails BACKWARD and passes FORWARD")
    func direction() throws {
        let old = try JSONSchema.parse(object(#""a": {"type": "string"}"#))
        let new = try JSONSchema.parse(object(#""a": {"type": "string"}, "b": {"type": "string"}"#))
        let versions = [old]
        func failures(_ level: CompatibilityLevel) -> [CompatibilityMessage] {
            level.pairs(previousCount: versions.count).flatMap { pair in
                JSONSchemaCompatibility.check(
                    reader: pair.reader == -1 ? new : versions[pair.reader],
                    writer: pair.writer == -1 ? new : versions[pair.writer])
            }
        }
        #expect(failures(.backward).map(\.rule) == ["PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"])
        #expect(failures(.forward).isEmpty)
        #expect(failures(.full).map(\.rule) == ["PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"])
        #expect(failures(.none).isEmpty)
    }

    @Test("A required property added to a closed model fails both directions")
    func closedBothDirections() throws {
        let old = try JSONSchema.parse(object(#""a": {"type": "string"}"#, closed))
        let new = try JSONSchema.parse(
            object(#""a": {"type": "string"}, "b": {"type": "string"}"#, closed + #", "required": ["b"]"#))
        #expect(JSONSchemaCompatibility.check(reader: new, writer: old).map(\.rule)
            == ["REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"])
        #expect(JSONSchemaCompatibility.check(reader: old, writer: new).map(\.rule)
            == ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"])
    }

    @Test("Every rule id is upper snake case and compatible and incompatible rules both exist")
    func ruleTable() {
        for rule in JSONSchemaRule.allCases {
            #expect(rule.rawValue.allSatisfy { $0.isUppercase || $0 == "_" }, "\(rule)")
        }
        #expect(JSONSchemaRule.typeExtended.isCompatible && !JSONSchemaRule.typeChanged.isCompatible)
        #expect(Set(JSONSchemaRule.allCases.map(\.rawValue)).count == JSONSchemaRule.allCases.count)
    }

    @Test("A combinator bomb is cut off by the comparison limit instead of running for ever")
    func comparisonLimit() throws {
        // Twelve levels of 6-way anyOf through $defs: a small schema whose branch matching would compare
        // 36^12 pairs without the bound.
        func schema(_ type: String) -> String {
            var defs = [#""D0": {"type": "\#(type)"}"#]
            for i in 1...12 {
                let branches = [String](repeating: ##"{"$ref": "#/$defs/D\##(i - 1)"}"##, count: 6)
                defs.append(#""D\#(i)": {"anyOf": [\#(branches.joined(separator: ", "))]}"#)
            }
            return ##"{"$defs": {\##(defs.joined(separator: ", "))}, "$ref": "#/$defs/D12"}"##
        }
        let writer = try JSONSchema.parse(schema("string"))
        let reader = try JSONSchema.parse(schema("integer"))
        let start = ContinuousClock.now
        let messages = JSONSchemaCompatibility.check(reader: reader, writer: writer)
        #expect(!messages.isEmpty)
        #expect(ContinuousClock.now - start < .seconds(30))
    }
}
