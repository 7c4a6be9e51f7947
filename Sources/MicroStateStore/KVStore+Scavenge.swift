import Dispatch

/// What one scavenge erased.
public struct StoreScavengeResult: Sendable, Equatable {
    /// Events erased from memory (their log records went with the log segments the scavenge compacted).
    public var erasedFromMemory: Int
    /// Events erased from archive chunks.
    public var erasedFromArchive: Int
    /// Chunks rewritten without some of their events.
    public var chunksRewritten: Int
    /// Chunks removed because none of their events was kept.
    public var chunksRemoved: Int
    /// Whether the log was rolled and a snapshot written (discarding older ones) so that the segments and snapshots
    /// holding erased events were deleted.
    public var compactedLog: Bool

    public init(
        erasedFromMemory: Int = 0,
        erasedFromArchive: Int = 0,
        chunksRewritten: Int = 0,
        chunksRemoved: Int = 0,
        compactedLog: Bool = false
    ) {
        self.erasedFromMemory = erasedFromMemory
        self.erasedFromArchive = erasedFromArchive
        self.chunksRewritten = chunksRewritten
        self.chunksRemoved = chunksRemoved
        self.compactedLog = compactedLog
    }
}

/// Scavenging: the physical erase of hidden events (ADR 0004 §7).
///
/// Events hidden by `maxCount`, `maxAgeMilliseconds`, `truncateBefore` or a soft delete, and every event of a
/// hard-deleted stream, are erased from every file of the data directory in this order:
/// 1. under the lock, with no snapshot being written: the plan (what each stream hides at the durable revision)
///    and the erase from memory;
/// 2. the log rolls to a new segment, then a snapshot of the state after step 1 is written discarding every older
///    snapshot; compaction then deletes every segment before the new one. Every record holding an erased event
///    was durable before step 1, so it was in those segments; the snapshot holds no erased event. It also records
///    the archive watermark, so a later recovery never takes an archived (hence possibly erased) event back from a
///    log record;
/// 3. every chunk holding a hidden event is rewritten without it (or removed).
/// A crash between the steps leaves hidden events on disk (never visible: they are hidden) until the next scavenge,
/// which recovery schedules. Scavenges run on the archive queue, so they never overlap a seal.
///
/// Triggers: a stream delete or retention change, `scavengeDelayMilliseconds` after it is durable (debounced);
/// `schedulePeriodicScavenge` (the node calls it every minute) when some stream has `maxCount` or
/// `maxAgeMilliseconds`, or events were erased from memory since the last scavenge; and `scavenge()`. Automatic
/// scavenges need an archive (a durable node); `scavenge()` works on any store (without a log it erases from
/// memory only).
extension KVStore {
    /// What a scavenge erases of one stream: every event if `hardDeleted`, else revisions below `below` and events
    /// recorded before `ageCutoff`.
    struct ScavengeRule {
        var hardDeleted: Bool
        var below: Int64
        var ageCutoff: Int64

        func keeps(revision: Int64, recordedAt: Int64) -> Bool {
            !self.hardDeleted && revision >= self.below && recordedAt >= self.ageCutoff
        }
    }

    /// How long a scavenge waits at most for a snapshot being written by someone else to finish.
    static let scavengeSnapshotWaitMilliseconds = 30_000

    /// Runs a scavenge now and waits for it (after any seal or scavenge already queued). Throws `unavailable` when
    /// the log or the archive fails part way (what was erased stays erased; the next scavenge finishes the job).
    @discardableResult
    public func scavenge() throws(StoreError) -> StoreScavengeResult {
        self.lock.lock()
        self.assertRecovered()
        self.unlockAndDrain()
        var result: Result<StoreScavengeResult, StoreError> = .success(StoreScavengeResult())
        self.archiveQueue.sync {
            result = Result { () throws(StoreError) in try self.runScavenge() }
        }
        return try result.get()
    }

    /// Remembers a live stream delete or retention change: once durable, it schedules a scavenge. Not during
    /// recovery (`finishRecovery` schedules one) and not without an archive. Lock held.
    func addScavengeTrigger(_ revision: Int64) {
        if self.archive != nil && self.archiveRecovered && self.configuration.scavengeDelayMilliseconds >= 0 {
            self.scavengeTriggers.append(revision)
        }
    }

    /// Schedules a scavenge `scavengeDelayMilliseconds` from now unless one is scheduled already. Automatic
    /// scavenges need an archive and a finished recovery.
    func scheduleScavenge(afterMilliseconds delay: Int? = nil) {
        let delay = delay ?? self.configuration.scavengeDelayMilliseconds
        guard self.archive != nil, delay >= 0 else {
            return
        }
        self.lock.lock()
        let schedule = !self.scavengeScheduled && self.archiveRecovered && !self.closed
        if schedule {
            self.scavengeScheduled = true
        }
        self.unlockAndDrain()
        guard schedule else {
            return
        }
        self.archiveQueue.asyncAfter(deadline: .now() + .milliseconds(delay)) {
            self.lock.lock()
            self.scavengeScheduled = false
            let closed = self.closed
            self.unlockAndDrain()
            if !closed {
                _ = try? self.runScavenge()
            }
        }
    }

    /// Schedules a scavenge now if anything may be hidden and not yet erased: a stream with `maxCount` or
    /// `maxAgeMilliseconds` (events age out of them), or events erased from memory whose log records remain. The
    /// node calls it periodically (every 60 s); cheap when there is nothing to do.
    public func schedulePeriodicScavenge() {
        self.lock.lock()
        let wanted =
            self.erasedSinceScavenge > 0
            || self.streams.contains { state in
                guard let settings = state.settings.latest, !settings.hardDeleted else {
                    return false
                }
                return settings.metadata.maxCount > 0 || settings.metadata.maxAgeMilliseconds > 0
            }
        self.unlockAndDrain()
        if wanted {
            self.scheduleScavenge(afterMilliseconds: 0)
        }
    }

    /// One scavenge (see the extension's documentation). On the archive queue.
    func runScavenge() throws(StoreError) -> StoreScavengeResult {
        var result = StoreScavengeResult()
        var plan: [String: ScavengeRule] = [:]
        var chunks: [UInt64] = []
        do {
            // Steps 1 and 2 on the snapshot queue: automatic snapshots never run meanwhile.
            var outcome: Result<Void, StoreError> = .success(())
            self.snapshotQueue.sync {
                outcome = Result { () throws(StoreError) in
                    try self.planScavenge(&plan, chunks: &chunks, result: &result)
                    if result.compactedLog {
                        try self.compactLogForScavenge()
                    }
                }
            }
            try outcome.get()
            try self.rewriteChunks(chunks, plan: plan, result: &result)
        } catch {
            self.lock.lock()
            self.scavengeFailures += 1
            self.unlockAndDrain()
            throw error
        }
        self.lock.lock()
        self.scavenges += 1
        self.scavengedEvents += result.erasedFromArchive
        self.unlockAndDrain()
        return result
    }

    /// Step 1: waits until no snapshot is being written, then plans and erases from memory. Sets
    /// `result.compactedLog` when the log holds erased events.
    private func planScavenge(
        _ plan: inout [String: ScavengeRule],
        chunks: inout [UInt64],
        result: inout StoreScavengeResult
    ) throws(StoreError) {
        var waited = 0
        self.lock.lock()
        while self.snapshotPin != nil {
            // A snapshot taken by `takeSnapshot` on another thread: it must see the events it pinned.
            self.unlockAndDrain()
            waited += 10
            if waited > Self.scavengeSnapshotWaitMilliseconds {
                throw StoreError.unavailable("a snapshot being written kept the scavenge waiting; retry it")
            }
            usleepMilliseconds(10)
            self.lock.lock()
        }
        defer { self.unlockAndDrain() }
        self.runDueErasures()
        let floor = self.versionFloor
        let now = self.clock.nowMilliseconds()
        var erased = 0
        var planned = Set<UInt64>()
        for state in self.streams {
            let id = state.id
            let view = self.streamView(id, at: floor, now: now)
            let rule = ScavengeRule(
                hardDeleted: view.hardDeleted,
                below: view.hardDeleted ? Int64.max : view.lowest,
                ageCutoff: view.ageCutoff
            )
            // Memory: a prefix of the stream (revisions below the rule, or recorded before the cutoff).
            var memoryBelow = rule.below
            if rule.ageCutoff != Int64.min && !rule.hardDeleted {
                self.eventLog.forEach(stream: id, fromRevision: self.eventLog.firstKeptRevision(of: id)) { event in
                    guard event.position <= floor, event.revision <= view.last, event.recordedAt < rule.ageCutoff else {
                        return false
                    }
                    memoryBelow = max(memoryBelow, event.revision + 1)
                    return true
                }
            }
            if memoryBelow > self.eventLog.firstKeptRevision(of: id) {
                erased += self.eventLog.drop(stream: id, below: memoryBelow, beforePosition: floor + 1)
            }
            // Archive: runs with a hidden event (an unknown oldest time counts as old).
            var planStream = false
            for run in self.eventLog.archive.runs[id]
            where rule.hardDeleted || run.firstRevision < rule.below || run.oldestRecordedAt < rule.ageCutoff {
                planned.insert(run.chunk)
                planStream = true
            }
            if planStream {
                plan[state.name] = rule
            }
        }
        chunks = planned.sorted()
        result.erasedFromMemory = erased
        self.scavengedEvents += erased
        let inLog = self.erasedSinceScavenge + erased
        result.compactedLog = self.log != nil && (inLog > 0 || !chunks.isEmpty)
        self.erasedSinceScavenge = 0
        if result.compactedLog {
            // Restored if the compaction fails: the next scavenge must compact again.
            self.pendingScavengeCompaction = inLog
        }
    }

    /// Step 2: rolls the log, then writes a snapshot covering every record of the old segments, discarding older
    /// snapshots (the log deletes the old segments). On the snapshot queue.
    private func compactLogForScavenge() throws(StoreError) {
        guard let log = self.log else {
            return
        }
        let firstNew: UInt64
        do {
            firstNew = try log.rollSegment()
        } catch {
            self.restoreScavengeCompaction()
            throw StoreError.unavailable("the scavenge could not roll the log: \(error)", cause: error)
        }
        // The roll wrote every durable record (all the erased ones) to the old segments; wait until the store has
        // applied their completions, so the snapshot covers them, and for a snapshot someone else writes.
        var waited = 0
        self.lock.lock()
        while (self.durableIndex + 1 < firstNew || self.snapshotPin != nil) && self.logFailure == nil {
            self.unlockAndDrain()
            waited += 1
            if waited > Self.scavengeSnapshotWaitMilliseconds {
                self.restoreScavengeCompaction()
                throw StoreError.unavailable("the log did not become durable up to index \(firstNew - 1) in time")
            }
            usleepMilliseconds(1)
            self.lock.lock()
        }
        if let failure = self.logFailure {
            self.unlockAndDrain()
            self.restoreScavengeCompaction()
            throw StoreError.unavailable("the log failed; the scavenge stopped: \(failure)")
        }
        let revision = self.durable
        let index = self.durableIndex
        guard index > 0 else {
            // Nothing was ever logged: nothing to compact.
            self.unlockAndDrain()
            return
        }
        self.snapshotPin = revision
        self.lastSnapshotRevision = revision
        self.recordsSinceSnapshot = self.pendingRecords
        self.unlockAndDrain()
        do {
            try self.writeSnapshot(revision: revision, index: index, discardingOlder: true)
        } catch {
            self.restoreScavengeCompaction()
            throw error
        }
        self.lock.lock()
        self.pendingScavengeCompaction = 0
        self.unlockAndDrain()
    }

    private func restoreScavengeCompaction() {
        self.lock.lock()
        self.erasedSinceScavenge += self.pendingScavengeCompaction
        self.pendingScavengeCompaction = 0
        self.unlockAndDrain()
    }

    /// Step 3: rewrites each planned chunk keeping what its stream rules keep. On the archive queue.
    private func rewriteChunks(
        _ chunks: [UInt64],
        plan: [String: ScavengeRule],
        result: inout StoreScavengeResult
    ) throws(StoreError) {
        guard let archive = self.archive else {
            return
        }
        for id in chunks {
            var streams = Set<String>()
            var oldest: [String: Int64] = [:]
            var before = 0
            let rewritten: StoreArchiveChunk?
            do {
                rewritten = try archive.rewrite(chunk: id) { event in
                    before += 1
                    streams.insert(event.stream)
                    let recordedAt = EventPayload.recordedAt(event.payload) ?? Int64.max
                    let rule = plan[event.stream]
                    let keep = rule.map { $0.keeps(revision: event.revision, recordedAt: recordedAt) } ?? true
                    if keep {
                        oldest[event.stream] = min(oldest[event.stream] ?? Int64.max, recordedAt)
                    }
                    return keep
                }
            } catch {
                throw StoreError.unavailable(
                    "the scavenge could not rewrite archive chunk \(id): \(error)",
                    cause: error
                )
            }
            self.lock.lock()
            let previous = Set(streams.compactMap { self.streamIDs[$0] })
            let ids = rewritten?.streams.map { self.streamID(creating: $0.stream) } ?? []
            let times = rewritten?.streams.map { oldest[$0.stream] ?? Int64.min } ?? []
            self.eventLog.updateArchive {
                $0.replace(id, with: rewritten, streamIDs: ids, oldest: times, previousStreams: previous)
            }
            self.decodedChunks.remove(id: id)
            self.unlockAndDrain()
            let erased = before - (rewritten?.eventCount ?? 0)
            result.erasedFromArchive += erased
            if rewritten == nil {
                result.chunksRemoved += 1
            } else if erased > 0 {
                result.chunksRewritten += 1
            }
        }
    }
}

/// Sleeps the calling thread (a scavenge waiting on the archive or snapshot queue, never a caller of the store).
func usleepMilliseconds(_ milliseconds: Int) {
    let deadline = DispatchTime.now() + .milliseconds(milliseconds)
    let semaphore = DispatchSemaphore(value: 0)
    _ = semaphore.wait(timeout: deadline)
}
