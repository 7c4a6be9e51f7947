/// What a binding does with a write whose payload does not validate.
public enum BindingMode: String, Sendable, Hashable, CaseIterable {
    /// Reject the write (INVALID_ARGUMENT naming subject, version and the failing path).
    case validate = "VALIDATE"
    /// Accept the write; count and log the failure.
    case warn = "WARN"
}

/// Which writes a binding validates: KV Puts under a key prefix, or Appends to streams matching a pattern (a stream
/// name, or a prefix ending in `*`).
public enum BindingTarget: Sendable, Hashable, Comparable, CustomStringConvertible {
    case keyPrefix([UInt8])
    case streamPattern(String)

    /// Ordered as listed: key prefixes bytewise, then stream patterns bytewise.
    public static func < (lhs: BindingTarget, rhs: BindingTarget) -> Bool {
        switch (lhs, rhs) {
        case (.keyPrefix(let a), .keyPrefix(let b)): return a.lexicographicallyPrecedes(b)
        case (.streamPattern(let a), .streamPattern(let b)): return Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
        case (.keyPrefix, .streamPattern): return true
        case (.streamPattern, .keyPrefix): return false
        }
    }

    public var description: String {
        switch self {
        case .keyPrefix(let prefix):
            let text = String(decoding: prefix, as: UTF8.self)
            return "key prefix '\(text)'"
        case .streamPattern(let pattern):
            return "stream pattern '\(pattern)'"
        }
    }

    /// Whether the pattern matches `stream` (exact name, or a `*`-terminated prefix).
    public func matches(stream: String) -> Bool {
        guard case .streamPattern(let pattern) = self else { return false }
        if pattern.hasSuffix("*") {
            return stream.utf8.starts(with: pattern.utf8.dropLast())
        }
        return stream == pattern
    }
}

/// A subject bound to writes: they are validated against the subject's latest live schema.
public struct SchemaBinding: Sendable, Hashable {
    public var subject: String
    public var target: BindingTarget
    public var mode: BindingMode

    public init(subject: String, target: BindingTarget, mode: BindingMode) {
        self.subject = subject
        self.target = target
        self.mode = mode
    }
}

/// One accepted change of the registry, as the node logs it (ADR 0008). Applying a change does not decide
/// anything: the decision (compatibility, modes, references) was made before the change was logged, so replay
/// reaches the same state without the checkers.
public enum RegistryChange: Sendable, Hashable {
    case register(subject: String, version: Int, id: Int, schema: RegisteredSchema)
    case deleteVersion(subject: String, version: Int, permanent: Bool)
    case deleteSubject(subject: String, permanent: Bool)
    /// `subject` nil = the global level; `level` nil = remove the subject's own level (global: back to default).
    case setLevel(subject: String?, level: CompatibilityLevel?)
    /// `subject` nil = the global mode; `mode` nil = remove the subject's own mode (global: back to READWRITE).
    case setMode(subject: String?, mode: RegistryMode?)
    case bind(SchemaBinding)
    case unbind(BindingTarget)
    /// Counters a snapshot carries so hard-deleted ids and version numbers are not reused after a restore.
    case counters(nextID: Int, lastVersions: [String: Int])
}

extension SchemaRegistryState {
    /// Most bindings.
    public static let maxBindings = 10_000
    /// Longest key prefix or stream pattern a binding names, in bytes.
    public static let maxBindingTargetBytes = 4_096

    /// Whether the state is the empty registry's (nothing registered ever, defaults in force).
    public var isEmpty: Bool {
        self.nextID == 1 && self.lastVersion.isEmpty && self.subjects.isEmpty && self.bindings.isEmpty
            && self.globalLevel == .default && self.globalMode == .readWrite && self.subjectLevels.isEmpty
            && self.subjectModes.isEmpty
    }

    /// Applies a change decided earlier (replay and snapshot restore).
    public mutating func apply(_ change: RegistryChange) {
        switch change {
        case .register(let subject, let version, let id, let schema):
            self.schemas[id] = schema
            if self.idsByContent[schema] == nil {
                self.idsByContent[schema] = id
            }
            var versions = self.subjects[subject, default: []]
            versions.removeAll { $0.version == version }
            versions.append(Version(version: version, id: id, deleted: false))
            versions.sort { $0.version < $1.version }
            self.subjects[subject] = versions
            self.lastVersion[subject] = max(self.lastVersion[subject, default: 0], version)
            self.nextID = max(self.nextID, id + 1)
        case .deleteVersion(let subject, let version, let permanent):
            guard var versions = self.subjects[subject], let index = versions.firstIndex(where: { $0.version == version })
            else { return }
            if permanent {
                let id = versions[index].id
                versions.remove(at: index)
                self.subjects[subject] = versions.isEmpty ? nil : versions
                self.dropIfUnused(id)
            } else {
                versions[index].deleted = true
                self.subjects[subject] = versions
            }
        case .deleteSubject(let subject, let permanent):
            guard let versions = self.subjects[subject] else { return }
            if permanent {
                self.subjects[subject] = nil
                self.subjectLevels[subject] = nil
                self.subjectModes[subject] = nil
                for version in versions {
                    self.dropIfUnused(version.id)
                }
            } else {
                self.subjects[subject] = versions.map { Version(version: $0.version, id: $0.id, deleted: true) }
            }
        case .setLevel(let subject, let level):
            if let subject {
                self.subjectLevels[subject] = level
            } else {
                self.globalLevel = level ?? .default
            }
        case .setMode(let subject, let mode):
            if let subject {
                self.subjectModes[subject] = mode
            } else {
                self.globalMode = mode ?? .readWrite
            }
        case .bind(let binding):
            self.bindings[binding.target] = binding
        case .unbind(let target):
            self.bindings[target] = nil
        case .counters(let nextID, let lastVersions):
            self.nextID = max(self.nextID, nextID)
            for (subject, version) in lastVersions {
                self.lastVersion[subject] = max(self.lastVersion[subject, default: 0], version)
            }
        }
    }

    /// The changes that rebuild this state from empty (a snapshot's registry section), in an order `apply` accepts.
    public func changesForSnapshot() -> [RegistryChange] {
        if self.isEmpty {
            return []
        }
        var changes: [RegistryChange] = [.counters(nextID: self.nextID, lastVersions: self.lastVersion)]
        if self.globalLevel != .default {
            changes.append(.setLevel(subject: nil, level: self.globalLevel))
        }
        if self.globalMode != .readWrite {
            changes.append(.setMode(subject: nil, mode: self.globalMode))
        }
        for subject in self.subjectLevels.keys.sorted() {
            changes.append(.setLevel(subject: subject, level: self.subjectLevels[subject]))
        }
        for subject in self.subjectModes.keys.sorted() {
            changes.append(.setMode(subject: subject, mode: self.subjectModes[subject]))
        }
        // Ids in ascending order first, so the content index maps each schema to its first id as it did live.
        var entries: [(subject: String, version: Version)] = []
        for (subject, versions) in self.subjects {
            for version in versions {
                entries.append((subject, version))
            }
        }
        entries.sort { ($0.version.id, $0.subject, $0.version.version) < ($1.version.id, $1.subject, $1.version.version) }
        for entry in entries {
            changes.append(.register(subject: entry.subject, version: entry.version.version, id: entry.version.id, schema: self.schemas[entry.version.id]!))
        }
        for entry in entries where entry.version.deleted {
            changes.append(.deleteVersion(subject: entry.subject, version: entry.version.version, permanent: false))
        }
        for target in self.bindings.keys.sorted() {
            changes.append(.bind(self.bindings[target]!))
        }
        return changes
    }

    // MARK: - Commands that answer the change to log

    /// Registers (see `register`) and answers the change to log, nil when the schema was already there.
    public mutating func registerChange(
        subject: String,
        schema: RegisteredSchema,
        importing: (id: Int, version: Int)? = nil,
        check: (_ new: RegisteredSchema, _ against: [RegisteredSchema]) throws(RegistryError) -> [CompatibilityMessage]
    ) throws(RegistryError) -> (id: Int, version: Int, change: RegistryChange?) {
        let result = try self.register(subject: subject, schema: schema, importing: importing, check: check)
        let change = result.changed
            ? RegistryChange.register(subject: subject, version: result.version, id: result.id, schema: schema) : nil
        return (result.id, result.version, change)
    }

    /// Deletes a version (see `deleteVersion`) and answers the change to log.
    public mutating func deleteVersionChange(
        subject: String,
        _ version: Int,
        permanent: Bool
    ) throws(RegistryError) -> RegistryChange {
        if !permanent, let binding = self.bindings.values.first(where: { $0.subject == subject }),
            (try? self.versions(subject: subject))?.count == 1
        {
            throw .operationNotPermitted("subject '\(subject)' validates writes to \(binding.target); unbind it first")
        }
        let deleted = try self.deleteVersion(subject: subject, version, permanent: permanent)
        return .deleteVersion(subject: subject, version: deleted, permanent: permanent)
    }

    /// Deletes a subject (see `deleteSubject`) and answers the versions deleted and the change to log.
    public mutating func deleteSubjectChange(
        _ subject: String,
        permanent: Bool
    ) throws(RegistryError) -> (versions: [Int], change: RegistryChange) {
        if let binding = self.bindings.values.first(where: { $0.subject == subject }) {
            throw .operationNotPermitted("subject '\(subject)' validates writes to \(binding.target); unbind it first")
        }
        let versions = try self.deleteSubject(subject, permanent: permanent)
        return (versions, .deleteSubject(subject: subject, permanent: permanent))
    }

    /// Binds `binding.subject` to its target, replacing the target's earlier binding.
    public mutating func bindChange(_ binding: SchemaBinding) throws(RegistryError) -> RegistryChange {
        switch binding.target {
        case .keyPrefix(let prefix):
            guard !prefix.isEmpty, prefix.count <= Self.maxBindingTargetBytes else {
                throw .invalidBinding("key prefix must be 1 to \(Self.maxBindingTargetBytes) bytes")
            }
        case .streamPattern(let pattern):
            let bytes = Array(pattern.utf8)
            guard !bytes.isEmpty, bytes.count <= Self.maxBindingTargetBytes else {
                throw .invalidBinding("stream pattern must be 1 to \(Self.maxBindingTargetBytes) bytes")
            }
            guard !bytes.dropLast().contains(UInt8(ascii: "*")) else {
                throw .invalidBinding("stream pattern '\(pattern)' may only end in '*' (a prefix), not contain it")
            }
            guard !bytes.contains(where: { $0 < 0x20 }) else {
                throw .invalidBinding("stream pattern must not contain control characters")
            }
        }
        _ = try self.version(subject: binding.subject, nil)
        if self.bindings[binding.target] == nil && self.bindings.count >= Self.maxBindings {
            throw .limit("bindings", Self.maxBindings)
        }
        self.bindings[binding.target] = binding
        return .bind(binding)
    }

    /// Removes the binding of `target`; 40408-style not found when there is none.
    public mutating func unbindChange(_ target: BindingTarget) throws(RegistryError) -> RegistryChange {
        guard self.bindings[target] != nil else {
            throw .bindingNotFound(target)
        }
        self.bindings[target] = nil
        return .unbind(target)
    }

    /// The binding that applies to a Put of `key`: the longest bound prefix of it.
    public func binding(forKey key: [UInt8]) -> SchemaBinding? {
        var best: SchemaBinding? = nil
        var bestLength = -1
        for binding in self.bindings.values {
            if case .keyPrefix(let prefix) = binding.target, prefix.count > bestLength, key.starts(with: prefix) {
                best = binding
                bestLength = prefix.count
            }
        }
        return best
    }

    /// The binding that applies to an Append to `stream`: an exact pattern first, then the longest `*` prefix.
    public func binding(forStream stream: String) -> SchemaBinding? {
        if let exact = self.bindings[.streamPattern(stream)] {
            return exact
        }
        var best: SchemaBinding? = nil
        var bestLength = -1
        for binding in self.bindings.values {
            if case .streamPattern(let pattern) = binding.target, pattern.hasSuffix("*"),
                pattern.utf8.count > bestLength, binding.target.matches(stream: stream)
            {
                best = binding
                bestLength = pattern.utf8.count
            }
        }
        return best
    }

    /// Bindings ordered by target (key prefixes, then stream patterns), optionally only `subject`'s.
    public func listBindings(subject: String? = nil) -> [SchemaBinding] {
        self.bindings.keys.sorted().compactMap { target in
            let binding = self.bindings[target]!
            return subject == nil || binding.subject == subject ? binding : nil
        }
    }
}

extension RegistryError {
    /// A binding request that cannot be honoured (bad target).
    public static func invalidBinding(_ why: String) -> RegistryError {
        RegistryError(code: 42210, message: "Invalid binding: \(why)")
    }

    /// Unbind of a target without a binding.
    public static func bindingNotFound(_ target: BindingTarget) -> RegistryError {
        RegistryError(code: 40410, message: "No binding for \(target).")
    }
}
