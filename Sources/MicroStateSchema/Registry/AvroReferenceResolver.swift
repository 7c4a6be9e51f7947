/// Parses a registered Avro schema together with the schemas its references name, transitively (Confluent's
/// semantics: a reference's `name` is the fullname of a record, enum or fixed the referenced schema defines, and the
/// referencing text uses it as a type).
///
/// Referenced schemas are parsed first, in dependency order and each once, every one with the named types of its
/// own references; the schema is then parsed with those of its direct references, which carry theirs, so a name
/// reached through a reference of a reference is known too (as in Confluent, whose parser knows every resolved
/// reference). At most `SchemaChecker.maxReferencedSchemas` distinct schemas are reached; a missing one, a non-Avro
/// one, a cycle or one that does not parse is `RegistryError.invalidSchema` (42201) naming the reference.
enum AvroReferenceResolver {
    private struct Key: Hashable {
        var subject: String
        var version: Int

        init(_ reference: SchemaReference) {
            self.subject = reference.subject
            self.version = reference.version
        }
    }

    static func parse(
        _ schema: RegisteredSchema,
        resolve: (SchemaReference) -> RegisteredSchema?
    ) throws(RegistryError) -> AvroSchema {
        // Collect every reachable schema, breadth first and bounded.
        var found: [Key: (reference: SchemaReference, schema: RegisteredSchema)] = [:]
        var pending = schema.references
        var next = 0
        while next < pending.count {
            let reference = pending[next]
            next += 1
            let key = Key(reference)
            guard found[key] == nil else { continue }
            guard found.count < SchemaChecker.maxReferencedSchemas else {
                throw .invalidSchema("more than \(SchemaChecker.maxReferencedSchemas) referenced schemas")
            }
            guard let referenced = resolve(reference) else {
                throw .invalidSchema(
                    "reference \(reference.name) to \(reference.subject) version \(reference.version) does not exist")
            }
            guard referenced.type == .avro else {
                throw .invalidSchema(
                    "reference \(reference.name) to \(reference.subject) version \(reference.version) is a "
                        + "\(referenced.type) schema, not Avro")
            }
            found[key] = (reference, referenced)
            pending.append(contentsOf: referenced.references)
        }
        guard !found.isEmpty else { return try Self.parseOne(schema.text, referencing: [], what: nil) }

        // Parse in dependency order: an explicit-stack post-order walk (no recursion on the request path).
        var parsed: [Key: AvroSchema] = [:]
        var visiting: Set<Key> = []
        var stack: [(key: Key, expanded: Bool)] = schema.references.reversed().map { (Key($0), false) }
        while let (key, expanded) = stack.popLast() {
            guard parsed[key] == nil, let entry = found[key] else { continue }
            let children = entry.schema.references.map(Key.init)
            if expanded {
                let referenced = children.map { child -> AvroSchema in
                    guard let schema = parsed[child] else { preconditionFailure("reference parsed before its user") }
                    return schema
                }
                parsed[key] = try Self.parseOne(entry.schema.text, referencing: referenced, what: entry.reference)
                visiting.remove(key)
                continue
            }
            guard visiting.insert(key).inserted else { throw Self.cycle(entry.reference) }
            stack.append((key, true))
            for child in children.reversed() where parsed[child] == nil {
                guard !visiting.contains(child) else { throw Self.cycle(entry.reference) }
                stack.append((child, false))
            }
        }
        let direct = schema.references.map { reference -> AvroSchema in
            guard let schema = parsed[Key(reference)] else { preconditionFailure("every reference is parsed") }
            return schema
        }
        return try Self.parseOne(schema.text, referencing: direct, what: nil)
    }

    private static func cycle(_ reference: SchemaReference) -> RegistryError {
        .invalidSchema(
            "reference \(reference.name) to \(reference.subject) version \(reference.version) is part of a cycle")
    }

    private static func parseOne(
        _ text: String,
        referencing referenced: [AvroSchema],
        what reference: SchemaReference?
    ) throws(RegistryError) -> AvroSchema {
        do {
            return try AvroSchema(parsing: text, referencing: referenced)
        } catch {
            guard let reference else { throw .invalidSchema("Avro: \(error)") }
            throw .invalidSchema(
                "Avro reference \(reference.name) (\(reference.subject) version \(reference.version)): \(error)")
        }
    }
}
