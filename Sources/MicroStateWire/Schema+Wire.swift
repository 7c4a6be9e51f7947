internal import CProtobufC
internal import MicroStateProtos

// Each type: the two public `WireMessage` entry points (one line each, on top of `ProtobufCMapped`), then the
// field mapping in both directions. Field order follows schema.proto. Strings go through
// `String(validating:field:)`; a set oneof member (and a set one-field oneof standing for proto3 `optional`, see
// docs/adr/0002-optional-as-oneof.md) is encoded even when it holds its zero value.

extension SchemaType: WireEnum {}
extension CompatibilityLevel: WireEnum {}
extension RegistryMode: WireEnum {}
extension BindingMode: WireEnum {}

extension SchemaReference: ProtobufCMapped {
    /// Decodes a `microstate.v1.SchemaReference`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.SchemaReference`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__SchemaReference>) {
        microstate__v1__schema_reference__init(message)
    }

    init(copying c: borrowing Microstate__V1__SchemaReference) throws(WireError) {
        try self.init(
            name: String(validating: c.name, field: "microstate.v1.SchemaReference.name"),
            subject: String(validating: c.subject, field: "microstate.v1.SchemaReference.subject"),
            version: c.version
        )
    }

    func lower(into c: inout Microstate__V1__SchemaReference, arena: inout WireArena) {
        c.name = arena.cString(self.name)
        c.subject = arena.cString(self.subject)
        c.version = self.version
    }
}

extension Schema: ProtobufCMapped {
    /// Decodes a `microstate.v1.Schema`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.Schema`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__Schema>) {
        microstate__v1__schema__init(message)
    }

    init(copying c: borrowing Microstate__V1__Schema) throws(WireError) {
        try self.init(
            schemaType: SchemaType(cEnum: c.schema_type),
            schema: String(validating: c.schema, field: "microstate.v1.Schema.schema"),
            references: [SchemaReference](copying: c.references, count: c.n_references)
        )
    }

    func lower(into c: inout Microstate__V1__Schema, arena: inout WireArena) {
        c.schema_type = self.schemaType.cEnum()
        c.schema = arena.cString(self.schema)
        (c.n_references, c.references) = arena.messages(self.references)
    }
}

extension CompatibilityMessage: ProtobufCMapped {
    /// Decodes a `microstate.v1.CompatibilityMessage`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.CompatibilityMessage`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__CompatibilityMessage>) {
        microstate__v1__compatibility_message__init(message)
    }

    init(copying c: borrowing Microstate__V1__CompatibilityMessage) throws(WireError) {
        try self.init(
            rule: String(validating: c.rule, field: "microstate.v1.CompatibilityMessage.rule"),
            path: String(validating: c.path, field: "microstate.v1.CompatibilityMessage.path"),
            message: String(validating: c.message, field: "microstate.v1.CompatibilityMessage.message")
        )
    }

    func lower(into c: inout Microstate__V1__CompatibilityMessage, arena: inout WireArena) {
        c.rule = arena.cString(self.rule)
        c.path = arena.cString(self.path)
        c.message = arena.cString(self.message)
    }
}

extension SubjectVersion: ProtobufCMapped {
    /// Decodes a `microstate.v1.SubjectVersion`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.SubjectVersion`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__SubjectVersion>) {
        microstate__v1__subject_version__init(message)
    }

    init(copying c: borrowing Microstate__V1__SubjectVersion) throws(WireError) {
        try self.init(
            subject: String(validating: c.subject, field: "microstate.v1.SubjectVersion.subject"),
            version: c.version
        )
    }

    func lower(into c: inout Microstate__V1__SubjectVersion, arena: inout WireArena) {
        c.subject = arena.cString(self.subject)
        c.version = self.version
    }
}

extension RegisterRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.RegisterRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.RegisterRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__RegisterRequest>) {
        microstate__v1__register_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__RegisterRequest) throws(WireError) {
        try self.init(
            subject: String(validating: c.subject, field: "microstate.v1.RegisterRequest.subject"),
            schema: Schema?(copying: c.schema),
            id: c.requested_id_case == MICROSTATE__V1__REGISTER_REQUEST__REQUESTED_ID_ID
                ? c.id : nil,
            version: c.requested_version_case == MICROSTATE__V1__REGISTER_REQUEST__REQUESTED_VERSION_VERSION
                ? c.version : nil,
            normalize: Bool(cBoolean: c.normalize)
        )
    }

    func lower(into c: inout Microstate__V1__RegisterRequest, arena: inout WireArena) {
        c.subject = arena.cString(self.subject)
        c.schema = arena.optionalMessage(self.schema)
        if let id = self.id {
            c.requested_id_case = MICROSTATE__V1__REGISTER_REQUEST__REQUESTED_ID_ID
            c.id = id
        }
        if let version = self.version {
            c.requested_version_case = MICROSTATE__V1__REGISTER_REQUEST__REQUESTED_VERSION_VERSION
            c.version = version
        }
        c.normalize = self.normalize.cBoolean
    }
}

extension RegisterResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.RegisterResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.RegisterResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__RegisterResponse>) {
        microstate__v1__register_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__RegisterResponse) throws(WireError) {
        try self.init(header: ResponseHeader?(copying: c.header), id: c.id, version: c.version)
    }

    func lower(into c: inout Microstate__V1__RegisterResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        c.id = self.id
        c.version = self.version
    }
}

extension GetSchemaRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.GetSchemaRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.GetSchemaRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__GetSchemaRequest>) {
        microstate__v1__get_schema_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__GetSchemaRequest) {
        self.init(id: c.id)
    }

    func lower(into c: inout Microstate__V1__GetSchemaRequest, arena: inout WireArena) {
        c.id = self.id
    }
}

extension GetSchemaResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.GetSchemaResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.GetSchemaResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__GetSchemaResponse>) {
        microstate__v1__get_schema_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__GetSchemaResponse) throws(WireError) {
        try self.init(
            header: ResponseHeader?(copying: c.header),
            schema: Schema?(copying: c.schema),
            subjectVersions: [SubjectVersion](copying: c.subject_versions, count: c.n_subject_versions)
        )
    }

    func lower(into c: inout Microstate__V1__GetSchemaResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        c.schema = arena.optionalMessage(self.schema)
        (c.n_subject_versions, c.subject_versions) = arena.messages(self.subjectVersions)
    }
}

extension GetVersionRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.GetVersionRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.GetVersionRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__GetVersionRequest>) {
        microstate__v1__get_version_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__GetVersionRequest) throws(WireError) {
        let selector: GetVersionRequest.Selector?
        switch c.selector_case {
        case MICROSTATE__V1__GET_VERSION_REQUEST__SELECTOR_VERSION:
            selector = .version(c.version)
        case MICROSTATE__V1__GET_VERSION_REQUEST__SELECTOR_LATEST:
            selector = .latest(Bool(cBoolean: c.latest))
        default:
            selector = nil
        }
        try self.init(
            subject: String(validating: c.subject, field: "microstate.v1.GetVersionRequest.subject"),
            selector: selector,
            includeDeleted: Bool(cBoolean: c.include_deleted)
        )
    }

    func lower(into c: inout Microstate__V1__GetVersionRequest, arena: inout WireArena) {
        c.subject = arena.cString(self.subject)
        switch self.selector {
        case .version(let version):
            c.selector_case = MICROSTATE__V1__GET_VERSION_REQUEST__SELECTOR_VERSION
            c.version = version
        case .latest(let latest):
            c.selector_case = MICROSTATE__V1__GET_VERSION_REQUEST__SELECTOR_LATEST
            c.latest = latest.cBoolean
        case nil:
            break
        }
        c.include_deleted = self.includeDeleted.cBoolean
    }
}

extension GetVersionResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.GetVersionResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.GetVersionResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__GetVersionResponse>) {
        microstate__v1__get_version_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__GetVersionResponse) throws(WireError) {
        try self.init(
            header: ResponseHeader?(copying: c.header),
            subject: String(validating: c.subject, field: "microstate.v1.GetVersionResponse.subject"),
            version: c.version,
            id: c.id,
            schema: Schema?(copying: c.schema)
        )
    }

    func lower(into c: inout Microstate__V1__GetVersionResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        c.subject = arena.cString(self.subject)
        c.version = self.version
        c.id = self.id
        c.schema = arena.optionalMessage(self.schema)
    }
}

extension ListSubjectsRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.ListSubjectsRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.ListSubjectsRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__ListSubjectsRequest>) {
        microstate__v1__list_subjects_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__ListSubjectsRequest) throws(WireError) {
        try self.init(
            includeDeleted: Bool(cBoolean: c.include_deleted),
            prefix: String(validating: c.prefix, field: "microstate.v1.ListSubjectsRequest.prefix")
        )
    }

    func lower(into c: inout Microstate__V1__ListSubjectsRequest, arena: inout WireArena) {
        c.include_deleted = self.includeDeleted.cBoolean
        c.prefix = arena.cString(self.prefix)
    }
}

extension ListSubjectsResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.ListSubjectsResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.ListSubjectsResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__ListSubjectsResponse>) {
        microstate__v1__list_subjects_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__ListSubjectsResponse) throws(WireError) {
        try self.init(
            header: ResponseHeader?(copying: c.header),
            subjects: [String](
                validating: c.subjects,
                count: c.n_subjects,
                field: "microstate.v1.ListSubjectsResponse.subjects"
            )
        )
    }

    func lower(into c: inout Microstate__V1__ListSubjectsResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        (c.n_subjects, c.subjects) = arena.cStrings(self.subjects)
    }
}

extension ListVersionsRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.ListVersionsRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.ListVersionsRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__ListVersionsRequest>) {
        microstate__v1__list_versions_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__ListVersionsRequest) throws(WireError) {
        try self.init(
            subject: String(validating: c.subject, field: "microstate.v1.ListVersionsRequest.subject"),
            includeDeleted: Bool(cBoolean: c.include_deleted)
        )
    }

    func lower(into c: inout Microstate__V1__ListVersionsRequest, arena: inout WireArena) {
        c.subject = arena.cString(self.subject)
        c.include_deleted = self.includeDeleted.cBoolean
    }
}

extension ListVersionsResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.ListVersionsResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.ListVersionsResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__ListVersionsResponse>) {
        microstate__v1__list_versions_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__ListVersionsResponse) throws(WireError) {
        try self.init(
            header: ResponseHeader?(copying: c.header),
            versions: [Int64](copying: c.versions, count: c.n_versions)
        )
    }

    func lower(into c: inout Microstate__V1__ListVersionsResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        (c.n_versions, c.versions) = arena.int64s(self.versions)
    }
}

extension CheckCompatibilityRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.CheckCompatibilityRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.CheckCompatibilityRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__CheckCompatibilityRequest>) {
        microstate__v1__check_compatibility_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__CheckCompatibilityRequest) throws(WireError) {
        let against: CheckCompatibilityRequest.Against?
        switch c.against_case {
        case MICROSTATE__V1__CHECK_COMPATIBILITY_REQUEST__AGAINST_VERSION:
            against = .version(c.version)
        case MICROSTATE__V1__CHECK_COMPATIBILITY_REQUEST__AGAINST_LATEST:
            against = .latest(Bool(cBoolean: c.latest))
        case MICROSTATE__V1__CHECK_COMPATIBILITY_REQUEST__AGAINST_ALL:
            against = .all(Bool(cBoolean: c.all))
        default:
            against = nil
        }
        try self.init(
            subject: String(validating: c.subject, field: "microstate.v1.CheckCompatibilityRequest.subject"),
            schema: Schema?(copying: c.schema),
            against: against,
            verbose: Bool(cBoolean: c.verbose)
        )
    }

    func lower(into c: inout Microstate__V1__CheckCompatibilityRequest, arena: inout WireArena) {
        c.subject = arena.cString(self.subject)
        c.schema = arena.optionalMessage(self.schema)
        switch self.against {
        case .version(let version):
            c.against_case = MICROSTATE__V1__CHECK_COMPATIBILITY_REQUEST__AGAINST_VERSION
            c.version = version
        case .latest(let latest):
            c.against_case = MICROSTATE__V1__CHECK_COMPATIBILITY_REQUEST__AGAINST_LATEST
            c.latest = latest.cBoolean
        case .all(let all):
            c.against_case = MICROSTATE__V1__CHECK_COMPATIBILITY_REQUEST__AGAINST_ALL
            c.all = all.cBoolean
        case nil:
            break
        }
        c.verbose = self.verbose.cBoolean
    }
}

extension CheckCompatibilityResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.CheckCompatibilityResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.CheckCompatibilityResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__CheckCompatibilityResponse>) {
        microstate__v1__check_compatibility_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__CheckCompatibilityResponse) throws(WireError) {
        try self.init(
            header: ResponseHeader?(copying: c.header),
            compatible: Bool(cBoolean: c.compatible),
            messages: [CompatibilityMessage](copying: c.messages, count: c.n_messages)
        )
    }

    func lower(into c: inout Microstate__V1__CheckCompatibilityResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        c.compatible = self.compatible.cBoolean
        (c.n_messages, c.messages) = arena.messages(self.messages)
    }
}

extension SetConfigRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.SetConfigRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.SetConfigRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__SetConfigRequest>) {
        microstate__v1__set_config_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__SetConfigRequest) throws(WireError) {
        try self.init(
            subject: String(validating: c.subject, field: "microstate.v1.SetConfigRequest.subject"),
            level: CompatibilityLevel(cEnum: c.level)
        )
    }

    func lower(into c: inout Microstate__V1__SetConfigRequest, arena: inout WireArena) {
        c.subject = arena.cString(self.subject)
        c.level = self.level.cEnum()
    }
}

extension SetConfigResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.SetConfigResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.SetConfigResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__SetConfigResponse>) {
        microstate__v1__set_config_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__SetConfigResponse) throws(WireError) {
        try self.init(header: ResponseHeader?(copying: c.header), level: CompatibilityLevel(cEnum: c.level))
    }

    func lower(into c: inout Microstate__V1__SetConfigResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        c.level = self.level.cEnum()
    }
}

extension GetConfigRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.GetConfigRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.GetConfigRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__GetConfigRequest>) {
        microstate__v1__get_config_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__GetConfigRequest) throws(WireError) {
        try self.init(
            subject: String(validating: c.subject, field: "microstate.v1.GetConfigRequest.subject"),
            defaultToGlobal: Bool(cBoolean: c.default_to_global)
        )
    }

    func lower(into c: inout Microstate__V1__GetConfigRequest, arena: inout WireArena) {
        c.subject = arena.cString(self.subject)
        c.default_to_global = self.defaultToGlobal.cBoolean
    }
}

extension GetConfigResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.GetConfigResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.GetConfigResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__GetConfigResponse>) {
        microstate__v1__get_config_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__GetConfigResponse) throws(WireError) {
        try self.init(header: ResponseHeader?(copying: c.header), level: CompatibilityLevel(cEnum: c.level))
    }

    func lower(into c: inout Microstate__V1__GetConfigResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        c.level = self.level.cEnum()
    }
}

extension SetModeRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.SetModeRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.SetModeRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__SetModeRequest>) {
        microstate__v1__set_mode_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__SetModeRequest) throws(WireError) {
        try self.init(
            subject: String(validating: c.subject, field: "microstate.v1.SetModeRequest.subject"),
            mode: RegistryMode(cEnum: c.mode),
            force: c.force != 0
        )
    }

    func lower(into c: inout Microstate__V1__SetModeRequest, arena: inout WireArena) {
        c.subject = arena.cString(self.subject)
        c.mode = self.mode.cEnum()
        c.force = self.force ? 1 : 0
    }
}

extension SetModeResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.SetModeResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.SetModeResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__SetModeResponse>) {
        microstate__v1__set_mode_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__SetModeResponse) throws(WireError) {
        try self.init(header: ResponseHeader?(copying: c.header), mode: RegistryMode(cEnum: c.mode))
    }

    func lower(into c: inout Microstate__V1__SetModeResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        c.mode = self.mode.cEnum()
    }
}

extension GetModeRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.GetModeRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.GetModeRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__GetModeRequest>) {
        microstate__v1__get_mode_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__GetModeRequest) throws(WireError) {
        try self.init(
            subject: String(validating: c.subject, field: "microstate.v1.GetModeRequest.subject"),
            defaultToGlobal: Bool(cBoolean: c.default_to_global)
        )
    }

    func lower(into c: inout Microstate__V1__GetModeRequest, arena: inout WireArena) {
        c.subject = arena.cString(self.subject)
        c.default_to_global = self.defaultToGlobal.cBoolean
    }
}

extension GetModeResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.GetModeResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.GetModeResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__GetModeResponse>) {
        microstate__v1__get_mode_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__GetModeResponse) throws(WireError) {
        try self.init(header: ResponseHeader?(copying: c.header), mode: RegistryMode(cEnum: c.mode))
    }

    func lower(into c: inout Microstate__V1__GetModeResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        c.mode = self.mode.cEnum()
    }
}

extension DeleteSubjectRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.DeleteSubjectRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.DeleteSubjectRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__DeleteSubjectRequest>) {
        microstate__v1__delete_subject_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__DeleteSubjectRequest) throws(WireError) {
        try self.init(
            subject: String(validating: c.subject, field: "microstate.v1.DeleteSubjectRequest.subject"),
            permanent: Bool(cBoolean: c.permanent)
        )
    }

    func lower(into c: inout Microstate__V1__DeleteSubjectRequest, arena: inout WireArena) {
        c.subject = arena.cString(self.subject)
        c.permanent = self.permanent.cBoolean
    }
}

extension DeleteSubjectResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.DeleteSubjectResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.DeleteSubjectResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__DeleteSubjectResponse>) {
        microstate__v1__delete_subject_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__DeleteSubjectResponse) throws(WireError) {
        try self.init(
            header: ResponseHeader?(copying: c.header),
            versions: [Int64](copying: c.versions, count: c.n_versions)
        )
    }

    func lower(into c: inout Microstate__V1__DeleteSubjectResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        (c.n_versions, c.versions) = arena.int64s(self.versions)
    }
}

extension DeleteVersionRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.DeleteVersionRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.DeleteVersionRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__DeleteVersionRequest>) {
        microstate__v1__delete_version_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__DeleteVersionRequest) throws(WireError) {
        try self.init(
            subject: String(validating: c.subject, field: "microstate.v1.DeleteVersionRequest.subject"),
            version: c.version,
            permanent: Bool(cBoolean: c.permanent)
        )
    }

    func lower(into c: inout Microstate__V1__DeleteVersionRequest, arena: inout WireArena) {
        c.subject = arena.cString(self.subject)
        c.version = self.version
        c.permanent = self.permanent.cBoolean
    }
}

extension DeleteVersionResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.DeleteVersionResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.DeleteVersionResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__DeleteVersionResponse>) {
        microstate__v1__delete_version_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__DeleteVersionResponse) throws(WireError) {
        try self.init(header: ResponseHeader?(copying: c.header), version: c.version)
    }

    func lower(into c: inout Microstate__V1__DeleteVersionResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        c.version = self.version
    }
}

extension BindRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.BindRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.BindRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__BindRequest>) {
        microstate__v1__bind_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__BindRequest) throws(WireError) {
        let target: BindingTarget?
        switch c.target_case {
        case MICROSTATE__V1__BIND_REQUEST__TARGET_KEY_PREFIX:
            target = .keyPrefix([UInt8](copying: c.key_prefix))
        case MICROSTATE__V1__BIND_REQUEST__TARGET_STREAM_PATTERN:
            target = .streamPattern(
                try String(validating: c.stream_pattern, field: "microstate.v1.BindRequest.stream_pattern")
            )
        default:
            target = nil
        }
        try self.init(
            subject: String(validating: c.subject, field: "microstate.v1.BindRequest.subject"),
            target: target,
            mode: BindingMode(cEnum: c.mode)
        )
    }

    func lower(into c: inout Microstate__V1__BindRequest, arena: inout WireArena) {
        c.subject = arena.cString(self.subject)
        switch self.target {
        case .keyPrefix(let prefix):
            // Set means encoded, even when empty: an empty prefix binds every key.
            c.target_case = MICROSTATE__V1__BIND_REQUEST__TARGET_KEY_PREFIX
            c.key_prefix = arena.binaryData(prefix)
        case .streamPattern(let pattern):
            c.target_case = MICROSTATE__V1__BIND_REQUEST__TARGET_STREAM_PATTERN
            c.stream_pattern = arena.cString(pattern)
        case nil:
            break
        }
        c.mode = self.mode.cEnum()
    }
}

extension BindResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.BindResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.BindResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__BindResponse>) {
        microstate__v1__bind_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__BindResponse) throws(WireError) {
        try self.init(header: ResponseHeader?(copying: c.header))
    }

    func lower(into c: inout Microstate__V1__BindResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
    }
}

extension UnbindRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.UnbindRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.UnbindRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__UnbindRequest>) {
        microstate__v1__unbind_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__UnbindRequest) throws(WireError) {
        let target: BindingTarget?
        switch c.target_case {
        case MICROSTATE__V1__UNBIND_REQUEST__TARGET_KEY_PREFIX:
            target = .keyPrefix([UInt8](copying: c.key_prefix))
        case MICROSTATE__V1__UNBIND_REQUEST__TARGET_STREAM_PATTERN:
            target = .streamPattern(
                try String(validating: c.stream_pattern, field: "microstate.v1.UnbindRequest.stream_pattern")
            )
        default:
            target = nil
        }
        try self.init(target: target)
    }

    func lower(into c: inout Microstate__V1__UnbindRequest, arena: inout WireArena) {
        switch self.target {
        case .keyPrefix(let prefix):
            // Set means encoded, even when empty: an empty prefix binds every key.
            c.target_case = MICROSTATE__V1__UNBIND_REQUEST__TARGET_KEY_PREFIX
            c.key_prefix = arena.binaryData(prefix)
        case .streamPattern(let pattern):
            c.target_case = MICROSTATE__V1__UNBIND_REQUEST__TARGET_STREAM_PATTERN
            c.stream_pattern = arena.cString(pattern)
        case nil:
            break
        }
    }
}

extension UnbindResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.UnbindResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.UnbindResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__UnbindResponse>) {
        microstate__v1__unbind_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__UnbindResponse) throws(WireError) {
        try self.init(header: ResponseHeader?(copying: c.header))
    }

    func lower(into c: inout Microstate__V1__UnbindResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
    }
}

extension Binding: ProtobufCMapped {
    /// Decodes a `microstate.v1.Binding`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.Binding`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__Binding>) {
        microstate__v1__binding__init(message)
    }

    init(copying c: borrowing Microstate__V1__Binding) throws(WireError) {
        let target: BindingTarget?
        switch c.target_case {
        case MICROSTATE__V1__BINDING__TARGET_KEY_PREFIX:
            target = .keyPrefix([UInt8](copying: c.key_prefix))
        case MICROSTATE__V1__BINDING__TARGET_STREAM_PATTERN:
            target = .streamPattern(
                try String(validating: c.stream_pattern, field: "microstate.v1.Binding.stream_pattern")
            )
        default:
            target = nil
        }
        try self.init(
            subject: String(validating: c.subject, field: "microstate.v1.Binding.subject"),
            target: target,
            mode: BindingMode(cEnum: c.mode)
        )
    }

    func lower(into c: inout Microstate__V1__Binding, arena: inout WireArena) {
        c.subject = arena.cString(self.subject)
        switch self.target {
        case .keyPrefix(let prefix):
            // Set means encoded, even when empty: an empty prefix binds every key.
            c.target_case = MICROSTATE__V1__BINDING__TARGET_KEY_PREFIX
            c.key_prefix = arena.binaryData(prefix)
        case .streamPattern(let pattern):
            c.target_case = MICROSTATE__V1__BINDING__TARGET_STREAM_PATTERN
            c.stream_pattern = arena.cString(pattern)
        case nil:
            break
        }
        c.mode = self.mode.cEnum()
    }
}

extension ListBindingsRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.ListBindingsRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.ListBindingsRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__ListBindingsRequest>) {
        microstate__v1__list_bindings_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__ListBindingsRequest) throws(WireError) {
        try self.init(subject: String(validating: c.subject, field: "microstate.v1.ListBindingsRequest.subject"))
    }

    func lower(into c: inout Microstate__V1__ListBindingsRequest, arena: inout WireArena) {
        c.subject = arena.cString(self.subject)
    }
}

extension ListBindingsResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.ListBindingsResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.ListBindingsResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__ListBindingsResponse>) {
        microstate__v1__list_bindings_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__ListBindingsResponse) throws(WireError) {
        try self.init(
            header: ResponseHeader?(copying: c.header),
            bindings: [Binding](copying: c.bindings, count: c.n_bindings)
        )
    }

    func lower(into c: inout Microstate__V1__ListBindingsResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        (c.n_bindings, c.bindings) = arena.messages(self.bindings)
    }
}
