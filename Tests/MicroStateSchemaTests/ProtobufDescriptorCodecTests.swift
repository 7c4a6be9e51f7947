import Foundation
import Testing

@testable import MicroStateSchema

/// The descriptor codec against protoc: protoc compiles each file of a corpus to a FileDescriptorProto; decoding
/// it must give text that resolves to the same declarations as the original, and encoding the original must give
/// the descriptor protoc wrote (compared field by field after decoding both). Skipped when protoc is missing.
@Suite("Protobuf FileDescriptorProto codec")
struct ProtobufDescriptorCodecTests {
    static let compiler = ["/usr/bin/protoc"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static let proto2 = """
        syntax = "proto2";
        package corpus.two;

        message Account {
          required string id = 1;
          optional int32 limit = 2 [default = -5];
          optional string owner = 3 [default = "a \\"b\\" c"];
          optional double ratio = 4 [default = 1.5];
          optional bool active = 5 [default = true];
          optional Kind kind = 6 [default = KIND_B];
          repeated int64 history = 7 [packed = true];
          repeated int32 plain = 8;
          optional bytes blob = 9 [default = "x\\001y"];
          optional string renamed = 10 [json_name = "other"];
          oneof choice {
            string text = 11;
            Nested nested = 12;
          }
          enum Kind {
            KIND_A = 1;
            KIND_B = 2;
            reserved 10 to 20, 30, 100 to max;
            reserved "KIND_OLD";
          }
          message Nested {
            optional uint64 value = 1 [deprecated = true];
            map<string, Nested> children = 2;
          }
          extensions 100 to 199;
          reserved 50 to 60, 70, 1000 to max;
          reserved "gone", "old";
        }

        enum Alias {
          option allow_alias = true;
          ALIAS_ZERO = 0;
          ALIAS_NONE = 0;
          ALIAS_NEG = -1;
        }
        """

    static let proto3 = """
        syntax = "proto3";
        package corpus.three;

        import "corpus/two.proto";

        message Order {
          int64 id = 1;
          optional string note = 2;
          map<string, int32> counts = 3;
          map<int64, corpus.two.Account> accounts = 4;
          repeated Line lines = 5;
          oneof payment {
            string card = 6;
            Cash cash = 7;
          }
          optional Status status = 8;
          repeated float weights = 9 [packed = false];
          corpus.two.Account.Nested nested = 10;
          message Line {
            string sku = 1;
            map<string, string> tags = 2;
            message Deep { sint32 s = 1; fixed64 f = 2; sfixed32 x = 3; }
            Deep deep = 3;
          }
          message Cash { uint32 cents = 1; }
          enum Status {
            STATUS_UNSPECIFIED = 0;
            STATUS_OPEN = 1;
          }
          reserved 20 to 25;
        }

        service Orders {
          rpc Get(Order) returns (Order);
          rpc Watch(stream Order) returns (stream Order.Line);
        }
        """

    /// Import path → text: the repository's protos and the two above.
    static func corpus() throws -> [String: String] {
        var texts = try ProtobufOracleTests.protoTexts()
        texts["corpus/two.proto"] = Self.proto2
        texts["corpus/three.proto"] = Self.proto3
        return texts
    }

    /// protoc's FileDescriptorProto for `path` alone (no --include_imports).
    static func protocDescriptor(_ path: String, texts: [String: String]) throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("desc-\(getpid())-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, text) in texts {
            let url = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let output = dir.appendingPathComponent("out.binpb")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.compiler!)
        process.arguments = ["-I\(dir.path)", "--descriptor_set_out=\(output.path)", path]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "protoc failed on \(path)")
        // FileDescriptorSet: repeated FileDescriptorProto file = 1.
        var reader = WireReader([UInt8](try Data(contentsOf: output))[...])
        var files: [[UInt8]] = []
        while !reader.isAtEnd {
            let (field, wire) = try reader.tag()
            if field == 1, wire == 2 { files.append(Array(try reader.lengthDelimited())) } else {
                try reader.skip(wireType: wire)
            }
        }
        try #require(files.count == 1)
        return files[0]
    }

    /// What a resolved schema declares, without source locations.
    struct Summary: Equatable, CustomStringConvertible {
        var syntax: ProtoFile.Syntax
        var package: String
        var messages: [String: ProtobufMessageDescriptor]
        var messageOrder: [String]
        var enums: [String: [String]]
        var services: [String]

        init(_ schema: ProtobufSchema) {
            self.syntax = schema.syntax
            self.package = schema.package
            self.messages = schema.messages
            self.messageOrder = schema.messageOrder.filter { schema.messages[$0]?.isMapEntry == false }
            self.enums = schema.enums.mapValues { e in
                e.values.map { "\($0.name)=\($0.number)" } + e.reservedRanges.map(\.description) + e.reservedNames
                    + ["alias=\(e.allowAlias)"]
            }
            self.services = schema.services.flatMap { s in
                s.methods.map {
                    "\(s.fullName).\($0.name)(\($0.clientStreaming) \($0.inputType)) (\($0.serverStreaming) \($0.outputType))"
                }
            }
        }

        var description: String { "\(self.messageOrder) \(self.enums) \(self.services)" }
    }

    static var corpusPaths: [String] { ((try? corpus()) ?? [:]).keys.sorted() }

    @Test(
        "Decoding protoc's descriptor gives text that resolves to the original's declarations",
        .enabled(if: compiler != nil), arguments: corpusPaths)
    func decodeMatchesOriginal(path: String) throws {
        let texts = try Self.corpus()
        let descriptor = try Self.protocDescriptor(path, texts: texts)
        let text = try ProtobufDescriptorCodec.decodeFileDescriptor(descriptor)
        let original = try ProtobufSchema.parse(texts[path]!, imports: texts)
        let decoded: ProtobufSchema
        do {
            decoded = try ProtobufSchema.parse(text, imports: texts)
        } catch {
            Issue.record("\(path): decoded text does not parse: \(error)\n\(text)")
            return
        }
        #expect(Summary(decoded) == Summary(original), "\(path)\n\(text)")
    }

    @Test(
        "Encoding the text gives the descriptor protoc writes, field by field",
        .enabled(if: compiler != nil), arguments: corpusPaths)
    func encodeMatchesProtoc(path: String) throws {
        let texts = try Self.corpus()
        let theirs = try DescriptorModel.File(decoding: try Self.protocDescriptor(path, texts: texts))
        let bytes = try ProtobufDescriptorCodec.encodeFileDescriptor(text: texts[path]!, name: path, imports: texts)
        let ours = try DescriptorModel.File(decoding: bytes)
        #expect(ours.name == theirs.name)
        #expect(ours.package == theirs.package)
        #expect(ours.dependencies == theirs.dependencies)
        #expect(ours.publicDependencies == theirs.publicDependencies)
        #expect(ours.syntax == theirs.syntax)
        #expect(ours.enums == theirs.enums)
        #expect(ours.services == theirs.services)
        #expect(ours.messages.map(\.name) == theirs.messages.map(\.name))
        for (a, b) in zip(ours.messages, theirs.messages) {
            Self.compare(a, b, path: path + " " + a.name)
        }
    }

    /// Message by message, so a failure names the declaration.
    static func compare(_ ours: DescriptorModel.Message, _ theirs: DescriptorModel.Message, path: String) {
        #expect(ours.fields == theirs.fields, "\(path) fields")
        #expect(ours.enums == theirs.enums, "\(path) enums")
        #expect(ours.oneofs == theirs.oneofs, "\(path) oneofs")
        #expect(ours.reservedRanges == theirs.reservedRanges, "\(path) reserved")
        #expect(ours.reservedNames == theirs.reservedNames, "\(path) reserved names")
        #expect(ours.extensionRanges == theirs.extensionRanges, "\(path) extension ranges")
        #expect(ours.isMapEntry == theirs.isMapEntry, "\(path) map_entry")
        #expect(ours.nested.map(\.name) == theirs.nested.map(\.name), "\(path) nested")
        for (a, b) in zip(ours.nested, theirs.nested) { Self.compare(a, b, path: path + "." + a.name) }
    }

    @Test("Decoded text renders map fields, proto3 optional and oneofs as written, not their synthetic parts")
    func rendering() throws {
        let bytes = try ProtobufDescriptorCodec.encodeFileDescriptor(
            text: Self.proto3, name: "corpus/three.proto", imports: ["corpus/two.proto": Self.proto2])
        let text = try ProtobufDescriptorCodec.decodeFileDescriptor(bytes)
        #expect(text.contains("map<string, int32> counts = 3;"))
        #expect(text.contains("map<int64, .corpus.two.Account> accounts = 4;"))
        #expect(text.contains("optional string note = 2;"))
        #expect(text.contains("oneof payment {"))
        #expect(!text.contains("_note"))
        #expect(!text.contains("CountsEntry"))
        #expect(text.contains("rpc Watch(stream .corpus.three.Order) returns (stream .corpus.three.Order.Line);"))
    }

    @Test(
        "Malformed descriptors are errors, not crashes",
        arguments: [
            ([0x0a, 0x05, 0x61], "length past the end"),
            ([0x0a], "truncated length"),
            ([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], "varint too long"),
            ([0x0b], "wire type 3"),
            ([0x00], "field number 0"),
            ([0x22, 0x02, 0x12, 0x05], "field past the end of its message"),
            ([0x0a, 0x02, 0xff, 0xfe], "name is not UTF-8"),
            ([0x08, 0x01], "name sent as a varint"),
        ] as [([UInt8], String)])
    func malformed(bytes: [UInt8], reason: String) {
        #expect(throws: ProtobufDescriptorError.self, "\(reason)") {
            _ = try ProtobufDescriptorCodec.decodeFileDescriptor(bytes)
        }
    }

    @Test("Groups, extension fields and editions are refused as unsupported")
    func unsupported() throws {
        // message M { optional group G = 1 {} } as a descriptor: field type 10.
        var field = WireWriter()
        field.string(1, "g")
        field.int(3, 1)
        field.int(4, 1)
        field.int(5, 10)
        field.string(6, ".G")
        var message = WireWriter()
        message.string(1, "M")
        message.bytes(2, field.bytes)
        var file = WireWriter()
        file.bytes(4, message.bytes)
        var edition = WireWriter()
        edition.int(14, 1000)
        var ext = WireWriter()
        ext.bytes(7, field.bytes)
        for bytes in [file.bytes, edition.bytes, ext.bytes] {
            do {
                _ = try ProtobufDescriptorCodec.decodeFileDescriptor(bytes)
                Issue.record("accepted \(bytes)")
            } catch {
                #expect(error.code == .unsupported)
            }
        }
    }

    @Test("An empty descriptor is a proto2 file with no declarations; unknown fields are skipped")
    func emptyAndUnknown() throws {
        var w = WireWriter()
        w.string(2, "p")
        w.int(999, 7)  // unknown varint field
        w.string(1000, "x")  // unknown length-delimited field
        let text = try ProtobufDescriptorCodec.decodeFileDescriptor(w.bytes)
        #expect(text == "syntax = \"proto2\";\npackage p;\n")
        #expect(try ProtobufDescriptorCodec.decodeFileDescriptor([]) == "syntax = \"proto2\";\n")
    }

    @Test(
        "Base64 round-trips and rejects what is not standard base64",
        arguments: ["", "f", "fo", "foo", "foob", "fooba", "foobar"])
    func base64(plain: String) {
        let encoded = ProtobufDescriptorCodec.base64Encode(Array(plain.utf8))
        #expect(encoded == Data(plain.utf8).base64EncodedString())
        #expect(ProtobufDescriptorCodec.base64Decode(encoded) == Array(plain.utf8))
    }

    @Test("Text that is not base64 is not decoded", arguments: ["a", "ab=c", "a b", "syntax = \"proto3\";", "Zg==="])
    func notBase64(text: String) {
        #expect(ProtobufDescriptorCodec.base64Decode(text) == nil)
    }
}
