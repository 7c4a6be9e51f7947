/// Limits on a schema document. Schemas arrive in registration requests, so every dimension that can grow is bounded.
public struct AvroSchemaLimits: Sendable, Hashable {
    /// Largest schema text accepted. 1 MiB: Confluent's largest real schemas are a few hundred KiB.
    public var maxBytes: Int
    /// Deepest JSON nesting accepted. 64 bounds the parser's (and the canonical form writer's) recursion.
    public var maxDepth: Int
    /// Most branches in one union. Resolution compares union branches pairwise, so this bounds that work;
    /// 1,024 is far beyond real unions (Confluent's guidance is a handful of event types per topic).
    public var maxUnionBranches: Int

    public init(maxBytes: Int = 1 << 20, maxDepth: Int = 64, maxUnionBranches: Int = 1024) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxUnionBranches = maxUnionBranches
    }
}

/// Why a schema was rejected: a code to match on, where (`record Order field email`), and a sentence.
public struct AvroSchemaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure; extensible.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { self.rawValue }

        /// The text is not JSON (`offset` says where).
        public static let malformedJSON = Code(rawValue: "malformedJSON")
        /// The text exceeds `AvroSchemaLimits.maxBytes`, or a union `maxUnionBranches`.
        public static let tooLarge = Code(rawValue: "tooLarge")
        /// The JSON nests deeper than `AvroSchemaLimits.maxDepth`.
        public static let tooDeep = Code(rawValue: "tooDeep")
        /// JSON that is not a schema: a missing or mistyped attribute.
        public static let invalidSchema = Code(rawValue: "invalidSchema")
        /// A name that is not a primitive and not a previously defined named type.
        public static let unknownType = Code(rawValue: "unknownType")
        /// A name, namespace, symbol or field name that breaks the spec's name rules.
        public static let invalidName = Code(rawValue: "invalidName")
        /// A named type defined twice, or a repeated field name or enum symbol.
        public static let duplicateName = Code(rawValue: "duplicateName")
        /// A union nesting a union, or holding two branches of the same type.
        public static let invalidUnion = Code(rawValue: "invalidUnion")
        /// A field default (or enum default) that does not match its type.
        public static let invalidDefault = Code(rawValue: "invalidDefault")
    }

    public var code: Code
    /// Where in the schema: `record Order field email`; empty at the root.
    public var path: String
    /// Byte offset in the schema text, for JSON errors.
    public var offset: Int?
    public var message: String

    public init(code: Code, path: String, offset: Int? = nil, message: String) {
        self.code = code
        self.path = path
        self.offset = offset
        self.message = message
    }

    public var description: String {
        var text = "\(self.code)"
        if !self.path.isEmpty { text += " at \(self.path)" }
        if let offset = self.offset { text += " (byte \(offset))" }
        return text + ": " + self.message
    }
}

/// Avro's primitive types (spec "Primitive Types").
public enum AvroPrimitive: String, Sendable, Hashable, CaseIterable {
    case null, boolean, int, long, float, double, bytes, string
}

/// The logical types of the Avro 1.11 spec. Unknown or invalid logical types are dropped at parse time, as the spec
/// requires ("implementations should ignore the logical type and use the underlying Avro type").
public enum AvroLogicalType: Sendable, Hashable {
    case decimal(precision: Int, scale: Int)
    case uuid
    case date
    case timeMillis
    case timeMicros
    case timestampMillis
    case timestampMicros
    case localTimestampMillis
    case localTimestampMicros
    case duration
}

/// A type position in a schema. Named types appear by fullname and live in `AvroSchema.namedTypes`, which is how
/// recursive records are represented.
public indirect enum AvroType: Sendable, Hashable {
    case primitive(AvroPrimitive, logical: AvroLogicalType?)
    case array(items: AvroType)
    case map(values: AvroType)
    case union([AvroType])
    /// A record, enum or fixed, by fullname.
    case named(String)

    /// A plain primitive with no logical type.
    public static func plain(_ primitive: AvroPrimitive) -> AvroType { .primitive(primitive, logical: nil) }
}

/// A record field.
public struct AvroField: Sendable, Hashable {
    /// Sort order of a field (spec "Sort Order").
    public enum Order: String, Sendable, Hashable {
        case ascending, descending, ignore
    }

    public var name: String
    public var type: AvroType
    /// The default, as JSON, already checked against `type` (for unions, against the first branch).
    public var defaultValue: AvroJSONValue?
    public var aliases: [String]
    public var doc: String?
    public var order: Order
}

/// A record, enum or fixed definition.
public struct AvroNamedType: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case record(fields: [AvroField])
        case enumeration(symbols: [String], defaultSymbol: String?)
        case fixed(size: Int, logical: AvroLogicalType?)
    }

    /// Namespace-qualified name (`com.example.Order`).
    public var fullname: String
    /// Alias fullnames (relative aliases are resolved against this type's namespace).
    public var aliases: [String]
    public var doc: String?
    public var kind: Kind

    /// The unqualified name (`Order`).
    public var name: String {
        guard let dot = self.fullname.lastIndex(of: ".") else { return self.fullname }
        return String(self.fullname[self.fullname.index(after: dot)...])
    }

    /// The namespace, empty for the null namespace.
    public var namespace: String {
        guard let dot = self.fullname.lastIndex(of: ".") else { return "" }
        return String(self.fullname[..<dot])
    }

    /// `record Order`, `enum Suit`, `fixed MD5`: how paths and messages name this type.
    var label: String {
        switch self.kind {
        case .record: "record \(self.name)"
        case .enumeration: "enum \(self.name)"
        case .fixed: "fixed \(self.name)"
        }
    }
}

/// A parsed, validated Avro schema (Avro 1.11 specification).
///
/// Parse with `AvroSchema(parsing:)`; the result has every name resolved, every default checked and every union
/// validated, so the compatibility checker and the binary validator need no further checks.
public struct AvroSchema: Sendable, Hashable {
    /// The top-level type.
    public let root: AvroType
    /// Every named type defined in the schema, by fullname.
    public let namedTypes: [String: AvroNamedType]

    /// Parses schema text (JSON). Throws `AvroSchemaError` naming the path of the first problem.
    public init(parsing text: String, limits: AvroSchemaLimits = AvroSchemaLimits()) throws(AvroSchemaError) {
        try self.init(parsing: Array(text.utf8), namedTypes: [:], limits: limits)
    }

    /// Parses schema bytes (UTF-8 JSON).
    public init(parsing bytes: [UInt8], limits: AvroSchemaLimits = AvroSchemaLimits()) throws(AvroSchemaError) {
        try self.init(parsing: bytes, namedTypes: [:], limits: limits)
    }

    /// Parses schema text that may use the named types of already parsed schemas (a registry schema's references,
    /// Confluent's semantics: each reference names a record, enum or fixed its schema defines).
    ///
    /// The referenced types join `namedTypes` exactly as if they were defined inline before the root, so the
    /// canonical form writes them in full at their first use, and compatibility and binary validation follow them
    /// like any other definition. Redefining a referenced name is `duplicateName`; so are two referenced schemas
    /// that define the same fullname differently.
    public init(
        parsing text: String,
        referencing referenced: [AvroSchema],
        limits: AvroSchemaLimits = AvroSchemaLimits()
    ) throws(AvroSchemaError) {
        var known: [String: AvroNamedType] = [:]
        for schema in referenced {
            for (fullname, definition) in schema.namedTypes {
                if let earlier = known[fullname], earlier != definition {
                    throw AvroSchemaError(
                        code: .duplicateName, path: "",
                        message: "\(fullname) is defined differently by two referenced schemas")
                }
                known[fullname] = definition
            }
        }
        try self.init(parsing: Array(text.utf8), namedTypes: known, limits: limits)
    }

    /// Parses schema bytes with `namedTypes` already defined (see `init(parsing:referencing:limits:)`).
    ///
    /// - Precondition: every `.named` inside `namedTypes` is itself a key of `namedTypes` (true for the
    ///   `namedTypes` of any parsed schema, and for unions of them), which is why this stays internal.
    init(
        parsing bytes: [UInt8],
        namedTypes: [String: AvroNamedType],
        limits: AvroSchemaLimits = AvroSchemaLimits()
    ) throws(AvroSchemaError) {
        let json = try AvroJSONReader.parse(bytes, limits: limits)
        var parser = AvroSchemaParser(limits: limits)
        parser.named = namedTypes
        let root = try parser.parseType(json, namespace: "")
        try parser.validateDefaults()
        self.root = root
        self.namedTypes = parser.named
    }

    /// The definition of a named type referenced from this schema.
    ///
    /// - Precondition: `fullname` is defined in this schema (true for every `.named` the parser produced).
    public func definition(of fullname: String) -> AvroNamedType {
        guard let type = self.namedTypes[fullname] else {
            preconditionFailure("named type \(fullname) is not defined in this schema")
        }
        return type
    }

    /// A short description of a type for messages: `int`, `array`, `record Order`.
    func describe(_ type: AvroType) -> String {
        switch type {
        case .primitive(let primitive, _): primitive.rawValue
        case .array: "array"
        case .map: "map"
        case .union: "union"
        case .named(let fullname): self.definition(of: fullname).label
        }
    }
}

/// Recursive-descent schema parser over the JSON tree; its depth is bounded by the JSON depth limit.
struct AvroSchemaParser {
    let limits: AvroSchemaLimits
    var named: [String: AvroNamedType] = [:]
    /// The human path of the current position (`record Order`, `field email`).
    private var path: [String] = []
    /// Defaults are checked once every named type is complete, since a default may involve a type that is still
    /// being parsed (a recursive record).
    private var pendingDefaults: [(type: AvroType, value: AvroJSONValue, path: String)] = []

    init(limits: AvroSchemaLimits) {
        self.limits = limits
    }

    private static let primitiveNames: [String: AvroPrimitive] = Dictionary(
        uniqueKeysWithValues: AvroPrimitive.allCases.map { ($0.rawValue, $0) })

    private func error(_ code: AvroSchemaError.Code, _ message: String) -> AvroSchemaError {
        AvroSchemaError(code: code, path: self.path.joined(separator: " "), message: message)
    }

    // MARK: Names (spec "Names")

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first else { return false }
        func isLetter(_ byte: UInt8) -> Bool {
            (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
        }
        return isLetter(first) && name.utf8.allSatisfy { isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    private func checkNamespace(_ namespace: String) throws(AvroSchemaError) {
        guard
            namespace.isEmpty
                || namespace.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({
                    Self.isValidName(String($0))
                })
        else {
            throw self.error(.invalidName, "invalid namespace \"\(namespace)\"")
        }
    }

    /// Resolves a name as written in a definition (or alias) to a fullname: a dotted name is already a fullname;
    /// otherwise the explicit namespace, else the enclosing one, qualifies it.
    private func fullname(_ name: String, explicitNamespace: String?, enclosing: String) throws(AvroSchemaError)
        -> String
    {
        if let dot = name.lastIndex(of: ".") {
            let namespace = String(name[..<dot])
            let short = String(name[name.index(after: dot)...])
            try self.checkNamespace(namespace)
            guard Self.isValidName(short) else { throw self.error(.invalidName, "invalid name \"\(name)\"") }
            return name
        }
        guard Self.isValidName(name) else { throw self.error(.invalidName, "invalid name \"\(name)\"") }
        let namespace = explicitNamespace ?? enclosing
        try self.checkNamespace(namespace)
        return namespace.isEmpty ? name : "\(namespace).\(name)"
    }

    private static func namespace(of fullname: String) -> String {
        guard let dot = fullname.lastIndex(of: ".") else { return "" }
        return String(fullname[..<dot])
    }

    /// Resolves a reference to a previously defined type: the enclosing namespace first, then the null namespace
    /// (as Apache Avro's Java `Schema.Names.get` does).
    private func resolveReference(_ name: String, namespace: String) throws(AvroSchemaError) -> AvroType {
        if let primitive = Self.primitiveNames[name] { return .plain(primitive) }
        var candidates: [String] = []
        if name.contains(".") {
            candidates = [name]
        } else {
            if !namespace.isEmpty { candidates.append("\(namespace).\(name)") }
            candidates.append(name)
        }
        for candidate in candidates where self.named[candidate] != nil {
            return .named(candidate)
        }
        throw self.error(.unknownType, "unknown type \"\(name)\" (not a primitive nor a previously defined name)")
    }

    // MARK: Types

    mutating func parseType(_ json: AvroJSONValue, namespace: String) throws(AvroSchemaError) -> AvroType {
        switch json {
        case .string(let name):
            return try self.resolveReference(name, namespace: namespace)
        case .array(let branches):
            return try self.parseUnion(branches, namespace: namespace)
        case .object:
            return try self.parseObject(json, namespace: namespace)
        default:
            throw self.error(.invalidSchema, "a schema must be a string, an object or an array, not \(json.kindName)")
        }
    }

    private mutating func parseUnion(_ branches: [AvroJSONValue], namespace: String) throws(AvroSchemaError)
        -> AvroType
    {
        guard branches.count <= self.limits.maxUnionBranches else {
            throw self.error(
                .tooLarge, "union has \(branches.count) branches; the limit is \(self.limits.maxUnionBranches)")
        }
        var types: [AvroType] = []
        var seen: [String: Int] = [:]
        for (index, branch) in branches.enumerated() {
            self.path.append("union branch \(index)")
            let type = try self.parseType(branch, namespace: namespace)
            let key: String
            switch type {
            case .union: throw self.error(.invalidUnion, "a union may not directly contain another union")
            case .primitive(let primitive, _): key = primitive.rawValue
            case .array: key = "array"
            case .map: key = "map"
            case .named(let fullname): key = fullname
            }
            if let earlier = seen[key] {
                throw self.error(.invalidUnion, "\(key) already appears in this union as branch \(earlier)")
            }
            seen[key] = index
            types.append(type)
            self.path.removeLast()
        }
        return .union(types)
    }

    private func string(_ json: AvroJSONValue, _ attribute: String) throws(AvroSchemaError) -> String? {
        guard let value = json[attribute] else { return nil }
        guard case .string(let text) = value else {
            throw self.error(.invalidSchema, "\"\(attribute)\" must be a string, not \(value.kindName)")
        }
        return text
    }

    private func strings(_ json: AvroJSONValue, _ attribute: String) throws(AvroSchemaError) -> [String]? {
        guard let value = json[attribute] else { return nil }
        guard case .array(let items) = value else {
            throw self.error(.invalidSchema, "\"\(attribute)\" must be an array of strings")
        }
        var out: [String] = []
        for item in items {
            guard case .string(let text) = item else {
                throw self.error(.invalidSchema, "\"\(attribute)\" must be an array of strings")
            }
            out.append(text)
        }
        return out
    }

    private mutating func parseObject(_ json: AvroJSONValue, namespace: String) throws(AvroSchemaError) -> AvroType {
        guard let typeValue = json["type"] else {
            throw self.error(.invalidSchema, "missing \"type\"")
        }
        guard case .string(let typeName) = typeValue else {
            throw self.error(.invalidSchema, "\"type\" of a schema object must be a string, not \(typeValue.kindName)")
        }
        switch typeName {
        case "record", "error", "enum", "fixed":
            return try self.parseNamed(json, typeName: typeName, namespace: namespace)
        case "array":
            guard let items = json["items"] else { throw self.error(.invalidSchema, "array without \"items\"") }
            self.path.append("array items")
            let type = try self.parseType(items, namespace: namespace)
            self.path.removeLast()
            return .array(items: type)
        case "map":
            guard let values = json["values"] else { throw self.error(.invalidSchema, "map without \"values\"") }
            self.path.append("map values")
            let type = try self.parseType(values, namespace: namespace)
            self.path.removeLast()
            return .map(values: type)
        default:
            if let primitive = Self.primitiveNames[typeName] {
                return .primitive(primitive, logical: try self.logicalType(json, primitive: primitive, fixedSize: nil))
            }
            return try self.resolveReference(typeName, namespace: namespace)
        }
    }

    /// The logical type annotation, or nil when absent, unknown or invalid for the underlying type (spec "Logical
    /// Types": such annotations are ignored).
    private func logicalType(_ json: AvroJSONValue, primitive: AvroPrimitive?, fixedSize: Int?) throws(AvroSchemaError)
        -> AvroLogicalType?
    {
        guard case .string(let name)? = json["logicalType"] else { return nil }
        switch (name, primitive) {
        case ("decimal", .bytes?), ("decimal", nil):
            guard let precision = json["precision"]?.int64Value, precision > 0 else { return nil }
            var scale: Int64 = 0
            if let value = json["scale"] {
                guard let given = value.int64Value, given >= 0 else { return nil }
                scale = given
            }
            guard scale <= precision else { return nil }
            if let size = fixedSize {
                // Largest precision a two's-complement number of `size` bytes holds: floor(log10(2^(8*size-1) - 1)).
                guard size > 0, precision <= Self.maxDecimalDigits(bytes: size) else { return nil }
            }
            return .decimal(precision: Int(precision), scale: Int(scale))
        case ("uuid", .string?): return .uuid
        case ("uuid", nil) where fixedSize == 16: return .uuid
        case ("date", .int?): return .date
        case ("time-millis", .int?): return .timeMillis
        case ("time-micros", .long?): return .timeMicros
        case ("timestamp-millis", .long?): return .timestampMillis
        case ("timestamp-micros", .long?): return .timestampMicros
        case ("local-timestamp-millis", .long?): return .localTimestampMillis
        case ("local-timestamp-micros", .long?): return .localTimestampMicros
        case ("duration", nil) where fixedSize == 12: return .duration
        default: return nil
        }
    }

    /// floor(log10(2^(8*bytes-1) - 1)), the spec's bound on a fixed decimal's precision.
    static func maxDecimalDigits(bytes: Int) -> Int64 {
        // 2^k - 1 is never a power of ten, so floor(log10(2^k - 1)) == floor(k * log10(2)).
        let bits = Double(8 * bytes - 1)
        return Int64((bits * 0.301_029_995_663_981_2).rounded(.down))
    }

    private mutating func parseNamed(_ json: AvroJSONValue, typeName: String, namespace: String)
        throws(AvroSchemaError) -> AvroType
    {
        guard let name = try self.string(json, "name") else {
            throw self.error(.invalidSchema, "\(typeName) without \"name\"")
        }
        var explicitNamespace: String?
        if let value = json["namespace"] {
            switch value {
            case .string(let text): explicitNamespace = text
            case .null: explicitNamespace = ""
            default: throw self.error(.invalidSchema, "\"namespace\" must be a string")
            }
        }
        let fullname = try self.fullname(name, explicitNamespace: explicitNamespace, enclosing: namespace)
        let shortName = fullname.split(separator: ".").last.map(String.init) ?? fullname
        let kindName = typeName == "error" ? "record" : typeName
        self.path.append("\(kindName) \(shortName)")
        defer { self.path.removeLast() }
        if Self.primitiveNames[shortName] != nil && !fullname.contains(".") {
            throw self.error(.invalidName, "\"\(shortName)\" is a primitive type name and cannot be redefined")
        }
        guard self.named[fullname] == nil else {
            throw self.error(.duplicateName, "\(fullname) is already defined")
        }
        let ownNamespace = Self.namespace(of: fullname)
        var aliases: [String] = []
        for alias in try self.strings(json, "aliases") ?? [] {
            aliases.append(try self.fullname(alias, explicitNamespace: nil, enclosing: ownNamespace))
        }
        let doc = try self.string(json, "doc")

        switch typeName {
        case "enum":
            guard let symbols = try self.strings(json, "symbols") else {
                throw self.error(.invalidSchema, "enum without \"symbols\"")
            }
            var seen: Set<String> = []
            for symbol in symbols {
                guard Self.isValidName(symbol) else { throw self.error(.invalidName, "invalid symbol \"\(symbol)\"") }
                guard seen.insert(symbol).inserted else {
                    throw self.error(.duplicateName, "symbol \(symbol) appears twice")
                }
            }
            let defaultSymbol = try self.string(json, "default")
            if let symbol = defaultSymbol, !seen.contains(symbol) {
                throw self.error(.invalidDefault, "enum default \"\(symbol)\" is not one of the symbols")
            }
            self.named[fullname] = AvroNamedType(
                fullname: fullname, aliases: aliases, doc: doc,
                kind: .enumeration(symbols: symbols, defaultSymbol: defaultSymbol))
        case "fixed":
            guard let sizeValue = json["size"] else { throw self.error(.invalidSchema, "fixed without \"size\"") }
            guard let size = sizeValue.int64Value, size >= 0, size <= Int64(Int32.max) else {
                throw self.error(.invalidSchema, "\"size\" must be a non-negative integer")
            }
            let logical = try self.logicalType(json, primitive: nil, fixedSize: Int(size))
            self.named[fullname] = AvroNamedType(
                fullname: fullname, aliases: aliases, doc: doc, kind: .fixed(size: Int(size), logical: logical))
        default:
            // Register before the fields so they can refer to the record (recursion).
            self.named[fullname] = AvroNamedType(
                fullname: fullname, aliases: aliases, doc: doc, kind: .record(fields: []))
            guard let fieldsValue = json["fields"] else {
                throw self.error(.invalidSchema, "record without \"fields\"")
            }
            guard case .array(let fieldValues) = fieldsValue else {
                throw self.error(.invalidSchema, "\"fields\" must be an array")
            }
            var fields: [AvroField] = []
            var fieldNames: Set<String> = []
            for (index, fieldValue) in fieldValues.enumerated() {
                guard case .object = fieldValue, let fieldName = try self.string(fieldValue, "name") else {
                    self.path.append("field \(index)")
                    throw self.error(.invalidSchema, "a field must be an object with a \"name\"")
                }
                self.path.append("field \(fieldName)")
                guard Self.isValidName(fieldName) else {
                    throw self.error(.invalidName, "invalid field name \"\(fieldName)\"")
                }
                guard fieldNames.insert(fieldName).inserted else {
                    throw self.error(.duplicateName, "field \(fieldName) appears twice")
                }
                guard let typeValue = fieldValue["type"] else {
                    throw self.error(.invalidSchema, "field without \"type\"")
                }
                let type = try self.parseType(typeValue, namespace: ownNamespace)
                var order = AvroField.Order.ascending
                if let text = try self.string(fieldValue, "order") {
                    guard let parsed = AvroField.Order(rawValue: text) else {
                        throw self.error(.invalidSchema, "\"order\" must be ascending, descending or ignore")
                    }
                    order = parsed
                }
                let defaultValue = fieldValue["default"]
                if let value = defaultValue {
                    self.pendingDefaults.append((type, value, self.path.joined(separator: " ")))
                }
                let fieldAliases = try self.strings(fieldValue, "aliases") ?? []
                for alias in fieldAliases where !Self.isValidName(alias) {
                    throw self.error(.invalidName, "invalid field alias \"\(alias)\"")
                }
                fields.append(
                    AvroField(
                        name: fieldName, type: type, defaultValue: defaultValue, aliases: fieldAliases,
                        doc: try self.string(fieldValue, "doc"), order: order))
                self.path.removeLast()
            }
            self.named[fullname]?.kind = .record(fields: fields)
        }
        return .named(fullname)
    }

    // MARK: Defaults (spec "Complex Types: Records", default values table)

    func validateDefaults() throws(AvroSchemaError) {
        for pending in self.pendingDefaults {
            if let problem = self.defaultProblem(pending.type, pending.value) {
                throw AvroSchemaError(code: .invalidDefault, path: pending.path, message: "invalid default: \(problem)")
            }
        }
    }

    /// Why `value` is not a valid default for `type`, or nil when it is. Recursion follows the JSON value, so its
    /// depth is bounded by the JSON depth limit.
    func defaultProblem(_ type: AvroType, _ value: AvroJSONValue) -> String? {
        switch type {
        case .primitive(let primitive, _):
            switch (primitive, value) {
            case (.null, .null), (.boolean, .bool), (.string, .string): return nil
            case (.int, _):
                guard let number = value.int64Value, Int64(Int32.min)...Int64(Int32.max) ~= number else {
                    return "expected an int, got \(value)"
                }
                return nil
            case (.long, _):
                return value.int64Value == nil ? "expected a long, got \(value)" : nil
            case (.float, .number), (.double, .number): return nil
            case (.bytes, .string(let text)):
                return text.unicodeScalars.allSatisfy({ $0.value <= 0xFF })
                    ? nil : "bytes defaults are strings of code points 0-255"
            default: return "expected \(primitive.rawValue), got \(value.kindName)"
            }
        case .array(let items):
            guard case .array(let elements) = value else { return "expected an array, got \(value.kindName)" }
            for (index, element) in elements.enumerated() {
                if let problem = self.defaultProblem(items, element) { return "item \(index): \(problem)" }
            }
            return nil
        case .map(let values):
            guard case .object(let members) = value else { return "expected an object, got \(value.kindName)" }
            for member in members {
                if let problem = self.defaultProblem(values, member.value) { return "key \(member.key): \(problem)" }
            }
            return nil
        case .union(let branches):
            // Spec: "Default values for union fields correspond to the first schema in the union."
            guard let first = branches.first else { return "an empty union has no default" }
            return self.defaultProblem(first, value).map { "the first union branch: \($0)" }
        case .named(let fullname):
            guard let definition = self.named[fullname] else { return "unknown type" }
            switch definition.kind {
            case .fixed(let size, _):
                guard case .string(let text) = value, text.unicodeScalars.allSatisfy({ $0.value <= 0xFF }) else {
                    return "expected a string of code points 0-255 for \(definition.label)"
                }
                let count = text.unicodeScalars.count
                return count == size ? nil : "\(definition.label) has size \(size), the default has \(count) bytes"
            case .enumeration(let symbols, _):
                guard case .string(let text) = value, symbols.contains(text) else {
                    return "expected a symbol of \(definition.label), got \(value)"
                }
                return nil
            case .record(let fields):
                guard case .object = value else { return "expected an object for \(definition.label)" }
                for field in fields {
                    if let given = value[field.name] {
                        if let problem = self.defaultProblem(field.type, given) {
                            return "field \(field.name): \(problem)"
                        }
                    } else if field.defaultValue == nil {
                        return "field \(field.name) is missing and has no default"
                    }
                }
                return nil
            }
        }
    }
}
