/// Why a payload does not conform to its schema: where (`address.zip`, `items[2].sku`; empty for the whole
/// payload) and what.
public struct PayloadViolation: Sendable, Hashable, CustomStringConvertible {
    /// Dotted path to the offending value: object keys and field names joined by `.`, array and repeated
    /// elements as `[i]`, unknown protobuf fields as `#number`; empty for the payload as a whole.
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(self.path.isEmpty ? "(payload)" : self.path): \(self.message)" }
}

/// Validation on write (issue #5): a registered schema compiled once, then used to check each payload written
/// under a subject bound to it.
///
/// JSON Schema payloads are parsed with the module's strict `JSONParser` and checked by `JSONSchemaValidator`,
/// with ``SchemaPattern`` for `pattern`/`patternProperties` (a schema using a construct outside its subset is
/// rejected when compiling). Protobuf payloads are checked by ``ProtobufPayloadValidator``, Avro payloads by
/// `AvroSchema.validateBinary`.
///
/// Framing is the caller's (the node's) job for unframed payloads; a payload that starts with byte 0 and has at
/// least 5 bytes is Confluent-framed: call ``validateConfluentFramed(_:isExpectedID:)``, which parses the header
/// with ``ConfluentWireFormat``, checks the schema id against the subject's ids, resolves Protobuf message
/// indexes to a message type and validates the rest.
public struct PayloadValidator: Sendable {
    enum Compiled: Sendable {
        case json(JSONSchemaValidator)
        case protobuf(ProtobufPayloadValidator, ProtoFile)
        case avro(AvroSchema)
    }

    let compiled: Compiled
    /// The schema type payloads are checked as.
    public let type: SchemaType

    /// Compiles `schema`; `resolve` returns the schema a reference names (Protobuf imports, JSON Schema `$ref`
    /// targets; resolved transitively). `messageName` picks the Protobuf message unframed payloads are checked as (default: the
    /// first declared). Fails with 42201 for a schema that does not parse or uses an unsupported `pattern`.
    public init(
        schema: RegisteredSchema,
        resolve: (SchemaReference) -> RegisteredSchema?,
        messageName: String? = nil
    ) throws(RegistryError) {
        self.type = schema.type
        switch schema.type {
        case .json:
            // Referenced schemas join the parsed arena, so the pattern walk below covers their nodes too.
            let references = try SchemaChecker.referencedTexts(schema, resolve)
            let parsed: JSONSchema
            do {
                parsed = try JSONSchema.parse(schema.text, references: references)
            } catch {
                throw .invalidSchema("JSON Schema: \(error)")
            }
            var patterns: [String: SchemaPattern] = [:]
            for node in parsed.nodes {
                for pattern in (node.pattern.map { [$0] } ?? []) + node.patternProperties.map(\.pattern)
                where patterns[pattern] == nil {
                    do {
                        patterns[pattern] = try SchemaPattern(pattern)
                    } catch {
                        throw .invalidSchema("JSON Schema pattern \(pattern): \(error)")
                    }
                }
            }
            let compiledPatterns = patterns
            self.compiled = .json(
                JSONSchemaValidator(schema: parsed) { pattern, string in compiledPatterns[pattern]?.match(string) })
        case .avro:
            // Referenced schemas' named types (transitively) are known to the schema, as in SchemaChecker.
            self.compiled = .avro(try AvroReferenceResolver.parse(schema, resolve: resolve))
        case .protobuf:
            var importTexts = try SchemaChecker.referencedTexts(schema, resolve)
            importTexts = ProtobufWellKnownTypes.addingBuiltIns(importedBy: schema.text, to: importTexts)
            do {
                let file = try ProtoParser.parse(schema.text)
                let parsed = try ProtobufSchema.parse(schema.text, imports: importTexts)
                var imports: [ProtobufSchema] = []
                for (path, text) in importTexts.sorted(by: { $0.key < $1.key }) {
                    do {
                        imports.append(try ProtobufSchema.parse(text, imports: importTexts))
                    } catch {
                        throw RegistryError.invalidSchema("Protobuf import \(path): \(error)")
                    }
                }
                self.compiled = .protobuf(
                    try ProtobufPayloadValidator(schema: parsed, imports: imports, messageName: messageName), file)
            } catch let error as RegistryError {
                throw error
            } catch {
                throw .invalidSchema("Protobuf: \(error)")
            }
        }
    }

    /// The first violation of an unframed payload, or nil when it conforms.
    public func validate(_ bytes: [UInt8]) -> PayloadViolation? {
        switch self.compiled {
        case .json(let validator): return Self.validateJSON(bytes, validator)
        case .protobuf(let validator, _): return validator.validate(bytes)
        case .avro(let schema): return Self.validateAvro(bytes, schema)
        }
    }

    /// The first violation of an unframed payload, or nil when it conforms.
    public func validate(_ bytes: UnsafeRawBufferPointer) -> PayloadViolation? {
        switch self.compiled {
        case .protobuf(let validator, _): return validator.validate(bytes)
        default: return self.validate([UInt8](bytes))
        }
    }

    /// The first violation of a Confluent-framed payload: a malformed header, a schema id `isExpectedID` refuses
    /// (the ids of the subject's versions), Protobuf message indexes that name no message, or a payload that
    /// does not conform. Nil when it conforms.
    public func validateConfluentFramed(_ bytes: [UInt8], isExpectedID: (Int32) -> Bool) -> PayloadViolation? {
        let frame: ConfluentWireFormat
        do {
            frame = try ConfluentWireFormat.parse(bytes, protobuf: self.type == .protobuf)
        } catch {
            return PayloadViolation(path: "", message: error.description)
        }
        guard isExpectedID(frame.schemaID) else {
            return PayloadViolation(path: "", message: "schema id \(frame.schemaID) is not registered for this subject")
        }
        let payload = bytes[frame.payloadOffset...]
        switch self.compiled {
        case .protobuf(let validator, let file):
            guard let name = ConfluentWireFormat.messageName(for: frame.messageIndexes, in: file),
                validator.contains(messageName: name)
            else {
                return PayloadViolation(
                    path: "", message: "message indexes \(frame.messageIndexes) name no message of the schema")
            }
            return payload.withUnsafeBytes { validator.validate($0, messageName: name) }
        default:
            return self.validate(Array(payload))
        }
    }

    static func validateJSON(_ bytes: [UInt8], _ validator: JSONSchemaValidator) -> PayloadViolation? {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            return PayloadViolation(path: "", message: error.description)
        }
        // The fast check stops at the first failure without building errors; only an invalid payload pays
        // for the error report.
        if validator.isValid(value) { return nil }
        guard let first = validator.validate(value).first else { return nil }
        return PayloadViolation(path: Self.dotted(first.instancePath), message: "\(first.keyword): \(first.message)")
    }

    /// `/items/3/sku` → `items[3].sku` (RFC 6901 `~1` and `~0` unescaped). A key made only of digits reads as an
    /// index: the pointer does not say whether its parent was an array.
    static func dotted(_ pointer: String) -> String {
        var out = ""
        for token in pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            var key = ""
            var escaped = false
            for c in token {
                if escaped {
                    key.append(c == "1" ? "/" : "~")
                    escaped = false
                } else if c == "~" {
                    escaped = true
                } else {
                    key.append(c)
                }
            }
            if !key.isEmpty, key.allSatisfy({ $0.isASCII && $0.isNumber }) {
                out += "[\(key)]"
            } else {
                out += out.isEmpty ? key : "." + key
            }
        }
        return out
    }

    static func validateAvro(_ bytes: [UInt8], _ schema: AvroSchema) -> PayloadViolation? {
        do {
            try schema.validateBinary(bytes)
            return nil
        } catch {
            return PayloadViolation(path: error.path, message: "\(error.code) (byte \(error.offset)): \(error.message)")
        }
    }
}
