/// A parsed `.proto` file, before type names are resolved (``ProtobufSchema/resolve(_:imports:)`` does that).
///
/// Keeps what compatibility checks and reflection need: declarations, numbers, names, labels, types, reserved
/// and extension ranges. Option values are skipped except the few that change a field's or enum's meaning
/// (`json_name`, `packed`, `deprecated`, `allow_alias`, `default`).
public struct ProtoFile: Sendable, Hashable {
    public enum Syntax: String, Sendable, Hashable {
        case proto2
        case proto3
    }

    public enum ImportKind: String, Sendable, Hashable {
        case normal
        case weak
        case `public`
    }

    public struct Import: Sendable, Hashable {
        public var path: String
        public var kind: ImportKind
    }

    /// `proto2` when the file has no `syntax` statement, as protoc assumes.
    public var syntax: Syntax = .proto2
    /// "" when the file has no `package` statement.
    public var package: String = ""
    public var imports: [Import] = []
    public var messages: [ProtoMessage] = []
    public var enums: [ProtoEnum] = []
    public var services: [ProtoService] = []
    /// Names of the file-level options set (`java_package`, `go_package`...); values are not kept.
    public var optionNames: [String] = []

    public init() {}
}

/// An inclusive range of field or enum numbers, as `reserved 5, 9 to 11, 100 to max;` writes them.
public struct ProtoNumberRange: Sendable, Hashable, CustomStringConvertible {
    public var lower: Int64
    public var upper: Int64

    public init(_ lower: Int64, _ upper: Int64) {
        self.lower = lower
        self.upper = upper
    }

    public func contains(_ number: Int64) -> Bool { number >= self.lower && number <= self.upper }

    public var description: String { self.lower == self.upper ? "\(self.lower)" : "\(self.lower) to \(self.upper)" }
}

/// A field's label as written: proto3 fields without one are ``implicit``.
public enum ProtoLabel: String, Sendable, Hashable {
    case implicit
    case optional
    case required
    case repeated
}

/// The type of a field as written: a scalar keyword, a (possibly relative) type name, or a map.
public indirect enum ProtoTypeReference: Sendable, Hashable {
    case scalar(ProtoScalarType)
    case named(String)
    case map(key: ProtoScalarType, value: ProtoTypeReference)
}

/// The 15 scalar types of the protobuf language.
public enum ProtoScalarType: String, Sendable, Hashable, CaseIterable {
    case double, float, int32, int64, uint32, uint64, sint32, sint64
    case fixed32, fixed64, sfixed32, sfixed64, bool, string, bytes

    /// Whether repeated fields of this type may be packed (every scalar but string and bytes).
    public var isPackable: Bool { self != .string && self != .bytes }
}

public struct ProtoField: Sendable, Hashable {
    public var name: String
    public var number: Int64
    public var label: ProtoLabel
    public var type: ProtoTypeReference
    /// The `json_name` option, when set.
    public var jsonName: String?
    /// The enclosing `oneof`'s name, when in one.
    public var oneof: String?
    /// The `packed` option, when set.
    public var packed: Bool?
    public var deprecated: Bool = false
    /// The `default` option (proto2) as written (identifier, number or decoded string).
    public var defaultValue: String?
    public var location: ProtoSourceLocation
}

public struct ProtoMessage: Sendable, Hashable {
    public var name: String
    public var fields: [ProtoField] = []
    /// Oneof names in declaration order.
    public var oneofs: [String] = []
    public var messages: [ProtoMessage] = []
    public var enums: [ProtoEnum] = []
    public var reservedRanges: [ProtoNumberRange] = []
    public var reservedNames: [String] = []
    public var extensionRanges: [ProtoNumberRange] = []
    public var location: ProtoSourceLocation
}

public struct ProtoEnumValue: Sendable, Hashable {
    public var name: String
    public var number: Int64
    public var location: ProtoSourceLocation
}

public struct ProtoEnum: Sendable, Hashable {
    public var name: String
    public var values: [ProtoEnumValue] = []
    public var allowAlias: Bool = false
    public var reservedRanges: [ProtoNumberRange] = []
    public var reservedNames: [String] = []
    public var location: ProtoSourceLocation
}

public struct ProtoMethod: Sendable, Hashable {
    public var name: String
    public var inputType: String
    public var outputType: String
    public var clientStreaming: Bool
    public var serverStreaming: Bool
    public var location: ProtoSourceLocation
}

public struct ProtoService: Sendable, Hashable {
    public var name: String
    public var methods: [ProtoMethod] = []
}
