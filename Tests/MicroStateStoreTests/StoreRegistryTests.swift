import MicroStateSchema
import Testing

@testable import MicroStateStore

/// The schema registry as part of the store (ADR 0008): changes are log records, replayed and snapshotted.
@Suite("Store registry")
struct StoreRegistryTests {
    static let avro = RegisteredSchema(type: .avro, text: #"{"type":"record","name":"R","fields":[]}"#)
    static let avro2 = RegisteredSchema(type: .avro, text: #"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":0}]}"#)

    /// Runs one registry operation and waits for its completion.
    func update<Value: Sendable>(
        _ store: KVStore,
        _ decide: (inout SchemaRegistryState) throws(RegistryError) -> (Value, [RegistryChange])
    ) -> Result<Value, any Error> {
        let box = Box<Result<Value, any Error>>()
        store.updateRegistry(decide) { box.value = $0 }
        return box.wait()
    }

    func register(_ store: KVStore, _ subject: String, _ schema: RegisteredSchema) -> Result<Int, any Error> {
        self.update(store) { (state: inout SchemaRegistryState) throws(RegistryError) in
            let result = try state.registerChange(subject: subject, schema: schema) { _, _ in [] }
            return (result.id, result.change.map { [$0] } ?? [])
        }
    }

    /// A workload touching every change kind.
    func workload(_ store: KVStore) throws {
        _ = try self.register(store, "a", Self.avro).get()
        _ = try self.register(store, "a", Self.avro2).get()
        _ = try self.register(store, "b", Self.avro).get()
        _ = try self.update(store) { (state: inout SchemaRegistryState) throws(RegistryError) in
            ((), [try state.deleteVersionChange(subject: "a", 1, permanent: false)])
        }.get()
        _ = try self.update(store) { (state: inout SchemaRegistryState) throws(RegistryError) in
            let change = RegistryChange.setLevel(subject: "b", level: .full)
            state.apply(change)
            let global = RegistryChange.setMode(subject: nil, mode: .readWrite)
            state.apply(global)
            return ((), [change, global])
        }.get()
        _ = try self.update(store) { (state: inout SchemaRegistryState) throws(RegistryError) in
            ((), [try state.bindChange(SchemaBinding(subject: "b", target: .keyPrefix(b("orders/")), mode: .validate))])
        }.get()
        _ = try self.update(store) { (state: inout SchemaRegistryState) throws(RegistryError) in
            ((), [try state.bindChange(SchemaBinding(subject: "a", target: .streamPattern("order-*"), mode: .warn))])
        }.get()
        store.putNow("k", "v")
    }

    func summary(_ state: SchemaRegistryState) -> String {
        var lines: [String] = []
        for subject in state.subjectNames(includeDeleted: true) {
            for version in (try? state.versions(subject: subject, includeDeleted: true)) ?? [] {
                let live = (try? state.version(subject: subject, version)) != nil
                let found = try? state.version(subject: subject, version, includeDeleted: true)
                lines.append("\(subject) v\(version) id\(found?.id ?? 0) live=\(live)")
            }
        }
        lines.append("level b=\(state.level(for: "b").rawValue) next=\(state.nextID)")
        lines.append("bindings=\(state.listBindings().map { "\($0.target)->\($0.subject) \($0.mode.rawValue)" })")
        return lines.joined(separator: "\n")
    }

    @Test("Registry changes replay from the log into the same state")
    func replay() throws {
        let log = FakeLog()
        let store = KVStore.make(log: log)
        try self.workload(store)
        let original = self.summary(store.registryState())
        #expect(original.contains("a v1 id1 live=false"))
        #expect(original.contains("b v1 id1 live=true"))
        #expect(store.hasSchemaBindings)

        let recovered = KVStore.make(log: nil)
        for (offset, record) in log.records.enumerated() {
            try recovered.replay(record: record, index: UInt64(offset + 1))
        }
        #expect(self.summary(recovered.registryState()) == original)
        #expect(recovered.hasSchemaBindings)
        #expect(recovered.registryState().binding(forKey: b("orders/1"))?.subject == "b")
        #expect(recovered.registryState().binding(forStream: "order-7")?.subject == "a")
    }

    @Test("A snapshot carries the registry, and hard-deleted ids and versions stay retired after restore")
    func snapshot() throws {
        let log = FakeLog()
        let store = KVStore.make(log: log)
        try self.workload(store)
        // Hard-delete the only version of a third subject: its id must not be handed out again.
        let third = RegisteredSchema(type: .json, text: #"{"type":"string"}"#)
        let thirdID = try self.register(store, "c", third).get()
        _ = try self.update(store) { (state: inout SchemaRegistryState) throws(RegistryError) in
            ((), [try state.deleteVersionChange(subject: "c", 1, permanent: false)])
        }.get()
        _ = try self.update(store) { (state: inout SchemaRegistryState) throws(RegistryError) in
            ((), [try state.deleteVersionChange(subject: "c", 1, permanent: true)])
        }.get()
        try store.takeSnapshot()
        let snap = try #require(log.snapshots.last)
        let restored = KVStore.make(log: FakeLog())
        try restored.restore(snapshot: snap.bytes, index: snap.index)
        #expect(self.summary(restored.registryState()) == self.summary(store.registryState()))
        let again = try self.register(restored, "c", third).get()
        #expect(again > thirdID)
        #expect(try restored.registryState().version(subject: "c", nil).version == 2)
    }

    @Test("Reads see a registry change only once it is durable")
    func visibility() throws {
        let log = FakeLog(hold: true)
        let store = KVStore.make(log: log)
        let box = Box<Result<Int, any Error>>()
        store.updateRegistry({ (state: inout SchemaRegistryState) throws(RegistryError) in
            let result = try state.registerChange(subject: "s", schema: Self.avro) { _, _ in [] }
            return (result.id, [result.change!])
        }) { box.value = $0 }
        #expect(store.registryState().subjectNames().isEmpty)
        #expect(log.heldCount == 1)
        let counter = store.registryChangeCount
        log.release()
        #expect(try box.wait().get() == 1)
        #expect(store.registryState().subjectNames() == ["s"])
        #expect(store.registryChangeCount != counter)
    }

    @Test("A refused decision writes nothing and answers its error")
    func refused() throws {
        let log = FakeLog()
        let store = KVStore.make(log: log)
        let result = self.update(store) { (state: inout SchemaRegistryState) throws(RegistryError) -> ((), [RegistryChange]) in
            throw RegistryError.subjectNotFound("x")
        }
        #expect((result.error as? RegistryError)?.code == 40401)
        #expect(log.records.isEmpty)
        // Registering an equal schema again changes nothing and logs nothing.
        _ = try self.register(store, "s", Self.avro).get()
        _ = try self.register(store, "s", Self.avro).get()
        #expect(log.records.count == 1)
    }

    @Test("Every change kind round-trips through the record codec; a bad kind is a corrupt-record error")
    func codec() throws {
        let changes: [RegistryChange] = [
            .register(subject: "s", version: 3, id: 9, schema: RegisteredSchema(type: .protobuf, text: "syntax = \"proto3\";", references: [SchemaReference(name: "x.proto", subject: "x", version: 2)])),
            .deleteVersion(subject: "s", version: 2, permanent: true),
            .deleteSubject(subject: "s", permanent: false),
            .setLevel(subject: nil, level: .fullTransitive), .setLevel(subject: "s", level: nil),
            .setMode(subject: "s", mode: .import), .setMode(subject: nil, mode: nil),
            .bind(SchemaBinding(subject: "s", target: .keyPrefix([0, 255]), mode: .warn)),
            .unbind(.streamPattern("a*")),
            .counters(nextID: 12, lastVersions: ["s": 4, "t": 1]),
        ]
        let record = StoreRecord(revision: 5, timeMilliseconds: 1, operations: changes.map { .registry($0) })
        let bytes = record.encode()
        #expect(bytes[0] == StoreRecord.streamFormatVersion)
        let decoded = try bytes.withUnsafeBytes { raw throws(StoreError) in try StoreRecord.decode(raw, index: 1) }
        #expect(decoded == record)
        // Kind 99 where the first change's kind byte is.
        var bad = bytes
        let kindOffset = bytes.firstIndex(of: 9)! + 1
        bad[kindOffset] = 99
        let error = bad.withUnsafeBytes { raw in
            Result { () throws(StoreError) in try StoreRecord.decode(raw, index: 4) }
        }.error
        #expect(error?.message.contains("unknown kind 99") == true, "\(String(describing: error))")
    }

    func putNow(_ store: KVStore, _ key: String, _ value: String, schemaID: Int64) throws {
        let box = Box<Result<StorePutResult, StoreError>>()
        store.put(key: b(key), value: b(value), schemaID: schemaID) { box.value = $0 }
        _ = try box.wait().get()
    }

    @Test("A validated put records its schema id: reads answer it for the latest version; replay and snapshots keep it")
    func keySchemaIDs() throws {
        let log = FakeLog()
        let store = KVStore.make(log: log)
        try self.putNow(store, "a", "1", schemaID: 7)
        try self.putNow(store, "b", "1", schemaID: 8)
        try self.putNow(store, "c", "1", schemaID: 9)
        #expect(try store.get(key: b("a"))?.schemaID == 7)
        let older = try #require(try store.get(key: b("b"))).modRevision
        store.putNow("b", "2")  // not validated: no id
        #expect(try store.get(key: b("b"))?.schemaID == 0)
        #expect(try store.get(key: b("b"), revision: older)?.schemaID == 0)  // only the latest version keeps one
        _ = store.deleteNow("c")
        try self.putNow(store, "c", "2", schemaID: 0)
        #expect(try store.get(key: b("c"))?.schemaID == 0)
        // A Txn's puts carry the ids the service passed.
        var request = StoreTxnRequest(success: [.put(key: b("t"), value: b("x"), ttlMilliseconds: 0), .put(key: b("u"), value: b("y"), ttlMilliseconds: 0)])
        request.schemaIDs = [b("t"): 11]
        let box = Box<Result<StoreTxnResult, StoreError>>()
        store.txn(request) { box.value = $0 }
        _ = try box.wait().get()
        #expect(try store.range(prefix: b("")).kvs.map { "\(String(decoding: $0.key, as: UTF8.self))=\($0.schemaID)" } == ["a=7", "b=0", "c=0", "t=11", "u=0"])

        let replayed = KVStore.make(log: nil)
        for (offset, record) in log.records.enumerated() {
            try replayed.replay(record: record, index: UInt64(offset + 1))
        }
        #expect(try replayed.range(prefix: b("")).kvs.map(\.schemaID) == [7, 0, 0, 11, 0])

        try store.takeSnapshot()
        let snap = try #require(log.snapshots.last)
        let restored = KVStore.make(log: nil)
        try restored.restore(snapshot: snap.bytes, index: snap.index)
        #expect(try restored.range(prefix: b("")).kvs.map(\.schemaID) == [7, 0, 0, 11, 0])
    }
}
