import Testing

@testable import MicroStateSchema

@Suite("Schema registry state: subjects, versions, ids, deletes, levels, modes")
struct SchemaRegistryStateTests {
    private let compatible: (RegisteredSchema, [RegisteredSchema]) throws(RegistryError) -> [CompatibilityMessage] = { _, _ in [] }

    private func json(_ text: String) -> RegisteredSchema {
        RegisteredSchema(type: .json, text: text)
    }

    @Test("Versions count from 1 per subject; ids are global and content-addressed; a repeat returns the original")
    func registerAndIdentity() throws {
        var state = SchemaRegistryState()
        let a1 = try state.register(subject: "orders-value", schema: self.json("{\"a\":1}"), check: self.compatible)
        let a2 = try state.register(subject: "orders-value", schema: self.json("{\"a\":2}"), check: self.compatible)
        #expect((a1.id, a1.version, a1.changed) == (1, 1, true))
        #expect((a2.id, a2.version) == (2, 2))
        let again = try state.register(subject: "orders-value", schema: self.json("{\"a\":1}"), check: self.compatible)
        #expect((again.id, again.version, again.changed) == (1, 1, false))
        let elsewhere = try state.register(subject: "payments-value", schema: self.json("{\"a\":1}"), check: self.compatible)
        #expect((elsewhere.id, elsewhere.version) == (1, 1), "same content under another subject: same id")
        let protobuf = try state.register(
            subject: "payments-value", schema: RegisteredSchema(type: .protobuf, text: "{\"a\":1}"), check: self.compatible
        )
        #expect(protobuf.id == 3, "the type is part of the identity")
        #expect(try state.version(subject: "orders-value", nil).version == 2)
        #expect(try state.versions(subject: "orders-value") == [1, 2])
        #expect(state.subjectNames() == ["orders-value", "payments-value"])
        #expect(state.subjectVersions(id: 1).map { "\($0.subject)/\($0.version)" } == ["orders-value/1", "payments-value/1"])
    }

    @Test("The checker sees the latest live version, or all of them when transitive, and none for NONE")
    func checkerSeesWhatTheLevelSays() throws {
        var state = SchemaRegistryState()
        var seen: [[String]] = []
        let recording: (RegisteredSchema, [RegisteredSchema]) throws(RegistryError) -> [CompatibilityMessage] = { _, against in
            seen.append(against.map(\.text))
            return []
        }
        for text in ["v1", "v2", "v3"] {
            _ = try state.register(subject: "s", schema: self.json(text), check: recording)
        }
        state.setLevel(.fullTransitive, subject: "s")
        _ = try state.register(subject: "s", schema: self.json("v4"), check: recording)
        state.setLevel(CompatibilityLevel.none, subject: "s")
        _ = try state.register(subject: "s", schema: self.json("v5"), check: recording)
        #expect(seen == [[], ["v1"], ["v2"], ["v1", "v2", "v3"], []])
        #expect(state.level(for: "s") == CompatibilityLevel.none && state.level(for: "other") == .backward)
    }

    @Test("An incompatible schema is refused with 409 and the checker's messages; nothing is registered")
    func incompatible() throws {
        var state = SchemaRegistryState()
        _ = try state.register(subject: "s", schema: self.json("v1"), check: self.compatible)
        let error = #expect(throws: RegistryError.self) {
            try state.register(subject: "s", schema: self.json("v2"), check: { _, _ throws(RegistryError) in
                [CompatibilityMessage(rule: "TYPE_CHANGED", path: "properties.email", message: "string became integer")]
            })
        }
        #expect(error?.code == 409 && error?.message.contains("TYPE_CHANGED at properties.email") == true)
        #expect(try state.versions(subject: "s") == [1])
    }

    @Test("Soft delete hides a version but its id resolves; hard delete needs soft first; numbers are not reused")
    func deletes() throws {
        var state = SchemaRegistryState()
        _ = try state.register(subject: "s", schema: self.json("v1"), check: self.compatible)
        _ = try state.register(subject: "s", schema: self.json("v2"), check: self.compatible)
        #expect(throws: RegistryError.versionNotSoftDeleted("s", 2)) { try state.deleteVersion(subject: "s", 2, permanent: true) }
        try state.deleteVersion(subject: "s", 2, permanent: false)
        #expect(throws: RegistryError.versionSoftDeleted("s", 2)) { try state.deleteVersion(subject: "s", 2, permanent: false) }
        #expect(try state.versions(subject: "s") == [1])
        #expect(try state.versions(subject: "s", includeDeleted: true) == [1, 2])
        #expect(try state.schema(id: 2).text == "v2", "a soft-deleted version's id still resolves")
        #expect(throws: RegistryError.versionNotFound("s", 2)) { try state.version(subject: "s", 2) }
        try state.deleteVersion(subject: "s", 2, permanent: true)
        #expect(throws: RegistryError.schemaNotFound(2)) { try state.schema(id: 2) }
        let next = try state.register(subject: "s", schema: self.json("v3"), check: self.compatible)
        #expect(next.version == 3, "version 2 is not reused")

        #expect(throws: RegistryError.subjectNotSoftDeleted("s")) { try state.deleteSubject("s", permanent: true) }
        #expect(try state.deleteSubject("s", permanent: false) == [1, 3])
        #expect(throws: RegistryError.subjectSoftDeleted("s")) { try state.deleteSubject("s", permanent: false) }
        #expect(throws: RegistryError.subjectNotFound("s")) { try state.versions(subject: "s") }
        #expect(state.subjectNames(includeDeleted: true) == ["s"] && state.subjectNames().isEmpty)
        #expect(try state.deleteSubject("s", permanent: true) == [1, 3])
        #expect(state.subjectNames(includeDeleted: true).isEmpty)
    }

    @Test("A referenced version cannot be deleted, and references must exist")
    func references() throws {
        var state = SchemaRegistryState()
        _ = try state.register(subject: "common", schema: RegisteredSchema(type: .protobuf, text: "message Money {}"), check: self.compatible)
        let order = RegisteredSchema(
            type: .protobuf, text: "import \"money.proto\"; message Order {}",
            references: [SchemaReference(name: "money.proto", subject: "common", version: 1)]
        )
        _ = try state.register(subject: "orders", schema: order, check: self.compatible)
        #expect(throws: RegistryError.referenceExists("common", 1)) { try state.deleteVersion(subject: "common", 1, permanent: false) }
        #expect(throws: RegistryError.referenceExists("common", 1)) { try state.deleteSubject("common", permanent: false) }
        let dangling = RegisteredSchema(type: .protobuf, text: "x", references: [SchemaReference(name: "n", subject: "nope", version: 1)])
        let error = #expect(throws: RegistryError.self) { try state.register(subject: "x", schema: dangling, check: self.compatible) }
        #expect(error?.code == 42201)
        // Once the referrer is gone (soft-deleted), the referenced version may go.
        _ = try state.deleteSubject("orders", permanent: false)
        try state.deleteVersion(subject: "common", 1, permanent: false)
    }

    @Test("READONLY refuses changes; IMPORT keeps the given id and version; ids continue above imported ones")
    func modes() throws {
        var state = SchemaRegistryState()
        state.globalMode = .readOnly
        #expect(throws: RegistryError.self) { try state.register(subject: "s", schema: self.json("v1"), check: self.compatible) }
        state.globalMode = .readWrite
        #expect(throws: RegistryError.self) {
            try state.register(subject: "s", schema: self.json("v1"), importing: (id: 7, version: 3), check: self.compatible)
        }
        state.setMode(.import, subject: "s")
        let imported = try state.register(subject: "s", schema: self.json("v1"), importing: (id: 7, version: 3), check: self.compatible)
        #expect((imported.id, imported.version) == (7, 3))
        #expect(throws: RegistryError.self) {
            try state.register(subject: "s", schema: self.json("other"), importing: (id: 7, version: 4), check: self.compatible)
        }
        state.setMode(nil, subject: "s")
        let next = try state.register(subject: "s", schema: self.json("v2"), check: self.compatible)
        #expect((next.id, next.version) == (8, 4))
    }

    @Test("Limits and bad input are refused with clear errors")
    func limits() {
        var state = SchemaRegistryState()
        let big = self.json(String(repeating: "x", count: SchemaRegistryState.maxSchemaBytes + 1))
        #expect(throws: RegistryError.self) { try state.register(subject: "s", schema: big, check: self.compatible) }
        #expect(throws: RegistryError.self) { try state.register(subject: "", schema: self.json("v"), check: self.compatible) }
        #expect(throws: RegistryError.invalidVersion(0)) { try state.version(subject: "s", 0) }
    }
}
