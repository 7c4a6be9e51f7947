import Testing

@testable import MicroStateSchema

/// JSON Schema `$ref`s to other registered schemas (Confluent schema references): parsing, registration through
/// the registry state with `SchemaChecker`, compatibility and payload validation through the referenced schema.
@Suite("JSON Schema references")
struct JSONSchemaReferencesTests {
    private let checker = SchemaChecker()

    static let address = #"{"type":"object","properties":{"street":{"type":"string"},"zip":{"type":"string","pattern":"^[0-9]{5}$"}},"required":["zip"]}"#
    /// Address closed: BACKWARD-incompatible with `address` (data written with extra properties no longer reads).
    static let closedAddress = #"{"type":"object","additionalProperties":false,"properties":{"street":{"type":"string"},"zip":{"type":"string","pattern":"^[0-9]{5}$"}},"required":["zip"]}"#
    static let person = #"{"type":"object","properties":{"name":{"type":"string"},"address":{"$ref":"address.json"}},"required":["name"]}"#

    static func reference(_ name: String, _ subject: String, _ version: Int = 1) -> SchemaReference {
        SchemaReference(name: name, subject: subject, version: version)
    }

    static func resolve(_ state: SchemaRegistryState) -> (SchemaReference) -> RegisteredSchema? {
        { reference in try? state.version(subject: reference.subject, reference.version, includeDeleted: true).schema }
    }

    /// Registers like `SchemaRegistryEngine.register`: the checker resolves references from the state as it was.
    @discardableResult
    private func register(
        _ state: inout SchemaRegistryState, _ subject: String, _ text: String, _ references: [SchemaReference] = []
    ) throws(RegistryError) -> Int {
        let snapshot = state
        let schema = RegisteredSchema(type: .json, text: text, references: references)
        return try state.register(subject: subject, schema: schema) { (new, against) throws(RegistryError) in
            try self.checker.check(new, against: against, level: snapshot.level(for: subject), resolve: Self.resolve(snapshot))
        }.version
    }

    private func failure(_ body: () throws(RegistryError) -> Void) -> RegistryError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    private func validator(
        _ state: SchemaRegistryState, _ text: String, _ references: [SchemaReference]
    ) throws -> PayloadValidator {
        try PayloadValidator(
            schema: RegisteredSchema(type: .json, text: text, references: references), resolve: Self.resolve(state))
    }

    @Test("A $ref naming a reference resolves to the referenced subject's schema, in the same node arena")
    func registersThroughReference() throws {
        var state = SchemaRegistryState()
        try self.register(&state, "address", Self.address)
        let version = try self.register(&state, "person", Self.person, [Self.reference("address.json", "address")])
        #expect(version == 1)

        let parsed = try JSONSchema.parse(Self.person, references: ["address.json": Self.address])
        let address = parsed.dereference(try #require(parsed.nodes[parsed.root].properties["address"]))
        #expect(parsed.nodes[address].pointer == "address.json#")
        let zip = try #require(parsed.nodes[address].properties["zip"])
        #expect(parsed.nodes[zip].pointer == "address.json#/properties/zip")
        #expect(parsed.nodes[zip].pattern == "^[0-9]{5}$")
    }

    @Test("A fragment ref reaches into the referenced document's $defs")
    func fragment() throws {
        var state = SchemaRegistryState()
        let common = ##"{"$defs":{"Zip":{"type":"string","maxLength":5}}}"##
        try self.register(&state, "common", common)
        let text = ##"{"type":"object","properties":{"zip":{"$ref":"common.json#/$defs/Zip"}}}"##
        try self.register(&state, "place", text, [Self.reference("common.json", "common")])
        let validator = try self.validator(state, text, [Self.reference("common.json", "common")])
        #expect(validator.validate(Array(#"{"zip":"12345"}"#.utf8)) == nil)
        let violation = try #require(validator.validate(Array(#"{"zip":"123456"}"#.utf8)))
        #expect(violation.path == "zip" && violation.message.contains("maxLength"), "\(violation)")
        // A fragment naming nothing in the referenced document is 42201, naming the target.
        let missing = ##"{"properties":{"zip":{"$ref":"common.json#/$defs/Nope"}}}"##
        let error = self.failure { () throws(RegistryError) in
            try self.register(&state, "place2", missing, [Self.reference("common.json", "common")])
        }
        #expect(error?.code == 42201 && error!.message.contains("common.json#/$defs/Nope"), "\(String(describing: error))")
    }

    @Test("References resolve transitively: a referenced schema's own references join the arena")
    func transitive() throws {
        var state = SchemaRegistryState()
        try self.register(&state, "zip", #"{"type":"string","pattern":"^[0-9]{5}$"}"#)
        let address = #"{"type":"object","properties":{"zip":{"$ref":"zip.json"}}}"#
        try self.register(&state, "address", address, [Self.reference("zip.json", "zip")])
        // The person names only its direct reference, as in Confluent.
        try self.register(&state, "person", Self.person, [Self.reference("address.json", "address")])
        let validator = try self.validator(state, Self.person, [Self.reference("address.json", "address")])
        #expect(validator.validate(Array(#"{"name":"Ada","address":{"zip":"12345"}}"#.utf8)) == nil)
        let violation = try #require(validator.validate(Array(#"{"name":"Ada","address":{"zip":"12"}}"#.utf8)))
        #expect(violation.path == "address.zip" && violation.message.contains("pattern"), "\(violation)")
    }

    @Test("A missing reference is 42201 naming it: a $ref no reference names, or a reference that does not resolve")
    func missing() {
        var state = SchemaRegistryState()
        let unnamed = self.failure { () throws(RegistryError) in try self.register(&state, "person", Self.person) }
        #expect(unnamed?.code == 42201 && unnamed!.message.contains("address.json"), "\(String(describing: unnamed))")
        // A transitive reference gone from the registry (the state checks only direct ones).
        let schema = RegisteredSchema(type: .json, text: Self.person, references: [Self.reference("address.json", "address")])
        let gone = self.failure { () throws(RegistryError) in
            try self.checker.validate(schema) { reference in
                reference.subject == "address"
                    ? RegisteredSchema(type: .json, text: #"{"$ref":"zip.json"}"#, references: [Self.reference("zip.json", "zip", 3)])
                    : nil
            }
        }
        #expect(gone?.code == 42201 && gone!.message.contains("zip.json") && gone!.message.contains("version 3"),
                "\(String(describing: gone))")
        // The payload validator resolves the same way.
        let compiled = self.failure { () throws(RegistryError) in _ = try PayloadValidator(schema: schema) { _ in nil } }
        #expect(compiled?.code == 42201 && compiled!.message.contains("address.json"), "\(String(describing: compiled))")
    }

    @Test("A new version pointing at a closed Address is checked through the reference: 409 naming rule and path")
    func compatibilityThroughReference() throws {
        var state = SchemaRegistryState()
        try self.register(&state, "address", Self.address)
        state.setLevel(CompatibilityLevel.none, subject: "address")
        try self.register(&state, "address", Self.closedAddress)
        try self.register(&state, "person", Self.person, [Self.reference("address.json", "address", 1)])
        // Same text, new reference version: BACKWARD (the default) compares the two Address schemas.
        let error = self.failure { () throws(RegistryError) in
            try self.register(&state, "person", Self.person, [Self.reference("address.json", "address", 2)])
        }
        #expect(error?.code == 409, "\(String(describing: error))")
        #expect(error?.message.contains("ADDITIONAL_PROPERTIES_REMOVED at properties.address") == true,
                "\(String(describing: error))")
        // Removing a property from the closed Address is caught through the reference too.
        let noStreet = #"{"type":"object","additionalProperties":false,"properties":{"zip":{"type":"string","pattern":"^[0-9]{5}$"}},"required":["zip"]}"#
        let old = try JSONSchema.parse(Self.person, references: ["address.json": Self.closedAddress])
        let new = try JSONSchema.parse(Self.person, references: ["address.json": noStreet])
        let messages = JSONSchemaCompatibility.check(reader: new, writer: old)
        #expect(messages.contains { $0.rule == "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL" && $0.path.contains("address") },
                "\(messages)")
    }

    @Test("A $id base resolves a relative ref by its last path segment; an ambiguous segment is unresolved")
    func idBase() throws {
        let person = #"{"$id":"https://acme.com/schemas/person.json","type":"object","properties":{"address":{"$ref":"address.json"}}}"#
        let parsed = try JSONSchema.parse(person, references: ["https://acme.com/schemas/address.json": Self.address])
        let address = parsed.dereference(parsed.nodes[parsed.root].properties["address"]!)
        #expect(parsed.nodes[address].pointer == "https://acme.com/schemas/address.json#")
        let error = #expect(throws: JSONSchemaError.self) {
            try JSONSchema.parse(person, references: ["https://a.com/address.json": Self.address, "https://b.com/address.json": Self.address])
        }
        #expect(error?.code == .unresolvedReference && error?.pointer == "#/properties/address/$ref")
        // A ref to the document's own `$id` is local.
        let own = ##"{"$id":"https://acme.com/x.json","$defs":{"a":{"type":"string"}},"$ref":"https://acme.com/x.json#/$defs/a"}"##
        let local = try JSONSchema.parse(own)
        #expect(local.nodes[local.dereference(local.root)].types == JSONSchemaTypeSet(.string))
    }

    @Test("Recursion across documents terminates; a cycle that never descends is rejected; maxNodes bounds the total")
    func cyclesAndLimits() throws {
        // `#` inside the referenced document is that document's root, not the referencing one's.
        let tree = ##"{"type":"object","properties":{"label":{"type":"string"},"children":{"type":"array","items":{"$ref":"#"}}}}"##
        let root = #"{"type":"object","properties":{"tree":{"$ref":"tree.json"}}}"#
        var state = SchemaRegistryState()
        try self.register(&state, "tree", tree)
        try self.register(&state, "root", root, [Self.reference("tree.json", "tree")])
        let validator = try self.validator(state, root, [Self.reference("tree.json", "tree")])
        let bad = #"{"tree":{"children":[{"label":"a"},{"children":[{"label":7}]}]}}"#
        let violation = try #require(validator.validate(Array(bad.utf8)))
        #expect(violation.path == "tree.children[1].children[0].label", "\(violation)")

        let loop = #expect(throws: JSONSchemaError.self) {
            try JSONSchema.parse(#"{"$ref":"a.json"}"#, references: ["a.json": #"{"$ref":"b.json"}"#, "b.json": #"{"allOf":[{"$ref":"a.json"}]}"#])
        }
        #expect(loop?.code == .referenceCycle, "\(String(describing: loop))")

        let limits = JSONSchema.Limits(maxNodes: 4)
        let many = #expect(throws: JSONSchemaError.self) {
            try JSONSchema.parse(#"{"properties":{"a":{"$ref":"b.json"}}}"#,
                                 references: ["b.json": #"{"properties":{"x":{},"y":{},"z":{}}}"#], limits: limits)
        }
        #expect(many?.code == .tooManyNodes && many!.pointer.hasPrefix("b.json#"), "\(String(describing: many))")
    }

    @Test("A payload failing inside the referenced schema names the path through the reference")
    func payloadPath() throws {
        var state = SchemaRegistryState()
        try self.register(&state, "address", Self.address)
        try self.register(&state, "person", Self.person, [Self.reference("address.json", "address")])
        let validator = try self.validator(state, Self.person, [Self.reference("address.json", "address")])
        #expect(validator.validate(Array(#"{"name":"Ada","address":{"zip":"12345","street":"Main"}}"#.utf8)) == nil)
        let violation = try #require(validator.validate(Array(#"{"name":"Ada","address":{"zip":"1234x"}}"#.utf8)))
        #expect(violation.path == "address.zip", "\(violation)")
        let absent = try #require(validator.validate(Array(#"{"name":"Ada","address":{}}"#.utf8)))
        #expect(absent.path == "address" && absent.message.contains("zip"), "\(absent)")
    }
}
