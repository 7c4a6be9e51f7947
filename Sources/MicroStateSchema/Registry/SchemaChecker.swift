/// Parses registered schemas of any type and checks one against earlier versions: the `check` function
/// `SchemaRegistryState.register` takes, for every schema type.
///
/// A schema that does not parse is `RegistryError.invalidSchema` (42201) naming the parser's error. Protobuf
/// schemas are checked with the Confluent-equivalent rules plus `FIELD_NUMBER_NOT_REUSED` (the deleted-number reuse
/// Confluent accepts; docs/schemas.md) by default, or with buf's WIRE/WIRE_JSON sets.
public struct SchemaChecker: Sendable {
    /// Most schemas one schema may reach through its references (transitively).
    public static let maxReferencedSchemas = 256

    /// The rule set for Protobuf schemas.
    public var protobufRules: ProtobufRuleSet

    public init(protobufRules: ProtobufRuleSet = .confluent) {
        self.protobufRules = protobufRules
    }

    /// Incompatibilities of `new` against `previous` (oldest first, as the level selected them) under `level`;
    /// `resolve` returns the schema a reference names (for Protobuf imports), nil when it does not exist.
    public func check(
        _ new: RegisteredSchema,
        against previous: [RegisteredSchema],
        level: CompatibilityLevel,
        resolve: (SchemaReference) -> RegisteredSchema?
    ) throws(RegistryError) -> [CompatibilityMessage] {
        switch new.type {
        case .json:
            let parsed = try Self.json(new, resolve)
            let earlier = try previous.map { (schema) throws(RegistryError) in try Self.json(schema, resolve) }
            return Self.pairwise(level, new: parsed, previous: earlier, JSONSchemaCompatibility.check(reader:writer:))
        case .avro:
            let parsed = try Self.avro(new, resolve)
            let earlier = try previous.map { (schema) throws(RegistryError) in try Self.avro(schema, resolve) }
            return Self.pairwise(level, new: parsed, previous: earlier, AvroCompatibility.check(reader:writer:))
        case .protobuf:
            let parsed = try Self.protobuf(new, resolve)
            let earlier = try previous.map { (schema) throws(RegistryError) in try Self.protobuf(schema, resolve) }
            return ProtobufCompatibility.check(new: parsed, previous: earlier, level: level, ruleSet: self.protobufRules)
        }
    }

    /// Problems only a subject's whole history shows (every version still known, oldest first), whatever the level
    /// selects for the pairwise checks: for Protobuf, `FIELD_NUMBER_NOT_REUSED` — a number an earlier version used
    /// for another field, dropped since without being reserved, and now used again (Confluent's gap: its checks
    /// see only the latest version under BACKWARD/FORWARD/FULL, so the reuse looks like a rename). Empty for the
    /// other types and under NONE.
    public func historyProblems(
        _ new: RegisteredSchema,
        history: [RegisteredSchema],
        level: CompatibilityLevel,
        resolve: (SchemaReference) -> RegisteredSchema?
    ) throws(RegistryError) -> [CompatibilityMessage] {
        guard new.type == .protobuf, level != .none, !history.isEmpty else { return [] }
        let parsed = try Self.protobuf(new, resolve)
        var earlier: [ProtobufSchema] = []
        for schema in history where schema.type == .protobuf {
            earlier.append(try Self.protobuf(schema, resolve))
        }
        return ProtobufCompatibility.checkNumberReuse(new: parsed, previous: earlier)
    }

    /// Parses `schema` (42201 when it does not parse), e.g. before registering a first version.
    public func validate(_ schema: RegisteredSchema, resolve: (SchemaReference) -> RegisteredSchema?) throws(RegistryError) {
        _ = try self.check(schema, against: [], level: .none, resolve: resolve)
    }

    private static func pairwise<Parsed>(
        _ level: CompatibilityLevel,
        new: Parsed,
        previous: [Parsed],
        _ check: (_ reader: Parsed, _ writer: Parsed) -> [CompatibilityMessage]
    ) -> [CompatibilityMessage] {
        var out: [CompatibilityMessage] = []
        for pair in level.pairs(previousCount: previous.count) {
            let reader = pair.reader == -1 ? new : previous[pair.reader]
            let writer = pair.writer == -1 ? new : previous[pair.writer]
            for message in check(reader, writer) where !out.contains(message) {
                out.append(message)
            }
        }
        return out
    }

    private static func json(
        _ schema: RegisteredSchema,
        _ resolve: (SchemaReference) -> RegisteredSchema?
    ) throws(RegistryError) -> JSONSchema {
        let references = try Self.referencedTexts(schema, resolve)
        do {
            return try JSONSchema.parse(schema.text, references: references)
        } catch {
            throw .invalidSchema("JSON Schema: \(error)")
        }
    }

    /// The texts of the schemas `schema` references, by reference name (a JSON Schema `$ref` URI, a `.proto` import
    /// path), with their own references too (an import of an import), each name once (the first found wins), at most
    /// `maxReferencedSchemas`; 42201 naming a reference that does not exist or holds another schema type. Avro
    /// references need their types parsed in order instead (`AvroReferenceResolver`).
    public static func referencedTexts(
        _ schema: RegisteredSchema,
        _ resolve: (SchemaReference) -> RegisteredSchema?
    ) throws(RegistryError) -> [String: String] {
        var texts: [String: String] = [:]
        var pending = Array(schema.references.reversed())
        while let reference = pending.popLast() {
            guard texts[reference.name] == nil else { continue }
            guard texts.count < Self.maxReferencedSchemas else {
                throw .invalidSchema("more than \(Self.maxReferencedSchemas) referenced schemas")
            }
            guard let referenced = resolve(reference) else {
                throw .invalidSchema(
                    "reference \(reference.name) to \(reference.subject) version \(reference.version) does not exist")
            }
            guard referenced.type == schema.type else {
                throw .invalidSchema(
                    "reference \(reference.name) is a \(referenced.type.rawValue) schema, not \(schema.type.rawValue)")
            }
            texts[reference.name] = referenced.text
            pending.append(contentsOf: referenced.references.reversed())
        }
        return texts
    }

    /// Parses an Avro schema after the schemas its references name, transitively (`AvroReferenceResolver`).
    private static func avro(
        _ schema: RegisteredSchema,
        _ resolve: (SchemaReference) -> RegisteredSchema?
    ) throws(RegistryError) -> AvroSchema {
        try AvroReferenceResolver.parse(schema, resolve: resolve)
    }

    private static func protobuf(
        _ schema: RegisteredSchema,
        _ resolve: (SchemaReference) -> RegisteredSchema?
    ) throws(RegistryError) -> ProtobufSchema {
        var imports = try Self.referencedTexts(schema, resolve)
        // Well-known types need no reference (Confluent's skip.known.types); a reference still wins.
        imports = ProtobufWellKnownTypes.addingBuiltIns(importedBy: schema.text, to: imports)
        do {
            return try ProtobufSchema.parse(schema.text, imports: imports)
        } catch {
            throw .invalidSchema("Protobuf: \(error)")
        }
    }
}
