/// One reason an instance is invalid.
public struct JSONSchemaValidationError: Sendable, Hashable, CustomStringConvertible {
    /// JSON pointer into the instance (RFC 6901): `""` is the whole document, `/address/zip`, `/items/3`.
    public var instancePath: String
    /// The failing keyword (`type`, `required`, `maxLength`, …; `false` for the false schema).
    public var keyword: String
    /// JSON pointer of the subschema holding the keyword (`#/properties/address/properties/zip`).
    public var schemaPointer: String
    public var message: String

    public var description: String {
        "\(self.instancePath.isEmpty ? "/" : self.instancePath): \(self.keyword): \(self.message)"
    }
}

/// Validates JSON documents against a parsed `JSONSchema` (validation on write).
///
/// Bounded: the instance is bounded by `JSONParser.Limits`; evaluation stops after `Limits.maxErrors` errors or
/// `Limits.maxSteps` subschema evaluations (reported as a `limit` error, so a crafted schema with deep
/// `anyOf` nesting cannot pin a core). Fast: the instance path is kept as a stack of tokens and rendered only
/// for an error; `anyOf`/`oneOf`/`not` branches are probed without collecting errors and stop at the first
/// failure. `pattern` and `patternProperties` need a regular expression engine, which this pure module does
/// not have: pass `patternMatcher` to check them; without one they are not checked.
public struct JSONSchemaValidator: Sendable {
    /// Bounds on one validation.
    public struct Limits: Sendable, Hashable {
        /// Errors collected before stopping. Default 100: enough to fix a payload, bounded for a hostile one.
        public var maxErrors: Int
        /// Subschema evaluations before giving up. Default 1,000,000: a 1 MiB payload against a typical schema
        /// takes well under this.
        public var maxSteps: Int
        /// Deepest nesting of subschema evaluations (instance levels plus `$ref`/`allOf`/… chains) before giving
        /// up. Default 512: instances are at most 64 deep, and this bounds the validator's recursion even for a
        /// schema with a long chain of references.
        public var maxDepth: Int

        public init(maxErrors: Int = 100, maxSteps: Int = 1_000_000, maxDepth: Int = 512) {
            precondition(maxErrors >= 1 && maxSteps >= 1 && maxDepth >= 1)
            self.maxErrors = maxErrors
            self.maxSteps = maxSteps
            self.maxDepth = maxDepth
        }

        public static let `default` = Limits()
    }

    /// Decides whether `string` matches the ECMA-262 regular expression `pattern`; nil if the pattern is
    /// unsupported (then reported as an error).
    public typealias PatternMatcher = @Sendable (_ pattern: String, _ string: String) -> Bool?

    public let schema: JSONSchema
    public var limits: Limits
    public var patternMatcher: PatternMatcher?

    public init(schema: JSONSchema, limits: Limits = .default, patternMatcher: PatternMatcher? = nil) {
        self.schema = schema
        self.limits = limits
        self.patternMatcher = patternMatcher
    }

    /// The errors of `value` against the schema; empty means valid.
    public func validate(_ value: JSONValue) -> [JSONSchemaValidationError] {
        self.run { run in
            _ = run.evaluate(value, self.schema.root, collect: true)
            return run.errors
        }
    }

    /// Whether `value` is valid; stops at the first error.
    public func isValid(_ value: JSONValue) -> Bool {
        self.run { run in
            run.evaluate(value, self.schema.root, collect: false) && run.errors.isEmpty
        }
    }

    private func run<R>(_ body: (inout Run) -> R) -> R {
        self.schema.nodes.withUnsafeBufferPointer { nodes in
            var run = Run(schema: self.schema, nodes: nodes, limits: self.limits, matcher: self.patternMatcher)
            return body(&run)
        }
    }

    /// The errors of `value` against `schema`; empty means valid.
    public static func validate(_ value: JSONValue, against schema: JSONSchema) -> [JSONSchemaValidationError] {
        JSONSchemaValidator(schema: schema).validate(value)
    }
}

private enum PathToken {
    case key(String)
    case index(Int)
}

private struct Run {
    let schema: JSONSchema
    /// `schema.nodes`, borrowed for the run (see `JSONSchemaValidator.run`).
    let nodes: UnsafeBufferPointer<JSONSchema.Node>
    let limits: JSONSchemaValidator.Limits
    let matcher: JSONSchemaValidator.PatternMatcher?
    var errors: [JSONSchemaValidationError] = []
    var path: [PathToken] = []
    var steps = 0
    var depth = 0
    var stopped = false

    init(
        schema: JSONSchema, nodes: UnsafeBufferPointer<JSONSchema.Node>, limits: JSONSchemaValidator.Limits,
        matcher: JSONSchemaValidator.PatternMatcher?
    ) {
        self.schema = schema
        self.nodes = nodes
        self.limits = limits
        self.matcher = matcher
        self.path.reserveCapacity(16)
    }

    func renderPath() -> String {
        var s = ""
        for token in self.path {
            switch token {
            case .key(let k): s += "/" + escapePointerToken(k)
            case .index(let i): s += "/\(i)"
            }
        }
        return s
    }

    /// Records an error when collecting; always returns false so callers can `return self.fail(…)`.
    mutating func fail(
        _ collect: Bool, _ keyword: String, _ node: UnsafePointer<JSONSchema.Node>, _ message: @autoclosure () -> String
    ) -> Bool {
        guard collect, !self.stopped else { return false }
        self.errors.append(JSONSchemaValidationError(
            instancePath: self.renderPath(), keyword: keyword, schemaPointer: node.pointee.pointer, message: message()))
        if self.errors.count >= self.limits.maxErrors { self.stopped = true }
        return false
    }

    /// Evaluates `value` against node `id`. With `collect` false, returns at the first failure and records
    /// nothing (for `anyOf`, `oneOf`, `not`). Recursion: in-place applicators form a DAG (cycles are rejected
    /// when parsing) and every other step descends into the instance, whose depth is bounded.
    mutating func evaluate(_ value: JSONValue, _ ref: JSONSchema.NodeID, collect: Bool) -> Bool {
        if self.stopped { return false }
        let id = self.schema.dereference(ref)  // chains of bare `$ref`s cost a loop, not recursion
        self.steps += 1
        guard self.steps <= self.limits.maxSteps, self.depth < self.limits.maxDepth else {
            // Recorded even while probing a branch: the document is rejected, not silently accepted.
            self.stopped = true
            self.errors.append(JSONSchemaValidationError(
                instancePath: self.renderPath(), keyword: "limit", schemaPointer: self.nodes[id].pointer,
                message: self.steps > self.limits.maxSteps
                    ? "validation took more than \(self.limits.maxSteps) steps"
                    : "subschemas nested more than \(self.limits.maxDepth) deep"))
            return false
        }
        self.depth += 1
        defer { self.depth -= 1 }
        let node = self.nodes.baseAddress! + id  // a pointer: no copy of the node per evaluation
        if node.pointee.isFalse { return self.fail(collect, "false", node, "no value is allowed here") }
        if node.pointee.assertionCount == 0 { return true }
        var valid = true

        if let types = node.pointee.types, !types.accepted.contains(value.schemaType),
            !(value.schemaType == .integer && types.contains(.number))
        {
            valid = self.fail(collect, "type", node, "expected \(types), found \(value.schemaType.rawValue)")
            if !collect { return false }
        }
        if let c = node.pointee.constValue, c != value {
            valid = self.fail(collect, "const", node, "value is not the constant")
            if !collect { return false }
        }
        if let values = node.pointee.enumValues, !values.contains(value) {
            valid = self.fail(collect, "enum", node, "value is not one of the \(values.count) allowed values")
            if !collect { return false }
        }

        switch value {
        case .string(let s):
            if node.pointee.minLength != nil || node.pointee.maxLength != nil {
                // Length in Unicode code points (draft 2020-12 §6.3.1); UTF-8 length bounds it from above.
                let bytes = s.utf8.count
                let needsCount = (node.pointee.maxLength.map { bytes > $0 } ?? false) || (node.pointee.minLength != nil)
                let length = needsCount ? s.unicodeScalars.count : bytes
                if let max = node.pointee.maxLength, length > max {
                    valid = self.fail(collect, "maxLength", node, "length \(length) is more than \(max)")
                    if !collect { return false }
                }
                if let min = node.pointee.minLength, length < min {
                    valid = self.fail(collect, "minLength", node, "length \(length) is less than \(min)")
                    if !collect { return false }
                }
            }
            if let pattern = node.pointee.pattern, let matcher = self.matcher {
                switch matcher(pattern, s) {
                case true?: break
                case false?:
                    valid = self.fail(collect, "pattern", node, "does not match \(pattern)")
                    if !collect { return false }
                case nil:
                    valid = self.fail(collect, "pattern", node, "pattern \(pattern) is not supported")
                    if !collect { return false }
                }
            }
        case .integer, .number:
            if !self.checkNumber(value, node, collect: collect) {
                valid = false
                if !collect { return false }
            }
        case .array(let elements):
            if let max = node.pointee.maxItems, elements.count > max {
                valid = self.fail(collect, "maxItems", node, "\(elements.count) items, more than \(max)")
                if !collect { return false }
            }
            if let min = node.pointee.minItems, elements.count < min {
                valid = self.fail(collect, "minItems", node, "\(elements.count) items, fewer than \(min)")
                if !collect { return false }
            }
            if node.pointee.uniqueItems && elements.count > 1 {
                var seen = Set<JSONValue>(minimumCapacity: elements.count)
                if let dup = elements.firstIndex(where: { !seen.insert($0).inserted }) {
                    valid = self.fail(collect, "uniqueItems", node, "item \(dup) repeats an earlier item")
                    if !collect { return false }
                }
            }
            if !node.pointee.prefixItems.isEmpty || node.pointee.items != nil {
                for (i, element) in elements.enumerated() {
                    let sub = i < node.pointee.prefixItems.count ? node.pointee.prefixItems[i] : node.pointee.items
                    guard let sub else { break }
                    self.path.append(.index(i))
                    let ok = self.evaluate(element, sub, collect: collect)
                    self.path.removeLast()
                    if !ok {
                        valid = false
                        if !collect || self.stopped { return false }
                    }
                }
            }
        case .object(let object):
            if let max = node.pointee.maxProperties, object.count > max {
                valid = self.fail(collect, "maxProperties", node, "\(object.count) properties, more than \(max)")
                if !collect { return false }
            }
            if let min = node.pointee.minProperties, object.count < min {
                valid = self.fail(collect, "minProperties", node, "\(object.count) properties, fewer than \(min)")
                if !collect { return false }
            }
            for name in node.pointee.required where object.firstIndex(of: name) == nil {
                valid = self.fail(collect, "required", node, "required property \"\(name)\" is missing")
                if !collect { return false }
            }
            if !node.pointee.properties.isEmpty || !node.pointee.patternProperties.isEmpty || node.pointee.additionalProperties != nil {
                for member in object.members {
                    if !self.checkMember(member, node, collect: collect) {
                        valid = false
                        if !collect || self.stopped { return false }
                    }
                }
            }
        case .null, .bool:
            break
        }

        if let target = node.pointee.ref, !self.evaluate(value, target, collect: collect) {
            valid = false
            if !collect { return false }
        }
        for sub in node.pointee.allOf where !self.evaluate(value, sub, collect: collect) {
            valid = false
            if !collect { return false }
        }
        if !node.pointee.anyOf.isEmpty, !node.pointee.anyOf.contains(where: { self.evaluate(value, $0, collect: false) }) {
            valid = self.fail(collect, "anyOf", node, "matches none of the \(node.pointee.anyOf.count) alternatives")
            if !collect { return false }
        }
        if !node.pointee.oneOf.isEmpty {
            var matched = 0
            for sub in node.pointee.oneOf where self.evaluate(value, sub, collect: false) {
                matched += 1
                if matched > 1 { break }
            }
            if matched != 1 {
                valid = self.fail(collect, "oneOf", node, matched == 0
                    ? "matches none of the \(node.pointee.oneOf.count) alternatives" : "matches more than one alternative")
                if !collect { return false }
            }
        }
        if let not = node.pointee.not, self.evaluate(value, not, collect: false) {
            valid = self.fail(collect, "not", node, "matches the schema in not")
        }
        return valid
    }

    mutating func checkMember(_ member: JSONObject.Member, _ node: UnsafePointer<JSONSchema.Node>, collect: Bool) -> Bool {
        self.path.append(.key(member.key))
        defer { self.path.removeLast() }
        if let sub = node.pointee.properties[member.key] {
            return self.evaluate(member.value, sub, collect: collect)
        }
        var matchedPattern = false
        if !node.pointee.patternProperties.isEmpty && self.matcher == nil {
            // Unknown whether a pattern matches, so whether additionalProperties applies: accept.
            return true
        }
        if let matcher = self.matcher {
            for (pattern, sub) in node.pointee.patternProperties where matcher(pattern, member.key) == true {
                matchedPattern = true
                if !self.evaluate(member.value, sub, collect: collect) { return false }
            }
        }
        if !matchedPattern, let extra = node.pointee.additionalProperties {
            if self.nodes[extra].isFalse {
                return self.fail(collect, "additionalProperties", node,
                                 "property \"\(member.key)\" is not allowed")
            }
            return self.evaluate(member.value, extra, collect: collect)
        }
        return true
    }

    mutating func checkNumber(_ value: JSONValue, _ node: UnsafePointer<JSONSchema.Node>, collect: Bool) -> Bool {
        guard let d = value.doubleValue else { return true }
        var valid = true
        if let m = node.pointee.maximum, d > m {
            valid = self.fail(collect, "maximum", node, "\(d) is more than \(m)")
            if !collect { return false }
        }
        if let m = node.pointee.minimum, d < m {
            valid = self.fail(collect, "minimum", node, "\(d) is less than \(m)")
            if !collect { return false }
        }
        if let m = node.pointee.exclusiveMaximum, d >= m {
            valid = self.fail(collect, "exclusiveMaximum", node, "\(d) is not less than \(m)")
            if !collect { return false }
        }
        if let m = node.pointee.exclusiveMinimum, d <= m {
            valid = self.fail(collect, "exclusiveMinimum", node, "\(d) is not more than \(m)")
            if !collect { return false }
        }
        if let m = node.pointee.multipleOf {
            let isMultiple: Bool
            if case .integer(let i) = value, let mi = exactInt64(m) {
                isMultiple = i % mi == 0
            } else {
                isMultiple = isNearlyIntegral(d / m)
            }
            if !isMultiple {
                valid = self.fail(collect, "multipleOf", node, "\(d) is not a multiple of \(m)")
            }
        }
        return valid
    }
}
