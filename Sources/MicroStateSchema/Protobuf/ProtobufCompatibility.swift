/// Which rules a Protobuf compatibility check applies.
public enum ProtobufRuleSet: String, Sendable, Hashable, CaseIterable {
    /// buf's WIRE category: old and new must exchange binary-encoded messages.
    case wire = "WIRE"
    /// buf's WIRE_JSON category: WIRE plus the JSON mapping (names, JSON names, types JSON tells apart).
    case wireJSON = "WIRE_JSON"
    /// What Confluent Schema Registry's Protobuf provider checks (`SchemaDiff.java`), reference section 1.2.
    case confluent = "CONFLUENT"
}

/// One compatibility rule: a stable identifier clients match on, a sentence, and the rule sets using it.
public struct ProtobufCompatibilityRule: Sendable, Hashable {
    public var id: String
    public var description: String
    public var ruleSets: Set<ProtobufRuleSet>
}

/// Pure compatibility checks between resolved Protobuf schemas (issue #5).
///
/// Two families of rules (``rules``):
/// - buf's WIRE and WIRE_JSON categories (`bufcheckserver.go` V2 spec). They judge an evolution old → new and
///   are symmetric in the sense that matters to a registry: a change they accept is safe for old and new
///   readers alike, so the level's direction does not change them; the level only picks which earlier
///   versions are compared. Beyond buf's WIRE category, `MESSAGE_NO_DELETE` and `ENUM_NO_DELETE` are applied
///   too (buf keeps them for its FILE category), because a registry's subjects name messages by index.
/// - Confluent's Protobuf diff (`compare(writer=original, reader=update)`), with its compatible changes (field
///   added or removed, rename, string ↔ bytes, enum constant changes) and its incompatible ones.
///
/// - Important: Confluent misses the re-use of a deleted field number: deleting field 5 and later adding a
///   new field 5 of the same wire kind only looks like a rename, so it passes, and old data then decodes into
///   the wrong field. `FIELD_NUMBER_NOT_REUSED` catches it in every rule set: pairwise when the old version
///   reserved the number, and across the history (``checkNumberReuse(new:previous:)``, run by
///   ``check(new:previous:level:ruleSet:detectNumberReuse:)``) when a version dropped the field without
///   reserving it and a later one used the number for a field with another name or type.
public enum ProtobufCompatibility {
    public static let rules: [ProtobufCompatibilityRule] = [
        rule(
            "FILE_SAME_PACKAGE", "The package must not change (full names, and so type URLs, would).",
            [.wire, .wireJSON]),
        rule("MESSAGE_NO_DELETE", "A message must not be deleted.", [.wire, .wireJSON]),
        rule("ENUM_NO_DELETE", "An enum must not be deleted.", [.wire, .wireJSON]),
        rule(
            "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
            "A field may be deleted only if its number is reserved, so it cannot be reused.", [.wire, .wireJSON]),
        rule(
            "FIELD_NO_DELETE_UNLESS_NAME_RESERVED",
            "A field may be deleted only if its name is reserved (JSON uses names).", [.wireJSON]),
        rule(
            "FIELD_WIRE_COMPATIBLE_TYPE",
            "A field's type may change only within a wire-compatible group: {int32, uint32, int64, uint64, bool}, "
                + "{sint32, sint64}, {fixed32, sfixed32}, {fixed64, sfixed64}, {string, bytes}; messages and enums "
                + "by the same full name.", [.wire]),
        rule(
            "FIELD_WIRE_JSON_COMPATIBLE_TYPE",
            "As FIELD_WIRE_COMPATIBLE_TYPE, but bool and the integers differ in JSON, as do string and bytes "
                + "(base64).", [.wireJSON]),
        rule(
            "FIELD_WIRE_COMPATIBLE_CARDINALITY",
            "Singular ↔ repeated is allowed only when the repeated field is not packed (packed data is one "
                + "length-delimited record a singular reader cannot read).", [.wire]),
        rule(
            "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY", "Singular ↔ repeated is never allowed (a JSON array vs a value).",
            [.wireJSON]),
        rule("FIELD_SAME_ONEOF", "A field must not move into, out of, or between oneofs.", [.wire, .wireJSON]),
        rule("FIELD_SAME_NAME", "A field must keep its name (JSON and text format use it).", [.wireJSON]),
        rule("FIELD_SAME_JSON_NAME", "A field must keep its JSON name.", [.wireJSON]),
        rule(
            "MESSAGE_SAME_REQUIRED_FIELDS", "Required fields must be neither added nor removed (proto2).",
            [.wire, .wireJSON]),
        rule(
            "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED",
            "An enum value may be deleted only if its number is reserved.",
            [.wire, .wireJSON]),
        rule(
            "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED", "An enum value may be deleted only if its name is reserved.",
            [.wireJSON]),
        rule("ENUM_VALUE_SAME_NAME", "Every name of an enum number must remain (JSON writes names).", [.wireJSON]),
        rule(
            "RESERVED_MESSAGE_NO_DELETE", "A message's reserved numbers and names must stay reserved.",
            [.wire, .wireJSON]),
        rule(
            "RESERVED_ENUM_NO_DELETE", "An enum's reserved numbers and names must stay reserved.", [.wire, .wireJSON]),
        rule(
            "FIELD_NUMBER_NOT_REUSED",
            "A field number that was reserved, or that an earlier version deleted, must not be used again for a "
                + "field with another name or type (Confluent's gap).", [.wire, .wireJSON, .confluent]),
        rule("PACKAGE_CHANGED", "Confluent: the package changed.", [.confluent]),
        rule("MESSAGE_REMOVED", "Confluent: a message the writer has is missing from the reader.", [.confluent]),
        rule("FIELD_KIND_CHANGED", "Confluent: a field changed between scalar, message and map.", [.confluent]),
        rule(
            "FIELD_SCALAR_KIND_CHANGED",
            "Confluent: a scalar changed outside {int32, int64, uint32, uint64, bool, enum}, {sint32, sint64}, "
                + "{string, bytes}, {fixed32, sfixed32}, {fixed64, sfixed64}.", [.confluent]),
        rule("FIELD_NAMED_TYPE_CHANGED", "Confluent: a field now refers to a different message or enum.", [.confluent]),
        rule(
            "FIELD_NUMERIC_LABEL_CHANGED", "Confluent: a numeric field changed between singular and repeated.",
            [.confluent]),
        rule("REQUIRED_FIELD_ADDED", "Confluent: the reader requires a field the writer may not write.", [.confluent]),
        rule(
            "REQUIRED_FIELD_REMOVED", "Confluent: a field the writer requires is missing from the reader.", [.confluent]
        ),
        rule("ONEOF_FIELD_REMOVED", "Confluent: a field left a oneof that still exists.", [.confluent]),
        rule(
            "MULTIPLE_FIELDS_MOVED_TO_ONEOF", "Confluent: a new oneof gathers more than one existing field.",
            [.confluent]),
        rule(
            "FIELD_MOVED_TO_EXISTING_ONEOF", "Confluent: an existing field moved into an existing oneof.",
            [.confluent]),
    ]

    private static func rule(_ id: String, _ description: String, _ sets: Set<ProtobufRuleSet>)
        -> ProtobufCompatibilityRule
    {
        ProtobufCompatibilityRule(id: id, description: description, ruleSets: sets)
    }

    /// The rule with this identifier.
    public static func rule(_ id: String) -> ProtobufCompatibilityRule? { self.rules.first { $0.id == id } }

    /// The direction of a Confluent check; buf rule sets ignore it (see the type's documentation).
    public enum Direction: Sendable, Hashable {
        /// The new schema reads data written with the old one (Confluent BACKWARD).
        case backward
        /// The old schema reads data written with the new one (Confluent FORWARD).
        case forward
        /// Both.
        case full
    }

    /// Checks the evolution `old` → `new`. Returns nothing when compatible; messages are de-duplicated.
    public static func check(
        new: ProtobufSchema, old: ProtobufSchema, ruleSet: ProtobufRuleSet, direction: Direction = .backward
    ) -> [CompatibilityMessage] {
        switch ruleSet {
        case .wire, .wireJSON:
            var diff = BufDiff(old: old, new: new, json: ruleSet == .wireJSON)
            diff.run()
            return diff.messages
        case .confluent:
            var out: [CompatibilityMessage] = []
            if direction != .forward { out += self.check(reader: new, writer: old) }
            if direction != .backward { out += self.check(reader: old, writer: new) }
            out += self.reservedReuse(old: old, new: new)
            return unique(out)
        }
    }

    /// Confluent's one directional question: can `reader` read what `writer` wrote
    /// (`compare(original: writer, update: reader)`)?
    public static func check(reader: ProtobufSchema, writer: ProtobufSchema) -> [CompatibilityMessage] {
        var diff = ConfluentDiff(original: writer, update: reader)
        diff.run()
        return diff.messages
    }

    /// Checks `new` against earlier versions (oldest first) as `level` asks
    /// (``CompatibilityLevel/pairs(previousCount:)``), then, when `detectNumberReuse`, against all of `previous` for
    /// re-used field numbers, whatever the level (except NONE).
    ///
    /// - Important: `SchemaRegistryState` passes only the versions the level selects (the latest alone unless the
    ///   level is transitive), so through the registry the history-wide reuse check sees the whole history only at
    ///   the `_TRANSITIVE` levels (docs/schemas.md, "Where we are stricter than Confluent").
    public static func check(
        new: ProtobufSchema, previous: [ProtobufSchema], level: CompatibilityLevel, ruleSet: ProtobufRuleSet,
        detectNumberReuse: Bool = true
    ) -> [CompatibilityMessage] {
        var out: [CompatibilityMessage] = []
        let pairs = level.pairs(previousCount: previous.count)
        switch ruleSet {
        case .wire, .wireJSON:
            var seen: Set<Int> = []
            for pair in pairs {
                let old = pair.reader == -1 ? pair.writer : pair.reader
                if seen.insert(old).inserted { out += self.check(new: new, old: previous[old], ruleSet: ruleSet) }
            }
        case .confluent:
            for pair in pairs {
                let reader = pair.reader == -1 ? new : previous[pair.reader]
                let writer = pair.writer == -1 ? new : previous[pair.writer]
                out += self.check(reader: reader, writer: writer)
                out += self.reservedReuse(old: previous[pair.reader == -1 ? pair.writer : pair.reader], new: new)
            }
        }
        if detectNumberReuse && level != .none {
            out += self.checkNumberReuse(new: new, previous: previous)
        }
        return unique(out)
    }

    /// `FIELD_NUMBER_NOT_REUSED` across a history (oldest first): a field of `new` whose number an earlier
    /// version used for a field with another name or type, after which a later earlier version dropped it.
    /// A plain rename with no deletion in between is not reported here (WIRE_JSON's FIELD_SAME_NAME is).
    public static func checkNumberReuse(new: ProtobufSchema, previous: [ProtobufSchema]) -> [CompatibilityMessage] {
        var out: [CompatibilityMessage] = []
        for messageName in new.messageOrder {
            guard let message = new.messages[messageName], !message.isMapEntry else { continue }
            for field in message.fields {
                // The most recent earlier use that differs, and whether the number was absent after it.
                var differingUse: (version: Int, field: ProtobufFieldDescriptor)?
                var absentAfterDifferingUse = false
                for (index, version) in previous.enumerated() {
                    guard let earlier = version.messages[messageName] else { continue }
                    if let used = earlier.field(number: field.number) {
                        if used.name != field.name || used.type != field.type {
                            differingUse = (index, used)
                            absentAfterDifferingUse = false
                        } else {
                            differingUse = nil
                        }
                    } else if differingUse != nil {
                        absentAfterDifferingUse = true
                    }
                }
                if let use = differingUse, absentAfterDifferingUse {
                    out.append(
                        CompatibilityMessage(
                            rule: "FIELD_NUMBER_NOT_REUSED", path: "message \(messageName) field \(field.number)",
                            message: "field \(field.name) (\(field.type)) reuses number \(field.number), which version "
                                + "\(use.version + 1) used for \(use.field.name) (\(use.field.type)) before it was "
                                + "deleted without reserving the number"))
                }
            }
        }
        return out
    }

    /// `FIELD_NUMBER_NOT_REUSED`, pairwise: a number `old` reserved is used by a field of `new`.
    static func reservedReuse(old: ProtobufSchema, new: ProtobufSchema) -> [CompatibilityMessage] {
        var out: [CompatibilityMessage] = []
        for name in new.messageOrder {
            guard let newMessage = new.messages[name], let oldMessage = old.messages[name] else { continue }
            for field in newMessage.fields where oldMessage.isReserved(number: field.number) {
                out.append(
                    CompatibilityMessage(
                        rule: "FIELD_NUMBER_NOT_REUSED", path: "message \(name) field \(field.number)",
                        message: "field \(field.name) uses number \(field.number), which the previous version reserved")
                )
            }
        }
        return out
    }

    static func unique(_ messages: [CompatibilityMessage]) -> [CompatibilityMessage] {
        var seen: Set<CompatibilityMessage> = []
        return messages.filter { seen.insert($0).inserted }
    }
}

// MARK: - Shared helpers

extension ProtobufFieldType {
    /// buf's wire-compatible groups; with `json`, bool and string/bytes stand alone.
    func bufGroup(json: Bool) -> String {
        switch self {
        case .message(let name): return "message " + name
        case .enum(let name): return "enum " + name
        case .scalar(let s):
            switch s {
            case .int32, .uint32, .int64, .uint64: return "varint"
            case .bool: return json ? "bool" : "varint"
            case .sint32, .sint64: return "zigzag"
            case .fixed32, .sfixed32: return "fixed32"
            case .fixed64, .sfixed64: return "fixed64"
            case .string: return json ? "string" : "length-delimited"
            case .bytes: return json ? "bytes" : "length-delimited"
            case .float, .double: return s.rawValue
            }
        }
    }

    /// Confluent's scalar groups (enum counts as a varint).
    var confluentScalarGroup: String? {
        switch self {
        case .message: return nil
        case .enum: return "varint"
        case .scalar(let s):
            switch s {
            case .int32, .uint32, .int64, .uint64, .bool: return "varint"
            case .sint32, .sint64: return "zigzag"
            case .fixed32, .sfixed32: return "fixed32"
            case .fixed64, .sfixed64: return "fixed64"
            case .string, .bytes: return "length-delimited"
            case .float, .double: return s.rawValue
            }
        }
    }
}

/// The ranges of `ranges` not entirely inside the union of `cover`.
private func uncovered(_ ranges: [ProtoNumberRange], by cover: [ProtoNumberRange]) -> [ProtoNumberRange] {
    let sorted = cover.sorted { $0.lower < $1.lower }
    return ranges.filter { range in
        var next = range.lower
        for c in sorted where c.lower <= next && c.upper >= next {
            if c.upper >= range.upper { return false }
            next = c.upper + 1
        }
        return true
    }
}

// MARK: - buf WIRE / WIRE_JSON

private struct BufDiff {
    let old: ProtobufSchema
    let new: ProtobufSchema
    let json: Bool
    var messages: [CompatibilityMessage] = []

    init(old: ProtobufSchema, new: ProtobufSchema, json: Bool) {
        self.old = old
        self.new = new
        self.json = json
    }

    mutating func add(_ rule: String, _ path: String, _ message: String) {
        self.messages.append(CompatibilityMessage(rule: rule, path: path, message: message))
    }

    mutating func run() {
        if self.old.package != self.new.package {
            self.add(
                "FILE_SAME_PACKAGE", "package",
                "package changed from \"\(self.old.package)\" to \"\(self.new.package)\"")
        }
        for name in self.old.messageOrder {
            guard let oldMessage = self.old.messages[name] else { continue }
            guard let newMessage = self.new.messages[name] else {
                if !oldMessage.isMapEntry {
                    self.add("MESSAGE_NO_DELETE", "message \(name)", "message \(name) was deleted")
                }
                continue
            }
            self.message(oldMessage, newMessage)
        }
        for name in self.old.enumOrder {
            guard let oldEnum = self.old.enums[name] else { continue }
            guard let newEnum = self.new.enums[name] else {
                self.add("ENUM_NO_DELETE", "enum \(name)", "enum \(name) was deleted")
                continue
            }
            self.enumeration(oldEnum, newEnum)
        }
        self.messages += ProtobufCompatibility.reservedReuse(old: self.old, new: self.new)
    }

    mutating func message(_ old: ProtobufMessageDescriptor, _ new: ProtobufMessageDescriptor) {
        let name = old.fullName
        for field in old.fields {
            let path = "message \(name) field \(field.number)"
            guard let now = new.field(number: field.number) else {
                if !new.isReserved(number: field.number) {
                    self.add(
                        "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", path,
                        "field \(field.name) was deleted without reserving number \(field.number)")
                }
                if self.json && !new.reservedNames.contains(field.name) {
                    self.add(
                        "FIELD_NO_DELETE_UNLESS_NAME_RESERVED", path,
                        "field \(field.name) was deleted without reserving its name")
                }
                continue
            }
            if field.type.bufGroup(json: self.json) != now.type.bufGroup(json: self.json) {
                self.add(
                    self.json ? "FIELD_WIRE_JSON_COMPATIBLE_TYPE" : "FIELD_WIRE_COMPATIBLE_TYPE", path,
                    "field \(field.name) changed type from \(field.type) to \(now.type)")
            }
            if (field.label == .repeated) != (now.label == .repeated) {
                let repeated = field.label == .repeated ? field : now
                if self.json {
                    self.add(
                        "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY", path,
                        "field \(field.name) changed from \(field.label) to \(now.label)")
                } else if repeated.isPacked || repeated.isMap {
                    self.add(
                        "FIELD_WIRE_COMPATIBLE_CARDINALITY", path,
                        "field \(field.name) changed from \(field.label) to \(now.label), and the repeated form "
                            + "is \(repeated.isMap ? "a map" : "packed")")
                }
            }
            if field.oneof != now.oneof {
                self.add(
                    "FIELD_SAME_ONEOF", path,
                    "field \(field.name) moved from \(field.oneof.map { "oneof \($0)" } ?? "no oneof") to "
                        + (now.oneof.map { "oneof \($0)" } ?? "no oneof"))
            }
            if self.json && field.name != now.name {
                self.add("FIELD_SAME_NAME", path, "field \(field.number) was renamed from \(field.name) to \(now.name)")
            }
            if self.json && field.jsonName != now.jsonName {
                self.add(
                    "FIELD_SAME_JSON_NAME", path,
                    "field \(field.name) changed JSON name from \(field.jsonName) to \(now.jsonName)")
            }
            if (field.label == .required) != (now.label == .required) {
                self.add(
                    "MESSAGE_SAME_REQUIRED_FIELDS", path,
                    "field \(field.name) is \(now.label == .required ? "now" : "no longer") required")
            }
        }
        for field in new.fields where field.label == .required && old.field(number: field.number) == nil {
            self.add(
                "MESSAGE_SAME_REQUIRED_FIELDS", "message \(name) field \(field.number)",
                "required field \(field.name) was added")
        }
        for range in uncovered(old.reservedRanges, by: new.reservedRanges) {
            self.add(
                "RESERVED_MESSAGE_NO_DELETE", "message \(name) reserved \(range)", "reserved range \(range) was removed"
            )
        }
        for reserved in old.reservedNames where !new.reservedNames.contains(reserved) {
            self.add(
                "RESERVED_MESSAGE_NO_DELETE", "message \(name) reserved \"\(reserved)\"",
                "reserved name \(reserved) was removed")
        }
    }

    mutating func enumeration(_ old: ProtobufEnumDescriptor, _ new: ProtobufEnumDescriptor) {
        let name = old.fullName
        var newNames: [Int64: Set<String>] = [:]
        for value in new.values { newNames[value.number, default: []].insert(value.name) }
        for value in old.values {
            let path = "enum \(name) value \(value.number)"
            guard let names = newNames[value.number] else {
                if !new.isReserved(number: value.number) {
                    self.add(
                        "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED", path,
                        "value \(value.name) was deleted without reserving number \(value.number)")
                }
                if self.json && !new.reservedNames.contains(value.name) {
                    self.add(
                        "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED", path,
                        "value \(value.name) was deleted without reserving its name")
                }
                continue
            }
            if self.json && !names.contains(value.name) {
                self.add(
                    "ENUM_VALUE_SAME_NAME", path,
                    "value \(value.number) was renamed from \(value.name) to \(names.sorted().joined(separator: ", "))")
            }
        }
        for range in uncovered(old.reservedRanges, by: new.reservedRanges) {
            self.add("RESERVED_ENUM_NO_DELETE", "enum \(name) reserved \(range)", "reserved range \(range) was removed")
        }
        for reserved in old.reservedNames where !new.reservedNames.contains(reserved) {
            self.add(
                "RESERVED_ENUM_NO_DELETE", "enum \(name) reserved \"\(reserved)\"",
                "reserved name \(reserved) was removed")
        }
    }
}

// MARK: - Confluent

private struct ConfluentDiff {
    /// The writer's schema.
    let original: ProtobufSchema
    /// The reader's schema.
    let update: ProtobufSchema
    var messages: [CompatibilityMessage] = []

    init(original: ProtobufSchema, update: ProtobufSchema) {
        self.original = original
        self.update = update
    }

    mutating func add(_ rule: String, _ path: String, _ message: String) {
        self.messages.append(CompatibilityMessage(rule: rule, path: path, message: message))
    }

    enum Kind: String { case scalar, message, map }

    static func kind(_ field: ProtobufFieldDescriptor) -> Kind {
        if field.isMap { return .map }
        if case .message = field.type { return .message }
        return .scalar
    }

    mutating func run() {
        if self.original.package != self.update.package {
            self.add(
                "PACKAGE_CHANGED", "package",
                "package changed from \"\(self.original.package)\" to \"\(self.update.package)\"")
        }
        for name in self.original.messageOrder {
            guard let writer = self.original.messages[name] else { continue }
            guard let reader = self.update.messages[name] else {
                if !writer.isMapEntry { self.add("MESSAGE_REMOVED", "message \(name)", "message \(name) was removed") }
                continue
            }
            self.message(writer, reader)
        }
    }

    mutating func message(_ writer: ProtobufMessageDescriptor, _ reader: ProtobufMessageDescriptor) {
        let name = writer.fullName
        for field in writer.fields {
            let path = "message \(name) field \(field.number)"
            guard let now = reader.field(number: field.number) else {
                if field.label == .required {
                    self.add("REQUIRED_FIELD_REMOVED", path, "required field \(field.name) was removed")
                }
                continue
            }
            let (was, kind) = (Self.kind(field), Self.kind(now))
            if was != kind {
                self.add("FIELD_KIND_CHANGED", path, "field \(field.name) changed from \(was) to \(kind)")
            } else if kind == .scalar {
                if field.type.confluentScalarGroup != now.type.confluentScalarGroup {
                    self.add(
                        "FIELD_SCALAR_KIND_CHANGED", path,
                        "field \(field.name) changed from \(field.type) to \(now.type)")
                } else if case .enum(let a) = field.type, case .enum(let b) = now.type, a != b {
                    self.add("FIELD_NAMED_TYPE_CHANGED", path, "field \(field.name) changed from enum \(a) to \(b)")
                }
            } else if kind == .message, field.type != now.type {
                self.add(
                    "FIELD_NAMED_TYPE_CHANGED", path, "field \(field.name) changed from \(field.type) to \(now.type)")
            }
            if field.label != now.label {
                if now.label == .required {
                    self.add("REQUIRED_FIELD_ADDED", path, "field \(field.name) became required")
                } else if field.label == .required {
                    self.add("REQUIRED_FIELD_REMOVED", path, "field \(field.name) is no longer required")
                } else if kind == .scalar, field.type.confluentScalarGroup != "length-delimited" {
                    self.add(
                        "FIELD_NUMERIC_LABEL_CHANGED", path,
                        "numeric field \(field.name) changed from \(field.label) to \(now.label)")
                }
            }
        }
        for field in reader.fields where field.label == .required && writer.field(number: field.number) == nil {
            self.add(
                "REQUIRED_FIELD_ADDED", "message \(name) field \(field.number)",
                "required field \(field.name) was added")
        }
        for oneof in reader.oneofs {
            let members = reader.fields.filter { $0.oneof == oneof }.map(\.number)
            if writer.oneofs.contains(oneof) {
                let before = Set(writer.fields.filter { $0.oneof == oneof }.map(\.number))
                for number in members where !before.contains(number) && writer.field(number: number) != nil {
                    self.add(
                        "FIELD_MOVED_TO_EXISTING_ONEOF", "message \(name) field \(number)",
                        "field \(number) moved into existing oneof \(oneof)")
                }
                for number in before.sorted() where !members.contains(number) {
                    self.add(
                        "ONEOF_FIELD_REMOVED", "message \(name) field \(number)",
                        "field \(number) was removed from oneof \(oneof)")
                }
            } else {
                let moved = members.filter { writer.field(number: $0) != nil }
                if moved.count > 1 {
                    self.add(
                        "MULTIPLE_FIELDS_MOVED_TO_ONEOF", "message \(name) oneof \(oneof)",
                        "fields \(moved.map(String.init).joined(separator: ", ")) moved into new oneof \(oneof)")
                }
            }
        }
    }
}
