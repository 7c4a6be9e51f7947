/// Counters and gauges of a store, read together under its lock.
public struct StoreMetrics: Sendable, Equatable {
    /// The node id from the configuration.
    public var nodeID: UInt64
    /// Live keys at the latest (possibly not yet durable) revision.
    public var keys: Int
    /// The latest revision written (possibly not yet durable).
    public var revision: Int64
    /// The latest durable revision; reads and watchers see up to it.
    public var durableRevision: Int64
    /// The oldest readable revision.
    public var compactRevision: Int64
    /// Live watchers.
    public var watchers: Int
    /// Writes (and reads waiting on them) whose completion waits for durability.
    public var pendingWrites: Int
    /// Snapshots written since the store was created.
    public var snapshotsTaken: Int
    /// Snapshots that failed to be written (not fatal: recovery replays more of the log).
    public var snapshotFailures: Int
    /// Records appended since the last snapshot.
    public var recordsSinceSnapshot: Int
    /// Events retained in the history.
    public var historyEvents: Int
    /// Idempotency keys remembered.
    public var idempotencyKeys: Int
    /// Live keys with a TTL deadline.
    public var ttlKeys: Int
    /// Entries in the TTL expiry queue, including stale ones (bounded by 2 × `ttlKeys` + 1024).
    public var ttlQueued: Int
    /// Whether the log failed (writes are refused).
    public var logFailed: Bool
    /// Streams known to the store, including hard-deleted ones (their tombstones are kept forever).
    public var streams: Int
    /// Events held in memory (written, possibly not yet durable; erased events not counted).
    public var events: Int
    /// Live subscriptions.
    public var subscriptions: Int
    /// Consumer groups with a checkpoint or a live member.
    public var groups: Int
    /// Event ids remembered for idempotent appends.
    public var eventIDs: Int
    /// Bytes of the events held in memory (as counted for `maxEventBytes`).
    public var eventBytesInMemory: Int
    /// Events in archive chunks (not in memory).
    public var eventsArchived: Int
    /// Archive chunk files.
    public var archiveChunks: Int
    /// Bytes of the archive chunk files.
    public var archiveFileBytes: Int
    /// Entries of the in-memory archive index: one per (stream, chunk) pair, 32 bytes each.
    public var archiveIndexRuns: Int
    /// The highest position archived: every durable event at or below it left memory.
    public var archivedThrough: Int64
    /// Seals that failed (retried; the events stay in memory and in the log meanwhile).
    public var archiveFailures: Int
    /// Appends that waited for the archiver (`StoreLimits.maxArchiveBacklogChunks`).
    public var archiveBackpressureWaits: Int
    /// Scavenges run (physical erase of hidden events, ADR 0004 §7).
    public var scavenges: Int
    /// Scavenges that failed part way (retried by the next one).
    public var scavengeFailures: Int
    /// Events erased by scavenges, deletes and truncations: from memory and from archive chunks.
    public var scavengedEvents: Int
}
