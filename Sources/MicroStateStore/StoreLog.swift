/// The durable log the store appends its records to; the node adapts its WAL to this.
///
/// - Important: `append` is called with the store lock held; it may call `completion` synchronously (the
///   store queues such a completion and applies it after its critical section), but must not block on I/O.
///   Call completions without holding any lock of the log: they may run user code that appends again. Run
///   `writeSnapshot`'s `produce` without holding any lock `append` takes: `produce` takes the store lock, so
///   holding one would invert the store-then-log lock order and deadlock.
public protocol StoreLog: AnyObject, Sendable {
    /// Queues one record and returns its log index.
    ///
    /// `completion` is called exactly once, in index order, on any thread: `.success(index)` with the same
    /// index once the record (and every record before it) is durable, or `.failure` if the log failed; after a
    /// failure the store refuses writes until restart. The store calls `append` while holding its lock, so
    /// append must only queue. A record carries one store revision, or N for an append of N events (ADR 0004),
    /// so indexes and revisions both only grow, but not in step.
    func append(_ payload: [UInt8], completion: @escaping @Sendable (Result<UInt64, any Error>) -> Void) -> UInt64

    /// Durably stores a snapshot covering every record up to and including `index`.
    ///
    /// `produce` writes the snapshot as a sequence of chunks through the `emit` function it is given; the
    /// snapshot is their concatenation. After it returns (without throwing), records up to `index` may be
    /// dropped, and recovery is `KVStore.restore(snapshot:index:)` followed by `replay` of the records after
    /// `index`. Called on the store's snapshot queue (or the caller of `KVStore.takeSnapshot`), never with the
    /// store lock held; `emit` may be called many times (chunks of about 4096 keys).
    func writeSnapshot(index: UInt64, produce: (_ emit: ([UInt8]) throws -> Void) throws -> Void) throws

    /// `writeSnapshot`, deleting every older snapshot instead of keeping the previous one; `index` may equal the last
    /// snapshot's (it is replaced). A scavenge writes its snapshot so (ADR 0004 §7): older snapshots may hold events
    /// it erased.
    func writeSnapshot(
        index: UInt64,
        discardingOlder: Bool,
        produce: (_ emit: ([UInt8]) throws -> Void) throws -> Void
    ) throws

    /// Starts a new log segment now, so that the next snapshot can delete every segment holding records written
    /// so far; returns the first index of the new segment (every record below it is in an older one). Called by a
    /// scavenge, never with the store lock held.
    func rollSegment() throws -> UInt64
}

extension StoreLog {
    /// For logs that keep every snapshot the same way (tests): the plain `writeSnapshot`.
    public func writeSnapshot(
        index: UInt64,
        discardingOlder: Bool,
        produce: (_ emit: ([UInt8]) throws -> Void) throws -> Void
    ) throws {
        try self.writeSnapshot(index: index, produce: produce)
    }

    /// For logs without segments (tests): nothing to roll; the next index.
    public func rollSegment() throws -> UInt64 {
        0
    }
}
