import Atomics
import DequeModule
import Dispatch
import MicroStateSchema

/// The MVCC key-value state machine and the event streams on the same log: a fold of the node's log.
///
/// Every write becomes one `StoreRecord` appended to the injected `StoreLog`; `restore` and `replay` rebuild
/// the state from a snapshot and the records after it. One global revision is bumped by every write (a Txn's
/// writes share one; an append of N events takes N, one per event: its `$all` positions, ADR 0004). Each key
/// keeps etcd's `createRevision`, `modRevision` and `version`. Event streams (append, read, subscriptions,
/// consumer groups, retention, aggregate snapshots) are in `KVStore+Streams.swift` and the files next to it;
/// all event storage is behind `EventLog`.
///
/// Durability and visibility: a write is applied to the in-memory state at once (so the next write's
/// validation sees it, and log order equals revision order) and its record is appended in the same critical
/// section, but readers and watchers only see revisions up to `durableRevision`, the highest revision whose
/// record and all before it are durable. MVCC history makes that free: a "latest" read is a read at
/// `durableRevision`. A write's completion runs once its record is durable.
///
/// Locking discipline: one mutex (`lock`) guards all state, including every watcher's buffer and every
/// subscription's cursor. It is never held while calling user code (completions, `onReady`) or the log's
/// `writeSnapshot`; it is held while calling `StoreLog.append`, which only queues. Log completions arrive on any
/// thread, possibly synchronously inside `append`: they are queued in `completionInbox` (its own small lock) and
/// applied by whoever next holds, or can take, the main lock (`drainCompletions`), so a completion never waits
/// for the store lock.
public final class KVStore: @unchecked Sendable {
    struct HistoryEvent {
        /// The put's blob (shared with the version) or, for a delete, a key-only blob.
        var blob: [UInt8]
        var revision: Int64
        var createRevision: Int64
        /// 0 for a delete.
        var version: Int64
    }

    struct IdempotencyEntry {
        var revision: Int64
        var timeMilliseconds: Int64
    }

    enum PendingCompletion {
        case put(revision: Int64, StorePutResult, @Sendable (Result<StorePutResult, StoreError>) -> Void)
        case delete(revision: Int64, StoreDeleteResult, @Sendable (Result<StoreDeleteResult, StoreError>) -> Void)
        case txn(revision: Int64, StoreTxnResult, @Sendable (Result<StoreTxnResult, StoreError>) -> Void)
        /// An event-stream write (or an idempotent retry waiting on one): the closure holds the result.
        case stream(revision: Int64, @Sendable (StoreError?) -> Void)

        var revision: Int64 {
            switch self {
            case .put(let revision, _, _), .delete(let revision, _, _), .txn(let revision, _, _),
                .stream(let revision, _):
                return revision
            }
        }

        func complete(_ error: StoreError?) {
            switch self {
            case .put(_, let result, let completion):
                completion(error.map { .failure($0) } ?? .success(result))
            case .delete(_, let result, let completion):
                completion(error.map { .failure($0) } ?? .success(result))
            case .txn(_, let result, let completion):
                completion(error.map { .failure($0) } ?? .success(result))
            case .stream(_, let complete):
                complete(error)
            }
        }
    }

    /// Work found under the lock that must run after it is released.
    struct Deferred {
        var completed: [PendingCompletion] = []
        var failed: [(PendingCompletion, StoreError)] = []
        var ready: [StoreWatcher] = []
        /// Subscriptions whose `onReady` is due (armed ones woken by new durable events, rebalanced or ended).
        var subscriptionsReady: [StoreSubscription] = []
        var snapshot: (revision: Int64, index: UInt64)? = nil
        /// Durable events to seal into an archive chunk on the archive queue.
        var archiveBatch: ArchiveBatch? = nil
        /// A failed seal: try again after this many milliseconds.
        var archiveRetryMilliseconds: Int? = nil
        /// A delete or retention change became durable: scavenge after `scavengeDelayMilliseconds`.
        var scavenge = false

        var isEmpty: Bool {
            self.completed.isEmpty && self.failed.isEmpty && self.ready.isEmpty && self.snapshot == nil
                && self.subscriptionsReady.isEmpty && self.archiveBatch == nil && self.archiveRetryMilliseconds == nil
                && !self.scavenge
        }
    }

    let configuration: StoreConfiguration
    let limits: StoreLimits
    let log: (any StoreLog)?
    /// Where durable events beyond the memory window go (ADR 0004 §7); nil keeps every event in memory.
    let archive: (any StoreEventArchive)?
    /// `archive.limits`, read once.
    let archiveLimits: StoreArchiveLimits?
    let clock: any StoreClock
    let lock = StoreLock()

    // Guarded by `lock`.
    var tree = BTree()
    var revision: Int64 = 0
    var durable: Int64 = 0 {
        didSet { self.durableMirror.store(self.durable, ordering: .releasing) }
    }
    /// `durable`, readable without the lock: every response header reads it, and a second lock round trip per
    /// call (contended with the log's thread completing writes) cost more than the read it guards.
    private let durableMirror = ManagedAtomic<Int64>(0)
    var compacted: Int64 = 0
    var liveKeys = 0
    var history = Deque<HistoryEvent>()
    var historyBytes = 0
    var pending = Deque<PendingCompletion>()
    var idempotency: [String: IdempotencyEntry] = [:]
    var idempotencyOrder = Deque<(key: String, revision: Int64)>()
    var deadlines = DeadlineQueue()
    /// Live keys whose latest version has a TTL deadline.
    var ttlKeys = 0
    var exactWatchers: [[UInt8]: [StoreWatcher]] = [:]
    var prefixWatchers: [StoreWatcher] = []
    var watcherCount = 0
    var nextWatcherID = 0
    var logFailure: (any Error)? = nil
    var closed = false
    var lastAppendedIndex: UInt64 = 0
    /// Log index of the record of `durable`.
    var durableIndex: UInt64 = 0
    var lastSnapshotRevision: Int64 = 0
    var recordsSinceSnapshot = 0
    var snapshotsTaken = 0
    var snapshotFailures = 0
    var snapshotPin: Int64? = nil

    // Event streams (ADR 0004), guarded by `lock`. See KVStore+Streams.swift.
    /// Every event, and the per-stream index: all event storage.
    var eventLog = EventLog()
    /// The schema registry's states, ascending by the revision that made them (ADR 0008): the last is the latest
    /// (decisions), the last at or below `durable` is what reads see. Older entries are trimmed once a newer one
    /// is durable and no snapshot is pinned below it. Empty = the empty registry.
    var registryStates = Deque<(revision: Int64, state: SchemaRegistryState)>()
    /// The schema id each validated key's latest version was checked against (validation on write), with that
    /// version's mod revision: a later unvalidated put or a delete removes the entry. Empty unless something is
    /// bound, so unbound writes and reads pay one `isEmpty`.
    var keySchemaIDs: [[UInt8]: (revision: Int64, id: Int64)] = [:]
    /// Bumped by every registry change, so a decision taken outside the lock can tell it is stale.
    var registryGeneration = 0
    /// Whether the latest registry state has any binding: Puts and Appends skip validation entirely when not.
    let registryHasBindings = ManagedAtomic<Bool>(false)
    /// Bumped (after the lock) whenever registry changes become visible, so validators can cache the state.
    let registryChangeCounter = ManagedAtomic<Int>(0)
    /// By stream id (the `EventLog` stream id).
    var streams: [StreamState] = []
    var streamIDs: [String: Int] = [:]
    var groups: [String: GroupState] = [:]
    /// The idempotency window of event ids, and the ids in the order written (for eviction).
    var eventIDs: [String: EventIDEntry] = [:]
    var eventIDOrder = Deque<(id: String, position: Int64)>()
    /// Erasures (hard delete, truncate-before) waiting for their write to be durable and past any snapshot pin.
    var pendingErasures = Deque<(revision: Int64, stream: Int, below: Int64)>()
    /// Hard deletes waiting to be durable, to end the stream's subscriptions.
    var pendingStreamEnds = Deque<(revision: Int64, stream: Int)>()
    /// Live subscriptions by id; `$all` ones also in `allSubscriptions`, stream ones in their `StreamState`
    /// (or, before the stream exists, in `unresolvedSubscriptions`).
    var subscriptions: [Int: StoreSubscription] = [:]
    var allSubscriptions: [StoreSubscription] = []
    var unresolvedSubscriptions: [String: [StoreSubscription]] = [:]
    /// Subscriptions armed for a one-shot `onReady`.
    var armedSubscriptions = 0
    var nextSubscriptionID = 0
    /// Revisions of readers that released the lock to read an archive chunk: versioned state and erasures stay at
    /// or above the lowest (see `versionFloor`).
    var readPins: [Int64] = []

    // The event archive (KVStore+Archive.swift, KVStore+Scavenge.swift), guarded by `lock`.
    var archiveIndexLoaded = false
    /// Recovery finished (`finishRecovery`): archiving may run. Always true without an archive.
    var archiveRecovered: Bool
    /// A seal is queued or running on the archive queue.
    var archiveBusy = false
    /// The last seal failed; the next waits for its backoff.
    var archiveFailing = false
    var archiveFailures = 0
    var archiveBackoffMilliseconds = 1_000
    var lastArchiveError: String? = nil
    var decodedChunks: DecodedChunkCache
    /// A scavenge is scheduled (debounced) and has not started.
    var scavengeScheduled = false
    /// Stream writes (deletes, retention changes) whose durability schedules a scavenge.
    var scavengeTriggers = Deque<Int64>()
    /// Events erased from memory since the last scavenge (their bytes may still be in log segments or snapshots).
    var erasedSinceScavenge = 0
    /// `erasedSinceScavenge` taken by a scavenge whose log compaction has not finished yet.
    var pendingScavengeCompaction = 0
    var scavenges = 0
    var scavengeFailures = 0
    var scavengedEvents = 0

    // Guarded by `inboxLock`.
    private let inboxLock = StoreLock()
    private var completionInbox: [(revision: Int64, result: Result<UInt64, any Error>)] = []
    /// Guarded by `lock`: the completions being applied, swapped with `completionInbox` so that both keep their
    /// capacity. (Copying the inbox and emptying it with `keepingCapacity` allocated a new buffer per drain, and
    /// glibc consolidated its fastbins on many of those allocations: 1.5 % of node CPU at 100k Puts/s.)
    private var completionsDraining: [(revision: Int64, result: Result<UInt64, any Error>)] = []
    private let inboxCount = ManagedAtomic<Int>(0)

    let snapshotQueue = DispatchQueue(label: "microstate.store.snapshot")
    /// Seals, retries and scavenges, one at a time.
    let archiveQueue = DispatchQueue(label: "microstate.store.archive")
    let backpressure = BackpressureGate()

    /// Creates an empty store.
    ///
    /// - Parameters:
    ///   - configuration: limits and snapshot cadence.
    ///   - log: where records go; nil runs with `--durability memory` (every write is durable at once).
    ///   - archive: where durable events beyond the memory window go (needs a log); nil keeps every event in memory.
    ///   - clock: the wall clock for TTLs and idempotency windows.
    /// - Important: call `restore` (if there is a snapshot) and `replay` for every record after it before
    ///   serving any request; with an archive, then `finishRecovery()`.
    public init(
        configuration: StoreConfiguration = StoreConfiguration(),
        log: (any StoreLog)?,
        archive: (any StoreEventArchive)? = nil,
        clock: any StoreClock = SystemClock()
    ) {
        precondition(configuration.limits.maxKeyBytes <= Int(UInt16.max), "maxKeyBytes must be at most 65535")
        precondition(configuration.limits.maxKeyBytes > 0 && configuration.limits.maxValueBytes >= 0)
        precondition(configuration.limits.historyRetentionRevisions >= 0)
        precondition(configuration.limits.maxStreamNameBytes > 0 && configuration.limits.maxEventTypeBytes > 0)
        precondition(configuration.limits.maxReadCount > 0 && configuration.limits.maxEventsPerAppend > 0)
        precondition(configuration.limits.maxEventIDs >= 0 && configuration.limits.maxSubscriptions >= 0)
        precondition(configuration.limits.memoryWindowEvents >= 0 && configuration.limits.memoryWindowBytes >= 0)
        precondition(configuration.limits.maxArchiveBacklogChunks >= 1)
        precondition(archive == nil || log != nil, "an archive needs a log: only durable events are archived")
        self.configuration = configuration
        self.limits = configuration.limits
        self.log = log
        self.archive = archive
        self.archiveLimits = archive?.limits
        if let limits = self.archiveLimits {
            // Every event must fit a chunk alone, or it could never be archived.
            let entries = (0..<configuration.limits.maxEventMetadataEntries).map { ("\($0)", "") }
            let largest = StoreEventData(id: "", type: "", data: [], metadata: Dictionary(uniqueKeysWithValues: entries))
            let bound = configuration.limits.maxEventBytes + EventPayload.bound(largest) + limits.entryOverheadBytes
            precondition(limits.maxEventsPerChunk > 0 && limits.maxChunkRawBytes >= bound,
                         "archive chunks of \(limits.maxChunkRawBytes) raw bytes cannot hold an event of maxEventBytes")
        }
        self.archiveRecovered = archive == nil
        self.decodedChunks = DecodedChunkCache(capacity: configuration.decodedChunkCache)
        self.clock = clock
    }

    // MARK: - State

    /// The highest revision whose record and all before it are durable; "latest" reads read here.
    public var durableRevision: Int64 {
        self.durableMirror.load(ordering: .acquiring)
    }

    /// The oldest revision still readable; reads and watches from before it fail with `compacted`.
    public var compactRevision: Int64 {
        self.lock.lock()
        defer { self.unlockAndDrain() }
        return self.compacted
    }

    /// The latest revision written, durable or not (for diagnostics; reads never see past `durableRevision`).
    public var currentRevision: Int64 {
        self.lock.lock()
        defer { self.unlockAndDrain() }
        return self.revision
    }

    /// A consistent reading of the store's gauges and counters.
    public var metrics: StoreMetrics {
        self.lock.lock()
        defer { self.unlockAndDrain() }
        return StoreMetrics(
            nodeID: self.configuration.nodeID,
            keys: self.liveKeys,
            revision: self.revision,
            durableRevision: self.durable,
            compactRevision: self.compacted,
            watchers: self.watcherCount,
            pendingWrites: self.pending.count,
            snapshotsTaken: self.snapshotsTaken,
            snapshotFailures: self.snapshotFailures,
            recordsSinceSnapshot: self.recordsSinceSnapshot,
            historyEvents: self.history.count,
            idempotencyKeys: self.idempotency.count,
            ttlKeys: self.ttlKeys,
            ttlQueued: self.deadlines.count,
            logFailed: self.logFailure != nil,
            streams: self.streams.count,
            events: self.eventLog.count,
            subscriptions: self.subscriptions.count,
            groups: self.groups.count,
            eventIDs: self.eventIDs.count,
            eventBytesInMemory: self.eventLog.bytes,
            eventsArchived: self.eventLog.archive.eventCount,
            archiveChunks: self.eventLog.archive.chunks.count,
            archiveFileBytes: self.eventLog.archive.fileBytes,
            archiveIndexRuns: self.eventLog.archive.runCount,
            archivedThrough: self.eventLog.archive.archivedThrough,
            archiveFailures: self.archiveFailures,
            archiveBackpressureWaits: self.backpressure.counts.waits,
            scavenges: self.scavenges,
            scavengeFailures: self.scavengeFailures,
            scavengedEvents: self.scavengedEvents
        )
    }

    /// Refuses every later write with `unavailable`; writes already pending still complete when durable.
    /// Reads and watchers keep working; event subscriptions end with `unavailable`.
    public func close() {
        var deferred = Deferred()
        self.lock.lock()
        self.closed = true
        self.endAllSubscriptions(.unavailable("the store is closed"), deferred: &deferred)
        self.updateBackpressure()
        self.unlockAndRun(&deferred)
    }

    // MARK: - Reads

    /// The key's value at `revision` (0 = `durableRevision`), or nil when absent then.
    ///
    /// A key whose TTL passed but whose expiry is not yet recorded reads as absent at revision 0 (it will be
    /// by the next `expireDue`); reads at an explicit revision show the recorded history as it is.
    public func get(key: [UInt8], revision: Int64 = 0) throws(StoreError) -> StoreKeyValue? {
        self.lock.lock()
        defer { self.unlockAndDrain() }
        let readRevision = try self.resolveReadRevision(revision)
        let found: (KeyVersion, Int64)? = key.withUnsafeBytes { keyBytes in
            guard let position = self.tree.find(keyBytes) else {
                return nil
            }
            return position.leaf.entries[position.index].version(at: readRevision)
        }
        guard let (version, deadline) = found else {
            return nil
        }
        if revision == 0 && deadline != 0 && deadline <= self.clock.nowMilliseconds() {
            return nil
        }
        return self.withSchemaID(StoreKeyValue(key: key, version: version))
    }

    /// `kv` with the schema id its version was validated against, when it is the key's latest (lock held).
    @inline(__always)
    func withSchemaID(_ kv: StoreKeyValue) -> StoreKeyValue {
        guard !self.keySchemaIDs.isEmpty, let entry = self.keySchemaIDs[kv.key], entry.revision == kv.modRevision else {
            return kv
        }
        var kv = kv
        kv.schemaID = entry.id
        return kv
    }

    /// Keys in `[start, end)` bytewise (empty `end` = unbounded; a non-empty `prefix` replaces both) at
    /// `revision` (0 = `durableRevision`), in key order.
    ///
    /// `limit` 0 or above `maxRangeLimit` means `maxRangeLimit`; the result also stops before
    /// `maxRangeResponseBytes` (always returning at least one key). `count` counts every match, so a range
    /// over many keys walks all of them under the lock, as etcd's does.
    public func range(
        start: [UInt8] = [],
        end: [UInt8] = [],
        prefix: [UInt8] = [],
        limit: Int64 = 0,
        revision: Int64 = 0,
        keysOnly: Bool = false
    ) throws(StoreError) -> StoreRangeResult {
        guard limit >= 0 else {
            throw StoreError.invalidArgument("range limit \(limit) is negative")
        }
        let maxLimit = self.limits.maxRangeLimit
        let effectiveLimit = limit == 0 || limit > Int64(maxLimit) ? maxLimit : Int(limit)
        let lower = prefix.isEmpty ? start : prefix
        let upper = prefix.isEmpty ? end : Self.prefixEnd(prefix)
        self.lock.lock()
        defer { self.unlockAndDrain() }
        let readRevision = try self.resolveReadRevision(revision)
        let now = revision == 0 ? self.clock.nowMilliseconds() : Int64.min
        var kvs: [StoreKeyValue] = []
        var count: Int64 = 0
        var more = false
        var bytes = 0
        lower.withUnsafeBytes { lowerBytes in
            upper.withUnsafeBytes { upperBytes in
                var position = self.tree.seek(lowerBytes)
                while let current = position {
                    let entry = current.leaf.entries[current.index]
                    if !upper.isEmpty && Blob.compare(upperBytes, entry.latest.blob) <= 0 {
                        break
                    }
                    position = BTree.advance(current)
                    guard let (version, deadline) = entry.version(at: readRevision) else {
                        continue
                    }
                    if deadline != 0 && deadline <= now {
                        continue
                    }
                    count += 1
                    if more {
                        continue
                    }
                    let size = keysOnly ? Blob.keyCount(version.blob) : version.blob.count - 2
                    if kvs.count == effectiveLimit || (!kvs.isEmpty && bytes + size > self.limits.maxRangeResponseBytes)
                    {
                        more = true
                        continue
                    }
                    bytes += size
                    kvs.append(
                        self.withSchemaID(
                            StoreKeyValue(
                                key: Blob.key(version.blob),
                                value: keysOnly ? [] : Blob.value(version.blob),
                                createRevision: version.createRevision,
                                modRevision: version.modRevision,
                                version: version.version
                            )
                        )
                    )
                }
            }
        }
        return StoreRangeResult(kvs: kvs, more: more, count: count, revision: readRevision)
    }

    /// The smallest key greater than every key with `prefix`, or empty (unbounded) for an all-0xFF prefix.
    static func prefixEnd(_ prefix: [UInt8]) -> [UInt8] {
        var end = prefix
        while let last = end.last {
            if last < 0xFF {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return []
    }

    /// Maps a requested read revision to the one read. Lock held.
    @inline(__always)
    func resolveReadRevision(_ revision: Int64) throws(StoreError) -> Int64 {
        if revision == 0 {
            return self.durable
        }
        if revision < 0 {
            throw StoreError.invalidArgument("revision \(revision) is negative")
        }
        if revision > self.durable {
            throw StoreError.future(requested: revision, durable: self.durable)
        }
        if revision < self.compacted {
            throw StoreError.compacted(requested: revision, compactRevision: self.compacted)
        }
        return revision
    }

    // MARK: - Writes

    /// Puts `value` under `key`; `completion` runs once the write is durable (or failed).
    ///
    /// - Parameters:
    ///   - expectedRevision: nil = unconditional; 0 = the key must be absent; n = its mod revision must be n.
    ///     A mismatch fails with `aborted` and `currentRevision` = the key's mod revision (0 = absent).
    ///   - ttlMilliseconds: > 0 expires the key that long after now (the deadline is recorded, so replay keeps
    ///     it); 0 = never, and clears an earlier TTL.
    ///   - idempotencyKey: non-empty, a Put with the same idempotency key within
    ///     `idempotencyWindowMilliseconds` returns the first Put's result without writing (waiting for it to be
    ///     durable if it is not yet). Keys are global (not per key), recorded in the log, and at most
    ///     `maxIdempotencyKeys` are remembered (the oldest is forgotten first).
    public func put(
        key: [UInt8],
        value: [UInt8],
        expectedRevision: Int64? = nil,
        ttlMilliseconds: Int64 = 0,
        idempotencyKey: String = "",
        schemaID: Int64 = 0,
        completion: @escaping @Sendable (Result<StorePutResult, StoreError>) -> Void
    ) {
        if let error = self.validatePut(key: key, value: value, ttlMilliseconds: ttlMilliseconds) {
            return completion(.failure(error))
        }
        if let expectedRevision, expectedRevision < 0 {
            return completion(.failure(.invalidArgument("expected revision \(expectedRevision) is negative")))
        }
        var deferred = Deferred()
        self.lock.lock()
        if let error = self.writeRefusal() {
            self.unlockAndDrain()
            return completion(.failure(error))
        }
        let now = self.clock.nowMilliseconds()
        if !idempotencyKey.isEmpty, let entry = self.idempotency[idempotencyKey],
            now - entry.timeMilliseconds < self.limits.idempotencyWindowMilliseconds
        {
            let result = StorePutResult(revision: entry.revision)
            if entry.revision <= self.durable {
                self.unlockAndDrain()
                return completion(.success(result))
            }
            self.insertPending(.put(revision: entry.revision, result, completion))
            self.unlockAndDrain()
            return
        }
        // One B-tree descent serves expiry, validation and the write (nothing between changes the tree's shape).
        let (current, position) = key.withUnsafeBytes { keyBytes in
            self.prepareWrite(keyBytes, now: now, deferred: &deferred)
        }
        if let expectedRevision, expectedRevision != current {
            self.unlockAndRun(&deferred)
            return completion(.failure(.aborted(key: key, expected: expectedRevision, current: current)))
        }
        self.revision += 1
        let revision = self.revision
        let deadline = Self.deadline(now: now, ttlMilliseconds: ttlMilliseconds)
        key.withUnsafeBytes { keyBytes in
            value.withUnsafeBytes { valueBytes in
                self.applyPut(
                    key: keyBytes,
                    value: valueBytes,
                    revision: revision,
                    deadline: deadline,
                    position: .known(position)
                )
            }
        }
        if !idempotencyKey.isEmpty {
            self.rememberIdempotencyKey(idempotencyKey, revision: revision, time: now)
        }
        if schemaID != 0 {
            self.keySchemaIDs[key] = (revision, schemaID)
        }
        let result = StorePutResult(revision: revision)
        if self.log != nil {
            let payload =
                schemaID == 0
                ? StoreRecord.encodePut(
                    revision: revision,
                    time: now,
                    key: key,
                    value: value,
                    deadline: deadline,
                    idempotencyKey: idempotencyKey
                )
                : StoreRecord(
                    revision: revision,
                    timeMilliseconds: now,
                    operations: [
                        .put(key: key, value: value, deadline: deadline, idempotencyKey: idempotencyKey),
                        .keySchema(key: key, id: schemaID),
                    ]
                ).encode()
            self.pending.append(.put(revision: revision, result, completion))
            self.appendRecord(payload, revision: revision, deferred: &deferred)
            self.unlockAndRun(&deferred)
        } else {
            self.markDurable(upTo: revision, deferred: &deferred)
            self.unlockAndRun(&deferred)
            completion(.success(result))
        }
    }

    /// Deletes `key`; `completion` runs once the delete is durable.
    ///
    /// Deleting an absent key without an expectation is no write: `deleted = false` at the current revision
    /// (completed once that revision is durable). `expectedRevision` works as for `put`.
    public func delete(
        key: [UInt8],
        expectedRevision: Int64? = nil,
        completion: @escaping @Sendable (Result<StoreDeleteResult, StoreError>) -> Void
    ) {
        if let error = self.validateKey(key) {
            return completion(.failure(error))
        }
        if let expectedRevision, expectedRevision < 0 {
            return completion(.failure(.invalidArgument("expected revision \(expectedRevision) is negative")))
        }
        var deferred = Deferred()
        self.lock.lock()
        if let error = self.writeRefusal() {
            self.unlockAndDrain()
            return completion(.failure(error))
        }
        let now = self.clock.nowMilliseconds()
        let (current, _) = key.withUnsafeBytes { keyBytes in
            self.prepareWrite(keyBytes, now: now, deferred: &deferred)
        }
        if let expectedRevision, expectedRevision != current {
            self.unlockAndRun(&deferred)
            return completion(.failure(.aborted(key: key, expected: expectedRevision, current: current)))
        }
        if current == 0 {
            let result = StoreDeleteResult(deleted: false, revision: self.revision)
            if self.revision <= self.durable {
                self.unlockAndRun(&deferred)
                return completion(.success(result))
            }
            self.pending.append(.delete(revision: self.revision, result, completion))
            self.unlockAndRun(&deferred)
            return
        }
        self.revision += 1
        let revision = self.revision
        key.withUnsafeBytes { keyBytes in
            _ = self.applyDelete(key: keyBytes, revision: revision)
        }
        let result = StoreDeleteResult(deleted: true, revision: revision)
        if self.log != nil {
            let record = StoreRecord(revision: revision, timeMilliseconds: now, operations: [.delete(key: key)])
            self.pending.append(.delete(revision: revision, result, completion))
            self.appendRecord(record.encode(), revision: revision, deferred: &deferred)
            self.unlockAndRun(&deferred)
        } else {
            self.markDurable(upTo: revision, deferred: &deferred)
            self.unlockAndRun(&deferred)
            completion(.success(result))
        }
    }

    /// Records an expiry (a delete, seen by watchers as one) for each key whose TTL deadline is at or before
    /// `nowMilliseconds`. The node calls it every 100 ms; each call expires at most 1024 keys and looks at most
    /// 4096 queue entries (the rest on the next call) so one call never holds the lock for long. Each expiry is
    /// its own record and revision.
    public func expireDue(nowMilliseconds: Int64) {
        var deferred = Deferred()
        self.lock.lock()
        guard self.writeRefusal() == nil else {
            self.unlockAndDrain()
            return
        }
        var expired = 0
        var popped = 0
        while expired < 1024, popped < 4096, let first = self.deadlines.first, first.deadline <= nowMilliseconds {
            _ = self.deadlines.popFirst()
            popped += 1
            let keyCount = Blob.keyCount(first.blob)
            if self.isQueuedDeadlineLive(first) {
                first.blob.withUnsafeBytes { blobBytes in
                    let key = UnsafeRawBufferPointer(rebasing: blobBytes[2..<(2 + keyCount)])
                    self.recordExpiry(key, now: nowMilliseconds, deferred: &deferred)
                }
                expired += 1
            }
        }
        self.unlockAndRun(&deferred)
    }

    // MARK: - Write helpers (lock held)

    func validateKey(_ key: [UInt8]) -> StoreError? {
        if key.isEmpty {
            return .invalidArgument("key is empty")
        }
        if key.count > self.limits.maxKeyBytes {
            return .limit("key", key.count, limit: "maxKeyBytes", self.limits.maxKeyBytes)
        }
        return nil
    }

    func validatePut(key: [UInt8], value: [UInt8], ttlMilliseconds: Int64) -> StoreError? {
        if let error = self.validateKey(key) {
            return error
        }
        if value.count > self.limits.maxValueBytes {
            return .limit("value", value.count, limit: "maxValueBytes", self.limits.maxValueBytes)
        }
        if ttlMilliseconds < 0 {
            return .invalidArgument("ttl_ms \(ttlMilliseconds) is negative")
        }
        return nil
    }

    /// The wall-clock deadline of a TTL (0 = none); saturates instead of overflowing for absurd TTLs.
    static func deadline(now: Int64, ttlMilliseconds: Int64) -> Int64 {
        guard ttlMilliseconds > 0 else {
            return 0
        }
        let (sum, overflow) = now.addingReportingOverflow(ttlMilliseconds)
        return overflow ? Int64.max : sum
    }

    /// Why writes are refused now, if they are.
    func writeRefusal() -> StoreError? {
        if let failure = self.logFailure {
            return .unavailable("the log failed; writes are refused until restart: \(failure)")
        }
        if self.closed {
            return .unavailable("the store is closed")
        }
        return nil
    }

    /// The key's latest mod revision, 0 when absent or deleted.
    @inline(__always)
    func currentModRevision(_ key: UnsafeRawBufferPointer) -> Int64 {
        guard let position = self.tree.find(key) else {
            return 0
        }
        let latest = position.leaf.entries[position.index].latest
        return latest.isTombstone ? 0 : latest.modRevision
    }

    /// Records the expiry of `key` first when its TTL has passed, so a write sees the key as the expiry left
    /// it (absent), just as reads already do.
    func expireIfDue(_ key: UnsafeRawBufferPointer, now: Int64, deferred: inout Deferred) {
        _ = self.prepareWrite(key, now: now, deferred: &deferred)
    }

    /// Expires `key` if due (see `expireIfDue`), then returns its mod revision (0 = absent) and its position.
    @inline(__always)
    func prepareWrite(
        _ key: UnsafeRawBufferPointer,
        now: Int64,
        deferred: inout Deferred
    ) -> (current: Int64, position: BTreePosition?) {
        guard let position = self.tree.find(key) else {
            return (0, nil)
        }
        let entry = position.leaf.entries[position.index]
        if entry.latest.isTombstone {
            return (0, position)
        }
        let deadline = entry.deadline
        if deadline != 0 && deadline <= now {
            // The expiry mutates the entry in place; the position stays valid.
            self.recordExpiry(key, now: now, deferred: &deferred)
            return (0, position)
        }
        return (entry.latest.modRevision, position)
    }

    /// Deletes `key` as expired at a new revision and appends its record.
    private func recordExpiry(_ key: UnsafeRawBufferPointer, now: Int64, deferred: inout Deferred) {
        self.revision += 1
        let revision = self.revision
        _ = self.applyDelete(key: key, revision: revision)
        if self.log != nil {
            let record = StoreRecord(
                revision: revision,
                timeMilliseconds: now,
                operations: [.expire(key: [UInt8](key))]
            )
            self.appendRecord(record.encode(), revision: revision, deferred: &deferred)
        } else {
            self.markDurable(upTo: revision, deferred: &deferred)
        }
    }

    /// Appends the record of `revision` to the log, and schedules a snapshot when one is due.
    func appendRecord(_ payload: [UInt8], revision: Int64, deferred: inout Deferred) {
        guard let log = self.log else {
            preconditionFailure("appendRecord without a log")
        }
        self.lastAppendedIndex = log.append(payload) { result in
            self.logCompleted(revision: revision, result: result)
        }
        self.recordsSinceSnapshot += 1
    }

    /// Schedules a snapshot of the durable state when `compactAfterRecords` records were appended since the
    /// last one and none is being written.
    ///
    /// The snapshot is taken at `durable` with the log index of its record, not at the latest revision, so
    /// it never holds a write whose record could still fail.
    func scheduleSnapshotIfDue(deferred: inout Deferred) {
        let every = self.configuration.compactAfterRecords
        guard every > 0, self.log != nil, self.recordsSinceSnapshot >= every, self.snapshotPin == nil,
            self.durable > self.lastSnapshotRevision
        else {
            return
        }
        self.snapshotPin = self.durable
        self.lastSnapshotRevision = self.durable
        self.recordsSinceSnapshot = self.pendingRecords
        deferred.snapshot = (self.durable, self.durableIndex)
    }

    /// Records appended but not yet durable (records, not revisions: an append's record takes one per event).
    var pendingRecords: Int {
        self.lastAppendedIndex > self.durableIndex ? Int(self.lastAppendedIndex - self.durableIndex) : 0
    }

    /// Queues a completion for `pending` in revision order (an idempotent retry may wait on an older revision).
    func insertPending(_ completion: PendingCompletion) {
        let revision = completion.revision
        var index = self.pending.count
        while index > 0 && self.pending[index - 1].revision > revision {
            index -= 1
        }
        self.pending.insert(completion, at: index)
    }

    func rememberIdempotencyKey(_ key: String, revision: Int64, time: Int64) {
        self.idempotency[key] = IdempotencyEntry(revision: revision, timeMilliseconds: time)
        self.idempotencyOrder.append((key, revision))
        // Bounded: at most maxIdempotencyKeys entries, and none older than the window.
        while let oldest = self.idempotencyOrder.first {
            let entry = self.idempotency[oldest.key]
            let stale = entry == nil || entry!.revision != oldest.revision
            let expired = entry.map { time - $0.timeMilliseconds >= self.limits.idempotencyWindowMilliseconds } ?? true
            guard stale || expired || self.idempotencyOrder.count > self.limits.maxIdempotencyKeys else {
                break
            }
            self.idempotencyOrder.removeFirst()
            if !stale {
                self.idempotency.removeValue(forKey: oldest.key)
            }
        }
    }

    // MARK: - Applying writes (lock held; shared by live writes and replay)

    /// Where `applyPut` finds the key: looked up, or already known (a position, or nil for absent) from a
    /// lookup made under the same lock hold with no insert or remove since.
    enum PositionHint {
        case lookUp
        case known(BTreePosition?)
    }

    /// Applies a put at `revision`: the key's previous version moves to its history.
    func applyPut(
        key: UnsafeRawBufferPointer,
        value: UnsafeRawBufferPointer,
        revision: Int64,
        deadline: Int64,
        position hint: PositionHint = .lookUp
    ) {
        if !self.keySchemaIDs.isEmpty {
            // A put records its own id after this (put, Txn and replay alike); any other put clears it.
            self.keySchemaIDs.removeValue(forKey: [UInt8](key))
        }
        let blob = Blob.make(key: key, value: value)
        let found: BTreePosition?
        switch hint {
        case .lookUp:
            found = self.tree.find(key)
        case .known(let position):
            found = position
        }
        if let position = found {
            let leaf = position.leaf
            let index = position.index
            let previous = leaf.entries[index].latest
            let extra = leaf.entries[index].extra ?? KeyExtra()
            extra.older.append(OlderVersion(version: previous, deadline: extra.deadline))
            if extra.deadline != 0 && !previous.isTombstone {
                self.ttlKeys -= 1
            }
            extra.deadline = deadline
            let version =
                previous.isTombstone
                ? KeyVersion(blob: blob, createRevision: revision, modRevision: revision, version: 1)
                : KeyVersion(
                    blob: blob,
                    createRevision: previous.createRevision,
                    modRevision: revision,
                    version: previous.version + 1
                )
            if previous.isTombstone {
                self.liveKeys += 1
            }
            leaf.entries[index].latest = version
            leaf.entries[index].extra = extra
            self.appendHistory(
                HistoryEvent(
                    blob: blob,
                    revision: revision,
                    createRevision: version.createRevision,
                    version: version.version
                )
            )
        } else {
            var extra: KeyExtra? = nil
            if deadline != 0 {
                extra = KeyExtra()
                extra!.deadline = deadline
            }
            let version = KeyVersion(blob: blob, createRevision: revision, modRevision: revision, version: 1)
            self.tree.insert(KeyEntry(latest: version, extra: extra))
            self.liveKeys += 1
            self.appendHistory(HistoryEvent(blob: blob, revision: revision, createRevision: revision, version: 1))
        }
        if deadline != 0 {
            self.ttlKeys += 1
            self.deadlines.push(DeadlineQueue.Item(deadline: deadline, modRevision: revision, blob: blob))
            if self.deadlines.count > 2 * self.ttlKeys + 1024 {
                self.deadlines.prune { self.isQueuedDeadlineLive($0) }
            }
        }
    }

    /// Whether a deadline queue entry still describes its key's latest version.
    func isQueuedDeadlineLive(_ item: DeadlineQueue.Item) -> Bool {
        let keyCount = Blob.keyCount(item.blob)
        return item.blob.withUnsafeBytes { blobBytes in
            let key = UnsafeRawBufferPointer(rebasing: blobBytes[2..<(2 + keyCount)])
            guard let position = self.tree.find(key) else {
                return false
            }
            let entry = position.leaf.entries[position.index]
            return !entry.latest.isTombstone && entry.latest.modRevision == item.modRevision
                && entry.deadline == item.deadline
        }
    }

    /// Applies a delete at `revision`; returns false (and changes nothing) when the key is absent.
    @discardableResult
    func applyDelete(key: UnsafeRawBufferPointer, revision: Int64) -> Bool {
        guard let position = self.tree.find(key) else {
            return false
        }
        if !self.keySchemaIDs.isEmpty {
            self.keySchemaIDs.removeValue(forKey: [UInt8](key))
        }
        let leaf = position.leaf
        let index = position.index
        let previous = leaf.entries[index].latest
        guard !previous.isTombstone else {
            return false
        }
        let extra = leaf.entries[index].extra ?? KeyExtra()
        extra.older.append(OlderVersion(version: previous, deadline: extra.deadline))
        if extra.deadline != 0 {
            self.ttlKeys -= 1
        }
        extra.deadline = 0
        let blob = Blob.make(key: key, value: UnsafeRawBufferPointer(start: nil, count: 0))
        leaf.entries[index].latest = KeyVersion(blob: blob, createRevision: 0, modRevision: revision, version: 0)
        leaf.entries[index].extra = extra
        self.liveKeys -= 1
        self.appendHistory(HistoryEvent(blob: blob, revision: revision, createRevision: 0, version: 0))
        return true
    }

    @inline(__always)
    private func appendHistory(_ event: HistoryEvent) {
        self.history.append(event)
        self.historyBytes += event.blob.count + 32
    }

    // MARK: - Durability (lock held)

    /// Makes every revision up to `revision` visible: delivers their events to watchers, completes the
    /// writes waiting on them, and compacts history that fell out of retention.
    func markDurable(upTo revision: Int64, deferred: inout Deferred) {
        guard revision > self.durable else {
            return
        }
        if self.watcherCount > 0 {
            self.deliverEvents(after: self.durable, through: revision, deferred: &deferred)
        }
        let previous = self.durable
        self.durable = revision
        while let first = self.pending.first, first.revision <= revision {
            deferred.completed.append(self.pending.removeFirst())
        }
        if self.armedSubscriptions > 0 || !self.pendingStreamEnds.isEmpty || !self.pendingErasures.isEmpty
            || !self.scavengeTriggers.isEmpty
        {
            self.streamsBecameDurable(after: previous, deferred: &deferred)
        }
        self.compactIfNeeded()
    }

    /// Drops history older than the retention (by revisions or bytes), never past `durable` or a snapshot in
    /// progress. Each call does a bounded amount of work (about 1024 events); writes call it often enough.
    func compactIfNeeded() {
        let ceiling = min(self.durable, self.snapshotPin ?? Int64.max)
        var target = min(self.revision - self.limits.historyRetentionRevisions, ceiling)
        let batch = min(1024, self.history.count)
        if self.historyBytes > self.limits.historyRetentionBytes && batch > 0 {
            // Over the byte bound: drop whole revisions from the front until under it (at most one batch).
            var excess = self.historyBytes - self.limits.historyRetentionBytes
            var index = 0
            while index < batch - 1 && excess > 0 {
                excess -= self.history[index].blob.count + 32
                index += 1
            }
            target = max(target, min(self.history[index].revision, ceiling))
        }
        guard target > self.compacted else {
            return
        }
        if batch > 0 {
            // Bounded work per call: whole revisions up to the batch's last event.
            target = min(target, self.history[batch - 1].revision)
        }
        while let first = self.history.first, first.revision <= target {
            self.history.removeFirst()
            self.historyBytes -= first.blob.count + 32
            // A put that created its key (version 1) leaves nothing to trim: every older version of the key
            // has an older event, popped (and trimmed at) before it, and any newer version at or below
            // `target` has its own event in this batch. Skipping it saves a lookup per new key.
            if first.version != 1 {
                self.trimHistory(of: first.blob, compactRevision: target)
            }
        }
        self.compacted = max(self.compacted, target)
    }

    /// Drops a key's versions no read at or after `compactRevision` needs; removes a compacted tombstone.
    private func trimHistory(of blob: [UInt8], compactRevision: Int64) {
        let keyCount = Blob.keyCount(blob)
        blob.withUnsafeBytes { blobBytes in
            let key = UnsafeRawBufferPointer(rebasing: blobBytes[2..<(2 + keyCount)])
            guard let position = self.tree.find(key) else {
                return
            }
            let entry = position.leaf.entries[position.index]
            if let extra = entry.extra {
                if entry.latest.modRevision <= compactRevision {
                    extra.older = []
                } else {
                    // Keep the newest version at or below the compact revision: reads at it need it. Binary
                    // search, not a scan: a hot key's history is up to the retention (100k versions) long.
                    let base = extra.firstOlder(after: compactRevision) - 1
                    if base > 0 {
                        extra.older.removeFirst(base)
                    }
                    if base >= 0 && extra.older[0].version.isTombstone {
                        extra.older.removeFirst()
                    }
                }
                if extra.older.isEmpty && extra.deadline == 0 {
                    position.leaf.entries[position.index].extra = nil
                }
            }
            if entry.latest.isTombstone && entry.latest.modRevision <= compactRevision {
                self.tree.remove(key)
            }
        }
    }

    // MARK: - Log completions

    /// Called by the log, on any thread, possibly inside `append`: queue, then apply if the lock is free.
    private func logCompleted(revision: Int64, result: Result<UInt64, any Error>) {
        self.inboxLock.lock()
        self.completionInbox.append((revision, result))
        self.inboxCount.wrappingIncrement(ordering: .sequentiallyConsistent)
        self.inboxLock.unlock()
        self.drainCompletions()
    }

    /// Applies queued log completions while there are any and the store lock can be taken without waiting.
    ///
    /// Whoever holds the lock when a completion is queued calls this after unlocking (`unlockAndDrain`), so a
    /// completion that found the lock busy is applied by the holder: no completion is lost, none waits.
    func drainCompletions() {
        while self.inboxCount.load(ordering: .sequentiallyConsistent) > 0 {
            guard self.lock.tryLock() else {
                return
            }
            self.inboxLock.lock()
            swap(&self.completionInbox, &self.completionsDraining)
            self.inboxCount.store(0, ordering: .sequentiallyConsistent)
            self.inboxLock.unlock()
            var deferred = Deferred()
            for item in self.completionsDraining {
                switch item.result {
                case .success(let index):
                    if self.logFailure == nil {
                        self.markDurable(upTo: item.revision, deferred: &deferred)
                        self.durableIndex = max(self.durableIndex, index)
                    }
                case .failure(let error):
                    if self.logFailure == nil {
                        self.logFailure = error
                        let failure = StoreError.unavailable(
                            "the log failed before revision \(item.revision) was durable: \(error)",
                            cause: error
                        )
                        while let first = self.pending.popFirst() {
                            deferred.failed.append((first, failure))
                        }
                    }
                }
            }
            self.completionsDraining.removeAll(keepingCapacity: true)
            self.scheduleSnapshotIfDue(deferred: &deferred)
            self.scheduleArchiveIfDue(deferred: &deferred)
            self.lock.unlock()
            self.run(&deferred)
        }
    }

    /// Unlocks, then applies log completions that arrived meanwhile.
    @inline(__always)
    func unlockAndDrain() {
        self.lock.unlock()
        if self.inboxCount.load(ordering: .sequentiallyConsistent) > 0 {
            self.drainCompletions()
        }
    }

    /// Unlocks, runs deferred work, then applies log completions that arrived meanwhile.
    @inline(__always)
    func unlockAndRun(_ deferred: inout Deferred) {
        self.lock.unlock()
        if !deferred.isEmpty {
            self.run(&deferred)
        }
        if self.inboxCount.load(ordering: .sequentiallyConsistent) > 0 {
            self.drainCompletions()
        }
    }

    /// Runs deferred work; the lock is not held.
    func run(_ deferred: inout Deferred) {
        for completion in deferred.completed {
            completion.complete(nil)
        }
        for (completion, error) in deferred.failed {
            completion.complete(error)
        }
        for watcher in deferred.ready {
            watcher.onReady()
        }
        for subscription in deferred.subscriptionsReady {
            subscription.onReady()
        }
        if let snapshot = deferred.snapshot {
            self.snapshotQueue.async {
                self.writeScheduledSnapshot(revision: snapshot.revision, index: snapshot.index)
            }
        }
        if let batch = deferred.archiveBatch {
            self.archiveQueue.async {
                self.sealArchiveBatch(batch)
            }
        }
        if let milliseconds = deferred.archiveRetryMilliseconds {
            self.archiveQueue.asyncAfter(deadline: .now() + .milliseconds(milliseconds)) {
                self.retryArchive()
            }
        }
        if deferred.scavenge {
            self.scheduleScavenge()
        }
        deferred = Deferred()
    }
}
