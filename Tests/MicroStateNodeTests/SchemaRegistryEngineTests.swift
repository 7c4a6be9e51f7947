import Logging
import MicroStateSchema
import MicroStateServices
import MicroStateStore
import Testing

/// The registry's operations as every adapter (gRPC, REST, mirror, CLI) reaches them.
@Suite("Schema registry engine")
struct SchemaRegistryEngineTests {
    static func avro(_ fields: String) -> RegisteredSchema {
        RegisteredSchema(type: .avro, text: #"{"type":"record","name":"Order","fields":[\#(fields)]}"#)
    }
    static let v1 = avro(#"{"name":"id","type":"string"}"#)
    static let v2 = avro(#"{"name":"id","type":"string"},{"name":"qty","type":"int","default":1}"#)
    /// Adds a field without a default: not BACKWARD compatible.
    static let bad = avro(#"{"name":"id","type":"string"},{"name":"price","type":"double"}"#)

    func engine() -> SchemaRegistryEngine {
        SchemaRegistryEngine(store: KVStore(configuration: StoreConfiguration(), log: nil))
    }

    func code(_ body: () async throws -> Void) async -> Int? {
        do {
            try await body()
            return nil
        } catch let error as RegistryError {
            return error.code
        } catch {
            return -1
        }
    }

    @Test("Ids are global and content-addressed; an equal schema answers the existing version")
    func ids() async throws {
        let engine = self.engine()
        let a = try await engine.register(subject: "a", schema: Self.v1)
        let b = try await engine.register(subject: "b", schema: Self.v1)
        let again = try await engine.register(subject: "a", schema: Self.v1)
        #expect(a.id == b.id && a.version == 1 && b.version == 1)
        #expect(again.id == a.id && again.version == 1)
        let a2 = try await engine.register(subject: "a", schema: Self.v2)
        #expect(a2.version == 2 && a2.id != a.id)
        #expect(try engine.subjectVersions(id: a.id).map { "\($0.subject)/\($0.version)" } == ["a/1", "b/1"])
        #expect(try engine.lookup(subject: "a", schema: Self.v2).version == 2)
        #expect(await self.code { _ = try engine.lookup(subject: "a", schema: Self.bad) } == 40403)
        #expect(await self.code { _ = try engine.lookup(subject: "zz", schema: Self.v1) } == 40401)
    }

    @Test("An incompatible registration is refused with 409 naming the rule; CheckCompatibility says the same")
    func incompatible() async throws {
        let engine = self.engine()
        _ = try await engine.register(subject: "o", schema: Self.v1)
        #expect(await self.code { _ = try await engine.register(subject: "o", schema: Self.bad) } == 409)
        let messages = try engine.checkCompatibility(subject: "o", schema: Self.bad)
        #expect(messages.contains { $0.rule == "READER_FIELD_MISSING_DEFAULT_VALUE" }, "\(messages)")
        #expect(try engine.checkCompatibility(subject: "o", schema: Self.v2).isEmpty)
        // Against a version that does not exist: 40402; an unknown subject is compatible but must parse.
        #expect(await self.code { _ = try engine.checkCompatibility(subject: "o", schema: Self.v2, against: .version(7)) } == 40402)
        #expect(try engine.checkCompatibility(subject: "new", schema: Self.bad).isEmpty)
        let broken = RegisteredSchema(type: .avro, text: "{not avro")
        #expect(await self.code { _ = try engine.checkCompatibility(subject: "new", schema: broken) } == 42201)
        #expect(await self.code { _ = try await engine.register(subject: "new", schema: broken) } == 42201)
    }

    @Test("Transitive levels check every live version; `all` does under a non-transitive level too")
    func transitive() async throws {
        let engine = self.engine()
        try await engine.setLevel(CompatibilityLevel.none, subject: "t")
        _ = try await engine.register(subject: "t", schema: Self.v1)  // id: string
        _ = try await engine.register(subject: "t", schema: Self.avro(""))  // no fields
        // Reads v2 data (no id: default used) but not v1 data (id is a string, not an int).
        let candidate = Self.avro(#"{"name":"id","type":"int","default":0}"#)
        try await engine.setLevel(.backward, subject: "t")
        #expect(try engine.checkCompatibility(subject: "t", schema: candidate).isEmpty)
        #expect(try engine.checkCompatibility(subject: "t", schema: candidate, against: .latest).isEmpty)
        #expect(try engine.checkCompatibility(subject: "t", schema: candidate, against: .all).isEmpty == false)
        #expect(try engine.checkCompatibility(subject: "t", schema: candidate, against: .version(1)).isEmpty == false)
        try await engine.setLevel(.backwardTransitive, subject: "t")
        #expect(try engine.checkCompatibility(subject: "t", schema: candidate).isEmpty == false)
        #expect(await self.code { _ = try await engine.register(subject: "t", schema: candidate) } == 409)
        try await engine.setLevel(.backward, subject: "t")
        #expect(try await engine.register(subject: "t", schema: candidate).version == 3)
    }

    @Test("Levels and modes per subject and global; IMPORT needs force on a populated registry")
    func levelsAndModes() async throws {
        let engine = self.engine()
        #expect(engine.level(subject: nil) == .backward)
        #expect(try await engine.setLevel(.full, subject: "s") == .full)
        #expect(engine.level(subject: "s", defaultToGlobal: false) == .full)
        #expect(engine.level(subject: "x", defaultToGlobal: false) == nil)
        #expect(engine.level(subject: "x") == .backward)
        #expect(try await engine.setLevel(nil, subject: "s") == .backward)
        _ = try await engine.register(subject: "s", schema: Self.v1)
        #expect(await self.code { try await engine.setMode(.import, subject: nil) } == 42205)
        #expect(try await engine.setMode(.import, subject: nil, force: true) == .import)
        let imported = try await engine.register(subject: "m", schema: Self.v2, importing: (id: 40, version: 3))
        #expect(imported.id == 40 && imported.version == 3)
        try await engine.setMode(.readOnly, subject: "s")
        #expect(await self.code { _ = try await engine.register(subject: "s", schema: Self.v2) } == 42205)
        #expect(engine.mode(subject: "s") == .readOnly)
    }

    @Test("Normalize gives texts that differ only in layout one id; a -1 reference means the latest version")
    func normalizeAndReferences() async throws {
        let engine = self.engine()
        let spaced = RegisteredSchema(type: .json, text: "{ \"type\" : \"object\",\n \"properties\": {} }")
        let compact = RegisteredSchema(type: .json, text: #"{"properties":{},"type":"object"}"#)
        let a = try await engine.register(subject: "n", schema: spaced, normalize: true)
        let b = try await engine.register(subject: "n", schema: compact, normalize: true)
        #expect(a == b)
        #expect(try engine.schema(id: a.id).text == #"{"properties":{},"type":"object"}"#)

        let common = RegisteredSchema(type: .protobuf, text: "syntax = \"proto3\";\npackage c;\nmessage Money { int64 cents = 1; }\n")
        _ = try await engine.register(subject: "common", schema: common)
        let order = RegisteredSchema(
            type: .protobuf,
            text: "syntax = \"proto3\";\nimport \"common.proto\";\nmessage Order { c.Money total = 1; }\n",
            references: [SchemaReference(name: "common.proto", subject: "common", version: -1)]
        )
        let registered = try await engine.register(subject: "order", schema: order)
        #expect(try engine.schema(id: registered.id).references.first?.version == 1)
        // The referenced version cannot be deleted while referenced.
        #expect(await self.code { _ = try await engine.deleteVersion(subject: "common", version: 1, permanent: false) } == 42206)
    }

    @Test("Deletes: soft then hard, latest by default; a bound subject cannot be deleted")
    func deletes() async throws {
        let engine = self.engine()
        _ = try await engine.register(subject: "d", schema: Self.v1)
        let second = try await engine.register(subject: "d", schema: Self.v2)
        #expect(try await engine.deleteVersion(subject: "d", version: nil, permanent: false) == 2)
        #expect(try engine.versions(subject: "d") == [1])
        #expect(try engine.schema(id: second.id) == Self.v2)  // a soft-deleted version's id still resolves
        #expect(try await engine.deleteVersion(subject: "d", version: 2, permanent: true) == 2)
        #expect(await self.code { _ = try engine.schema(id: second.id) } == 40403)
        try await engine.bind(SchemaBinding(subject: "d", target: .keyPrefix(Array("d/".utf8)), mode: .validate))
        #expect(await self.code { _ = try await engine.deleteSubject("d", permanent: false) } == 42205)
        try await engine.unbind(.keyPrefix(Array("d/".utf8)))
        #expect(try await engine.deleteSubject("d", permanent: false) == [1])
        #expect(engine.subjects().isEmpty && engine.subjects(includeDeleted: true) == ["d"])
        #expect(await self.code { try await engine.unbind(.keyPrefix(Array("d/".utf8))) } == 40410)
        #expect(await self.code { try await engine.bind(SchemaBinding(subject: "d", target: .streamPattern("a*b"), mode: .validate)) } == 42210)
    }

    @Test("A Protobuf schema registered as a base64 FileDescriptorProto is stored as .proto text")
    func protobufDescriptor() async throws {
        let engine = self.engine()
        let text = """
            syntax = "proto3";
            package interop;
            message Order {
              int64 id = 1;
              map<string, int32> counts = 2;
              optional string note = 3;
            }
            """
        let bytes = try ProtobufDescriptorCodec.encodeFileDescriptor(text: text, name: "order.proto", imports: [:])
        let base64 = ProtobufDescriptorCodec.base64Encode(bytes)
        let registered = try await engine.register(
            subject: "pb", schema: RegisteredSchema(type: .protobuf, text: base64))
        let stored = try engine.schema(id: registered.id)
        #expect(stored.text == (try ProtobufDescriptorCodec.decodeFileDescriptor(bytes)))
        let parsed = try ProtobufSchema.parse(stored.text)
        #expect(parsed.messages["interop.Order"]?.fields.map(\.name) == ["id", "counts", "note"])
        // The same descriptor again, and its text, are the same schema.
        let again = try await engine.register(subject: "pb", schema: RegisteredSchema(type: .protobuf, text: base64))
        #expect(again.id == registered.id && again.version == 1)
        let byText = try engine.lookup(subject: "pb", schema: RegisteredSchema(type: .protobuf, text: stored.text))
        #expect(byText.id == registered.id)
        // Base64 of something that is not a descriptor is left as given, for the schema checks to judge.
        let kept = try await engine.register(subject: "pb-bad", schema: RegisteredSchema(type: .protobuf, text: "/////w=="))
        #expect(try engine.schema(id: kept.id).text == "/////w==")
    }

    @Test("A JSON Schema $ref to another subject registers, and a Put whose referenced part is invalid names its path")
    func jsonReferences() async throws {
        let store = KVStore(configuration: StoreConfiguration(), log: nil)
        let engine = SchemaRegistryEngine(store: store)
        let address = RegisteredSchema(
            type: .json,
            text: #"{"type":"object","properties":{"zip":{"type":"string","pattern":"^[0-9]{5}$"}},"required":["zip"]}"#)
        _ = try await engine.register(subject: "address", schema: address)
        let person = RegisteredSchema(
            type: .json,
            text: #"{"type":"object","properties":{"name":{"type":"string"},"address":{"$ref":"address.json"}}}"#,
            references: [SchemaReference(name: "address.json", subject: "address", version: -1)])
        let registered = try await engine.register(subject: "people", schema: person)
        #expect(registered.version == 1)
        try await engine.bind(SchemaBinding(subject: "people", target: .keyPrefix(Array("people/".utf8)), mode: .validate))
        let validator = SchemaWriteValidator(store: store, logger: Logger(label: "test"))
        let valid = Array(#"{"name":"Ada","address":{"zip":"12345"}}"#.utf8)
        #expect(validator.checkPut(key: Array("people/1".utf8), value: valid) == nil)
        let invalid = Array(#"{"name":"Bob","address":{"zip":"12"}}"#.utf8)
        let error = try #require(validator.checkPut(key: Array("people/2".utf8), value: invalid))
        #expect(error.message.contains("address.zip"), "\(error.message)")
    }

    @Test("An Avro record using a type from another subject validates Puts through the reference")
    func avroReferencedTypeValidatesPuts() async throws {
        let store = KVStore(configuration: StoreConfiguration(), log: nil)
        let engine = SchemaRegistryEngine(store: store)
        let address = RegisteredSchema(
            type: .avro,
            text: #"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"street","type":"string"},{"name":"zip","type":"int"}]}"#
        )
        _ = try await engine.register(subject: "address", schema: address)
        let customer = RegisteredSchema(
            type: .avro,
            text: #"{"type":"record","name":"Customer","fields":[{"name":"name","type":"string"},{"name":"address","type":"com.acme.Address"}]}"#,
            references: [SchemaReference(name: "com.acme.Address", subject: "address", version: -1)]
        )
        let registered = try await engine.register(subject: "customer", schema: customer)
        #expect(try engine.schema(id: registered.id).references.first?.version == 1)
        try await engine.bind(
            SchemaBinding(subject: "customer", target: .keyPrefix(Array("customers/".utf8)), mode: .validate))
        let validator = SchemaWriteValidator(store: store, logger: Logger(label: "test"))
        // {name: "Al", address: {street: "X", zip: 5}}
        let valid: [UInt8] = [0x04, 0x41, 0x6C, 0x02, 0x58, 0x0A]
        #expect(validator.checkPut(key: Array("customers/1".utf8), value: valid) == nil)
        // The street's length runs past the end of the value.
        let invalid: [UInt8] = [0x04, 0x41, 0x6C, 0x7E, 0x58, 0x0A]
        let error = try #require(validator.checkPut(key: Array("customers/2".utf8), value: invalid))
        #expect(error.message.contains("record Address field street"), "\(error.message)")
        // Without the reference, the same text is not a schema.
        let unresolved = RegisteredSchema(type: .avro, text: customer.text)
        #expect(await self.code { _ = try await engine.register(subject: "loose", schema: unresolved) } == 42201)
    }
}
