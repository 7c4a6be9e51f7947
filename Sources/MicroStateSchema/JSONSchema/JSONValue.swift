/// A JSON document (RFC 8259) as parsed by `JSONParser`.
///
/// Integers that fit in `Int64` stay `.integer`; any number with a fraction or exponent, or too large for
/// `Int64`, is `.number`. Equality and hashing are JSON Schema's (draft 2020-12 §4.2.2): numbers compare by
/// mathematical value (`1 == 1.0`) and objects ignore member order, so `Set<JSONValue>` and `==` implement
/// `enum`, `const` and `uniqueItems` directly.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

/// A JSON object: members in document order, keys unique (the parser rejects duplicates).
///
/// Lookup is a linear scan for small objects and a hash index above `indexThreshold` members, so objects of
/// typical payload size cost one array allocation.
public struct JSONObject: Sendable {
    /// One member.
    public struct Member: Sendable {
        public var key: String
        public var value: JSONValue
    }

    /// Objects with more members than this get a hash index for lookups (and for duplicate detection while
    /// parsing). 32: below it, a scan that compares lengths first is cheaper than hashing every key while
    /// parsing (a typical payload of 20–30 properties would otherwise pay for a dictionary it rarely uses).
    public static let indexThreshold = 32

    /// The members in document order.
    public private(set) var members: [Member]
    private var index: [String: Int]?

    /// An object from members with unique keys.
    ///
    /// - Precondition: no two members have the same key.
    public init(_ members: [(String, JSONValue)]) {
        self.members = []
        self.members.reserveCapacity(members.count)
        for (key, value) in members {
            precondition(self.firstIndex(of: key) == nil, "duplicate key \(key)")
            self.append(key: key, value: value)
        }
    }

    init() {
        self.members = []
        self.index = nil
    }

    /// An object from members the caller (the parser) has checked for duplicates, with the hash index it built
    /// when there are more than `indexThreshold` members.
    init(uniqueMembers members: [Member], index: [String: Int]?) {
        assert((index != nil) == (members.count > Self.indexThreshold) && (index?.count ?? members.count) == members.count)
        self.members = members
        self.index = index
    }

    /// The number of members.
    public var count: Int { self.members.count }

    /// The value for `key`, if present.
    public subscript(key: String) -> JSONValue? {
        guard let i = self.firstIndex(of: key) else { return nil }
        return self.members[i].value
    }

    func firstIndex(of key: String) -> Int? {
        if let index = self.index {
            return index[key]
        }
        let length = key.utf8.count  // O(1); most keys differ in length, which skips the string compare
        for i in self.members.indices where self.members[i].key.utf8.count == length && self.members[i].key == key {
            return i
        }
        return nil
    }

    /// Appends a member whose key is not yet present.
    mutating func append(key: String, value: JSONValue) {
        self.members.append(Member(key: key, value: value))
        if self.index != nil {
            self.index![key] = self.members.count - 1
        } else if self.members.count > Self.indexThreshold {
            var index: [String: Int] = [:]
            index.reserveCapacity(self.members.count * 2)
            for (i, member) in self.members.enumerated() {
                index[member.key] = i
            }
            self.index = index
        }
    }
}

extension JSONObject: Equatable {
    /// Equal when both have the same keys with equal values, in any order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for member in lhs.members {
            guard let other = rhs[member.key], other == member.value else { return false }
        }
        return true
    }
}

extension JSONObject: Hashable {
    public func hash(into hasher: inout Hasher) {
        // Order-independent: combine the members' hashes commutatively.
        var combined = 0
        for member in self.members {
            var h = Hasher()
            h.combine(member.key)
            h.combine(member.value)
            combined ^= h.finalize()
        }
        hasher.combine(self.count)
        hasher.combine(combined)
    }
}

extension JSONValue: Equatable {
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.integer(let a), .integer(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.integer(let a), .number(let b)), (.number(let b), .integer(let a)):
            return exactInt64(b) == a
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a == b
        default: return false
        }
    }
}

extension JSONValue: Hashable {
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null:
            hasher.combine(0)
        case .bool(let b):
            hasher.combine(1)
            hasher.combine(b)
        case .integer(let i):
            hasher.combine(2)
            hasher.combine(i)
        case .number(let d):
            // Integral numbers hash like the integer they equal.
            if let i = exactInt64(d) {
                hasher.combine(2)
                hasher.combine(i)
            } else {
                hasher.combine(3)
                hasher.combine(d)
            }
        case .string(let s):
            hasher.combine(4)
            hasher.combine(s)
        case .array(let a):
            hasher.combine(5)
            hasher.combine(a)
        case .object(let o):
            hasher.combine(6)
            hasher.combine(o)
        }
    }
}

extension JSONValue {
    /// The JSON Schema type name of this value (`integer` for integral numbers, as draft 2020-12 §6.1.1 says).
    public var schemaType: JSONSchemaType {
        switch self {
        case .null: .null
        case .bool: .boolean
        case .integer: .integer
        case .number(let d): isIntegral(d) ? .integer : .number
        case .string: .string
        case .array: .array
        case .object: .object
        }
    }

    /// The numeric value, for `.integer` and `.number`.
    public var doubleValue: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .number(let d): d
        default: nil
        }
    }
}

// Integral checks without libm: `rounded()` and `Int64(exactly:)` lower to `trunc`/`round` calls on baseline
// x86_64, and this module links no C library, so a binary without Foundation would fail to link in release.
// Converting to `Int64` truncates with one instruction.

/// `d` as an `Int64` when it is an integer in range.
func exactInt64(_ d: Double) -> Int64? {
    guard d >= -0x1p63 && d < 0x1p63 else { return nil }  // also false for NaN
    let i = Int64(d)
    return Double(i) == d ? i : nil
}

/// Whether `d` is a finite integer (every double of magnitude 2^53 or more is).
func isIntegral(_ d: Double) -> Bool {
    guard d.isFinite else { return false }
    return d.magnitude >= 0x1p53 || Double(Int64(d)) == d
}

/// Whether `q` is within `1e-9` of an integer (for `multipleOf` on non-integers).
func isNearlyIntegral(_ q: Double) -> Bool {
    guard q.isFinite else { return false }
    if q.magnitude >= 0x1p53 { return true }
    let fraction = (q - Double(Int64(q))).magnitude
    return fraction < 1e-9 || fraction > 1 - 1e-9
}
