import Foundation
import Testing

@testable import MicroStateSchema

/// The built-in well-known type files: schemas import them with no registry reference, as Confluent's clients
/// (`skip.known.types`) and server allow; a reference with the same import path overrides the built-in.
@Suite("Protobuf well-known types")
struct ProtobufWellKnownTypesTests {
    static let paths = [
        "any", "api", "descriptor", "duration", "empty", "field_mask", "source_context", "struct", "timestamp",
        "type", "wrappers",
    ].map { "google/protobuf/\($0).proto" }

    /// Imports six well-known files and uses a type of each (and struct.proto's Value).
    static let eventSchema = """
        syntax = "proto3";
        package wkt.test;
        import "google/protobuf/timestamp.proto";
        import "google/protobuf/duration.proto";
        import "google/protobuf/any.proto";
        import "google/protobuf/struct.proto";
        import "google/protobuf/wrappers.proto";
        import "google/protobuf/empty.proto";
        message Event {
          google.protobuf.Timestamp created = 1;
          google.protobuf.Duration ttl = 2;
          google.protobuf.Any detail = 3;
          google.protobuf.Struct labels = 4;
          google.protobuf.StringValue note = 5;
          google.protobuf.Empty nothing = 6;
          google.protobuf.Value value = 7;
          repeated google.protobuf.Int64Value counts = 8;
        }
        """

    /// A valid Event in protobuf text format, for `protoc --encode`.
    static let eventTextFormat = #"""
        created { seconds: 1700000000 nanos: 5 }
        ttl { seconds: 60 nanos: -1 }
        detail { type_url: "type.googleapis.com/google.protobuf.Duration" value: "\010\001" }
        labels { fields { key: "k" value { string_value: "v" } } fields { key: "n" value { null_value: NULL_VALUE } } }
        note { value: "hi" }
        nothing {}
        value { list_value { values { number_value: 1.5 } values { bool_value: true } } }
        counts { value: -3 }
        counts { }
        """#

    static let protoc = ProtobufDistributionOracleTests.compiler.flatMap { $0.hasSuffix("/protoc") ? $0 : nil }

    static func check(_ text: String, references: [SchemaReference] = []) throws(RegistryError) {
        try SchemaChecker().validate(RegisteredSchema(type: .protobuf, text: text, references: references)) { _ in nil }
    }

    /// `text` in protobuf text format encoded by protoc as `message` of the file `schema` (well-known imports
    /// from /usr/include).
    static func protocEncode(schema: String, message: String, _ text: String) throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wkt-encode-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try schema.write(to: dir.appendingPathComponent("event.proto"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.protoc!)
        process.arguments = ["-I/usr/include", "-I\(dir.path)", "--encode=\(message)", "event.proto"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        return [UInt8](bytes)
    }

    @Test("Every embedded file is present and parses against the others")
    func embeddedFilesParse() throws {
        #expect(ProtobufWellKnownTypes.files.keys.sorted() == Self.paths)
        for path in Self.paths {
            let text = try #require(ProtobufWellKnownTypes.files[path])
            #expect(text.contains("Copyright 2008 Google Inc."), "\(path)")
            do {
                let schema = try ProtobufSchema.parse(text, imports: ProtobufWellKnownTypes.files)
                #expect(schema.package == "google.protobuf", "\(path)")
                #expect(!schema.messages.isEmpty, "\(path)")
            } catch {
                Issue.record("\(path): \(error)")
            }
        }
    }

    @Test(
        "Every embedded file declares what the installed original declares",
        .enabled(if: FileManager.default.fileExists(atPath: "/usr/include/google/protobuf/timestamp.proto")))
    func embeddedMatchesOriginal() throws {
        var originals: [String: String] = [:]
        for path in Self.paths {
            originals[path] = try String(contentsOfFile: "/usr/include/" + path, encoding: .utf8)
        }
        for path in Self.paths {
            let builtIns = ProtobufWellKnownTypes.files
            let ours = try ProtobufSchema.parse(builtIns[path]!, imports: builtIns)
            let original = try ProtobufSchema.parse(originals[path]!, imports: originals)
            // Compared as protoc's descriptor lines: source locations differ, the removed comments moved them.
            #expect(ours.syntax == original.syntax, "\(path)")
            #expect(ProtobufOracleTests.lines(ours) == ProtobufOracleTests.lines(original), "\(path)")
        }
    }

    @Test("Only the built-ins a text imports, transitively, are added; references are kept as given")
    func addingBuiltIns() {
        let plain = ProtobufWellKnownTypes.addingBuiltIns(importedBy: "syntax = \"proto3\"; message A {}", to: [:])
        #expect(plain.isEmpty)
        let api = ProtobufWellKnownTypes.addingBuiltIns(
            importedBy: "syntax = \"proto3\"; import \"google/protobuf/api.proto\"; message A {}", to: [:])
        #expect(
            api.keys.sorted() == [
                "google/protobuf/any.proto", "google/protobuf/api.proto", "google/protobuf/source_context.proto",
                "google/protobuf/type.proto",
            ])
        // Through a reference's text: money.proto imports timestamp.proto.
        let references = [
            "money.proto": "syntax = \"proto3\"; import \"google/protobuf/timestamp.proto\"; message M {}",
            "google/protobuf/duration.proto": "syntax = \"proto3\"; package google.protobuf; message Duration {}",
        ]
        let text = """
            syntax = "proto3"; import "money.proto"; import "google/protobuf/duration.proto"; message A {}
            """
        let added = ProtobufWellKnownTypes.addingBuiltIns(importedBy: text, to: references)
        #expect(
            added.keys.sorted() == ["google/protobuf/duration.proto", "google/protobuf/timestamp.proto", "money.proto"])
        #expect(added["google/protobuf/duration.proto"] == references["google/protobuf/duration.proto"])
        // A text that does not parse adds nothing; the parse after reports it.
        #expect(ProtobufWellKnownTypes.addingBuiltIns(importedBy: "message {", to: references) == references)
    }

    @Test("A schema importing well-known types with no references passes the checker; an unknown import does not")
    func checkerAcceptsWellKnownImports() throws {
        try Self.check(Self.eventSchema)
        try Self.check(
            """
            syntax = "proto3"; package wkt.api; import "google/protobuf/api.proto"; import "google/protobuf/type.proto";
            import "google/protobuf/field_mask.proto"; import "google/protobuf/descriptor.proto";
            message M { google.protobuf.Api api = 1; google.protobuf.FieldMask mask = 2;
              google.protobuf.Type type = 3; google.protobuf.FileDescriptorProto file = 4; }
            """)
        #expect(throws: RegistryError.self) {
            try Self.check("syntax = \"proto3\"; import \"google/protobuf/nope.proto\"; message M {}")
        }
        // api.proto does not re-export type.proto publicly: Type stays invisible without its own import.
        #expect(throws: RegistryError.self) {
            try Self.check(
                """
                syntax = "proto3"; import "google/protobuf/api.proto"; message M { google.protobuf.Type t = 1; }
                """)
        }
    }

    @Test("Changing a field from Timestamp to Duration is FIELD_NAMED_TYPE_CHANGED")
    func timestampToDuration() throws {
        let v1 = RegisteredSchema(
            type: .protobuf,
            text: """
                syntax = "proto3"; package wkt.compat; import "google/protobuf/timestamp.proto";
                message M { google.protobuf.Timestamp at = 1; }
                """)
        let v2 = RegisteredSchema(
            type: .protobuf,
            text: """
                syntax = "proto3"; package wkt.compat; import "google/protobuf/duration.proto";
                message M { google.protobuf.Duration at = 1; }
                """)
        let messages = try SchemaChecker().check(v2, against: [v1], level: .backward) { _ in nil }
        #expect(messages.map(\.rule) == ["FIELD_NAMED_TYPE_CHANGED"], "\(messages)")
        #expect(try SchemaChecker().check(v1, against: [v1], level: .backward) { _ in nil }.isEmpty)
    }

    @Test(
        "Payloads protoc encodes with well-known types validate; a bad field inside the Timestamp is named",
        .enabled(if: protoc != nil))
    func payloads() throws {
        let bytes = try Self.protocEncode(schema: Self.eventSchema, message: "wkt.test.Event", Self.eventTextFormat)
        #expect(bytes.count > 40)
        let validator = try PayloadValidator(
            schema: RegisteredSchema(type: .protobuf, text: Self.eventSchema), resolve: { _ in nil })
        #expect(validator.validate(bytes) == nil)
        #expect(validator.validate([]) == nil)
        // created { seconds: <length-delimited> }: Timestamp.seconds is an int64, so wire type 2 is wrong.
        let badSeconds: [UInt8] = [0x0A, 0x03, 0x0A, 0x01, 0x00]
        let violation = try #require(validator.validate(bytes + badSeconds))
        #expect(violation.path == "created.seconds", "\(violation)")
        // ttl { nanos: <fixed64> }: Duration.nanos is an int32.
        let badNanos: [UInt8] = [0x12, 0x09, 0x11] + [UInt8](repeating: 0, count: 8)
        #expect(validator.validate(badNanos)?.path == "ttl.nanos")
        // note { value: <invalid UTF-8> }: StringValue.value is a string.
        #expect(validator.validate([0x2A, 0x03, 0x0A, 0x01, 0xFF])?.path == "note.value")
        // Confluent framing: message index [0] is wkt.test.Event.
        let framed = ConfluentWireFormat.encode(schemaID: 3, messageIndexes: [0], payload: bytes + badSeconds)
        #expect(validator.validateConfluentFramed(framed, isExpectedID: { $0 == 3 })?.path == "created.seconds")
    }

    @Test("A reference named google/protobuf/timestamp.proto overrides the built-in")
    func referenceOverridesBuiltIn() throws {
        let text = """
            syntax = "proto3"; package wkt.override; import "google/protobuf/timestamp.proto";
            message M { google.protobuf.Timestamp created = 1; }
            """
        let reference = SchemaReference(name: "google/protobuf/timestamp.proto", subject: "my-timestamp", version: 1)
        let own = RegisteredSchema(
            type: .protobuf,
            text: "syntax = \"proto3\"; package google.protobuf; message Timestamp { string iso = 1; }")
        let resolve: (SchemaReference) -> RegisteredSchema? = { $0 == reference ? own : nil }
        let schema = RegisteredSchema(type: .protobuf, text: text, references: [reference])
        try SchemaChecker().validate(schema, resolve: resolve)
        // created { 1: "x" } is a string under the reference and a malformed int64 under the built-in.
        let payload: [UInt8] = [0x0A, 0x03, 0x0A, 0x01, 0x78]
        let overridden = try PayloadValidator(schema: schema, resolve: resolve)
        #expect(overridden.validate(payload) == nil)
        let builtIn = try PayloadValidator(schema: RegisteredSchema(type: .protobuf, text: text), resolve: { _ in nil })
        #expect(builtIn.validate(payload)?.path == "created.seconds")
        // A reference that does not declare what the schema uses is not patched up with the built-in.
        let empty = RegisteredSchema(type: .protobuf, text: "syntax = \"proto3\"; package google.protobuf;")
        #expect(throws: RegistryError.self) {
            try SchemaChecker().validate(schema) { $0 == reference ? empty : nil }
        }
    }

    @Test("The serialized descriptor lists the well-known file as a dependency and names its types fully")
    func descriptorDependency() throws {
        let text = """
            syntax = "proto3"; package wkt.serialized; import "google/protobuf/timestamp.proto";
            message M { google.protobuf.Timestamp created = 1; }
            """
        let bytes = try ProtobufDescriptorCodec.encodeFileDescriptor(text: text, name: "schema.proto", imports: [:])
        let decoded = try ProtobufDescriptorCodec.decodeFileDescriptor(bytes)
        #expect(decoded.contains("import \"google/protobuf/timestamp.proto\";"), "\(decoded)")
        #expect(decoded.contains(".google.protobuf.Timestamp created = 1"), "\(decoded)")
        // The decoded text registers again without references.
        try Self.check(decoded)
    }
}
