import Logging
import MicroStateRPC
import MicroStateSchema
import MicroStateStore
import MicroStateWire
import NIOCore

/// `microstate.v1.SchemaRegistry`: a thin adapter between gRPC messages and `SchemaRegistryEngine`.
///
/// It validates and decodes requests, converts the wire enums to the registry's (UNSPECIFIED schema type = AVRO,
/// UNSPECIFIED binding mode = VALIDATE, UNSPECIFIED level or mode = "remove the subject's own" or "reset the global
/// one"), calls the engine and encodes. Every rule lives in the engine, so gRPC, REST and the CLI agree; errors go
/// through `StatusMapping` (Confluent's code leads the status message).
public final class SchemaRegistryService: Sendable {
    /// Fully-qualified service name, as health checks and reflection name it.
    public static let serviceName = "microstate.v1.SchemaRegistry"

    let engine: SchemaRegistryEngine
    let nodeID: UInt64
    let logger: Logger

    public init(engine: SchemaRegistryEngine, nodeID: UInt64, logger: Logger) {
        self.engine = engine
        self.nodeID = nodeID
        self.logger = logger
    }

    /// Registers every SchemaRegistry method with the router.
    public func register(with router: RPCRouter) {
        let prefix = "/\(Self.serviceName)/"
        self.unaryAsync(router, prefix + "Register", self.register)
        self.unary(router, prefix + "GetSchema", self.getSchema)
        self.unary(router, prefix + "GetVersion", self.getVersion)
        self.unary(router, prefix + "ListSubjects", self.listSubjects)
        self.unary(router, prefix + "ListVersions", self.listVersions)
        self.unary(router, prefix + "CheckCompatibility", self.checkCompatibility)
        self.unaryAsync(router, prefix + "SetConfig", self.setConfig)
        self.unary(router, prefix + "GetConfig", self.getConfig)
        self.unaryAsync(router, prefix + "SetMode", self.setMode)
        self.unary(router, prefix + "GetMode", self.getMode)
        self.unaryAsync(router, prefix + "DeleteSubject", self.deleteSubject)
        self.unaryAsync(router, prefix + "DeleteVersion", self.deleteVersion)
        self.unaryAsync(router, prefix + "Bind", self.bind)
        self.unaryAsync(router, prefix + "Unbind", self.unbind)
        self.unary(router, prefix + "ListBindings", self.listBindings)
    }

    /// A read: answered on the connection's loop (the engine reads a snapshot of the registry, no I/O).
    private func unary<Request: WireMessage, Response: WireMessage>(
        _ router: RPCRouter,
        _ path: String,
        _ handler: @escaping @Sendable (Request) throws -> Response
    ) {
        router.registerUnary(path) { buffer, _, responder in
            responder.complete(Result { try handler(try decodeRequest(Request.self, from: buffer)) })
        }
    }

    /// A write: waits for the change to be durable off the event loop, then completes from that thread.
    private func unaryAsync<Request: WireMessage, Response: WireMessage>(
        _ router: RPCRouter,
        _ path: String,
        _ handler: @escaping @Sendable (Request) async throws -> Response
    ) {
        router.registerUnary(path) { buffer, _, responder in
            let request: Request
            do {
                request = try decodeRequest(Request.self, from: buffer)
            } catch {
                return responder.fail(StatusMapping.rpcError(error))
            }
            Task {
                do {
                    responder.complete(Result<Response, any Error>.success(try await handler(request)))
                } catch {
                    responder.complete(Result<Response, any Error>.failure(error))
                }
            }
        }
    }

    func header() -> ResponseHeader {
        ResponseHeader(nodeId: self.nodeID, revision: self.engine.store.durableRevision)
    }

    // MARK: Methods

    @Sendable func register(_ request: RegisterRequest) async throws -> RegisterResponse {
        try Self.requireSubject(request.subject)
        guard let wire = request.schema else {
            throw Self.invalid("schema is required")
        }
        let schema = try Self.registeredSchema(wire)
        var importing: (id: Int, version: Int)?
        switch (request.id, request.version) {
        case (nil, nil):
            importing = nil
        case (let id?, let version?):
            guard id > 0 else { throw Self.invalid("id must be positive, got \(id)") }
            guard version > 0 else { throw Self.invalid("version must be positive, got \(version)") }
            guard id <= Int64(Int32.max), version <= Int64(Int32.max) else {
                throw Self.invalid("id and version must fit in 32 bits")
            }
            importing = (Int(id), Int(version))
        default:
            throw Self.invalid("id and version are given together (IMPORT mode) or not at all")
        }
        let result = try await self.engine.register(
            subject: request.subject,
            schema: schema,
            importing: importing,
            normalize: request.normalize
        )
        return RegisterResponse(header: self.header(), id: Int64(result.id), version: Int64(result.version))
    }

    @Sendable func getSchema(_ request: GetSchemaRequest) throws -> GetSchemaResponse {
        guard request.id > 0 else { throw Self.invalid("id must be positive, got \(request.id)") }
        let id = Int(request.id)
        let schema = try self.engine.schema(id: id)
        let uses = try self.engine.subjectVersions(id: id)
        return GetSchemaResponse(
            header: self.header(),
            schema: Self.wireSchema(schema),
            subjectVersions: uses.map { SubjectVersion(subject: $0.subject, version: Int64($0.version)) }
        )
    }

    @Sendable func getVersion(_ request: GetVersionRequest) throws -> GetVersionResponse {
        try Self.requireSubject(request.subject)
        var number: Int?
        switch request.selector {
        case .version(let version):
            number = try Self.versionNumber(version)
        case .latest(let latest):
            guard latest else { throw Self.invalid("latest, when set, must be true (or give a version)") }
        case nil:
            number = nil
        }
        let found = try self.engine.version(subject: request.subject, number, includeDeleted: request.includeDeleted)
        return GetVersionResponse(
            header: self.header(),
            subject: request.subject,
            version: Int64(found.version),
            id: Int64(found.id),
            schema: Self.wireSchema(found.schema)
        )
    }

    @Sendable func listSubjects(_ request: ListSubjectsRequest) throws -> ListSubjectsResponse {
        ListSubjectsResponse(
            header: self.header(),
            subjects: self.engine.subjects(includeDeleted: request.includeDeleted, prefix: request.prefix)
        )
    }

    @Sendable func listVersions(_ request: ListVersionsRequest) throws -> ListVersionsResponse {
        try Self.requireSubject(request.subject)
        let versions = try self.engine.versions(subject: request.subject, includeDeleted: request.includeDeleted)
        return ListVersionsResponse(header: self.header(), versions: versions.map { Int64($0) })
    }

    @Sendable func checkCompatibility(_ request: CheckCompatibilityRequest) throws -> CheckCompatibilityResponse {
        try Self.requireSubject(request.subject)
        guard let wire = request.schema else {
            throw Self.invalid("schema is required")
        }
        let schema = try Self.registeredSchema(wire)
        let against: SchemaRegistryEngine.Against?
        switch request.against {
        case .version(let version):
            against = .version(try Self.versionNumber(version))
        case .latest(let latest):
            guard latest else { throw Self.invalid("latest, when set, must be true") }
            against = .latest
        case .all(let all):
            guard all else { throw Self.invalid("all, when set, must be true") }
            against = .all
        case nil:
            against = nil
        }
        let messages = try self.engine.checkCompatibility(subject: request.subject, schema: schema, against: against)
        return CheckCompatibilityResponse(
            header: self.header(),
            compatible: messages.isEmpty,
            messages: request.verbose
                ? messages.map { MicroStateWire.CompatibilityMessage(rule: $0.rule, path: $0.path, message: $0.message) }
                : []
        )
    }

    @Sendable func setConfig(_ request: SetConfigRequest) async throws -> SetConfigResponse {
        let subject = request.subject.isEmpty ? nil : request.subject
        var level = try Self.level(request.level)
        if subject == nil && level == nil {
            // UNSPECIFIED on the global level resets it to the default rather than leaving it unset.
            level = MicroStateSchema.CompatibilityLevel.default
        }
        let now = try await self.engine.setLevel(level, subject: subject)
        return SetConfigResponse(header: self.header(), level: Self.wireLevel(now))
    }

    @Sendable func getConfig(_ request: GetConfigRequest) throws -> GetConfigResponse {
        let subject = request.subject.isEmpty ? nil : request.subject
        let level = self.engine.level(subject: subject, defaultToGlobal: request.defaultToGlobal)
        return GetConfigResponse(header: self.header(), level: level.map(Self.wireLevel) ?? .unspecified)
    }

    @Sendable func setMode(_ request: SetModeRequest) async throws -> SetModeResponse {
        let subject = request.subject.isEmpty ? nil : request.subject
        var mode = try Self.mode(request.mode)
        if subject == nil && mode == nil {
            mode = .readWrite
        }
        let now = try await self.engine.setMode(mode, subject: subject, force: request.force)
        return SetModeResponse(header: self.header(), mode: Self.wireMode(now))
    }

    @Sendable func getMode(_ request: GetModeRequest) throws -> GetModeResponse {
        let subject = request.subject.isEmpty ? nil : request.subject
        let mode = self.engine.mode(subject: subject, defaultToGlobal: request.defaultToGlobal)
        return GetModeResponse(header: self.header(), mode: mode.map(Self.wireMode) ?? .unspecified)
    }

    @Sendable func deleteSubject(_ request: DeleteSubjectRequest) async throws -> DeleteSubjectResponse {
        try Self.requireSubject(request.subject)
        let versions = try await self.engine.deleteSubject(request.subject, permanent: request.permanent)
        return DeleteSubjectResponse(header: self.header(), versions: versions.map { Int64($0) })
    }

    @Sendable func deleteVersion(_ request: DeleteVersionRequest) async throws -> DeleteVersionResponse {
        try Self.requireSubject(request.subject)
        let number: Int? = request.version == -1 ? nil : try Self.versionNumber(request.version)
        let deleted = try await self.engine.deleteVersion(
            subject: request.subject,
            version: number,
            permanent: request.permanent
        )
        return DeleteVersionResponse(header: self.header(), version: Int64(deleted))
    }

    @Sendable func bind(_ request: BindRequest) async throws -> BindResponse {
        try Self.requireSubject(request.subject)
        let target = try Self.target(request.target)
        let mode: MicroStateSchema.BindingMode
        switch request.mode {
        case .unspecified, .validate: mode = .validate
        case .warn: mode = .warn
        case .unrecognized(let value): throw Self.invalid("unknown binding mode \(value)")
        }
        try await self.engine.bind(SchemaBinding(subject: request.subject, target: target, mode: mode))
        return BindResponse(header: self.header())
    }

    @Sendable func unbind(_ request: UnbindRequest) async throws -> UnbindResponse {
        try await self.engine.unbind(try Self.target(request.target))
        return UnbindResponse(header: self.header())
    }

    @Sendable func listBindings(_ request: ListBindingsRequest) throws -> ListBindingsResponse {
        let bindings = self.engine.bindings(subject: request.subject.isEmpty ? nil : request.subject)
        return ListBindingsResponse(
            header: self.header(),
            bindings: bindings.map { binding in
                MicroStateWire.Binding(
                    subject: binding.subject,
                    target: Self.wireTarget(binding.target),
                    mode: binding.mode == .warn ? .warn : .validate
                )
            }
        )
    }

    // MARK: Validation and conversion

    static func invalid(_ message: String) -> RPCError {
        RPCError(code: .invalidArgument, message: message)
    }

    static func requireSubject(_ subject: String) throws {
        guard !subject.isEmpty else { throw Self.invalid("subject is required") }
    }

    /// A version number from a request: 1 or more (0 and negatives are INVALID_ARGUMENT).
    static func versionNumber(_ version: Int64) throws -> Int {
        guard version > 0 else { throw Self.invalid("version must be 1 or more, got \(version)") }
        guard version <= Int64(Int32.max) else { throw Self.invalid("version \(version) is out of range") }
        return Int(version)
    }

    static func registeredSchema(_ wire: MicroStateWire.Schema) throws -> RegisteredSchema {
        let type: MicroStateSchema.SchemaType
        switch wire.schemaType {
        case .unspecified, .avro: type = .avro
        case .json: type = .json
        case .protobuf: type = .protobuf
        case .unrecognized(let value): throw Self.invalid("unknown schema type \(value)")
        }
        guard !wire.schema.isEmpty else { throw Self.invalid("schema text is empty") }
        let references = try wire.references.map { reference in
            guard !reference.name.isEmpty else { throw Self.invalid("a reference has no name") }
            guard !reference.subject.isEmpty else {
                throw Self.invalid("reference \(reference.name) has no subject")
            }
            guard reference.version == -1 || reference.version > 0 else {
                throw Self.invalid("reference \(reference.name) has version \(reference.version) (1 or more, or -1 = latest)")
            }
            guard reference.version <= Int64(Int32.max) else {
                throw Self.invalid("reference \(reference.name) has version \(reference.version) out of range")
            }
            return MicroStateSchema.SchemaReference(
                name: reference.name,
                subject: reference.subject,
                version: Int(reference.version)
            )
        }
        return RegisteredSchema(type: type, text: wire.schema, references: references)
    }

    static func wireSchema(_ schema: RegisteredSchema) -> MicroStateWire.Schema {
        let type: MicroStateWire.SchemaType
        switch schema.type {
        case .avro: type = .avro
        case .json: type = .json
        case .protobuf: type = .protobuf
        }
        return MicroStateWire.Schema(
            schemaType: type,
            schema: schema.text,
            references: schema.references.map {
                MicroStateWire.SchemaReference(name: $0.name, subject: $0.subject, version: Int64($0.version))
            }
        )
    }

    /// The registry's level for a wire level; nil for UNSPECIFIED.
    static func level(_ wire: MicroStateWire.CompatibilityLevel) throws -> MicroStateSchema.CompatibilityLevel? {
        switch wire {
        case .unspecified: return nil
        case .none: return MicroStateSchema.CompatibilityLevel.none
        case .backward: return .backward
        case .backwardTransitive: return .backwardTransitive
        case .forward: return .forward
        case .forwardTransitive: return .forwardTransitive
        case .full: return .full
        case .fullTransitive: return .fullTransitive
        case .unrecognized(let value): throw Self.invalid("unknown compatibility level \(value)")
        }
    }

    static func wireLevel(_ level: MicroStateSchema.CompatibilityLevel) -> MicroStateWire.CompatibilityLevel {
        switch level {
        case .none: return MicroStateWire.CompatibilityLevel.none
        case .backward: return .backward
        case .backwardTransitive: return .backwardTransitive
        case .forward: return .forward
        case .forwardTransitive: return .forwardTransitive
        case .full: return .full
        case .fullTransitive: return .fullTransitive
        }
    }

    /// The registry's mode for a wire mode; nil for UNSPECIFIED.
    static func mode(_ wire: MicroStateWire.RegistryMode) throws -> MicroStateSchema.RegistryMode? {
        switch wire {
        case .unspecified: return nil
        case .readWrite: return .readWrite
        case .readOnly: return .readOnly
        case .import: return .import
        case .unrecognized(let value): throw Self.invalid("unknown registry mode \(value)")
        }
    }

    static func wireMode(_ mode: MicroStateSchema.RegistryMode) -> MicroStateWire.RegistryMode {
        switch mode {
        case .readWrite: return .readWrite
        case .readOnly: return .readOnly
        case .import: return .import
        }
    }

    static func target(_ wire: MicroStateWire.BindingTarget?) throws -> MicroStateSchema.BindingTarget {
        switch wire {
        case .keyPrefix(let prefix):
            guard !prefix.isEmpty else { throw Self.invalid("key_prefix is empty (it would bind every key)") }
            return .keyPrefix(prefix)
        case .streamPattern(let pattern):
            guard !pattern.isEmpty else { throw Self.invalid("stream_pattern is empty") }
            return .streamPattern(pattern)
        case nil:
            throw Self.invalid("exactly one of key_prefix or stream_pattern is required")
        }
    }

    static func wireTarget(_ target: MicroStateSchema.BindingTarget) -> MicroStateWire.BindingTarget {
        switch target {
        case .keyPrefix(let prefix): return .keyPrefix(prefix)
        case .streamPattern(let pattern): return .streamPattern(pattern)
        }
    }
}
