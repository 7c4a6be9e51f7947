import Testing

@testable import MicroStateSchema

@Suite("Compatibility levels")
struct CompatibilityLevelTests {
    @Test("Each level asks for the pairs Confluent's definition implies", arguments: [
        (CompatibilityLevel.none, 3, [(Int, Int)]()),
        (.backward, 3, [(-1, 2)]),
        (.forward, 3, [(2, -1)]),
        (.full, 3, [(-1, 2), (2, -1)]),
        (.backwardTransitive, 3, [(-1, 0), (-1, 1), (-1, 2)]),
        (.forwardTransitive, 2, [(0, -1), (1, -1)]),
        (.fullTransitive, 2, [(-1, 0), (0, -1), (-1, 1), (1, -1)]),
        (.full, 0, []),
    ])
    func pairs(level: CompatibilityLevel, previous: Int, expected: [(Int, Int)]) {
        let pairs = level.pairs(previousCount: previous).map { ($0.reader, $0.writer) }
        #expect(pairs.count == expected.count)
        for (got, want) in zip(pairs, expected) {
            #expect(got == want, "\(level) with \(previous) previous versions")
        }
    }

    @Test("Names are Confluent's, and the default is BACKWARD")
    func names() {
        #expect(CompatibilityLevel.default == .backward)
        #expect(CompatibilityLevel.allCases.map(\.rawValue) == [
            "NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE",
        ])
        #expect(CompatibilityLevel(rawValue: "FULL_TRANSITIVE") == .fullTransitive)
        #expect(CompatibilityLevel(rawValue: "full") == nil)
    }
}
