internal import MicroStateProtos

/// The files of a serialized `google.protobuf.FileDescriptorSet`, indexed for server reflection: by file name,
/// by every fully-qualified symbol they declare, and by extension; plus the list of services.
///
/// The node's own set (`DescriptorIndex.embedded`) is generated from proto/ by scripts/gen-proto.sh and compiled
/// into the binary as a C array (Generated/descriptor_set.c). protobuf-c ships no generated code for
/// descriptor.proto, so the few fields needed are read with a small wire reader; each file's serialized
/// `FileDescriptorProto` is kept as it came, which is what reflection sends.
///
/// Symbols, as `google::protobuf::DescriptorPool::FindFileContainingSymbol` knows them: services
/// (`pkg.Service`), methods (`pkg.Service.Method`), messages and nested messages (`pkg.Outer.Inner`), their
/// fields (`pkg.Message.field`), enums, enum values (scoped like the enum itself: `pkg.Outer.VALUE`) and
/// extensions. Immutable once built; `Sendable`.
public struct DescriptorIndex: Sendable {
    /// One `FileDescriptorProto` of the set.
    public struct File: Sendable, Hashable {
        /// `name` (1), e.g. `microstate/v1/kv.proto`.
        public let name: String
        /// `package` (2), e.g. `microstate.v1`; "" when none.
        public let package: String
        /// `dependency` (3): names of the imported files.
        public let dependencies: [String]
        /// Fully-qualified names of the services it declares.
        public let services: [String]
        /// The serialized `FileDescriptorProto`, as in the set.
        public let serialized: [UInt8]
    }

    /// Files in set order (protoc writes dependencies before their dependents).
    public let files: [File]
    private let fileByName: [String: Int]
    private let fileBySymbol: [String: Int]
    /// `extendee` without its leading dot → extension number → file.
    private let fileByExtension: [String: [Int32: Int]]

    /// Most nesting levels of messages read (descriptor.proto sets no limit; protoc's parser allows about 100).
    static let maxNestingDepth = 64

    /// The node's own set: every file in proto/ and its imports. Parsed on first use.
    public static let embedded: DescriptorIndex = {
        let bytes = [UInt8](
            UnsafeBufferPointer(start: microstate_descriptor_set_bytes(), count: microstate_descriptor_set_count())
        )
        do {
            return try DescriptorIndex(serializedSet: bytes)
        } catch {
            preconditionFailure("the embedded descriptor set does not parse: \(error); run `make proto`")
        }
    }()

    /// Parses a serialized `FileDescriptorSet`. Malformed bytes throw ``WireError/Code/malformed``; a file name
    /// given twice keeps its first file, as does a symbol declared twice.
    public init(serializedSet: [UInt8]) throws(WireError) {
        var files: [File] = []
        var fileByName: [String: Int] = [:]
        var fileBySymbol: [String: Int] = [:]
        var fileByExtension: [String: [Int32: Int]] = [:]
        var reader = ProtobufReader(serializedSet[...])
        while let field = try reader.nextField() {
            guard field.number == 1, field.type == .lengthDelimited else {  // `file` (1)
                try reader.skip(field.type)
                continue
            }
            let serialized = try reader.readLengthDelimited()
            let parsed = try Self.parseFile(serialized)
            guard fileByName[parsed.file.name] == nil else { continue }
            let index = files.count
            files.append(parsed.file)
            fileByName[parsed.file.name] = index
            for symbol in parsed.symbols where fileBySymbol[symbol] == nil {
                fileBySymbol[symbol] = index
            }
            for (extendee, number) in parsed.extensions where fileByExtension[extendee, default: [:]][number] == nil {
                fileByExtension[extendee, default: [:]][number] = index
            }
        }
        self.files = files
        self.fileByName = fileByName
        self.fileBySymbol = fileBySymbol
        self.fileByExtension = fileByExtension
    }

    /// Every service of every file, fully qualified, sorted.
    public var serviceNames: [String] {
        self.files.flatMap(\.services).sorted()
    }

    /// The file named `name`, or nil.
    public func file(named name: String) -> File? {
        self.fileByName[name].map { self.files[$0] }
    }

    /// The file declaring the fully-qualified `symbol` (a leading dot is allowed), or nil.
    public func file(containingSymbol symbol: String) -> File? {
        let name = symbol.hasPrefix(".") ? String(symbol.dropFirst()) : symbol
        return self.fileBySymbol[name].map { self.files[$0] }
    }

    /// The file declaring extension `number` of the message `containingType`, or nil.
    public func file(containingExtension number: Int32, of containingType: String) -> File? {
        let name = containingType.hasPrefix(".") ? String(containingType.dropFirst()) : containingType
        return self.fileByExtension[name]?[number].map { self.files[$0] }
    }

    /// The extension numbers declared for the message `type`, sorted; nil when `type` is not a known message.
    public func extensionNumbers(of type: String) -> [Int32]? {
        let name = type.hasPrefix(".") ? String(type.dropFirst()) : type
        guard self.fileBySymbol[name] != nil else { return nil }
        return (self.fileByExtension[name].map { Array($0.keys) } ?? []).sorted()
    }

    /// `file` and every file it imports, directly or not, each once, `file` first: what reflection answers so
    /// a client can build the file without asking again. Imports missing from the set are left out.
    public func withDependencies(_ file: File) -> [File] {
        var result = [file]
        var seen: Set<String> = [file.name]
        var next = 0
        // Breadth-first over a worklist (no recursion); each file enters once, so at most `files.count` rounds.
        while next < result.count {
            for dependency in result[next].dependencies where !seen.contains(dependency) {
                seen.insert(dependency)
                if let index = self.fileByName[dependency] {
                    result.append(self.files[index])
                }
            }
            next += 1
        }
        return result
    }

    // MARK: - Parsing

    private struct ParsedFile {
        var file: File
        var symbols: [String]
        var extensions: [(String, Int32)]
    }

    /// Reads a `FileDescriptorProto`: name (1), package (2), dependency (3), message_type (4), enum_type (5),
    /// service (6), extension (7).
    private static func parseFile(_ bytes: ArraySlice<UInt8>) throws(WireError) -> ParsedFile {
        var name = ""
        var package = ""
        var dependencies: [String] = []
        var messages: [ArraySlice<UInt8>] = []
        var enums: [ArraySlice<UInt8>] = []
        var serviceBytes: [ArraySlice<UInt8>] = []
        var extensionBytes: [ArraySlice<UInt8>] = []
        var reader = ProtobufReader(bytes)
        while let field = try reader.nextField() {
            switch (field.number, field.type) {
            case (1, .lengthDelimited): name = try reader.readString()
            case (2, .lengthDelimited): package = try reader.readString()
            case (3, .lengthDelimited): dependencies.append(try reader.readString())
            case (4, .lengthDelimited): messages.append(try reader.readLengthDelimited())
            case (5, .lengthDelimited): enums.append(try reader.readLengthDelimited())
            case (6, .lengthDelimited): serviceBytes.append(try reader.readLengthDelimited())
            case (7, .lengthDelimited): extensionBytes.append(try reader.readLengthDelimited())
            default: try reader.skip(field.type)
            }
        }
        guard !name.isEmpty else {
            throw WireError(code: .malformed, message: "a FileDescriptorProto without a name")
        }
        let prefix = package.isEmpty ? "" : package + "."
        var symbols: [String] = []
        var extensions: [(String, Int32)] = []
        var services: [String] = []
        for service in serviceBytes {
            let (serviceName, methods) = try Self.parseService(service)
            services.append(prefix + serviceName)
            symbols.append(prefix + serviceName)
            symbols += methods.map { prefix + serviceName + "." + $0 }
        }
        for enumBytes in enums {
            symbols += try Self.enumSymbols(enumBytes, scope: prefix)
        }
        for extensionBytes in extensionBytes {
            let field = try Self.parseField(extensionBytes)
            symbols.append(prefix + field.name)
            extensions.append((field.extendee, field.number))
        }
        // Messages and their nested types, breadth-first over a bounded worklist (no recursion).
        var pending = messages.map { (bytes: $0, scope: prefix, depth: 1) }
        var next = 0
        while next < pending.count {
            let (messageBytes, scope, depth) = pending[next]
            next += 1
            guard depth <= Self.maxNestingDepth else {
                throw WireError(code: .malformed, message: "messages nested deeper than \(Self.maxNestingDepth) in \(name)")
            }
            var messageName = ""
            var nested: [ArraySlice<UInt8>] = []
            var nestedEnums: [ArraySlice<UInt8>] = []
            var fields: [ArraySlice<UInt8>] = []
            var nestedExtensions: [ArraySlice<UInt8>] = []
            var reader = ProtobufReader(messageBytes)
            // DescriptorProto: name (1), field (2), nested_type (3), enum_type (4), extension (6).
            while let field = try reader.nextField() {
                switch (field.number, field.type) {
                case (1, .lengthDelimited): messageName = try reader.readString()
                case (2, .lengthDelimited): fields.append(try reader.readLengthDelimited())
                case (3, .lengthDelimited): nested.append(try reader.readLengthDelimited())
                case (4, .lengthDelimited): nestedEnums.append(try reader.readLengthDelimited())
                case (6, .lengthDelimited): nestedExtensions.append(try reader.readLengthDelimited())
                default: try reader.skip(field.type)
                }
            }
            let fullName = scope + messageName
            symbols.append(fullName)
            let inner = fullName + "."
            for field in fields {
                symbols.append(inner + (try Self.parseField(field)).name)
            }
            for enumBytes in nestedEnums {
                symbols += try Self.enumSymbols(enumBytes, scope: inner)
            }
            for extensionBytes in nestedExtensions {
                let field = try Self.parseField(extensionBytes)
                symbols.append(inner + field.name)
                extensions.append((field.extendee, field.number))
            }
            pending += nested.map { (bytes: $0, scope: inner, depth: depth + 1) }
        }
        let file = File(name: name, package: package, dependencies: dependencies, services: services, serialized: Array(bytes))
        return ParsedFile(file: file, symbols: symbols, extensions: extensions)
    }

    /// ServiceDescriptorProto: name (1), method (2) with MethodDescriptorProto name (1).
    private static func parseService(_ bytes: ArraySlice<UInt8>) throws(WireError) -> (String, [String]) {
        var name = ""
        var methods: [String] = []
        var reader = ProtobufReader(bytes)
        while let field = try reader.nextField() {
            switch (field.number, field.type) {
            case (1, .lengthDelimited): name = try reader.readString()
            case (2, .lengthDelimited): methods.append(try Self.parseName(try reader.readLengthDelimited()))
            default: try reader.skip(field.type)
            }
        }
        return (name, methods)
    }

    /// EnumDescriptorProto: name (1), value (2) with EnumValueDescriptorProto name (1). The values are siblings of
    /// the enum (C++ scoping rules), so they take the enum's scope.
    private static func enumSymbols(_ bytes: ArraySlice<UInt8>, scope: String) throws(WireError) -> [String] {
        var name = ""
        var values: [String] = []
        var reader = ProtobufReader(bytes)
        while let field = try reader.nextField() {
            switch (field.number, field.type) {
            case (1, .lengthDelimited): name = try reader.readString()
            case (2, .lengthDelimited): values.append(scope + (try Self.parseName(try reader.readLengthDelimited())))
            default: try reader.skip(field.type)
            }
        }
        return [scope + name] + values
    }

    /// FieldDescriptorProto: name (1), extendee (2, for extensions), number (3).
    private static func parseField(_ bytes: ArraySlice<UInt8>) throws(WireError) -> (name: String, extendee: String, number: Int32) {
        var name = ""
        var extendee = ""
        var number: Int32 = 0
        var reader = ProtobufReader(bytes)
        while let field = try reader.nextField() {
            switch (field.number, field.type) {
            case (1, .lengthDelimited): name = try reader.readString()
            case (2, .lengthDelimited): extendee = try reader.readString()
            case (3, .varint): number = Int32(truncatingIfNeeded: try reader.readVarint())
            default: try reader.skip(field.type)
            }
        }
        return (name, extendee.hasPrefix(".") ? String(extendee.dropFirst()) : extendee, number)
    }

    /// The `name` (1) of a descriptor message.
    private static func parseName(_ bytes: ArraySlice<UInt8>) throws(WireError) -> String {
        var reader = ProtobufReader(bytes)
        var name = ""
        while let field = try reader.nextField() {
            if field.number == 1, field.type == .lengthDelimited {
                name = try reader.readString()
            } else {
                try reader.skip(field.type)
            }
        }
        return name
    }
}
