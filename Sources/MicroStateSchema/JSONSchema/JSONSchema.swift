/// A JSON Schema type name (draft 2020-12 §6.1.1).
public enum JSONSchemaType: String, Sendable, CaseIterable {
    case null, boolean, integer, number, string, array, object

    var bit: UInt8 {
        switch self {
        case .null: 1
        case .boolean: 2
        case .integer: 4
        case .number: 8
        case .string: 16
        case .array: 32
        case .object: 64
        }
    }
}

/// A set of JSON Schema types; `number` includes `integer` when checking an instance.
public struct JSONSchemaTypeSet: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public init(_ type: JSONSchemaType) { self.rawValue = type.bit }

    public static let all = JSONSchemaTypeSet(rawValue: 127)

    public func contains(_ type: JSONSchemaType) -> Bool { self.rawValue & type.bit != 0 }

    /// The set with `integer` added when `number` is present: the instances the set accepts.
    public var accepted: JSONSchemaTypeSet {
        self.contains(.number) ? self.union(JSONSchemaTypeSet(.integer)) : self
    }

    public var description: String {
        let names = JSONSchemaType.allCases.filter { self.contains($0) }.map(\.rawValue)
        return names.count == 1 ? names[0] : "[" + names.joined(separator: ", ") + "]"
    }
}

/// A parsed JSON Schema (the draft 2020-12 subset in `Node`), as an arena of nodes with `$ref`s resolved.
///
/// Every subschema is a `Node` addressed by index; node 0 is the root. References (`#`, `#/$defs/…`,
/// `#/definitions/…` or any JSON pointer to a subschema) are resolved at parse time, so recursive schemas are
/// graphs, not infinite trees. A cycle of references that does not descend into the instance (`$ref`, `allOf`,
/// `anyOf`, `oneOf`, `not` only) is rejected, so evaluation always terminates.
///
/// A `$ref` to another document (`address.json`, `https://acme.com/address.json#/$defs/Zip`) resolves into one of
/// the `references` passed to ``parse(_:references:limits:)`` (Confluent's schema references: name → schema text):
/// the part before `#` is matched against the reference names exactly, else by its last path segment when exactly
/// one name ends with the same segment (so a ref made relative to a `$id` base still finds its reference); a URI
/// equal to the document's own root `$id` is the document itself. The referenced documents' subschemas join the
/// same arena (their pointers prefixed with the reference name, `address.json#/properties/zip`), so they behave
/// exactly like local `$defs`, cycles across documents included; `Limits.maxNodes` bounds them all together.
/// Nested `$id`s do not change the base, and anchors (`#foo`) are not supported.
///
/// Unsupported assertion keywords (`if`/`then`/`else`, `contains`, `dependentRequired`, `dependentSchemas`,
/// `propertyNames`, `unevaluated*`, `$dynamicRef`, anchors) are errors rather than silently ignored: ignoring them
/// would make both the compatibility check and validation unsound; so is a `$ref` to a document not among the
/// references. Annotations (`title`, `description`, `examples`, `$comment`, …) and unknown keywords are ignored.
public struct JSONSchema: Sendable {
    /// Index of a node in `nodes`.
    public typealias NodeID = Int

    /// One subschema.
    public struct Node: Sendable {
        /// Where the subschema is, as a JSON pointer fragment (`#/properties/a`); in a referenced document,
        /// prefixed with the reference name (`address.json#/properties/zip`).
        public var pointer: String
        /// The `false` schema (or one that can match nothing because it is `false`).
        public var isFalse = false
        /// `type`; nil means any type.
        public var types: JSONSchemaTypeSet?
        /// `properties`, in document order.
        public var propertyOrder: [String] = []
        public var properties: [String: NodeID] = [:]
        /// `patternProperties` (patterns kept as strings).
        public var patternProperties: [(pattern: String, schema: NodeID)] = []
        /// `additionalProperties`; nil means absent (every name allowed).
        public var additionalProperties: NodeID?
        public var required: [String] = []
        public var minProperties: Int?
        public var maxProperties: Int?
        /// `prefixItems` (or draft-7 array-form `items`).
        public var prefixItems: [NodeID] = []
        /// `items` (or draft-7 `additionalItems` after array-form `items`): the schema of items after the prefix.
        public var items: NodeID?
        public var minItems: Int?
        public var maxItems: Int?
        public var uniqueItems = false
        public var minLength: Int?
        public var maxLength: Int?
        public var pattern: String?
        /// `format`: an annotation only (draft 2020-12 §7.2.1 default); neither validated nor compared.
        public var format: String?
        public var minimum: Double?
        public var maximum: Double?
        public var exclusiveMinimum: Double?
        public var exclusiveMaximum: Double?
        public var multipleOf: Double?
        public var enumValues: [JSONValue]?
        public var constValue: JSONValue?
        public var ref: NodeID?
        public var allOf: [NodeID] = []
        public var anyOf: [NodeID] = []
        public var oneOf: [NodeID] = []
        public var not: NodeID?
        /// Whether the node has a `default` (makes a newly required property compatible, as in Confluent).
        public var hasDefault = false
        /// Number of assertion and applicator keywords; zero means the node accepts every instance.
        public var assertionCount = 0

        init(pointer: String) {
            self.pointer = pointer
        }

        /// Whether the node accepts every instance (`true`, `{}` or annotations only).
        public var acceptsEverything: Bool { !self.isFalse && self.assertionCount == 0 }

        /// The values allowed by `enum` and `const` together; nil when neither is present.
        var allowedValues: [JSONValue]? {
            guard let constValue = self.constValue else { return self.enumValues }
            guard let enumValues = self.enumValues else { return [constValue] }
            return enumValues.contains(constValue) ? [constValue] : []
        }
    }

    /// Limits on a schema, beyond those of the JSON text.
    public struct Limits: Sendable, Hashable {
        /// Limits for parsing the schema text.
        public var json: JSONParser.Limits
        /// Most subschemas in one schema. Default 10,000: bounds the arena and the work of a compatibility
        /// check; real schemas have hundreds at most.
        public var maxNodes: Int

        public init(json: JSONParser.Limits = .default, maxNodes: Int = 10_000) {
            self.json = json
            self.maxNodes = maxNodes
        }

        public static let `default` = Limits()
    }

    /// The subschemas; `nodes[root]` is the document.
    public private(set) var nodes: [Node]
    /// The root node, always 0.
    public var root: NodeID { 0 }

    /// Parses a schema from JSON text; `references` maps a reference name (the URI `$ref`s use) to the text of
    /// the schema it names, and must already hold the references' own references (transitively).
    public static func parse(
        _ text: String, references: [String: String] = [:], limits: Limits = .default
    ) throws(JSONSchemaError) -> JSONSchema {
        let value: JSONValue
        do {
            value = try JSONParser.parse(text, limits: limits.json)
        } catch {
            throw JSONSchemaError(code: .invalidJSON, pointer: "#", message: error.description)
        }
        return try JSONSchema(value, references: references, limits: limits)
    }

    /// Builds a schema from a parsed JSON document; `references` as in ``parse(_:references:limits:)``. Only the
    /// referenced documents a `$ref` reaches are parsed.
    public init(
        _ document: JSONValue, references: [String: String] = [:], limits: Limits = .default
    ) throws(JSONSchemaError) {
        var builder = Builder(limits: limits, externals: references)
        try builder.parseDocument(document, name: "")
        try builder.resolveReferences()
        try builder.rejectReferenceCycles()
        self.nodes = builder.nodes
    }

    /// The node itself or, while it is only a `$ref` (no sibling assertions), the node it refers to.
    public func dereference(_ id: NodeID) -> NodeID {
        var current = id
        // Bounded: reference cycles are rejected at parse time, so a chain visits each node at most once.
        for _ in 0...self.nodes.count {
            guard let target = self.nodes[current].ref, self.nodes[current].assertionCount == 1 else {
                return current
            }
            current = target
        }
        preconditionFailure("reference cycle in a parsed schema")
    }
}

/// Why a schema was rejected, naming the JSON pointer of the offending subschema.
public struct JSONSchemaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of error; extensible.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { self.name }

        public static let invalidJSON = Code("invalidJSON")
        public static let invalidKeyword = Code("invalidKeyword")
        public static let unsupportedKeyword = Code("unsupportedKeyword")
        public static let unresolvedReference = Code("unresolvedReference")
        public static let referenceCycle = Code("referenceCycle")
        public static let tooManyNodes = Code("tooManyNodes")
    }

    public var code: Code
    /// JSON pointer of the subschema or keyword (`#/properties/zip/maxLength`).
    public var pointer: String
    public var message: String

    public init(code: Code, pointer: String, message: String) {
        self.code = code
        self.pointer = pointer
        self.message = message
    }

    public var description: String { "schema \(self.code) at \(self.pointer): \(self.message)" }
}

/// Escapes a JSON pointer reference token (RFC 6901 §3).
func escapePointerToken(_ token: String) -> String {
    guard token.contains("~") || token.contains("/") else { return token }
    return token.replacing("~", with: "~0").replacing("/", with: "~1")
}

private let unsupportedKeywords: Set<String> = [
    "if", "then", "else", "contains", "minContains", "maxContains", "dependentRequired", "dependentSchemas",
    "dependencies", "propertyNames", "unevaluatedProperties", "unevaluatedItems", "$dynamicRef",
    "$recursiveRef",
]

private struct Builder {
    let limits: JSONSchema.Limits
    var nodes: [JSONSchema.Node] = []
    var byPointer: [String: JSONSchema.NodeID] = [:]
    /// `$ref`s to resolve, with the document (its name; "" for the root) they appear in.
    var references: [(node: JSONSchema.NodeID, target: String, document: String)] = []
    /// Texts of the referenced documents, by reference name.
    let externals: [String: String]
    /// Root `$id` of each parsed document, by name ("" for the root); nil for a document without one.
    var documentIDs: [String: String?] = [:]
    /// Name of the document being parsed ("" for the root): the prefix of its node pointers.
    var document = ""

    init(limits: JSONSchema.Limits, externals: [String: String]) {
        self.limits = limits
        self.externals = externals
    }

    /// Parses one whole document, root first; its pointers are prefixed with `name`.
    mutating func parseDocument(_ value: JSONValue, name: String) throws(JSONSchemaError) {
        self.document = name
        if case .object(let object) = value, case .string(let id)? = object["$id"] {
            self.documentIDs[name] = id
        } else {
            self.documentIDs[name] = .some(nil)
        }
        _ = try self.parseNode(value, pointer: name + "#")
    }

    /// The referenced document a `$ref` URI (without fragment) names, seen from document `from`: itself when the
    /// URI is its root `$id`, else the reference named exactly so, else the only one whose last path segment
    /// matches. Nil when none (or several) match.
    func documentName(for uri: String, from: String) -> String? {
        if case .some(.some(let id)) = self.documentIDs[from], id == uri { return from }
        if self.externals[uri] != nil { return uri }
        func lastSegment(_ s: String) -> Substring {
            s.lastIndex(of: "/").map { s[s.index(after: $0)...] } ?? s[...]
        }
        let segment = lastSegment(uri)
        guard !segment.isEmpty else { return nil }
        var found: String?
        for name in self.externals.keys where lastSegment(name) == segment {
            guard found == nil else { return nil }  // ambiguous
            found = name
        }
        return found
    }

    func invalid(_ pointer: String, _ keyword: String, _ message: String) -> JSONSchemaError {
        JSONSchemaError(code: .invalidKeyword, pointer: pointer + "/" + escapePointerToken(keyword),
                        message: "\(keyword) \(message)")
    }

    /// Parses one subschema; recursion is bounded by the JSON depth limit.
    mutating func parseNode(_ value: JSONValue, pointer: String) throws(JSONSchemaError) -> JSONSchema.NodeID {
        guard self.nodes.count < self.limits.maxNodes else {
            throw JSONSchemaError(code: .tooManyNodes, pointer: pointer,
                                  message: "more than \(self.limits.maxNodes) subschemas")
        }
        let id = self.nodes.count
        self.nodes.append(JSONSchema.Node(pointer: pointer))
        self.byPointer[pointer] = id
        var node = JSONSchema.Node(pointer: pointer)
        switch value {
        case .bool(true):
            break
        case .bool(false):
            node.isFalse = true
        case .object(let object):
            for member in object.members {
                try self.parseKeyword(member.key, member.value, into: &node, pointer: pointer)
            }
        default:
            throw JSONSchemaError(code: .invalidKeyword, pointer: pointer,
                                  message: "a schema must be an object or a boolean")
        }
        self.nodes[id] = node
        return id
    }

    mutating func parseKeyword(
        _ keyword: String, _ value: JSONValue, into node: inout JSONSchema.Node, pointer: String
    ) throws(JSONSchemaError) {
        let here = pointer + "/" + escapePointerToken(keyword)
        switch keyword {
        case "type":
            node.types = try self.parseTypes(value, pointer: pointer)
        case "properties", "patternProperties", "$defs", "definitions":
            guard case .object(let members) = value else {
                throw self.invalid(pointer, keyword, "must be an object of schemas")
            }
            for member in members.members {
                let child = try self.parseNode(member.value, pointer: here + "/" + escapePointerToken(member.key))
                if keyword == "properties" {
                    node.propertyOrder.append(member.key)
                    node.properties[member.key] = child
                } else if keyword == "patternProperties" {
                    node.patternProperties.append((member.key, child))
                }
            }
            if keyword == "$defs" || keyword == "definitions" { return }
        case "additionalProperties":
            node.additionalProperties = try self.parseNode(value, pointer: here)
        case "additionalItems":
            // Draft 7: only meaningful after array-form `items`; as 2020-12 `items`.
            if node.items == nil || !node.prefixItems.isEmpty {
                node.items = try self.parseNode(value, pointer: here)
            }
        case "items":
            if case .array(let schemas) = value {
                node.prefixItems = try self.parseSchemaArray(schemas, pointer: here, keyword: keyword, allowEmpty: true)
            } else {
                node.items = try self.parseNode(value, pointer: here)
            }
        case "prefixItems":
            guard case .array(let schemas) = value else {
                throw self.invalid(pointer, keyword, "must be an array of schemas")
            }
            node.prefixItems = try self.parseSchemaArray(schemas, pointer: here, keyword: keyword, allowEmpty: true)
        case "required":
            guard case .array(let names) = value else {
                throw self.invalid(pointer, keyword, "must be an array of strings")
            }
            for name in names {
                guard case .string(let s) = name else { throw self.invalid(pointer, keyword, "must hold strings") }
                guard !node.required.contains(s) else {
                    throw self.invalid(pointer, keyword, "lists \"\(s)\" twice")
                }
                node.required.append(s)
            }
        case "minProperties": node.minProperties = try self.count(value, pointer, keyword)
        case "maxProperties": node.maxProperties = try self.count(value, pointer, keyword)
        case "minItems": node.minItems = try self.count(value, pointer, keyword)
        case "maxItems": node.maxItems = try self.count(value, pointer, keyword)
        case "minLength": node.minLength = try self.count(value, pointer, keyword)
        case "maxLength": node.maxLength = try self.count(value, pointer, keyword)
        case "uniqueItems":
            guard case .bool(let b) = value else { throw self.invalid(pointer, keyword, "must be a boolean") }
            node.uniqueItems = b
            if !b { return }
        case "minimum": node.minimum = try self.number(value, pointer, keyword)
        case "maximum": node.maximum = try self.number(value, pointer, keyword)
        case "exclusiveMinimum": node.exclusiveMinimum = try self.number(value, pointer, keyword)
        case "exclusiveMaximum": node.exclusiveMaximum = try self.number(value, pointer, keyword)
        case "multipleOf":
            let m = try self.number(value, pointer, keyword)
            guard m > 0 else { throw self.invalid(pointer, keyword, "must be greater than 0") }
            node.multipleOf = m
        case "pattern":
            guard case .string(let s) = value else { throw self.invalid(pointer, keyword, "must be a string") }
            node.pattern = s
        case "format":
            guard case .string(let s) = value else { throw self.invalid(pointer, keyword, "must be a string") }
            node.format = s
            return
        case "enum":
            guard case .array(let values) = value else { throw self.invalid(pointer, keyword, "must be an array") }
            node.enumValues = values
        case "const":
            node.constValue = value
        case "$ref":
            guard case .string(let target) = value else {
                throw self.invalid(pointer, keyword, "must be a string")
            }
            if let hash = target.firstIndex(of: "#") {
                let fragment = target[target.index(after: hash)...]
                guard fragment.isEmpty || fragment.hasPrefix("/") else {
                    throw JSONSchemaError(
                        code: .unsupportedKeyword, pointer: here,
                        message: "only JSON pointer fragments (#/$defs/…) are supported, not \(target)")
                }
            }
            self.references.append((self.byPointer[pointer]!, target, self.document))
        case "allOf", "anyOf", "oneOf":
            guard case .array(let schemas) = value else {
                throw self.invalid(pointer, keyword, "must be a non-empty array of schemas")
            }
            let ids = try self.parseSchemaArray(schemas, pointer: here, keyword: keyword, allowEmpty: false)
            switch keyword {
            case "allOf": node.allOf = ids
            case "anyOf": node.anyOf = ids
            default: node.oneOf = ids
            }
        case "not":
            node.not = try self.parseNode(value, pointer: here)
        case "default":
            node.hasDefault = true
            return
        default:
            if unsupportedKeywords.contains(keyword) {
                throw JSONSchemaError(code: .unsupportedKeyword, pointer: here,
                                      message: "\(keyword) is not supported")
            }
            return  // annotations and unknown keywords
        }
        node.assertionCount += 1
    }

    mutating func parseSchemaArray(
        _ schemas: [JSONValue], pointer: String, keyword: String, allowEmpty: Bool
    ) throws(JSONSchemaError) -> [JSONSchema.NodeID] {
        guard allowEmpty || !schemas.isEmpty else {
            throw JSONSchemaError(code: .invalidKeyword, pointer: pointer, message: "\(keyword) must not be empty")
        }
        var ids: [JSONSchema.NodeID] = []
        ids.reserveCapacity(schemas.count)
        for (i, schema) in schemas.enumerated() {
            ids.append(try self.parseNode(schema, pointer: pointer + "/\(i)"))
        }
        return ids
    }

    func parseTypes(_ value: JSONValue, pointer: String) throws(JSONSchemaError) -> JSONSchemaTypeSet {
        func one(_ v: JSONValue) throws(JSONSchemaError) -> JSONSchemaTypeSet {
            guard case .string(let name) = v, let type = JSONSchemaType(rawValue: name) else {
                throw self.invalid(pointer, "type", "must name one of \(JSONSchemaType.allCases.map(\.rawValue))")
            }
            return JSONSchemaTypeSet(type)
        }
        if case .array(let names) = value {
            guard !names.isEmpty else { throw self.invalid(pointer, "type", "must not be an empty array") }
            var set: JSONSchemaTypeSet = []
            for name in names {
                let t = try one(name)
                guard !set.contains(t) else { throw self.invalid(pointer, "type", "lists a type twice") }
                set.formUnion(t)
            }
            return set
        }
        return try one(value)
    }

    func count(_ value: JSONValue, _ pointer: String, _ keyword: String) throws(JSONSchemaError) -> Int {
        switch value {
        case .integer(let i) where i >= 0 && i <= Int64(Int32.max):
            return Int(i)
        case .number(let d) where d >= 0 && d <= Double(Int32.max) && isIntegral(d):
            return Int(d)
        default:
            throw self.invalid(pointer, keyword, "must be a non-negative integer")
        }
    }

    func number(_ value: JSONValue, _ pointer: String, _ keyword: String) throws(JSONSchemaError) -> Double {
        guard let d = value.doubleValue else { throw self.invalid(pointer, keyword, "must be a number") }
        return d
    }

    /// Resolves every `$ref`, parsing a referenced document the first time one reaches it (which may add
    /// references). Bounded: each document is parsed once, and `maxNodes` bounds the references they hold.
    mutating func resolveReferences() throws(JSONSchemaError) {
        var next = 0
        while next < self.references.count {
            let (node, target, from) = self.references[next]
            next += 1
            let hash = target.firstIndex(of: "#")
            let uri = String(target[..<(hash ?? target.endIndex)])
            let fragment = hash.map { String(target[$0...]) } ?? "#"
            var name = from
            if !uri.isEmpty {
                guard let found = self.documentName(for: uri, from: from) else {
                    throw JSONSchemaError(code: .unresolvedReference, pointer: self.nodes[node].pointer + "/$ref",
                                          message: "\(target) names no schema reference")
                }
                name = found
            }
            if self.documentIDs[name] == nil, let text = self.externals[name] {
                let value: JSONValue
                do {
                    value = try JSONParser.parse(text, limits: self.limits.json)
                } catch {
                    throw JSONSchemaError(code: .invalidJSON, pointer: name + "#", message: error.description)
                }
                try self.parseDocument(value, name: name)
            }
            // JSON pointer tokens are compared escaped, as stored; percent-encoding is not decoded.
            guard let resolved = self.byPointer[name + fragment] else {
                let document = name.isEmpty ? "this document" : name
                throw JSONSchemaError(code: .unresolvedReference, pointer: self.nodes[node].pointer + "/$ref",
                                      message: "\(target) does not name a subschema of \(document)")
            }
            self.nodes[node].ref = resolved
        }
    }

    /// Rejects cycles through in-place applicators (`$ref`, `allOf`, `anyOf`, `oneOf`, `not`): evaluating such a
    /// cycle never reaches a child instance, so it would never end. Iterative DFS, no recursion.
    func rejectReferenceCycles() throws(JSONSchemaError) {
        var state = [UInt8](repeating: 0, count: self.nodes.count)  // 0 new, 1 on stack, 2 done
        var stack: [(node: Int, next: Int)] = []
        func successors(_ id: Int) -> [Int] {
            let n = self.nodes[id]
            var s = n.allOf + n.anyOf + n.oneOf
            if let r = n.ref { s.append(r) }
            if let x = n.not { s.append(x) }
            return s
        }
        for start in self.nodes.indices where state[start] == 0 {
            state[start] = 1
            stack.append((start, 0))
            while let top = stack.last {
                let next = successors(top.node)
                if top.next == next.count {
                    state[top.node] = 2
                    stack.removeLast()
                    continue
                }
                stack[stack.count - 1].next += 1
                let child = next[top.next]
                if state[child] == 1 {
                    throw JSONSchemaError(
                        code: .referenceCycle, pointer: self.nodes[top.node].pointer,
                        message: "reference cycle through \(self.nodes[child].pointer) that never descends into "
                            + "a property or item"
                    )
                }
                if state[child] == 0 {
                    state[child] = 1
                    stack.append((child, 0))
                }
            }
        }
    }
}
