/// The JSON Schema compatibility rules: one id per kind of difference, named as Confluent's JSON Schema
/// `Difference.Type` where it has one, each either compatible or not (for a reader reading a writer's data).
public enum JSONSchemaRule: String, Sendable, CaseIterable, CustomStringConvertible {
    case typeExtended = "TYPE_EXTENDED"
    case typeNarrowed = "TYPE_NARROWED"
    case typeChanged = "TYPE_CHANGED"
    case maxLengthAdded = "MAX_LENGTH_ADDED"
    case maxLengthRemoved = "MAX_LENGTH_REMOVED"
    case maxLengthIncreased = "MAX_LENGTH_INCREASED"
    case maxLengthDecreased = "MAX_LENGTH_DECREASED"
    case minLengthAdded = "MIN_LENGTH_ADDED"
    case minLengthRemoved = "MIN_LENGTH_REMOVED"
    case minLengthIncreased = "MIN_LENGTH_INCREASED"
    case minLengthDecreased = "MIN_LENGTH_DECREASED"
    case patternAdded = "PATTERN_ADDED"
    case patternRemoved = "PATTERN_REMOVED"
    case patternChanged = "PATTERN_CHANGED"
    case maximumAdded = "MAXIMUM_ADDED"
    case maximumRemoved = "MAXIMUM_REMOVED"
    case maximumIncreased = "MAXIMUM_INCREASED"
    case maximumDecreased = "MAXIMUM_DECREASED"
    case minimumAdded = "MINIMUM_ADDED"
    case minimumRemoved = "MINIMUM_REMOVED"
    case minimumIncreased = "MINIMUM_INCREASED"
    case minimumDecreased = "MINIMUM_DECREASED"
    case exclusiveMaximumAdded = "EXCLUSIVE_MAXIMUM_ADDED"
    case exclusiveMaximumRemoved = "EXCLUSIVE_MAXIMUM_REMOVED"
    case exclusiveMaximumIncreased = "EXCLUSIVE_MAXIMUM_INCREASED"
    case exclusiveMaximumDecreased = "EXCLUSIVE_MAXIMUM_DECREASED"
    case exclusiveMinimumAdded = "EXCLUSIVE_MINIMUM_ADDED"
    case exclusiveMinimumRemoved = "EXCLUSIVE_MINIMUM_REMOVED"
    case exclusiveMinimumIncreased = "EXCLUSIVE_MINIMUM_INCREASED"
    case exclusiveMinimumDecreased = "EXCLUSIVE_MINIMUM_DECREASED"
    case multipleOfAdded = "MULTIPLE_OF_ADDED"
    case multipleOfRemoved = "MULTIPLE_OF_REMOVED"
    case multipleOfReduced = "MULTIPLE_OF_REDUCED"
    case multipleOfExpanded = "MULTIPLE_OF_EXPANDED"
    case multipleOfChanged = "MULTIPLE_OF_CHANGED"
    case maxPropertiesAdded = "MAX_PROPERTIES_ADDED"
    case maxPropertiesRemoved = "MAX_PROPERTIES_REMOVED"
    case maxPropertiesIncreased = "MAX_PROPERTIES_INCREASED"
    case maxPropertiesDecreased = "MAX_PROPERTIES_DECREASED"
    case minPropertiesAdded = "MIN_PROPERTIES_ADDED"
    case minPropertiesRemoved = "MIN_PROPERTIES_REMOVED"
    case minPropertiesIncreased = "MIN_PROPERTIES_INCREASED"
    case minPropertiesDecreased = "MIN_PROPERTIES_DECREASED"
    case requiredAttributeAdded = "REQUIRED_ATTRIBUTE_ADDED"
    case requiredAttributeWithDefaultAdded = "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED"
    case requiredAttributeRemoved = "REQUIRED_ATTRIBUTE_REMOVED"
    case additionalPropertiesAdded = "ADDITIONAL_PROPERTIES_ADDED"
    case additionalPropertiesRemoved = "ADDITIONAL_PROPERTIES_REMOVED"
    case additionalPropertiesExtended = "ADDITIONAL_PROPERTIES_EXTENDED"
    case additionalPropertiesNarrowed = "ADDITIONAL_PROPERTIES_NARROWED"
    case propertyAddedToOpenContentModel = "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
    case propertyWithEmptySchemaAddedToOpenContentModel = "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
    case requiredPropertyAddedToUnopenContentModel = "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"
    case requiredPropertyWithDefaultAddedToUnopenContentModel =
        "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL"
    case optionalPropertyAddedToUnopenContentModel = "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"
    case propertyAddedIsCoveredByPartiallyOpenContentModel = "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
    case propertyAddedNotCoveredByPartiallyOpenContentModel =
        "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
    case propertyRemovedFromOpenContentModel = "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL"
    case propertyRemovedFromClosedContentModel = "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"
    case propertyWithFalseRemovedFromClosedContentModel = "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"
    case propertyRemovedIsCoveredByPartiallyOpenContentModel =
        "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
    case propertyRemovedNotCoveredByPartiallyOpenContentModel =
        "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
    case maxItemsAdded = "MAX_ITEMS_ADDED"
    case maxItemsRemoved = "MAX_ITEMS_REMOVED"
    case maxItemsIncreased = "MAX_ITEMS_INCREASED"
    case maxItemsDecreased = "MAX_ITEMS_DECREASED"
    case minItemsAdded = "MIN_ITEMS_ADDED"
    case minItemsRemoved = "MIN_ITEMS_REMOVED"
    case minItemsIncreased = "MIN_ITEMS_INCREASED"
    case minItemsDecreased = "MIN_ITEMS_DECREASED"
    case uniqueItemsAdded = "UNIQUE_ITEMS_ADDED"
    case uniqueItemsRemoved = "UNIQUE_ITEMS_REMOVED"
    case additionalItemsAdded = "ADDITIONAL_ITEMS_ADDED"
    case additionalItemsRemoved = "ADDITIONAL_ITEMS_REMOVED"
    case additionalItemsExtended = "ADDITIONAL_ITEMS_EXTENDED"
    case additionalItemsNarrowed = "ADDITIONAL_ITEMS_NARROWED"
    case itemAddedToOpenContentModel = "ITEM_ADDED_TO_OPEN_CONTENT_MODEL"
    case itemWithEmptySchemaAddedToOpenContentModel = "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
    case itemAddedToClosedContentModel = "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL"
    case itemAddedIsCoveredByPartiallyOpenContentModel = "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
    case itemAddedNotCoveredByPartiallyOpenContentModel = "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
    case itemRemovedFromOpenContentModel = "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL"
    case itemRemovedFromClosedContentModel = "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL"
    case itemWithFalseRemovedFromClosedContentModel = "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"
    case itemRemovedIsCoveredByPartiallyOpenContentModel = "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
    case itemRemovedNotCoveredByPartiallyOpenContentModel =
        "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
    case enumArrayExtended = "ENUM_ARRAY_EXTENDED"
    case enumArrayNarrowed = "ENUM_ARRAY_NARROWED"
    case enumArrayChanged = "ENUM_ARRAY_CHANGED"
    case combinedTypeExtended = "COMBINED_TYPE_EXTENDED"
    case combinedTypeChanged = "COMBINED_TYPE_CHANGED"
    case combinedTypeSubschemasChanged = "COMBINED_TYPE_SUBSCHEMAS_CHANGED"
    case productTypeExtended = "PRODUCT_TYPE_EXTENDED"
    case productTypeNarrowed = "PRODUCT_TYPE_NARROWED"
    case sumTypeExtended = "SUM_TYPE_EXTENDED"
    case sumTypeNarrowed = "SUM_TYPE_NARROWED"
    case notTypeExtended = "NOT_TYPE_EXTENDED"
    case notTypeNarrowed = "NOT_TYPE_NARROWED"
    /// Not Confluent's: the reader schema is `false`.
    case schemaRejectsEverything = "SCHEMA_REJECTS_EVERYTHING"
    /// Not Confluent's: the check hit `maxComparisons` or `maxComparisonDepth` and could not prove compatibility.
    case comparisonLimitExceeded = "COMPARISON_LIMIT_EXCEEDED"

    /// Whether a reader can still read every document the writer wrote after this change.
    public var isCompatible: Bool {
        switch self {
        case .typeExtended, .maxLengthRemoved, .maxLengthIncreased, .minLengthRemoved, .minLengthDecreased,
            .patternRemoved, .maximumRemoved, .maximumIncreased, .minimumRemoved, .minimumDecreased,
            .exclusiveMaximumRemoved, .exclusiveMaximumIncreased, .exclusiveMinimumRemoved,
            .exclusiveMinimumDecreased, .multipleOfRemoved, .multipleOfReduced, .maxPropertiesRemoved,
            .maxPropertiesIncreased, .minPropertiesRemoved, .minPropertiesDecreased,
            .requiredAttributeWithDefaultAdded, .requiredAttributeRemoved, .additionalPropertiesAdded,
            .additionalPropertiesExtended, .propertyWithEmptySchemaAddedToOpenContentModel,
            .requiredPropertyWithDefaultAddedToUnopenContentModel, .optionalPropertyAddedToUnopenContentModel,
            .propertyAddedIsCoveredByPartiallyOpenContentModel, .propertyRemovedFromOpenContentModel,
            .propertyWithFalseRemovedFromClosedContentModel, .propertyRemovedIsCoveredByPartiallyOpenContentModel,
            .maxItemsRemoved, .maxItemsIncreased, .minItemsRemoved, .minItemsDecreased, .uniqueItemsRemoved,
            .additionalItemsAdded, .additionalItemsExtended, .itemWithEmptySchemaAddedToOpenContentModel,
            .itemAddedToClosedContentModel, .itemAddedIsCoveredByPartiallyOpenContentModel,
            .itemRemovedFromOpenContentModel, .itemRemovedIsCoveredByPartiallyOpenContentModel,
            .itemWithFalseRemovedFromClosedContentModel,
            .enumArrayExtended, .combinedTypeExtended, .productTypeNarrowed, .sumTypeExtended, .notTypeNarrowed:
            true
        case .typeNarrowed, .typeChanged, .maxLengthAdded, .maxLengthDecreased, .minLengthAdded,
            .minLengthIncreased, .patternAdded, .patternChanged, .maximumAdded, .maximumDecreased, .minimumAdded,
            .minimumIncreased, .exclusiveMaximumAdded, .exclusiveMaximumDecreased, .exclusiveMinimumAdded,
            .exclusiveMinimumIncreased, .multipleOfAdded, .multipleOfExpanded, .multipleOfChanged,
            .maxPropertiesAdded, .maxPropertiesDecreased, .minPropertiesAdded, .minPropertiesIncreased,
            .requiredAttributeAdded, .additionalPropertiesRemoved, .additionalPropertiesNarrowed,
            .propertyAddedToOpenContentModel, .requiredPropertyAddedToUnopenContentModel,
            .propertyAddedNotCoveredByPartiallyOpenContentModel, .propertyRemovedFromClosedContentModel,
            .propertyRemovedNotCoveredByPartiallyOpenContentModel, .maxItemsAdded, .maxItemsDecreased,
            .minItemsAdded, .minItemsIncreased, .uniqueItemsAdded, .additionalItemsRemoved,
            .additionalItemsNarrowed, .itemAddedToOpenContentModel, .itemAddedNotCoveredByPartiallyOpenContentModel,
            .itemRemovedFromClosedContentModel, .itemRemovedNotCoveredByPartiallyOpenContentModel,
            .enumArrayNarrowed, .enumArrayChanged, .combinedTypeChanged, .combinedTypeSubschemasChanged,
            .productTypeExtended, .sumTypeNarrowed, .notTypeExtended, .schemaRejectsEverything,
            .comparisonLimitExceeded:
            false
        }
    }

    public var description: String { self.rawValue }
}

/// One difference between a writer and a reader schema.
public struct JSONSchemaDifference: Sendable, Hashable, CustomStringConvertible {
    public var rule: JSONSchemaRule
    /// Where in the schema, dotted (`properties.address.properties.zip`, `items`, `anyOf.1`); `#` is the root.
    public var path: String
    public var message: String

    public var isCompatible: Bool { self.rule.isCompatible }

    public var description: String { "\(self.rule) at \(self.path): \(self.message)" }

    /// As the registry's shared message type.
    public var compatibilityMessage: CompatibilityMessage {
        CompatibilityMessage(rule: self.rule.rawValue, path: self.path, message: self.message)
    }
}

/// Checks whether a reader schema can read every document valid under a writer schema.
///
/// Conservative: when it cannot prove compatibility (regular expressions, `not`, a mix of combinators and
/// plain keywords) it reports an incompatible difference. `CompatibilityLevel.pairs(previousCount:)` decides
/// which (reader, writer) pairs to check; BACKWARD is `check(reader: new, writer: latest)`.
public enum JSONSchemaCompatibility {
    /// Most pairwise subschema comparisons in one check: combinator matching compares every branch with every
    /// branch, so without a bound a crafted schema would take exponential time. Exceeding it is reported as
    /// `COMPARISON_LIMIT_EXCEEDED` (incompatible).
    public static let maxComparisons = 100_000

    /// Deepest nesting of subschema comparisons: bounds the checker's recursion (schemas are at most 32
    /// subschemas deep in a 64-deep JSON document, but references and combinators nest further). Exceeding it
    /// is reported as `COMPARISON_LIMIT_EXCEEDED`.
    public static let maxComparisonDepth = 128

    /// Every difference found, compatible ones included, in schema order.
    public static func differences(reader: JSONSchema, writer: JSONSchema) -> [JSONSchemaDifference] {
        var checker = Checker(reader: reader, writer: writer)
        checker.compare(writer.root, reader.root, path: "")
        return checker.differences
    }

    /// The incompatible differences, as the registry reports them; empty means compatible.
    public static func check(reader: JSONSchema, writer: JSONSchema) -> [CompatibilityMessage] {
        self.differences(reader: reader, writer: writer).filter { !$0.isCompatible }.map(\.compatibilityMessage)
    }

    /// Whether `reader` can read every document valid under `writer`.
    public static func isCompatible(reader: JSONSchema, writer: JSONSchema) -> Bool {
        self.check(reader: reader, writer: writer).isEmpty
    }
}

private struct Pair: Hashable {
    var writer: Int
    var reader: Int
}

private enum ContentModel {
    case open
    case closed
    case partial
}

private struct Checker {
    let reader: JSONSchema
    let writer: JSONSchema
    var differences: [JSONSchemaDifference] = []
    var inProgress: Set<Pair> = []
    var budget = JSONSchemaCompatibility.maxComparisons
    var budgetReported = false
    var depth = 0

    init(reader: JSONSchema, writer: JSONSchema) {
        self.reader = reader
        self.writer = writer
    }

    mutating func add(_ rule: JSONSchemaRule, _ path: String, _ message: String) {
        self.differences.append(JSONSchemaDifference(rule: rule, path: path.isEmpty ? "#" : path, message: message))
    }

    func join(_ path: String, _ part: String) -> String {
        path.isEmpty ? part : path + "." + part
    }

    /// Whether the reader subschema reads every document of the writer subschema, without reporting.
    mutating func reads(_ w: Int, _ r: Int) -> Bool {
        let mark = self.differences.count
        self.compare(w, r, path: "")
        let ok = !self.differences[mark...].contains { !$0.isCompatible }
        if !ok && self.differences[mark...].contains(where: { $0.rule == .comparisonLimitExceeded }) {
            let limit = self.differences[mark...].first { $0.rule == .comparisonLimitExceeded }!
            self.differences.removeSubrange(mark...)
            self.differences.append(limit)
            return false
        }
        self.differences.removeSubrange(mark...)
        return ok
    }

    mutating func compare(_ w0: Int, _ r0: Int, path: String) {
        self.budget -= 1
        guard self.budget >= 0, self.depth < JSONSchemaCompatibility.maxComparisonDepth else {
            if !self.budgetReported {
                self.budgetReported = true
                self.add(.comparisonLimitExceeded, path, self.budget < 0
                    ? "more than \(JSONSchemaCompatibility.maxComparisons) subschema comparisons"
                    : "subschema comparisons nested more than \(JSONSchemaCompatibility.maxComparisonDepth) deep")
            }
            return
        }
        self.depth += 1
        defer { self.depth -= 1 }
        let w = self.writer.dereference(w0)
        let r = self.reader.dereference(r0)
        // Recursive schemas: a pair already being compared is assumed compatible (coinduction).
        guard self.inProgress.insert(Pair(writer: w, reader: r)).inserted else { return }
        defer { self.inProgress.remove(Pair(writer: w, reader: r)) }
        let wn = self.writer.nodes[w]
        let rn = self.reader.nodes[r]
        if wn.isFalse || rn.acceptsEverything { return }
        if rn.isFalse {
            self.add(.schemaRejectsEverything, path, "the reader schema is false and reads nothing")
            return
        }
        let wt = self.writerTypes(wn)
        let rt = rn.types ?? .all
        guard self.compareTypes(wt, rt, path) else { return }
        let shared = wt.accepted.intersection(rt.accepted)
        self.compareEnum(wn, rn, path)
        if shared.contains(.string) {
            self.upper(wn.maxLength.map(Double.init), rn.maxLength.map(Double.init), "maxLength", path,
                       .maxLengthAdded, .maxLengthRemoved, .maxLengthIncreased, .maxLengthDecreased)
            self.lower(wn.minLength.map(Double.init), rn.minLength.map(Double.init), "minLength", path,
                       .minLengthAdded, .minLengthRemoved, .minLengthIncreased, .minLengthDecreased)
            switch (wn.pattern, rn.pattern) {
            case (nil, nil): break
            case (_?, nil): self.add(.patternRemoved, path, "pattern removed")
            case (nil, let p?): self.add(.patternAdded, path, "pattern \(p) added")
            case (let a?, let b?) where a != b: self.add(.patternChanged, path, "pattern changed from \(a) to \(b)")
            default: break
            }
        }
        if shared.contains(.integer) || shared.contains(.number) {
            self.compareNumbers(wn, rn, path)
        }
        if shared.contains(.object) {
            self.compareObjects(wn, rn, path)
        }
        if shared.contains(.array) {
            self.compareArrays(wn, rn, path)
        }
        self.compareCombinators(w, r, wn, rn, path)
        self.compareNot(wn, rn, path)
        // A `$ref` with sibling assertions: the reader also requires the referenced schema; the writer's
        // reference only narrows its data, so ignoring it is conservative.
        if let target = rn.ref, rn.assertionCount > 1 {
            self.compare(w, target, path: path)
        }
    }

    /// The types the writer's documents can have: `type`, narrowed by `enum`/`const` and by the union of
    /// `anyOf`/`oneOf` branch types, so `{"anyOf": [{"type": "string"}, …]}` is not read as "any type".
    func writerTypes(_ node: JSONSchema.Node) -> JSONSchemaTypeSet {
        var types = (node.types ?? .all).accepted
        if let values = node.allowedValues {
            var fromValues: JSONSchemaTypeSet = []
            for value in values { fromValues.formUnion(JSONSchemaTypeSet(value.schemaType)) }
            types.formIntersection(fromValues.accepted)
        }
        let sum = node.anyOf.isEmpty ? node.oneOf : node.anyOf
        if !sum.isEmpty {
            var fromBranches: JSONSchemaTypeSet = []
            for branch in sum {
                let b = self.writer.nodes[self.writer.dereference(branch)]
                if !b.isFalse { fromBranches.formUnion(b.types ?? .all) }
            }
            types.formIntersection(fromBranches.accepted)
        }
        return types.isEmpty ? (node.types ?? .all) : types
    }

    /// Returns false when the types share nothing, so the rest of the comparison is moot.
    mutating func compareTypes(_ wt: JSONSchemaTypeSet, _ rt: JSONSchemaTypeSet, _ path: String) -> Bool {
        let readerAccepts = rt.accepted
        let writerProduces = wt.accepted
        if writerProduces.isSubset(of: readerAccepts) {
            if writerProduces != readerAccepts {
                self.add(.typeExtended, path, "type extended from \(wt) to \(rt)")
            }
            return true
        }
        if writerProduces.isDisjoint(with: readerAccepts) {
            self.add(.typeChanged, path, "type changed from \(wt) to \(rt)")
            return false
        }
        self.add(.typeNarrowed, path, "type narrowed from \(wt) to \(rt)")
        return true
    }

    mutating func compareEnum(_ wn: JSONSchema.Node, _ rn: JSONSchema.Node, _ path: String) {
        switch (wn.allowedValues, rn.allowedValues) {
        case (nil, nil):
            break
        case (_?, nil):
            self.add(.enumArrayExtended, path, "enum/const removed")
        case (nil, _?):
            self.add(.enumArrayNarrowed, path, "enum/const added")
        case (let a?, let b?):
            let readerValues = Set(b)
            let writerValues = Set(a)
            if writerValues.isSubset(of: readerValues) {
                if writerValues != readerValues {
                    self.add(.enumArrayExtended, path, "enum extended")
                }
            } else if readerValues.isSubset(of: writerValues) {
                self.add(.enumArrayNarrowed, path, "enum narrowed: \(writerValues.count - readerValues.count) "
                         + "values the writer may write are no longer allowed")
            } else {
                self.add(.enumArrayChanged, path, "enum changed: values the writer may write are not allowed")
            }
        }
    }

    /// An upper bound (max*): the reader must allow at least what the writer allowed.
    mutating func upper(
        _ w: Double?, _ r: Double?, _ keyword: String, _ path: String,
        _ added: JSONSchemaRule, _ removed: JSONSchemaRule, _ increased: JSONSchemaRule, _ decreased: JSONSchemaRule
    ) {
        switch (w, r) {
        case (nil, nil): break
        case (let a?, nil): self.add(removed, path, "\(keyword) \(format(a)) removed")
        case (nil, let b?): self.add(added, path, "\(keyword) \(format(b)) added")
        case (let a?, let b?):
            if b < a { self.add(decreased, path, "\(keyword) decreased from \(format(a)) to \(format(b))") }
            if b > a { self.add(increased, path, "\(keyword) increased from \(format(a)) to \(format(b))") }
        }
    }

    /// A lower bound (min*): the reader must not require more than the writer did.
    mutating func lower(
        _ w: Double?, _ r: Double?, _ keyword: String, _ path: String,
        _ added: JSONSchemaRule, _ removed: JSONSchemaRule, _ increased: JSONSchemaRule, _ decreased: JSONSchemaRule
    ) {
        switch (w, r) {
        case (nil, nil): break
        case (let a?, nil): self.add(removed, path, "\(keyword) \(format(a)) removed")
        case (nil, let b?): self.add(added, path, "\(keyword) \(format(b)) added")
        case (let a?, let b?):
            if b > a { self.add(increased, path, "\(keyword) increased from \(format(a)) to \(format(b))") }
            if b < a { self.add(decreased, path, "\(keyword) decreased from \(format(a)) to \(format(b))") }
        }
    }

    mutating func compareNumbers(_ wn: JSONSchema.Node, _ rn: JSONSchema.Node, _ path: String) {
        self.upper(wn.maximum, rn.maximum, "maximum", path,
                   .maximumAdded, .maximumRemoved, .maximumIncreased, .maximumDecreased)
        self.lower(wn.minimum, rn.minimum, "minimum", path,
                   .minimumAdded, .minimumRemoved, .minimumIncreased, .minimumDecreased)
        self.upper(wn.exclusiveMaximum, rn.exclusiveMaximum, "exclusiveMaximum", path,
                   .exclusiveMaximumAdded, .exclusiveMaximumRemoved, .exclusiveMaximumIncreased,
                   .exclusiveMaximumDecreased)
        self.lower(wn.exclusiveMinimum, rn.exclusiveMinimum, "exclusiveMinimum", path,
                   .exclusiveMinimumAdded, .exclusiveMinimumRemoved, .exclusiveMinimumIncreased,
                   .exclusiveMinimumDecreased)
        switch (wn.multipleOf, rn.multipleOf) {
        case (nil, nil): break
        case (let a?, nil): self.add(.multipleOfRemoved, path, "multipleOf \(format(a)) removed")
        case (nil, let b?): self.add(.multipleOfAdded, path, "multipleOf \(format(b)) added")
        case (let a?, let b?) where a != b:
            if isMultiple(a, of: b) {
                self.add(.multipleOfReduced, path, "multipleOf reduced from \(format(a)) to \(format(b))")
            } else if isMultiple(b, of: a) {
                self.add(.multipleOfExpanded, path, "multipleOf expanded from \(format(a)) to \(format(b))")
            } else {
                self.add(.multipleOfChanged, path, "multipleOf changed from \(format(a)) to \(format(b))")
            }
        default: break
        }
    }

    func contentModel(_ schema: JSONSchema, _ node: JSONSchema.Node) -> ContentModel {
        guard node.patternProperties.isEmpty else { return .partial }
        guard let extra = node.additionalProperties else { return .open }
        let n = schema.nodes[schema.dereference(extra)]
        if n.acceptsEverything { return .open }
        if n.isFalse { return .closed }
        return .partial
    }

    /// The schemas that may govern a property name not in `properties`: conservative without regex matching.
    func governing(_ schema: JSONSchema, _ node: JSONSchema.Node) -> [Int] {
        var ids = node.patternProperties.map(\.schema)
        if let extra = node.additionalProperties { ids.append(extra) }
        return ids
    }

    mutating func compareObjects(_ wn: JSONSchema.Node, _ rn: JSONSchema.Node, _ path: String) {
        let writerModel = self.contentModel(self.writer, wn)
        let readerModel = self.contentModel(self.reader, rn)
        var reportedRequired: Set<String> = []
        for name in wn.propertyOrder {
            let here = self.join(path, "properties." + name)
            if let r = rn.properties[name] {
                self.compare(wn.properties[name]!, r, path: here)
                continue
            }
            let w = wn.properties[name]!
            switch readerModel {
            case .open:
                self.add(.propertyRemovedFromOpenContentModel, here, "property \(name) removed")
            case .closed:
                if self.writer.nodes[self.writer.dereference(w)].isFalse {
                    self.add(.propertyWithFalseRemovedFromClosedContentModel, here, "property \(name) removed")
                } else {
                    self.add(.propertyRemovedFromClosedContentModel, here,
                             "property \(name) removed but the reader allows no additional properties")
                }
            case .partial:
                let covering = self.governing(self.reader, rn)
                if covering.allSatisfy({ self.reads(w, $0) }) {
                    self.add(.propertyRemovedIsCoveredByPartiallyOpenContentModel, here, "property \(name) removed")
                } else {
                    self.add(.propertyRemovedNotCoveredByPartiallyOpenContentModel, here,
                             "property \(name) removed and the reader's additional properties do not read it")
                }
            }
        }
        for name in rn.propertyOrder where wn.properties[name] == nil {
            let here = self.join(path, "properties." + name)
            let r = rn.properties[name]!
            let readerNode = self.reader.nodes[self.reader.dereference(r)]
            let isRequired = rn.required.contains(name) && !wn.required.contains(name)
            switch writerModel {
            case .open:
                if readerNode.acceptsEverything {
                    self.add(.propertyWithEmptySchemaAddedToOpenContentModel, here, "property \(name) added")
                } else {
                    self.add(.propertyAddedToOpenContentModel, here,
                             "property \(name) added but the writer allows any additional property")
                }
                continue
            case .closed:
                break
            case .partial:
                let writerAllowsAnything = wn.additionalProperties == nil
                let covering = self.governing(self.writer, wn)
                if readerNode.acceptsEverything
                    || (!writerAllowsAnything && covering.allSatisfy({ self.reads($0, r) }))
                {
                    self.add(.propertyAddedIsCoveredByPartiallyOpenContentModel, here, "property \(name) added")
                } else {
                    self.add(.propertyAddedNotCoveredByPartiallyOpenContentModel, here,
                             "property \(name) added but the writer's additional properties may not match it")
                }
            }
            if isRequired {
                reportedRequired.insert(name)
                if readerNode.hasDefault {
                    self.add(.requiredPropertyWithDefaultAddedToUnopenContentModel, here,
                             "required property \(name) with a default added")
                } else {
                    self.add(.requiredPropertyAddedToUnopenContentModel, here,
                             "required property \(name) added; the writer's documents lack it")
                }
            } else if writerModel == .closed {
                self.add(.optionalPropertyAddedToUnopenContentModel, here, "optional property \(name) added")
            }
        }
        for name in rn.required where !wn.required.contains(name) && !reportedRequired.contains(name) {
            let here = self.join(path, "properties." + name)
            let hasDefault = rn.properties[name].map { self.reader.nodes[self.reader.dereference($0)].hasDefault }
            if hasDefault == true {
                self.add(.requiredAttributeWithDefaultAdded, here, "\(name) made required, with a default")
            } else {
                self.add(.requiredAttributeAdded, here, "\(name) made required")
            }
        }
        for name in wn.required where !rn.required.contains(name) {
            self.add(.requiredAttributeRemoved, self.join(path, "properties." + name), "\(name) no longer required")
        }
        self.compareAdditionalProperties(wn, rn, path)
        self.upper(wn.maxProperties.map(Double.init), rn.maxProperties.map(Double.init), "maxProperties", path,
                   .maxPropertiesAdded, .maxPropertiesRemoved, .maxPropertiesIncreased, .maxPropertiesDecreased)
        self.lower(wn.minProperties.map(Double.init), rn.minProperties.map(Double.init), "minProperties", path,
                   .minPropertiesAdded, .minPropertiesRemoved, .minPropertiesIncreased, .minPropertiesDecreased)
    }

    mutating func compareAdditionalProperties(_ wn: JSONSchema.Node, _ rn: JSONSchema.Node, _ path: String) {
        let here = self.join(path, "additionalProperties")
        let w = wn.additionalProperties.map { self.writer.dereference($0) }
        let r = rn.additionalProperties.map { self.reader.dereference($0) }
        let wOpen = w.map { self.writer.nodes[$0].acceptsEverything } ?? true
        let rOpen = r.map { self.reader.nodes[$0].acceptsEverything } ?? true
        let wClosed = w.map { self.writer.nodes[$0].isFalse } ?? false
        let rClosed = r.map { self.reader.nodes[$0].isFalse } ?? false
        if wOpen && rOpen || wClosed && rClosed {
            // Same content model; pattern properties below.
        } else if wClosed {
            self.add(.additionalPropertiesAdded, here, "additional properties allowed")
        } else if rOpen {
            self.add(.additionalPropertiesExtended, here, "additional properties extended")
        } else if rClosed {
            self.add(.additionalPropertiesRemoved, here, "additional properties no longer allowed")
        } else if wOpen {
            self.add(.additionalPropertiesNarrowed, here, "additional properties restricted to a schema")
        } else {
            self.compare(w!, r!, path: here)
        }
        // Pattern properties, matched by pattern text (no regex engine: a changed pattern is a new pattern).
        let writerPatterns = Dictionary(wn.patternProperties.map { ($0.pattern, $0.schema) }) { a, _ in a }
        let readerPatterns = Dictionary(rn.patternProperties.map { ($0.pattern, $0.schema) }) { a, _ in a }
        for (pattern, r) in rn.patternProperties {
            let at = self.join(path, "patternProperties." + pattern)
            if let w = writerPatterns[pattern] {
                self.compare(w, r, path: at)
            } else if !self.reader.nodes[self.reader.dereference(r)].acceptsEverything {
                // Names matching the new pattern were governed by the writer's additional properties.
                let covered = wn.additionalProperties.map { self.reads($0, r) } ?? false
                if !covered {
                    self.add(.additionalPropertiesNarrowed, at, "pattern property \(pattern) added")
                }
            }
        }
        for (pattern, w) in wn.patternProperties where readerPatterns[pattern] == nil {
            let at = self.join(path, "patternProperties." + pattern)
            let covering = self.governing(self.reader, rn)
            if !covering.allSatisfy({ self.reads(w, $0) }) {
                self.add(.additionalPropertiesNarrowed, at, "pattern property \(pattern) removed")
            }
        }
    }

    mutating func compareArrays(_ wn: JSONSchema.Node, _ rn: JSONSchema.Node, _ path: String) {
        enum Rest { case open, closed, schema(Int) }
        func rest(_ schema: JSONSchema, _ node: JSONSchema.Node) -> Rest {
            guard let items = node.items else { return .open }
            let n = schema.nodes[schema.dereference(items)]
            if n.acceptsEverything { return .open }
            if n.isFalse { return .closed }
            return .schema(items)
        }
        let writerRest = rest(self.writer, wn)
        let readerRest = rest(self.reader, rn)
        for i in 0..<max(wn.prefixItems.count, rn.prefixItems.count) {
            let here = self.join(path, "prefixItems.\(i)")
            switch (i < wn.prefixItems.count, i < rn.prefixItems.count) {
            case (true, true):
                self.compare(wn.prefixItems[i], rn.prefixItems[i], path: here)
            case (true, false):
                switch readerRest {
                case .open: self.add(.itemRemovedFromOpenContentModel, here, "item \(i) removed")
                case .closed where self.writer.nodes[self.writer.dereference(wn.prefixItems[i])].isFalse:
                    self.add(.itemWithFalseRemovedFromClosedContentModel, here, "item \(i) removed")
                case .closed:
                    self.add(.itemRemovedFromClosedContentModel, here,
                             "item \(i) removed but the reader allows no further items")
                case .schema(let r):
                    if self.reads(wn.prefixItems[i], r) {
                        self.add(.itemRemovedIsCoveredByPartiallyOpenContentModel, here, "item \(i) removed")
                    } else {
                        self.add(.itemRemovedNotCoveredByPartiallyOpenContentModel, here,
                                 "item \(i) removed and the reader's items schema does not read it")
                    }
                }
            case (false, true):
                let r = rn.prefixItems[i]
                switch writerRest {
                case .open:
                    if self.reader.nodes[self.reader.dereference(r)].acceptsEverything {
                        self.add(.itemWithEmptySchemaAddedToOpenContentModel, here, "item \(i) added")
                    } else {
                        self.add(.itemAddedToOpenContentModel, here,
                                 "item \(i) added but the writer allows any further item")
                    }
                case .closed:
                    self.add(.itemAddedToClosedContentModel, here, "item \(i) added")
                case .schema(let w):
                    if self.reads(w, r) {
                        self.add(.itemAddedIsCoveredByPartiallyOpenContentModel, here, "item \(i) added")
                    } else {
                        self.add(.itemAddedNotCoveredByPartiallyOpenContentModel, here,
                                 "item \(i) added but the writer's items schema may not match it")
                    }
                }
            case (false, false):
                break
            }
        }
        let here = self.join(path, "items")
        switch (writerRest, readerRest) {
        case (.open, .open), (.closed, .closed): break
        case (.closed, _): self.add(.additionalItemsAdded, here, "further items allowed")
        case (_, .open): self.add(.additionalItemsExtended, here, "items extended")
        case (_, .closed): self.add(.additionalItemsRemoved, here, "further items no longer allowed")
        case (.open, .schema): self.add(.additionalItemsNarrowed, here, "items restricted to a schema")
        case (.schema(let w), .schema(let r)): self.compare(w, r, path: here)
        }
        self.upper(wn.maxItems.map(Double.init), rn.maxItems.map(Double.init), "maxItems", path,
                   .maxItemsAdded, .maxItemsRemoved, .maxItemsIncreased, .maxItemsDecreased)
        self.lower(wn.minItems.map(Double.init), rn.minItems.map(Double.init), "minItems", path,
                   .minItemsAdded, .minItemsRemoved, .minItemsIncreased, .minItemsDecreased)
        if rn.uniqueItems && !wn.uniqueItems { self.add(.uniqueItemsAdded, path, "uniqueItems added") }
        if wn.uniqueItems && !rn.uniqueItems { self.add(.uniqueItemsRemoved, path, "uniqueItems removed") }
    }

    /// Matches each of `from` to a distinct member of `to` such that `matches(from, to)`; greedy, which is
    /// exact for the usual case of branches that are pairwise distinct.
    mutating func unmatched(_ from: [Int], _ to: [Int], _ matches: (inout Checker, Int, Int) -> Bool) -> [Int] {
        var used = [Bool](repeating: false, count: to.count)
        var missing: [Int] = []
        for (i, a) in from.enumerated() {
            if let j = to.indices.first(where: { !used[$0] && matches(&self, a, to[$0]) }) {
                used[j] = true
            } else {
                missing.append(i)
            }
        }
        return missing
    }

    mutating func compareCombinators(_ w: Int, _ r: Int, _ wn: JSONSchema.Node, _ rn: JSONSchema.Node, _ path: String) {
        // Sum types (anyOf, oneOf): every writer branch must be read by some reader branch.
        let wSum = wn.anyOf.isEmpty ? wn.oneOf : wn.anyOf
        let rSum = rn.anyOf.isEmpty ? rn.oneOf : rn.anyOf
        let wKind = wn.anyOf.isEmpty ? "oneOf" : "anyOf"
        let rKind = rn.anyOf.isEmpty ? "oneOf" : "anyOf"
        if !rSum.isEmpty {
            let here = self.join(path, rKind)
            if wSum.isEmpty {
                // The writer is one alternative; some reader branch must read all of it.
                if rSum.contains(where: { self.reads(w, $0) }) {
                    self.add(.sumTypeExtended, here, "\(rKind) added around the writer's schema")
                } else {
                    self.add(.combinedTypeSubschemasChanged, here, "no \(rKind) branch reads the writer's schema")
                }
            } else if wKind != rKind && !(wKind == "oneOf" && rKind == "anyOf") {
                self.add(.combinedTypeChanged, here, "combined type changed from \(wKind) to \(rKind)")
            } else {
                let missing = self.unmatched(wSum, rSum) { $0.reads($1, $2) }
                if !missing.isEmpty {
                    let rule: JSONSchemaRule = rSum.count < wSum.count ? .sumTypeNarrowed
                        : .combinedTypeSubschemasChanged
                    self.add(rule, here, "\(wKind) branches \(missing) are read by no reader branch")
                } else if rSum.count > wSum.count {
                    self.add(.sumTypeExtended, here, "\(rKind) gained \(rSum.count - wSum.count) branches")
                }
                if wKind != rKind {
                    self.add(.combinedTypeExtended, here, "combined type changed from oneOf to anyOf")
                }
            }
        } else if !wSum.isEmpty {
            // The reader has no alternatives: it must read every writer branch with its own keywords, which
            // the plain comparison above did only against the writer's outer keywords.
            let here = self.join(path, wKind)
            let reads = wSum.allSatisfy { self.reads($0, r) }
            if !reads {
                self.add(.sumTypeNarrowed, here, "\(wKind) removed and the reader does not read every branch")
            }
        }
        // Product types (allOf): every reader branch must read the writer's documents.
        if !rn.allOf.isEmpty {
            let here = self.join(path, "allOf")
            if wn.allOf.isEmpty {
                if !rn.allOf.allSatisfy({ self.reads(w, $0) }) {
                    self.add(.productTypeExtended, here, "allOf added with a branch that does not read the writer")
                }
            } else {
                let missing = self.unmatched(rn.allOf, wn.allOf) { $0.reads($2, $1) }
                if !missing.isEmpty {
                    // A writer branch may be narrower than the writer; try the whole writer schema too.
                    let stillMissing = missing.filter { !self.reads(w, rn.allOf[$0]) }
                    if !stillMissing.isEmpty {
                        let rule: JSONSchemaRule = rn.allOf.count > wn.allOf.count ? .productTypeExtended
                            : .combinedTypeSubschemasChanged
                        self.add(rule, here, "allOf branches \(stillMissing) do not read the writer's documents")
                    }
                } else if rn.allOf.count < wn.allOf.count {
                    self.add(.productTypeNarrowed, here, "allOf lost \(wn.allOf.count - rn.allOf.count) branches")
                }
            }
        } else if !wn.allOf.isEmpty {
            self.add(.productTypeNarrowed, self.join(path, "allOf"), "allOf removed")
        }
    }

    mutating func compareNot(_ wn: JSONSchema.Node, _ rn: JSONSchema.Node, _ path: String) {
        let here = self.join(path, "not")
        switch (wn.not, rn.not) {
        case (nil, nil): break
        case (_?, nil): self.add(.notTypeNarrowed, here, "not removed")
        case (nil, _?): self.add(.notTypeExtended, here, "not added")
        case (let w?, let r?):
            // The reader rejects what matches r; the writer never wrote what matches w. Safe when everything
            // matching r matches w: the writer's `not` schema reads the reader's, direction swapped.
            if !self.readsSwapped(r, w) {
                self.add(.notTypeExtended, here, "not rejects documents the writer may write")
            }
        }
    }

    /// `reads` with the schemas' roles swapped: does the writer's subschema `w` read the reader's `r`?
    mutating func readsSwapped(_ r: Int, _ w: Int) -> Bool {
        var swapped = Checker(reader: self.writer, writer: self.reader)
        swapped.budget = self.budget
        swapped.depth = self.depth
        swapped.compare(r, w, path: "")
        self.budget = swapped.budget
        return !swapped.differences.contains { !$0.isCompatible }
    }
}

private func format(_ d: Double) -> String {
    if let i = exactInt64(d) { return String(i) }
    return String(d)
}

/// Whether `a` is an integer multiple of `b` (within floating-point rounding).
private func isMultiple(_ a: Double, of b: Double) -> Bool {
    let q = a / b
    return isNearlyIntegral(q)
}
