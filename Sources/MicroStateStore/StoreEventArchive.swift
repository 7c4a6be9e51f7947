/// The event archive as the store sees it: immutable, compressed chunk files of old durable events (ADR 0004 §7).
///
/// The node adapts its `EventArchive` (MicroStateLog) to this protocol, as it adapts its WAL to `StoreLog`; the store
/// never touches files. Without an archive (`--durability memory`) every event stays in memory.
///
/// The store calls `seal`, `rewrite` and `remove` from one serial queue (its archive queue), never with its lock
/// held, and `read` from any thread, also never with its lock held. `chunks` is read once, during recovery.
///
/// - Important: implementations must be thread-safe: `read` runs concurrently with itself and with changes, and must
///   return either the chunk's content before a concurrent `rewrite` or after it (never a mix), or throw when the
///   chunk was removed meanwhile.
public protocol StoreEventArchive: AnyObject, Sendable {
    /// The bounds every sealed chunk must respect.
    var limits: StoreArchiveLimits { get }

    /// Every chunk, in position order (ids increase with positions; chunks never overlap).
    var chunks: [StoreArchiveChunk] { get }

    /// The total size of the chunk files in bytes.
    var diskBytes: Int { get }

    /// Writes `events` (non-empty, positions strictly increasing and above every chunk's, each stream's revisions
    /// increasing, within `limits`) as a new chunk, durably, and returns it.
    func seal(_ events: [StoreArchivedEvent]) throws -> StoreArchiveChunk

    /// The events of chunk `id`, in position order (checked against the file's checksums).
    func read(chunk id: UInt64) throws -> [StoreArchivedEvent]

    /// Replaces chunk `id` by one holding only the events `keeping` keeps, under the same id; returns the new chunk,
    /// or nil when nothing was kept (the chunk is removed). Once it returns, the dropped events are in no file.
    func rewrite(chunk id: UInt64, keeping: (StoreArchivedEvent) -> Bool) throws -> StoreArchiveChunk?

    /// Removes chunk `id` durably.
    func remove(chunk id: UInt64) throws
}

/// The bounds of one chunk: the store hands over at most this much per `seal`.
public struct StoreArchiveLimits: Sendable, Equatable {
    /// Most events per chunk.
    public var maxEventsPerChunk: Int
    /// Most bytes of events per chunk before compression: each event's payload plus `entryOverheadBytes`.
    public var maxChunkRawBytes: Int
    /// Framing bytes the archive adds per event to its raw size.
    public var entryOverheadBytes: Int

    /// Creates limits.
    public init(maxEventsPerChunk: Int, maxChunkRawBytes: Int, entryOverheadBytes: Int) {
        self.maxEventsPerChunk = maxEventsPerChunk
        self.maxChunkRawBytes = maxChunkRawBytes
        self.entryOverheadBytes = entryOverheadBytes
    }
}

/// One event in the archive: where it is, and the store's encoding of everything else (`EventPayload`).
public struct StoreArchivedEvent: Sendable, Equatable {
    /// The event's `$all` position.
    public var position: Int64
    /// The event's stream.
    public var stream: String
    /// The event's revision in `stream`.
    public var revision: Int64
    /// The event's id, type, content type, data, metadata and recorded time, encoded by `EventPayload`.
    public var payload: [UInt8]

    /// Creates an archived event.
    public init(position: Int64, stream: String, revision: Int64, payload: [UInt8]) {
        self.position = position
        self.stream = stream
        self.revision = revision
        self.payload = payload
    }
}

/// The events of one stream in one chunk (revisions in between may be missing after a rewrite).
public struct StoreArchivedStreamRange: Sendable, Equatable {
    /// The stream's name.
    public var stream: String
    /// The stream's lowest revision in the chunk.
    public var firstRevision: Int64
    /// The stream's highest revision in the chunk.
    public var lastRevision: Int64
    /// How many of the stream's events the chunk holds.
    public var count: Int

    /// Creates a range.
    public init(stream: String, firstRevision: Int64, lastRevision: Int64, count: Int) {
        self.stream = stream
        self.firstRevision = firstRevision
        self.lastRevision = lastRevision
        self.count = count
    }
}

/// What the archive knows about one chunk without reading its events (its header and footer).
public struct StoreArchiveChunk: Sendable, Equatable {
    /// The chunk's id; ids increase with positions, and a rewrite keeps the id.
    public var id: UInt64
    /// The position of the chunk's first event.
    public var firstPosition: Int64
    /// The position of the chunk's last event.
    public var lastPosition: Int64
    /// How many events the chunk holds.
    public var eventCount: Int
    /// One range per stream the chunk holds.
    public var streams: [StoreArchivedStreamRange]
    /// The size of the chunk's file.
    public var fileBytes: Int

    /// Creates a chunk description.
    public init(
        id: UInt64,
        firstPosition: Int64,
        lastPosition: Int64,
        eventCount: Int,
        streams: [StoreArchivedStreamRange],
        fileBytes: Int
    ) {
        self.id = id
        self.firstPosition = firstPosition
        self.lastPosition = lastPosition
        self.eventCount = eventCount
        self.streams = streams
        self.fileBytes = fileBytes
    }
}
