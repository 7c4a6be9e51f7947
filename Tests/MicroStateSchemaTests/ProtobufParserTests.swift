import Testing

@testable import MicroStateSchema

@Suite("Protobuf tokenizer")
struct ProtobufTokenizerTests {
    @Test("Numbers: decimal, hex, octal, floats; values are decoded")
    func numbers() throws {
        let tokens = try ProtoTokenizer.tokenize("42 0x1F 0X10 017 0 1.5 1e10 .5 2.5e-3f")
        #expect(
            tokens.map(\.kind) == [.integer, .integer, .integer, .integer, .integer, .float, .float, .float, .float])
        #expect(tokens.prefix(5).map(\.integer) == [42, 31, 16, 15, 0])
    }

    @Test("An integer beyond UInt64 is a token without a value, not a crash")
    func hugeInteger() throws {
        let tokens = try ProtoTokenizer.tokenize("99999999999999999999999")
        #expect(tokens.count == 1 && tokens[0].integer == nil)
    }

    @Test("Strings: both quotes, escapes (simple, hex, octal, unicode) decoded")
    func strings() throws {
        let tokens = try ProtoTokenizer.tokenize(#" "a\n\t\"b" 'it\'s' "\x41\101\u00e9\U0001F600" "#)
        #expect(tokens.map(\.text) == ["a\n\t\"b", "it's", "AAé😀"])
        #expect(tokens.allSatisfy { $0.kind == .string })
    }

    @Test("Comments are skipped and lines counted through them")
    func comments() throws {
        let tokens = try ProtoTokenizer.tokenize("a // one\n/* two\n three */ b\n  c")
        #expect(tokens.map(\.text) == ["a", "b", "c"])
        #expect(
            tokens.map(\.location) == [
                .init(line: 1, column: 1), .init(line: 3, column: 11), .init(line: 4, column: 3),
            ])
    }

    @Test(
        "Malformed input is reported at line:column",
        arguments: [
            ("a\n  \"open", 2, 3, "unterminated string"),
            ("x /* never closed", 1, 3, "unterminated /* comment"),
            ("\"bad \\q escape\"", 1, 6, "unknown escape"),
            ("0x", 1, 1, "hex literal without digits"),
            ("09", 1, 1, "invalid digit '9' in octal literal"),
            ("12abc", 1, 3, "right after a number"),
            ("a\n\n   \u{1}", 3, 4, "unexpected byte"),
            ("\"\\u12\"", 1, 2, "needs 4 hex digits"),
        ])
    func malformed(text: String, line: Int, column: Int, message: String) {
        #expect {
            _ = try ProtoTokenizer.tokenize(text)
        } throws: { error in
            guard let error = error as? ProtoParseError else { return false }
            return error.location == ProtoSourceLocation(line: line, column: column) && error.message.contains(message)
                && error.code == .syntax
        }
    }

    @Test("Input size and token count are bounded by named limits")
    func limits() {
        let small = ProtoParserLimits(maxInputBytes: 10, maxDepth: 4, maxTokens: 3)
        #expect(throws: ProtoParseError.self) { try ProtoTokenizer.tokenize("12345678901", limits: small) }
        #expect(throws: ProtoParseError.self) { try ProtoTokenizer.tokenize("a b c d", limits: small) }
        #expect((try? ProtoTokenizer.tokenize("a b c", limits: small))?.count == 3)
        #expect(ProtoParserLimits.default.maxInputBytes == 1 << 20)
        #expect(ProtoParserLimits.default.maxDepth == 64)
    }
}

@Suite("Protobuf parser and resolver")
struct ProtobufParserTests {
    static let everything = #"""
        // A proto2 file using most of the language.
        syntax = "proto2";
        package shop.v1;
        import public "other.proto";
        import weak "weak.proto";
        option java_package = "com.shop" "v1";
        option (my.opt) = { a: 1 b { c: "x" } d: [1, 2] e < f: 2 > };
        option optimize_for = SPEED;

        message Order {
          option (msg.opt).x = -5;
          required string id = 1 [json_name = "orderId", deprecated = true];
          optional int64 total = 0x2 [default = -7];
          repeated int32 codes = 3 [packed = true];
          repeated Line lines = 4;
          optional Status status = 5 [default = ACTIVE];
          map<string, Line> by_sku = 6;
          oneof payment {
            option (oneof.opt) = true;
            string card = 7;
            Money cash = 8;
          }
          optional .shop.v1.Order.Line first = 9;
          optional other.Remote remote = 10;
          optional double ratio = 017;
          reserved 20, 30 to 40, 1000 to max;
          reserved "old", "older";
          extensions 100 to 199;

          message Line {
            optional string sku = 1;
            optional Money price = 2;
            message Deep { optional Line line = 1; optional Order order = 2; }
          }
          enum Status {
            option allow_alias = true;
            ACTIVE = 1;
            LIVE = 1 [deprecated = true];
            CLOSED = 2;
            reserved 5, 10 to 12;
            reserved "GONE";
          }
        }
        message Money { optional int64 units = 1; optional sint32 nanos = 2; }
        enum Top { TOP_UNKNOWN = 0; TOP_NEG = -1; }
        extend Order { optional int32 ext = 150; }
        service Shop {
          option deprecated = true;
          rpc Place(Order) returns (Money);
          rpc Watch(stream .shop.v1.Order) returns (stream Money) { option idempotency_level = NO_SIDE_EFFECTS; }
        }
        """#

    static let otherProto = #"syntax = "proto3"; package other; message Remote { string name = 1; }"#
    static let weakProto = #"syntax = "proto3"; package weak; message W { string name = 1; }"#

    @Test("A proto2 file with every construct parses and resolves")
    func everything() throws {
        let file = try ProtoParser.parse(Self.everything)
        #expect(file.syntax == .proto2)
        #expect(file.package == "shop.v1")
        #expect(file.imports == [.init(path: "other.proto", kind: .public), .init(path: "weak.proto", kind: .weak)])
        #expect(file.optionNames == ["java_package", "(my.opt)", "optimize_for"])
        #expect(file.services.first?.methods.map(\.name) == ["Place", "Watch"])

        let schema = try ProtobufSchema.parse(
            Self.everything, imports: ["other.proto": Self.otherProto, "weak.proto": Self.weakProto])
        let order = try #require(schema.messages["shop.v1.Order"])
        #expect(order.fields.map(\.number) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15])
        let id = try #require(order.field(named: "id"))
        #expect(id.label == .required && id.jsonName == "orderId" && id.type == .scalar(.string))
        #expect(order.field(named: "total")?.number == 2)
        #expect(order.field(named: "codes")?.isPacked == true)
        #expect(order.field(named: "lines")?.type == .message("shop.v1.Order.Line"))
        #expect(order.field(named: "status")?.type == .enum("shop.v1.Order.Status"))
        let bySku = try #require(order.field(named: "by_sku"))
        #expect(bySku.isMap && bySku.label == .repeated && bySku.type == .message("shop.v1.Order.BySkuEntry"))
        #expect(bySku.jsonName == "bySku")
        let entry = try #require(schema.messages["shop.v1.Order.BySkuEntry"])
        #expect(entry.isMapEntry && entry.fields.map(\.type) == [.scalar(.string), .message("shop.v1.Order.Line")])
        #expect(order.field(named: "card")?.oneof == "payment")
        #expect(order.field(named: "cash")?.type == .message("shop.v1.Money"))
        #expect(order.field(named: "first")?.type == .message("shop.v1.Order.Line"))
        #expect(order.field(named: "remote")?.type == .message("other.Remote"))
        #expect(order.oneofs == ["payment"])
        #expect(order.reservedRanges == [.init(20, 20), .init(30, 40), .init(1000, ProtoParser.maxFieldNumber)])
        #expect(order.reservedNames == ["old", "older"])
        #expect(order.extensionRanges == [.init(100, 199)])
        let deep = try #require(schema.messages["shop.v1.Order.Line.Deep"])
        #expect(deep.fields.map(\.type) == [.message("shop.v1.Order.Line"), .message("shop.v1.Order")])
        let status = try #require(schema.enums["shop.v1.Order.Status"])
        #expect(status.allowAlias && status.values.map(\.number) == [1, 1, 2])
        #expect(status.reservedRanges == [.init(5, 5), .init(10, 12)] && status.reservedNames == ["GONE"])
        #expect(schema.enums["shop.v1.Top"]?.values.map(\.number) == [0, -1])
        #expect(schema.services.first?.methods.last?.inputType == "shop.v1.Order")
        #expect(schema.services.first?.methods.last?.clientStreaming == true)
        #expect(schema.messageOrder.first == "shop.v1.Order")
    }

    @Test("proto3: implicit labels, optional presence, packed by default, JSON names derived")
    func proto3() throws {
        let schema = try ProtobufSchema.parse(
            """
            syntax = "proto3";
            message A { int32 a_b_c = 1; optional string s = 2; repeated int32 r = 3; repeated string t = 4;
                        repeated int32 u = 5 [packed = false]; }
            """)
        let a = try #require(schema.messages["A"])
        #expect(a.fields.map(\.label) == [.optional, .optional, .repeated, .repeated, .repeated])
        #expect(a.fields[0].jsonName == "aBC")
        #expect(a.fields[1].isProto3Optional && a.fields[1].oneof == nil)
        #expect(a.fields.map(\.isPacked) == [false, false, true, false, false])
    }

    @Test("Relative names resolve innermost scope first, and a dotted name's first part fixes the scope")
    func scoping() throws {
        let schema = try ProtobufSchema.parse(
            """
            syntax = "proto3";
            package a.b;
            message X { message Y {} }
            message Outer {
              message X { message Z {} }
              X inner = 1;      // Outer.X, not a.b.X
              b.X outer = 2;    // a.b.X via the package component
              .a.b.X.Y y = 3;
              Outer.X.Z z = 4;
            }
            """)
        let outer = try #require(schema.messages["a.b.Outer"])
        #expect(
            outer.fields.map(\.type) == [
                .message("a.b.Outer.X"), .message("a.b.X"), .message("a.b.X.Y"), .message("a.b.Outer.X.Z"),
            ])
        // X resolves to Outer.X, where Y does not exist: protoc's "resolved to ..., which is not defined".
        #expect {
            _ = try ProtobufSchema.parse(
                "syntax = \"proto3\"; package a.b; message X { message Y {} } message Outer { message X {} X.Y y = 1; }"
            )
        } throws: { error in
            (error as? ProtoParseError)?.message.contains("is resolved to \"a.b.Outer.X.Y\"") == true
        }
    }

    @Test("Types are visible from direct imports and what they import publicly, not further")
    func importVisibility() throws {
        let imports = [
            "mid.proto":
                "syntax = \"proto3\"; package mid; import public \"leaf.proto\"; import \"hidden.proto\"; message M {}",
            "leaf.proto": "syntax = \"proto3\"; package leaf; message L {}",
            "hidden.proto": "syntax = \"proto3\"; package hidden; message H {}",
        ]
        let ok = try ProtobufSchema.parse(
            "syntax = \"proto3\"; import \"mid.proto\"; message T { mid.M m = 1; leaf.L l = 2; }", imports: imports)
        #expect(ok.messages["T"]?.fields.map(\.type) == [.message("mid.M"), .message("leaf.L")])
        #expect(throws: ProtoParseError.self) {
            try ProtobufSchema.parse(
                "syntax = \"proto3\"; import \"mid.proto\"; message T { hidden.H h = 1; }", imports: imports)
        }
        #expect(throws: ProtoParseError.self) {
            try ProtobufSchema.parse("syntax = \"proto3\"; import \"missing.proto\"; message T {}", imports: imports)
        }
    }

    @Test(
        "Malformed files are reported at line:column with a clear message",
        arguments: [
            ("syntax = \"proto4\";", 1, 10, "unknown syntax"),
            ("edition = \"2023\";", 1, 1, "editions"),
            ("package a;\nsyntax = \"proto3\";", 2, 1, "must be the first statement"),
            ("syntax = \"proto3\";\nmessage A {\n  int32 x = 1\n}", 4, 1, "expected ';'"),
            (
                "syntax = \"proto3\";\nmessage A {\n  required int32 x = 1;\n}", 3, 3,
                "'required' is not allowed in proto3"
            ),
            ("syntax = \"proto2\";\nmessage A {\n  int32 x = 1;\n}", 3, 3, "need a label"),
            ("syntax = \"proto3\";\nmessage A { int32 x = 0; }", 2, 23, "out of range"),
            ("syntax = \"proto3\";\nmessage A { int32 x = 19500; }", 2, 23, "19000-19999"),
            ("syntax = \"proto3\";\nmessage A { int32 x = 536870912; }", 2, 23, "out of range"),
            (
                "syntax = \"proto3\";\nmessage A {\n  oneof o { repeated int32 x = 1; }\n}", 3, 13,
                "must not have a label"
            ),
            ("syntax = \"proto3\";\nmessage A { map<float, int32> m = 1; }", 2, 17, "map key type"),
            ("syntax = \"proto2\";\nmessage A { optional group G = 1 {} }", 2, 22, "groups are not supported"),
            ("syntax = \"proto3\";\nmessage A { reserved 10 to 5; }", 2, 22, "is empty"),
            ("syntax = \"proto3\";\nmessage A {", 2, 12, "expected '}' to close message A"),
            ("syntax = \"proto3\";\noption (x) = { a: 1 ;", 2, 14, "unterminated option value"),
            ("syntax = \"proto3\";\nservice S { rpc M(A) B; }", 2, 22, "expected 'returns'"),
            ("syntax = \"proto3\";\nmessage A { reserved \"1x\"; }", 2, 22, "not an identifier"),
            ("syntax = \"proto3\";\n}", 2, 1, "expected a top-level statement"),
        ])
    func malformed(text: String, line: Int, column: Int, message: String) {
        #expect {
            _ = try ProtoParser.parse(text)
        } throws: { error in
            guard let error = error as? ProtoParseError else { return false }
            let matches =
                error.location == ProtoSourceLocation(line: line, column: column)
                && error.message.contains(message)
            if !matches { print("got \(error) for \(text.debugDescription)") }
            return matches
        }
    }

    @Test(
        "Invalid schemas are rejected by the resolver",
        arguments: [
            ("syntax = \"proto3\"; message A { int32 x = 1; string y = 1; }", "share number 1"),
            ("syntax = \"proto3\"; message A { int32 x = 1; string x = 2; }", "defined twice"),
            ("syntax = \"proto3\"; message A { reserved 3; int32 x = 3; }", "reserved number 3"),
            ("syntax = \"proto3\"; message A { reserved \"x\"; int32 x = 3; }", "is reserved"),
            ("syntax = \"proto3\"; enum E { A = 1; }", "must be 0"),
            ("syntax = \"proto3\"; enum E { A = 0; B = 0; }", "allow_alias"),
            ("syntax = \"proto3\"; message A { Missing m = 1; }", "\"Missing\" is not defined"),
            ("syntax = \"proto3\"; message A {} message A {}", "already defined"),
            ("syntax = \"proto2\"; message A { extensions 10 to 20; optional int32 x = 15; }", "extension range"),
        ("syntax = \"proto3\"; enum E { A = 0; } service S { rpc M(E) returns (E); }", "must take and return messages"),
        ("syntax = \"proto3\"; message A {} service S { rpc M(A) returns (B); }", "\"B\" is not defined"),
        ])
    func invalid(text: String, message: String) {
        #expect {
            _ = try ProtobufSchema.parse(text)
        } throws: { error in
            guard let error = error as? ProtoParseError else { return false }
            return error.code == .invalid && error.message.contains(message)
        }
    }

    @Test("Nesting deeper than the limit is an error, not a stack overflow")
    func depthLimit() throws {
        func nested(_ depth: Int) -> String {
            "syntax = \"proto3\";" + String(repeating: "message M {", count: depth)
                + String(repeating: "}", count: depth)
        }
        _ = try ProtoParser.parse(nested(64))
        #expect {
            _ = try ProtoParser.parse(nested(65))
        } throws: { error in
            (error as? ProtoParseError)?.code == .limitExceeded
        }
        // Far beyond any stack: rejected at the limit, before recursing further.
        #expect(throws: ProtoParseError.self) { try ProtoParser.parse(nested(100_000)) }
        let aggregate = "option (x) = " + String(repeating: "{ a ", count: 65) + String(repeating: "}", count: 65) + ";"
        #expect {
            _ = try ProtoParser.parse(aggregate)
        } throws: { error in
            (error as? ProtoParseError)?.code == .limitExceeded
        }
    }

    @Test("Input beyond the size limit is rejected before tokenizing")
    func sizeLimit() {
        let text = "syntax = \"proto3\";" + String(repeating: " ", count: 1 << 20)
        #expect {
            _ = try ProtoParser.parse(text)
        } throws: { error in
            (error as? ProtoParseError)?.code == .limitExceeded
        }
    }
}
