// `microstatedb-bench schema-registry`: registry throughput through `SchemaRegistryEngine`, the path every adapter
// (gRPC, REST, mirror) takes — registrations (each a compatibility check against the subject's latest version, one
// log record and a wait until durable) on a store with a real WAL (`--durability os`), and lookups by id, by
// subject latest and by content (Confluent's POST /subjects/{s}).
import Dispatch
import Foundation
import Logging
import MicroStateLog
import MicroStateSchema
import MicroStateServices
import MicroStateStore

/// An Avro record of `fields` optional int fields (each with a default): version n of a subject adds field n, so
/// every registration is BACKWARD compatible and takes a new version.
func benchAvroSchema(subject: Int, fields: Int) -> RegisteredSchema {
    let list = (0..<fields).map { #"{"name":"f\#($0)","type":"int","default":0}"# }.joined(separator: ",")
    return RegisteredSchema(type: .avro, text: #"{"type":"record","name":"R\#(subject)","fields":[\#(list)]}"#)
}

/// Runs an async body to completion from synchronous code.
func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = LockedResult<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.set(.success(try await body())) } catch { box.set(.failure(error)) }
        done.signal()
    }
    done.wait()
    return try box.get()
}

final class LockedResult<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?
    func set(_ value: Result<T, any Error>) { self.lock.withLock { self.result = value } }
    func get() throws -> T { try self.lock.withLock { self.result! }.get() }
}

func schemaRegistryFigures() throws {
    let directory = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let (store, wal, _) = try openStore(directory: directory, durability: .os, compactAfter: 0)
    defer { wal.close() }
    let engine = SchemaRegistryEngine(store: store)
    let subjects = 200
    let versions = 10
    // 16 registrations in flight (different subjects), as several services registering at once.
    let registerSeconds = try seconds {
        try blocking {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for lane in 0..<16 {
                    group.addTask {
                        for subject in stride(from: lane, to: subjects, by: 16) {
                            for version in 1...versions {
                                _ = try await engine.register(
                                    subject: "subject-\(subject)",
                                    schema: benchAvroSchema(subject: subject, fields: version)
                                )
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }
    let registrations = subjects * versions
    line(
        "schema Register (Avro, 16 in flight, WAL os)",
        String(format: "%.0f registrations/s (%d in %.2f s)", Double(registrations) / registerSeconds, registrations, registerSeconds)
    )

    let ids = (0..<100_000).map { _ in Int.random(in: 1...registrations) }
    var found = 0
    let byIDSeconds = seconds {
        for id in ids where (try? engine.schema(id: id)) != nil {
            found += 1
        }
    }
    precondition(found == ids.count, "every id resolves")
    line("schema GetSchema by id", String(format: "%.0f lookups/s", Double(ids.count) / byIDSeconds))

    let names = (0..<100_000).map { _ in "subject-\(Int.random(in: 0..<subjects))" }
    let latestSeconds = seconds {
        for name in names {
            precondition((try? engine.version(subject: name, nil))?.version == versions)
        }
    }
    line("schema GetVersion latest", String(format: "%.0f lookups/s", Double(names.count) / latestSeconds))

    let probes = (0..<10_000).map { _ -> (String, RegisteredSchema) in
        let subject = Int.random(in: 0..<subjects)
        return ("subject-\(subject)", benchAvroSchema(subject: subject, fields: Int.random(in: 1...versions)))
    }
    let contentSeconds = try seconds {
        for (subject, schema) in probes {
            _ = try engine.lookup(subject: subject, schema: schema)
        }
    }
    line("schema lookup by content", String(format: "%.0f lookups/s", Double(probes.count) / contentSeconds))
    try schemaWriteOverheadFigures()
}

/// What validation adds to a Put in the node: `SchemaWriteValidator.checkPut` as KVService calls it (binding
/// lookup, cached compiled validator, the check, the counters) for the `schema-validation` payloads (the Protobuf
/// one Confluent-framed), and for a key no binding covers.
func schemaWriteOverheadFigures() throws {
    let store = KVStore(configuration: StoreConfiguration(compactAfterRecords: 0), log: nil)
    let engine = SchemaRegistryEngine(store: store)
    let validator = SchemaWriteValidator(store: store, logger: Logger(label: "bench"))
    let iterations = Int(ProcessInfo.processInfo.environment["BENCH_VALIDATIONS"] ?? "") ?? 100_000
    let unboundKey = Array("free/1".utf8)
    let nothingBound = medianMicroseconds(rounds: 5, iterations: iterations) {
        validator.checkPut(key: unboundKey, value: unboundKey) == nil
    }
    line("Put validation overhead, nothing bound", String(format: "%.3f µs", nothingBound))
    let protoID = try blocking {
        _ = try await engine.register(subject: "json", schema: RegisteredSchema(type: .json, text: schemaValidationJSONSchema))
        let proto = try await engine.register(subject: "proto", schema: RegisteredSchema(type: .protobuf, text: schemaValidationProto))
        try await engine.bind(SchemaBinding(subject: "json", target: .keyPrefix(Array("json/".utf8)), mode: .validate))
        try await engine.bind(SchemaBinding(subject: "proto", target: .keyPrefix(Array("proto/".utf8)), mode: .validate))
        return proto.id
    }
    let document = Array(schemaValidationJSONDocument.utf8)
    let jsonKey = Array("json/customer-1".utf8)
    let json = medianMicroseconds(rounds: 5, iterations: iterations) {
        validator.checkPut(key: jsonKey, value: document) == nil
    }
    line("Put validation overhead, JSON \(document.count) B", String(format: "%.2f µs", json), "≤ 10 µs")
    // Confluent-framed as a Kafka producer writes it: bench.Customer is the file's second message (indexes [1]).
    let payload = ConfluentWireFormat.encode(
        schemaID: Int32(protoID), messageIndexes: [1], payload: schemaValidationProtobufPayload())
    let protoKey = Array("proto/customer-1".utf8)
    let proto = medianMicroseconds(rounds: 5, iterations: iterations) {
        validator.checkPut(key: protoKey, value: payload) == nil
    }
    line("Put validation overhead, Protobuf \(payload.count) B", String(format: "%.2f µs", proto), "≤ 5 µs")
    let unbound = medianMicroseconds(rounds: 5, iterations: iterations) {
        validator.checkPut(key: unboundKey, value: unboundKey) == nil
    }
    line("Put validation overhead, key not bound", String(format: "%.3f µs", unbound))
}
