import DequeModule
import MicroStateSchema

/// The schema registry inside the store (ADR 0008): every accepted change is a log record (tag 9), ordered with KV
/// writes and events by the global revision, replayed at recovery and carried by snapshots (format 4's registry
/// section). Decisions (compatibility checks, modes, references) are taken by the caller's `decide` function on a
/// copy of the latest state outside the store lock, since parsing schemas can take milliseconds; the result is
/// committed only if no other registry change came in between, else the decision is taken again.
extension KVStore {
    /// How many times a registry decision is retaken outside the lock before it is taken under it.
    static let registryOptimisticAttempts = 4

    /// The registry as reads see it: every change up to the durable revision.
    public func registryState() -> SchemaRegistryState {
        self.lock.lock()
        defer { self.unlockAndDrain() }
        return self.registryState(at: self.durable)
    }

    /// Whether any binding exists (latest state): lets the write path skip validation without a lock.
    public var hasSchemaBindings: Bool {
        self.registryHasBindings.load(ordering: .relaxed)
    }

    /// Changes whenever registry changes became durable (a cache key for validators built from `registryState()`).
    public var registryChangeCount: Int {
        self.registryChangeCounter.load(ordering: .acquiring)
    }

    /// Decides and commits one registry operation.
    ///
    /// `decide` runs on a copy of the latest state, mutates it, and answers the operation's result and the changes
    /// to log (none = nothing changed, e.g. a registration of a schema already there). It may run more than once and
    /// must not have side effects. The completion runs once the changes are durable (or, with none, once the
    /// state it read is durable), with the `RegistryError` `decide` threw, or a `StoreError`.
    public func updateRegistry<Value: Sendable>(
        _ decide: (inout SchemaRegistryState) throws(RegistryError) -> (Value, [RegistryChange]),
        completion: @escaping @Sendable (Result<Value, any Error>) -> Void
    ) {
        var attempt = 0
        while true {
            attempt += 1
            let underLock = attempt > Self.registryOptimisticAttempts
            self.lock.lock()
            if let error = self.writeRefusal() {
                self.unlockAndDrain()
                return completion(.failure(error))
            }
            let generation = self.registryGeneration
            var state = self.registryStates.last?.state ?? SchemaRegistryState()
            if !underLock {
                self.unlockAndDrain()
            }
            let decided: (Value, [RegistryChange])
            do {
                decided = try decide(&state)
            } catch {
                if underLock {
                    self.unlockAndDrain()
                }
                return completion(.failure(error))
            }
            if !underLock {
                self.lock.lock()
                if let error = self.writeRefusal() {
                    self.unlockAndDrain()
                    return completion(.failure(error))
                }
                if self.registryGeneration != generation {
                    self.unlockAndDrain()
                    continue
                }
            }
            self.commitRegistry(decided.1, state: state, result: decided.0, completion: completion)
            return
        }
    }

    /// Logs `changes` (lock held; unlocks) and completes once durable.
    private func commitRegistry<Value: Sendable>(
        _ changes: [RegistryChange],
        state: SchemaRegistryState,
        result: Value,
        completion: @escaping @Sendable (Result<Value, any Error>) -> Void
    ) {
        var deferred = Deferred()
        let counter = self.registryChangeCounter
        guard !changes.isEmpty else {
            // Nothing to log; answer once the state the decision read is durable, as a write would be.
            let waitFor = self.registryStates.last?.revision ?? 0
            if waitFor <= self.durable {
                self.unlockAndDrain()
                return completion(.success(result))
            }
            self.insertPending(.stream(revision: waitFor) { error in
                completion(error.map { .failure($0) } ?? .success(result))
            })
            self.unlockAndDrain()
            return
        }
        let now = self.clock.nowMilliseconds()
        self.revision += 1
        let revision = self.revision
        self.registryStates.append((revision, state))
        self.registryGeneration += 1
        self.registryHasBindings.store(!state.bindings.isEmpty, ordering: .relaxed)
        self.trimRegistryStates()
        self.commitStreamWrite(
            changes.map { .registry($0) },
            revision: revision,
            time: now,
            result: result,
            completion: { (outcome: Result<Value, StoreError>) in
                counter.wrappingIncrement(ordering: .releasing)
                completion(outcome.mapError { $0 as any Error })
            },
            deferred: &deferred
        )
    }

    // MARK: - Lock held

    /// The registry at `revision`: the last state made at or below it.
    func registryState(at revision: Int64) -> SchemaRegistryState {
        self.trimRegistryStates()
        var index = self.registryStates.count - 1
        while index >= 0 {
            if self.registryStates[index].revision <= revision {
                return self.registryStates[index].state
            }
            index -= 1
        }
        return SchemaRegistryState()
    }

    /// Drops states no read can ask for any more: those older than the newest state at or below both the durable
    /// revision and a snapshot in progress.
    func trimRegistryStates() {
        let floor = min(self.durable, self.snapshotPin ?? Int64.max)
        while self.registryStates.count >= 2 && self.registryStates[1].revision <= floor {
            self.registryStates.removeFirst()
        }
    }

    /// Applies replayed (or restored) changes made at `revision`.
    func applyRegistryChanges(_ changes: [RegistryChange], revision: Int64) {
        var state = self.registryStates.last?.state ?? SchemaRegistryState()
        for change in changes {
            state.apply(change)
        }
        if let last = self.registryStates.last, last.revision == revision {
            self.registryStates[self.registryStates.count - 1].state = state
        } else {
            self.registryStates.append((revision, state))
        }
        self.registryGeneration += 1
        self.registryHasBindings.store(!state.bindings.isEmpty, ordering: .relaxed)
        self.registryChangeCounter.wrappingIncrement(ordering: .releasing)
        self.trimRegistryStates()
    }

    // MARK: - Snapshot section (format 4)

    /// The registry section of a snapshot at `revision`:
    ///
    ///     count:varint change{count}                                   the changes that rebuild the state
    ///     keyCount:varint (key:bytes modRevision:varint schemaID:varint){keyCount}   validated keys' schema ids
    ///
    /// (`SchemaRegistryState.changesForSnapshot`). A key's id is carried when its entry is at or below `revision`
    /// (an entry a later put replaced while the snapshot was written is not: that key reads without an id after
    /// a restore from this snapshot alone, until it is written again).
    func snapshotRegistry(revision: Int64) -> [UInt8] {
        self.lock.lock()
        let state = self.registryState(at: revision)
        let keys = self.keySchemaIDs.filter { $0.value.revision <= revision }
        self.unlockAndDrain()
        let changes = state.changesForSnapshot()
        var writer = ByteWriter(capacity: 256 * changes.count + 32 * keys.count + 16)
        writer.varint(UInt64(changes.count))
        for change in changes {
            RegistryChangeCodec.encode(change, into: &writer)
        }
        writer.varint(UInt64(keys.count))
        for (key, entry) in keys.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            writer.bytes(key)
            writer.varint(UInt64(entry.revision))
            writer.varint(UInt64(entry.id))
        }
        return writer.buffer
    }

    /// Reads the registry section written by `snapshotRegistry` (lock held).
    func restoreRegistrySection(_ reader: inout ByteReader, revision: Int64, limit: Int) throws(StoreError) {
        let count = try reader.count(limit: limit)
        var changes: [RegistryChange] = []
        changes.reserveCapacity(count)
        for _ in 0..<count {
            changes.append(try RegistryChangeCodec.decode(&reader))
        }
        if !changes.isEmpty {
            self.applyRegistryChanges(changes, revision: revision)
        }
        let keyCount = try reader.count(limit: limit)
        for _ in 0..<keyCount {
            let offset = reader.offset
            let key = try reader.bytes()
            let modRevision = try reader.int64()
            let id = try reader.int64()
            guard modRevision <= revision, id > 0 else {
                throw StoreError.corrupt("snapshot has an invalid key schema id entry at byte \(offset)")
            }
            self.keySchemaIDs[key] = (modRevision, id)
        }
    }
}

/// The bytes of one `RegistryChange` in a log record or snapshot:
///
///     change = kind:u8 fields
///     1 register       subject:bytes version:varint id:varint schemaType:u8 (1 AVRO, 2 JSON, 3 PROTOBUF) text:bytes
///                      referenceCount:varint (name:bytes subject:bytes version:varint){referenceCount}
///     2 deleteVersion  subject:bytes version:varint permanent:u8
///     3 deleteSubject  subject:bytes permanent:u8
///     4 setLevel       hasSubject:u8 [subject:bytes] level:bytes ("" = removed)
///     5 setMode        hasSubject:u8 [subject:bytes] mode:bytes ("" = removed)
///     6 bind           targetKind:u8 (1 key prefix, 2 stream pattern) target:bytes subject:bytes mode:bytes
///     7 unbind         targetKind:u8 target:bytes
///     8 counters       nextID:varint count:varint (subject:bytes lastVersion:varint){count}
enum RegistryChangeCodec {
    static func encode(_ change: RegistryChange, into writer: inout ByteWriter) {
        switch change {
        case .register(let subject, let version, let id, let schema):
            writer.byte(1)
            writer.string(subject)
            writer.varint(UInt64(version))
            writer.varint(UInt64(id))
            writer.byte(Self.typeCode(schema.type))
            writer.string(schema.text)
            writer.varint(UInt64(schema.references.count))
            for reference in schema.references {
                writer.string(reference.name)
                writer.string(reference.subject)
                writer.varint(UInt64(reference.version))
            }
        case .deleteVersion(let subject, let version, let permanent):
            writer.byte(2)
            writer.string(subject)
            writer.varint(UInt64(version))
            writer.byte(permanent ? 1 : 0)
        case .deleteSubject(let subject, let permanent):
            writer.byte(3)
            writer.string(subject)
            writer.byte(permanent ? 1 : 0)
        case .setLevel(let subject, let level):
            writer.byte(4)
            Self.optionalSubject(subject, into: &writer)
            writer.string(level?.rawValue ?? "")
        case .setMode(let subject, let mode):
            writer.byte(5)
            Self.optionalSubject(subject, into: &writer)
            writer.string(mode?.rawValue ?? "")
        case .bind(let binding):
            writer.byte(6)
            Self.target(binding.target, into: &writer)
            writer.string(binding.subject)
            writer.string(binding.mode.rawValue)
        case .unbind(let target):
            writer.byte(7)
            Self.target(target, into: &writer)
        case .counters(let nextID, let lastVersions):
            writer.byte(8)
            writer.varint(UInt64(nextID))
            writer.varint(UInt64(lastVersions.count))
            for subject in lastVersions.keys.sorted() {
                writer.string(subject)
                writer.varint(UInt64(lastVersions[subject]!))
            }
        }
    }

    static func decode(_ reader: inout ByteReader) throws(StoreError) -> RegistryChange {
        let offset = reader.offset
        let kind = try reader.byte()
        func bad(_ what: String) -> StoreError {
            StoreError.corrupt("registry change at byte \(offset) has \(what)")
        }
        switch kind {
        case 1:
            let subject = try reader.string()
            let version = Int(try reader.int64())
            let id = Int(try reader.int64())
            let typeCode = try reader.byte()
            guard let type = Self.type(typeCode) else { throw bad("an unknown schema type \(typeCode)") }
            let text = try reader.string()
            let count = try reader.count(limit: 1 << 20)
            var references: [SchemaReference] = []
            for _ in 0..<count {
                let name = try reader.string()
                let referenced = try reader.string()
                references.append(SchemaReference(name: name, subject: referenced, version: Int(try reader.int64())))
            }
            guard version >= 1, id >= 1 else { throw bad("version \(version) or id \(id) below 1") }
            return .register(
                subject: subject,
                version: version,
                id: id,
                schema: RegisteredSchema(type: type, text: text, references: references)
            )
        case 2:
            let subject = try reader.string()
            let version = Int(try reader.int64())
            return .deleteVersion(subject: subject, version: version, permanent: try Self.flag(&reader, bad))
        case 3:
            let subject = try reader.string()
            return .deleteSubject(subject: subject, permanent: try Self.flag(&reader, bad))
        case 4:
            let subject = try Self.optionalSubject(&reader, bad)
            let text = try reader.string()
            guard text.isEmpty || CompatibilityLevel(rawValue: text) != nil else { throw bad("an unknown level \(text)") }
            return .setLevel(subject: subject, level: CompatibilityLevel(rawValue: text))
        case 5:
            let subject = try Self.optionalSubject(&reader, bad)
            let text = try reader.string()
            guard text.isEmpty || RegistryMode(rawValue: text) != nil else { throw bad("an unknown mode \(text)") }
            return .setMode(subject: subject, mode: RegistryMode(rawValue: text))
        case 6:
            let target = try Self.target(&reader, bad)
            let subject = try reader.string()
            let text = try reader.string()
            guard let mode = BindingMode(rawValue: text) else { throw bad("an unknown binding mode \(text)") }
            return .bind(SchemaBinding(subject: subject, target: target, mode: mode))
        case 7:
            return .unbind(try Self.target(&reader, bad))
        case 8:
            let nextID = Int(try reader.int64())
            let count = try reader.count(limit: 1 << 24)
            var lastVersions: [String: Int] = [:]
            for _ in 0..<count {
                let subject = try reader.string()
                lastVersions[subject] = Int(try reader.int64())
            }
            return .counters(nextID: nextID, lastVersions: lastVersions)
        default:
            throw bad("an unknown kind \(kind)")
        }
    }

    private static func typeCode(_ type: SchemaType) -> UInt8 {
        switch type {
        case .avro: return 1
        case .json: return 2
        case .protobuf: return 3
        }
    }

    private static func type(_ code: UInt8) -> SchemaType? {
        switch code {
        case 1: return .avro
        case 2: return .json
        case 3: return .protobuf
        default: return nil
        }
    }

    private static func flag(_ reader: inout ByteReader, _ bad: (String) -> StoreError) throws(StoreError) -> Bool {
        let value = try reader.byte()
        guard value <= 1 else { throw bad("a flag \(value)") }
        return value == 1
    }

    private static func optionalSubject(_ subject: String?, into writer: inout ByteWriter) {
        writer.byte(subject == nil ? 0 : 1)
        if let subject {
            writer.string(subject)
        }
    }

    private static func optionalSubject(
        _ reader: inout ByteReader,
        _ bad: (String) -> StoreError
    ) throws(StoreError) -> String? {
        try Self.flag(&reader, bad) ? try reader.string() : nil
    }

    private static func target(_ target: BindingTarget, into writer: inout ByteWriter) {
        switch target {
        case .keyPrefix(let prefix):
            writer.byte(1)
            writer.bytes(prefix)
        case .streamPattern(let pattern):
            writer.byte(2)
            writer.string(pattern)
        }
    }

    private static func target(_ reader: inout ByteReader, _ bad: (String) -> StoreError) throws(StoreError)
        -> BindingTarget
    {
        let kind = try reader.byte()
        switch kind {
        case 1: return .keyPrefix(try reader.bytes())
        case 2: return .streamPattern(try reader.string())
        default: throw bad("an unknown binding target kind \(kind)")
        }
    }
}
