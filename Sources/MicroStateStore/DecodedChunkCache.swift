/// Archive chunks the store decoded for readers, at most `capacity`, least recently used evicted first.
///
/// Each is keyed by chunk id and `ArchiveIndex.Chunk.generation`, so a copy decoded before a rewrite is never used
/// after it. Guarded by the store's lock; eviction scans the few entries.
struct DecodedChunkCache {
    private struct Entry {
        var id: UInt64
        var generation: Int
        var events: [EventLog.Event]
        var lastUse: UInt64
    }

    let capacity: Int
    private var entries: [Entry] = []
    private var clock: UInt64 = 0
    private(set) var hits = 0
    private(set) var misses = 0

    init(capacity: Int) {
        precondition(capacity >= 0, "decodedChunkCache must not be negative")
        self.capacity = capacity
    }

    /// The decoded events of chunk `id` at `generation`, if held.
    mutating func events(id: UInt64, generation: Int) -> [EventLog.Event]? {
        for index in self.entries.indices where self.entries[index].id == id {
            guard self.entries[index].generation == generation else {
                break
            }
            self.clock += 1
            self.entries[index].lastUse = self.clock
            self.hits += 1
            return self.entries[index].events
        }
        self.misses += 1
        return nil
    }

    /// Holds `events` of chunk `id` at `generation`, replacing an older copy and evicting the least recently used.
    mutating func insert(id: UInt64, generation: Int, events: [EventLog.Event]) {
        guard self.capacity > 0 else {
            return
        }
        self.entries.removeAll { $0.id == id }
        if self.entries.count >= self.capacity,
            let oldest = self.entries.indices.min(by: { self.entries[$0].lastUse < self.entries[$1].lastUse })
        {
            self.entries.remove(at: oldest)
        }
        self.clock += 1
        self.entries.append(Entry(id: id, generation: generation, events: events, lastUse: self.clock))
    }

    /// Forgets chunk `id`.
    mutating func remove(id: UInt64) {
        self.entries.removeAll { $0.id == id }
    }
}
