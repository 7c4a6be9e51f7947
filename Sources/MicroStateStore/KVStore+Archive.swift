import Dispatch

/// Bounded memory (ADR 0004 §7): durable events beyond the memory window move to archive chunks, and readers visit
/// archived and in-memory events as one sequence.
///
/// Archiving: when the events in memory exceed `StoreLimits.memoryWindowEvents` (or `memoryWindowBytes`) by a chunk's
/// worth, the oldest durable ones are handed to the archive queue, which encodes them (`EventPayload`) and seals
/// them into a chunk without the store lock; then, under the lock, the chunk goes into the index, the watermark
/// (`ArchiveIndex.archivedThrough`) rises and the events leave memory. One seal runs at a time. A failed seal loses
/// nothing (the events stay in memory and in the log) and is retried after a backoff; `archiveFailures` counts them.
///
/// Reading: the `forEachEvent` visitors walk chunks then memory (forwards) or memory then chunks (backwards). A
/// chunk not in the decoded cache is read and decoded with the lock released; the reader's revision is pinned
/// meanwhile (`readPins`), so the settings, checkpoints and views it filters with stay those of its revision, and it
/// continues by position (or revision), so nothing is visited twice or skipped when chunks are sealed or rewritten
/// meanwhile.
extension KVStore {
    /// A run of durable events handed to the archive queue.
    struct ArchiveBatch {
        var events: [EventLog.Event]
        var streams: [String]
    }

    /// The longest a failed seal waits before the next attempt (the first waits 1 s, then it doubles).
    static let maxArchiveBackoffMilliseconds = 30_000
    /// How long an append waits at most for the archiver to catch up (`maxArchiveBacklogChunks`).
    static let backpressureWaitMilliseconds = 1_000
    /// Chunk reads one visit retries when the chunk keeps changing under it (a bound, never reached in practice).
    static let maxChunkRetries = 64

    // MARK: - Recovery

    /// Builds the archive index from the archive's chunk list (headers and footers only). Lock held; once.
    func loadArchiveIndex() {
        guard let archive = self.archive, !self.archiveIndexLoaded else {
            return
        }
        self.archiveIndexLoaded = true
        for chunk in archive.chunks {
            let ids = chunk.streams.map { self.streamID(creating: $0.stream) }
            let unknown = [Int64](repeating: Int64.min, count: ids.count)
            self.eventLog.updateArchive { $0.add(chunk, streamIDs: ids, oldest: unknown) }
        }
    }

    /// Ends recovery for a store with an archive: checks that the archive and the log agree, then starts archiving.
    /// Call it after `restore` and every `replay`, before serving; without an archive it does nothing.
    ///
    /// Archive chunks holding positions beyond the log's last revision can only come from a power loss in `os`
    /// durability (a chunk is fsynced when sealed, the log's records were not): with `trimmingArchive` they are
    /// trimmed away (as the log lost those events, so does the archive) and the number of events dropped is returned;
    /// without it they fail with `internal` (corruption: in `fsync` mode every archived event's record was synced
    /// first). Throws `internal` also when the archive cannot be trimmed.
    @discardableResult
    public func finishRecovery(trimmingArchive: Bool = false) throws(StoreError) -> Int {
        guard let archive = self.archive else {
            return 0
        }
        self.lock.lock()
        self.loadArchiveIndex()
        let end = self.revision
        let beyond = self.eventLog.archive.chunks.filter { $0.lastPosition > end }
        if !beyond.isEmpty && !trimmingArchive {
            self.unlockAndDrain()
            throw StoreError.corrupt(
                "the event archive holds positions up to \(beyond.last!.lastPosition) but the log ends at revision "
                    + "\(end): archived events are missing from the log"
            )
        }
        self.unlockAndDrain()
        var trimmed = 0
        for chunk in beyond {
            var seen = Set<String>()
            let result: StoreArchiveChunk?
            do {
                if chunk.firstPosition > end {
                    try archive.remove(chunk: chunk.id)
                    result = nil
                } else {
                    result = try archive.rewrite(chunk: chunk.id) { event in
                        seen.insert(event.stream)
                        return event.position <= end
                    }
                }
            } catch {
                throw StoreError(
                    code: .internal,
                    message: "trimming archive chunk \(chunk.id) beyond the log's end (revision \(end)) failed",
                    cause: error
                )
            }
            self.lock.lock()
            let previous = Set(
                (0..<self.streams.count).filter { stream in
                    self.eventLog.archive.runs[stream].contains { $0.chunk == chunk.id }
                }
            )
            let ids = result?.streams.map { self.streamID(creating: $0.stream) } ?? []
            let unknown = [Int64](repeating: Int64.min, count: ids.count)
            self.eventLog.updateArchive {
                $0.replace(chunk.id, with: result, streamIDs: ids, oldest: unknown, previousStreams: previous)
            }
            self.decodedChunks.remove(id: chunk.id)
            self.unlockAndDrain()
            trimmed += chunk.eventCount - (result?.eventCount ?? 0)
        }
        var deferred = Deferred()
        self.lock.lock()
        if !beyond.isEmpty {
            self.eventLog.updateArchive { $0.resetWatermark(to: min($0.archivedThrough, end)) }
        }
        for id in 0..<self.streams.count {
            if let last = self.eventLog.archive.runs[id].last, last.lastRevision >= self.eventLog.nextRevision(of: id) {
                self.unlockAndDrain()
                throw StoreError.corrupt(
                    "the event archive holds revision \(last.lastRevision) of stream "
                        + "\(StoreError.quote(self.streams[id].name)) but the log ends at revision "
                        + "\(self.eventLog.nextRevision(of: id) - 1) of it"
                )
            }
        }
        self.archiveRecovered = true
        self.scheduleArchiveIfDue(deferred: &deferred)
        // Events a crash kept from being erased (a scavenge cut short, a delete not yet scavenged) go now.
        deferred.scavenge = true
        self.unlockAndRun(&deferred)
        return trimmed
    }

    // MARK: - Archiving (lock held unless noted)

    /// Hands the oldest durable events to the archive queue when memory holds a chunk's worth beyond the window and
    /// no seal runs; updates the back-pressure gate.
    func scheduleArchiveIfDue(deferred: inout Deferred) {
        guard let limits = self.archiveLimits, self.archiveRecovered else {
            return
        }
        defer { self.updateBackpressure() }
        guard !self.archiveBusy, !self.archiveFailing, !self.closed else {
            return
        }
        let overEvents = self.eventLog.count - self.limits.memoryWindowEvents
        let overBytes = self.eventLog.bytes - self.limits.memoryWindowBytes
        guard overEvents >= limits.maxEventsPerChunk || overBytes >= limits.maxChunkRawBytes else {
            return
        }
        let overhead = limits.entryOverheadBytes
        let events = self.eventLog.oldest(
            throughPosition: self.durable,
            maxEvents: limits.maxEventsPerChunk,
            maxBytes: limits.maxChunkRawBytes
        ) { EventPayload.bound($0.data) + overhead }
        guard !events.isEmpty else {
            return
        }
        // A whole chunk only: stopping short means the next events are not durable yet (their completion will call
        // this again).
        let raw = events.reduce(0) { $0 + EventPayload.bound($1.data) + overhead }
        let nextIsDurable = events.count < self.eventLog.count && self.isDurableAfter(events.last!.position)
        guard events.count == limits.maxEventsPerChunk || (nextIsDurable && raw > limits.maxChunkRawBytes / 2) else {
            return
        }
        self.archiveBusy = true
        deferred.archiveBatch = ArchiveBatch(events: events, streams: events.map { self.streams[$0.stream].name })
    }

    /// Whether the first kept event after `position` is durable (it stopped a batch at the byte bound, not at the
    /// durability boundary).
    private func isDurableAfter(_ position: Int64) -> Bool {
        var durable = false
        self.eventLog.forEach(fromPosition: position + 1) { event in
            durable = event.position <= self.durable
            return false
        }
        return durable
    }

    /// Closes the back-pressure gate while more than `maxArchiveBacklogChunks` chunks wait beyond the window (and
    /// archiving works), opens it otherwise.
    func updateBackpressure() {
        guard let limits = self.archiveLimits else {
            return
        }
        let backlog = self.limits.maxArchiveBacklogChunks
        let over =
            self.eventLog.count > self.limits.memoryWindowEvents + backlog * limits.maxEventsPerChunk
            || self.eventLog.bytes > self.limits.memoryWindowBytes + backlog * limits.maxChunkRawBytes
        self.backpressure.set(closed: over && self.archiveRecovered && !self.archiveFailing && !self.closed)
    }

    /// Encodes and seals a batch, then records the chunk and evicts its events. On the archive queue; no lock held.
    func sealArchiveBatch(_ batch: ArchiveBatch) {
        guard let archive = self.archive else {
            return
        }
        // Events erased (hard delete, truncation, scavenge) since the batch was taken are not sealed.
        self.lock.lock()
        let kept = self.eventLog.keptPositions(of: batch.events)
        self.unlockAndDrain()
        var entries: [StoreArchivedEvent] = []
        entries.reserveCapacity(batch.events.count)
        var events: [EventLog.Event] = []
        events.reserveCapacity(batch.events.count)
        var oldest: [String: Int64] = [:]
        for (index, event) in batch.events.enumerated() where kept[index] {
            let stream = batch.streams[index]
            entries.append(
                StoreArchivedEvent(
                    position: event.position,
                    stream: stream,
                    revision: event.revision,
                    payload: EventPayload.encode(event)
                )
            )
            events.append(event)
            oldest[stream] = min(oldest[stream] ?? Int64.max, event.recordedAt)
        }
        let result: Result<StoreArchiveChunk?, any Error> = Result { entries.isEmpty ? nil : try archive.seal(entries) }
        var deferred = Deferred()
        self.lock.lock()
        self.archiveBusy = false
        switch result {
        case .success(nil):
            // Everything was erased meanwhile: nothing to seal, but the positions are done with.
            self.eventLog.archived(through: batch.events.last!.position)
        case .success(let chunk?):
            let ids = chunk.streams.map { self.streamID(creating: $0.stream) }
            self.eventLog.archive(chunk, streamIDs: ids, oldest: chunk.streams.map { oldest[$0.stream] ?? Int64.min })
            if let index = self.eventLog.archive.index(of: chunk.id) {
                // The newest chunk is the likeliest to be read next (a subscriber just behind the window).
                let generation = self.eventLog.archive.chunks[index].generation
                self.decodedChunks.insert(id: chunk.id, generation: generation, events: events)
            }
            self.archiveBackoffMilliseconds = 1_000
        case .failure(let error):
            self.archiveFailures += 1
            self.archiveFailing = true
            self.lastArchiveError = "\(error)"
            deferred.archiveRetryMilliseconds = self.archiveBackoffMilliseconds
            self.archiveBackoffMilliseconds = min(
                2 * self.archiveBackoffMilliseconds,
                Self.maxArchiveBackoffMilliseconds
            )
        }
        self.scheduleArchiveIfDue(deferred: &deferred)
        self.unlockAndRun(&deferred)
    }

    /// After a failed seal's backoff: allows the next attempt. On the archive queue.
    func retryArchive() {
        var deferred = Deferred()
        self.lock.lock()
        self.archiveFailing = false
        self.scheduleArchiveIfDue(deferred: &deferred)
        self.unlockAndRun(&deferred)
    }

    /// Waits (before taking the lock) while the archiver is far behind; see `StoreLimits.maxArchiveBacklogChunks`.
    @inline(__always)
    func waitForArchiveBacklog() {
        if self.backpressure.isClosed {
            self.backpressure.wait(milliseconds: Self.backpressureWaitMilliseconds)
        }
    }

    /// Waits until no seal is queued or running and none is due (tests and benchmarks: "archiving caught up").
    /// Returns false if archiving is failing.
    @discardableResult
    public func waitForArchiving() -> Bool {
        guard self.archive != nil else {
            return true
        }
        while true {
            self.archiveQueue.sync {}
            self.lock.lock()
            let idle = !self.archiveBusy
            let failing = self.archiveFailing
            self.unlockAndDrain()
            if failing {
                return false
            }
            if idle {
                return true
            }
        }
    }

    // MARK: - Reading archived events (lock held on entry and on return)

    /// The decoded events of the chunk at `index` in the archive index, from the cache, or read and decoded with the
    /// lock released and `head` pinned. Nil when the chunk was rewritten or removed meanwhile: look it up again.
    func archivedEvents(ofChunkAt index: Int, head: Int64) throws(StoreError) -> [EventLog.Event]? {
        let chunk = self.eventLog.archive.chunks[index]
        if let cached = self.decodedChunks.events(id: chunk.id, generation: chunk.generation) {
            return cached
        }
        guard let archive = self.archive else {
            preconditionFailure("archived events without an archive")
        }
        self.readPins.append(head)
        self.unlockAndDrain()
        // Decoded without the lock; stream names are kept once per run of events of one stream, and resolved to
        // stream ids under the lock.
        var decoded: Result<(events: [EventLog.Event], runs: [(start: Int, stream: String)]), StoreError> = Result {
            () throws(StoreError) in
            let stored: [StoreArchivedEvent]
            do {
                stored = try archive.read(chunk: chunk.id)
            } catch {
                throw StoreError(code: .internal, message: "reading archive chunk \(chunk.id) failed", cause: error)
            }
            var events: [EventLog.Event] = []
            events.reserveCapacity(stored.count)
            var runs: [(start: Int, stream: String)] = []
            for entry in stored {
                let (recordedAt, data) = try EventPayload.decode(
                    entry.payload,
                    what: "archive chunk \(chunk.id) event at position \(entry.position)"
                )
                if runs.last?.stream != entry.stream {
                    runs.append((events.count, entry.stream))
                }
                events.append(
                    EventLog.Event(
                        position: entry.position,
                        stream: -1,
                        revision: entry.revision,
                        recordedAt: recordedAt,
                        data: data
                    )
                )
            }
            return (events, runs)
        }
        self.lock.lock()
        if let pin = self.readPins.firstIndex(of: head) {
            self.readPins.remove(at: pin)
        }
        guard let current = self.eventLog.archive.index(of: chunk.id),
            self.eventLog.archive.chunks[current].generation == chunk.generation
        else {
            return nil
        }
        var (events, runs) = try decoded.get()
        decoded = .success(([], []))  // `events` is now the only reference: resolving in place copies nothing
        for (index, run) in runs.enumerated() {
            guard let id = self.streamIDs[run.stream] else {
                throw StoreError.corrupt("archive chunk \(chunk.id) holds an event of unknown stream \(run.stream)")
            }
            let end = index + 1 < runs.count ? runs[index + 1].start : events.count
            for offset in run.start..<end {
                events[offset].stream = id
            }
        }
        self.decodedChunks.insert(id: chunk.id, generation: chunk.generation, events: events)
        return events
    }

    /// Index of the first event at or after `position` in a chunk's events (sorted by position).
    static func firstIndex(_ events: [EventLog.Event], atOrAfter position: Int64) -> Int {
        var low = 0
        var high = events.count
        while low < high {
            let mid = (low + high) >> 1
            if events[mid].position < position {
                low = mid + 1
            } else {
                high = mid
            }
        }
        return low
    }

    /// Visits every kept event (archived, then in memory) at or after `start`, in position order, while `body`
    /// returns true. `body` runs with the lock held; between chunks the lock may have been released.
    func forEachEvent(fromPosition start: Int64, head: Int64, _ body: (EventLog.Event) -> Bool) throws(StoreError) {
        var position = start
        var retries = 0
        while position <= self.eventLog.archive.archivedThrough,
            let index = self.eventLog.archive.firstChunk(endingAtOrAfter: position)
        {
            let last = self.eventLog.archive.chunks[index].lastPosition
            guard let events = try self.archivedEvents(ofChunkAt: index, head: head) else {
                try Self.countRetry(&retries)
                continue
            }
            var offset = Self.firstIndex(events, atOrAfter: position)
            while offset < events.count {
                if !body(events[offset]) {
                    return
                }
                offset += 1
            }
            position = max(position, last + 1)
        }
        self.eventLog.forEach(fromPosition: position, body)
    }

    /// Visits every kept event at or before `end`, newest first (memory, then archived), while `body` returns true.
    func forEachEventBackward(
        throughPosition end: Int64,
        head: Int64,
        _ body: (EventLog.Event) -> Bool
    ) throws(StoreError) {
        var stopped = false
        self.eventLog.forEachBackward(throughPosition: end) { event in
            if !body(event) {
                stopped = true
                return false
            }
            return true
        }
        if stopped {
            return
        }
        var position = min(end, self.eventLog.archive.archivedThrough)
        var retries = 0
        while position > 0, let index = self.eventLog.archive.lastChunk(startingAtOrBefore: position) {
            let first = self.eventLog.archive.chunks[index].firstPosition
            guard let events = try self.archivedEvents(ofChunkAt: index, head: head) else {
                try Self.countRetry(&retries)
                continue
            }
            var offset = Self.firstIndex(events, atOrAfter: position == Int64.max ? position : position + 1) - 1
            while offset >= 0 {
                if !body(events[offset]) {
                    return
                }
                offset -= 1
            }
            position = min(position, first - 1)
        }
    }

    /// Visits the stream's kept events (archived, then in memory) from revision `start` on, in revision order, while
    /// `body` returns true.
    func forEachEvent(
        stream id: Int,
        fromRevision start: Int64,
        head: Int64,
        _ body: (EventLog.Event) -> Bool
    ) throws(StoreError) {
        var revision = start
        var retries = 0
        while revision < self.eventLog.firstKeptRevision(of: id),
            let run = self.eventLog.archive.firstRun(id, endingAtOrAfter: revision),
            let index = self.eventLog.archive.index(of: run.chunk)
        {
            guard let events = try self.archivedEvents(ofChunkAt: index, head: head) else {
                try Self.countRetry(&retries)
                continue
            }
            for event in events where event.stream == id && event.revision >= revision {
                if !body(event) {
                    return
                }
            }
            revision = max(revision, run.lastRevision + 1)
        }
        self.eventLog.forEach(stream: id, fromRevision: revision, body)
    }

    /// Visits the stream's kept events at or below revision `end`, newest first (memory, then archived), while
    /// `body` returns true.
    func forEachEventBackward(
        stream id: Int,
        throughRevision end: Int64,
        head: Int64,
        _ body: (EventLog.Event) -> Bool
    ) throws(StoreError) {
        var stopped = false
        self.eventLog.forEachBackward(stream: id, throughRevision: end) { event in
            if !body(event) {
                stopped = true
                return false
            }
            return true
        }
        if stopped {
            return
        }
        var revision = min(end, self.eventLog.firstKeptRevision(of: id) - 1)
        var retries = 0
        while revision >= 0, let run = self.eventLog.archive.lastRun(id, startingAtOrBefore: revision),
            let index = self.eventLog.archive.index(of: run.chunk)
        {
            guard let events = try self.archivedEvents(ofChunkAt: index, head: head) else {
                try Self.countRetry(&retries)
                continue
            }
            for event in events.reversed() where event.stream == id && event.revision <= revision {
                if !body(event) {
                    return
                }
            }
            revision = min(revision, run.firstRevision - 1)
        }
    }

    private static func countRetry(_ retries: inout Int) throws(StoreError) {
        retries += 1
        if retries > Self.maxChunkRetries {
            throw StoreError.unavailable("the event archive kept changing under a read; retry it")
        }
    }

    /// The position of the stream's first kept event at or after `revision`, or a lower bound of it (the first
    /// position of the archive chunk holding it) when it is archived. Lock held; no I/O.
    func firstPosition(stream id: Int, fromRevision revision: Int64) -> Int64? {
        if revision < self.eventLog.firstKeptRevision(of: id),
            let run = self.eventLog.archive.firstRun(id, endingAtOrAfter: revision),
            let index = self.eventLog.archive.index(of: run.chunk)
        {
            return self.eventLog.archive.chunks[index].firstPosition
        }
        return self.eventLog.firstPosition(stream: id, fromRevision: revision)
    }

    /// The stream's kept event at `revision` (archived or in memory). May release the lock to read a chunk.
    func keptEvent(stream id: Int, revision: Int64, head: Int64) throws(StoreError) -> EventLog.Event? {
        if revision >= self.eventLog.firstKeptRevision(of: id) {
            return self.eventLog.event(stream: id, revision: revision)
        }
        var found: EventLog.Event? = nil
        try self.forEachEvent(stream: id, fromRevision: revision, head: head) { event in
            if event.revision == revision {
                found = event
            }
            return false
        }
        return found
    }
}
