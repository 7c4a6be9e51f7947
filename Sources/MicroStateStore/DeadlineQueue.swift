/// A binary min-heap of TTL deadlines, so `expireDue` finds due keys in O(log n) each.
///
/// Entries are not removed when a key is overwritten or deleted; `expireDue` checks on pop that the key's
/// latest version is still the one the entry was queued for (same mod revision and deadline), and drops stale
/// entries. So that keys re-put with long TTLs cannot grow the heap without bound, the store prunes stale
/// entries (`prune`) once they outnumber the live ones by more than 1024: the heap stays below
/// 2 × live TTL keys + 1024 entries, at amortized O(log n) per TTL put.
struct DeadlineQueue {
    struct Item {
        var deadline: Int64
        var modRevision: Int64
        /// The key's blob at the time (shared with the version, no copy).
        var blob: [UInt8]
    }

    private(set) var items: [Item] = []

    var count: Int { self.items.count }
    var first: Item? { self.items.first }

    mutating func push(_ item: Item) {
        self.items.append(item)
        var child = self.items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard self.items[child].deadline < self.items[parent].deadline else {
                break
            }
            self.items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popFirst() -> Item? {
        guard !self.items.isEmpty else {
            return nil
        }
        self.items.swapAt(0, self.items.count - 1)
        let item = self.items.removeLast()
        self.siftDown(0)
        return item
    }

    /// Keeps only the entries `isLive` accepts and restores the heap order (Floyd's heapify, O(n)).
    mutating func prune(_ isLive: (Item) -> Bool) {
        self.items.removeAll { !isLive($0) }
        var parent = self.items.count / 2 - 1
        while parent >= 0 {
            self.siftDown(parent)
            parent -= 1
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < self.items.count && self.items[left].deadline < self.items[smallest].deadline {
                smallest = left
            }
            if right < self.items.count && self.items[right].deadline < self.items[smallest].deadline {
                smallest = right
            }
            if smallest == parent {
                return
            }
            self.items.swapAt(parent, smallest)
            parent = smallest
        }
    }

    mutating func removeAll() {
        self.items.removeAll()
    }
}
