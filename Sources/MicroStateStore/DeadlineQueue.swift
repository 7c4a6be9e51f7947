/// A binary min-heap of TTL deadlines, so `expireDue` finds due keys in O(log n) each.
///
/// Entries are never removed when a key is overwritten or deleted; `expireDue` checks on pop that the key's
/// latest version is still the one the entry was queued for (same mod revision and deadline), and drops stale
/// entries. Each Put with a TTL queues one entry, so the heap holds at most the TTL puts not yet popped.
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
        var parent = 0
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
                break
            }
            self.items.swapAt(parent, smallest)
            parent = smallest
        }
        return item
    }

    mutating func removeAll() {
        self.items.removeAll()
    }
}
