import Testing

@testable import MicroStateSchema

private func parse(_ text: String) throws -> AvroSchema {
    try AvroSchema(parsing: text)
}

private func parseError(_ text: String, limits: AvroSchemaLimits = AvroSchemaLimits()) -> AvroSchemaError? {
    do {
        _ = try AvroSchema(parsing: text, limits: limits)
        return nil
    } catch {
        return error
    }
}

@Suite("Avro schema parsing")
struct AvroSchemaTests {
    @Test("Every primitive parses in simple and object form", arguments: AvroPrimitive.allCases)
    func primitives(primitive: AvroPrimitive) throws {
        #expect(try parse("\"\(primitive.rawValue)\"").root == .plain(primitive))
        #expect(try parse("{\"type\": \"\(primitive.rawValue)\"}").root == .plain(primitive))
    }

    @Test("A record with fields, doc, aliases, order and defaults keeps them")
    func record() throws {
        let schema = try parse(
            """
            {"type": "record", "name": "Order", "namespace": "shop", "doc": "An order", "aliases": ["Purchase"],
             "fields": [
               {"name": "id", "type": "long", "order": "descending"},
               {"name": "email", "type": ["null", "string"], "default": null, "aliases": ["mail"]},
               {"name": "tags", "type": {"type": "array", "items": "string"}, "default": ["a"]},
               {"name": "amounts", "type": {"type": "map", "values": "double"}, "default": {"x": 1.5}}
             ]}
            """)
        #expect(schema.root == .named("shop.Order"))
        let order = schema.definition(of: "shop.Order")
        #expect(order.name == "Order")
        #expect(order.namespace == "shop")
        #expect(order.aliases == ["shop.Purchase"])
        #expect(order.doc == "An order")
        guard case .record(let fields) = order.kind else {
            Issue.record("not a record")
            return
        }
        #expect(fields.map(\.name) == ["id", "email", "tags", "amounts"])
        #expect(fields[0].order == .descending)
        #expect(fields[1].defaultValue == .null)
        #expect(fields[1].aliases == ["mail"])
        #expect(fields[2].type == .array(items: .plain(.string)))
    }

    @Test("Namespaces: explicit, inherited by nested definitions, overridden by dotted names, null namespace")
    func namespaces() throws {
        let schema = try parse(
            """
            {"type": "record", "name": "a.b.Outer", "namespace": "ignored", "fields": [
              {"name": "inner", "type": {"type": "record", "name": "Inner", "fields": []}},
              {"name": "other", "type": {"type": "enum", "name": "x.Suit", "symbols": ["HEART"]}},
              {"name": "own", "type": {"type": "fixed", "name": "Hash", "namespace": "h", "size": 4}},
              {"name": "bare", "type": {"type": "fixed", "name": "Bare", "namespace": "", "size": 1}},
              {"name": "again", "type": "Inner"},
              {"name": "qualified", "type": "h.Hash"},
              {"name": "suit", "type": "x.Suit"}
            ]}
            """)
        #expect(Set(schema.namedTypes.keys) == ["a.b.Outer", "a.b.Inner", "x.Suit", "h.Hash", "Bare"])
        guard case .record(let fields) = schema.definition(of: "a.b.Outer").kind else {
            Issue.record("not a record")
            return
        }
        #expect(fields[4].type == .named("a.b.Inner"))
        #expect(fields[5].type == .named("h.Hash"))
    }

    @Test("A short reference falls back to the null namespace")
    func nullNamespaceFallback() throws {
        let schema = try parse(
            """
            [{"type": "fixed", "name": "Id", "size": 2},
             {"type": "record", "name": "n.R", "fields": [{"name": "id", "type": "Id"}]}]
            """)
        guard case .record(let fields) = schema.definition(of: "n.R").kind else {
            Issue.record("not a record")
            return
        }
        #expect(fields[0].type == .named("Id"))
    }

    @Test("Records may refer to themselves (recursion) and defaults may use them")
    func recursion() throws {
        let schema = try parse(
            """
            {"type": "record", "name": "Node", "fields": [
              {"name": "value", "type": "int"},
              {"name": "next", "type": ["null", "Node"], "default": null},
              {"name": "children", "type": {"type": "array", "items": "Node"}, "default": [{"value": 1}]}
            ]}
            """)
        #expect(schema.namedTypes.count == 1)
    }

    @Test("Logical types are kept when valid and ignored when unknown or invalid")
    func logicalTypes() throws {
        let cases: [(String, AvroType)] = [
            (#"{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}"#,
             .primitive(.bytes, logical: .decimal(precision: 4, scale: 2))),
            (#"{"type":"bytes","logicalType":"decimal","precision":4}"#,
             .primitive(.bytes, logical: .decimal(precision: 4, scale: 0))),
            (#"{"type":"bytes","logicalType":"decimal","precision":2,"scale":3}"#, .plain(.bytes)),
            (#"{"type":"bytes","logicalType":"decimal"}"#, .plain(.bytes)),
            (#"{"type":"string","logicalType":"uuid"}"#, .primitive(.string, logical: .uuid)),
            (#"{"type":"int","logicalType":"date"}"#, .primitive(.int, logical: .date)),
            (#"{"type":"int","logicalType":"time-millis"}"#, .primitive(.int, logical: .timeMillis)),
            (#"{"type":"long","logicalType":"time-micros"}"#, .primitive(.long, logical: .timeMicros)),
            (#"{"type":"long","logicalType":"timestamp-millis"}"#, .primitive(.long, logical: .timestampMillis)),
            (#"{"type":"long","logicalType":"timestamp-micros"}"#, .primitive(.long, logical: .timestampMicros)),
            (#"{"type":"long","logicalType":"local-timestamp-millis"}"#,
             .primitive(.long, logical: .localTimestampMillis)),
            (#"{"type":"long","logicalType":"local-timestamp-micros"}"#,
             .primitive(.long, logical: .localTimestampMicros)),
            (#"{"type":"string","logicalType":"date"}"#, .plain(.string)),
            (#"{"type":"long","logicalType":"made-up"}"#, .plain(.long)),
        ]
        for (text, expected) in cases {
            #expect(try parse(text).root == expected, "\(text)")
        }
        let fixed = try parse(#"{"type":"fixed","name":"D","size":2,"logicalType":"decimal","precision":4}"#)
        #expect(fixed.definition(of: "D").kind == .fixed(size: 2, logical: .decimal(precision: 4, scale: 0)))
        // 2 bytes hold at most 4 decimal digits (32767).
        let tooPrecise = try parse(#"{"type":"fixed","name":"D","size":2,"logicalType":"decimal","precision":5}"#)
        #expect(tooPrecise.definition(of: "D").kind == .fixed(size: 2, logical: nil))
        let duration = try parse(#"{"type":"fixed","name":"T","size":12,"logicalType":"duration"}"#)
        #expect(duration.definition(of: "T").kind == .fixed(size: 12, logical: .duration))
    }

    @Test("Valid defaults of every type are accepted")
    func validDefaults() throws {
        let cases: [(String, String)] = [
            (#""null""#, "null"), (#""boolean""#, "true"), (#""int""#, "-2147483648"), (#""long""#, "9007199254740993"),
            (#""float""#, "1.5e3"), (#""double""#, "2"), (#""bytes""#, #""\u00ff""#), (#""string""#, #""hi""#),
            (#"{"type":"fixed","name":"F","size":2}"#, #""ab""#),
            (#"{"type":"enum","name":"E","symbols":["A","B"]}"#, #""B""#),
            (#"{"type":"array","items":"int"}"#, "[1,2]"),
            (#"{"type":"map","values":"int"}"#, #"{"a":1}"#),
            (#"["int","null"]"#, "3"),
            (#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"int","default":1}]}"#,
             #"{"a":1}"#),
        ]
        for (type, value) in cases {
            let text = #"{"type":"record","name":"T","fields":[{"name":"f","type":"# + type + #","default":"# + value + "}]}"
            #expect(throws: Never.self, "\(type) default \(value)") { _ = try AvroSchema(parsing: text) }
        }
    }

    @Test("Invalid defaults are rejected with the field's path")
    func invalidDefaults() {
        let cases: [(String, String)] = [
            (#""int""#, "2147483648"), (#""int""#, "1.5"), (#""int""#, #""1""#), (#""long""#, "1e3"),
            (#""boolean""#, "0"), (#""string""#, "null"), (#""bytes""#, #""\u0100""#), (#""null""#, "0"),
            (#"{"type":"fixed","name":"F","size":2}"#, #""abc""#),
            (#"{"type":"enum","name":"E","symbols":["A"]}"#, #""Z""#),
            (#"{"type":"array","items":"int"}"#, #"["x"]"#),
            (#"{"type":"map","values":"int"}"#, "[]"),
            (#"["null","int"]"#, "3"),
            (#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#, "{}"),
        ]
        for (type, value) in cases {
            let text = #"{"type":"record","name":"T","fields":[{"name":"f","type":"# + type + #","default":"# + value + "}]}"
            let error = parseError(text)
            #expect(error?.code == .invalidDefault, "\(type) default \(value): \(String(describing: error))")
            #expect(error?.path == "record T field f")
        }
    }

    @Test("Malformed schemas are rejected with a code and a path", arguments: [
        (#"{"type":"record","name":"Order","fields":[{"name":"email","type":"strin"}]}"#,
         AvroSchemaError.Code.unknownType, "record Order field email"),
        (#"{"type":"record","name":"Order","fields":[{"name":"a","type":"int"},{"name":"a","type":"int"}]}"#,
         .duplicateName, "record Order field a"),
        (#"{"type":"record","name":"Order"}"#, .invalidSchema, "record Order"),
        (#"{"type":"record","fields":[]}"#, .invalidSchema, ""),
        (#"{"type":"record","name":"1x","fields":[]}"#, .invalidName, ""),
        (#"{"type":"record","name":"R","namespace":"a..b","fields":[]}"#, .invalidName, ""),
        (#"{"type":"record","name":"R","fields":[{"name":"bad-name","type":"int"}]}"#, .invalidName, "record R field bad-name"),
        (#"{"type":"fixed","name":"int","size":1}"#, .invalidName, "fixed int"),
        (#"["int",{"type":"fixed","name":"F","size":1},{"type":"fixed","name":"F","size":1}]"#, .duplicateName, "union branch 2 fixed F"),
        (#"["int","long","int"]"#, .invalidUnion, "union branch 2"),
        (#"["null",["int"]]"#, .invalidUnion, "union branch 1"),
        (#"[{"type":"array","items":"int"},{"type":"array","items":"long"}]"#, .invalidUnion, "union branch 1"),
        (#"["long",{"type":"long","logicalType":"timestamp-millis"}]"#, .invalidUnion, "union branch 1"),
        (#"{"type":"enum","name":"E","symbols":["A","A"]}"#, .duplicateName, "enum E"),
        (#"{"type":"enum","name":"E","symbols":["A"],"default":"B"}"#, .invalidDefault, "enum E"),
        (#"{"type":"enum","name":"E","symbols":["1A"]}"#, .invalidName, "enum E"),
        (#"{"type":"fixed","name":"F","size":-1}"#, .invalidSchema, "fixed F"),
        (#"{"type":"fixed","name":"F"}"#, .invalidSchema, "fixed F"),
        (#"{"type":"array"}"#, .invalidSchema, ""),
        (#"{"type":"map","values":"Nope"}"#, .unknownType, "map values"),
        (#"{"type":{"type":"int"}}"#, .invalidSchema, ""),
        (#"{"items":"int"}"#, .invalidSchema, ""),
        ("42", .invalidSchema, ""),
        (#""Undefined""#, .unknownType, ""),
        (#"{"type":"record","name":"R","fields":[{"name":"a","type":"int","order":"up"}]}"#, .invalidSchema, "record R field a"),
        (#"[{"type":"record","name":"a.R","fields":[]},{"type":"record","name":"R","namespace":"a","fields":[]}]"#,
         .duplicateName, "union branch 1 record R"),
    ] as [(String, AvroSchemaError.Code, String)])
    func malformed(text: String, code: AvroSchemaError.Code, path: String) {
        let error = parseError(text)
        #expect(error?.code == code, "\(text): \(String(describing: error))")
        #expect(error?.path == path, "\(text): \(String(describing: error))")
    }

    @Test("Malformed JSON reports the byte offset", arguments: [
        ("{\"type\": \"int\"", 14), ("{\"type\": \"int\",}", 15), ("[\"int\" \"long\"]", 7), ("\"int\" x", 6),
        ("{\"type\": \"int\", \"type\": \"long\"}", 16), ("\"\\q\"", 2), ("[01]", 2), ("", 0), ("\"a\u{01}\"", 2),
    ])
    func malformedJSON(text: String, offset: Int) {
        let error = parseError(text)
        #expect(error?.code == .malformedJSON, "\(text)")
        #expect(error?.offset == offset, "\(text): \(String(describing: error))")
    }

    @Test("Size and depth limits are enforced")
    func limits() {
        #expect(parseError("\"int\"", limits: AvroSchemaLimits(maxBytes: 4))?.code == .tooLarge)
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(parseError(deep)?.code == .tooDeep)
        let fine = String(repeating: "{\"type\":\"array\",\"items\":", count: 10) + "\"int\"" + String(repeating: "}", count: 10)
        #expect(parseError(fine) == nil)
        let union = "[" + (0..<5).map { "{\"type\":\"fixed\",\"name\":\"F\($0)\",\"size\":1}" }.joined(separator: ",") + "]"
        #expect(parseError(union, limits: AvroSchemaLimits(maxUnionBranches: 5)) == nil)
        #expect(parseError(union, limits: AvroSchemaLimits(maxUnionBranches: 4))?.code == .tooLarge)
    }

    @Test("JSON strings decode escapes and surrogate pairs")
    func jsonEscapes() throws {
        let schema = try parse(#"{"type":"string","doc":"x"}"#)
        #expect(schema.root == .plain(.string))
        let record = try parse(#"{"type":"record","name":"R","doc":"a\"\\\/\n\u00e9\ud83d\ude00","fields":[]}"#)
        #expect(record.definition(of: "R").doc == "a\"\\/\n\u{e9}\u{1F600}")
        #expect(parseError(#"{"type":"record","name":"R","doc":"\ud83d","fields":[]}"#)?.code == .malformedJSON)
    }
}
