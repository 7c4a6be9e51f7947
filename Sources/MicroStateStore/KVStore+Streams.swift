import DequeModule

/// Event streams (ADR 0004): EventStoreDB-style streams on the store's one revision counter.
///
/// Every event takes one global revision, its `$all` position; an append of N events is one log record taking N
/// consecutive revisions; an ack, a stream-metadata change, a stream delete and an aggregate-snapshot save each
/// take one. Like KV writes they apply at once under the lock (so the next write's checks see them) and become
/// visible, and complete, once durable (ADR 0001): reads, infos and subscriptions see the state at
/// `durableRevision` only. All event storage is behind `EventLog`.
extension KVStore {
    /// The name that reads or subscribes to every stream, in position order. Stream names starting with `$` are
    /// reserved: no other may be written, read or subscribed.
    public static let allStreams = "$all"

    /// Events examined (visible or not) per read or poll beyond the events returned: bounds the lock hold when
    /// many events are hidden or filtered out.
    static let scanBudget = 65_536

    // MARK: - Append

    /// Appends `events` to `stream` atomically (one log record) if `expected` holds; `completion` runs once the
    /// record is durable.
    ///
    /// Idempotent by event id (ADR 0004 §4), checked before the expectation: if every id was written before
    /// (within `eventIDWindowMilliseconds`, among the last `maxEventIDs`) to this stream, consecutively and in
    /// this order, the original result is returned and nothing is written (once the original is durable); if
    /// only some were, or elsewhere, or in another order, it fails with `alreadyExists` naming the first such id
    /// and where it was written. An empty id is allowed, never remembered, and counts as not written.
    ///
    /// Fails with `invalidArgument` (a limit of `StoreLimits`, no events, an empty type, the same id twice, a
    /// reserved or malformed stream name), `aborted` (the expectation; `currentRevision` = the stream's last
    /// revision, -1 = none), `failedPrecondition` (the stream is hard-deleted) or `unavailable`.
    public func append(
        stream: String,
        expected: StoreExpectedRevision,
        events: [StoreEventData],
        completion: @escaping @Sendable (Result<StoreAppendResult, StoreError>) -> Void
    ) {
        if let error = self.validateStreamName(stream) ?? Self.validateExpected(expected)
            ?? self.validateEvents(events, stream: stream)
        {
            return completion(.failure(error))
        }
        self.waitForArchiveBacklog()
        var deferred = Deferred()
        self.lock.lock()
        self.assertRecovered()
        if let error = self.writeRefusal() {
            self.unlockAndDrain()
            return completion(.failure(error))
        }
        let now = self.clock.nowMilliseconds()
        let existing = self.streamIDs[stream]
        let settings = existing.flatMap { self.streams[$0].settings.latest } ?? StreamSettings()
        if settings.hardDeleted {
            self.unlockAndDrain()
            return completion(.failure(Self.hardDeleted(stream, "cannot append to it")))
        }
        switch self.checkEventIDs(stream: stream, id: existing, events: events, now: now) {
        case .fresh:
            break
        case .repeated(let result):
            if result.position <= self.durable {
                self.unlockAndDrain()
                return completion(.success(result))
            }
            self.insertPending(
                .stream(revision: result.position) { completion($0.map { .failure($0) } ?? .success(result)) }
            )
            self.unlockAndDrain()
            return
        case .conflict(let error):
            self.unlockAndDrain()
            return completion(.failure(error))
        }
        let last = existing.map { self.eventLog.nextRevision(of: $0) - 1 } ?? -1
        if let error = Self.expectationFailure(
            expected,
            stream: stream,
            last: last,
            deleted: settings.deleted,
            action: "append to"
        ) {
            self.unlockAndDrain()
            return completion(.failure(error))
        }
        let id = existing ?? self.streamID(creating: stream)
        let position = self.revision + Int64(events.count)
        self.revision = position
        self.applyAppend(stream: id, events: events, lastPosition: position, time: now)
        let result = StoreAppendResult(
            firstRevision: last + 1,
            lastRevision: last + Int64(events.count),
            position: position
        )
        self.commitStreamWrite(
            [.append(stream: stream, events: events)],
            revision: position,
            time: now,
            result: result,
            completion: completion,
            deferred: &deferred
        )
    }

    // MARK: - Read

    /// Reads up to `maxCount` visible durable events of `stream` (or of every stream, in position order, for
    /// `$all`) from `from` on, inclusive: a stream revision, or a position on `$all`.
    ///
    /// `maxCount` ≤ 0 or above `maxReadCount` means `maxReadCount`; the batch also stops before `maxBytes` (≤ 0 =
    /// no byte bound), always holding at least one event. `backwards` reads newest first; `from` -1 then starts
    /// at the end (the durable head on `$all`), and a `from` past the end starts at the end. Forwards, a `from`
    /// past the durable end returns an empty batch. Events hidden by retention (max count, max age by the
    /// store's clock and the event's recorded time, truncate-before, soft delete) are skipped, also on `$all`, as
    /// are the events of hard-deleted streams. `next` says where to continue; a batch may hold fewer events than
    /// asked (even none) with `next` set when many events were skipped.
    ///
    /// Throws `notFound` for a stream never written (durably) or hard-deleted, `invalidArgument` for a malformed
    /// or reserved name or a `from` below -1 (or -1 forwards).
    public func read(
        stream: String,
        from: Int64,
        backwards: Bool,
        maxCount: Int,
        maxBytes: Int
    ) throws(StoreError) -> StoreReadBatch {
        let isAll = stream == Self.allStreams
        if !isAll, let error = self.validateStreamName(stream) {
            throw error
        }
        guard from >= -1 else {
            throw StoreError.invalidArgument("read of stream \(StoreError.quote(stream)) from \(from): below -1")
        }
        guard from != -1 || backwards else {
            throw StoreError.invalidArgument(
                "read of stream \(StoreError.quote(stream)) from -1 (the end) must read backwards"
            )
        }
        var collector = BatchCollector(
            maxCount: maxCount <= 0 ? self.limits.maxReadCount : min(maxCount, self.limits.maxReadCount),
            maxBytes: maxBytes <= 0 ? Int.max : maxBytes
        )
        self.lock.lock()
        defer { self.unlockAndDrain() }
        self.assertRecovered()
        let now = self.clock.nowMilliseconds()
        if isAll {
            let next =
                backwards
                ? try self.readAllBackwards(from: from, now: now, into: &collector)
                : try self.readAllForwards(from: from, now: now, into: &collector)
            return StoreReadBatch(events: collector.events, next: next)
        }
        guard let id = self.streamIDs[stream] else {
            throw StoreError.notFound("stream \(StoreError.quote(stream)) not found")
        }
        let view = self.streamView(id, at: self.durable, now: now)
        if view.hardDeleted {
            throw StoreError.notFound("stream \(StoreError.quote(stream)) not found: it is hard-deleted")
        }
        if view.last < 0 {
            throw StoreError.notFound("stream \(StoreError.quote(stream)) not found: it has no events")
        }
        let head = self.durable
        var next: Int64? = nil
        if backwards {
            let start = from == -1 ? view.last : min(from, view.last)
            try self.forEachEventBackward(stream: id, throughRevision: start, head: head) { event in
                if event.revision < view.lowest {
                    return false
                }
                guard collector.scan(event, self, included: { view.isVisible(event) }) else {
                    next = event.revision
                    return false
                }
                return true
            }
        } else {
            let start = max(from, view.lowest)
            if start <= view.last {
                try self.forEachEvent(stream: id, fromRevision: start, head: head) { event in
                    if event.revision > view.last {
                        return false
                    }
                    guard collector.scan(event, self, included: { view.isVisible(event) }) else {
                        next = event.revision
                        return false
                    }
                    return true
                }
            }
        }
        return StoreReadBatch(events: collector.events, next: next)
    }

    private func readAllForwards(
        from: Int64,
        now: Int64,
        into collector: inout BatchCollector
    ) throws(StoreError) -> Int64? {
        let head = self.durable
        var views: [Int: StreamView] = [:]
        var next: Int64? = nil
        try self.forEachEvent(fromPosition: from, head: head) { event in
            if event.position > head {
                return false
            }
            guard collector.scan(event, self, included: { self.cachedView(event.stream, &views, at: head, now: now).isVisible(event) })
            else {
                next = event.position
                return false
            }
            return true
        }
        return next
    }

    private func readAllBackwards(
        from: Int64,
        now: Int64,
        into collector: inout BatchCollector
    ) throws(StoreError) -> Int64? {
        let head = self.durable
        var views: [Int: StreamView] = [:]
        var next: Int64? = nil
        try self.forEachEventBackward(throughPosition: from == -1 ? head : min(from, head), head: head) { event in
            guard collector.scan(event, self, included: { self.cachedView(event.stream, &views, at: head, now: now).isVisible(event) })
            else {
                next = event.position
                return false
            }
            return true
        }
        return next
    }

    @inline(__always)
    func cachedView(_ stream: Int, _ views: inout [Int: StreamView], at revision: Int64, now: Int64) -> StreamView {
        if let view = views[stream] {
            return view
        }
        let view = self.streamView(stream, at: revision, now: now)
        views[stream] = view
        return view
    }

    // MARK: - Stream metadata and delete

    /// Sets `stream`'s retention settings (replacing them); `completion` gets the write's global revision once
    /// durable. The stream need not have events. Events below `truncateBefore` are erased once the write is
    /// durable; `maxCount` and `maxAgeMilliseconds` hide events without erasing them (a later archive rewrite
    /// does). Fails with `invalidArgument` (name, a negative value), `failedPrecondition` (hard-deleted),
    /// `unavailable`.
    public func setStreamMetadata(
        stream: String,
        metadata: StoreStreamMetadata,
        completion: @escaping @Sendable (Result<Int64, StoreError>) -> Void
    ) {
        if let error = self.validateStreamName(stream) {
            return completion(.failure(error))
        }
        for (name, value) in [
            ("maxCount", metadata.maxCount), ("maxAgeMilliseconds", metadata.maxAgeMilliseconds),
            ("truncateBefore", metadata.truncateBefore),
        ] where value < 0 {
            return completion(
                .failure(.invalidArgument("stream \(StoreError.quote(stream)) metadata \(name) \(value) is negative"))
            )
        }
        var deferred = Deferred()
        self.lock.lock()
        if let error = self.writeRefusal() {
            self.unlockAndDrain()
            return completion(.failure(error))
        }
        if let id = self.streamIDs[stream], self.streams[id].settings.latest?.hardDeleted == true {
            self.unlockAndDrain()
            return completion(.failure(Self.hardDeleted(stream, "cannot set its metadata")))
        }
        let now = self.clock.nowMilliseconds()
        self.revision += 1
        let revision = self.revision
        let operation = StoreRecord.Operation.streamMetadata(stream: stream, metadata: metadata)
        self.applyStreamOperation(operation, revision: revision, time: now)
        self.commitStreamWrite(
            [operation],
            revision: revision,
            time: now,
            result: revision,
            completion: completion,
            deferred: &deferred
        )
    }

    /// What the store knows about `stream` at the durable revision. A stream never written reads as default
    /// metadata, last revision -1, not deleted (it is not an error: metadata may be read before any event).
    /// Throws `invalidArgument` for a malformed or reserved name.
    public func streamInfo(stream: String) throws(StoreError) -> StoreStreamInfo {
        if let error = self.validateStreamName(stream) {
            throw error
        }
        self.lock.lock()
        defer { self.unlockAndDrain() }
        guard let id = self.streamIDs[stream] else {
            return StoreStreamInfo(
                metadata: StoreStreamMetadata(),
                lastRevision: -1,
                deleted: false,
                hardDeleted: false
            )
        }
        let settings = self.streams[id].settings.at(self.durable) ?? StreamSettings()
        return StoreStreamInfo(
            metadata: settings.metadata,
            lastRevision: self.eventLog.lastRevision(of: id, atOrBefore: self.durable),
            deleted: settings.deleted || settings.hardDeleted,
            hardDeleted: settings.hardDeleted
        )
    }

    /// Deletes `stream` if `expected` holds; `completion` gets the write's global revision once durable.
    ///
    /// Soft (`hard` false): truncate-before becomes the next revision, so every current event is hidden (and
    /// erased once durable) and the stream reads as deleted until its next append, whose revisions continue.
    /// Hard: a tombstone forever: its events are erased, its aggregate snapshot removed, its subscriptions end,
    /// reads answer `notFound` and appends, metadata and snapshots `failedPrecondition`. Fails with `aborted` on
    /// the expectation (as `append`), `failedPrecondition` when already hard-deleted.
    public func deleteStream(
        stream: String,
        hard: Bool,
        expected: StoreExpectedRevision,
        completion: @escaping @Sendable (Result<Int64, StoreError>) -> Void
    ) {
        if let error = self.validateStreamName(stream) ?? Self.validateExpected(expected) {
            return completion(.failure(error))
        }
        var deferred = Deferred()
        self.lock.lock()
        if let error = self.writeRefusal() {
            self.unlockAndDrain()
            return completion(.failure(error))
        }
        let existing = self.streamIDs[stream]
        let settings = existing.flatMap { self.streams[$0].settings.latest } ?? StreamSettings()
        if settings.hardDeleted {
            self.unlockAndDrain()
            return completion(.failure(Self.hardDeleted(stream, "cannot delete it again")))
        }
        let last = existing.map { self.eventLog.nextRevision(of: $0) - 1 } ?? -1
        if let error = Self.expectationFailure(
            expected,
            stream: stream,
            last: last,
            deleted: settings.deleted,
            action: "delete of"
        ) {
            self.unlockAndDrain()
            return completion(.failure(error))
        }
        let now = self.clock.nowMilliseconds()
        self.revision += 1
        let revision = self.revision
        let operation = StoreRecord.Operation.deleteStream(stream: stream, hard: hard)
        self.applyStreamOperation(operation, revision: revision, time: now)
        self.commitStreamWrite(
            [operation],
            revision: revision,
            time: now,
            result: revision,
            completion: completion,
            deferred: &deferred
        )
    }

    // MARK: - Aggregate snapshots

    /// Records `state` as the latest snapshot of `stream`'s aggregate, covering stream revision `revision`;
    /// `completion` gets the write's global revision once durable. The latest save wins.
    ///
    /// `revision` must be a revision the stream has and does not hide (retention, soft delete), else
    /// `failedPrecondition`, as for a hard-deleted stream; `invalidArgument` for a state over
    /// `maxAggregateSnapshotBytes`, a negative revision or a bad name.
    public func saveAggregateSnapshot(
        stream: String,
        revision: Int64,
        state: [UInt8],
        completion: @escaping @Sendable (Result<Int64, StoreError>) -> Void
    ) {
        if let error = self.validateStreamName(stream) {
            return completion(.failure(error))
        }
        if revision < 0 {
            return completion(
                .failure(.invalidArgument("snapshot of stream \(StoreError.quote(stream)) at revision \(revision)"))
            )
        }
        if state.count > self.limits.maxAggregateSnapshotBytes {
            return completion(
                .failure(
                    .exceeds(
                        "aggregate snapshot state",
                        state.count,
                        limit: "maxAggregateSnapshotBytes",
                        self.limits.maxAggregateSnapshotBytes
                    )
                )
            )
        }
        var deferred = Deferred()
        self.lock.lock()
        if let error = self.writeRefusal() {
            self.unlockAndDrain()
            return completion(.failure(error))
        }
        let now = self.clock.nowMilliseconds()
        guard let id = self.streamIDs[stream] else {
            self.unlockAndDrain()
            return completion(
                .failure(
                    .failedPrecondition(
                        "snapshot of stream \(StoreError.quote(stream)) at revision \(revision): "
                            + "the stream has no events"
                    )
                )
            )
        }
        // An archived revision is read from its chunk (the lock is released meanwhile), then everything is checked
        // again against the state found after it.
        var event: EventLog.Event? = nil
        if revision < self.eventLog.firstKeptRevision(of: id) {
            do {
                event = try self.keptEvent(stream: id, revision: revision, head: self.durable)
            } catch {
                self.unlockAndDrain()
                return completion(.failure(error))
            }
            if let error = self.writeRefusal() {
                self.unlockAndDrain()
                return completion(.failure(error))
            }
        } else {
            event = self.eventLog.event(stream: id, revision: revision)
        }
        // The latest state, pending writes included: the same view the next write validates against.
        let view = self.streamView(id, at: Int64.max, now: now)
        if view.hardDeleted {
            self.unlockAndDrain()
            return completion(.failure(Self.hardDeleted(stream, "cannot save a snapshot of it")))
        }
        guard revision <= view.last, let event, view.isVisible(event) else {
            let why =
                revision > view.last
                ? "the stream's last revision is \(view.last)" : "that revision is hidden by retention or a delete"
            self.unlockAndDrain()
            return completion(
                .failure(
                    .failedPrecondition(
                        "snapshot of stream \(StoreError.quote(stream)) at revision \(revision): \(why)"
                    )
                )
            )
        }
        self.revision += 1
        let position = self.revision
        let operation = StoreRecord.Operation.aggregateSnapshot(stream: stream, revision: revision, state: state)
        self.applyStreamOperation(operation, revision: position, time: now)
        self.commitStreamWrite(
            [operation],
            revision: position,
            time: now,
            result: position,
            completion: completion,
            deferred: &deferred
        )
    }

    /// The latest durable aggregate snapshot of `stream`, or nil when none was saved. Throws `notFound` for a
    /// hard-deleted stream (its snapshot was removed with it), `invalidArgument` for a bad name.
    public func loadAggregateSnapshot(stream: String) throws(StoreError) -> StoreAggregateSnapshot? {
        if let error = self.validateStreamName(stream) {
            throw error
        }
        self.lock.lock()
        defer { self.unlockAndDrain() }
        guard let id = self.streamIDs[stream] else {
            return nil
        }
        if self.streams[id].settings.at(self.durable)?.hardDeleted == true {
            throw StoreError.notFound("stream \(StoreError.quote(stream)) not found: it is hard-deleted")
        }
        return self.streams[id].snapshot.at(self.durable) ?? nil
    }

    // MARK: - Validation

    /// Whether `name` may be written: non-empty, within `maxStreamNameBytes`, no control characters, not
    /// starting with `$`.
    func validateStreamName(_ name: String) -> StoreError? {
        let count = name.utf8.count
        if count == 0 {
            return .invalidArgument("stream name is empty")
        }
        if count > self.limits.maxStreamNameBytes {
            return .exceeds("stream name", count, limit: "maxStreamNameBytes", self.limits.maxStreamNameBytes)
        }
        if name.utf8.first == UInt8(ascii: "$") {
            return .invalidArgument(
                "stream name \(StoreError.quote(name)) starts with \"$\", which is reserved "
                    + "(only \"\(Self.allStreams)\" can be read or subscribed)"
            )
        }
        if Self.hasControlCharacter(name) {
            return .invalidArgument("stream name \(StoreError.quote(name)) contains a control character")
        }
        return nil
    }

    /// Whether `name` is a valid consumer group name: non-empty, within `maxGroupNameBytes`, no control
    /// characters.
    func validateGroupName(_ name: String) -> StoreError? {
        let count = name.utf8.count
        if count == 0 {
            return .invalidArgument("group name is empty")
        }
        if count > self.limits.maxGroupNameBytes {
            return .exceeds("group name", count, limit: "maxGroupNameBytes", self.limits.maxGroupNameBytes)
        }
        if Self.hasControlCharacter(name) {
            return .invalidArgument("group name \(StoreError.quote(name)) contains a control character")
        }
        return nil
    }

    static func hasControlCharacter(_ string: String) -> Bool {
        string.unicodeScalars.contains { $0.value < 0x20 || ($0.value >= 0x7F && $0.value <= 0x9F) }
    }

    static func validateExpected(_ expected: StoreExpectedRevision) -> StoreError? {
        if case .exact(let revision) = expected, revision < -1 {
            return .invalidArgument("expected revision \(revision) is below -1 (no stream)")
        }
        return nil
    }

    /// The size an event counts for `maxEventBytes`, `maxAppendBytes` and read byte bounds.
    static func eventSize(_ event: StoreEventData) -> Int {
        event.countedBytes
    }

    func validateEvents(_ events: [StoreEventData], stream: String) -> StoreError? {
        if events.isEmpty {
            return .invalidArgument("append to stream \(StoreError.quote(stream)) has no events")
        }
        if events.count > self.limits.maxEventsPerAppend {
            return .exceeds(
                "append",
                events.count,
                "events",
                limit: "maxEventsPerAppend",
                self.limits.maxEventsPerAppend
            )
        }
        var total = 0
        var ids = Set<String>()
        for (index, event) in events.enumerated() {
            let idBytes = event.id.utf8.count
            if idBytes > self.limits.maxEventIDBytes {
                return .exceeds("event \(index): id", idBytes, limit: "maxEventIDBytes", self.limits.maxEventIDBytes)
            }
            let typeBytes = event.type.utf8.count
            if typeBytes == 0 {
                return .invalidArgument(
                    "event \(index) of the append to stream \(StoreError.quote(stream)) has no type"
                )
            }
            if typeBytes > self.limits.maxEventTypeBytes {
                return .exceeds(
                    "event \(index): type",
                    typeBytes,
                    limit: "maxEventTypeBytes",
                    self.limits.maxEventTypeBytes
                )
            }
            if event.metadata.count > self.limits.maxEventMetadataEntries {
                return .exceeds(
                    "event \(index): metadata",
                    event.metadata.count,
                    "entries",
                    limit: "maxEventMetadataEntries",
                    self.limits.maxEventMetadataEntries
                )
            }
            let size = Self.eventSize(event)
            if size > self.limits.maxEventBytes {
                return .exceeds("event \(index)", size, limit: "maxEventBytes", self.limits.maxEventBytes)
            }
            total += size
            if idBytes > 0 && !ids.insert(event.id).inserted {
                return .invalidArgument(
                    "event id \(StoreError.quote(event.id)) appears more than once in the append to stream "
                        + "\(StoreError.quote(stream))"
                )
            }
        }
        if total > self.limits.maxAppendBytes {
            return .exceeds("append", total, limit: "maxAppendBytes", self.limits.maxAppendBytes)
        }
        return nil
    }

    static func hardDeleted(_ stream: String, _ consequence: String) -> StoreError {
        .failedPrecondition("stream \(StoreError.quote(stream)) is hard-deleted; \(consequence)")
    }

    /// The `aborted` error of an unmet expectation, or nil when it holds. After a soft delete `noStream` holds
    /// and `streamExists` does not (EventStoreDB's rule); `exact` compares with the last revision either way.
    static func expectationFailure(
        _ expected: StoreExpectedRevision,
        stream: String,
        last: Int64,
        deleted: Bool,
        action: String
    ) -> StoreError? {
        let expectation: String
        switch expected {
        case .any:
            return nil
        case .noStream:
            if last < 0 || deleted {
                return nil
            }
            expectation = "no stream"
        case .streamExists:
            if last >= 0 && !deleted {
                return nil
            }
            expectation = "the stream to exist"
        case .exact(let revision):
            if revision == last {
                return nil
            }
            expectation = "revision \(revision)"
        }
        let actual =
            last < 0
            ? "has no events (revision -1)"
            : (deleted ? "is soft-deleted at revision \(last)" : "is at revision \(last)")
        return StoreError(
            code: .aborted,
            message: "\(action) stream \(StoreError.quote(stream)) expected \(expectation) but the stream \(actual)",
            currentRevision: last
        )
    }

    // MARK: - Idempotency by event id (lock held)

    enum EventIDCheck {
        case fresh
        case repeated(StoreAppendResult)
        case conflict(StoreError)
    }

    /// Classifies an append by its ids against the window (ADR 0004 §4).
    func checkEventIDs(stream: String, id: Int?, events: [StoreEventData], now: Int64) -> EventIDCheck {
        guard !self.eventIDs.isEmpty else {
            return .fresh
        }
        let window = self.limits.eventIDWindowMilliseconds
        var found: [EventIDEntry] = []
        var first: (index: Int, entry: EventIDEntry)? = nil
        for (index, event) in events.enumerated() where !event.id.isEmpty {
            if let entry = self.eventIDs[event.id], now - entry.timeMilliseconds < window {
                found.append(entry)
                if first == nil {
                    first = (index, entry)
                }
            }
        }
        guard let first else {
            return .fresh
        }
        if found.count == events.count, let id,
            found.indices.allSatisfy({ found[$0].stream == id && found[$0].revision == found[0].revision + Int64($0) })
        {
            return .repeated(
                StoreAppendResult(
                    firstRevision: found[0].revision,
                    lastRevision: found[found.count - 1].revision,
                    position: found[found.count - 1].position
                )
            )
        }
        let written = self.streams[first.entry.stream].name
        return .conflict(
            StoreError(
                code: .alreadyExists,
                message: "event id \(StoreError.quote(events[first.index].id)) (event \(first.index) of the append "
                    + "to stream \(StoreError.quote(stream))) was already written to stream "
                    + "\(StoreError.quote(written)) at revision \(first.entry.revision) (position "
                    + "\(first.entry.position)), and the append does not repeat that write exactly; nothing was written"
            )
        )
    }

    /// Remembers an event id; forgets the oldest past `maxEventIDs` and those older than the window.
    func rememberEventID(_ id: String, _ entry: EventIDEntry) {
        self.eventIDs[id] = entry
        self.eventIDOrder.append((id, entry.position))
        while let oldest = self.eventIDOrder.first {
            let current = self.eventIDs[oldest.id]
            let stale = current == nil || current!.position != oldest.position
            let expired =
                current.map { entry.timeMilliseconds - $0.timeMilliseconds >= self.limits.eventIDWindowMilliseconds }
                ?? true
            guard stale || expired || self.eventIDOrder.count > self.limits.maxEventIDs else {
                break
            }
            self.eventIDOrder.removeFirst()
            if !stale {
                self.eventIDs.removeValue(forKey: oldest.id)
            }
        }
    }

    // MARK: - Applying (lock held; shared by live writes and replay)

    /// The floor below which versioned stream state may be forgotten: nothing reads below the durable revision
    /// or a snapshot being written.
    var versionFloor: Int64 {
        var floor = min(self.durable, self.snapshotPin ?? Int64.max)
        for pin in self.readPins {
            floor = min(floor, pin)
        }
        return floor
    }

    /// A store with an archive serves only after `finishRecovery()` (a programmer error otherwise).
    @inline(__always)
    func assertRecovered() {
        precondition(self.archiveRecovered, "call finishRecovery() after restore and replay, before serving")
    }

    /// The id of `name`, registering the stream if it is new.
    func streamID(creating name: String) -> Int {
        if let id = self.streamIDs[name] {
            return id
        }
        let id = self.eventLog.addStream()
        precondition(id == self.streams.count, "stream tables out of step")
        let state = StreamState(id: id, name: name)
        self.streams.append(state)
        self.streamIDs[name] = id
        if !self.unresolvedSubscriptions.isEmpty, let waiting = self.unresolvedSubscriptions.removeValue(forKey: name) {
            for subscription in waiting {
                subscription.streamID = id
            }
            state.subscriptions = waiting
        }
        return id
    }

    /// Applies an append whose last event takes `lastPosition`.
    func applyAppend(stream id: Int, events: [StoreEventData], lastPosition: Int64, time: Int64) {
        let firstPosition = lastPosition - Int64(events.count) + 1
        let firstRevision = self.eventLog.nextRevision(of: id)
        self.eventLog.append(stream: id, firstPosition: firstPosition, time: time, events: events)
        let state = self.streams[id]
        if var settings = state.settings.latest, settings.deleted {
            settings.deleted = false
            state.settings.set(settings, at: lastPosition, floor: self.versionFloor)
        }
        for (offset, event) in events.enumerated() where !event.id.isEmpty {
            self.rememberEventID(
                event.id,
                EventIDEntry(
                    stream: id,
                    revision: firstRevision + Int64(offset),
                    position: firstPosition + Int64(offset),
                    timeMilliseconds: time
                )
            )
        }
    }

    /// Applies an event-stream operation of a record at `revision` (its last revision for an append).
    func applyStreamOperation(_ operation: StoreRecord.Operation, revision: Int64, time: Int64) {
        switch operation {
        case .append(let stream, let events):
            self.applyAppend(
                stream: self.streamID(creating: stream),
                events: events,
                lastPosition: revision,
                time: time
            )
        case .ack(let group, let stream, let streamRevision):
            self.applyAck(group: group, stream: stream, revision: streamRevision, at: revision)
        case .streamMetadata(let stream, let metadata):
            let state = self.streams[self.streamID(creating: stream)]
            var settings = state.settings.latest ?? StreamSettings()
            settings.metadata = metadata
            state.settings.set(settings, at: revision, floor: self.versionFloor)
            if metadata.truncateBefore > 0 {
                self.pendingErasures.append((revision, state.id, metadata.truncateBefore))
            }
            self.addScavengeTrigger(revision)
        case .deleteStream(let stream, let hard):
            let state = self.streams[self.streamID(creating: stream)]
            var settings = state.settings.latest ?? StreamSettings()
            settings.deleted = true
            if hard {
                settings.hardDeleted = true
                state.snapshot.set(nil, at: revision, floor: self.versionFloor)
                self.pendingErasures.append((revision, state.id, Int64.max))
                self.pendingStreamEnds.append((revision, state.id))
            } else {
                let next = self.eventLog.nextRevision(of: state.id)
                settings.metadata.truncateBefore = max(settings.metadata.truncateBefore, next)
                self.pendingErasures.append((revision, state.id, next))
            }
            state.settings.set(settings, at: revision, floor: self.versionFloor)
            self.addScavengeTrigger(revision)
        case .aggregateSnapshot(let stream, let streamRevision, let snapshot):
            let state = self.streams[self.streamID(creating: stream)]
            state.snapshot.set(
                StoreAggregateSnapshot(revision: streamRevision, state: snapshot),
                at: revision,
                floor: self.versionFloor
            )
        case .put, .delete, .expire, .registry, .keySchema:
            preconditionFailure("a KV or registry operation is not a stream operation")
        }
    }

    /// Appends a stream write's record (or, without a log, makes it durable) and completes it with `result` once
    /// durable. Lock held; unlocks.
    func commitStreamWrite<Value: Sendable>(
        _ operations: [StoreRecord.Operation],
        revision: Int64,
        time: Int64,
        result: Value,
        completion: @escaping @Sendable (Result<Value, StoreError>) -> Void,
        deferred: inout Deferred
    ) {
        if self.log != nil {
            let record = StoreRecord(revision: revision, timeMilliseconds: time, operations: operations)
            self.pending.append(.stream(revision: revision) { completion($0.map { .failure($0) } ?? .success(result)) })
            self.appendRecord(record.encode(), revision: revision, deferred: &deferred)
            self.updateBackpressure()
            self.unlockAndRun(&deferred)
        } else {
            self.markDurable(upTo: revision, deferred: &deferred)
            self.unlockAndRun(&deferred)
            completion(.success(result))
        }
    }

    // MARK: - Durability (lock held)

    /// Runs what waits for stream writes to be durable: ends the subscriptions of hard-deleted streams, erases
    /// dropped events, wakes armed subscriptions when events became durable.
    func streamsBecameDurable(after previous: Int64, deferred: inout Deferred) {
        while let first = self.pendingStreamEnds.first, first.revision <= self.durable {
            self.pendingStreamEnds.removeFirst()
            self.endSubscriptions(
                of: first.stream,
                Self.hardDeleted(self.streams[first.stream].name, "its subscriptions ended"),
                deferred: &deferred
            )
        }
        self.runDueErasures()
        if let first = self.scavengeTriggers.first, first <= self.durable {
            while let first = self.scavengeTriggers.first, first <= self.durable {
                self.scavengeTriggers.removeFirst()
            }
            deferred.scavenge = true
        }
        if self.armedSubscriptions > 0 && self.eventLog.lastPosition > previous {
            self.wakeSubscriptions(after: previous, deferred: &deferred)
        }
    }

    /// Erases events whose erasing write is durable and not newer than a snapshot being written (which must
    /// still see them).
    func runDueErasures() {
        let floor = self.versionFloor
        while let first = self.pendingErasures.first, first.revision <= floor {
            self.pendingErasures.removeFirst()
            let erased = self.eventLog.drop(stream: first.stream, below: first.below, beforePosition: first.revision)
            self.erasedSinceScavenge += erased
            self.scavengedEvents += erased
        }
    }

    // MARK: - Views

    /// `stream` as a reader at `revision` sees it (`Int64.max` = the latest state, pending writes included).
    func streamView(_ stream: Int, at revision: Int64, now: Int64) -> StreamView {
        let settings = self.streams[stream].settings.at(revision) ?? StreamSettings()
        let last = self.eventLog.lastRevision(of: stream, atOrBefore: revision)
        var lowest = settings.metadata.truncateBefore
        if settings.metadata.maxCount > 0 {
            lowest = max(lowest, last - settings.metadata.maxCount + 1)
        }
        var cutoff = Int64.min
        if settings.metadata.maxAgeMilliseconds > 0 {
            let (value, overflow) = now.subtractingReportingOverflow(settings.metadata.maxAgeMilliseconds)
            cutoff = overflow ? Int64.min : value
        }
        return StreamView(hardDeleted: settings.hardDeleted, lowest: lowest, last: last, ageCutoff: cutoff)
    }

    func recordedEvent(_ event: EventLog.Event) -> StoreRecordedEvent {
        StoreRecordedEvent(
            stream: self.streams[event.stream].name,
            revision: event.revision,
            position: event.position,
            event: event.data,
            recordedAtMilliseconds: event.recordedAt
        )
    }
}

/// Collects a bounded batch of events: at most `maxCount`, and under `maxBytes` unless empty.
struct BatchCollector {
    let maxCount: Int
    let maxBytes: Int
    var events: [StoreRecordedEvent] = []
    var bytes = 0
    /// Events a scan may still examine (taken or skipped): bounds the lock hold over long hidden runs.
    var budget: Int

    init(maxCount: Int, maxBytes: Int) {
        self.maxCount = max(1, maxCount)
        self.maxBytes = maxBytes
        self.budget = self.maxCount + KVStore.scanBudget
    }

    var isFull: Bool { self.events.count >= self.maxCount }

    /// One step of a bounded scan: false (taking nothing) when the budget is spent, the batch is full, or the
    /// event is included but does not fit — the scan stops there and resumes at this event; otherwise true, with
    /// the event taken when `included`.
    @inline(__always)
    mutating func scan(_ event: EventLog.Event, _ store: KVStore, included: () -> Bool) -> Bool {
        guard self.budget > 0, !self.isFull else {
            return false
        }
        self.budget -= 1
        return !included() || self.offer(event, store)
    }

    /// Adds the event if it fits; returns false (adding nothing) when it does not.
    mutating func offer(_ event: EventLog.Event, _ store: KVStore) -> Bool {
        let size = KVStore.eventSize(event.data)
        guard self.events.count < self.maxCount, self.events.isEmpty || self.bytes + size <= self.maxBytes else {
            return false
        }
        self.events.append(store.recordedEvent(event))
        self.bytes += size
        return true
    }
}
