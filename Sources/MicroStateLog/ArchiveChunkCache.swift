/// The decompressed chunks `EventArchive` keeps, at most `capacity`, least recently used evicted first.
///
/// Each chunk is stored with the generation of the chunk it was read from, so a read that raced with a rewrite can
/// never put stale entries back (`EventArchive` bumps the generation and removes the chunk on every change). A value
/// type driven under the archive's lock; eviction scans all entries, which is cheap for the small capacities it is
/// meant for (`ArchiveConfiguration.cachedChunks`, default 8).
struct ArchiveChunkCache {
    private struct Slot {
        var generation: UInt64
        var entries: [ArchiveEntry]
        var lastUse: UInt64
    }

    let capacity: Int
    private var slots: [UInt64: Slot] = [:]
    private var clock: UInt64 = 0

    init(capacity: Int) {
        precondition(capacity >= 0, "cache capacity must not be negative")
        self.capacity = capacity
    }

    /// The number of chunks held; never more than `capacity`.
    var count: Int { self.slots.count }

    /// The ids of the chunks held, least recently used first.
    var idsByRecency: [UInt64] {
        self.slots.sorted { $0.value.lastUse < $1.value.lastUse }.map(\.key)
    }

    /// The entries of chunk `id` at `generation`, marking them used; nil if absent or of another generation.
    mutating func entries(id: UInt64, generation: UInt64) -> [ArchiveEntry]? {
        guard var slot = self.slots[id], slot.generation == generation else {
            return nil
        }
        self.clock += 1
        slot.lastUse = self.clock
        self.slots[id] = slot
        return slot.entries
    }

    /// Holds `entries` of chunk `id` at `generation`, evicting the least recently used chunk when full.
    mutating func insert(id: UInt64, generation: UInt64, entries: [ArchiveEntry]) {
        guard self.capacity > 0 else { return }
        if self.slots[id] == nil && self.slots.count >= self.capacity,
           let oldest = self.slots.min(by: { $0.value.lastUse < $1.value.lastUse })?.key
        {
            self.slots.removeValue(forKey: oldest)
        }
        self.clock += 1
        self.slots[id] = Slot(generation: generation, entries: entries, lastUse: self.clock)
        assert(self.slots.count <= self.capacity)
    }

    /// Forgets chunk `id`.
    mutating func remove(id: UInt64) {
        self.slots.removeValue(forKey: id)
    }
}
