/// A `.proto` file with every type name resolved to its full name: the model compatibility checks compare.
///
/// Holds the file's own declarations (messages including nested ones and synthesized map entries, enums,
/// services); types from imports appear only as the full names fields refer to. Full names carry no leading
/// dot (`microstate.v1.PutRequest`, `pkg.Outer.Inner`), as `DescriptorPool` prints them.
public struct ProtobufSchema: Sendable, Hashable {
    public var syntax: ProtoFile.Syntax
    public var package: String
    /// Messages by full name, nested ones and map entries included.
    public var messages: [String: ProtobufMessageDescriptor]
    /// Enums by full name, nested ones included.
    public var enums: [String: ProtobufEnumDescriptor]
    public var services: [ProtobufServiceDescriptor]
    /// Full names of `messages` in declaration order (a message before its nested messages).
    public var messageOrder: [String]
    /// Full names of `enums` in declaration order.
    public var enumOrder: [String]

    /// Parses `text` and the texts of the files it imports (by import path, as Confluent "references" name
    /// them), then resolves it. Import texts that are not needed are not parsed.
    public static func parse(
        _ text: String, imports: [String: String] = [:], limits: ProtoParserLimits = .default
    ) throws(ProtoParseError) -> ProtobufSchema {
        let file = try ProtoParser.parse(text, limits: limits)
        var parsed: [String: ProtoFile] = [:]
        // Parse the transitive closure of imports, bounded by the number of texts given (each parsed once).
        var pending = file.imports.map(\.path)
        while let path = pending.popLast() {
            guard parsed[path] == nil, let importText = imports[path] else { continue }
            do {
                let imported = try ProtoParser.parse(importText, limits: limits)
                parsed[path] = imported
                pending += imported.imports.map(\.path)
            } catch {
                var error = error
                error.file = path
                throw error
            }
        }
        return try self.resolve(file, imports: parsed)
    }

    /// Resolves the type names of `file` against itself and `imports` (import path → parsed file), following
    /// protobuf's scoping rules: a relative name is looked up from the innermost enclosing scope outwards; for a
    /// dotted name the first component picks the scope and the rest must exist in it. Types are visible from
    /// the file itself, its direct imports, and the files those re-export with `import public`.
    ///
    /// Also rejects what protoc rejects: duplicate field numbers or names, a field using a reserved number or
    /// name, duplicate enum numbers without `allow_alias`, a proto3 enum whose first value is not 0, an
    /// unknown or missing import, and a type declared twice.
    public static func resolve(
        _ file: ProtoFile, imports: [String: ProtoFile] = [:]
    ) throws(ProtoParseError) -> ProtobufSchema {
        var resolver = Resolver(file: file)
        try resolver.collectVisible(imports: imports)
        return try resolver.build()
    }
}

/// A message with resolved field types.
public struct ProtobufMessageDescriptor: Sendable, Hashable {
    public var fullName: String
    /// Fields in declaration order.
    public var fields: [ProtobufFieldDescriptor]
    /// Oneof names in declaration order (proto3 `optional` makes none: its synthetic oneof is not modelled).
    public var oneofs: [String]
    public var reservedRanges: [ProtoNumberRange]
    public var reservedNames: [String]
    public var extensionRanges: [ProtoNumberRange]
    /// Whether protoc would synthesize this message for a `map<K, V>` field (`map_entry = true`).
    public var isMapEntry: Bool

    public func field(number: Int64) -> ProtobufFieldDescriptor? { self.fields.first { $0.number == number } }
    public func field(named name: String) -> ProtobufFieldDescriptor? { self.fields.first { $0.name == name } }
    public func isReserved(number: Int64) -> Bool { self.reservedRanges.contains { $0.contains(number) } }
}

/// A field's cardinality as `FieldDescriptorProto.Label` says it (proto3 fields without a label are optional).
public enum ProtobufLabel: String, Sendable, Hashable {
    case optional
    case required
    case repeated
}

/// A resolved field type: a scalar, or a message or enum by full name.
public enum ProtobufFieldType: Sendable, Hashable, CustomStringConvertible {
    case scalar(ProtoScalarType)
    case message(String)
    case `enum`(String)

    public var description: String {
        switch self {
        case .scalar(let s): s.rawValue
        case .message(let name): name
        case .enum(let name): name
        }
    }
}

public struct ProtobufFieldDescriptor: Sendable, Hashable {
    public var name: String
    public var number: Int64
    /// `json_name` if set, else the name protoc derives (``ProtoParser/defaultJSONName(_:)``).
    public var jsonName: String
    public var label: ProtobufLabel
    public var type: ProtobufFieldType
    /// The oneof it is in; nil for proto3 `optional` (whose oneof is synthetic).
    public var oneof: String?
    /// Written as proto3 `optional` (explicit presence).
    public var isProto3Optional: Bool
    /// A `map<K, V>` field: `type` is the synthesized entry message.
    public var isMap: Bool
    /// Whether a repeated scalar is packed on the wire (proto3 default, or `[packed = true]`).
    public var isPacked: Bool
}

public struct ProtobufEnumDescriptor: Sendable, Hashable {
    public var fullName: String
    /// Values in declaration order; aliases (same number) only with `allowAlias`.
    public var values: [ProtoEnumValue]
    public var allowAlias: Bool
    public var reservedRanges: [ProtoNumberRange]
    public var reservedNames: [String]

    public func isReserved(number: Int64) -> Bool { self.reservedRanges.contains { $0.contains(number) } }
}

public struct ProtobufServiceDescriptor: Sendable, Hashable {
    public var fullName: String
    /// Methods with resolved request and response message names.
    public var methods: [ProtoMethod]
}

private struct Resolver {
    enum Symbol {
        case message
        case `enum`
        case package

        var isType: Bool { self != .package }
        var isAggregate: Bool { self != .enum }
    }

    let file: ProtoFile
    var symbols: [String: Symbol] = [:]
    var schema: ProtobufSchema

    init(file: ProtoFile) {
        self.file = file
        self.schema = ProtobufSchema(
            syntax: file.syntax, package: file.package, messages: [:], enums: [:], services: [],
            messageOrder: [], enumOrder: [])
    }

    static func join(_ scope: String, _ name: String) -> String { scope.isEmpty ? name : scope + "." + name }

    static func invalid(_ message: String, at location: ProtoSourceLocation) -> ProtoParseError {
        ProtoParseError(code: .invalid, location: location, message: message)
    }

    /// Adds the symbols of `file`, and of the files visible through it, to the table.
    mutating func addSymbols(of file: ProtoFile, isOwn: Bool) throws(ProtoParseError) {
        var prefix = ""
        for part in file.package.split(separator: ".") {
            prefix = Self.join(prefix, String(part))
            if self.symbols[prefix] == nil { self.symbols[prefix] = .package }
        }
        // Explicit stack instead of recursion: (scope, message).
        var stack: [(String, ProtoMessage)] = file.messages.reversed().map { (file.package, $0) }
        var add: [(String, Symbol, ProtoSourceLocation)] = file.enums.map {
            (Self.join(file.package, $0.name), .enum, $0.location)
        }
        while let (scope, message) = stack.popLast() {
            let name = Self.join(scope, message.name)
            add.append((name, .message, message.location))
            for e in message.enums { add.append((Self.join(name, e.name), .enum, e.location)) }
            for field in message.fields {
                if case .map = field.type {
                    add.append((Self.join(name, Self.mapEntryName(field.name)), .message, field.location))
                }
            }
            stack += message.messages.reversed().map { (name, $0) }
        }
        for (name, symbol, location) in add {
            if let existing = self.symbols[name], isOwn || existing != .package {
                if isOwn { throw Self.invalid("\"\(name)\" is already defined", at: location) }
                continue
            }
            self.symbols[name] = symbol
        }
    }

    /// protoc's map entry name: `foo_bar` → `FooBarEntry`.
    static func mapEntryName(_ field: String) -> String {
        var out = ""
        var capitalizeNext = true
        for c in field {
            if c == "_" {
                capitalizeNext = true
            } else if capitalizeNext {
                out += c.uppercased()
                capitalizeNext = false
            } else {
                out.append(c)
            }
        }
        return out + "Entry"
    }

    mutating func collectVisible(imports: [String: ProtoFile]) throws(ProtoParseError) {
        // Own symbols first so that a clash with an import is reported against this file.
        try self.addSymbols(of: self.file, isOwn: true)
        var visited: Set<String> = []
        var pending = self.file.imports.map(\.path)
        while let path = pending.popLast() {
            guard visited.insert(path).inserted else { continue }
            guard let imported = imports[path] else {
                throw Self.invalid("import \"\(path)\" was not provided", at: ProtoSourceLocation(line: 1, column: 1))
            }
            try self.addSymbols(of: imported, isOwn: false)
            pending += imported.imports.filter { $0.kind == .public }.map(\.path)
        }
    }

    /// protobuf's scoping rules (descriptor.cc `LookupSymbol`), returning the full name and its kind.
    func lookup(_ name: String, scope: String, at location: ProtoSourceLocation) throws(ProtoParseError)
        -> (String, Symbol)
    {
        if name.hasPrefix(".") {
            let full = String(name.dropFirst())
            guard let symbol = self.symbols[full], symbol.isType else {
                throw Self.invalid("\"\(name)\" is not defined", at: location)
            }
            return (full, symbol)
        }
        let components = name.split(separator: ".", omittingEmptySubsequences: false)
        let first = String(components[0])
        var scopeParts = scope.split(separator: ".").map(String.init)
        while true {
            let candidate = Self.join(scopeParts.joined(separator: "."), first)
            if let symbol = self.symbols[candidate] {
                if components.count == 1 {
                    if symbol.isType { return (candidate, symbol) }
                } else if symbol.isAggregate {
                    let full = Self.join(scopeParts.joined(separator: "."), name)
                    guard let found = self.symbols[full], found.isType else {
                        throw Self.invalid(
                            "\"\(name)\" is resolved to \"\(full)\", which is not defined "
                                + "(the first part \"\(first)\" names \"\(candidate)\")", at: location)
                    }
                    return (full, found)
                }
            }
            if scopeParts.isEmpty { break }
            scopeParts.removeLast()
        }
        throw Self.invalid("\"\(name)\" is not defined", at: location)
    }

    mutating func build() throws(ProtoParseError) -> ProtobufSchema {
        for e in self.file.enums {
            try self.addEnum(e, scope: self.file.package)
        }
        var stack: [(String, ProtoMessage)] = self.file.messages.reversed().map { (self.file.package, $0) }
        while let (scope, message) = stack.popLast() {
            let name = Self.join(scope, message.name)
            try self.addMessage(message, fullName: name)
            for e in message.enums { try self.addEnum(e, scope: name) }
            stack += message.messages.reversed().map { (name, $0) }
        }
        for service in self.file.services {
            var methods: [ProtoMethod] = []
            for method in service.methods {
                var resolved = method
                let at = method.location
                let input = try self.lookup(method.inputType, scope: self.file.package, at: at)
                let output = try self.lookup(method.outputType, scope: self.file.package, at: at)
                guard input.1 == .message, output.1 == .message else {
                    throw Self.invalid("rpc \(service.name).\(method.name) must take and return messages", at: at)
                }
                resolved.inputType = input.0
                resolved.outputType = output.0
                methods.append(resolved)
            }
            self.schema.services.append(
                ProtobufServiceDescriptor(fullName: Self.join(self.file.package, service.name), methods: methods))
        }
        return self.schema
    }

    mutating func addEnum(_ e: ProtoEnum, scope: String) throws(ProtoParseError) {
        let name = Self.join(scope, e.name)
        guard let first = e.values.first else { throw Self.invalid("enum \(name) has no values", at: e.location) }
        if self.file.syntax == .proto3 && first.number != 0 {
            throw Self.invalid("the first value of proto3 enum \(name) must be 0", at: first.location)
        }
        var numbers: [Int64: String] = [:]
        var names: Set<String> = []
        for value in e.values {
            guard names.insert(value.name).inserted else {
                throw Self.invalid("enum \(name) value \(value.name) is defined twice", at: value.location)
            }
            if let other = numbers[value.number], !e.allowAlias {
                throw Self.invalid(
                    "enum \(name) values \(other) and \(value.name) share number \(value.number) "
                        + "(set option allow_alias = true)", at: value.location)
            }
            numbers[value.number] = numbers[value.number] ?? value.name
            if e.reservedRanges.contains(where: { $0.contains(value.number) }) || e.reservedNames.contains(value.name) {
                throw Self.invalid("enum \(name) value \(value.name) = \(value.number) is reserved", at: value.location)
            }
        }
        self.schema.enums[name] = ProtobufEnumDescriptor(
            fullName: name, values: e.values, allowAlias: e.allowAlias, reservedRanges: e.reservedRanges,
            reservedNames: e.reservedNames)
        self.schema.enumOrder.append(name)
    }

    mutating func resolveType(
        _ type: ProtoTypeReference, scope: String, at location: ProtoSourceLocation
    ) throws(ProtoParseError) -> ProtobufFieldType {
        switch type {
        case .scalar(let s):
            return .scalar(s)
        case .named(let n):
            let (full, symbol) = try self.lookup(n, scope: scope, at: location)
            return symbol == .enum ? .enum(full) : .message(full)
        case .map:
            preconditionFailure("map types are resolved by addMessage")
        }
    }

    mutating func addMessage(_ message: ProtoMessage, fullName: String) throws(ProtoParseError) {
        var fields: [ProtobufFieldDescriptor] = []
        var numbers: [Int64: String] = [:]
        var mapEntries: [ProtobufMessageDescriptor] = []
        for field in message.fields {
            if let other = numbers[field.number] {
                throw Self.invalid(
                    "message \(fullName) fields \(other) and \(field.name) share number \(field.number)",
                    at: field.location)
            }
            numbers[field.number] = field.name
            if fields.contains(where: { $0.name == field.name }) {
                throw Self.invalid("message \(fullName) field \(field.name) is defined twice", at: field.location)
            }
            if message.reservedRanges.contains(where: { $0.contains(field.number) }) {
                throw Self.invalid(
                    "message \(fullName) field \(field.name) uses reserved number \(field.number)", at: field.location)
            }
            if message.reservedNames.contains(field.name) {
                throw Self.invalid("message \(fullName) field name \(field.name) is reserved", at: field.location)
            }
            if message.extensionRanges.contains(where: { $0.contains(field.number) }) {
                throw Self.invalid(
                    "message \(fullName) field \(field.name) number \(field.number) is in an extension range",
                    at: field.location)
            }
            let type: ProtobufFieldType
            let label: ProtobufLabel
            var isMap = false
            if case .map(let key, let value) = field.type {
                let entryName = Self.join(fullName, Self.mapEntryName(field.name))
                let valueType = try self.resolveType(value, scope: fullName, at: field.location)
                mapEntries.append(
                    ProtobufMessageDescriptor(
                        fullName: entryName,
                        fields: [
                            ProtobufFieldDescriptor(
                                name: "key", number: 1, jsonName: "key", label: .optional, type: .scalar(key),
                                oneof: nil, isProto3Optional: false, isMap: false, isPacked: false),
                            ProtobufFieldDescriptor(
                                name: "value", number: 2, jsonName: "value", label: .optional, type: valueType,
                                oneof: nil, isProto3Optional: false, isMap: false, isPacked: false),
                        ],
                        oneofs: [], reservedRanges: [], reservedNames: [], extensionRanges: [], isMapEntry: true))
                type = .message(entryName)
                label = .repeated
                isMap = true
            } else {
                type = try self.resolveType(field.type, scope: fullName, at: field.location)
                switch field.label {
                case .implicit, .optional: label = .optional
                case .required: label = .required
                case .repeated: label = .repeated
                }
            }
            var packed = false
            if label == .repeated, !isMap {
                let packable: Bool
                switch type {
                case .scalar(let s): packable = s.isPackable
                case .enum: packable = true
                case .message: packable = false
                }
                packed = packable && (field.packed ?? (self.file.syntax == .proto3))
            }
            fields.append(
                ProtobufFieldDescriptor(
                    name: field.name, number: field.number,
                    jsonName: field.jsonName ?? ProtoParser.defaultJSONName(field.name), label: label, type: type,
                    oneof: field.oneof, isProto3Optional: self.file.syntax == .proto3 && field.label == .optional,
                    isMap: isMap, isPacked: packed))
        }
        self.schema.messages[fullName] = ProtobufMessageDescriptor(
            fullName: fullName, fields: fields, oneofs: message.oneofs, reservedRanges: message.reservedRanges,
            reservedNames: message.reservedNames, extensionRanges: message.extensionRanges, isMapEntry: false)
        self.schema.messageOrder.append(fullName)
        for entry in mapEntries {
            self.schema.messages[entry.fullName] = entry
            self.schema.messageOrder.append(entry.fullName)
        }
    }
}
