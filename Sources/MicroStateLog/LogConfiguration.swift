import Logging

/// How far a record has to get before its append is acknowledged (DESIGN.md, "Durability model").
public enum Durability: String, Sendable, CaseIterable {
    /// Acknowledge after the batch holding the record is `fdatasync`ed: survives power loss. The default.
    case fsync
    /// Acknowledge after `write(2)`: survives a process crash (the page cache stays), not a power cut.
    case os
    /// No log at all: nothing touches the disk and nothing is recovered. Opt-in only, for caches and tests.
    case memory
}

/// How the log prepares the spare next segment (docs/adr/0003).
public enum SegmentPreparation: Sendable {
    /// On a helper thread, started when the log opens and after each roll, so rolling never waits for it. The
    /// default.
    case background
    /// On the thread that asks for it (the opening thread, then the writer thread right after a roll), before it goes
    /// on. Deterministic: for simulation tests that count file-system operations.
    case inline
}

/// Where the log lives and the limits it enforces. Every limit has a default and a reason.
public struct LogConfiguration: Sendable {
    /// Directory holding segment and snapshot files; created (with parents) if missing.
    public var directory: String
    /// When appends are acknowledged. Default `.fsync`.
    public var durability: Durability
    /// A new segment file is started when the next record would take the active one past this many bytes (a segment
    /// always takes at least one record, growing past this size for a larger one). Default 64 MiB: large enough that
    /// rolling (two fsyncs) is rare, small enough that compaction after a snapshot frees space in useful steps.
    ///
    /// Segments are created at this size before records go in (allocated, and zero-filled for all but a segment the
    /// log needs at once), so fdatasync never commits a size change. An idle log therefore uses up to two segments of
    /// disk however few records it holds: the active segment and the spare next one.
    public var segmentBytes: Int
    /// How the spare next segment is prepared. Default `.background`.
    public var segmentPreparation: SegmentPreparation
    /// Largest payload accepted; larger appends complete with `.recordTooLarge`. Default 8 MiB: bounds the recovery
    /// read buffer and the latency one record adds to its batch. Recovery rejects longer records as corrupt, so do not
    /// lower this below records already on disk.
    public var maxRecordBytes: Int
    /// Group commit: most bytes written by one `write`+`fdatasync` (a single larger record is still written alone).
    /// Default 4 MiB: past that a bigger batch adds latency for the first writer without saving fsyncs worth having.
    public var maxBatchBytes: Int
    /// Bound of the queue of framed records waiting for the writer thread. An append that would exceed it blocks its
    /// caller until the writer takes the queue (back-pressure instead of unbounded memory). The writer holds at most
    /// one more queue's worth in flight, so appends cost at most twice this in memory. Default 64 MiB; must be at
    /// least `maxRecordBytes` + 16.
    public var maxPendingBytes: Int
    /// Size of the buffer recovery reads segments with (grown to one record if a record is larger). Default 4 MiB:
    /// few large reads make recovery fast while bounding its memory.
    public var recoveryChunkBytes: Int
    /// Largest chunk a snapshot file frames (each chunk has its own CRC, so corruption is located to a chunk).
    /// Default 1 MiB.
    public var snapshotChunkBytes: Int
    /// Where recovery and failures are logged.
    public var logger: Logger
    /// `.os` durability only: the threads that append also write the queue, by calling `flushPending()` when they
    /// finish a burst of work (the node calls it at the end of each connection read burst). Appends then do not wake
    /// the writer thread, which only writes what nobody flushed within `callerFlushIntervalNanoseconds`. Saves two
    /// thread wake-ups per batch, which were most of the cost of a logged write (ADR 0005). Default false.
    public var callerFlushes: Bool
    /// With `callerFlushes`: how long an unflushed record may wait before the writer thread writes it. Default 1 ms.
    public var callerFlushIntervalNanoseconds: Int

    /// Creates a configuration with the documented defaults.
    public init(directory: String, durability: Durability = .fsync) {
        self.directory = directory
        self.durability = durability
        self.segmentBytes = 64 << 20
        self.segmentPreparation = .background
        self.maxRecordBytes = 8 << 20
        self.maxBatchBytes = 4 << 20
        self.maxPendingBytes = 64 << 20
        self.recoveryChunkBytes = 4 << 20
        self.snapshotChunkBytes = 1 << 20
        self.logger = Logger(label: "microstate.log")
        self.callerFlushes = false
        self.callerFlushIntervalNanoseconds = 1_000_000
    }

    func validate() throws(LogError) {
        func check(_ condition: Bool, _ message: String) throws(LogError) {
            if !condition {
                throw LogError(code: .invalidArgument, message: "invalid LogConfiguration: \(message)")
            }
        }
        try check(!self.directory.isEmpty || self.durability == .memory, "directory is empty")
        try check(self.maxRecordBytes >= 0 && self.maxRecordBytes <= Int(UInt32.max) - 1,
                  "maxRecordBytes must be in 0..<4 GiB")
        try check(self.segmentBytes > SegmentFormat.headerBytes, "segmentBytes must exceed the segment header")
        try check(self.maxBatchBytes > 0, "maxBatchBytes must be positive")
        try check(self.maxPendingBytes >= self.maxRecordBytes + RecordFormat.headerBytes,
                  "maxPendingBytes must hold at least one maximal record")
        try check(self.recoveryChunkBytes >= 4096, "recoveryChunkBytes must be at least 4 KiB")
        try check(self.snapshotChunkBytes > 0 && self.snapshotChunkBytes < Int(UInt32.max),
                  "snapshotChunkBytes must be in 1..<4 GiB")
    }
}
