import Testing

@testable import MicroStateSchema

private func p3(_ body: String, package: String = "shop") -> String {
    "syntax = \"proto3\"; package \(package); " + body
}

private func p2(_ body: String) -> String {
    "syntax = \"proto2\"; package shop; " + body
}

/// One schema change and the rules each rule set must report for it (an empty set: compatible).
struct ProtobufCompatibilityCase: CustomTestStringConvertible, Sendable {
    var name: String
    var old: String
    var new: String
    var wire: Set<String>
    var wireJSON: Set<String>
    var confluent: Set<String>
    var direction: ProtobufCompatibility.Direction = .backward

    var testDescription: String { self.name }
}

private let money =
    "message Money { int64 units = 1; } message Coin { int64 units = 1; } enum Color { RED = 0; } "
    + "enum Shade { DARK = 0; } "

let protobufCompatibilityCases: [ProtobufCompatibilityCase] = [
    .init(
        name: "adding a field is compatible everywhere", old: p3("message Order { string id = 1; }"),
        new: p3("message Order { string id = 1; int64 total = 2; }"), wire: [], wireJSON: [], confluent: []),
    .init(
        name: "deleting a field without reserving its number",
        old: p3("message Order { string id = 1; int64 total = 2; }"),
        new: p3("message Order { string id = 1; }"), wire: ["FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED"],
        wireJSON: ["FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", "FIELD_NO_DELETE_UNLESS_NAME_RESERVED"], confluent: []),
    .init(
        name: "deleting a field reserving only its number",
        old: p3("message Order { string id = 1; int64 total = 2; }"),
        new: p3("message Order { string id = 1; reserved 2; }"), wire: [],
        wireJSON: ["FIELD_NO_DELETE_UNLESS_NAME_RESERVED"], confluent: []),
    .init(
        name: "deleting a field reserving number and name",
        old: p3("message Order { string id = 1; int64 total = 2; }"),
        new: p3("message Order { string id = 1; reserved 2; reserved \"total\"; }"), wire: [], wireJSON: [],
        confluent: []),
    .init(
        name: "int32 to int64 stays in the varint group", old: p3("message Order { int32 n = 1; }"),
        new: p3("message Order { int64 n = 1; }"), wire: [], wireJSON: [], confluent: []),
    .init(
        name: "int32 to sint32 changes the encoding", old: p3("message Order { int32 n = 1; }"),
        new: p3("message Order { sint32 n = 1; }"), wire: ["FIELD_WIRE_COMPATIBLE_TYPE"],
        wireJSON: ["FIELD_WIRE_JSON_COMPATIBLE_TYPE"], confluent: ["FIELD_SCALAR_KIND_CHANGED"]),
    .init(
        name: "sint32 to sint64 stays zigzag", old: p3("message Order { sint32 n = 1; }"),
        new: p3("message Order { sint64 n = 1; }"), wire: [], wireJSON: [], confluent: []),
    .init(
        name: "string to bytes is wire- but not JSON-compatible", old: p3("message Order { string s = 1; }"),
        new: p3("message Order { bytes s = 1; }"), wire: [], wireJSON: ["FIELD_WIRE_JSON_COMPATIBLE_TYPE"],
        confluent: []),
    .init(
        name: "bool to int32 is wire- but not JSON-compatible", old: p3("message Order { bool b = 1; }"),
        new: p3("message Order { int32 b = 1; }"), wire: [], wireJSON: ["FIELD_WIRE_JSON_COMPATIBLE_TYPE"],
        confluent: []),
    .init(
        name: "fixed32 to sfixed32 is compatible", old: p3("message Order { fixed32 n = 1; }"),
        new: p3("message Order { sfixed32 n = 1; }"), wire: [], wireJSON: [], confluent: []),
    .init(
        name: "fixed32 to fixed64 changes the width", old: p3("message Order { fixed32 n = 1; }"),
        new: p3("message Order { fixed64 n = 1; }"), wire: ["FIELD_WIRE_COMPATIBLE_TYPE"],
        wireJSON: ["FIELD_WIRE_JSON_COMPATIBLE_TYPE"], confluent: ["FIELD_SCALAR_KIND_CHANGED"]),
    .init(
        name: "float to double changes the width", old: p3("message Order { float n = 1; }"),
        new: p3("message Order { double n = 1; }"), wire: ["FIELD_WIRE_COMPATIBLE_TYPE"],
        wireJSON: ["FIELD_WIRE_JSON_COMPATIBLE_TYPE"], confluent: ["FIELD_SCALAR_KIND_CHANGED"]),
    .init(
        name: "a message field changing to another message type", old: p3(money + "message Order { Money m = 1; }"),
        new: p3(money + "message Order { Coin m = 1; }"), wire: ["FIELD_WIRE_COMPATIBLE_TYPE"],
        wireJSON: ["FIELD_WIRE_JSON_COMPATIBLE_TYPE"], confluent: ["FIELD_NAMED_TYPE_CHANGED"]),
    .init(
        name: "a scalar becoming a message", old: p3(money + "message Order { int64 m = 1; }"),
        new: p3(money + "message Order { Money m = 1; }"), wire: ["FIELD_WIRE_COMPATIBLE_TYPE"],
        wireJSON: ["FIELD_WIRE_JSON_COMPATIBLE_TYPE"], confluent: ["FIELD_KIND_CHANGED"]),
    .init(
        name: "an enum becoming int32: Confluent's varint group, not buf's",
        old: p3(money + "message Order { Color c = 1; }"),
        new: p3(money + "message Order { int32 c = 1; }"), wire: ["FIELD_WIRE_COMPATIBLE_TYPE"],
        wireJSON: ["FIELD_WIRE_JSON_COMPATIBLE_TYPE"], confluent: []),
    .init(
        name: "an enum field changing to another enum", old: p3(money + "message Order { Color c = 1; }"),
        new: p3(money + "message Order { Shade c = 1; }"), wire: ["FIELD_WIRE_COMPATIBLE_TYPE"],
        wireJSON: ["FIELD_WIRE_JSON_COMPATIBLE_TYPE"], confluent: ["FIELD_NAMED_TYPE_CHANGED"]),
    .init(
        name: "singular string becoming repeated", old: p3("message Order { string tag = 1; }"),
        new: p3("message Order { repeated string tag = 1; }"), wire: [],
        wireJSON: ["FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY"], confluent: []),
    .init(
        name: "singular int32 becoming repeated (packed in proto3)", old: p3("message Order { int32 n = 1; }"),
        new: p3("message Order { repeated int32 n = 1; }"), wire: ["FIELD_WIRE_COMPATIBLE_CARDINALITY"],
        wireJSON: ["FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY"], confluent: ["FIELD_NUMERIC_LABEL_CHANGED"]),
    .init(
        name: "proto2 optional int32 becoming repeated, unpacked", old: p2("message Order { optional int32 n = 1; }"),
        new: p2("message Order { repeated int32 n = 1; }"), wire: [],
        wireJSON: ["FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY"], confluent: ["FIELD_NUMERIC_LABEL_CHANGED"]),
    .init(
        name: "one field moving into a new oneof", old: p3("message Order { string a = 1; string b = 2; }"),
        new: p3("message Order { oneof o { string a = 1; } string b = 2; }"), wire: ["FIELD_SAME_ONEOF"],
        wireJSON: ["FIELD_SAME_ONEOF"], confluent: []),
    .init(
        name: "two fields moving into a new oneof", old: p3("message Order { string a = 1; string b = 2; }"),
        new: p3("message Order { oneof o { string a = 1; string b = 2; } }"), wire: ["FIELD_SAME_ONEOF"],
        wireJSON: ["FIELD_SAME_ONEOF"], confluent: ["MULTIPLE_FIELDS_MOVED_TO_ONEOF"]),
    .init(
        name: "a field moving into an existing oneof",
        old: p3("message Order { oneof o { string a = 1; } string b = 2; }"),
        new: p3("message Order { oneof o { string a = 1; string b = 2; } }"), wire: ["FIELD_SAME_ONEOF"],
        wireJSON: ["FIELD_SAME_ONEOF"], confluent: ["FIELD_MOVED_TO_EXISTING_ONEOF"]),
    .init(
        name: "a new field added to an existing oneof", old: p3("message Order { oneof o { string a = 1; } }"),
        new: p3("message Order { oneof o { string a = 1; string b = 2; } }"), wire: [], wireJSON: [], confluent: []),
    .init(
        name: "a field leaving an existing oneof",
        old: p3("message Order { oneof o { string a = 1; string b = 2; } }"),
        new: p3("message Order { oneof o { string a = 1; } reserved 2; reserved \"b\"; }"), wire: [], wireJSON: [],
        confluent: ["ONEOF_FIELD_REMOVED"]),
    .init(
        name: "renaming a field", old: p3("message Order { string id = 1; }"),
        new: p3("message Order { string order_id = 1; }"), wire: [],
        wireJSON: ["FIELD_SAME_NAME", "FIELD_SAME_JSON_NAME"], confluent: []),
    .init(
        name: "changing only the JSON name", old: p3("message Order { string id = 1; }"),
        new: p3("message Order { string id = 1 [json_name = \"ID\"]; }"), wire: [], wireJSON: ["FIELD_SAME_JSON_NAME"],
        confluent: []),
    .init(
        name: "deleting a message", old: p3("message Order {} message Line {}"), new: p3("message Order {}"),
        wire: ["MESSAGE_NO_DELETE"], wireJSON: ["MESSAGE_NO_DELETE"], confluent: ["MESSAGE_REMOVED"]),
    .init(
        name: "adding a message", old: p3("message Order {}"), new: p3("message Order {} message Line {}"), wire: [],
        wireJSON: [], confluent: []),
    .init(
        name: "deleting an enum", old: p3("message Order {} enum Status { S0 = 0; }"), new: p3("message Order {}"),
        wire: ["ENUM_NO_DELETE"], wireJSON: ["ENUM_NO_DELETE"], confluent: []),
    .init(
        name: "deleting an enum value", old: p3("enum Status { UNKNOWN = 0; OPEN = 1; SHUT = 2; }"),
        new: p3("enum Status { UNKNOWN = 0; OPEN = 1; }"), wire: ["ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED"],
        wireJSON: ["ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED", "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED"],
        confluent: []),
    .init(
        name: "deleting an enum value reserving number and name",
        old: p3("enum Status { UNKNOWN = 0; OPEN = 1; SHUT = 2; }"),
        new: p3("enum Status { UNKNOWN = 0; OPEN = 1; reserved 2; reserved \"SHUT\"; }"), wire: [], wireJSON: [],
        confluent: []),
    .init(
        name: "renaming an enum value", old: p3("enum Status { UNKNOWN = 0; OPEN = 1; }"),
        new: p3("enum Status { UNKNOWN = 0; OPENED = 1; }"), wire: [], wireJSON: ["ENUM_VALUE_SAME_NAME"],
        confluent: []),
    .init(
        name: "adding an alias keeps the old name", old: p3("enum Status { UNKNOWN = 0; OPEN = 1; }"),
        new: p3("enum Status { option allow_alias = true; UNKNOWN = 0; OPEN = 1; OPENED = 1; }"), wire: [],
        wireJSON: [], confluent: []),
    .init(
        name: "dropping a reserved range", old: p3("message Order { reserved 5, 8 to 10; }"),
        new: p3("message Order { reserved 5; }"), wire: ["RESERVED_MESSAGE_NO_DELETE"],
        wireJSON: ["RESERVED_MESSAGE_NO_DELETE"], confluent: []),
    .init(
        name: "splitting a reserved range keeps every number reserved", old: p3("message Order { reserved 2 to 9; }"),
        new: p3("message Order { reserved 2 to 4, 5 to 9, 20; }"), wire: [], wireJSON: [], confluent: []),
    .init(
        name: "dropping an enum's reserved name", old: p3("enum Status { UNKNOWN = 0; reserved \"GONE\"; }"),
        new: p3("enum Status { UNKNOWN = 0; }"), wire: ["RESERVED_ENUM_NO_DELETE"],
        wireJSON: ["RESERVED_ENUM_NO_DELETE"], confluent: []),
    .init(
        name: "changing the package", old: p3("message Order {}", package: "shop.v1"),
        new: p3("message Order {}", package: "shop.v2"), wire: ["FILE_SAME_PACKAGE", "MESSAGE_NO_DELETE"],
        wireJSON: ["FILE_SAME_PACKAGE", "MESSAGE_NO_DELETE"], confluent: ["PACKAGE_CHANGED", "MESSAGE_REMOVED"]),
    .init(
        name: "adding a required field (BACKWARD)", old: p2("message Order { optional string id = 1; }"),
        new: p2("message Order { optional string id = 1; required int64 total = 2; }"),
        wire: ["MESSAGE_SAME_REQUIRED_FIELDS"], wireJSON: ["MESSAGE_SAME_REQUIRED_FIELDS"],
        confluent: ["REQUIRED_FIELD_ADDED"]),
    .init(
        name: "adding a required field (FORWARD: the old reader lacks a required field)",
        old: p2("message Order { optional string id = 1; }"),
        new: p2("message Order { optional string id = 1; required int64 total = 2; }"),
        wire: ["MESSAGE_SAME_REQUIRED_FIELDS"], wireJSON: ["MESSAGE_SAME_REQUIRED_FIELDS"],
        confluent: ["REQUIRED_FIELD_REMOVED"], direction: .forward),
    .init(
        name: "adding a required field (FULL)", old: p2("message Order { optional string id = 1; }"),
        new: p2("message Order { optional string id = 1; required int64 total = 2; }"),
        wire: ["MESSAGE_SAME_REQUIRED_FIELDS"], wireJSON: ["MESSAGE_SAME_REQUIRED_FIELDS"],
        confluent: ["REQUIRED_FIELD_ADDED", "REQUIRED_FIELD_REMOVED"], direction: .full),
    .init(
        name: "making an optional field required", old: p2("message Order { optional string id = 1; }"),
        new: p2("message Order { required string id = 1; }"), wire: ["MESSAGE_SAME_REQUIRED_FIELDS"],
        wireJSON: ["MESSAGE_SAME_REQUIRED_FIELDS"], confluent: ["REQUIRED_FIELD_ADDED"]),
    .init(
        name: "un-reserving a number to reuse it", old: p3("message Order { string id = 1; reserved 2; }"),
        new: p3("message Order { string id = 1; int64 total = 2; }"),
        wire: ["RESERVED_MESSAGE_NO_DELETE", "FIELD_NUMBER_NOT_REUSED"],
        wireJSON: ["RESERVED_MESSAGE_NO_DELETE", "FIELD_NUMBER_NOT_REUSED"], confluent: ["FIELD_NUMBER_NOT_REUSED"]),
    .init(
        name: "a map's value type changing", old: p3("message Order { map<string, string> tags = 1; }"),
        new: p3("message Order { map<string, int32> tags = 1; }"), wire: ["FIELD_WIRE_COMPATIBLE_TYPE"],
        wireJSON: ["FIELD_WIRE_JSON_COMPATIBLE_TYPE"], confluent: ["FIELD_SCALAR_KIND_CHANGED"]),
    .init(
        name: "a map becoming a repeated message", old: p3(money + "message Order { map<string, int64> m = 1; }"),
        new: p3(money + "message Order { repeated Money m = 1; }"), wire: ["FIELD_WIRE_COMPATIBLE_TYPE"],
        wireJSON: ["FIELD_WIRE_JSON_COMPATIBLE_TYPE"], confluent: ["FIELD_KIND_CHANGED"]),
    .init(
        name: "a qualified and an unqualified name for the same type are the same type (Apicurio#6832)",
        old: p3("message Order { message Line {} Line l = 1; }"),
        new: p3("message Order { message Line {} .shop.Order.Line l = 1; }"), wire: [], wireJSON: [], confluent: []),
    .init(
        name: "a change inside a nested message is reported there",
        old: p3("message Order { message Line { string sku = 1; int32 qty = 2; } }"),
        new: p3("message Order { message Line { string sku = 1; } }"), wire: ["FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED"],
        wireJSON: ["FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", "FIELD_NO_DELETE_UNLESS_NAME_RESERVED"], confluent: []),
]

@Suite("Protobuf compatibility")
struct ProtobufCompatibilityTests {
    @Test("Each change gets the rules each rule set names", arguments: protobufCompatibilityCases)
    func table(_ c: ProtobufCompatibilityCase) throws {
        let old = try ProtobufSchema.parse(c.old)
        let new = try ProtobufSchema.parse(c.new)
        for (ruleSet, expected) in [(ProtobufRuleSet.wire, c.wire), (.wireJSON, c.wireJSON), (.confluent, c.confluent)]
        {
            let messages = ProtobufCompatibility.check(new: new, old: old, ruleSet: ruleSet, direction: c.direction)
            let rules: Set<String> = Set(messages.map { $0.rule })
            #expect(rules == expected, "\(c.name) under \(ruleSet.rawValue): \(messages)")
            for message in messages {
                #expect(ProtobufCompatibility.rule(message.rule)?.ruleSets.contains(ruleSet) == true, "\(message)")
            }
        }
    }

    @Test("Paths name the message and field number, or the enum and value number")
    func paths() throws {
        let old = try ProtobufSchema.parse(p3("message Order { int32 a = 5; } enum Status { S0 = 0; S2 = 2; }"))
        let new = try ProtobufSchema.parse(p3("message Order { sint32 a = 5; } enum Status { S0 = 0; }"))
        let messages = ProtobufCompatibility.check(new: new, old: old, ruleSet: .wire)
        #expect(Set(messages.map(\.path)) == ["message shop.Order field 5", "enum shop.Status value 2"])
        #expect(
            messages.first?.description.hasPrefix("FIELD_WIRE_COMPATIBLE_TYPE at message shop.Order field 5") == true)
    }

    static let v1 = p3("message User { string id = 1; string email = 5; }")
    static let v2 = p3("message User { string id = 1; }")  // email deleted, number 5 not reserved
    static let v3 = p3("message User { string id = 1; string phone = 5; }")  // 5 reused

    @Test("Confluent alone misses a deleted number reused with the same wire type")
    func confluentGap() throws {
        let (v2, v3) = (try ProtobufSchema.parse(Self.v2), try ProtobufSchema.parse(Self.v3))
        #expect(ProtobufCompatibility.check(reader: v3, writer: v2).isEmpty)
        #expect(ProtobufCompatibility.check(new: v3, old: v2, ruleSet: .confluent, direction: .full).isEmpty)
    }

    @Test(
        "Re-use of a deleted, unreserved field number is caught across the history at every level but NONE",
        arguments: [CompatibilityLevel.backward, .forward, .full, .backwardTransitive, .fullTransitive])
    func numberReuse(level: CompatibilityLevel) throws {
        let history = [try ProtobufSchema.parse(Self.v1), try ProtobufSchema.parse(Self.v2)]
        let v3 = try ProtobufSchema.parse(Self.v3)
        for ruleSet in ProtobufRuleSet.allCases {
            let messages = ProtobufCompatibility.check(new: v3, previous: history, level: level, ruleSet: ruleSet)
            let reuse = messages.filter { $0.rule == "FIELD_NUMBER_NOT_REUSED" }
            #expect(reuse.count == 1, "\(level) \(ruleSet)")
            #expect(reuse.first?.path == "message shop.User field 5")
            #expect(reuse.first?.message.contains("version 1 used for email") == true)
        }
        #expect(ProtobufCompatibility.check(new: v3, previous: history, level: .none, ruleSet: .wire).isEmpty)
        #expect(
            ProtobufCompatibility.check(
                new: v3, previous: history, level: level, ruleSet: .confluent, detectNumberReuse: false
            ).isEmpty)
    }

    @Test("Restoring a deleted field, or renaming one in place, is not a reuse")
    func notReuse() throws {
        let v1 = try ProtobufSchema.parse(Self.v1)
        let v2 = try ProtobufSchema.parse(Self.v2)
        let restored = try ProtobufSchema.parse(Self.v1)
        #expect(ProtobufCompatibility.checkNumberReuse(new: restored, previous: [v1, v2]).isEmpty)
        let renamed = try ProtobufSchema.parse(p3("message User { string id = 1; string mail = 5; }"))
        #expect(ProtobufCompatibility.checkNumberReuse(new: renamed, previous: [v1]).isEmpty)
        // Deleted, restored, then reused: the deletion after the restore is what counts.
        let reused = try ProtobufSchema.parse(Self.v3)
        #expect(ProtobufCompatibility.checkNumberReuse(new: reused, previous: [v1, v2, v1]).isEmpty)
        #expect(ProtobufCompatibility.checkNumberReuse(new: reused, previous: [v1, v2, v1, v2]).count == 1)
    }

    @Test("Levels pick the versions: non-transitive checks only the latest, transitive every one")
    func levels() throws {
        let v1 = try ProtobufSchema.parse(p3("message Order { string id = 1; int32 n = 2; }"))
        let v2 = try ProtobufSchema.parse(p3("message Order { string id = 1; int64 n = 2; }"))
        let v3 = try ProtobufSchema.parse(p3("message Order { string id = 1; sint64 n = 2; }"))
        // v3 vs v2 and v1: sint64 is in neither's group.
        #expect(ProtobufCompatibility.check(new: v3, previous: [v1, v2], level: .backward, ruleSet: .wire).count == 1)
        let transitive = ProtobufCompatibility.check(
            new: v3, previous: [v1, v2], level: .backwardTransitive, ruleSet: .wire)
        #expect(transitive.count == 2)  // against v2 (int64 → sint64) and v1 (int32 → sint64)
        let v4 = try ProtobufSchema.parse(p3("message Order { string id = 1; int64 n = 2; }"))
        #expect(
            ProtobufCompatibility.check(new: v4, previous: [v1, v3], level: .backward, ruleSet: .confluent).count == 1)
        #expect(
            ProtobufCompatibility.check(new: v4, previous: [v3, v1], level: .backward, ruleSet: .confluent).isEmpty)
        #expect(
            !ProtobufCompatibility.check(new: v4, previous: [v3, v1], level: .backwardTransitive, ruleSet: .confluent)
                .isEmpty)
    }

    @Test("The rule table has unique ids and covers every rule set")
    func ruleTable() {
        let ids = ProtobufCompatibility.rules.map(\.id)
        #expect(Set(ids).count == ids.count)
        for ruleSet in ProtobufRuleSet.allCases {
            #expect(ProtobufCompatibility.rules.contains { $0.ruleSets.contains(ruleSet) })
        }
        #expect(ProtobufCompatibility.rules.allSatisfy { !$0.description.isEmpty })
        #expect(ProtobufCompatibility.rule("FIELD_NUMBER_NOT_REUSED")?.ruleSets == Set(ProtobufRuleSet.allCases))
    }

    @Test("Every repository proto is compatible with itself under every rule set")
    func selfCompatible() throws {
        let texts = try ProtobufOracleTests.protoTexts()
        for (path, text) in texts {
            let schema = try ProtobufSchema.parse(text, imports: texts)
            for ruleSet in ProtobufRuleSet.allCases {
                #expect(
                    ProtobufCompatibility.check(new: schema, old: schema, ruleSet: ruleSet, direction: .full).isEmpty,
                    "\(path) \(ruleSet)")
            }
        }
    }
}
