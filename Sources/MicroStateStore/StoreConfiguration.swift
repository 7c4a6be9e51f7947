/// How a `KVStore` is set up.
public struct StoreConfiguration: Sendable {
    /// Bounds on requests and memory.
    public var limits: StoreLimits
    /// A snapshot is taken after this many log records since the last one. Default 100,000: bounds
    /// recovery replay to about a second. 0 disables automatic snapshots.
    public var compactAfterRecords: Int
    /// This node's id, reported in metrics.
    public var nodeID: UInt64
    /// How long after a stream delete or a retention change becomes durable the store scavenges (erases the events
    /// it hides from disk, ADR 0004 §7), in milliseconds. Default 1,000: deletes that come in a burst share one
    /// scavenge (each rolls the log, writes a snapshot and rewrites chunks), and the bytes are still gone within
    /// seconds. Negative disables scavenging on writes (the periodic and explicit ones remain).
    public var scavengeDelayMilliseconds: Int
    /// Decoded archive chunks kept by the store for readers, least recently used evicted first. Default 4: a
    /// catch-up reader pulls a few hundred events per batch and finds the rest of its chunk decoded for the next
    /// batch; a handful of concurrent catch-up readers share them. Bounded memory: at most this many chunks of
    /// `ArchiveConfiguration.maxChunkRawBytes` (16 MiB) each, a few MB for typical events.
    public var decodedChunkCache: Int

    /// Creates a configuration; every argument has the documented default.
    public init(
        limits: StoreLimits = StoreLimits(),
        compactAfterRecords: Int = 100_000,
        nodeID: UInt64 = 0,
        scavengeDelayMilliseconds: Int = 1_000,
        decodedChunkCache: Int = 4
    ) {
        self.limits = limits
        self.compactAfterRecords = compactAfterRecords
        self.nodeID = nodeID
        self.scavengeDelayMilliseconds = scavengeDelayMilliseconds
        self.decodedChunkCache = decodedChunkCache
    }
}
