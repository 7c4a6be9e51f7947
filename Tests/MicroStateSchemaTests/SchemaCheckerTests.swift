import Testing

@testable import MicroStateSchema

@Suite("Schema checker: registry state with real compatibility checks for each type")
struct SchemaCheckerTests {
    private let checker = SchemaChecker()

    /// Registers `texts` in order under one subject with the checker; returns each outcome.
    private func register(
        _ type: SchemaType, _ texts: [String], level: CompatibilityLevel = .backward,
        references: [[SchemaReference]] = []
    ) -> (state: SchemaRegistryState, outcomes: [Result<Int, RegistryError>]) {
        var state = SchemaRegistryState()
        state.setLevel(level, subject: "s")
        var outcomes: [Result<Int, RegistryError>] = []
        for (index, text) in texts.enumerated() {
            let schema = RegisteredSchema(type: type, text: text, references: index < references.count ? references[index] : [])
            let snapshot = state
            do {
                let result = try state.register(subject: "s", schema: schema) { (new, against) throws(RegistryError) in
                    try self.checker.check(new, against: against, level: snapshot.level(for: "s")) { reference in
                        try? snapshot.version(subject: reference.subject, reference.version).schema
                    }
                }
                outcomes.append(.success(result.version))
            } catch {
                outcomes.append(.failure(error))
            }
        }
        return (state, outcomes)
    }

    @Test("JSON Schema: an optional property added to a closed model passes BACKWARD; a narrowed type is 409 naming rule and path")
    func json() {
        // Closed content models: an optional property added is compatible (Confluent strict mode; adding one to an
        // open model is not, since old data may have held anything under that name).
        let v1 = #"{"type":"object","additionalProperties":false,"properties":{"id":{"type":"string"},"age":{"type":["integer","null"]}}}"#
        let v2 = #"{"type":"object","additionalProperties":false,"properties":{"id":{"type":"string"},"age":{"type":["integer","null"]},"email":{"type":"string"}}}"#
        let v3 = #"{"type":"object","additionalProperties":false,"properties":{"id":{"type":"string"},"age":{"type":"integer"},"email":{"type":"string"}}}"#
        let (_, outcomes) = self.register(.json, [v1, v2, v3])
        #expect((try? outcomes[0].get()) == 1 && (try? outcomes[1].get()) == 2)
        guard case .failure(let error) = outcomes[2] else {
            Issue.record("narrowing accepted")
            return
        }
        #expect(error.code == 409 && error.message.contains("TYPE_NARROWED") && error.message.contains("properties.age"))
    }

    @Test("Avro: a new field with a default passes BACKWARD; one without a default does not")
    func avro() {
        let v1 = #"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}"#
        let v2 = #"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"qty","type":"int","default":1}]}"#
        let v3 = #"{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"qty","type":"int","default":1},{"name":"sku","type":"string"}]}"#
        let (_, outcomes) = self.register(.avro, [v1, v2, v3])
        #expect((try? outcomes[1].get()) == 2)
        guard case .failure(let error) = outcomes[2] else {
            Issue.record("a field without default accepted")
            return
        }
        #expect(error.code == 409 && error.message.contains("READER_FIELD_MISSING_DEFAULT_VALUE"))
    }

    @Test("Protobuf: a deleted field number reused later is refused even though each step alone looks fine to Confluent")
    func protobufNumberReuse() {
        let v1 = "syntax = \"proto3\"; message Customer { string name = 1; string email = 5; }"
        let v2 = "syntax = \"proto3\"; message Customer { string name = 1; }"
        let v3 = "syntax = \"proto3\"; message Customer { string name = 1; int64 phone = 5; }"
        let (_, outcomes) = self.register(.protobuf, [v1, v2, v3], level: .backwardTransitive)
        #expect((try? outcomes[1].get()) == 2)
        guard case .failure(let error) = outcomes[2] else {
            Issue.record("number reuse accepted")
            return
        }
        #expect(error.code == 409 && error.message.contains("FIELD_NUMBER_NOT_REUSED"))
    }

    @Test("Protobuf references resolve through the registry, transitively")
    func protobufReferences() throws {
        var state = SchemaRegistryState()
        let compatible: (RegisteredSchema, [RegisteredSchema]) throws(RegistryError) -> [CompatibilityMessage] = { _, _ in [] }
        _ = try state.register(subject: "money", schema: RegisteredSchema(type: .protobuf, text: "syntax = \"proto3\"; package shop; message Money { int64 cents = 1; }"), check: compatible)
        _ = try state.register(subject: "line", schema: RegisteredSchema(
            type: .protobuf, text: "syntax = \"proto3\"; package shop; import \"money.proto\"; message Line { Money price = 1; }",
            references: [SchemaReference(name: "money.proto", subject: "money", version: 1)]
        ), check: compatible)
        let order = RegisteredSchema(
            type: .protobuf, text: "syntax = \"proto3\"; package shop; import \"line.proto\"; message Order { repeated Line lines = 1; }",
            references: [SchemaReference(name: "line.proto", subject: "line", version: 1)]
        )
        let resolve = { (reference: SchemaReference) in try? state.version(subject: reference.subject, reference.version).schema }
        try self.checker.validate(order, resolve: resolve)
        let broken = RegisteredSchema(type: .protobuf, text: order.text)  // no references: Line is unknown
        #expect(throws: RegistryError.self) { try self.checker.validate(broken, resolve: resolve) }
    }

    @Test("A schema that does not parse is 42201 naming the schema type", arguments: [
        (SchemaType.json, "{\"type\": 5}"), (.avro, "{\"type\": \"recrd\"}"), (.protobuf, "message { }"),
    ])
    func invalid(type: SchemaType, text: String) {
        let error = #expect(throws: RegistryError.self) {
            try self.checker.validate(RegisteredSchema(type: type, text: text)) { _ in nil }
        }
        #expect(error?.code == 42201)
    }
}
