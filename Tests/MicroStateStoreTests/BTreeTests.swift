import Testing

@testable import MicroStateStore

/// A deterministic RNG (SplitMix64) so failures replay.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private func entry(_ key: [UInt8]) -> KeyEntry {
    KeyEntry(
        latest: KeyVersion(blob: Blob.make(key: key, value: [1, 2, 3]), createRevision: 1, modRevision: 1, version: 1),
        extra: nil
    )
}

private func keys(from position: BTreePosition?, limit: Int) -> [[UInt8]] {
    var result: [[UInt8]] = []
    var position = position
    while let current = position, result.count < limit {
        result.append(Blob.key(current.leaf.entries[current.index].latest.blob))
        position = BTree.advance(current)
    }
    return result
}

@Suite("BTree")
struct BTreeTests {
    @Test("Random inserts, removes and seeks match a sorted reference", arguments: [1, 2, 3, 42])
    func randomizedAgainstReference(seed: UInt64) {
        var random = SeededRandom(state: seed)
        var tree = BTree()
        var reference: [[UInt8]] = []  // sorted
        func lowerBound(_ key: [UInt8]) -> Int {
            var low = 0
            var high = reference.count
            while low < high {
                let mid = (low + high) / 2
                if reference[mid].lexicographicallyPrecedes(key) { low = mid + 1 } else { high = mid }
            }
            return low
        }
        for step in 0..<6000 {
            // Short keys over a small alphabet collide often, so removes and re-inserts hit existing keys.
            let length = Int.random(in: 1...3, using: &random)
            let key = (0..<length).map { _ in UInt8.random(in: 0...11, using: &random) }
            let index = lowerBound(key)
            let inReference = index < reference.count && reference[index] == key
            let action = Int.random(in: 0..<10, using: &random)
            if action < 6 {
                let present = key.withUnsafeBytes { tree.find($0) } != nil
                #expect(present == inReference, "seed \(seed) step \(step) find \(key)")
                if !present {
                    tree.insert(entry(key))
                    reference.insert(key, at: index)
                }
            } else if action < 9 {
                let removed = key.withUnsafeBytes { tree.remove($0) }
                #expect(removed == inReference, "seed \(seed) step \(step) remove \(key)")
                if inReference {
                    reference.remove(at: index)
                }
            } else {
                let expected = Array(reference[index...].prefix(20))
                let actual = keys(from: key.withUnsafeBytes { tree.seek($0) }, limit: 20)
                #expect(actual == expected, "seed \(seed) step \(step) seek \(key)")
            }
            if step % 2000 == 0 {
                #expect(tree.validate() == nil, "seed \(seed) step \(step): \(tree.validate() ?? "")")
            }
        }
        #expect(tree.count == reference.count)
        #expect(tree.validate() == nil, "\(tree.validate() ?? "")")
        let all = keys(from: tree.seek(UnsafeRawBufferPointer(start: nil, count: 0)), limit: Int.max)
        #expect(all == reference)
    }

    @Test("Ascending inserts fill leaves and removing everything empties the tree")
    func ascendingThenDrain() {
        var tree = BTree()
        let keys = (0..<5000).map { i -> [UInt8] in [UInt8(i >> 8), UInt8(i & 0xFF)] }
        for key in keys {
            tree.insert(entry(key))
        }
        #expect(tree.validate() == nil)
        // Appending splits keep leaves full: about 5000 / 64 leaves, not twice that.
        var leaves = 0
        var position = tree.seek(UnsafeRawBufferPointer(start: nil, count: 0))
        var leaf: BTreeNode? = nil
        while let current = position {
            if current.leaf !== leaf {
                leaves += 1
                leaf = current.leaf
            }
            position = BTree.advance(current)
        }
        #expect(leaves <= 5000 / 63 + 1)
        for key in keys.reversed() {
            #expect(key.withUnsafeBytes { tree.remove($0) })
        }
        #expect(tree.count == 0)
        #expect(tree.validate() == nil)
    }

    @Test("A large random load keeps every invariant through inserts and removes of half the keys")
    func largeRandom() {
        var random = SeededRandom(state: 2024)
        var tree = BTree()
        var keys: [[UInt8]] = []
        var seen = Set<[UInt8]>()
        while keys.count < 30_000 {
            let key = (0..<8).map { _ in UInt8.random(in: 0...255, using: &random) }
            if seen.insert(key).inserted {
                keys.append(key)
                tree.insert(entry(key))
            }
        }
        #expect(tree.validate() == nil, "\(tree.validate() ?? "")")
        for key in keys.prefix(15_000) {
            #expect(key.withUnsafeBytes { tree.remove($0) })
        }
        #expect(tree.validate() == nil, "\(tree.validate() ?? "")")
        let rest = keys.dropFirst(15_000).sorted { $0.lexicographicallyPrecedes($1) }
        #expect(BTreeTests.allKeys(tree) == rest)
        for key in keys.prefix(15_000) {
            #expect(key.withUnsafeBytes { tree.find($0) } == nil)
        }
    }

    static func allKeys(_ tree: BTree) -> [[UInt8]] {
        keys(from: tree.seek(UnsafeRawBufferPointer(start: nil, count: 0)), limit: Int.max)
    }
}
