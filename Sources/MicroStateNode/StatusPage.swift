import Foundation
import NIOConcurrencyHelpers

/// The admin port's `/status`: one JSON document describing the node for people and scripts at 3 a.m. —
/// identity and readiness, the gRPC server's counters, and every outbound destination's circuit breaker and
/// load-shedding state, each contributed by the component that owns it as a named section.
///
/// Sections are read at request time (a lock, then each section's closure); keys come out sorted so the page
/// diffs cleanly between two looks.
public final class StatusPage: Sendable {
    /// A section's content: JSON-compatible values only (String, Bool, Int, Int64, UInt64, Double, arrays and
    /// dictionaries of them).
    public typealias Section = @Sendable () -> [String: any Sendable]

    private let sections = NIOLockedValueBox<[(name: String, content: Section)]>([])

    public init() {}

    /// Adds (or replaces) the section `name`.
    public func addSection(_ name: String, _ content: @escaping Section) {
        self.sections.withLockedValue { sections in
            sections.removeAll { $0.name == name }
            sections.append((name, content))
        }
    }

    /// The page as pretty-printed JSON with sorted keys.
    public func render() -> String {
        let sections = self.sections.withLockedValue { $0 }
        var document: [String: Any] = [:]
        for (name, content) in sections {
            document[name] = Self.jsonValue(content())
        }
        guard let data = try? JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        else {
            return "{\"error\":\"status could not be encoded\"}\n"
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Foundation's JSON writer takes NSNumber-bridgeable values; unsigned and other integers become Int64 or
    /// Double, anything else its description.
    private static func jsonValue(_ value: Any) -> Any {
        switch value {
        case let value as [String: any Sendable]:
            return value.mapValues { self.jsonValue($0) }
        case let value as [any Sendable]:
            return value.map { self.jsonValue($0) }
        case let value as String:
            return value
        case let value as Bool:
            return value
        case let value as Int:
            return value
        case let value as Int64:
            return value
        case let value as UInt64:
            return value <= UInt64(Int64.max) ? Int64(value) : Double(value)
        case let value as Double:
            return value.isFinite ? value : String(describing: value)
        default:
            return String(describing: value)
        }
    }
}
