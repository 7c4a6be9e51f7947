/// A node of `BTree`: a leaf holds entries, an inner node holds children and separator keys.
final class BTreeNode {
    /// Leaf only: entries in key order; capacity reserved once so the array never reallocates.
    var entries: [KeyEntry] = []
    /// Inner only: `separators[i]` is a blob whose key is ≤ every key of `children[i + 1]` and > every key of
    /// `children[i]`.
    var separators: [[UInt8]] = []
    /// Inner only: children, all at the same depth.
    var children: [BTreeNode] = []
    /// Leaf only: the next leaf in key order, for range scans.
    var next: BTreeNode?
    let isLeaf: Bool

    init(leafWithCapacity capacity: Int) {
        self.isLeaf = true
        self.entries.reserveCapacity(capacity)
    }

    init(innerWithCapacity capacity: Int) {
        self.isLeaf = false
        self.children.reserveCapacity(capacity)
        self.separators.reserveCapacity(capacity - 1)
    }

    /// Entries (leaf) or children (inner).
    var count: Int { self.isLeaf ? self.entries.count : self.children.count }
}

/// A position in `BTree`: a leaf and an index into its entries (possibly `entries.count` at the very end).
struct BTreePosition {
    var leaf: BTreeNode
    var index: Int
}

/// An in-memory B+tree of `KeyEntry` ordered bytewise by key: O(log n) lookup, insert and remove, and
/// seek-then-iterate range scans along linked leaves.
///
/// Why a B+tree: 1M random inserts into a sorted array move ~n/2 elements each; a B+tree with 64-entry leaves
/// keeps entries inline (40 bytes each, no per-key node object), so per-key overhead is the entry divided
/// by the fill factor (≈ 55–60 bytes at the ~70% fill random inserts give).
///
/// Insert splits full nodes top-down and remove refills minimal nodes top-down (borrow or merge) on the way
/// to the leaf, so neither needs a path stack nor recursion. Leaves hold at most `leafCapacity` entries and
/// at least `leafCapacity / 4` (except the root); inner nodes likewise.
struct BTree {
    static let leafCapacity = 64
    static let innerCapacity = 64
    static let leafMinimum = leafCapacity / 4
    static let innerMinimum = innerCapacity / 4

    private(set) var root = BTreeNode(leafWithCapacity: BTree.leafCapacity)
    /// Number of entries.
    private(set) var count = 0

    init() {}

    /// Index of the child of `node` that covers `key`: the number of separators ≤ key.
    ///
    /// Searches through one buffer access: per-element subscripts of a class's array property would each pay a
    /// dynamic exclusivity check and a retain.
    @inline(__always)
    private static func childIndex(_ node: BTreeNode, _ key: UnsafeRawBufferPointer) -> Int {
        node.separators.withUnsafeBufferPointer { separators in
            var low = 0
            var high = separators.count
            while low < high {
                let mid = (low + high) >> 1
                if Blob.compare(key, separators[mid]) >= 0 {
                    low = mid + 1
                } else {
                    high = mid
                }
            }
            return low
        }
    }

    /// Index of the first entry of a leaf whose key is ≥ key, and whether it is equal.
    @inline(__always)
    private static func lowerBound(_ leaf: BTreeNode, _ key: UnsafeRawBufferPointer) -> (Int, Bool) {
        leaf.entries.withUnsafeBufferPointer { entries in
            var low = 0
            var high = entries.count
            while low < high {
                let mid = (low + high) >> 1
                if Blob.compare(key, entries[mid].latest.blob) > 0 {
                    low = mid + 1
                } else {
                    high = mid
                }
            }
            let found = low < entries.count && Blob.compare(key, entries[low].latest.blob) == 0
            return (low, found)
        }
    }

    /// The position of `key`'s entry, or nil.
    func find(_ key: UnsafeRawBufferPointer) -> BTreePosition? {
        var node = self.root
        while !node.isLeaf {
            node = node.children[Self.childIndex(node, key)]
        }
        let (index, found) = Self.lowerBound(node, key)
        return found ? BTreePosition(leaf: node, index: index) : nil
    }

    /// The position of the first entry with key ≥ `key` (an empty key seeks to the start), or nil at the end.
    func seek(_ key: UnsafeRawBufferPointer) -> BTreePosition? {
        var node = self.root
        while !node.isLeaf {
            node = node.children[Self.childIndex(node, key)]
        }
        let (index, _) = Self.lowerBound(node, key)
        return Self.normalize(BTreePosition(leaf: node, index: index))
    }

    /// Moves a position past a leaf's end to the next non-empty leaf; nil at the end of the tree.
    @inline(__always)
    static func normalize(_ position: BTreePosition) -> BTreePosition? {
        var position = position
        while position.index >= position.leaf.entries.count {
            guard let next = position.leaf.next else {
                return nil
            }
            position = BTreePosition(leaf: next, index: 0)
        }
        return position
    }

    /// The position after `position`, or nil at the end.
    @inline(__always)
    static func advance(_ position: BTreePosition) -> BTreePosition? {
        Self.normalize(BTreePosition(leaf: position.leaf, index: position.index + 1))
    }

    /// Inserts an entry whose key is not in the tree.
    mutating func insert(_ entry: KeyEntry) {
        entry.latest.blob.withUnsafeBytes { blobBytes in
            let keyCount = Blob.keyCount(entry.latest.blob)
            let key = UnsafeRawBufferPointer(rebasing: blobBytes[2..<(2 + keyCount)])
            if self.root.count == (self.root.isLeaf ? Self.leafCapacity : Self.innerCapacity) {
                let newRoot = BTreeNode(innerWithCapacity: Self.innerCapacity)
                newRoot.children.append(self.root)
                self.root = newRoot
                Self.splitChild(newRoot, 0, appending: false)
            }
            var node = self.root
            while !node.isLeaf {
                var index = Self.childIndex(node, key)
                let child = node.children[index]
                if child.count == (child.isLeaf ? Self.leafCapacity : Self.innerCapacity) {
                    // Appending past the rightmost key (sequential loads, restore) splits off only the last
                    // entry so full leaves stay full instead of half empty.
                    let appending =
                        child.isLeaf && child.next == nil
                        && Blob.compare(key, child.entries[child.entries.count - 1].latest.blob) > 0
                    if !appending && child.isLeaf && Self.shiftToSibling(node, index) {
                        index = Self.childIndex(node, key)
                    } else {
                        Self.splitChild(node, index, appending: appending)
                        if Blob.compare(key, node.separators[index]) >= 0 {
                            index += 1
                        }
                    }
                }
                node = node.children[index]
            }
            let (index, found) = Self.lowerBound(node, key)
            precondition(!found, "BTree.insert of a key already present")
            node.entries.insert(entry, at: index)
        }
        self.count += 1
    }

    /// Moves entries from the full leaf `index` of `parent` to a sibling with room, instead of splitting it.
    ///
    /// Why: random inserts with plain splits leave leaves ~69% full; sharing with a sibling first (as a
    /// B*-tree does) raises that to ~80%, about 10 bytes per key at 1M keys. Afterwards both leaves have a free
    /// slot, so the insert proceeds into whichever covers the key. Returns false when no sibling has two free slots.
    private static func shiftToSibling(_ parent: BTreeNode, _ index: Int) -> Bool {
        let child = parent.children[index]
        let capacity = Self.leafCapacity
        if index > 0, parent.children[index - 1].entries.count <= capacity - 2 {
            let left = parent.children[index - 1]
            let moved = (capacity - left.entries.count) / 2
            left.entries.append(contentsOf: child.entries[0..<moved])
            child.entries.removeSubrange(0..<moved)
            parent.separators[index - 1] = child.entries[0].latest.blob
            return true
        }
        if index + 1 < parent.children.count, parent.children[index + 1].entries.count <= capacity - 2 {
            let right = parent.children[index + 1]
            let moved = (capacity - right.entries.count) / 2
            right.entries.insert(contentsOf: child.entries[(child.entries.count - moved)...], at: 0)
            child.entries.removeSubrange((child.entries.count - moved)...)
            parent.separators[index] = right.entries[0].latest.blob
            return true
        }
        return false
    }

    /// Splits the full child `index` of `parent` into two.
    private static func splitChild(_ parent: BTreeNode, _ index: Int, appending: Bool) {
        let child = parent.children[index]
        if child.isLeaf {
            let right = BTreeNode(leafWithCapacity: Self.leafCapacity)
            let mid = appending ? child.entries.count - 1 : child.entries.count / 2
            right.entries.append(contentsOf: child.entries[mid...])
            child.entries.removeSubrange(mid...)
            right.next = child.next
            child.next = right
            parent.separators.insert(right.entries[0].latest.blob, at: index)
            parent.children.insert(right, at: index + 1)
        } else {
            let right = BTreeNode(innerWithCapacity: Self.innerCapacity)
            let mid = child.children.count / 2
            right.children.append(contentsOf: child.children[mid...])
            right.separators.append(contentsOf: child.separators[mid...])
            let promoted = child.separators[mid - 1]
            child.children.removeSubrange(mid...)
            child.separators.removeSubrange((mid - 1)...)
            parent.separators.insert(promoted, at: index)
            parent.children.insert(right, at: index + 1)
        }
    }

    /// Removes `key`'s entry; returns whether it was present.
    @discardableResult
    mutating func remove(_ key: UnsafeRawBufferPointer) -> Bool {
        var node = self.root
        while !node.isLeaf {
            var index = Self.childIndex(node, key)
            let child = node.children[index]
            if child.count <= (child.isLeaf ? Self.leafMinimum : Self.innerMinimum) {
                Self.refill(node, index)
                index = Self.childIndex(node, key)
            }
            if node === self.root && node.children.count == 1 {
                // The refill merged the root's last two children: the tree loses a level.
                self.root = node.children[0]
                node = self.root
                continue
            }
            node = node.children[index]
        }
        let (index, found) = Self.lowerBound(node, key)
        guard found else {
            return false
        }
        node.entries.remove(at: index)
        self.count -= 1
        return true
    }

    /// Gives the minimal child `index` of `parent` an extra element, by borrowing from or merging with a sibling.
    private static func refill(_ parent: BTreeNode, _ index: Int) {
        let child = parent.children[index]
        let minimum = child.isLeaf ? Self.leafMinimum : Self.innerMinimum
        if index > 0, parent.children[index - 1].count > minimum + 1 {
            let left = parent.children[index - 1]
            if child.isLeaf {
                child.entries.insert(left.entries.removeLast(), at: 0)
                parent.separators[index - 1] = child.entries[0].latest.blob
            } else {
                child.children.insert(left.children.removeLast(), at: 0)
                child.separators.insert(parent.separators[index - 1], at: 0)
                parent.separators[index - 1] = left.separators.removeLast()
            }
        } else if index + 1 < parent.children.count, parent.children[index + 1].count > minimum + 1 {
            let right = parent.children[index + 1]
            if child.isLeaf {
                child.entries.append(right.entries.removeFirst())
                parent.separators[index] = right.entries[0].latest.blob
            } else {
                child.children.append(right.children.removeFirst())
                child.separators.append(parent.separators[index])
                parent.separators[index] = right.separators.removeFirst()
            }
        } else if index > 0 {
            Self.merge(parent, index - 1)
        } else if index + 1 < parent.children.count {
            Self.merge(parent, index)
        }
    }

    /// Merges child `index + 1` of `parent` into child `index`; both are small enough to fit.
    private static func merge(_ parent: BTreeNode, _ index: Int) {
        let left = parent.children[index]
        let right = parent.children[index + 1]
        if left.isLeaf {
            left.entries.append(contentsOf: right.entries)
            left.next = right.next
        } else {
            left.separators.append(parent.separators[index])
            left.separators.append(contentsOf: right.separators)
            left.children.append(contentsOf: right.children)
        }
        parent.separators.remove(at: index)
        parent.children.remove(at: index + 1)
    }

    /// Removes every entry.
    mutating func removeAll() {
        self.root = BTreeNode(leafWithCapacity: Self.leafCapacity)
        self.count = 0
    }

    /// Checks the B+tree invariants (tests and debugging): key order, separator bounds, node sizes, leaf links
    /// and uniform depth. Returns a description of the first violation, or nil.
    func validate() -> String? {
        var leaves: [BTreeNode] = []
        var level: [BTreeNode] = [self.root]
        var total = 0
        while !level.isEmpty {
            var nextLevel: [BTreeNode] = []
            for node in level {
                if node.isLeaf {
                    leaves.append(node)
                    total += node.entries.count
                    if node !== self.root && node.entries.isEmpty {
                        return "empty leaf"
                    }
                } else {
                    if node.separators.count != node.children.count - 1 {
                        return "inner node with \(node.children.count) children and \(node.separators.count) keys"
                    }
                    nextLevel.append(contentsOf: node.children)
                }
            }
            if !nextLevel.isEmpty && level.contains(where: { $0.isLeaf }) {
                return "leaves at different depths"
            }
            level = nextLevel
        }
        if total != self.count {
            return "count \(self.count) but \(total) entries"
        }
        for (index, leaf) in leaves.enumerated() {
            let expectedNext = index + 1 < leaves.count ? leaves[index + 1] : nil
            if leaf.next !== expectedNext {
                return "leaf \(index) links to the wrong next leaf"
            }
        }
        var previous: [UInt8]? = nil
        for leaf in leaves {
            for entry in leaf.entries {
                let key = Blob.key(entry.latest.blob)
                if let previous, !previous.lexicographicallyPrecedes(key) {
                    return "keys out of order"
                }
                previous = key
            }
        }
        return self.validateSeparators(self.root, lower: nil, upper: nil)
    }

    private func validateSeparators(_ root: BTreeNode, lower: [UInt8]?, upper: [UInt8]?) -> String? {
        var stack: [(BTreeNode, [UInt8]?, [UInt8]?)] = [(root, lower, upper)]
        while let (node, lower, upper) = stack.popLast() {
            if node.isLeaf {
                for entry in node.entries {
                    let key = Blob.key(entry.latest.blob)
                    if let lower, key.lexicographicallyPrecedes(lower) {
                        return "key below its separator"
                    }
                    if let upper, !key.lexicographicallyPrecedes(upper) {
                        return "key at or above its upper separator"
                    }
                }
                continue
            }
            for (index, child) in node.children.enumerated() {
                let low = index == 0 ? lower : Blob.key(node.separators[index - 1])
                let high = index == node.separators.count ? upper : Blob.key(node.separators[index])
                stack.append((child, low, high))
            }
        }
        return nil
    }
}
