import MicroStateSchema
import MicroStateStore
import NIOConcurrencyHelpers

/// Sends a registration to another registry first (issue #5, `--upstream-registry-forward`): the node then keeps
/// the upstream's id and version. Implemented by the upstream mirror (MicroStateNode).
public protocol RegistrationForwarder: Sendable {
    /// Registers `schema` under `subject` upstream, then locally with the upstream's id and version (IMPORT mode);
    /// answers them. Throws `RegistryError` (the upstream's own error, or 50003 when it cannot be reached).
    func forward(subject: String, schema: RegisteredSchema, normalize: Bool) async throws -> (id: Int, version: Int)
}

/// The schema registry's operations over the store (ADR 0008), shared by the gRPC service, the Confluent REST
/// façade, the upstream mirror and the CLI, so they cannot disagree: every rule is here or in
/// `SchemaRegistryState`; adapters only translate.
///
/// Reads see the registry at the durable revision; writes decide against the latest state and return once their
/// change is durable. Errors are `RegistryError` (Confluent's codes) or `StoreError` (the node cannot write).
public final class SchemaRegistryEngine: Sendable {
    public let store: KVStore
    public let checker: SchemaChecker
    private let forwarder = NIOLockedValueBox<(any RegistrationForwarder)?>(nil)

    public init(store: KVStore, checker: SchemaChecker = SchemaChecker()) {
        self.store = store
        self.checker = checker
    }

    /// When set, `register` without `importing` goes through it (forwarding to an upstream registry) instead of
    /// deciding locally. Reads, lookups and compatibility checks never use it.
    ///
    /// - Important: set it once at startup, before the registry is served.
    public var registrationForwarder: (any RegistrationForwarder)? {
        get { self.forwarder.withLockedValue { $0 } }
        set { self.forwarder.withLockedValue { $0 = newValue } }
    }

    /// The registry as reads see it.
    public var state: SchemaRegistryState { self.store.registryState() }

    // MARK: - Writes

    /// Registers `schema` under `subject` (or answers the existing id and version of an equal live schema).
    /// `importing` (IMPORT mode only) keeps another registry's id and version. `normalize` rewrites JSON-text
    /// schemas (AVRO, JSON) to their compact sorted-key form first, so texts that differ only in layout share an id.
    public func register(
        subject: String,
        schema: RegisteredSchema,
        importing: (id: Int, version: Int)? = nil,
        normalize: Bool = false
    ) async throws -> (id: Int, version: Int) {
        if importing == nil, let forwarder = self.registrationForwarder {
            return try await forwarder.forward(subject: subject, schema: schema, normalize: normalize)
        }
        let checker = self.checker
        let prepared = try Self.prepare(schema, normalize: normalize)
        return try await self.update { (state: inout SchemaRegistryState) throws(RegistryError) in
            let resolved = try Self.resolveLatestReferences(prepared, in: state)
            let snapshot = state
            let level = state.level(for: subject)
            let history = Self.history(of: subject, in: snapshot)
            let result = try state.registerChange(subject: subject, schema: resolved, importing: importing) {
                (new, against) throws(RegistryError) in
                var problems = try checker.check(new, against: against, level: level) { Self.resolve($0, in: snapshot) }
                for problem in try checker.historyProblems(new, history: history, level: level, resolve: { Self.resolve($0, in: snapshot) })
                where !problems.contains(problem) {
                    problems.append(problem)
                }
                return problems
            }
            return ((result.id, result.version), result.change.map { [$0] } ?? [])
        }
    }

    /// Sets (or with nil removes) the level of `subject`, or the global level when `subject` is nil; answers the
    /// level now in force.
    @discardableResult
    public func setLevel(_ level: CompatibilityLevel?, subject: String?) async throws -> CompatibilityLevel {
        try await self.update { (state: inout SchemaRegistryState) throws(RegistryError) in
            let change = RegistryChange.setLevel(subject: subject, level: level)
            state.apply(change)
            return (subject.map { state.level(for: $0) } ?? state.globalLevel, [change])
        }
    }

    /// Sets (or with nil removes) the mode of `subject`, or the registry's when `subject` is nil. Confluent refuses
    /// IMPORT on a registry or subject that already holds schemas unless `force`.
    @discardableResult
    public func setMode(_ mode: RegistryMode?, subject: String?, force: Bool = false) async throws -> RegistryMode {
        try await self.update { (state: inout SchemaRegistryState) throws(RegistryError) in
            if mode == .import && !force {
                let populated = subject.map { (try? state.versions(subject: $0, includeDeleted: true)) != nil }
                    ?? !state.subjectNames(includeDeleted: true).isEmpty
                if populated {
                    throw .operationNotPermitted(
                        "cannot import since found existing subjects; set force=true to switch to IMPORT anyway"
                    )
                }
            }
            let change = RegistryChange.setMode(subject: subject, mode: mode)
            state.apply(change)
            return (subject.map { state.mode(for: $0) } ?? state.globalMode, [change])
        }
    }

    /// Soft- or (`permanent`) hard-deletes every version of `subject`; answers the versions deleted.
    public func deleteSubject(_ subject: String, permanent: Bool) async throws -> [Int] {
        try await self.update { (state: inout SchemaRegistryState) throws(RegistryError) in
            let result = try state.deleteSubjectChange(subject, permanent: permanent)
            return (result.versions, [result.change])
        }
    }

    /// Soft- or (`permanent`) hard-deletes one version (nil = the latest live one); answers its number.
    public func deleteVersion(subject: String, version: Int?, permanent: Bool) async throws -> Int {
        try await self.update { (state: inout SchemaRegistryState) throws(RegistryError) in
            let number: Int
            if let version {
                number = version
            } else {
                number = try state.version(subject: subject, nil).version
            }
            let change = try state.deleteVersionChange(subject: subject, number, permanent: permanent)
            return (number, [change])
        }
    }

    /// Binds a subject to a target (replacing the target's binding).
    public func bind(_ binding: SchemaBinding) async throws {
        try await self.update { (state: inout SchemaRegistryState) throws(RegistryError) in
            ((), [try state.bindChange(binding)])
        }
    }

    /// Removes the binding of `target`.
    public func unbind(_ target: BindingTarget) async throws {
        try await self.update { (state: inout SchemaRegistryState) throws(RegistryError) in
            ((), [try state.unbindChange(target)])
        }
    }

    // MARK: - Reads

    /// The schema with `id`.
    public func schema(id: Int) throws(RegistryError) -> RegisteredSchema {
        try self.state.schema(id: id)
    }

    /// `version` of `subject` (nil = latest).
    public func version(
        subject: String,
        _ version: Int?,
        includeDeleted: Bool = false
    ) throws(RegistryError) -> (version: Int, id: Int, schema: RegisteredSchema) {
        try self.state.version(subject: subject, version, includeDeleted: includeDeleted)
    }

    /// Subject names (sorted), optionally only those starting with `prefix`.
    public func subjects(includeDeleted: Bool = false, prefix: String = "") -> [String] {
        self.state.subjectNames(includeDeleted: includeDeleted).filter { $0.hasPrefix(prefix) }
    }

    /// Version numbers of `subject`, ascending.
    public func versions(subject: String, includeDeleted: Bool = false) throws(RegistryError) -> [Int] {
        try self.state.versions(subject: subject, includeDeleted: includeDeleted)
    }

    /// Every (subject, version) using schema `id`; soft-deleted versions only with `includeDeleted`.
    public func subjectVersions(id: Int, includeDeleted: Bool = false) throws(RegistryError) -> [(subject: String, version: Int)] {
        let state = self.state
        _ = try state.schema(id: id)
        return state.subjectVersions(id: id).filter { pair in
            includeDeleted || (try? state.version(subject: pair.subject, pair.version)) != nil
        }
    }

    /// Confluent's lookup (`POST /subjects/{subject}`): the version of `subject` holding `schema`.
    public func lookup(
        subject: String,
        schema: RegisteredSchema,
        normalize: Bool = false,
        includeDeleted: Bool = false
    ) throws -> (version: Int, id: Int, schema: RegisteredSchema) {
        let state = self.state
        let wanted = try Self.resolveLatestReferences(try Self.prepare(schema, normalize: normalize), in: state)
        let versions = try state.versions(subject: subject, includeDeleted: includeDeleted)
        for number in versions.reversed() {
            let found = try state.version(subject: subject, number, includeDeleted: includeDeleted)
            if found.schema == wanted {
                return found
            }
        }
        throw RegistryError(code: 40403, message: "Schema not found.")
    }

    /// Incompatibilities of `schema` for `subject`: against one version, the latest, every live one, or (`against`
    /// nil) those the subject's level selects. Registers nothing; an unknown subject is compatible.
    public enum Against: Sendable, Hashable {
        case version(Int)
        case latest
        case all
    }

    public func checkCompatibility(
        subject: String,
        schema: RegisteredSchema,
        against: Against? = nil,
        normalize: Bool = false
    ) throws -> [CompatibilityMessage] {
        let state = self.state
        let candidate = try Self.resolveLatestReferences(try Self.prepare(schema, normalize: normalize), in: state)
        let level = state.level(for: subject)
        guard let live = try? state.versions(subject: subject) else {
            if case .version(let number) = against {
                _ = number
                throw RegistryError.subjectNotFound(subject)
            }
            try self.checker.validate(candidate) { Self.resolve($0, in: state) }
            return []
        }
        let numbers: [Int]
        switch against {
        case .version(let number):
            numbers = [try state.version(subject: subject, number).version]
        case .latest:
            numbers = live.suffix(1)
        case .all:
            numbers = live
        case nil:
            numbers = level.isTransitive ? live : Array(live.suffix(1))
        }
        var previous: [RegisteredSchema] = []
        for number in numbers {
            previous.append(try state.version(subject: subject, number).schema)
        }
        // A level of NONE checks nothing, but the candidate must still parse.
        let checkLevel: CompatibilityLevel = level == .none ? .none : (level.isTransitive || numbers.count > 1 ? Self.transitiveLevel(level) : level)
        if checkLevel == .none {
            try self.checker.validate(candidate) { Self.resolve($0, in: state) }
            return []
        }
        var problems = try self.checker.check(candidate, against: previous, level: checkLevel) { Self.resolve($0, in: state) }
        let history = Self.history(of: subject, in: state)
        for problem in try self.checker.historyProblems(candidate, history: history, level: level, resolve: { Self.resolve($0, in: state) })
        where !problems.contains(problem) {
            problems.append(problem)
        }
        return problems
    }

    /// Every version of `subject` still known (soft-deleted ones too: their data may still be out there), oldest
    /// first.
    static func history(of subject: String, in state: SchemaRegistryState) -> [RegisteredSchema] {
        let numbers = (try? state.versions(subject: subject, includeDeleted: true)) ?? []
        return numbers.compactMap { try? state.version(subject: subject, $0, includeDeleted: true).schema }
    }

    /// The level in force for `subject` (nil = global); `defaultToGlobal` false answers nil when the subject has
    /// no level of its own.
    public func level(subject: String?, defaultToGlobal: Bool = true) -> CompatibilityLevel? {
        let state = self.state
        guard let subject else { return state.globalLevel }
        return state.subjectLevels[subject] ?? (defaultToGlobal ? state.globalLevel : nil)
    }

    /// The mode in force for `subject` (nil = the registry's); `defaultToGlobal` as for `level`.
    public func mode(subject: String?, defaultToGlobal: Bool = true) -> RegistryMode? {
        let state = self.state
        guard let subject else { return state.globalMode }
        return state.subjectModes[subject] ?? (defaultToGlobal ? state.globalMode : nil)
    }

    /// Bindings ordered by target, optionally only `subject`'s.
    public func bindings(subject: String? = nil) -> [SchemaBinding] {
        self.state.listBindings(subject: subject)
    }

    // MARK: - Helpers

    /// Runs a registry decision through the store and waits until its change is durable.
    private func update<Value: Sendable>(
        _ decide: (inout SchemaRegistryState) throws(RegistryError) -> (Value, [RegistryChange])
    ) async throws -> Value {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
            self.store.updateRegistry(decide) { result in
                continuation.resume(with: result)
            }
        }
    }

    static func transitiveLevel(_ level: CompatibilityLevel) -> CompatibilityLevel {
        switch level {
        case .backward, .backwardTransitive: return .backwardTransitive
        case .forward, .forwardTransitive: return .forwardTransitive
        case .full, .fullTransitive: return .fullTransitive
        case .none: return .none
        }
    }

    /// The referenced schema (live or soft-deleted version), for the checkers.
    static func resolve(_ reference: SchemaReference, in state: SchemaRegistryState) -> RegisteredSchema? {
        try? state.version(subject: reference.subject, reference.version, includeDeleted: true).schema
    }

    /// References to version -1 mean the referenced subject's latest version at registration.
    static func resolveLatestReferences(
        _ schema: RegisteredSchema,
        in state: SchemaRegistryState
    ) throws(RegistryError) -> RegisteredSchema {
        var schema = schema
        for index in schema.references.indices where schema.references[index].version == -1 {
            let reference = schema.references[index]
            do {
                schema.references[index].version = try state.version(subject: reference.subject, nil).version
            } catch {
                throw .invalidSchema("reference \(reference.name) to the latest version of \(reference.subject): \(error.message)")
            }
        }
        return schema
    }

    /// Checks the text's size, turns a Protobuf schema given as a base64 FileDescriptorProto (what Confluent's
    /// serializers register) into `.proto` text, and, with `normalize`, rewrites JSON-text schemas compactly with
    /// sorted keys.
    static func prepare(_ schema: RegisteredSchema, normalize: Bool) throws(RegistryError) -> RegisteredSchema {
        guard schema.text.utf8.count <= SchemaRegistryState.maxSchemaBytes else {
            throw .limit("schema text of \(schema.text.utf8.count) bytes", SchemaRegistryState.maxSchemaBytes)
        }
        var schema = schema
        if schema.type == .protobuf, let text = Self.protoText(fromDescriptor: schema.text) {
            schema.text = text
        }
        guard normalize, schema.type != .protobuf else { return schema }
        guard let value = try? JSONParser.parse(schema.text) else {
            throw .invalidSchema("\(schema.type.rawValue) schema text is not JSON")
        }
        var normalized = schema
        normalized.text = value.canonicalText
        return normalized
    }

    /// The `.proto` text of `text` when it is not `.proto` text but base64 of a serialized FileDescriptorProto;
    /// nil otherwise (the caller keeps the text, and parsing it reports the error). Stored as text, so ids stay
    /// content-addressed on the text whichever form a client registered.
    static func protoText(fromDescriptor text: String) -> String? {
        let trimmed = text.trimmingSpaces
        guard !trimmed.isEmpty, (try? ProtoParser.parse(text)) == nil,
            let bytes = ProtobufDescriptorCodec.base64Decode(trimmed)
        else { return nil }
        return try? ProtobufDescriptorCodec.decodeFileDescriptor(bytes)
    }
}

extension String {
    /// Without leading and trailing ASCII whitespace (base64 in a JSON body may end with a newline).
    fileprivate var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }
        return String(self.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
