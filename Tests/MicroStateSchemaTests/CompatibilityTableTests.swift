import Testing

@testable import MicroStateSchema

/// One row of the compatibility table (issue #5): earlier versions registered under one subject, a new schema
/// registered at `level`, and the verdict the rule definitions give.
///
/// Verdicts come from the cited definitions (`source`), not from what the checkers happen to return: the Avro 1.11
/// specification's "Schema Resolution" (with Apache Avro's `SchemaCompatibility` type ids), Confluent Schema
/// Registry's JSON Schema and Protobuf `Difference.Type` tables (reference section 1.2) and buf's WIRE / WIRE_JSON
/// rules (reference section 1.4). Where we are deliberately stricter than Confluent the source says so.
struct CompatibilityTableCase: CustomTestStringConvertible, Sendable {
    var name: String
    var type: SchemaType
    var level: CompatibilityLevel
    /// Registered first, oldest first, at level NONE (so incompatible histories can be set up).
    var earlier: [String]
    var new: String
    /// Empty: compatible. Otherwise every rule id that must be reported (others may be reported too).
    var rules: [String]
    /// A fragment of the path of the first expected rule's message, where meaningful.
    var path: String?
    var protobufRules: ProtobufRuleSet
    var source: String

    init(
        _ name: String, _ type: SchemaType, _ level: CompatibilityLevel, earlier: [String], new: String,
        rules: [String] = [], path: String? = nil, protobuf: ProtobufRuleSet = .confluent, source: String
    ) {
        self.name = name
        self.type = type
        self.level = level
        self.earlier = earlier
        self.new = new
        self.rules = rules
        self.path = path
        self.protobufRules = protobuf
        self.source = source
    }

    var compatible: Bool { self.rules.isEmpty }

    var testDescription: String {
        "\(self.type.rawValue) \(self.level.rawValue)"
            + (self.type == .protobuf ? " [\(self.protobufRules.rawValue)]" : "") + ": \(self.name)"
    }
}

// MARK: - Schema text helpers

/// A JSON Schema object; `closed` adds `"additionalProperties": false`.
private func jsonObject(_ properties: String, closed: Bool = false, required: [String] = []) -> String {
    var text = #"{"type": "object", "properties": {\#(properties)}"#
    if closed { text += #", "additionalProperties": false"# }
    if !required.isEmpty { text += #", "required": [\#(required.map { "\"\($0)\"" }.joined(separator: ", "))]"# }
    return text + "}"
}

/// An Avro record named `name` with `fields` (JSON objects, comma separated).
private func avroRecord(_ fields: String, name: String = "Order", extra: String = "") -> String {
    #"{"type": "record", "name": "\#(name)", "namespace": "shop"\#(extra), "fields": [\#(fields)]}"#
}

private func avroEnum(_ symbols: [String], defaultSymbol: String? = nil) -> String {
    let list = symbols.map { "\"\($0)\"" }.joined(separator: ", ")
    let dflt = defaultSymbol.map { #", "default": "\#($0)""# } ?? ""
    return avroRecord(#"{"name": "status", "type": {"type": "enum", "name": "Status", "symbols": [\#(list)]\#(dflt)}}"#)
}

/// A `.proto` file with `message Order { body }` and `extra` definitions after it.
private func proto(_ body: String, extra: String = "", package: String = "shop", syntax: String = "proto3") -> String {
    "syntax = \"\(syntax)\";\npackage \(package);\nmessage Order {\n\(body)\n}\n\(extra)"
}

private let statusEnums = "enum Status { STATUS_UNKNOWN = 0; OPEN = 1; }\nenum Kind { KIND_UNKNOWN = 0; RETAIL = 1; }"

// MARK: - The table

enum CompatibilityTable {
    static let json: [CompatibilityTableCase] = [
        // NONE
        .init(
            "a type change is accepted", .json, .none, earlier: [#"{"type": "string"}"#], new: #"{"type": "integer"}"#,
            source: "Confluent: NONE runs no check"),
        .init(
            "a property removed from a closed model is accepted", .json, .none,
            earlier: [jsonObject(#""id": {"type": "string"}, "age": {"type": "integer"}"#, closed: true)],
            new: jsonObject(#""id": {"type": "string"}"#, closed: true), source: "Confluent: NONE runs no check"),
        // BACKWARD: the new schema reads documents valid under the latest.
        .init(
            "an optional property added to a closed model", .json, .backward,
            earlier: [jsonObject(#""id": {"type": "string"}"#, closed: true)],
            new: jsonObject(#""id": {"type": "string"}, "email": {"type": "string"}"#, closed: true),
            source: "Confluent JSON: OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL is compatible"),
        .init(
            "a typed property added to an open model", .json, .backward,
            earlier: [jsonObject(#""id": {"type": "string"}"#)],
            new: jsonObject(#""id": {"type": "string"}, "email": {"type": "string"}"#),
            rules: ["PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"], path: "properties.email",
            source: "Confluent JSON: PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL (old writers could put anything there)"),
        .init(
            "a property with an empty schema added to an open model", .json, .backward,
            earlier: [jsonObject(#""id": {"type": "string"}"#)],
            new: jsonObject(#""id": {"type": "string"}, "extra": {}"#),
            source: "Confluent JSON: PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL is compatible"),
        .init(
            "a property removed from a closed model", .json, .backward,
            earlier: [jsonObject(#""id": {"type": "string"}, "age": {"type": "integer"}"#, closed: true)],
            new: jsonObject(#""id": {"type": "string"}"#, closed: true),
            rules: ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"], path: "properties.age",
            source: "Confluent JSON: PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"),
        .init(
            "a property removed from an open model", .json, .backward,
            earlier: [jsonObject(#""id": {"type": "string"}, "age": {"type": "integer"}"#)],
            new: jsonObject(#""id": {"type": "string"}"#),
            source: "Confluent JSON: PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL is compatible"),
        .init(
            "null dropped from a type union", .json, .backward, earlier: [#"{"type": ["string", "null"]}"#],
            new: #"{"type": "string"}"#, rules: ["TYPE_NARROWED"], source: "Confluent JSON: TYPE_NARROWED"),
        .init(
            "string became integer", .json, .backward, earlier: [#"{"type": "string"}"#], new: #"{"type": "integer"}"#,
            rules: ["TYPE_CHANGED"], source: "Confluent JSON: TYPE_CHANGED"),
        .init(
            "integer widened to number", .json, .backward, earlier: [#"{"type": "integer"}"#],
            new: #"{"type": "number"}"#, source: "Confluent JSON: TYPE_EXTENDED is compatible"),
        .init(
            "maxLength decreased", .json, .backward, earlier: [#"{"type": "string", "maxLength": 100}"#],
            new: #"{"type": "string", "maxLength": 50}"#, rules: ["MAX_LENGTH_DECREASED"],
            source: "Confluent JSON: MAX_LENGTH_DECREASED"),
        .init(
            "maxLength increased", .json, .backward, earlier: [#"{"type": "string", "maxLength": 50}"#],
            new: #"{"type": "string", "maxLength": 100}"#, source: "Confluent JSON: MAX_LENGTH_INCREASED is compatible"),
        .init(
            "minimum added", .json, .backward, earlier: [#"{"type": "integer"}"#],
            new: #"{"type": "integer", "minimum": 0}"#, rules: ["MINIMUM_ADDED"],
            source: "Confluent JSON: MINIMUM_ADDED"),
        .init(
            "an enum value removed", .json, .backward, earlier: [#"{"enum": ["a", "b", "c"]}"#],
            new: #"{"enum": ["a", "b"]}"#, rules: ["ENUM_ARRAY_NARROWED"], source: "Confluent JSON: ENUM_ARRAY_NARROWED"),
        .init(
            "an enum value added", .json, .backward, earlier: [#"{"enum": ["a", "b"]}"#],
            new: #"{"enum": ["a", "b", "c"]}"#, source: "Confluent JSON: ENUM_ARRAY_EXTENDED is compatible"),
        .init(
            "an existing property made required", .json, .backward,
            earlier: [jsonObject(#""id": {"type": "string"}, "email": {"type": "string"}"#)],
            new: jsonObject(#""id": {"type": "string"}, "email": {"type": "string"}"#, required: ["email"]),
            rules: ["REQUIRED_ATTRIBUTE_ADDED"], path: "properties.email",
            source: "Confluent JSON: REQUIRED_ATTRIBUTE_ADDED"),
        .init(
            "a property no longer required", .json, .backward,
            earlier: [jsonObject(#""email": {"type": "string"}"#, required: ["email"])],
            new: jsonObject(#""email": {"type": "string"}"#),
            source: "Confluent JSON: REQUIRED_ATTRIBUTE_REMOVED is compatible"),
        .init(
            "a required property with a default added to a closed model", .json, .backward,
            earlier: [jsonObject(#""id": {"type": "string"}"#, closed: true)],
            new: jsonObject(
                #""id": {"type": "string"}, "qty": {"type": "integer", "default": 1}"#, closed: true, required: ["qty"]),
            source: "Confluent JSON: REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL is compatible"),
        .init(
            "a required property without a default added to a closed model", .json, .backward,
            earlier: [jsonObject(#""id": {"type": "string"}"#, closed: true)],
            new: jsonObject(#""id": {"type": "string"}, "qty": {"type": "integer"}"#, closed: true, required: ["qty"]),
            rules: ["REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"], path: "properties.qty",
            source: "Confluent JSON: REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"),
        .init(
            "a oneOf branch removed", .json, .backward,
            earlier: [#"{"oneOf": [{"type": "string"}, {"type": "integer"}]}"#],
            new: #"{"oneOf": [{"type": "string"}]}"#, rules: ["SUM_TYPE_NARROWED"], path: "oneOf",
            source: "Confluent JSON: SUM_TYPE_NARROWED"),
        .init(
            "a closed model opened", .json, .backward,
            earlier: [jsonObject(#""id": {"type": "string"}"#, closed: true)],
            new: jsonObject(#""id": {"type": "string"}"#),
            source: "Confluent JSON: ADDITIONAL_PROPERTIES_ADDED is compatible"),
        .init(
            "an open model closed", .json, .backward, earlier: [jsonObject(#""id": {"type": "string"}"#)],
            new: jsonObject(#""id": {"type": "string"}"#, closed: true), rules: ["ADDITIONAL_PROPERTIES_REMOVED"],
            path: "additionalProperties", source: "Confluent JSON: ADDITIONAL_PROPERTIES_REMOVED"),
        .init(
            "maxItems added", .json, .backward, earlier: [#"{"type": "array", "items": {"type": "string"}}"#],
            new: #"{"type": "array", "items": {"type": "string"}, "maxItems": 10}"#, rules: ["MAX_ITEMS_ADDED"],
            source: "Confluent JSON: MAX_ITEMS_ADDED"),
        .init(
            "multipleOf 2 became 4", .json, .backward, earlier: [#"{"type": "integer", "multipleOf": 2}"#],
            new: #"{"type": "integer", "multipleOf": 4}"#, rules: ["MULTIPLE_OF_EXPANDED"],
            source: "Confluent JSON: MULTIPLE_OF_EXPANDED"),
        .init(
            "multipleOf 4 became 2", .json, .backward, earlier: [#"{"type": "integer", "multipleOf": 4}"#],
            new: #"{"type": "integer", "multipleOf": 2}"#, source: "Confluent JSON: MULTIPLE_OF_REDUCED is compatible"),
        // BACKWARD_TRANSITIVE: the new schema reads every earlier version.
        .init(
            "an older version's closed-model property is missing", .json, .backwardTransitive,
            earlier: [
                jsonObject(#""id": {"type": "string"}, "age": {"type": "integer"}"#, closed: true),
                jsonObject(#""id": {"type": "string"}"#, closed: true),
            ],
            new: jsonObject(#""id": {"type": "string"}, "note": {"type": "string"}"#, closed: true),
            rules: ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"], path: "properties.age",
            source: "Confluent JSON: PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL against version 1"),
        .init(
            "maxLength below an older version's", .json, .backwardTransitive,
            earlier: [#"{"type": "string", "maxLength": 100}"#, #"{"type": "string", "maxLength": 50}"#],
            new: #"{"type": "string", "maxLength": 60}"#, rules: ["MAX_LENGTH_DECREASED"],
            source: "Confluent JSON: MAX_LENGTH_DECREASED against version 1"),
        .init(
            "an enum that lost an older version's value", .json, .backwardTransitive,
            earlier: [#"{"enum": ["a", "b", "c"]}"#, #"{"enum": ["a", "b"]}"#], new: #"{"enum": ["a", "b", "d"]}"#,
            rules: ["ENUM_ARRAY_CHANGED"], source: "Confluent JSON: ENUM_ARRAY_CHANGED against version 1"),
        .init(
            "types only ever widened", .json, .backwardTransitive,
            earlier: [#"{"type": "string"}"#, #"{"type": ["string", "null"]}"#],
            new: #"{"type": ["string", "null", "integer"]}"#,
            source: "Confluent JSON: TYPE_EXTENDED against every version"),
        // FORWARD: the latest reads documents valid under the new schema.
        .init(
            "a typed property added to an open model", .json, .forward,
            earlier: [jsonObject(#""id": {"type": "string"}"#)],
            new: jsonObject(#""id": {"type": "string"}, "email": {"type": "string"}"#),
            source: "Confluent JSON: old reader sees PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL, compatible"),
        .init(
            "an optional property added to a closed model", .json, .forward,
            earlier: [jsonObject(#""id": {"type": "string"}"#, closed: true)],
            new: jsonObject(#""id": {"type": "string"}, "email": {"type": "string"}"#, closed: true),
            rules: ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"], path: "properties.email",
            source: "Confluent JSON: old closed reader sees PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"),
        .init(
            "null added to the type", .json, .forward, earlier: [#"{"type": "string"}"#],
            new: #"{"type": ["string", "null"]}"#, rules: ["TYPE_NARROWED"],
            source: "Confluent JSON: the old reader sees TYPE_NARROWED"),
        .init(
            "null dropped from the type", .json, .forward, earlier: [#"{"type": ["string", "null"]}"#],
            new: #"{"type": "string"}"#, source: "Confluent JSON: the old reader sees TYPE_EXTENDED, compatible"),
        .init(
            "a property no longer required", .json, .forward,
            earlier: [jsonObject(#""email": {"type": "string"}"#, required: ["email"])],
            new: jsonObject(#""email": {"type": "string"}"#), rules: ["REQUIRED_ATTRIBUTE_ADDED"],
            path: "properties.email", source: "Confluent JSON: the old reader sees REQUIRED_ATTRIBUTE_ADDED"),
        .init(
            "maximum increased", .json, .forward, earlier: [#"{"type": "integer", "maximum": 10}"#],
            new: #"{"type": "integer", "maximum": 20}"#, rules: ["MAXIMUM_DECREASED"],
            source: "Confluent JSON: the old reader sees MAXIMUM_DECREASED"),
        .init(
            "an enum value added", .json, .forward, earlier: [#"{"enum": ["a", "b"]}"#],
            new: #"{"enum": ["a", "b", "c"]}"#, rules: ["ENUM_ARRAY_NARROWED"],
            source: "Confluent JSON: the old reader sees ENUM_ARRAY_NARROWED"),
        // FORWARD_TRANSITIVE: every earlier version reads the new schema's documents.
        .init(
            "maxLength above an older version's", .json, .forwardTransitive,
            earlier: [#"{"type": "string", "maxLength": 10}"#, #"{"type": "string", "maxLength": 50}"#],
            new: #"{"type": "string", "maxLength": 20}"#, rules: ["MAX_LENGTH_DECREASED"],
            source: "Confluent JSON: version 1 reading new sees MAX_LENGTH_DECREASED"),
        .init(
            "a property reintroduced with another type", .json, .forwardTransitive,
            earlier: [
                jsonObject(#""id": {"type": "string"}, "age": {"type": "integer"}"#),
                jsonObject(#""id": {"type": "string"}"#),
            ],
            new: jsonObject(#""id": {"type": "string"}, "age": {"type": "string"}"#), rules: ["TYPE_CHANGED"],
            path: "properties.age", source: "Confluent JSON: version 1 reading new sees TYPE_CHANGED"),
        .init(
            "types only ever narrowed", .json, .forwardTransitive,
            earlier: [#"{"type": ["string", "null", "integer"]}"#, #"{"type": ["string", "null"]}"#],
            new: #"{"type": "string"}"#, source: "Confluent JSON: every old reader sees TYPE_EXTENDED"),
        // FULL: both directions against the latest.
        .init(
            "a property with an empty schema added to an open model", .json, .full,
            earlier: [jsonObject(#""id": {"type": "string"}"#)],
            new: jsonObject(#""id": {"type": "string"}, "extra": {}"#),
            source: "Confluent JSON: PROPERTY_WITH_EMPTY_SCHEMA_ADDED… and PROPERTY_REMOVED_FROM_OPEN… both compatible"),
        .init(
            "an optional property added to a closed model", .json, .full,
            earlier: [jsonObject(#""id": {"type": "string"}"#, closed: true)],
            new: jsonObject(#""id": {"type": "string"}, "email": {"type": "string"}"#, closed: true),
            rules: ["PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"],
            source: "Confluent JSON: forward half fails with PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"),
        .init(
            "null added to the type", .json, .full, earlier: [#"{"type": "string"}"#],
            new: #"{"type": ["string", "null"]}"#, rules: ["TYPE_NARROWED"],
            source: "Confluent JSON: forward half fails with TYPE_NARROWED"),
        .init(
            "a typed property added to an open model", .json, .full,
            earlier: [jsonObject(#""id": {"type": "string"}"#)],
            new: jsonObject(#""id": {"type": "string"}, "email": {"type": "string"}"#),
            rules: ["PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"],
            source: "Confluent JSON: backward half fails with PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"),
        .init(
            "only annotations changed", .json, .full, earlier: [#"{"type": "string", "title": "Name"}"#],
            new: #"{"type": "string", "title": "Full name", "description": "as printed"}"#,
            source: "Confluent JSON: title/description changes are compatible"),
        // FULL_TRANSITIVE
        .init(
            "maxLength above an older version's", .json, .fullTransitive,
            earlier: [#"{"type": "string", "maxLength": 10}"#, #"{"type": "string", "maxLength": 20}"#],
            new: #"{"type": "string", "maxLength": 20, "title": "t"}"#, rules: ["MAX_LENGTH_DECREASED"],
            source: "Confluent JSON: version 1 reading new sees MAX_LENGTH_DECREASED"),
        .init(
            "null dropped that an older version allowed", .json, .fullTransitive,
            earlier: [#"{"type": ["string", "null"]}"#, #"{"type": "string"}"#],
            new: #"{"type": "string", "title": "t"}"#, rules: ["TYPE_NARROWED"],
            source: "Confluent JSON: new reading version 1 sees TYPE_NARROWED"),
        .init(
            "empty-schema properties only ever added to an open model", .json, .fullTransitive,
            earlier: [jsonObject(#""id": {"type": "string"}"#), jsonObject(#""id": {"type": "string"}, "x": {}"#)],
            new: jsonObject(#""id": {"type": "string"}, "x": {}, "y": {}"#),
            source: "Confluent JSON: PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL both ways"),
    ]

    static let avro: [CompatibilityTableCase] = [
        // NONE
        .init(
            "a field type change is accepted", .avro, .none, earlier: [avroRecord(#"{"name": "n", "type": "int"}"#)],
            new: avroRecord(#"{"name": "n", "type": "string"}"#), source: "Confluent: NONE runs no check"),
        .init(
            "a record rename is accepted", .avro, .none, earlier: [avroRecord(#"{"name": "id", "type": "string"}"#)],
            new: avroRecord(#"{"name": "id", "type": "string"}"#, name: "Purchase"),
            source: "Confluent: NONE runs no check"),
        // BACKWARD: the new schema (reader) resolves data of the latest (writer).
        .init(
            "a field with a default added", .avro, .backward, earlier: [avroRecord(#"{"name": "id", "type": "string"}"#)],
            new: avroRecord(#"{"name": "id", "type": "string"}, {"name": "qty", "type": "int", "default": 1}"#),
            source: "Avro spec: a reader field absent from the writer takes its default"),
        .init(
            "a field without a default added", .avro, .backward,
            earlier: [avroRecord(#"{"name": "id", "type": "string"}"#)],
            new: avroRecord(#"{"name": "id", "type": "string"}, {"name": "qty", "type": "int"}"#),
            rules: ["READER_FIELD_MISSING_DEFAULT_VALUE"], path: "field qty",
            source: "Avro spec: a reader field absent from the writer without a default is an error"),
        .init(
            "a field removed", .avro, .backward,
            earlier: [avroRecord(#"{"name": "id", "type": "string"}, {"name": "note", "type": "string"}"#)],
            new: avroRecord(#"{"name": "id", "type": "string"}"#),
            source: "Avro spec: a writer field absent from the reader is ignored"),
        .init(
            "int promoted to long", .avro, .backward, earlier: [avroRecord(#"{"name": "n", "type": "int"}"#)],
            new: avroRecord(#"{"name": "n", "type": "long"}"#), source: "Avro spec: int promotes to long"),
        .init(
            "long narrowed to int", .avro, .backward, earlier: [avroRecord(#"{"name": "n", "type": "long"}"#)],
            new: avroRecord(#"{"name": "n", "type": "int"}"#), rules: ["TYPE_MISMATCH"], path: "field n",
            source: "Avro spec: long does not promote to int"),
        .init(
            "float promoted to double", .avro, .backward, earlier: [avroRecord(#"{"name": "x", "type": "float"}"#)],
            new: avroRecord(#"{"name": "x", "type": "double"}"#), source: "Avro spec: float promotes to double"),
        .init(
            "string read as bytes", .avro, .backward, earlier: [avroRecord(#"{"name": "s", "type": "string"}"#)],
            new: avroRecord(#"{"name": "s", "type": "bytes"}"#), source: "Avro spec: string promotes to bytes"),
        .init(
            "an enum symbol removed, no reader default", .avro, .backward, earlier: [avroEnum(["OPEN", "PAID", "SHIPPED"])],
            new: avroEnum(["OPEN", "PAID"]), rules: ["MISSING_ENUM_SYMBOLS"], path: "Status",
            source: "Avro spec: a writer symbol missing from a reader enum without default is an error"),
        .init(
            "an enum symbol removed, reader has a default", .avro, .backward,
            earlier: [avroEnum(["UNKNOWN", "OPEN", "PAID", "SHIPPED"])],
            new: avroEnum(["UNKNOWN", "OPEN", "PAID"], defaultSymbol: "UNKNOWN"),
            source: "Avro spec: an unknown writer symbol resolves to the reader enum's default"),
        .init(
            "a record renamed without an alias", .avro, .backward,
            earlier: [avroRecord(#"{"name": "id", "type": "string"}"#)],
            new: avroRecord(#"{"name": "id", "type": "string"}"#, name: "Purchase"), rules: ["NAME_MISMATCH"],
            source: "Avro spec: records match by name (or reader alias)"),
        .init(
            "a record renamed with an alias", .avro, .backward,
            earlier: [avroRecord(#"{"name": "id", "type": "string"}"#)],
            new: avroRecord(#"{"name": "id", "type": "string"}"#, name: "Purchase", extra: #", "aliases": ["shop.Order"]"#),
            source: "Avro spec: a reader alias matches the writer's name"),
        .init(
            "a fixed resized", .avro, .backward,
            earlier: [avroRecord(#"{"name": "h", "type": {"type": "fixed", "name": "Hash", "size": 16}}"#)],
            new: avroRecord(#"{"name": "h", "type": {"type": "fixed", "name": "Hash", "size": 8}}"#),
            rules: ["FIXED_SIZE_MISMATCH"], path: "Hash", source: "Avro spec: fixed types match only with the same size"),
        .init(
            "a field made nullable", .avro, .backward, earlier: [avroRecord(#"{"name": "s", "type": "string"}"#)],
            new: avroRecord(#"{"name": "s", "type": ["null", "string"], "default": null}"#),
            source: "Avro spec: a reader union takes the first branch matching the writer"),
        .init(
            "a nullable field made non-null", .avro, .backward,
            earlier: [avroRecord(#"{"name": "s", "type": ["null", "string"], "default": null}"#)],
            new: avroRecord(#"{"name": "s", "type": "string"}"#), rules: ["TYPE_MISMATCH"], path: "field s",
            source: "Avro spec: every writer union branch must resolve to a non-union reader (null cannot)"),
        .init(
            "a union branch removed", .avro, .backward,
            earlier: [avroRecord(#"{"name": "v", "type": ["null", "string", "int"]}"#)],
            new: avroRecord(#"{"name": "v", "type": ["null", "string"]}"#), rules: ["MISSING_UNION_BRANCH"],
            path: "field v", source: "Avro spec: a writer branch matching no reader branch is an error"),
        .init(
            "a field renamed with a reader alias", .avro, .backward,
            earlier: [avroRecord(#"{"name": "mail", "type": "string"}"#)],
            new: avroRecord(#"{"name": "email", "type": "string", "aliases": ["mail"]}"#),
            source: "Avro spec: reader field aliases match writer field names"),
        .init(
            "array items int promoted to long", .avro, .backward,
            earlier: [avroRecord(#"{"name": "a", "type": {"type": "array", "items": "int"}}"#)],
            new: avroRecord(#"{"name": "a", "type": {"type": "array", "items": "long"}}"#),
            source: "Avro spec: arrays resolve item types recursively; int promotes to long"),
        .init(
            "map values long narrowed to int", .avro, .backward,
            earlier: [avroRecord(#"{"name": "m", "type": {"type": "map", "values": "long"}}"#)],
            new: avroRecord(#"{"name": "m", "type": {"type": "map", "values": "int"}}"#), rules: ["TYPE_MISMATCH"],
            path: "map values", source: "Avro spec: maps resolve value types recursively; long does not promote to int"),
        // BACKWARD_TRANSITIVE
        .init(
            "a field without default absent from the oldest version", .avro, .backwardTransitive,
            earlier: [
                avroRecord(#"{"name": "id", "type": "string"}"#),
                avroRecord(#"{"name": "id", "type": "string"}, {"name": "qty", "type": "int"}"#),
            ],
            new: avroRecord(#"{"name": "id", "type": "string"}, {"name": "qty", "type": "long"}"#),
            rules: ["READER_FIELD_MISSING_DEFAULT_VALUE"], path: "field qty",
            source: "Avro spec: missing default against version 1 (version 2 resolves by int→long)"),
        .init(
            "a long the oldest version wrote read as int", .avro, .backwardTransitive,
            earlier: [avroRecord(#"{"name": "n", "type": "long"}"#), avroRecord(#"{"name": "n", "type": "int"}"#)],
            new: avroRecord(#"{"name": "n", "type": "int"}, {"name": "note", "type": "string", "default": ""}"#),
            rules: ["TYPE_MISMATCH"], path: "field n", source: "Avro spec: long does not promote to int (version 1)"),
        .init(
            "defaults and promotions all the way", .avro, .backwardTransitive,
            earlier: [
                avroRecord(#"{"name": "id", "type": "string"}"#),
                avroRecord(#"{"name": "id", "type": "string"}, {"name": "qty", "type": "int", "default": 1}"#),
            ],
            new: avroRecord(#"{"name": "id", "type": "string"}, {"name": "qty", "type": "long", "default": 1}"#),
            source: "Avro spec: default fills version 1; int→long reads version 2"),
        .init(
            "an enum lacking the oldest version's symbol", .avro, .backwardTransitive,
            earlier: [avroEnum(["OPEN", "PAID", "SHIPPED"]), avroEnum(["OPEN", "PAID"])],
            new: avroEnum(["OPEN", "PAID", "CANCELLED"]), rules: ["MISSING_ENUM_SYMBOLS"],
            source: "Avro spec: SHIPPED (version 1) is unknown to the reader, which has no default"),
        // FORWARD: the latest (reader) resolves data of the new schema (writer).
        .init(
            "a field without a default added", .avro, .forward,
            earlier: [avroRecord(#"{"name": "id", "type": "string"}"#)],
            new: avroRecord(#"{"name": "id", "type": "string"}, {"name": "qty", "type": "int"}"#),
            source: "Avro spec: the old reader ignores the writer field it lacks"),
        .init(
            "a field without a default removed", .avro, .forward,
            earlier: [avroRecord(#"{"name": "id", "type": "string"}, {"name": "qty", "type": "int"}"#)],
            new: avroRecord(#"{"name": "id", "type": "string"}"#), rules: ["READER_FIELD_MISSING_DEFAULT_VALUE"],
            path: "field qty", source: "Avro spec: the old reader's qty has no default and the writer lacks it"),
        .init(
            "a field with a default removed", .avro, .forward,
            earlier: [avroRecord(#"{"name": "id", "type": "string"}, {"name": "qty", "type": "int", "default": 0}"#)],
            new: avroRecord(#"{"name": "id", "type": "string"}"#),
            source: "Avro spec: the old reader fills qty from its default"),
        .init(
            "int widened to long", .avro, .forward, earlier: [avroRecord(#"{"name": "n", "type": "int"}"#)],
            new: avroRecord(#"{"name": "n", "type": "long"}"#), rules: ["TYPE_MISMATCH"], path: "field n",
            source: "Avro spec: an int reader cannot read long"),
        .init(
            "long narrowed to int", .avro, .forward, earlier: [avroRecord(#"{"name": "n", "type": "long"}"#)],
            new: avroRecord(#"{"name": "n", "type": "int"}"#), source: "Avro spec: the old long reader promotes int"),
        .init(
            "an enum symbol added, old reader without default", .avro, .forward, earlier: [avroEnum(["OPEN", "PAID"])],
            new: avroEnum(["OPEN", "PAID", "SHIPPED"]), rules: ["MISSING_ENUM_SYMBOLS"],
            source: "Avro spec: the old reader lacks SHIPPED and has no default"),
        .init(
            "a field made nullable", .avro, .forward, earlier: [avroRecord(#"{"name": "s", "type": "string"}"#)],
            new: avroRecord(#"{"name": "s", "type": ["null", "string"], "default": null}"#), rules: ["TYPE_MISMATCH"],
            path: "field s", source: "Avro spec: the old string reader cannot read the writer's null branch"),
        // FORWARD_TRANSITIVE
        .init(
            "a field only the latest has a default for", .avro, .forwardTransitive,
            earlier: [
                avroRecord(#"{"name": "id", "type": "string"}, {"name": "qty", "type": "int"}"#),
                avroRecord(#"{"name": "id", "type": "string"}, {"name": "qty", "type": "int", "default": 0}"#),
            ],
            new: avroRecord(#"{"name": "id", "type": "string"}"#), rules: ["READER_FIELD_MISSING_DEFAULT_VALUE"],
            path: "field qty", source: "Avro spec: version 1 reads new: qty without default"),
        .init(
            "a long the oldest version reads as int", .avro, .forwardTransitive,
            earlier: [avroRecord(#"{"name": "n", "type": "int"}"#), avroRecord(#"{"name": "n", "type": "long"}"#)],
            new: avroRecord(#"{"name": "n", "type": "long"}, {"name": "extra", "type": "string"}"#),
            rules: ["TYPE_MISMATCH"], path: "field n", source: "Avro spec: version 1's int reader cannot read long"),
        .init(
            "narrowing promotions and defaults", .avro, .forwardTransitive,
            earlier: [
                avroRecord(#"{"name": "n", "type": "double"}"#),
                avroRecord(#"{"name": "n", "type": "double"}, {"name": "x", "type": "int", "default": 0}"#),
            ],
            new: avroRecord(
                #"{"name": "n", "type": "float"}, {"name": "x", "type": "int", "default": 0}, {"name": "y", "type": "string"}"#),
            source: "Avro spec: double readers promote float; extra writer fields are ignored"),
        // FULL
        .init(
            "a field with a default added", .avro, .full, earlier: [avroRecord(#"{"name": "id", "type": "string"}"#)],
            new: avroRecord(#"{"name": "id", "type": "string"}, {"name": "qty", "type": "int", "default": 1}"#),
            source: "Avro spec: default fills it one way, the old reader ignores it the other"),
        .init(
            "a field without a default added", .avro, .full, earlier: [avroRecord(#"{"name": "id", "type": "string"}"#)],
            new: avroRecord(#"{"name": "id", "type": "string"}, {"name": "qty", "type": "int"}"#),
            rules: ["READER_FIELD_MISSING_DEFAULT_VALUE"], path: "field qty",
            source: "Avro spec: backward half has no default"),
        .init(
            "a field with a default removed", .avro, .full,
            earlier: [avroRecord(#"{"name": "id", "type": "string"}, {"name": "qty", "type": "int", "default": 0}"#)],
            new: avroRecord(#"{"name": "id", "type": "string"}"#),
            source: "Avro spec: ignored one way, default the other"),
        .init(
            "a field without a default removed", .avro, .full,
            earlier: [avroRecord(#"{"name": "id", "type": "string"}, {"name": "qty", "type": "int"}"#)],
            new: avroRecord(#"{"name": "id", "type": "string"}"#), rules: ["READER_FIELD_MISSING_DEFAULT_VALUE"],
            source: "Avro spec: forward half has no default"),
        .init(
            "int widened to long", .avro, .full, earlier: [avroRecord(#"{"name": "n", "type": "int"}"#)],
            new: avroRecord(#"{"name": "n", "type": "long"}"#), rules: ["TYPE_MISMATCH"],
            source: "Avro spec: forward half, an int reader cannot read long"),
        .init(
            "an enum symbol added, both with defaults", .avro, .full,
            earlier: [avroEnum(["UNKNOWN", "OPEN"], defaultSymbol: "UNKNOWN")],
            new: avroEnum(["UNKNOWN", "OPEN", "PAID"], defaultSymbol: "UNKNOWN"),
            source: "Avro spec: the enum default resolves unknown symbols"),
        // FULL_TRANSITIVE
        .init(
            "a long the oldest version reads as int", .avro, .fullTransitive,
            earlier: [avroRecord(#"{"name": "n", "type": "int"}"#), avroRecord(#"{"name": "n", "type": "long"}"#)],
            new: avroRecord(#"{"name": "n", "type": "long"}, {"name": "d", "type": "string", "default": ""}"#),
            rules: ["TYPE_MISMATCH"], source: "Avro spec: version 1's int reader cannot read long"),
        .init(
            "fields with defaults only ever added", .avro, .fullTransitive,
            earlier: [
                avroRecord(#"{"name": "id", "type": "string"}"#),
                avroRecord(#"{"name": "id", "type": "string"}, {"name": "a", "type": "int", "default": 0}"#),
            ],
            new: avroRecord(
                #"{"name": "id", "type": "string"}, {"name": "a", "type": "int", "default": 0}, {"name": "b", "type": "string", "default": ""}"#),
            source: "Avro spec: defaults one way, ignored fields the other"),
        .init(
            "a field without default the oldest version needs", .avro, .fullTransitive,
            earlier: [
                avroRecord(#"{"name": "id", "type": "string"}, {"name": "legacy", "type": "string"}"#),
                avroRecord(#"{"name": "id", "type": "string"}"#),
            ],
            new: avroRecord(#"{"name": "id", "type": "string"}, {"name": "note", "type": "string", "default": ""}"#),
            rules: ["READER_FIELD_MISSING_DEFAULT_VALUE"], path: "field legacy",
            source: "Avro spec: version 1 reads new: legacy has no default"),
    ]

    static let protobuf: [CompatibilityTableCase] = [
        // NONE
        .init(
            "a scalar kind change is accepted", .protobuf, .none, earlier: [proto("int32 n = 1;")],
            new: proto("string n = 1;"), source: "Confluent: NONE runs no check"),
        .init(
            "a package change is accepted", .protobuf, .none, earlier: [proto("int32 n = 1;")],
            new: proto("int32 n = 1;", package: "store"), source: "Confluent: NONE runs no check"),
        // BACKWARD (Confluent: compare(original = latest, update = new))
        .init(
            "a field added", .protobuf, .backward, earlier: [proto("string id = 1;")],
            new: proto("string id = 1;\nint32 qty = 2;"), source: "Confluent PB: FIELD_ADDED is compatible"),
        .init(
            "a field removed", .protobuf, .backward, earlier: [proto("string id = 1;\nstring email = 5;")],
            new: proto("string id = 1;"), source: "Confluent PB: FIELD_REMOVED is compatible"),
        .init(
            "a field renamed", .protobuf, .backward, earlier: [proto("string mail = 1;")],
            new: proto("string email = 1;"), source: "Confluent PB: FIELD_NAME_CHANGED is compatible"),
        .init(
            "int32 became int64", .protobuf, .backward, earlier: [proto("int32 n = 1;")], new: proto("int64 n = 1;"),
            source: "Confluent PB: {int32, int64, uint32, uint64, bool, enum} is one scalar group"),
        .init(
            "int32 became string", .protobuf, .backward, earlier: [proto("string id = 1;\nint32 n = 2;")],
            new: proto("string id = 1;\nstring n = 2;"), rules: ["FIELD_SCALAR_KIND_CHANGED"], path: "field 2",
            source: "Confluent PB: FIELD_SCALAR_KIND_CHANGED"),
        .init(
            "a string became a message", .protobuf, .backward,
            earlier: [proto("string item = 1;", extra: "message Item { string sku = 1; }")],
            new: proto("Item item = 1;", extra: "message Item { string sku = 1; }"), rules: ["FIELD_KIND_CHANGED"],
            path: "field 1", source: "Confluent PB: FIELD_KIND_CHANGED (scalar ↔ message)"),
        .init(
            "the package changed", .protobuf, .backward, earlier: [proto("int32 n = 1;")],
            new: proto("int32 n = 1;", package: "store"), rules: ["PACKAGE_CHANGED"],
            source: "Confluent PB: PACKAGE_CHANGED"),
        .init(
            "a message removed", .protobuf, .backward,
            earlier: [proto("int32 n = 1;", extra: "message Item { string sku = 1; }")], new: proto("int32 n = 1;"),
            rules: ["MESSAGE_REMOVED"], path: "Item", source: "Confluent PB: MESSAGE_REMOVED"),
        .init(
            "string became bytes", .protobuf, .backward, earlier: [proto("string s = 1;")], new: proto("bytes s = 1;"),
            source: "Confluent PB: {string, bytes} is one scalar group"),
        .init(
            "sint32 became int32", .protobuf, .backward, earlier: [proto("sint32 n = 1;")], new: proto("int32 n = 1;"),
            rules: ["FIELD_SCALAR_KIND_CHANGED"], source: "Confluent PB: zigzag and varint are different groups"),
        .init(
            "a numeric field made repeated", .protobuf, .backward, earlier: [proto("int32 n = 1;")],
            new: proto("repeated int32 n = 1;"), rules: ["FIELD_NUMERIC_LABEL_CHANGED"],
            source: "Confluent PB: FIELD_NUMERIC_LABEL_CHANGED"),
        .init(
            "two existing fields moved into a new oneof", .protobuf, .backward,
            earlier: [proto("string a = 1;\nstring b = 2;")], new: proto("oneof choice {\nstring a = 1;\nstring b = 2;\n}"),
            rules: ["MULTIPLE_FIELDS_MOVED_TO_ONEOF"], source: "Confluent PB: MULTIPLE_FIELDS_MOVED_TO_ONEOF"),
        .init(
            "one existing field moved into a new oneof", .protobuf, .backward,
            earlier: [proto("string a = 1;\nstring b = 2;")], new: proto("string b = 2;\noneof choice {\nstring a = 1;\n}"),
            source: "Confluent PB: ONEOF_ADDED with a single existing field is compatible"),
        .init(
            "an existing field moved into an existing oneof", .protobuf, .backward,
            earlier: [proto("string b = 2;\noneof choice {\nstring a = 1;\n}")],
            new: proto("oneof choice {\nstring a = 1;\nstring b = 2;\n}"), rules: ["FIELD_MOVED_TO_EXISTING_ONEOF"],
            path: "field 2", source: "Confluent PB: FIELD_MOVED_TO_EXISTING_ONEOF"),
        .init(
            "a field removed from a oneof", .protobuf, .backward,
            earlier: [proto("oneof choice {\nstring a = 1;\nstring b = 2;\n}")],
            new: proto("oneof choice {\nstring a = 1;\n}"), rules: ["ONEOF_FIELD_REMOVED"], path: "field 2",
            source: "Confluent PB: ONEOF_FIELD_REMOVED"),
        .init(
            "a required field added", .protobuf, .backward, earlier: [proto("optional string id = 1;", syntax: "proto2")],
            new: proto("optional string id = 1;\nrequired string sku = 2;", syntax: "proto2"),
            rules: ["REQUIRED_FIELD_ADDED"], path: "field 2", source: "Confluent PB: REQUIRED_FIELD_ADDED"),
        .init(
            "an enum value added", .protobuf, .backward, earlier: [proto("Status s = 1;", extra: statusEnums)],
            new: proto("Status s = 1;", extra: "enum Status { STATUS_UNKNOWN = 0; OPEN = 1; PAID = 2; }\n"
                + "enum Kind { KIND_UNKNOWN = 0; RETAIL = 1; }"),
            source: "Confluent PB: ENUM_CONST_ADDED is compatible"),
        .init(
            "an enum field points at another enum", .protobuf, .backward,
            earlier: [proto("Status s = 1;", extra: statusEnums)], new: proto("Kind s = 1;", extra: statusEnums),
            rules: ["FIELD_NAMED_TYPE_CHANGED"], source: "Confluent PB: FIELD_NAMED_TYPE_CHANGED"),
        .init(
            "a message field points at another message", .protobuf, .backward,
            earlier: [proto("Item x = 1;", extra: "message Item { string sku = 1; }\nmessage Note { string text = 1; }")],
            new: proto("Note x = 1;", extra: "message Item { string sku = 1; }\nmessage Note { string text = 1; }"),
            rules: ["FIELD_NAMED_TYPE_CHANGED"], path: "field 1", source: "Confluent PB: FIELD_NAMED_TYPE_CHANGED"),
        // BACKWARD_TRANSITIVE
        .init(
            "a deleted number reused with another type", .protobuf, .backwardTransitive,
            earlier: [proto("string name = 1;\nstring email = 5;"), proto("string name = 1;")],
            new: proto("string name = 1;\nint64 phone = 5;"),
            rules: ["FIELD_SCALAR_KIND_CHANGED", "FIELD_NUMBER_NOT_REUSED"], path: "field 5",
            source: "Confluent PB: FIELD_SCALAR_KIND_CHANGED against version 1; ours adds FIELD_NUMBER_NOT_REUSED"),
        .init(
            "a deleted number reused with the same type (Confluent's gap)", .protobuf, .backwardTransitive,
            earlier: [proto("string name = 1;\nstring email = 5;"), proto("string name = 1;")],
            new: proto("string name = 1;\nstring phone = 5;"), rules: ["FIELD_NUMBER_NOT_REUSED"], path: "field 5",
            source: "Confluent accepts (only FIELD_NAME_CHANGED); buf forbids reuse "
                + "(FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED); ours: FIELD_NUMBER_NOT_REUSED"),
        .init(
            "a scalar the oldest version wrote as double", .protobuf, .backwardTransitive,
            earlier: [proto("double a = 1;"), proto("int64 a = 1;")], new: proto("int32 a = 1;\nstring b = 2;"),
            rules: ["FIELD_SCALAR_KIND_CHANGED"], path: "field 1",
            source: "Confluent PB: double → int32 is FIELD_SCALAR_KIND_CHANGED (version 1)"),
        .init(
            "fields only ever added", .protobuf, .backwardTransitive,
            earlier: [proto("string a = 1;"), proto("string a = 1;\nstring b = 2;")],
            new: proto("string a = 1;\nstring b = 2;\nstring c = 3;"), source: "Confluent PB: FIELD_ADDED is compatible"),
        // FORWARD (Confluent: compare(original = new, update = latest))
        .init(
            "a field added", .protobuf, .forward, earlier: [proto("string id = 1;")],
            new: proto("string id = 1;\nint32 qty = 2;"), source: "Confluent PB: FIELD_REMOVED (old reader) is compatible"),
        .init(
            "a message added", .protobuf, .forward, earlier: [proto("int32 n = 1;")],
            new: proto("int32 n = 1;", extra: "message Item { string sku = 1; }"), rules: ["MESSAGE_REMOVED"],
            path: "Item", source: "Confluent PB: the old reader lacks a message (MESSAGE_REMOVED; Confluent docs: "
                + "adding message types is not forward compatible)"),
        .init(
            "int32 became double", .protobuf, .forward, earlier: [proto("int32 n = 1;")], new: proto("double n = 1;"),
            rules: ["FIELD_SCALAR_KIND_CHANGED"], source: "Confluent PB: FIELD_SCALAR_KIND_CHANGED"),
        .init(
            "a required field added", .protobuf, .forward, earlier: [proto("optional string id = 1;", syntax: "proto2")],
            new: proto("optional string id = 1;\nrequired string sku = 2;", syntax: "proto2"),
            rules: ["REQUIRED_FIELD_REMOVED"], path: "field 2",
            source: "Confluent PB: the old reader lacks a field the writer requires (REQUIRED_FIELD_REMOVED)"),
        .init(
            "a field removed", .protobuf, .forward, earlier: [proto("string id = 1;\nstring email = 5;")],
            new: proto("string id = 1;"), source: "Confluent PB: FIELD_ADDED (old reader) is compatible"),
        .init(
            "two existing fields moved into a new oneof", .protobuf, .forward,
            earlier: [proto("string a = 1;\nstring b = 2;")], new: proto("oneof choice {\nstring a = 1;\nstring b = 2;\n}"),
            source: "Confluent PB: the old reader sees ONEOF_REMOVED, compatible"),
        .init(
            "the package changed", .protobuf, .forward, earlier: [proto("int32 n = 1;")],
            new: proto("int32 n = 1;", package: "store"), rules: ["PACKAGE_CHANGED"],
            source: "Confluent PB: PACKAGE_CHANGED"),
        // FORWARD_TRANSITIVE
        .init(
            "a float the oldest version reads", .protobuf, .forwardTransitive,
            earlier: [proto("float a = 1;"), proto("int32 a = 1;")], new: proto("int64 a = 1;\nstring b = 2;"),
            rules: ["FIELD_SCALAR_KIND_CHANGED"], path: "field 1",
            source: "Confluent PB: version 1 (float) reads int64: FIELD_SCALAR_KIND_CHANGED"),
        .init(
            "a message the oldest version lacks", .protobuf, .forwardTransitive,
            earlier: [proto("int32 n = 1;"), proto("int32 n = 1;", extra: "message Extra { string x = 1; }")],
            new: proto("int32 n = 1;\nstring t = 2;", extra: "message Extra { string x = 1; }"),
            rules: ["MESSAGE_REMOVED"], path: "Extra", source: "Confluent PB: version 1 lacks Extra (MESSAGE_REMOVED)"),
        .init(
            "fields only ever added", .protobuf, .forwardTransitive,
            earlier: [proto("string s = 1;\nint32 n = 2;"), proto("string s = 1;\nint32 n = 2;\nstring extra = 3;")],
            new: proto("string s = 1;\nint32 n = 2;\nstring extra = 3;\nbool flag = 4;"),
            source: "Confluent PB: old readers ignore new fields"),
        // FULL
        .init(
            "a field added", .protobuf, .full, earlier: [proto("string id = 1;")],
            new: proto("string id = 1;\nint32 qty = 2;"), source: "Confluent PB: FIELD_ADDED / FIELD_REMOVED compatible"),
        .init(
            "int32 became uint64", .protobuf, .full, earlier: [proto("int32 n = 1;")], new: proto("uint64 n = 1;"),
            source: "Confluent PB: same scalar group both ways"),
        .init(
            "int32 became float", .protobuf, .full, earlier: [proto("int32 n = 1;")], new: proto("float n = 1;"),
            rules: ["FIELD_SCALAR_KIND_CHANGED"], source: "Confluent PB: FIELD_SCALAR_KIND_CHANGED"),
        .init(
            "a message added", .protobuf, .full, earlier: [proto("int32 n = 1;")],
            new: proto("int32 n = 1;", extra: "message Item { string sku = 1; }"), rules: ["MESSAGE_REMOVED"],
            source: "Confluent PB: forward half, MESSAGE_REMOVED"),
        .init(
            "a field renamed", .protobuf, .full, earlier: [proto("string mail = 1;")], new: proto("string email = 1;"),
            source: "Confluent PB: FIELD_NAME_CHANGED is compatible"),
        .init(
            "an optional field made required", .protobuf, .full,
            earlier: [proto("optional string id = 1;", syntax: "proto2")],
            new: proto("required string id = 1;", syntax: "proto2"),
            rules: ["REQUIRED_FIELD_ADDED", "REQUIRED_FIELD_REMOVED"], path: "field 1",
            source: "Confluent PB: REQUIRED_FIELD_ADDED backward, REQUIRED_FIELD_REMOVED forward"),
        .init(
            "a deleted number reused, though the level checks only the latest", .protobuf, .backward,
            earlier: [proto("string name = 1;\nstring email = 5;"), proto("string name = 1;")],
            new: proto("string name = 1;\nstring phone = 5;"), rules: ["FIELD_NUMBER_NOT_REUSED"],
            source: "Confluent PB accepts (FIELD_ADDED against the latest); buf forbids reuse; ours checks the whole "
                + "history for number reuse at every level but NONE (SchemaChecker.historyProblems)"),
        // FULL_TRANSITIVE
        .init(
            "string and bytes interchanged", .protobuf, .fullTransitive,
            earlier: [proto("bytes data = 1;"), proto("string data = 1;")], new: proto("string data = 1;\nint32 v = 2;"),
            source: "Confluent PB: {string, bytes} is one scalar group"),
        .init(
            "a zigzag the oldest version used", .protobuf, .fullTransitive,
            earlier: [proto("sint64 n = 1;"), proto("int64 n = 1;")], new: proto("int64 n = 1;\nstring t = 2;"),
            rules: ["FIELD_SCALAR_KIND_CHANGED"], path: "field 1",
            source: "Confluent PB: sint64 ↔ int64 is FIELD_SCALAR_KIND_CHANGED (version 1)"),
        .init(
            "a deleted number reused with the same type", .protobuf, .fullTransitive,
            earlier: [proto("string name = 1;\nstring email = 5;"), proto("string name = 1;")],
            new: proto("string name = 1;\nstring phone = 5;"), rules: ["FIELD_NUMBER_NOT_REUSED"], path: "field 5",
            source: "Confluent accepts (FIELD_NAME_CHANGED); ours: FIELD_NUMBER_NOT_REUSED"),
        // buf WIRE / WIRE_JSON rule sets: the direction does not matter, the level picks the versions.
        .init(
            "a field deleted without reserving its number", .protobuf, .none,
            earlier: [proto("string name = 1;\nstring email = 5;")], new: proto("string name = 1;"), protobuf: .wire,
            source: "buf: NONE runs no check"),
        .init(
            "a field deleted without reserving its number (Confluent accepts)", .protobuf, .backward,
            earlier: [proto("string name = 1;\nstring email = 5;")], new: proto("string name = 1;"),
            rules: ["FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED"], path: "field 5", protobuf: .wire,
            source: "buf WIRE: FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED (how buf forbids number reuse)"),
        .init(
            "a field deleted with its number reserved", .protobuf, .backward,
            earlier: [proto("string name = 1;\nstring email = 5;")], new: proto("string name = 1;\nreserved 5;"),
            protobuf: .wire, source: "buf WIRE: deleting a reserved number is allowed"),
        .init(
            "a field deleted with its number but not its name reserved", .protobuf, .backward,
            earlier: [proto("string name = 1;\nstring email = 5;")], new: proto("string name = 1;\nreserved 5;"),
            rules: ["FIELD_NO_DELETE_UNLESS_NAME_RESERVED"], path: "field 5", protobuf: .wireJSON,
            source: "buf WIRE_JSON: FIELD_NO_DELETE_UNLESS_NAME_RESERVED"),
        .init(
            "a field deleted without reserving anything", .protobuf, .forward,
            earlier: [proto("string name = 1;\nstring email = 5;")], new: proto("string name = 1;"),
            rules: ["FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", "FIELD_NO_DELETE_UNLESS_NAME_RESERVED"],
            protobuf: .wireJSON, source: "buf WIRE_JSON: both NO_DELETE_UNLESS rules"),
        .init(
            "a deleted number reused across the history", .protobuf, .backwardTransitive,
            earlier: [proto("string name = 1;\nstring email = 5;"), proto("string name = 1;")],
            new: proto("string name = 1;\nstring phone = 5;"), rules: ["FIELD_NUMBER_NOT_REUSED"], path: "field 5",
            protobuf: .wire, source: "buf WIRE forbids reuse; ours reports FIELD_NUMBER_NOT_REUSED across the history"),
        .init(
            "a reserved number reused", .protobuf, .backward,
            earlier: [proto("string name = 1;\nstring email = 5;"), proto("string name = 1;\nreserved 5;")],
            new: proto("string name = 1;\nstring phone = 5;"),
            rules: ["FIELD_NUMBER_NOT_REUSED", "RESERVED_MESSAGE_NO_DELETE"], path: "field 5", protobuf: .wire,
            source: "buf WIRE: RESERVED_MESSAGE_NO_DELETE; a reserved number must not be used"),
        .init(
            "int32 became string", .protobuf, .forward, earlier: [proto("int32 n = 1;")], new: proto("string n = 1;"),
            rules: ["FIELD_WIRE_COMPATIBLE_TYPE"], path: "field 1", protobuf: .wire,
            source: "buf WIRE: FIELD_WIRE_COMPATIBLE_TYPE (varint vs length-delimited)"),
        .init(
            "int32 became bool", .protobuf, .full, earlier: [proto("int32 n = 1;")], new: proto("bool n = 1;"),
            protobuf: .wire, source: "buf WIRE: int32 and bool share the varint wire type"),
        .init(
            "int32 became bool", .protobuf, .full, earlier: [proto("int32 n = 1;")], new: proto("bool n = 1;"),
            rules: ["FIELD_WIRE_JSON_COMPATIBLE_TYPE"], protobuf: .wireJSON,
            source: "buf WIRE_JSON: FIELD_WIRE_JSON_COMPATIBLE_TYPE (JSON writes true, not 1)"),
        .init(
            "a field renamed", .protobuf, .backward, earlier: [proto("string mail = 1;")], new: proto("string email = 1;"),
            protobuf: .wire, source: "buf WIRE: names are not on the wire"),
        .init(
            "a field renamed", .protobuf, .backward, earlier: [proto("string mail = 1;")], new: proto("string email = 1;"),
            rules: ["FIELD_SAME_NAME", "FIELD_SAME_JSON_NAME"], protobuf: .wireJSON,
            source: "buf WIRE_JSON: FIELD_SAME_NAME, FIELD_SAME_JSON_NAME"),
        .init(
            "a packed repeated field made singular", .protobuf, .backward, earlier: [proto("repeated int32 n = 1;")],
            new: proto("int32 n = 1;"), rules: ["FIELD_WIRE_COMPATIBLE_CARDINALITY"], protobuf: .wire,
            source: "buf WIRE: FIELD_WIRE_COMPATIBLE_CARDINALITY (proto3 packs repeated scalars)"),
        .init(
            "a field moved into a oneof", .protobuf, .backward, earlier: [proto("string a = 1;\nstring b = 2;")],
            new: proto("string b = 2;\noneof choice {\nstring a = 1;\n}"), rules: ["FIELD_SAME_ONEOF"], path: "field 1",
            protobuf: .wire, source: "buf WIRE: FIELD_SAME_ONEOF"),
        .init(
            "an enum value deleted", .protobuf, .full,
            earlier: [
                proto("Status s = 1;", extra: "enum Status { STATUS_UNKNOWN = 0; OPEN = 1; PAID = 2; SHIPPED = 3; }")
            ],
            new: proto("Status s = 1;", extra: "enum Status { STATUS_UNKNOWN = 0; OPEN = 1; SHIPPED = 3; }"),
            rules: ["ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED"], path: "value 2", protobuf: .wire,
            source: "buf WIRE: ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED"),
        .init(
            "a message deleted", .protobuf, .backward,
            earlier: [proto("int32 n = 1;", extra: "message Item { string sku = 1; }")], new: proto("int32 n = 1;"),
            rules: ["MESSAGE_NO_DELETE"], path: "Item", protobuf: .wire,
            source: "buf FILE category's MESSAGE_NO_DELETE, applied by our WIRE set (subjects index messages)"),
    ]

    static let all = json + avro + protobuf
}

// MARK: - Running the table

/// Registers the case's history at NONE, then the new schema at the case's level, through `SchemaRegistryState`
/// with `SchemaChecker` as the registry's check (so the level picks the earlier versions exactly as in production),
/// plus the checks of the whole history the registry adds (`SchemaChecker.historyProblems`).
/// Returns the messages the checker reported for the new schema and the registry's outcome.
private func run(_ c: CompatibilityTableCase) -> (messages: [CompatibilityMessage], error: RegistryError?, setup: String?) {
    var state = SchemaRegistryState()
    state.setLevel(CompatibilityLevel.none, subject: "s")
    let checker = SchemaChecker(protobufRules: c.protobufRules)
    for (index, text) in c.earlier.enumerated() {
        let snapshot = state
        do {
            _ = try state.register(subject: "s", schema: RegisteredSchema(type: c.type, text: text)) {
                (new, against) throws(RegistryError) in
                try checker.check(new, against: against, level: snapshot.level(for: "s")) { _ in nil }
            }
        } catch {
            return ([], nil, "earlier version \(index + 1) did not register: \(error)")
        }
    }
    state.setLevel(c.level, subject: "s")
    let snapshot = state
    var reported: [CompatibilityMessage] = []
    do {
        let result = try state.register(subject: "s", schema: RegisteredSchema(type: c.type, text: c.new)) {
            (new, against) throws(RegistryError) in
            reported = try checker.check(new, against: against, level: snapshot.level(for: "s")) { _ in nil }
            // As the registry (SchemaRegistryEngine.register) does: checks only the whole history shows.
            let history = (try? snapshot.versions(subject: "s", includeDeleted: true))?.compactMap {
                try? snapshot.version(subject: "s", $0, includeDeleted: true).schema
            } ?? []
            for problem in try checker.historyProblems(new, history: history, level: snapshot.level(for: "s"), resolve: { _ in nil })
            where !reported.contains(problem) {
                reported.append(problem)
            }
            return reported
        }
        if !result.changed || result.version != c.earlier.count + 1 {
            return (reported, nil, "the new schema was not registered as version \(c.earlier.count + 1)")
        }
        return (reported, nil, nil)
    } catch {
        return (reported, error, nil)
    }
}

@Suite("Compatibility table: per level × schema type, verdicts from the Avro spec, Confluent and buf")
struct CompatibilityTableTests {
    @Test("Each case gets the verdict its rule definition gives", arguments: CompatibilityTable.all)
    func verdict(_ c: CompatibilityTableCase) {
        let (messages, error, setup) = run(c)
        if let setup {
            Issue.record("\(c.testDescription): \(setup)")
            return
        }
        let found = messages.map(\.description).joined(separator: "; ")
        if c.compatible {
            if let error {
                Issue.record("\(c.testDescription): expected compatible (\(c.source)), got \(error)")
            }
            return
        }
        guard let error, error.code == 409 else {
            let got = error.map { "\($0)" } ?? "compatible"
            Issue.record("\(c.testDescription): expected 409 with \(c.rules) (\(c.source)), got \(got)")
            return
        }
        let rules = Set(messages.map(\.rule))
        for rule in c.rules where !rules.contains(rule) {
            Issue.record("\(c.testDescription): expected rule \(rule) (\(c.source)), got \(found)")
        }
        if let path = c.path, let first = c.rules.first,
            !messages.contains(where: { $0.rule == first && $0.path.contains(path) })
        {
            Issue.record("\(c.testDescription): expected \(first) at a path containing '\(path)', got \(found)")
        }
    }

    @Test("The table covers every level for every schema type, with at least 90 cases")
    func coverage() {
        #expect(CompatibilityTable.all.count >= 90, "only \(CompatibilityTable.all.count) cases")
        for type in SchemaType.allCases {
            for level in CompatibilityLevel.allCases {
                let cases = CompatibilityTable.all.filter { $0.type == type && $0.level == level }
                #expect(!cases.isEmpty, "no case for \(type.rawValue) \(level.rawValue)")
                if level != .none {
                    #expect(cases.contains { $0.compatible }, "no compatible case for \(type.rawValue) \(level.rawValue)")
                    #expect(cases.contains { !$0.compatible }, "no incompatible case for \(type.rawValue) \(level.rawValue)")
                }
            }
        }
        for c in CompatibilityTable.all where c.level.isTransitive {
            #expect(c.earlier.count >= 2, "\(c.testDescription): a transitive case needs two earlier versions")
        }
        for c in CompatibilityTable.all {
            #expect(!c.source.isEmpty, "\(c.testDescription): no source")
        }
    }

    @Test("Transitive failures come from an older version: the same case at the non-transitive level passes")
    func transitiveFailuresNeedTheHistory() {
        // Number reuse is checked across the whole history at every level but NONE, so those cases are not about
        // transitivity.
        for c in CompatibilityTable.all where c.level.isTransitive && !c.compatible && !c.rules.contains("FIELD_NUMBER_NOT_REUSED") {
            var latestOnly = c
            latestOnly.level =
                switch c.level {
                case .backwardTransitive: .backward
                case .forwardTransitive: .forward
                default: .full
                }
            let (_, error, setup) = run(latestOnly)
            #expect(
                setup == nil && error == nil,
                "\(c.testDescription): fails against the latest version alone, so it does not test transitivity")
        }
    }
}
