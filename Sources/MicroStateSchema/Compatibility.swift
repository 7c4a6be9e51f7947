/// Schema evolution levels, as Confluent Schema Registry names them (issue #5; docs/schemas.md).
///
/// A level says which earlier versions a new schema is checked against and in which direction:
/// BACKWARD = readers using the new schema can read data written with the old one; FORWARD = readers using the
/// old schema can read data written with the new one; FULL = both. The `_TRANSITIVE` forms check against every
/// earlier version instead of only the latest.
public enum CompatibilityLevel: String, Sendable, CaseIterable, Codable {
    case none = "NONE"
    case backward = "BACKWARD"
    case backwardTransitive = "BACKWARD_TRANSITIVE"
    case forward = "FORWARD"
    case forwardTransitive = "FORWARD_TRANSITIVE"
    case full = "FULL"
    case fullTransitive = "FULL_TRANSITIVE"

    /// Confluent's default.
    public static let `default` = CompatibilityLevel.backward

    /// Whether the new schema must read data written with the old ones.
    public var checksBackward: Bool {
        switch self {
        case .backward, .backwardTransitive, .full, .fullTransitive: true
        case .none, .forward, .forwardTransitive: false
        }
    }

    /// Whether the old schemas must read data written with the new one.
    public var checksForward: Bool {
        switch self {
        case .forward, .forwardTransitive, .full, .fullTransitive: true
        case .none, .backward, .backwardTransitive: false
        }
    }

    /// Whether every earlier version is checked, not only the latest.
    public var isTransitive: Bool {
        switch self {
        case .backwardTransitive, .forwardTransitive, .fullTransitive: true
        case .none, .backward, .forward, .full: false
        }
    }
}

/// One reason a schema change is incompatible: which rule, where, and a sentence for people.
///
/// `path` locates the change in the schema's own terms: `properties.email` (JSON Schema), `message Order field 5`
/// (Protobuf), `record Order field email` (Avro). `rule` is the stable identifier of the broken rule in that schema
/// type's rule table, so clients can match on it.
public struct CompatibilityMessage: Sendable, Hashable, CustomStringConvertible {
    public var rule: String
    public var path: String
    public var message: String

    public init(rule: String, path: String, message: String) {
        self.rule = rule
        self.path = path
        self.message = message
    }

    public var description: String {
        "\(self.rule) at \(self.path): \(self.message)"
    }
}

/// The direction of one pairwise check: does `reader` read what `writer` wrote?
///
/// Every checker answers one pairwise question; `CompatibilityLevel` decides which pairs to ask
/// (`pairs(new:previous:)`), so the levels' semantics live in one place.
public struct CompatibilityCheck: Sendable, Hashable {
    /// Index into the versions passed to `pairs`: `-1` is the new schema, `0...` the previous versions.
    public var reader: Int
    public var writer: Int
}

extension CompatibilityLevel {
    /// The (reader, writer) pairs to check for a new schema against `previousCount` earlier versions (oldest
    /// first): the latest only, or all of them when transitive; new-reads-old for backward, old-reads-new for
    /// forward, both for full.
    public func pairs(previousCount: Int) -> [CompatibilityCheck] {
        guard self != .none, previousCount > 0 else { return [] }
        let targets = self.isTransitive ? Array(0..<previousCount) : [previousCount - 1]
        var checks: [CompatibilityCheck] = []
        for old in targets {
            if self.checksBackward {
                checks.append(CompatibilityCheck(reader: -1, writer: old))
            }
            if self.checksForward {
                checks.append(CompatibilityCheck(reader: old, writer: -1))
            }
        }
        return checks
    }
}
