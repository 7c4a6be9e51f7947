/// The schema kinds a registry holds (Confluent's `schemaType`; AVRO when absent).
public enum SchemaType: String, Sendable, Hashable, CaseIterable, Codable {
    case avro = "AVRO"
    case json = "JSON"
    case protobuf = "PROTOBUF"
}

/// A schema's import of another registered schema (Confluent's `references`): `name` is how the text refers to it
/// (a `.proto` import path, a JSON Schema `$ref` URL, an Avro full name).
public struct SchemaReference: Sendable, Hashable, Codable {
    public var name: String
    public var subject: String
    public var version: Int

    public init(name: String, subject: String, version: Int) {
        self.name = name
        self.subject = subject
        self.version = version
    }
}

/// A schema as registered: its kind, text and references. Identity (and so the global id) is all three.
public struct RegisteredSchema: Sendable, Hashable, Codable {
    public var type: SchemaType
    public var text: String
    public var references: [SchemaReference]

    public init(type: SchemaType, text: String, references: [SchemaReference] = []) {
        self.type = type
        self.text = text
        self.references = references
    }
}

/// Registry modes (Confluent's): READWRITE; READONLY refuses registrations and deletes; IMPORT accepts registrations
/// that carry their id and version (mirroring another registry keeps its ids).
public enum RegistryMode: String, Sendable, Hashable, CaseIterable, Codable {
    case readWrite = "READWRITE"
    case readOnly = "READONLY"
    case `import` = "IMPORT"
}

/// A registry failure with Confluent's error code, so the REST façade and gRPC statuses say the same thing.
public struct RegistryError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int
    public var message: String

    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    public static func subjectNotFound(_ subject: String) -> RegistryError {
        RegistryError(code: 40401, message: "Subject '\(subject)' not found.")
    }
    public static func versionNotFound(_ subject: String, _ version: Int) -> RegistryError {
        RegistryError(code: 40402, message: "Version \(version) not found for subject '\(subject)'.")
    }
    public static func schemaNotFound(_ id: Int) -> RegistryError {
        RegistryError(code: 40403, message: "Schema \(id) not found.")
    }
    public static func subjectSoftDeleted(_ subject: String) -> RegistryError {
        RegistryError(code: 40404, message: "Subject '\(subject)' was soft deleted. Set permanent=true to delete permanently")
    }
    public static func subjectNotSoftDeleted(_ subject: String) -> RegistryError {
        RegistryError(code: 40405, message: "Subject '\(subject)' was not deleted first before being permanently deleted")
    }
    public static func versionSoftDeleted(_ subject: String, _ version: Int) -> RegistryError {
        RegistryError(code: 40406, message: "Version \(version) of subject '\(subject)' was soft deleted. Set permanent=true to delete permanently")
    }
    public static func versionNotSoftDeleted(_ subject: String, _ version: Int) -> RegistryError {
        RegistryError(code: 40407, message: "Version \(version) of subject '\(subject)' was not deleted first before being permanently deleted")
    }
    public static func incompatible(_ messages: [CompatibilityMessage]) -> RegistryError {
        RegistryError(
            code: 409,
            message: "Schema being registered is incompatible with an earlier schema: "
                + messages.map(\.description).joined(separator: "; ")
        )
    }
    public static func invalidSchema(_ why: String) -> RegistryError {
        RegistryError(code: 42201, message: "Invalid schema: \(why)")
    }
    public static func invalidVersion(_ version: Int) -> RegistryError {
        RegistryError(code: 42202, message: "The specified version '\(version)' is not a valid version id.")
    }
    public static func operationNotPermitted(_ why: String) -> RegistryError {
        RegistryError(code: 42205, message: "Operation not permitted: \(why)")
    }
    public static func referenceExists(_ subject: String, _ version: Int) -> RegistryError {
        RegistryError(code: 42206, message: "One or more references exist to the schema {subject=\(subject),version=\(version)}.")
    }
    public static func limit(_ what: String, _ limit: Int) -> RegistryError {
        RegistryError(code: 42201, message: "\(what) exceeds the limit of \(limit)")
    }

    public var description: String {
        "\(self.code): \(self.message)"
    }
}

/// The registry's data and rules as a value-type state machine: subjects with numbered versions, globally unique
/// content-addressed schema ids, soft and hard deletes, compatibility levels and modes (Confluent's semantics;
/// issue #5). No I/O: the node logs each accepted change and replays them on recovery; the compatibility checkers
/// are passed in, so this type does not depend on any schema language.
///
/// Rules kept here:
/// - Registering text identical (type, text, references) to a live version of the subject returns that version;
///   identical content under another subject reuses its id (ids are global and content-addressed).
/// - Versions number from 1 and only grow: a deleted version's number is not reused.
/// - A soft-deleted version is hidden from listings and lookups by version but its id still resolves; a hard delete
///   needs a soft delete first; a version another schema references cannot be deleted.
public struct SchemaRegistryState: Sendable {
    /// Largest schema text accepted, in bytes.
    public static let maxSchemaBytes = 1 << 20
    /// Most subjects.
    public static let maxSubjects = 100_000
    /// Most versions one subject keeps (live and soft-deleted).
    public static let maxVersionsPerSubject = 10_000

    public struct Version: Sendable, Hashable {
        public var version: Int
        public var id: Int
        public var deleted: Bool
    }

    /// Schemas by id (soft-deleted versions' schemas stay).
    public internal(set) var schemas: [Int: RegisteredSchema] = [:]
    var idsByContent: [RegisteredSchema: Int] = [:]
    var subjects: [String: [Version]] = [:]
    /// Highest version number each subject ever used (a hard-deleted subject keeps counting).
    var lastVersion: [String: Int] = [:]
    public internal(set) var nextID = 1
    public var globalLevel = CompatibilityLevel.default
    public internal(set) var subjectLevels: [String: CompatibilityLevel] = [:]
    public var globalMode = RegistryMode.readWrite
    public internal(set) var subjectModes: [String: RegistryMode] = [:]
    /// Bindings of subjects to KV key prefixes and stream patterns (validation on write), by target.
    public internal(set) var bindings: [BindingTarget: SchemaBinding] = [:]

    public init() {}

    /// The compatibility level that applies to `subject`.
    public func level(for subject: String) -> CompatibilityLevel {
        self.subjectLevels[subject] ?? self.globalLevel
    }

    /// The mode that applies to `subject`.
    public func mode(for subject: String) -> RegistryMode {
        self.subjectModes[subject] ?? self.globalMode
    }

    public mutating func setLevel(_ level: CompatibilityLevel?, subject: String) {
        self.subjectLevels[subject] = level
    }

    public mutating func setMode(_ mode: RegistryMode?, subject: String) {
        self.subjectModes[subject] = mode
    }

    /// Registers `schema` under `subject`.
    ///
    /// - Parameters:
    ///   - check: answers incompatibilities of the new schema against the live earlier versions it must be checked
    ///     against (oldest first, per the subject's level); empty = compatible. Also where the schema is parsed:
    ///     throw `RegistryError.invalidSchema` for text that does not parse.
    ///   - importing: with IMPORT mode, the id and version to keep (mirroring another registry).
    /// - Returns: the id and version, and whether anything changed (false when the schema was already there).
    public mutating func register(
        subject: String,
        schema: RegisteredSchema,
        importing: (id: Int, version: Int)? = nil,
        check: (_ new: RegisteredSchema, _ against: [RegisteredSchema]) throws(RegistryError) -> [CompatibilityMessage]
    ) throws(RegistryError) -> (id: Int, version: Int, changed: Bool) {
        guard schema.text.utf8.count <= Self.maxSchemaBytes else {
            throw .limit("schema text of \(schema.text.utf8.count) bytes", Self.maxSchemaBytes)
        }
        guard !subject.isEmpty, subject.utf8.count <= 255, !subject.utf8.contains(where: { $0 < 0x20 }) else {
            throw .invalidSchema("subject must be 1 to 255 bytes without control characters")
        }
        let mode = self.mode(for: subject)
        if mode == .readOnly {
            throw .operationNotPermitted("subject '\(subject)' is in read-only mode")
        }
        if importing != nil && mode != .import {
            throw .operationNotPermitted("an id and version can only be given in IMPORT mode")
        }
        for reference in schema.references {
            guard let versions = self.subjects[reference.subject],
                versions.contains(where: { $0.version == reference.version && !$0.deleted })
            else {
                throw .invalidSchema("reference \(reference.name) to \(reference.subject) version \(reference.version) does not exist")
            }
        }
        let live = self.subjects[subject, default: []].filter { !$0.deleted }
        if importing == nil, let existing = live.first(where: { self.schemas[$0.id] == schema }) {
            return (existing.id, existing.version, false)
        }
        let level = self.level(for: subject)
        let against = level.pairs(previousCount: live.count).isEmpty || mode == .import
            ? [] : (level.isTransitive ? live : [live[live.count - 1]]).map { self.schemas[$0.id]! }
        let problems = try check(schema, against)
        if !problems.isEmpty {
            throw .incompatible(problems)
        }
        if self.subjects[subject] == nil && self.subjects.count >= Self.maxSubjects {
            throw .limit("subjects", Self.maxSubjects)
        }
        if self.subjects[subject, default: []].count >= Self.maxVersionsPerSubject {
            throw .limit("versions of subject '\(subject)'", Self.maxVersionsPerSubject)
        }
        let id: Int
        let version: Int
        if let importing {
            if let other = self.schemas[importing.id], other != schema {
                throw .operationNotPermitted("id \(importing.id) is already used by a different schema")
            }
            guard importing.version >= 1 else { throw .invalidVersion(importing.version) }
            if self.subjects[subject, default: []].contains(where: { $0.version == importing.version }) {
                throw .operationNotPermitted("version \(importing.version) of '\(subject)' already exists")
            }
            id = importing.id
            version = importing.version
            self.nextID = max(self.nextID, id + 1)
        } else {
            id = self.idsByContent[schema] ?? self.nextID
            version = self.lastVersion[subject, default: 0] + 1
            if id == self.nextID {
                self.nextID += 1
            }
        }
        self.schemas[id] = schema
        self.idsByContent[schema] = self.idsByContent[schema] ?? id
        self.subjects[subject, default: []].append(Version(version: version, id: id, deleted: false))
        self.subjects[subject]!.sort { $0.version < $1.version }
        self.lastVersion[subject] = max(self.lastVersion[subject, default: 0], version)
        return (id, version, true)
    }

    /// The schema with `id` (also when only soft-deleted versions use it).
    public func schema(id: Int) throws(RegistryError) -> RegisteredSchema {
        guard let schema = self.schemas[id] else { throw .schemaNotFound(id) }
        return schema
    }

    /// `version` of `subject` (nil = latest live); soft-deleted versions only with `includeDeleted`.
    public func version(
        subject: String,
        _ version: Int?,
        includeDeleted: Bool = false
    ) throws(RegistryError) -> (version: Int, id: Int, schema: RegisteredSchema) {
        if let version, version < 1 {
            throw .invalidVersion(version)
        }
        guard let versions = self.subjects[subject], versions.contains(where: { includeDeleted || !$0.deleted }) else {
            throw .subjectNotFound(subject)
        }
        let found: Version?
        if let version {
            found = versions.first { $0.version == version && (includeDeleted || !$0.deleted) }
        } else {
            found = versions.last { !$0.deleted }
        }
        guard let found else { throw .versionNotFound(subject, version ?? -1) }
        return (found.version, found.id, self.schemas[found.id]!)
    }

    /// Subjects with a live version (or any version with `includeDeleted`), sorted.
    public func subjectNames(includeDeleted: Bool = false) -> [String] {
        self.subjects.filter { includeDeleted || $0.value.contains { !$0.deleted } }.keys.sorted()
    }

    /// The version numbers of `subject`.
    public func versions(subject: String, includeDeleted: Bool = false) throws(RegistryError) -> [Int] {
        guard let versions = self.subjects[subject], versions.contains(where: { includeDeleted || !$0.deleted }) else {
            throw .subjectNotFound(subject)
        }
        return versions.filter { includeDeleted || !$0.deleted }.map(\.version)
    }

    /// (subject, version) pairs that use `id`.
    public func subjectVersions(id: Int) -> [(subject: String, version: Int)] {
        self.subjects.keys.sorted().flatMap { subject in
            self.subjects[subject]!.filter { $0.id == id }.map { (subject, $0.version) }
        }
    }

    /// Deletes a version: soft first, then (`permanent`) hard. Returns the version number.
    @discardableResult
    public mutating func deleteVersion(subject: String, _ version: Int, permanent: Bool) throws(RegistryError) -> Int {
        if self.mode(for: subject) == .readOnly {
            throw .operationNotPermitted("subject '\(subject)' is in read-only mode")
        }
        guard var versions = self.subjects[subject] else { throw .subjectNotFound(subject) }
        guard let index = versions.firstIndex(where: { $0.version == version }) else {
            throw .versionNotFound(subject, version)
        }
        if self.isReferenced(subject: subject, version: version) {
            throw .referenceExists(subject, version)
        }
        if permanent {
            guard versions[index].deleted else { throw .versionNotSoftDeleted(subject, version) }
            let id = versions[index].id
            versions.remove(at: index)
            self.subjects[subject] = versions.isEmpty ? nil : versions
            self.dropIfUnused(id)
        } else {
            guard !versions[index].deleted else { throw .versionSoftDeleted(subject, version) }
            versions[index].deleted = true
            self.subjects[subject] = versions
        }
        return version
    }

    /// Deletes every version of `subject`: soft first, then (`permanent`) hard. Returns the versions deleted.
    public mutating func deleteSubject(_ subject: String, permanent: Bool) throws(RegistryError) -> [Int] {
        if self.mode(for: subject) == .readOnly {
            throw .operationNotPermitted("subject '\(subject)' is in read-only mode")
        }
        guard let versions = self.subjects[subject] else { throw .subjectNotFound(subject) }
        for version in versions where self.isReferenced(subject: subject, version: version.version) {
            throw .referenceExists(subject, version.version)
        }
        if permanent {
            guard versions.allSatisfy(\.deleted) else { throw .subjectNotSoftDeleted(subject) }
            self.subjects[subject] = nil
            self.subjectLevels[subject] = nil
            self.subjectModes[subject] = nil
            for version in versions {
                self.dropIfUnused(version.id)
            }
            return versions.map(\.version)
        }
        guard versions.contains(where: { !$0.deleted }) else { throw .subjectSoftDeleted(subject) }
        let deleted = versions.filter { !$0.deleted }.map(\.version)
        self.subjects[subject] = versions.map { Version(version: $0.version, id: $0.id, deleted: true) }
        return deleted
    }

    /// Whether a live version of any subject references `subject` `version`.
    public func isReferenced(subject: String, version: Int) -> Bool {
        for (other, versions) in self.subjects {
            for candidate in versions where !candidate.deleted {
                if let schema = self.schemas[candidate.id],
                    schema.references.contains(where: { $0.subject == subject && $0.version == version }),
                    !(other == subject && candidate.version == version)
                {
                    return true
                }
            }
        }
        return false
    }

    /// Forgets a schema no version uses any more (its id then no longer resolves).
    mutating func dropIfUnused(_ id: Int) {
        guard !self.subjects.values.contains(where: { $0.contains { $0.id == id } }), let schema = self.schemas[id] else {
            return
        }
        self.schemas[id] = nil
        if self.idsByContent[schema] == id {
            self.idsByContent[schema] = nil
        }
    }
}
