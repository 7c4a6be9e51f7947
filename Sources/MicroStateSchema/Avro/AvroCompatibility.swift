/// The rules of Avro schema resolution (Avro 1.11 spec, "Schema Resolution"), named as Apache Avro's Java
/// `SchemaCompatibility.SchemaIncompatibilityType` names them so clients can match on the ids.
public enum AvroCompatibilityRule: String, Sendable, Hashable, CaseIterable {
    /// Reader and writer records, enums or fixed have different names and no reader alias names the writer.
    case nameMismatch = "NAME_MISMATCH"
    /// Reader and writer fixed types have different sizes.
    case fixedSizeMismatch = "FIXED_SIZE_MISMATCH"
    /// The writer enum has symbols the reader lacks, and the reader enum has no default.
    case missingEnumSymbols = "MISSING_ENUM_SYMBOLS"
    /// A reader field absent from the writer (by name and aliases) has no default.
    case readerFieldMissingDefaultValue = "READER_FIELD_MISSING_DEFAULT_VALUE"
    /// The types differ and no promotion (int→long/float/double, long→float/double, float→double, string↔bytes)
    /// applies.
    case typeMismatch = "TYPE_MISMATCH"
    /// A writer type (or writer union branch) matches no branch of the reader union.
    case missingUnionBranch = "MISSING_UNION_BRANCH"
    /// Ours, not Apache Avro's: the type graph nests deeper than `AvroCompatibility.maxDepth`; the pair is reported
    /// incompatible rather than checked without bound.
    case depthLimitExceeded = "DEPTH_LIMIT_EXCEEDED"
}

/// Avro reader/writer compatibility. Pure; every call is bounded by the schemas' sizes and `maxDepth`.
public enum AvroCompatibility {
    /// Deepest nesting of types checked. Named types are checked once per (reader, writer) pair, so only chains of
    /// distinct types count; 512 is far beyond real schemas and keeps native stack use small.
    public static let maxDepth = 512

    /// Every reason `reader` cannot read data written with `writer`; empty means compatible.
    ///
    /// Paths are in the reader's terms (`record Order field email`); the root is `(root)`.
    public static func check(reader: AvroSchema, writer: AvroSchema) -> [CompatibilityMessage] {
        var checker = AvroResolutionChecker(reader: reader, writer: writer)
        return checker.check(reader.root, writer.root, depth: 0).map { relative in
            CompatibilityMessage(
                rule: relative.rule.rawValue,
                path: relative.path.isEmpty ? "(root)" : relative.path.reversed().joined(separator: " "),
                message: relative.message)
        }
    }

    /// The messages for a new schema against earlier versions (oldest first) under `level`; each message's path is
    /// prefixed with the direction and version checked (`new reads version 2: record Order field email`).
    public static func check(
        new: AvroSchema, previous: [AvroSchema], level: CompatibilityLevel
    ) -> [CompatibilityMessage] {
        var messages: [CompatibilityMessage] = []
        for pair in level.pairs(previousCount: previous.count) {
            let reader = pair.reader < 0 ? new : previous[pair.reader]
            let writer = pair.writer < 0 ? new : previous[pair.writer]
            let direction =
                pair.reader < 0
                ? "new reads version \(pair.writer + 1)" : "version \(pair.reader + 1) reads new"
            for message in Self.check(reader: reader, writer: writer) {
                messages.append(
                    CompatibilityMessage(
                        rule: message.rule, path: "\(direction): \(message.path)", message: message.message))
            }
        }
        return messages
    }
}

/// A message whose path is stored innermost-first, so callers append their own component as results bubble up.
struct AvroRelativeMessage: Hashable {
    var rule: AvroCompatibilityRule
    var path: [String]
    var message: String
}

/// The resolution check, following the structure of Apache Avro's Java
/// `SchemaCompatibility.ReaderWriterCompatibilityChecker`.
///
/// - Important: results for a pair of named types are memoized; a pair first met beyond `maxDepth` is remembered as
///   incompatible (conservative) for the rest of the check.
struct AvroResolutionChecker {
    let reader: AvroSchema
    let writer: AvroSchema

    private struct Pair: Hashable {
        var reader: String
        var writer: String
    }

    /// Finished named pairs, with messages relative to the pair.
    private var memo: [Pair: [AvroRelativeMessage]] = [:]
    /// Named pairs being checked: meeting one again (recursion) assumes it compatible, as the Java checker does.
    private var inProgress: Set<Pair> = []

    init(reader: AvroSchema, writer: AvroSchema) {
        self.reader = reader
        self.writer = writer
    }

    private static func prefixed(_ messages: [AvroRelativeMessage], _ component: String) -> [AvroRelativeMessage] {
        messages.map {
            var message = $0
            message.path.append(component)
            return message
        }
    }

    private static func isPromotable(reader: AvroPrimitive, writer: AvroPrimitive) -> Bool {
        switch (reader, writer) {
        case (.long, .int), (.float, .int), (.float, .long), (.double, .int), (.double, .long), (.double, .float),
            (.bytes, .string), (.string, .bytes):
            true
        default:
            false
        }
    }

    mutating func check(_ readerType: AvroType, _ writerType: AvroType, depth: Int) -> [AvroRelativeMessage] {
        guard depth < AvroCompatibility.maxDepth else {
            return [
                AvroRelativeMessage(
                    rule: .depthLimitExceeded, path: [],
                    message: "types nest deeper than \(AvroCompatibility.maxDepth); not checked further")
            ]
        }
        switch (readerType, writerType) {
        case (.primitive(let r, _), .primitive(let w, _)):
            if r == w || Self.isPromotable(reader: r, writer: w) { return [] }
            return [self.mismatch(readerType, writerType)]
        case (.array(let r), .array(let w)):
            return Self.prefixed(self.check(r, w, depth: depth + 1), "array items")
        case (.map(let r), .map(let w)):
            return Self.prefixed(self.check(r, w, depth: depth + 1), "map values")
        case (.union(let readerBranches), .union(let writerBranches)):
            // Index the reader's named branches once, so each writer branch is checked only against the reader
            // branches it could resolve to: unions of many named types cost time linear in their branches.
            var unnamed: [AvroType] = []
            var byName: [String: [AvroType]] = [:]
            for branch in readerBranches {
                guard case .named(let fullname) = branch else {
                    unnamed.append(branch)
                    continue
                }
                let definition = self.reader.definition(of: fullname)
                byName[definition.name, default: []].append(branch)
                for alias in definition.aliases {
                    byName["alias " + alias, default: []].append(branch)
                }
            }
            var messages: [AvroRelativeMessage] = []
            for (index, branch) in writerBranches.enumerated() {
                var candidates = unnamed
                if case .named(let fullname) = branch {
                    let definition = self.writer.definition(of: fullname)
                    candidates = (byName[definition.name] ?? []) + (byName["alias " + definition.fullname] ?? [])
                }
                var resolved = false
                for candidate in candidates where self.check(candidate, branch, depth: depth + 1).isEmpty {
                    resolved = true
                    break
                }
                if resolved { continue }
                messages.append(
                    AvroRelativeMessage(
                        rule: .missingUnionBranch, path: [],
                        message: "reader union lacks a branch for writer union branch \(index) "
                            + "(\(self.writer.describe(branch)))"))
            }
            return messages
        case (_, .union(let writerBranches)):
            // Every writer branch must resolve to the (non-union) reader type.
            var messages: [AvroRelativeMessage] = []
            for branch in writerBranches {
                messages += self.check(readerType, branch, depth: depth + 1)
            }
            return messages
        case (.union(let readerBranches), _):
            for branch in readerBranches
            where self.couldMatch(branch, writerType) && self.check(branch, writerType, depth: depth + 1).isEmpty {
                return []
            }
            return [
                AvroRelativeMessage(
                    rule: .missingUnionBranch, path: [],
                    message: "reader union has no branch for writer type \(self.writer.describe(writerType))")
            ]
        case (.named(let r), .named(let w)):
            return self.checkNamed(r, w, depth: depth)
        default:
            return [self.mismatch(readerType, writerType)]
        }
    }

    /// A cheap pre-filter so a union of many named types costs one name comparison per branch, not a full check:
    /// a named type only ever resolves against a named type whose name (or alias) matches, and never against an
    /// unnamed one.
    private func couldMatch(_ readerType: AvroType, _ writerType: AvroType) -> Bool {
        switch (readerType, writerType) {
        case (.named(let r), .named(let w)):
            return self.namesMatch(self.reader.definition(of: r), self.writer.definition(of: w))
        case (.named, _), (_, .named):
            return false
        default:
            return true
        }
    }

    private func mismatch(_ readerType: AvroType, _ writerType: AvroType) -> AvroRelativeMessage {
        AvroRelativeMessage(
            rule: .typeMismatch, path: [],
            message: "reader type \(self.reader.describe(readerType)) cannot read writer type "
                + self.writer.describe(writerType))
    }

    /// Spec: named types match when "both schemas are [records|enums|fixed] with the same (unqualified) name", or
    /// through the reader's aliases.
    private func namesMatch(_ reader: AvroNamedType, _ writer: AvroNamedType) -> Bool {
        reader.name == writer.name || reader.aliases.contains(writer.fullname)
    }

    private mutating func checkNamed(_ readerName: String, _ writerName: String, depth: Int) -> [AvroRelativeMessage] {
        let pair = Pair(reader: readerName, writer: writerName)
        if let known = self.memo[pair] { return known }
        if self.inProgress.contains(pair) { return [] }
        self.inProgress.insert(pair)
        let result = self.computeNamed(
            self.reader.definition(of: readerName), self.writer.definition(of: writerName), depth: depth)
        self.inProgress.remove(pair)
        self.memo[pair] = result
        return result
    }

    private mutating func computeNamed(_ r: AvroNamedType, _ w: AvroNamedType, depth: Int) -> [AvroRelativeMessage] {
        let here = r.label
        switch (r.kind, w.kind) {
        case (.fixed(let readerSize, _), .fixed(let writerSize, _)):
            guard self.namesMatch(r, w) else { return [self.nameMismatch(r, w)] }
            guard readerSize == writerSize else {
                return [
                    AvroRelativeMessage(
                        rule: .fixedSizeMismatch, path: [here],
                        message: "reader size \(readerSize) differs from writer size \(writerSize)")
                ]
            }
            return []
        case (.enumeration(let readerSymbols, let readerDefault), .enumeration(let writerSymbols, _)):
            guard self.namesMatch(r, w) else { return [self.nameMismatch(r, w)] }
            let known = Set(readerSymbols)
            let missing = writerSymbols.filter { !known.contains($0) }
            guard missing.isEmpty || readerDefault != nil else {
                return [
                    AvroRelativeMessage(
                        rule: .missingEnumSymbols, path: [here],
                        message: "reader lacks writer symbols \(missing.joined(separator: ", ")) and has no default")
                ]
            }
            return []
        case (.record(let readerFields), .record(let writerFields)):
            guard self.namesMatch(r, w) else { return [self.nameMismatch(r, w)] }
            var byName: [String: AvroField] = [:]
            for field in writerFields { byName[field.name] = field }
            var messages: [AvroRelativeMessage] = []
            for field in readerFields {
                let component = "\(here) field \(field.name)"
                let match = byName[field.name] ?? field.aliases.lazy.compactMap({ byName[$0] }).first
                guard let writerField = match else {
                    if field.defaultValue == nil {
                        messages.append(
                            AvroRelativeMessage(
                                rule: .readerFieldMissingDefaultValue, path: [component],
                                message: "reader field \(field.name) is not in the writer and has no default"))
                    }
                    continue
                }
                messages += Self.prefixed(self.check(field.type, writerField.type, depth: depth + 1), component)
            }
            return messages
        default:
            return [
                AvroRelativeMessage(
                    rule: .typeMismatch, path: [],
                    message: "reader type \(r.label) cannot read writer type \(w.label)")
            ]
        }
    }

    private func nameMismatch(_ r: AvroNamedType, _ w: AvroNamedType) -> AvroRelativeMessage {
        AvroRelativeMessage(
            rule: .nameMismatch, path: [r.label],
            message: "reader name \(r.fullname) does not match writer name \(w.fullname) (nor a reader alias)")
    }
}
