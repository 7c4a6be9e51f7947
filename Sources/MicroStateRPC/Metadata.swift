/// Custom metadata of a call: ordered (name, value) pairs, names lower-case ASCII as HTTP/2 requires.
///
/// Binary values (names ending in `-bin`) are kept base64-encoded as they travel; this type does not
/// decode them. Reserved headers (pseudo-headers, `content-type`, `te`, `grpc-*`) are not part of it.
public struct Metadata: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (name: String, value: String)

    private var storage: [Pair]

    private struct Pair: Sendable, Hashable {
        var name: String
        var value: String
    }

    public init() {
        self.storage = []
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.storage = elements.map { Pair(name: $0.0.lowercased(), value: $0.1) }
    }

    /// Appends a pair; the name is lower-cased.
    public mutating func add(_ name: String, _ value: String) {
        self.storage.append(Pair(name: name.lowercased(), value: value))
    }

    /// Appends a pair whose name is already lower-case (received HTTP/2 header names are: RFC 9113 §8.2.1),
    /// skipping `add`'s lower-casing copy.
    mutating func appendLowercased(_ name: String, _ value: String) {
        self.storage.append(Pair(name: name, value: value))
    }

    /// The first value for `name` (case-insensitive), if any.
    public func first(_ name: String) -> String? {
        guard !self.storage.isEmpty else { return nil }
        let lower = Self.lowercased(name)
        return self.storage.first { $0.name == lower }?.value
    }

    /// `name` lower-cased, without a copy when it already is (the usual case: names in code are literals).
    @inline(__always)
    private static func lowercased(_ name: String) -> String {
        name.utf8.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") } ? name.lowercased() : name
    }

    /// Every value for `name` (case-insensitive), in order.
    public func values(_ name: String) -> [String] {
        guard !self.storage.isEmpty else { return [] }
        let lower = Self.lowercased(name)
        return self.storage.filter { $0.name == lower }.map(\.value)
    }

    public var count: Int { self.storage.count }
    public var isEmpty: Bool { self.storage.isEmpty }

    public func makeIterator() -> some IteratorProtocol<Element> {
        self.storage.lazy.map { (name: $0.name, value: $0.value) }.makeIterator()
    }

    /// Whether a header name is reserved by HTTP/2 or gRPC and so never custom metadata.
    public static func isReserved(_ name: String) -> Bool {
        name.hasPrefix(":") || name.hasPrefix("grpc-") || name == "content-type" || name == "te"
            || name == "user-agent" || name == "connection" || name == "host"
    }
}
