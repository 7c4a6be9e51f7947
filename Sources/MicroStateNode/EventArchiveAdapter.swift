import MicroStateLog
import MicroStateStore

/// Adapts the event archive (chunk files, `EventArchive`) to the store's archive protocol, as `WALStoreLog` adapts
/// the WAL: the store never touches files, and this is the only place the two meet.
public final class EventArchiveAdapter: StoreEventArchive, @unchecked Sendable {
    /// The archive; thread-safe itself (immutable reference).
    public let archive: EventArchive
    public let limits: StoreArchiveLimits

    public init(_ archive: EventArchive) {
        self.archive = archive
        self.limits = StoreArchiveLimits(
            maxEventsPerChunk: archive.configuration.maxEventsPerChunk,
            maxChunkRawBytes: archive.configuration.maxChunkRawBytes,
            entryOverheadBytes: ArchiveChunkFormat.entryHeaderBytes
        )
    }

    public var chunks: [StoreArchiveChunk] {
        self.archive.chunks.map(Self.chunk)
    }

    public var diskBytes: Int {
        self.archive.diskBytes
    }

    public func seal(_ events: [StoreArchivedEvent]) throws -> StoreArchiveChunk {
        let entries = events.map {
            ArchiveEntry(position: $0.position, stream: $0.stream, revision: $0.revision, payload: $0.payload)
        }
        return Self.chunk(try self.archive.seal(entries))
    }

    public func read(chunk id: UInt64) throws -> [StoreArchivedEvent] {
        try self.archive.read(chunk: id).map(Self.event)
    }

    public func rewrite(chunk id: UInt64, keeping: (StoreArchivedEvent) -> Bool) throws -> StoreArchiveChunk? {
        try self.archive.rewrite(chunk: id) { keeping(Self.event($0)) }.map(Self.chunk)
    }

    public func remove(chunk id: UInt64) throws {
        try self.archive.remove(chunk: id)
    }

    private static func event(_ entry: ArchiveEntry) -> StoreArchivedEvent {
        StoreArchivedEvent(
            position: entry.position,
            stream: entry.stream,
            revision: entry.revision,
            payload: entry.payload
        )
    }

    private static func chunk(_ info: ArchiveChunkInfo) -> StoreArchiveChunk {
        StoreArchiveChunk(
            id: info.id,
            firstPosition: info.firstPosition,
            lastPosition: info.lastPosition,
            eventCount: info.eventCount,
            streams: info.streams.map {
                StoreArchivedStreamRange(
                    stream: $0.stream,
                    firstRevision: $0.firstRevision,
                    lastRevision: $0.lastRevision,
                    count: $0.count
                )
            },
            fileBytes: info.fileBytes
        )
    }
}
