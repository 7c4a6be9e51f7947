/// Every bound of the store, each with its default and the reason for it.
///
/// Everything a client can grow has a limit here; the KV service reports a violated one as
/// `invalidArgument` (or `resourceExhausted` for store-wide bounds) with the limit's name in the message.
public struct StoreLimits: Sendable, Equatable {
    /// Largest key in bytes. Default 4096: etcd's practical key size; keys live in every B-tree node and
    /// history event, so big keys multiply memory. At most 65535 (keys are stored with a 16-bit length).
    public var maxKeyBytes: Int = 4096
    /// Largest value in bytes. Default 3 MiB: a Get response must fit under gRPC's 4 MiB default
    /// maximum message size together with the key and header.
    public var maxValueBytes: Int = 3 * 1024 * 1024
    /// Most compares and most ops per branch of one Txn. Default 128 (etcd's `--max-txn-ops`): one Txn is one
    /// log record and one critical section, so it bounds both record size and lock hold time.
    public var maxTxnOps: Int = 128
    /// Most keys one Range returns; a request's limit 0 or above it means this. Default 10,000: bounds the
    /// response and the time the store lock is held while copying.
    public var maxRangeLimit: Int = 10_000
    /// Most key and value bytes one Range returns; past it the range stops early with `more = true`.
    /// Default 3 MiB, under gRPC's 4 MiB default message size.
    public var maxRangeResponseBytes: Int = 3 * 1024 * 1024
    /// Most live watchers. Default 10,000: each costs a buffer and a check on every event.
    public var maxWatchers: Int = 10_000
    /// Most undelivered events buffered per watcher before it is overflowed (and must resume).
    /// Default 4096: a slow watcher never blocks writers, and never holds more than this.
    public var watchBufferEvents: Int = 4096
    /// Most undelivered key and value bytes buffered per watcher before it is overflowed. Default 8 MiB.
    public var watchBufferBytes: Int = 8 * 1024 * 1024
    /// How long an idempotency key is remembered, in milliseconds. Default 10 minutes: longer than any
    /// sane client retry loop, short enough to bound the table.
    public var idempotencyWindowMilliseconds: Int64 = 10 * 60 * 1000
    /// Most idempotency keys remembered; the oldest is forgotten first. Default 100,000 (≈ 10 MB).
    public var maxIdempotencyKeys: Int = 100_000
    /// How many revisions of history (older versions, watch events) are kept. Default 100,000: a watcher
    /// that reconnects within that many writes resumes without a gap; older reads fail with `compacted`.
    public var historyRetentionRevisions: Int64 = 100_000
    /// Most bytes of history (keys and values of retained events) kept; past it history is compacted early.
    /// Default 256 MiB: with 3 MiB values, 100,000 revisions of history would not fit in memory.
    public var historyRetentionBytes: Int = 256 * 1024 * 1024

    // MARK: Event streams (ADR 0004 §3; docs/events.md)

    /// Longest stream name in UTF-8 bytes. Default 256: names are kept in memory for every stream (also
    /// hard-deleted ones, whose tombstone is forever), in every log record of the stream and in group
    /// checkpoints. A name must also be non-empty, free of control characters, and must not start with `$`
    /// (reserved; only `$all` may be read or subscribed).
    public var maxStreamNameBytes: Int = 256
    /// Longest event type in UTF-8 bytes (a type must be non-empty). Default 256: types are compared for
    /// every event a filtered subscription examines.
    public var maxEventTypeBytes: Int = 256
    /// Longest event id in UTF-8 bytes. Default 128: room for any UUID encoding; each id in the idempotency
    /// window costs memory, so they must stay small.
    public var maxEventIDBytes: Int = 128
    /// Largest single event: data + metadata keys and values + type + id + content type, in bytes.
    /// Default 1 MiB: an event is delivered in one gRPC message, under its 4 MiB default maximum.
    public var maxEventBytes: Int = 1024 * 1024
    /// Most events in one append. Default 10,000: an append is one log record and one critical section.
    public var maxEventsPerAppend: Int = 10_000
    /// Most bytes (as counted for `maxEventBytes`) of all events of one append. Default 4 MiB: one log
    /// record; the gRPC message limit bounds a request to about that anyway.
    public var maxAppendBytes: Int = 4 * 1024 * 1024
    /// Most metadata entries on one event. Default 64: metadata is for headers, not payload.
    public var maxEventMetadataEntries: Int = 64
    /// Most event ids remembered for idempotent appends; the oldest is forgotten first. Default 1,000,000
    /// (about 150 MB with 36-character UUIDs): a day of retries at a steady 10 appends per second.
    public var maxEventIDs: Int = 1_000_000
    /// How long an event id is remembered, in milliseconds. Default 24 h: longer than any client retry,
    /// including one after a node restart (the window survives restarts: replay and snapshots rebuild it).
    public var eventIDWindowMilliseconds: Int64 = 24 * 60 * 60 * 1000
    /// Longest consumer group name in UTF-8 bytes. Default 256: kept with every checkpoint and ack record.
    public var maxGroupNameBytes: Int = 256
    /// Largest aggregate snapshot state in bytes. Default 1 MiB: it is returned in one gRPC message and kept
    /// in memory (the latest per stream).
    public var maxAggregateSnapshotBytes: Int = 1024 * 1024
    /// Most events one read returns; a read's max count 0 (or above it) means this. Default 100,000: bounds
    /// the batch and the time the store lock is held copying it.
    public var maxReadCount: Int = 100_000
    /// Most live subscriptions. Default 10,000: each costs a cursor and an entry in the wake-up lists (a
    /// subscription never buffers events, so its memory is O(1)).
    public var maxSubscriptions: Int = 10_000

    // MARK: Bounded memory (ADR 0004 §7; docs/events-engine.md "Archive")

    /// Events kept in memory beyond which durable events move to archive chunks (with an archive: not with
    /// `--durability memory`). Default 65,536: a live subscriber or a consumer less than that behind the head (seconds
    /// of traffic at tens of thousands of events per second) reads from memory without decompressing, and every
    /// store snapshot holds these events, so it also bounds snapshot size. Memory holds at most this plus one chunk
    /// (`ArchiveConfiguration.maxEventsPerChunk`) once archiving has caught up.
    public var memoryWindowEvents: Int = 65_536
    /// Bytes of events (as counted for `maxEventBytes`) kept in memory beyond which durable events move to archive
    /// chunks. Default 64 MiB: bounds the window for large events (64 events of 1 MiB).
    public var memoryWindowBytes: Int = 64 * 1024 * 1024
    /// Chunks of durable events waiting to be archived beyond the window before appends wait for the archiver
    /// (back-pressure, at most 1 s per append). Default 8: sealing a chunk takes milliseconds, so only a writer
    /// outrunning compression and fsync for a while reaches it; memory stays bounded by the window plus 8 chunks. Not
    /// applied while archiving fails (events then stay in memory and in the log, see docs/durability.md).
    public var maxArchiveBacklogChunks: Int = 8

    /// The defaults above.
    public init() {}
}
