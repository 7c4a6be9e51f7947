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

    /// The defaults above.
    public init() {}
}

/// How a `KVStore` is set up.
public struct StoreConfiguration: Sendable {
    /// Bounds on requests and memory.
    public var limits: StoreLimits
    /// A snapshot is taken after this many log records since the last one. Default 100,000: bounds
    /// recovery replay to about a second. 0 disables automatic snapshots.
    public var compactAfterRecords: Int
    /// This node's id, reported in metrics.
    public var nodeID: UInt64

    /// Creates a configuration; every argument has the documented default.
    public init(limits: StoreLimits = StoreLimits(), compactAfterRecords: Int = 100_000, nodeID: UInt64 = 0) {
        self.limits = limits
        self.compactAfterRecords = compactAfterRecords
        self.nodeID = nodeID
    }
}

/// A wall clock, injected so tests can drive TTL expiry and idempotency windows.
public protocol StoreClock: Sendable {
    /// Milliseconds since the Unix epoch.
    func nowMilliseconds() -> Int64
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The system's real-time clock.
public struct SystemClock: StoreClock {
    /// Creates the clock.
    public init() {}

    /// Milliseconds since the Unix epoch, from `clock_gettime(CLOCK_REALTIME)`.
    public func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

/// The durable log the store appends its records to; the node adapts its WAL to this.
///
/// - Important: `append` is called with the store lock held; it may call `completion` synchronously (the
///   store queues such a completion and applies it after its critical section), but must not block on I/O.
public protocol StoreLog: AnyObject, Sendable {
    /// Queues one record and returns its log index.
    ///
    /// `completion` is called exactly once, when the record is durable (or the log failed), in index order,
    /// on any thread. The store calls `append` while holding its lock, so append must only queue.
    func append(_ payload: [UInt8], completion: @escaping @Sendable (Result<UInt64, any Error>) -> Void) -> UInt64

    /// Durably stores a snapshot covering every record up to and including `index`.
    ///
    /// `produce` writes the snapshot as a sequence of chunks through the `emit` function it is given; the
    /// snapshot is their concatenation. After it returns (without throwing), records up to `index` may be
    /// dropped. Called on the store's snapshot thread, never with the store lock held.
    func writeSnapshot(index: UInt64, produce: (_ emit: ([UInt8]) throws -> Void) throws -> Void) throws
}
