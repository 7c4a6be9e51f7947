// The schema registry's messages (proto/microstate/v1/schema.proto, issue #5): Confluent-compatible subjects,
// versions, global ids and compatibility levels, plus bindings that validate KV values and stream events on write.
// The registry's logic lives in MicroStateSchema; a module importing both qualifies the shared names
// (`MicroStateWire.SchemaType`, `MicroStateSchema.SchemaType`), the service adapter converting between them.
//
// Strings here name things (subjects, schema texts, reference names, stream patterns), so decoding rejects invalid
// UTF-8 in them instead of repairing it, as the event-stream messages do: see `String(validating:field:)`.

/// `microstate.v1.SchemaType`: the language a schema is written in.
///
/// Proto3 enums are open: a value this build does not know decodes to ``unrecognized(_:)`` and re-encodes unchanged.
public enum SchemaType: Sendable, Hashable, RawRepresentable {
    /// `SCHEMA_TYPE_UNSPECIFIED` (0): read as ``avro``, Confluent's default when the type is absent.
    case unspecified
    /// `SCHEMA_TYPE_AVRO` (1): an Apache Avro schema, JSON text.
    case avro
    /// `SCHEMA_TYPE_JSON` (2): a JSON Schema, JSON text.
    case json
    /// `SCHEMA_TYPE_PROTOBUF` (3): a `.proto` file's text.
    case protobuf
    /// A value this build does not know; never holds one of the known values when made by `init(rawValue:)`.
    case unrecognized(Int32)

    /// The case for a wire value; unknown values become ``unrecognized(_:)``.
    public init(rawValue: Int32) {
        switch rawValue {
        case 0: self = .unspecified
        case 1: self = .avro
        case 2: self = .json
        case 3: self = .protobuf
        default: self = .unrecognized(rawValue)
        }
    }

    /// The wire value.
    public var rawValue: Int32 {
        switch self {
        case .unspecified: return 0
        case .avro: return 1
        case .json: return 2
        case .protobuf: return 3
        case .unrecognized(let value): return value
        }
    }
}

/// `microstate.v1.CompatibilityLevel`: which earlier versions a new version must stay compatible with, and how.
///
/// Proto3 enums are open: a value this build does not know decodes to ``unrecognized(_:)`` and re-encodes unchanged.
public enum CompatibilityLevel: Sendable, Hashable, RawRepresentable {
    /// `COMPATIBILITY_LEVEL_UNSPECIFIED` (0): not set; a subject inherits the global level.
    case unspecified
    /// `COMPATIBILITY_LEVEL_NONE` (1): no check.
    case none
    /// `COMPATIBILITY_LEVEL_BACKWARD` (2): new readers read data written with the latest version.
    case backward
    /// `COMPATIBILITY_LEVEL_BACKWARD_TRANSITIVE` (3): new readers read data written with every version.
    case backwardTransitive
    /// `COMPATIBILITY_LEVEL_FORWARD` (4): readers of the latest version read data written with the new one.
    case forward
    /// `COMPATIBILITY_LEVEL_FORWARD_TRANSITIVE` (5): readers of every version read data written with the new one.
    case forwardTransitive
    /// `COMPATIBILITY_LEVEL_FULL` (6): backward and forward against the latest version.
    case full
    /// `COMPATIBILITY_LEVEL_FULL_TRANSITIVE` (7): backward and forward against every version.
    case fullTransitive
    /// A value this build does not know; never holds one of the known values when made by `init(rawValue:)`.
    case unrecognized(Int32)

    /// The case for a wire value; unknown values become ``unrecognized(_:)``.
    public init(rawValue: Int32) {
        switch rawValue {
        case 0: self = .unspecified
        case 1: self = .none
        case 2: self = .backward
        case 3: self = .backwardTransitive
        case 4: self = .forward
        case 5: self = .forwardTransitive
        case 6: self = .full
        case 7: self = .fullTransitive
        default: self = .unrecognized(rawValue)
        }
    }

    /// The wire value.
    public var rawValue: Int32 {
        switch self {
        case .unspecified: return 0
        case .none: return 1
        case .backward: return 2
        case .backwardTransitive: return 3
        case .forward: return 4
        case .forwardTransitive: return 5
        case .full: return 6
        case .fullTransitive: return 7
        case .unrecognized(let value): return value
        }
    }
}

/// `microstate.v1.RegistryMode`: what a subject, or the whole registry, accepts.
///
/// Proto3 enums are open: a value this build does not know decodes to ``unrecognized(_:)`` and re-encodes unchanged.
public enum RegistryMode: Sendable, Hashable, RawRepresentable {
    /// `REGISTRY_MODE_UNSPECIFIED` (0): not set; a subject inherits the registry's mode.
    case unspecified
    /// `REGISTRY_MODE_READWRITE` (1): registrations allowed; the registry assigns ids and versions.
    case readWrite
    /// `REGISTRY_MODE_READONLY` (2): registrations and deletes are rejected.
    case readOnly
    /// `REGISTRY_MODE_IMPORT` (3): registrations must carry their id and version (migration from another registry).
    case `import`
    /// A value this build does not know; never holds one of the known values when made by `init(rawValue:)`.
    case unrecognized(Int32)

    /// The case for a wire value; unknown values become ``unrecognized(_:)``.
    public init(rawValue: Int32) {
        switch rawValue {
        case 0: self = .unspecified
        case 1: self = .readWrite
        case 2: self = .readOnly
        case 3: self = .import
        default: self = .unrecognized(rawValue)
        }
    }

    /// The wire value.
    public var rawValue: Int32 {
        switch self {
        case .unspecified: return 0
        case .readWrite: return 1
        case .readOnly: return 2
        case .import: return 3
        case .unrecognized(let value): return value
        }
    }
}

/// `microstate.v1.BindingMode`: what a binding does with a write whose payload does not validate.
///
/// Proto3 enums are open: a value this build does not know decodes to ``unrecognized(_:)`` and re-encodes unchanged.
public enum BindingMode: Sendable, Hashable, RawRepresentable {
    /// `BINDING_MODE_UNSPECIFIED` (0): read as ``validate``.
    case unspecified
    /// `BINDING_MODE_VALIDATE` (1): reject the write with `INVALID_ARGUMENT`.
    case validate
    /// `BINDING_MODE_WARN` (2): accept the write; count and log the failure.
    case warn
    /// A value this build does not know; never holds one of the known values when made by `init(rawValue:)`.
    case unrecognized(Int32)

    /// The case for a wire value; unknown values become ``unrecognized(_:)``.
    public init(rawValue: Int32) {
        switch rawValue {
        case 0: self = .unspecified
        case 1: self = .validate
        case 2: self = .warn
        default: self = .unrecognized(rawValue)
        }
    }

    /// The wire value.
    public var rawValue: Int32 {
        switch self {
        case .unspecified: return 0
        case .validate: return 1
        case .warn: return 2
        case .unrecognized(let value): return value
        }
    }
}

/// `microstate.v1.SchemaReference`: a schema this schema imports (an Avro named type, a JSON Schema `$ref` or a
/// `.proto` import).
public struct SchemaReference: WireMessage, Hashable {
    /// The name the schema uses for it: Avro full name, `$ref` URL or `.proto` import path.
    public var name: String
    /// The subject holding the referenced schema.
    public var subject: String
    /// The version of that subject; -1 = its latest when registering.
    public var version: Int64

    /// Creates a reference; every field defaults to its proto3 zero value.
    public init(name: String = "", subject: String = "", version: Int64 = 0) {
        self.name = name
        self.subject = subject
        self.version = version
    }
}

/// `microstate.v1.Schema`: a schema's type, text and references.
public struct Schema: WireMessage, Hashable {
    /// The schema's language; ``SchemaType/unspecified`` means Avro.
    public var schemaType: SchemaType
    /// The schema's text, as registered (normalized when the registration asked for it).
    public var schema: String
    /// The schemas it imports, in declaration order.
    public var references: [SchemaReference]

    /// Creates a schema; every field defaults to its proto3 zero value.
    public init(schemaType: SchemaType = .unspecified, schema: String = "", references: [SchemaReference] = []) {
        self.schemaType = schemaType
        self.schema = schema
        self.references = references
    }
}

/// `microstate.v1.CompatibilityMessage`: one reason a schema failed a compatibility check.
public struct CompatibilityMessage: WireMessage, Hashable {
    /// The broken rule's name, e.g. `READER_FIELD_MISSING_DEFAULT_VALUE` (docs/schemas.md).
    public var rule: String
    /// Where: `properties.email` (JSON Schema), `message Order field 5` (Protobuf), `record User field age` (Avro).
    public var path: String
    /// A sentence for people, naming the version it breaks.
    public var message: String

    /// Creates a compatibility message; every field defaults to its proto3 zero value.
    public init(rule: String = "", path: String = "", message: String = "") {
        self.rule = rule
        self.path = path
        self.message = message
    }
}

/// `microstate.v1.SubjectVersion`: one version of one subject.
public struct SubjectVersion: WireMessage, Hashable {
    /// The subject's name.
    public var subject: String
    /// The version number, from 1.
    public var version: Int64

    /// Creates a subject version; every field defaults to its proto3 zero value.
    public init(subject: String = "", version: Int64 = 0) {
        self.subject = subject
        self.version = version
    }
}

/// `microstate.v1.RegisterRequest`: register a schema under a subject.
public struct RegisterRequest: WireMessage, Hashable {
    /// The subject to register under; created by its first registration.
    public var subject: String
    /// The schema to register; nil when absent on the wire.
    public var schema: Schema?
    /// The id to register with, required in ``RegistryMode/import`` mode only; nil = the registry assigns one.
    public var id: Int64?
    /// The version to register as, required in ``RegistryMode/import`` mode only; nil = the next version.
    public var version: Int64?
    /// Normalize the schema before comparing and storing it, so texts that differ only in form take one id.
    public var normalize: Bool

    /// Creates a registration; every field defaults to its proto3 zero value, `id` and `version` to absent.
    public init(
        subject: String = "",
        schema: Schema? = nil,
        id: Int64? = nil,
        version: Int64? = nil,
        normalize: Bool = false
    ) {
        self.subject = subject
        self.schema = schema
        self.id = id
        self.version = version
        self.normalize = normalize
    }
}

/// `microstate.v1.RegisterResponse`.
public struct RegisterResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// The schema's global id (the existing one when an equal schema was already registered).
    public var id: Int64
    /// The subject version holding it.
    public var version: Int64

    /// Creates a registration response; every field defaults to its proto3 zero value.
    public init(header: ResponseHeader? = nil, id: Int64 = 0, version: Int64 = 0) {
        self.header = header
        self.id = id
        self.version = version
    }
}

/// `microstate.v1.GetSchemaRequest`: fetch a schema by its global id.
public struct GetSchemaRequest: WireMessage, Hashable {
    /// The global schema id.
    public var id: Int64

    /// Creates a schema fetch.
    public init(id: Int64 = 0) {
        self.id = id
    }
}

/// `microstate.v1.GetSchemaResponse`.
public struct GetSchemaResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// The schema with that id; nil when absent on the wire.
    public var schema: Schema?
    /// Every subject version using the schema, soft-deleted ones excluded.
    public var subjectVersions: [SubjectVersion]

    /// Creates a schema fetch response; every field defaults to its proto3 zero value.
    public init(header: ResponseHeader? = nil, schema: Schema? = nil, subjectVersions: [SubjectVersion] = []) {
        self.header = header
        self.schema = schema
        self.subjectVersions = subjectVersions
    }
}

/// `microstate.v1.GetVersionRequest`: fetch one version of a subject.
public struct GetVersionRequest: WireMessage, Hashable {
    /// Which version (the proto `selector` oneof).
    public enum Selector: Sendable, Hashable {
        /// `version`: a version number, from 1.
        case version(Int64)
        /// `latest`: the highest version; set, it is encoded even when false.
        case latest(Bool)
    }

    /// The subject to read.
    public var subject: String
    /// Which version; nil = neither set, which means the latest.
    public var selector: Selector?
    /// Soft-deleted versions may be returned.
    public var includeDeleted: Bool

    /// Creates a version fetch; every field defaults to its proto3 zero value, `selector` to absent.
    public init(subject: String = "", selector: Selector? = nil, includeDeleted: Bool = false) {
        self.subject = subject
        self.selector = selector
        self.includeDeleted = includeDeleted
    }
}

/// `microstate.v1.GetVersionResponse`.
public struct GetVersionResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// The subject, as registered.
    public var subject: String
    /// The version found (the latest resolved to its number).
    public var version: Int64
    /// The global id of the version's schema.
    public var id: Int64
    /// The version's schema; nil when absent on the wire.
    public var schema: Schema?

    /// Creates a version fetch response; every field defaults to its proto3 zero value.
    public init(
        header: ResponseHeader? = nil,
        subject: String = "",
        version: Int64 = 0,
        id: Int64 = 0,
        schema: Schema? = nil
    ) {
        self.header = header
        self.subject = subject
        self.version = version
        self.id = id
        self.schema = schema
    }
}

/// `microstate.v1.ListSubjectsRequest`: list subject names.
public struct ListSubjectsRequest: WireMessage, Hashable {
    /// Include soft-deleted subjects.
    public var includeDeleted: Bool
    /// Only subjects starting with it; empty = all.
    public var prefix: String

    /// Creates a subject listing; every field defaults to its proto3 zero value.
    public init(includeDeleted: Bool = false, prefix: String = "") {
        self.includeDeleted = includeDeleted
        self.prefix = prefix
    }
}

/// `microstate.v1.ListSubjectsResponse`.
public struct ListSubjectsResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// The subject names, sorted bytewise.
    public var subjects: [String]

    /// Creates a subject listing response; every field defaults to its proto3 zero value.
    public init(header: ResponseHeader? = nil, subjects: [String] = []) {
        self.header = header
        self.subjects = subjects
    }
}

/// `microstate.v1.ListVersionsRequest`: list a subject's versions.
public struct ListVersionsRequest: WireMessage, Hashable {
    /// The subject to list.
    public var subject: String
    /// Include soft-deleted versions.
    public var includeDeleted: Bool

    /// Creates a version listing; every field defaults to its proto3 zero value.
    public init(subject: String = "", includeDeleted: Bool = false) {
        self.subject = subject
        self.includeDeleted = includeDeleted
    }
}

/// `microstate.v1.ListVersionsResponse`.
public struct ListVersionsResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// The version numbers, ascending.
    public var versions: [Int64]

    /// Creates a version listing response; every field defaults to its proto3 zero value.
    public init(header: ResponseHeader? = nil, versions: [Int64] = []) {
        self.header = header
        self.versions = versions
    }
}

/// `microstate.v1.CheckCompatibilityRequest`: test a schema against a subject's versions without registering it.
public struct CheckCompatibilityRequest: WireMessage, Hashable {
    /// What to check against (the proto `against` oneof); each case, set, is encoded even when 0 or false.
    public enum Against: Sendable, Hashable {
        /// `version`: one version.
        case version(Int64)
        /// `latest`: the latest version.
        case latest(Bool)
        /// `all`: every version that is not soft-deleted.
        case all(Bool)
    }

    /// The subject whose versions and compatibility level apply.
    public var subject: String
    /// The candidate schema; nil when absent on the wire.
    public var schema: Schema?
    /// What to check against; nil = neither set, so the subject's level decides (latest, or all if transitive).
    public var against: Against?
    /// Explain an incompatibility in ``CheckCompatibilityResponse/messages``.
    public var verbose: Bool

    /// Creates a compatibility check; every field defaults to its proto3 zero value, `against` to absent.
    public init(subject: String = "", schema: Schema? = nil, against: Against? = nil, verbose: Bool = false) {
        self.subject = subject
        self.schema = schema
        self.against = against
        self.verbose = verbose
    }
}

/// `microstate.v1.CheckCompatibilityResponse`.
public struct CheckCompatibilityResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// The candidate passes every check.
    public var compatible: Bool
    /// Why not, when the request was verbose; empty when compatible.
    public var messages: [CompatibilityMessage]

    /// Creates a compatibility check response; every field defaults to its proto3 zero value.
    public init(header: ResponseHeader? = nil, compatible: Bool = false, messages: [CompatibilityMessage] = []) {
        self.header = header
        self.compatible = compatible
        self.messages = messages
    }
}

/// `microstate.v1.SetConfigRequest`: set the compatibility level of a subject or the global default.
public struct SetConfigRequest: WireMessage, Hashable {
    /// The subject; empty = the global default.
    public var subject: String
    /// The new level; ``CompatibilityLevel/unspecified`` on a subject removes its own level, so it inherits again.
    public var level: CompatibilityLevel

    /// Creates a level change; every field defaults to its proto3 zero value.
    public init(subject: String = "", level: CompatibilityLevel = .unspecified) {
        self.subject = subject
        self.level = level
    }
}

/// `microstate.v1.SetConfigResponse`.
public struct SetConfigResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// The level now in force.
    public var level: CompatibilityLevel

    /// Creates a level change response; every field defaults to its proto3 zero value.
    public init(header: ResponseHeader? = nil, level: CompatibilityLevel = .unspecified) {
        self.header = header
        self.level = level
    }
}

/// `microstate.v1.GetConfigRequest`: read the compatibility level of a subject or the global default.
public struct GetConfigRequest: WireMessage, Hashable {
    /// The subject; empty = the global default.
    public var subject: String
    /// A subject without its own level answers the global one (else ``CompatibilityLevel/unspecified``).
    public var defaultToGlobal: Bool

    /// Creates a level read; every field defaults to its proto3 zero value.
    public init(subject: String = "", defaultToGlobal: Bool = false) {
        self.subject = subject
        self.defaultToGlobal = defaultToGlobal
    }
}

/// `microstate.v1.GetConfigResponse`.
public struct GetConfigResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// The level; ``CompatibilityLevel/unspecified`` = the subject has none of its own.
    public var level: CompatibilityLevel

    /// Creates a level read response; every field defaults to its proto3 zero value.
    public init(header: ResponseHeader? = nil, level: CompatibilityLevel = .unspecified) {
        self.header = header
        self.level = level
    }
}

/// `microstate.v1.SetModeRequest`: set the mode of a subject or of the whole registry.
public struct SetModeRequest: WireMessage, Hashable {
    /// The subject; empty = the whole registry.
    public var subject: String
    /// The new mode; ``RegistryMode/unspecified`` on a subject removes its own mode, so it inherits again.
    public var mode: RegistryMode
    /// Switch to IMPORT although schemas are already registered.
    public var force: Bool

    /// Creates a mode change; every field defaults to its proto3 zero value.
    public init(subject: String = "", mode: RegistryMode = .unspecified, force: Bool = false) {
        self.subject = subject
        self.mode = mode
        self.force = force
    }
}

/// `microstate.v1.SetModeResponse`.
public struct SetModeResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// The mode now in force.
    public var mode: RegistryMode

    /// Creates a mode change response; every field defaults to its proto3 zero value.
    public init(header: ResponseHeader? = nil, mode: RegistryMode = .unspecified) {
        self.header = header
        self.mode = mode
    }
}

/// `microstate.v1.GetModeRequest`: read the mode of a subject or of the whole registry.
public struct GetModeRequest: WireMessage, Hashable {
    /// The subject; empty = the whole registry.
    public var subject: String
    /// A subject without its own mode answers the registry's (else ``RegistryMode/unspecified``).
    public var defaultToGlobal: Bool

    /// Creates a mode read; every field defaults to its proto3 zero value.
    public init(subject: String = "", defaultToGlobal: Bool = false) {
        self.subject = subject
        self.defaultToGlobal = defaultToGlobal
    }
}

/// `microstate.v1.GetModeResponse`.
public struct GetModeResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// The mode; ``RegistryMode/unspecified`` = the subject has none of its own.
    public var mode: RegistryMode

    /// Creates a mode read response; every field defaults to its proto3 zero value.
    public init(header: ResponseHeader? = nil, mode: RegistryMode = .unspecified) {
        self.header = header
        self.mode = mode
    }
}

/// `microstate.v1.DeleteSubjectRequest`: soft-delete a subject, or permanently delete a soft-deleted one.
public struct DeleteSubjectRequest: WireMessage, Hashable {
    /// The subject to delete.
    public var subject: String
    /// Erase for good; the subject must already be soft-deleted. Its ids stay retired.
    public var permanent: Bool

    /// Creates a subject delete; every field defaults to its proto3 zero value.
    public init(subject: String = "", permanent: Bool = false) {
        self.subject = subject
        self.permanent = permanent
    }
}

/// `microstate.v1.DeleteSubjectResponse`.
public struct DeleteSubjectResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// The versions deleted, ascending.
    public var versions: [Int64]

    /// Creates a subject delete response; every field defaults to its proto3 zero value.
    public init(header: ResponseHeader? = nil, versions: [Int64] = []) {
        self.header = header
        self.versions = versions
    }
}

/// `microstate.v1.DeleteVersionRequest`: soft-delete one version, or permanently delete a soft-deleted one.
public struct DeleteVersionRequest: WireMessage, Hashable {
    /// The subject holding the version.
    public var subject: String
    /// The version to delete, from 1; -1 = the latest.
    public var version: Int64
    /// Erase for good; the version must already be soft-deleted.
    public var permanent: Bool

    /// Creates a version delete; every field defaults to its proto3 zero value.
    public init(subject: String = "", version: Int64 = 0, permanent: Bool = false) {
        self.subject = subject
        self.version = version
        self.permanent = permanent
    }
}

/// `microstate.v1.DeleteVersionResponse`.
public struct DeleteVersionResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// The version deleted (-1 resolved to its number).
    public var version: Int64

    /// Creates a version delete response; every field defaults to its proto3 zero value.
    public init(header: ResponseHeader? = nil, version: Int64 = 0) {
        self.header = header
        self.version = version
    }
}

/// Which writes a binding validates (the proto `target` oneof of BindRequest, UnbindRequest and Binding).
public enum BindingTarget: Sendable, Hashable {
    /// `key_prefix`: KV Puts to keys starting with it (their values are validated); set, encoded even when empty.
    case keyPrefix([UInt8])
    /// `stream_pattern`: Appends to the stream named exactly so, or to every stream with a prefix ending in `*`.
    case streamPattern(String)
}

/// `microstate.v1.BindRequest`: validate writes to a key prefix or stream pattern against a subject's latest schema.
public struct BindRequest: WireMessage, Hashable {
    /// The subject whose latest schema validates writes.
    public var subject: String
    /// The writes validated; nil = not set, which the server rejects.
    public var target: BindingTarget?
    /// What to do with a write that does not validate.
    public var mode: BindingMode

    /// Creates a binding; every field defaults to its proto3 zero value, `target` to absent.
    public init(subject: String = "", target: BindingTarget? = nil, mode: BindingMode = .unspecified) {
        self.subject = subject
        self.target = target
        self.mode = mode
    }
}

/// `microstate.v1.BindResponse`.
public struct BindResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?

    /// Creates a binding response.
    public init(header: ResponseHeader? = nil) {
        self.header = header
    }
}

/// `microstate.v1.UnbindRequest`: remove the binding of a target.
public struct UnbindRequest: WireMessage, Hashable {
    /// The target, as given to Bind; nil = not set, which the server rejects.
    public var target: BindingTarget?

    /// Creates a binding removal.
    public init(target: BindingTarget? = nil) {
        self.target = target
    }
}

/// `microstate.v1.UnbindResponse`.
public struct UnbindResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?

    /// Creates a binding removal response.
    public init(header: ResponseHeader? = nil) {
        self.header = header
    }
}

/// `microstate.v1.Binding`: one binding, as listed.
public struct Binding: WireMessage, Hashable {
    /// The subject whose latest schema validates writes.
    public var subject: String
    /// The bound target; nil when not set on the wire.
    public var target: BindingTarget?
    /// The mode, as bound.
    public var mode: BindingMode

    /// Creates a binding description; every field defaults to its proto3 zero value, `target` to absent.
    public init(subject: String = "", target: BindingTarget? = nil, mode: BindingMode = .unspecified) {
        self.subject = subject
        self.target = target
        self.mode = mode
    }
}

/// `microstate.v1.ListBindingsRequest`: list bindings.
public struct ListBindingsRequest: WireMessage, Hashable {
    /// Only bindings of this subject; empty = all.
    public var subject: String

    /// Creates a binding listing.
    public init(subject: String = "") {
        self.subject = subject
    }
}

/// `microstate.v1.ListBindingsResponse`.
public struct ListBindingsResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// The bindings: key prefixes bytewise, then stream patterns bytewise.
    public var bindings: [Binding]

    /// Creates a binding listing response; every field defaults to its proto3 zero value.
    public init(header: ResponseHeader? = nil, bindings: [Binding] = []) {
        self.header = header
        self.bindings = bindings
    }
}
