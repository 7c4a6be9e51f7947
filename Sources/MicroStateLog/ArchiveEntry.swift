/// One event in the archive: its global position, its stream and revision, and the store's encoding of the event.
///
/// The archive does not interpret `payload`; it only requires positions to increase and each stream's revisions to
/// increase along them (see `EventArchive.seal`).
public struct ArchiveEntry: Sendable, Equatable {
    /// The event's `$all` position (ADR 0004 §1); unique across the archive, at least 0.
    public var position: Int64
    /// The stream the event belongs to (UTF-8, at most `ArchiveChunkFormat.maxStreamNameBytes` bytes).
    public var stream: String
    /// The event's 0-based revision in `stream`; at least 0.
    public var revision: Int64
    /// The opaque encoded event (at most `ArchiveConfiguration.maxChunkRawBytes` together with its chunk's others).
    public var payload: [UInt8]

    /// Creates an entry.
    public init(position: Int64, stream: String, revision: Int64, payload: [UInt8]) {
        self.position = position
        self.stream = stream
        self.revision = revision
        self.payload = payload
    }
}

/// The events of one stream in one chunk: its first and last revision there and how many it holds.
///
/// Revisions in between may be missing (`count <= lastRevision - firstRevision + 1`) once a chunk has been rewritten
/// without some events.
public struct ArchiveStreamRange: Sendable, Equatable {
    /// The stream's name.
    public var stream: String
    /// The lowest revision of `stream` in the chunk.
    public var firstRevision: Int64
    /// The highest revision of `stream` in the chunk.
    public var lastRevision: Int64
    /// How many events of `stream` the chunk holds (at least 1).
    public var count: Int

    /// Creates a range.
    public init(stream: String, firstRevision: Int64, lastRevision: Int64, count: Int) {
        self.stream = stream
        self.firstRevision = firstRevision
        self.lastRevision = lastRevision
        self.count = count
    }
}

/// What `EventArchive` knows about one chunk file without decompressing it: read from the file's header and footer.
public struct ArchiveChunkInfo: Sendable, Equatable {
    /// The chunk's identifier and the number in its file name. Identifiers increase with positions; a rewrite keeps
    /// the identifier.
    public var id: UInt64
    /// The position of the chunk's first event.
    public var firstPosition: Int64
    /// The position of the chunk's last event.
    public var lastPosition: Int64
    /// The number of events in the chunk (at least 1).
    public var eventCount: Int
    /// One range per stream in the chunk, sorted by the streams' UTF-8 bytes.
    public var streams: [ArchiveStreamRange]
    /// The size of the chunk's file.
    public var fileBytes: Int
    /// The size of the chunk's entries before compression (the body's raw encoding, see `ArchiveChunkFormat`).
    public var rawBytes: Int

    /// Creates an info.
    public init(
        id: UInt64,
        firstPosition: Int64,
        lastPosition: Int64,
        eventCount: Int,
        streams: [ArchiveStreamRange],
        fileBytes: Int,
        rawBytes: Int
    ) {
        self.id = id
        self.firstPosition = firstPosition
        self.lastPosition = lastPosition
        self.eventCount = eventCount
        self.streams = streams
        self.fileBytes = fileBytes
        self.rawBytes = rawBytes
    }

    /// The range of `stream` in this chunk, if the chunk holds any of its events. Binary search over `streams`.
    public func range(of stream: String) -> ArchiveStreamRange? {
        var low = 0
        var high = self.streams.count
        while low < high {
            let middle = (low + high) / 2
            if ArchiveChunkFormat.precedes(self.streams[middle].stream, stream) {
                low = middle + 1
            } else {
                high = middle
            }
        }
        guard low < self.streams.count, self.streams[low].stream.utf8.elementsEqual(stream.utf8) else {
            return nil
        }
        return self.streams[low]
    }
}
