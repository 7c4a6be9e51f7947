import DequeModule

/// The store's event storage: the events kept in memory, in position (`$all`) order with a per-stream index, and
/// the index of the archived ones (`archive`, whose events live in chunk files the store reads on demand).
///
/// In memory are the events not archived yet: the recent window (ADR 0004 §7). `append` adds a stream's events at
/// consecutive positions; `forEach(fromPosition:)`, `forEachBackward(throughPosition:)`,
/// `forEach(stream:fromRevision:)` and `forEachBackward(stream:throughRevision:)` visit the ones in memory; `drop` erases a prefix of a stream;
/// `oldest` hands the oldest durable run to the archiver and `evict` removes it once sealed. Visiting archived events
/// (reading chunks outside the store lock) is the store's job (`KVStore+Archive.swift`).
///
/// It knows nothing of durability, retention settings or deletion: the store filters what it visits and decides
/// when to drop. Invariants: positions strictly increase; a stream's revisions are gapless from 0; the events kept
/// in memory of a stream are always a suffix of its revisions (a drop erases a prefix, archiving takes the oldest
/// positions), every archived event of a stream has a lower revision than its events in memory, and every event in
/// memory has a position above `archive.archivedThrough`. So a stream is described by its next revision, the
/// sequence numbers of the events in memory and its archived runs.
///
/// Not thread-safe: the store's lock guards it.
struct EventLog {
    /// One event as stored.
    struct Event {
        var position: Int64
        /// The stream's id (an index into the store's stream table, assigned by `addStream`).
        var stream: Int
        var revision: Int64
        var recordedAt: Int64
        var data: StoreEventData
    }

    private struct Slot {
        var event: Event
        var erased = false
    }

    private struct StreamIndex {
        /// The revision the stream's next event takes.
        var next: Int64 = 0
        /// Sequence numbers (see `firstSequence`) of the stream's kept events, in revision order; they hold
        /// revisions `next - sequences.count ..< next`.
        var sequences: [Int] = []
    }

    /// In position order. Erased slots stay (with an empty payload) until they reach the front or a compaction.
    private var slots = Deque<Slot>()
    /// The sequence number of `slots[0]`: every slot ever appended has one, so indexes survive front trims.
    private var firstSequence = 0
    private var streams: [StreamIndex] = []
    private var erasedCount = 0
    /// The position of the last event appended (archived or in memory); 0 = none yet.
    private(set) var lastPosition: Int64 = 0
    /// The events counted size (`KVStore.eventSize`) of the events kept in memory.
    private(set) var bytes = 0
    /// The archived events: chunk list and per-stream runs.
    private(set) var archive = ArchiveIndex()

    /// Events kept in memory (not erased, not archived).
    var count: Int { self.slots.count - self.erasedCount }

    /// Streams registered with `addStream`.
    var streamCount: Int { self.streams.count }

    /// Registers a new stream and returns its id (ids are dense, from 0).
    mutating func addStream() -> Int {
        self.streams.append(StreamIndex())
        self.archive.addStream()
        return self.streams.count - 1
    }

    /// Changes the archive index (under the same lock as everything else).
    mutating func updateArchive(_ body: (inout ArchiveIndex) -> Void) {
        body(&self.archive)
    }

    /// The revision the stream's next event takes (its last revision + 1).
    func nextRevision(of stream: Int) -> Int64 {
        self.streams[stream].next
    }

    /// The stream's oldest kept revision (its next revision when it keeps none).
    func firstKeptRevision(of stream: Int) -> Int64 {
        let index = self.streams[stream]
        return index.next - Int64(index.sequences.count)
    }

    // MARK: - Writing

    /// Appends `events` to `stream` at positions `firstPosition…`, taking the stream's next revisions. Events at or
    /// below `archive.archivedThrough` (replayed records whose events a chunk already holds) only take their revision.
    mutating func append(stream: Int, firstPosition: Int64, time: Int64, events: [StoreEventData]) {
        precondition(firstPosition > self.lastPosition, "event positions must increase")
        let archived = Int(max(0, min(Int64(events.count), self.archive.archivedThrough - firstPosition + 1)))
        var revision = self.streams[stream].next + Int64(archived)
        var sequence = self.firstSequence + self.slots.count
        var position = firstPosition + Int64(archived)
        if archived > 0 {
            precondition(self.streams[stream].sequences.isEmpty, "archived events follow events kept in memory")
        }
        // No reserveCapacity(count + events.count) here: reserving the exact size reallocates and copies the
        // whole index on every append (quadratic in the stream's length); append's geometric growth is amortized.
        for data in events[archived...] {
            self.slots.append(
                Slot(event: Event(position: position, stream: stream, revision: revision, recordedAt: time, data: data))
            )
            self.streams[stream].sequences.append(sequence)
            self.bytes += KVStore.eventSize(data)
            revision += 1
            sequence += 1
            position += 1
        }
        self.streams[stream].next = revision
        self.lastPosition = firstPosition + Int64(events.count) - 1
    }

    /// Restores one event from a snapshot: events come in position order, and a stream's first restored event
    /// may have any revision (older ones were dropped). Returns false (changing nothing) when the event breaks
    /// an invariant.
    mutating func restore(_ event: Event) -> Bool {
        guard event.position > self.lastPosition, event.stream < self.streams.count, event.revision >= 0 else {
            return false
        }
        if self.streams[event.stream].sequences.isEmpty {
            guard event.revision >= self.streams[event.stream].next else {
                return false
            }
            self.streams[event.stream].next = event.revision
        } else if event.revision != self.streams[event.stream].next {
            return false
        }
        self.streams[event.stream].sequences.append(self.firstSequence + self.slots.count)
        self.slots.append(Slot(event: event))
        self.bytes += KVStore.eventSize(event.data)
        self.streams[event.stream].next = event.revision + 1
        self.lastPosition = event.position
        return true
    }

    /// Sets the next revision of a stream whose kept events (if any) end below it: for a restored stream whose
    /// newest events were all dropped. Returns false if that would leave a gap after kept events.
    mutating func restoreNextRevision(of stream: Int, _ next: Int64) -> Bool {
        if self.streams[stream].sequences.isEmpty {
            guard next >= self.streams[stream].next else {
                return false
            }
            self.streams[stream].next = next
            return true
        }
        return self.streams[stream].next == next
    }

    /// Erases the events of `stream` with a revision below `revision` and a position below `position` (an
    /// erasure never reaches events written after the write that asked for it). Returns how many were erased.
    @discardableResult
    mutating func drop(stream: Int, below revision: Int64, beforePosition position: Int64) -> Int {
        let first = self.firstKeptRevision(of: stream)
        guard revision > first else {
            return 0
        }
        var erased = 0
        let sequences = self.streams[stream].sequences
        let limit = Int(min(revision - first, Int64(sequences.count)))
        while erased < limit {
            let index = sequences[erased] - self.firstSequence
            guard self.slots[index].event.position < position else {
                break
            }
            self.slots[index].erased = true
            self.bytes -= KVStore.eventSize(self.slots[index].event.data)
            self.slots[index].event.data = Self.emptyData
            erased += 1
        }
        guard erased > 0 else {
            return 0
        }
        self.streams[stream].sequences.removeFirst(erased)
        self.erasedCount += erased
        while let front = self.slots.first, front.erased {
            self.slots.removeFirst()
            self.firstSequence += 1
            self.erasedCount -= 1
        }
        if self.erasedCount > 4096 && self.erasedCount > self.slots.count / 2 {
            self.compact()
        }
        return erased
    }

    private static let emptyData = StoreEventData(id: "", type: "", data: [])

    // MARK: - Archiving

    /// The oldest kept events with a position at or below `position` (the durable ones), in position order: at most
    /// `maxEvents`, and at most `maxBytes` by `cost` (always at least one when there is one).
    func oldest(throughPosition position: Int64, maxEvents: Int, maxBytes: Int, cost: (Event) -> Int) -> [Event] {
        var events: [Event] = []
        var total = 0
        for slot in self.slots where !slot.erased {
            if slot.event.position > position || events.count == maxEvents {
                break
            }
            let size = cost(slot.event)
            if !events.isEmpty && total + size > maxBytes {
                break
            }
            total += size
            events.append(slot.event)
        }
        return events
    }

    /// For each event of `events` (in position order), whether it is still kept in memory (not erased since).
    func keptPositions(of events: [Event]) -> [Bool] {
        var kept = [Bool](repeating: false, count: events.count)
        guard let first = events.first else {
            return kept
        }
        var index = self.lowerBound(first.position)
        for (offset, event) in events.enumerated() {
            while index < self.slots.count && self.slots[index].event.position < event.position {
                index += 1
            }
            if index < self.slots.count && self.slots[index].event.position == event.position {
                kept[offset] = !self.slots[index].erased
            }
        }
        return kept
    }

    /// Records a sealed chunk in the archive index and removes every event at or below its last position from
    /// memory (they are in the chunk, or were erased meanwhile).
    mutating func archive(_ chunk: StoreArchiveChunk, streamIDs: [Int], oldest: [Int64]) {
        self.archive.add(chunk, streamIDs: streamIDs, oldest: oldest)
        self.evict(throughPosition: chunk.lastPosition)
    }

    /// Raises the archive watermark (recovery: a snapshot's) and removes what it covers from memory.
    mutating func archived(through position: Int64) {
        self.archive.raiseWatermark(to: position)
        self.evict(throughPosition: self.archive.archivedThrough)
    }

    /// Removes the events at or below `position` from memory.
    private mutating func evict(throughPosition position: Int64) {
        var evicted = 0
        var touched: [Int] = []
        while let front = self.slots.first, front.event.position <= position {
            self.slots.removeFirst()
            evicted += 1
            if front.erased {
                self.erasedCount -= 1
            } else {
                self.bytes -= KVStore.eventSize(front.event.data)
                touched.append(front.event.stream)
            }
        }
        guard evicted > 0 else {
            return
        }
        self.firstSequence += evicted
        for stream in touched where !self.streams[stream].sequences.isEmpty {
            let sequences = self.streams[stream].sequences
            var drop = 0
            while drop < sequences.count && sequences[drop] < self.firstSequence {
                drop += 1
            }
            if drop > 0 {
                self.streams[stream].sequences.removeFirst(drop)
            }
        }
    }

    /// Removes erased slots and renumbers: O(events), run only when most slots are erased.
    private mutating func compact() {
        var kept = Deque<Slot>()
        kept.reserveCapacity(self.count)
        for slot in self.slots where !slot.erased {
            kept.append(slot)
        }
        for stream in self.streams.indices {
            self.streams[stream].sequences.removeAll(keepingCapacity: true)
        }
        for (sequence, slot) in kept.enumerated() {
            self.streams[slot.event.stream].sequences.append(sequence)
        }
        self.slots = kept
        self.firstSequence = 0
        self.erasedCount = 0
    }

    // MARK: - Reading

    /// Index in `slots` of the first slot with a position at or after `position`.
    private func lowerBound(_ position: Int64) -> Int {
        var low = 0
        var high = self.slots.count
        while low < high {
            let mid = (low + high) >> 1
            if self.slots[mid].event.position < position {
                low = mid + 1
            } else {
                high = mid
            }
        }
        return low
    }

    /// Visits kept events with a position at or after `position`, in position order, while `body` returns true.
    func forEach(fromPosition position: Int64, _ body: (Event) -> Bool) {
        var index = self.lowerBound(position)
        while index < self.slots.count {
            let slot = self.slots[index]
            index += 1
            if !slot.erased && !body(slot.event) {
                return
            }
        }
    }

    /// Visits kept events with a position at or before `position`, newest first, while `body` returns true.
    func forEachBackward(throughPosition position: Int64, _ body: (Event) -> Bool) {
        var index = self.lowerBound(position == Int64.max ? position : position + 1) - 1
        while index >= 0 {
            let slot = self.slots[index]
            index -= 1
            if !slot.erased && !body(slot.event) {
                return
            }
        }
    }

    /// Visits the stream's kept events from `revision` on, in revision order, while `body` returns true.
    func forEach(stream: Int, fromRevision revision: Int64, _ body: (Event) -> Bool) {
        let index = self.streams[stream]
        let first = index.next - Int64(index.sequences.count)
        var offset = Int(max(0, min(revision - first, Int64(index.sequences.count))))
        while offset < index.sequences.count {
            let event = self.slots[index.sequences[offset] - self.firstSequence].event
            offset += 1
            if !body(event) {
                return
            }
        }
    }

    /// Visits the stream's kept events at or below `revision`, newest first, while `body` returns true.
    func forEachBackward(stream: Int, throughRevision revision: Int64, _ body: (Event) -> Bool) {
        let index = self.streams[stream]
        let first = index.next - Int64(index.sequences.count)
        guard revision >= first else {
            return
        }
        var offset = Int(min(revision - first, Int64(index.sequences.count) - 1))
        while offset >= 0 {
            let event = self.slots[index.sequences[offset] - self.firstSequence].event
            offset -= 1
            if !body(event) {
                return
            }
        }
    }

    /// The stream's kept event at `revision`, if any.
    func event(stream: Int, revision: Int64) -> Event? {
        let index = self.streams[stream]
        let first = index.next - Int64(index.sequences.count)
        guard revision >= first && revision < index.next else {
            return nil
        }
        return self.slots[index.sequences[Int(revision - first)] - self.firstSequence].event
    }

    /// The position of the stream's first kept event at or after `revision`, if any.
    func firstPosition(stream: Int, fromRevision revision: Int64) -> Int64? {
        var found: Int64? = nil
        self.forEach(stream: stream, fromRevision: revision) { event in
            found = event.position
            return false
        }
        return found
    }

    /// The revision of the stream's last event with a position at or before `position` (-1 = none).
    ///
    /// Walks back over the events after `position` only (the not yet durable ones, when `position` is the
    /// durable revision). Dropped events count as at or before any position asked about: they are dropped only
    /// once the write that dropped them, which follows them, is durable.
    func lastRevision(of stream: Int, atOrBefore position: Int64) -> Int64 {
        let index = self.streams[stream]
        var after = 0
        var offset = index.sequences.count - 1
        while offset >= 0 && self.slots[index.sequences[offset] - self.firstSequence].event.position > position {
            after += 1
            offset -= 1
        }
        return index.next - 1 - Int64(after)
    }
}
