/// Limits and tuning of an `EventArchive`. Every limit applies when chunks are written (`seal`); reading accepts any
/// chunk within the format's own limits (`ArchiveChunkFormat`), so lowering a limit later never strands old chunks.
public struct ArchiveConfiguration: Sendable {
    /// At most this many events per chunk. Default 4,096 (ADR 0004 §7).
    ///
    /// A chunk is the unit of decompression: reading one old event decompresses its whole chunk, so this bounds the
    /// read amplification of a point read, while still giving zstd enough similar events to find repetition (event
    /// type names, JSON keys) and keeping the number of files of a long history modest (a billion events are ~244k
    /// chunks). At most `ArchiveChunkFormat.maxEvents`.
    public var maxEventsPerChunk: Int = 4096

    /// At most this many bytes of entries per chunk before compression (payloads plus 24 bytes of framing per event).
    /// Default 16 MiB.
    ///
    /// Bounds the memory of a seal (the raw encoding and its compressed copy exist at once) and of a read (the
    /// decompressed chunk), and therefore of every cached chunk. 16 MiB holds 16 events of the largest size the store
    /// accepts (`maxEventBytes`, 1 MiB), or 4,096 events of 4 KiB. At most `ArchiveChunkFormat.maxRawBytes`.
    public var maxChunkRawBytes: Int = 16 << 20

    /// Decompressed chunks kept in memory, least recently read evicted first. Default 8; 0 disables the cache.
    ///
    /// Catch-up readers walk history chunk by chunk, and several at once may read the same old chunks (a consumer
    /// group rebalancing, a projection rebuild): eight chunks serve a handful of concurrent readers without each read
    /// decompressing again, while memory stays bounded at `cachedChunks × maxChunkRawBytes` (128 MiB worst case, a few
    /// MiB for typical events) no matter how long history grows.
    public var cachedChunks: Int = 8

    /// The zstd level chunks are compressed with. Default 3, zstd's own default.
    ///
    /// Sealing is off the write path, but it still runs on the node's cores: level 3 compresses at hundreds of MB/s
    /// with most of the ratio of higher levels on repetitive event data, and decompression speed (what readers pay)
    /// hardly depends on the level. Clamped into `Zstd.levels`.
    public var compressionLevel: Int32 = 3

    /// Creates a configuration; every argument defaults to the default above (see each property for its reason).
    public init(maxEventsPerChunk: Int = 4096, maxChunkRawBytes: Int = 16 << 20, cachedChunks: Int = 8,
                compressionLevel: Int32 = 3)
    {
        self.maxEventsPerChunk = maxEventsPerChunk
        self.maxChunkRawBytes = maxChunkRawBytes
        self.cachedChunks = cachedChunks
        self.compressionLevel = compressionLevel
    }
}
