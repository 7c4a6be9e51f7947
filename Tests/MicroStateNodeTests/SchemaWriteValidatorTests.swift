import Logging
import MicroStateRPC
import MicroStateSchema
@testable import MicroStateServices
import MicroStateStore
import Testing

/// Validation on write through `SchemaWriteValidator` over a real store and the registry engine.
@Suite("Schema write validator")
struct SchemaWriteValidatorTests {
    static let person = RegisteredSchema(
        type: .json,
        text: #"{"type":"object","properties":{"name":{"type":"string"},"address":{"type":"object","properties":{"zip":{"type":"string","pattern":"^[0-9]{5}$"}},"required":["zip"]}},"required":["name"]}"#
    )
    /// A later version: `age` added (optional, open model stays compatible backward).
    static let person2 = RegisteredSchema(
        type: .json,
        text: #"{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}"#
    )

    func setUp(mode: BindingMode = .validate) async throws -> (SchemaRegistryEngine, SchemaWriteValidator) {
        let store = KVStore(configuration: StoreConfiguration(), log: nil)
        let engine = SchemaRegistryEngine(store: store)
        _ = try await engine.register(subject: "people", schema: Self.person)
        try await engine.bind(SchemaBinding(subject: "people", target: .keyPrefix(Array("people/".utf8)), mode: mode))
        try await engine.bind(SchemaBinding(subject: "people", target: .streamPattern("person-*"), mode: mode))
        return (engine, SchemaWriteValidator(store: store, logger: Logger(label: "test")))
    }

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("A Put under a bound prefix is checked; the error names key, subject, version, id and path")
    func putChecked() async throws {
        let (_, validator) = try await self.setUp()
        #expect(validator.checkPut(key: self.bytes("people/1"), value: self.bytes(#"{"name":"Ada"}"#)) == nil)
        let error = try #require(
            validator.checkPut(key: self.bytes("people/2"), value: self.bytes(#"{"name":"Bob","address":{"zip":"12"}}"#))
        )
        #expect(error.code == .invalidArgument)
        #expect(error.message.contains("key 'people/2'"), "\(error.message)")
        #expect(error.message.contains("subject 'people' version 1 (id 1)"), "\(error.message)")
        #expect(error.message.contains("address.zip"), "\(error.message)")
        // Unbound keys are not checked at all.
        #expect(validator.checkPut(key: self.bytes("other/1"), value: self.bytes("not json")) == nil)
        #expect(validator.counts.valid == 1 && validator.counts.invalid == 1)
    }

    @Test("A Confluent-framed payload is checked against the version its id names; a foreign id is not framed")
    func framed() async throws {
        let (engine, validator) = try await self.setUp()
        try await engine.setLevel(CompatibilityLevel.none, subject: "people")
        let second = try await engine.register(subject: "people", schema: Self.person2)
        #expect(second.version == 2)
        let old = ConfluentWireFormat.encode(schemaID: 1, payload: self.bytes(#"{"name":"Ada"}"#))
        // Valid under version 1 (id 1) although version 2 requires age.
        #expect(validator.checkPut(key: self.bytes("people/1"), value: old) == nil)
        #expect(validator.checkPut(key: self.bytes("people/1"), value: self.bytes(#"{"name":"Ada"}"#)) != nil)
        let new = ConfluentWireFormat.encode(schemaID: Int32(second.id), payload: self.bytes(#"{"name":"Ada"}"#))
        let error = try #require(validator.checkPut(key: self.bytes("people/1"), value: new))
        #expect(error.message.contains("version 2"), "\(error.message)")
        #expect(error.message.contains("age"), "\(error.message)")
        // Id 99 is no version of the subject: the bytes are read unframed against the latest, and are not JSON.
        let foreign = ConfluentWireFormat.encode(schemaID: 99, payload: self.bytes(#"{"name":"Ada","age":3}"#))
        #expect(validator.checkPut(key: self.bytes("people/1"), value: foreign) != nil)
    }

    @Test("Appends to a matching stream are checked and checked events carry the schema id")
    func append() async throws {
        let (_, validator) = try await self.setUp()
        var events = [
            StoreEventData(id: "1", type: "Created", data: self.bytes(#"{"name":"Ada"}"#), metadata: ["k": "v"], contentType: "application/json")
        ]
        #expect(validator.checkAppend(stream: "person-7", events: &events) == nil)
        #expect(events[0].metadata == ["k": "v", SchemaWriteValidator.schemaIDMetadataKey: "1"])
        var bad = [
            events[0],
            StoreEventData(id: "2", type: "Renamed", data: self.bytes(#"{"name":5}"#), metadata: [:], contentType: ""),
        ]
        let error = try #require(validator.checkAppend(stream: "person-7", events: &bad))
        #expect(error.message.contains("event 1 (Renamed) of stream 'person-7'"), "\(error.message)")
        #expect(error.message.contains("name"), "\(error.message)")
        var elsewhere = [StoreEventData(id: "3", type: "x", data: self.bytes("nope"), metadata: [:], contentType: "")]
        #expect(validator.checkAppend(stream: "people", events: &elsewhere) == nil)
        #expect(elsewhere[0].metadata.isEmpty)
    }

    @Test("A WARN binding accepts an invalid write and counts it")
    func warn() async throws {
        let (_, validator) = try await self.setUp(mode: .warn)
        #expect(validator.checkPut(key: self.bytes("people/1"), value: self.bytes("{}")) == nil)
        #expect(validator.counts.warned == 1)
        #expect(validator.counts.invalid == 0)
    }

    @Test("Bindings made after the validator's first use apply to the next write")
    func cacheRefresh() async throws {
        let store = KVStore(configuration: StoreConfiguration(), log: nil)
        let engine = SchemaRegistryEngine(store: store)
        let validator = SchemaWriteValidator(store: store, logger: Logger(label: "test"))
        #expect(validator.checkPut(key: self.bytes("a/1"), value: self.bytes("x")) == nil)
        _ = try await engine.register(subject: "s", schema: Self.person)
        try await engine.bind(SchemaBinding(subject: "s", target: .keyPrefix(Array("a/".utf8)), mode: .validate))
        #expect(validator.checkPut(key: self.bytes("a/1"), value: self.bytes("x")) != nil)
        try await engine.unbind(.keyPrefix(Array("a/".utf8)))
        #expect(validator.checkPut(key: self.bytes("a/1"), value: self.bytes("x")) == nil)
    }
}

@Suite("Binding index")
struct BindingIndexTests {
    @Test("The write path's binding index answers exactly what the registry's scan answers")
    func agreesWithTheScan() throws {
        var generator = SplitMix(seed: 42)
        let alphabet: [UInt8] = Array("ab/*".utf8)
        func word(_ maxLength: Int) -> [UInt8] {
            (0..<Int.random(in: 1...maxLength, using: &generator)).map { _ in alphabet[Int.random(in: 0..<3, using: &generator)] }
        }
        var hashed = 0
        for _ in 0..<40 {
            var state = SchemaRegistryState()
            _ = try state.registerChange(subject: "s", schema: RegisteredSchema(type: .json, text: "{}")) { _, _ in [] }
            // Up to 60 bindings: both the scan (≤ BindingIndex.scanLimit) and the hashed path are exercised.
            for _ in 0..<Int.random(in: 0..<60, using: &generator) {
                let target: BindingTarget
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: target = .keyPrefix(word(5))
                case 1: target = .streamPattern(String(decoding: word(4), as: UTF8.self))
                default: target = .streamPattern(String(decoding: word(4), as: UTF8.self) + "*")
                }
                _ = try state.bindChange(SchemaBinding(subject: "s", target: target, mode: .validate))
            }
            let index = BindingIndex(state)
            let keyPrefixes = state.bindings.keys.filter { if case .keyPrefix = $0 { return true } else { return false } }
            if keyPrefixes.count > BindingIndex.scanLimit {
                hashed += 1
            }
            for _ in 0..<200 {
                let key = word(6)
                #expect(index.binding(forKey: key) == state.binding(forKey: key))
                let stream = String(decoding: word(6), as: UTF8.self)
                #expect(index.binding(forStream: stream) == state.binding(forStream: stream))
            }
        }
        #expect(hashed > 0, "no case had more key prefixes than the scan limit")
    }
}

/// A seeded generator, so a failure reproduces.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { self.state = seed }
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
