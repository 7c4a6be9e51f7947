import Testing

@testable import MicroStateSchema

/// One resolution case: can `reader` read what `writer` wrote, and if not, which rules at which paths.
struct AvroResolutionCase: CustomStringConvertible, Sendable {
    var name: String
    var reader: String
    var writer: String
    /// (rule, path) pairs expected, in order; empty means compatible.
    var expected: [(String, String)]

    var description: String { self.name }
}

private func record(_ name: String, _ fields: String, extra: String = "") -> String {
    #"{"type":"record","name":"\#(name)"\#(extra),"fields":[\#(fields)]}"#
}

private let orderV1 = record("Order", #"{"name":"id","type":"long"}"#)
private let orderWithEmail = record(
    "Order", #"{"name":"id","type":"long"},{"name":"email","type":"string"}"#)
private let orderWithEmailDefault = record(
    "Order", #"{"name":"id","type":"long"},{"name":"email","type":["null","string"],"default":null}"#)
private let suit = #"{"type":"enum","name":"Suit","symbols":["SPADES","HEARTS"]}"#
private let suitMore = #"{"type":"enum","name":"Suit","symbols":["SPADES","HEARTS","CLUBS"]}"#
private let suitDefault = #"{"type":"enum","name":"Suit","symbols":["SPADES","UNKNOWN"],"default":"UNKNOWN"}"#
private let node = record("Node", #"{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}"#)
private let nodeLong = record("Node", #"{"name":"v","type":"long"},{"name":"next","type":["null","Node"]}"#)
private let nodeString = record("Node", #"{"name":"v","type":"string"},{"name":"next","type":["null","Node"]}"#)

let avroResolutionCases: [AvroResolutionCase] = [
    .init(name: "same primitive", reader: #""int""#, writer: #""int""#, expected: []),
    .init(name: "int promotes to long", reader: #""long""#, writer: #""int""#, expected: []),
    .init(name: "int promotes to float", reader: #""float""#, writer: #""int""#, expected: []),
    .init(name: "int promotes to double", reader: #""double""#, writer: #""int""#, expected: []),
    .init(name: "long promotes to float", reader: #""float""#, writer: #""long""#, expected: []),
    .init(name: "long promotes to double", reader: #""double""#, writer: #""long""#, expected: []),
    .init(name: "float promotes to double", reader: #""double""#, writer: #""float""#, expected: []),
    .init(name: "string reads bytes", reader: #""string""#, writer: #""bytes""#, expected: []),
    .init(name: "bytes reads string", reader: #""bytes""#, writer: #""string""#, expected: []),
    .init(name: "long does not narrow to int", reader: #""int""#, writer: #""long""#,
          expected: [("TYPE_MISMATCH", "(root)")]),
    .init(name: "double does not narrow to float", reader: #""float""#, writer: #""double""#,
          expected: [("TYPE_MISMATCH", "(root)")]),
    .init(name: "boolean is not int", reader: #""boolean""#, writer: #""int""#,
          expected: [("TYPE_MISMATCH", "(root)")]),
    .init(name: "logical types do not affect resolution",
          reader: #"{"type":"long","logicalType":"timestamp-millis"}"#, writer: #""int""#, expected: []),
    .init(name: "adding a field without a default breaks backward", reader: orderWithEmail, writer: orderV1,
          expected: [("READER_FIELD_MISSING_DEFAULT_VALUE", "record Order field email")]),
    .init(name: "adding a field with a default is backward compatible", reader: orderWithEmailDefault,
          writer: orderV1, expected: []),
    .init(name: "removing a field is fine for the reader", reader: orderV1, writer: orderWithEmail, expected: []),
    .init(name: "a field type change is reported at the field",
          reader: record("Order", #"{"name":"id","type":"string"}"#), writer: orderV1,
          expected: [("TYPE_MISMATCH", "record Order field id")]),
    .init(name: "a field type promotion is fine",
          reader: record("Order", #"{"name":"id","type":"double"}"#),
          writer: record("Order", #"{"name":"id","type":"int"}"#), expected: []),
    .init(name: "a renamed field is matched by its reader alias",
          reader: record("Order", #"{"name":"key","type":"long","aliases":["id"]}"#), writer: orderV1, expected: []),
    .init(name: "a renamed field without alias or default is missing",
          reader: record("Order", #"{"name":"key","type":"long"}"#), writer: orderV1,
          expected: [("READER_FIELD_MISSING_DEFAULT_VALUE", "record Order field key")]),
    .init(name: "records with different names", reader: record("Purchase", ""), writer: record("Order", ""),
          expected: [("NAME_MISMATCH", "record Purchase")]),
    .init(name: "a record renamed with a reader alias",
          reader: record("Purchase", #"{"name":"id","type":"long"}"#, extra: #","aliases":["Order"]"#),
          writer: orderV1, expected: []),
    .init(name: "records match by unqualified name across namespaces",
          reader: record("Order", #"{"name":"id","type":"long"}"#, extra: #","namespace":"v2""#),
          writer: record("Order", #"{"name":"id","type":"long"}"#, extra: #","namespace":"v1""#), expected: []),
    .init(name: "nested record field problems carry the full path",
          reader: record("Order", #"{"name":"customer","type":\#(record("Customer", #"{"name":"name","type":"string"},{"name":"age","type":"int"}"#))}"#),
          writer: record("Order", #"{"name":"customer","type":\#(record("Customer", #"{"name":"name","type":"int"}"#))}"#),
          expected: [("TYPE_MISMATCH", "record Order field customer record Customer field name"),
                     ("READER_FIELD_MISSING_DEFAULT_VALUE", "record Order field customer record Customer field age")]),
    .init(name: "enum gaining a symbol reads the old data", reader: suitMore, writer: suit, expected: []),
    .init(name: "enum losing a symbol without default", reader: suit, writer: suitMore,
          expected: [("MISSING_ENUM_SYMBOLS", "enum Suit")]),
    .init(name: "enum losing a symbol with a reader default", reader: suitDefault, writer: suitMore, expected: []),
    .init(name: "enums with different names",
          reader: #"{"type":"enum","name":"Colour","symbols":["SPADES","HEARTS"]}"#, writer: suit,
          expected: [("NAME_MISMATCH", "enum Colour")]),
    .init(name: "fixed of equal size", reader: #"{"type":"fixed","name":"H","size":16}"#,
          writer: #"{"type":"fixed","name":"H","size":16}"#, expected: []),
    .init(name: "fixed of different size", reader: #"{"type":"fixed","name":"H","size":16}"#,
          writer: #"{"type":"fixed","name":"H","size":8}"#, expected: [("FIXED_SIZE_MISMATCH", "fixed H")]),
    .init(name: "fixed with different names", reader: #"{"type":"fixed","name":"H","size":16}"#,
          writer: #"{"type":"fixed","name":"G","size":16}"#, expected: [("NAME_MISMATCH", "fixed H")]),
    .init(name: "fixed does not read bytes", reader: #"{"type":"fixed","name":"H","size":16}"#,
          writer: #""bytes""#, expected: [("TYPE_MISMATCH", "(root)")]),
    .init(name: "array items promote", reader: #"{"type":"array","items":"long"}"#,
          writer: #"{"type":"array","items":"int"}"#, expected: []),
    .init(name: "array items mismatch", reader: #"{"type":"array","items":"int"}"#,
          writer: #"{"type":"array","items":"string"}"#, expected: [("TYPE_MISMATCH", "array items")]),
    .init(name: "map values mismatch", reader: #"{"type":"map","values":"int"}"#,
          writer: #"{"type":"map","values":"boolean"}"#, expected: [("TYPE_MISMATCH", "map values")]),
    .init(name: "array is not map", reader: #"{"type":"array","items":"int"}"#,
          writer: #"{"type":"map","values":"int"}"#, expected: [("TYPE_MISMATCH", "(root)")]),
    .init(name: "a reader union containing the writer type", reader: #"["null","string"]"#, writer: #""string""#,
          expected: []),
    .init(name: "a reader union containing a promotion of the writer type", reader: #"["null","double"]"#,
          writer: #""int""#, expected: []),
    .init(name: "a reader union lacking the writer type", reader: #"["null","string"]"#, writer: #""int""#,
          expected: [("MISSING_UNION_BRANCH", "(root)")]),
    .init(name: "a writer union whose branches all resolve to the reader", reader: #""double""#,
          writer: #"["int","long"]"#, expected: []),
    .init(name: "a writer union with a branch the reader cannot read", reader: #""string""#,
          writer: #"["null","string"]"#, expected: [("TYPE_MISMATCH", "(root)")]),
    .init(name: "a wider reader union", reader: #"["null","string","int"]"#, writer: #"["null","string"]"#,
          expected: []),
    .init(name: "a narrower reader union", reader: #"["null","string"]"#, writer: #"["null","string","int"]"#,
          expected: [("MISSING_UNION_BRANCH", "(root)")]),
    .init(name: "an optional field made required",
          reader: record("Order", #"{"name":"email","type":"string"}"#),
          writer: record("Order", #"{"name":"email","type":["null","string"]}"#),
          expected: [("TYPE_MISMATCH", "record Order field email")]),
    .init(name: "recursive records with a promoted field", reader: nodeLong, writer: node, expected: []),
    .init(name: "recursive records with an incompatible field", reader: nodeString, writer: node,
          expected: [("TYPE_MISMATCH", "record Node field v")]),
]

@Suite("Avro schema resolution compatibility")
struct AvroCompatibilityTests {
    @Test("Reader/writer resolution follows the spec", arguments: avroResolutionCases)
    func resolution(testCase: AvroResolutionCase) throws {
        let reader = try AvroSchema(parsing: testCase.reader)
        let writer = try AvroSchema(parsing: testCase.writer)
        let messages = AvroCompatibility.check(reader: reader, writer: writer)
        let got = messages.map { "\($0.rule) @ \($0.path)" }
        let want = testCase.expected.map { "\($0.0) @ \($0.1)" }
        #expect(got == want, "\(testCase.name): \(messages)")
        for message in messages {
            #expect(!message.message.isEmpty)
        }
    }

    @Test("There are at least 25 resolution cases, covering every Apache rule id")
    func coverage() {
        #expect(avroResolutionCases.count >= 25)
        let used = Set(avroResolutionCases.flatMap { $0.expected.map(\.0) })
        let apache = Set(AvroCompatibilityRule.allCases.map(\.rawValue)).subtracting(["DEPTH_LIMIT_EXCEEDED"])
        #expect(used == apache)
    }

    @Test("Levels check the pairs they name: BACKWARD lets a new field with a default in, FORWARD too, FULL both")
    func levels() throws {
        let v1 = try AvroSchema(parsing: orderV1)
        let added = try AvroSchema(parsing: orderWithEmail)
        #expect(AvroCompatibility.check(new: added, previous: [v1], level: .backward).map(\.rule) == [
            "READER_FIELD_MISSING_DEFAULT_VALUE"
        ])
        #expect(AvroCompatibility.check(new: added, previous: [v1], level: .forward).isEmpty)
        let full = AvroCompatibility.check(new: added, previous: [v1], level: .full)
        #expect(full.map(\.path) == ["new reads version 1: record Order field email"])
        #expect(AvroCompatibility.check(new: added, previous: [v1], level: .none).isEmpty)
        let withDefault = try AvroSchema(parsing: orderWithEmailDefault)
        #expect(AvroCompatibility.check(new: withDefault, previous: [v1], level: .fullTransitive).isEmpty)
    }

    @Test("Wide unions of named types resolve by name, in time linear in the branches")
    func wideUnions() throws {
        func union(_ prefix: String, _ count: Int) -> String {
            "[" + (0..<count).map { #"{"type":"record","name":"\#(prefix)\#($0)","fields":[]}"# }
                .joined(separator: ",") + "]"
        }
        let wide = try AvroSchema(parsing: union("E", 1024))
        #expect(AvroCompatibility.check(reader: wide, writer: wide).isEmpty)
        let other = try AvroSchema(parsing: union("X", 1024))
        let messages = AvroCompatibility.check(reader: wide, writer: other)
        #expect(messages.count == 1024)
        #expect(Set(messages.map(\.rule)) == ["MISSING_UNION_BRANCH"])
    }

    @Test("A long chain of distinct nested types stops at the depth limit instead of exhausting the stack")
    func depthLimit() throws {
        var types: [String] = [#"{"type":"record","name":"R0","fields":[]}"#]
        for index in 1...600 {
            types.append(#"{"type":"record","name":"R\#(index)","fields":[{"name":"f","type":"R\#(index - 1)"}]}"#)
        }
        let schema = try AvroSchema(parsing: "[" + types.joined(separator: ",") + "]")
        var checker = AvroResolutionChecker(reader: schema, writer: schema)
        let messages = checker.check(.named("R600"), .named("R600"), depth: 0)
        #expect(messages.map(\.rule) == [.depthLimitExceeded])
        #expect(messages.first?.path.count == AvroCompatibility.maxDepth)
    }
}
