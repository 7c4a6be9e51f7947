/// A catch-up-then-live subscription to one stream or to `$all`: a pull cursor over durable events (ADR 0004 §5).
///
/// `poll` returns the next events after the cursor, at most `maxEvents` and under `maxBytes` (at least one);
/// catch-up and live are the same code path, so the switch can neither drop nor repeat an event. The store keeps
/// no events for a subscription, only its cursor: a slow subscriber costs O(1) memory and slows nobody.
///
/// States: *active*; *ended* (its stream was hard-deleted: `failedPrecondition`; the store closed: `unavailable`),
/// after which every poll returns the error and no events; *cancelled*.
///
/// Use: poll; send the batch; poll again while batches have events. When a poll returns no events, wait for
/// `onReady`: it is armed (one-shot) by a poll that reaches the durable head, and called, never with the store
/// lock held and on any thread, when a later event becomes durable, when the subscription ends, or when its
/// consumer group rebalances. It should only schedule a poll. A poll that has to skip many hidden or filtered
/// events may return none before reaching the head; it then calls `onReady` itself.
///
/// With a consumer group, each stream is delivered by one member only (rendezvous hashing over the group's live
/// subscriptions), from its checkpoint + 1 (a stream never acknowledged from `from`); after a member joins or
/// leaves, every member rewinds so that each stream it now owns is delivered from its checkpoint again
/// (at-least-once around rebalances; effects exactly-once with a Txn `ack`).
///
/// All state is guarded by the store's lock.
/// - Important: call `cancel()` when the consumer goes away: an active subscription is referenced by its store
///   and counts against `maxSubscriptions`.
public final class StoreSubscription: @unchecked Sendable {
    enum State {
        case active
        case ended(StoreError)
        case cancelled
    }

    let id: Int
    let store: KVStore
    /// The subscribed stream, or `KVStore.allStreams`.
    let streamName: String
    let isAll: Bool
    /// Only events whose type starts with it (bytewise); empty = all.
    let typePrefix: String
    let group: GroupState?
    let onReady: @Sendable () -> Void
    /// Where delivery starts for a stream the group never acknowledged (a position on `$all`, else a stream
    /// revision): the subscription's `from`, with -1 resolved to the head at subscribe time.
    let start: Int64

    /// The resolved stream (nil for `$all`, or until the stream is first written).
    var streamID: Int?
    /// The next position (on `$all`) or stream revision to examine.
    var cursor: Int64
    var state = State.active
    var caughtUpReported = false
    var armed = false
    /// Set when the group's membership changed: the next poll rewinds to the checkpoints of the streams owned.
    var needsRebalance = false
    /// A poll is running (it may release the store lock to read an archive chunk).
    var polling = false

    init(
        id: Int,
        store: KVStore,
        streamName: String,
        streamID: Int?,
        typePrefix: String,
        group: GroupState?,
        start: Int64,
        onReady: @escaping @Sendable () -> Void
    ) {
        self.id = id
        self.store = store
        self.streamName = streamName
        self.isAll = streamName == KVStore.allStreams
        self.streamID = streamID
        self.typePrefix = typePrefix
        self.group = group
        self.start = start
        self.cursor = start
        self.onReady = onReady
    }

    /// Takes the next durable events after the cursor (see the type's documentation).
    ///
    /// `maxEvents` ≤ 0 means 1 and is capped at `maxReadCount`; `maxBytes` ≤ 0 = no byte bound (a batch always
    /// holds at least one event when one is due). `caughtUp` is true in exactly one batch: the first that
    /// reaches the durable head.
    public func poll(maxEvents: Int, maxBytes: Int) -> StoreSubscriptionBatch {
        self.store.poll(self, maxEvents: maxEvents, maxBytes: maxBytes)
    }

    /// Ends the subscription (without calling `onReady`); later polls return no events. Idempotent.
    public func cancel() {
        self.store.cancel(self)
    }
}
