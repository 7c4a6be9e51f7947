import Testing

@testable import MicroStateSchema

private let country = #"{"type":"enum","name":"Country","namespace":"com.acme","symbols":["FR","DE"]}"#
private let address =
    #"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"street","type":"string"},{"name":"zip","type":"int"}]}"#
private let addressWithCountry =
    #"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"street","type":"string"},{"name":"zip","type":"int"},{"name":"country","type":"Country"}]}"#
private let customer =
    #"{"type":"record","name":"Customer","namespace":"com.shop","fields":[{"name":"name","type":"string"},{"name":"address","type":"com.acme.Address"}]}"#
private let customerInline =
    #"{"type":"record","name":"Customer","namespace":"com.shop","fields":[{"name":"name","type":"string"},{"name":"address","type":{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"street","type":"string"},{"name":"zip","type":"int"}]}}]}"#

/// `{name: "Al", address: {street: "X", zip: 5}}` in Avro binary.
private let validCustomer: [UInt8] = [0x04, 0x41, 0x6C, 0x02, 0x58, 0x0A]

@Suite("Avro references: named types from other subjects, as Confluent resolves them")
struct AvroReferencesTests {
    private let checker = SchemaChecker()

    /// Registers through `SchemaRegistryState.register` with the checker, resolving references from the state as
    /// `SchemaRegistryEngine.register` does.
    @discardableResult
    private func register(
        _ state: inout SchemaRegistryState, _ subject: String, _ text: String, _ references: [SchemaReference] = []
    ) throws(RegistryError) -> Int {
        let snapshot = state
        let schema = RegisteredSchema(type: .avro, text: text, references: references)
        let result = try state.register(subject: subject, schema: schema) { (new, against) throws(RegistryError) in
            try self.checker.check(new, against: against, level: snapshot.level(for: subject)) { reference in
                try? snapshot.version(subject: reference.subject, reference.version, includeDeleted: true).schema
            }
        }
        return result.version
    }

    private func resolver(_ state: SchemaRegistryState) -> (SchemaReference) -> RegisteredSchema? {
        { reference in try? state.version(subject: reference.subject, reference.version).schema }
    }

    private static func addressRef(_ version: Int = 1) -> SchemaReference {
        SchemaReference(name: "com.acme.Address", subject: "address", version: version)
    }

    @Test("A record using com.acme.Address from another subject registers, and parses as if Address were inline")
    func registers() throws {
        var state = SchemaRegistryState()
        try self.register(&state, "address", address)
        #expect(try self.register(&state, "customer", customer, [Self.addressRef()]) == 1)
        // Without the reference the name is unknown.
        #expect(throws: RegistryError.self) { try self.register(&state, "other", customer) }
        // The same schema as an inline definition: same canonical form, hence fingerprint.
        let referenced = try AvroSchema(parsing: customer, referencing: [AvroSchema(parsing: address)])
        let inline = try AvroSchema(parsing: customerInline)
        #expect(referenced.canonicalForm == inline.canonicalForm)
        #expect(referenced.fingerprint == inline.fingerprint)
        #expect(referenced.namedTypes == inline.namedTypes)
    }

    @Test("Without the reference, or with one to a missing version, the schema is 42201 naming the problem")
    func missing() throws {
        var state = SchemaRegistryState()
        try self.register(&state, "address", address)
        do {
            try self.register(&state, "customer", customer)
            Issue.record("a schema using an unknown name was accepted")
        } catch {
            #expect(error.code == 42201 && error.message.contains("com.acme.Address"), "\(error)")
        }
        // The checker on its own (the state refuses a missing version before calling it).
        let missing = RegisteredSchema(
            type: .avro, text: customer, references: [Self.addressRef(7)])
        do {
            try self.checker.validate(missing, resolve: self.resolver(state))
            Issue.record("a missing reference was accepted")
        } catch {
            #expect(
                error.code == 42201 && error.message.contains("reference com.acme.Address to address version 7"),
                "\(error)")
        }
        #expect(throws: RegistryError.self) {
            _ = try PayloadValidator(schema: missing, resolve: self.resolver(state))
        }
    }

    @Test("References are transitive: Customer sees Address, which sees Country; a redefinition is refused")
    func transitive() throws {
        var state = SchemaRegistryState()
        try self.register(&state, "country", country)
        let countryRef = SchemaReference(name: "com.acme.Country", subject: "country", version: 1)
        try self.register(&state, "address", addressWithCountry, [countryRef])
        // Address without its own reference does not parse.
        #expect(throws: RegistryError.self) { try self.register(&state, "address2", addressWithCountry) }
        try self.register(&state, "customer", customer, [Self.addressRef()])
        // A name reached only through a reference's reference is known too (as in Confluent).
        let direct =
            #"{"type":"record","name":"Where","fields":[{"name":"at","type":"com.acme.Address"},{"name":"c","type":"com.acme.Country"}]}"#
        try self.register(&state, "where", direct, [Self.addressRef()])
        // Both Address and Country referenced directly too: each parsed once, no conflict.
        try self.register(&state, "where2", direct, [Self.addressRef(), countryRef])
        // Redefining a referenced name is refused.
        let redefining =
            #"{"type":"record","name":"X","fields":[{"name":"a","type":"com.acme.Address"},{"name":"b","type":{"type":"enum","name":"com.acme.Country","symbols":["US"]}}]}"#
        do {
            try self.register(&state, "x", redefining, [Self.addressRef()])
            Issue.record("a redefinition of a referenced type was accepted")
        } catch {
            #expect(error.code == 42201 && error.message.contains("com.acme.Country"), "\(error)")
        }
    }

    @Test("A reference cycle is 42201, not a hang")
    func cycle() throws {
        let a = RegisteredSchema(
            type: .avro, text: address, references: [SchemaReference(name: "b", subject: "b", version: 1)])
        let b = RegisteredSchema(
            type: .avro, text: country, references: [SchemaReference(name: "a", subject: "a", version: 1)])
        let resolve = { (reference: SchemaReference) in reference.subject == "a" ? a : b }
        do {
            let root = RegisteredSchema(
                type: .avro, text: customer, references: [SchemaReference(name: "a", subject: "a", version: 1)])
            try self.checker.validate(root, resolve: resolve)
            Issue.record("a cycle was accepted")
        } catch {
            #expect(error.code == 42201 && error.message.contains("cycle"), "\(error)")
        }
    }

    @Test("A field without default added to the referenced Address breaks BACKWARD for the referencing subject")
    func compatibility() throws {
        var state = SchemaRegistryState()
        state.setLevel(CompatibilityLevel.none, subject: "address")
        try self.register(&state, "address", address)
        let addressV2 =
            #"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"street","type":"string"},{"name":"zip","type":"int"},{"name":"floor","type":"int"}]}"#
        #expect(try self.register(&state, "address", addressV2) == 2)
        try self.register(&state, "customer", customer, [Self.addressRef(1)])
        do {
            try self.register(&state, "customer", customer, [Self.addressRef(2)])
            Issue.record("an incompatible referenced type was accepted")
        } catch {
            #expect(error.code == 409, "\(error)")
            #expect(error.message.contains("READER_FIELD_MISSING_DEFAULT_VALUE"), "\(error)")
            #expect(error.message.contains("floor"), "\(error)")
        }
        // With a default, the new version is compatible.
        let addressV3 =
            #"{"type":"record","name":"Address","namespace":"com.acme","fields":[{"name":"street","type":"string"},{"name":"zip","type":"int"},{"name":"floor","type":"int","default":0}]}"#
        let v3 = try self.register(&state, "address", addressV3)
        #expect(v3 == 3)
        let customerV2 = try self.register(&state, "customer", customer, [Self.addressRef(3)])
        #expect(customerV2 == 2)
    }

    @Test("Avro binary whose nested record comes from a reference validates; a bad nested value names its path")
    func payload() throws {
        var state = SchemaRegistryState()
        try self.register(&state, "address", address)
        try self.register(&state, "customer", customer, [Self.addressRef()])
        let schema = try state.version(subject: "customer", 1).schema
        let validator = try PayloadValidator(schema: schema, resolve: self.resolver(state))
        #expect(validator.validate(validCustomer) == nil)
        // zip missing: the datum ends inside the referenced record.
        let truncated = validator.validate(Array(validCustomer.dropLast()))
        #expect(truncated?.path == "record Customer field address record Address field zip", "\(String(describing: truncated))")
        // street length 63 runs past the end.
        var badStreet = validCustomer
        badStreet[3] = 0x7E
        let violation = validator.validate(badStreet)
        #expect(violation?.path == "record Customer field address record Address field street", "\(String(describing: violation))")
    }
}
