/// One event to append to a stream (the store's form of `microstate.v1.EventData`).
///
/// The id makes the append idempotent (ADR 0004 §4): an append whose ids were all written before, to the same
/// stream, consecutively and in order, returns the original result without writing. An empty id is allowed but
/// never remembered, so such an event is not protected against a retry (the service replaces empty ids with a
/// random UUID before they reach the store).
///
/// Its fields live in one immutable, shared object: a copy is one reference count, not five. Every subscriber and
/// reader of an event copies it out of the store, and with 100 subscribers on one stream the per-field retains and
/// releases (on counts shared between event-loop threads) were a tenth of the node's CPU.
public struct StoreEventData: Sendable, Equatable {
    final class Storage: Sendable {
        let id: String
        let type: String
        let data: [UInt8]
        let metadata: [String: String]
        let contentType: String
        /// The counted size (see `countedBytes`), computed once: batches and the memory window add it up per copy.
        let countedBytes: Int

        init(id: String, type: String, data: [UInt8], metadata: [String: String], contentType: String) {
            self.id = id
            self.type = type
            self.data = data
            self.metadata = metadata
            self.contentType = contentType
            var size = data.count + id.utf8.count + type.utf8.count + contentType.utf8.count
            for (key, value) in metadata {
                size += key.utf8.count + value.utf8.count
            }
            self.countedBytes = size
        }
    }

    private var storage: Storage

    /// The client's id for the event (a UUID); at most `maxEventIDBytes`, may be empty.
    public var id: String {
        get { self.storage.id }
        set { self.storage = Storage(id: newValue, type: self.type, data: self.data, metadata: self.metadata, contentType: self.contentType) }
    }
    /// The event's type: non-empty, at most `maxEventTypeBytes`. Subscriptions filter on its prefix.
    public var type: String {
        get { self.storage.type }
        set { self.storage = Storage(id: self.id, type: newValue, data: self.data, metadata: self.metadata, contentType: self.contentType) }
    }
    /// The event's payload.
    public var data: [UInt8] {
        get { self.storage.data }
        set { self.storage = Storage(id: self.id, type: self.type, data: newValue, metadata: self.metadata, contentType: self.contentType) }
    }
    /// Free-form metadata; at most `maxEventMetadataEntries` entries.
    public var metadata: [String: String] {
        get { self.storage.metadata }
        set { self.storage = Storage(id: self.id, type: self.type, data: self.data, metadata: newValue, contentType: self.contentType) }
    }
    /// The payload's content type (for example `application/json`); may be empty.
    public var contentType: String {
        get { self.storage.contentType }
        set { self.storage = Storage(id: self.id, type: self.type, data: self.data, metadata: self.metadata, contentType: newValue) }
    }

    /// The bytes an event counts for against batch, append and memory limits: payload, id, type, content type and
    /// metadata keys and values.
    var countedBytes: Int {
        self.storage.countedBytes
    }

    /// Creates an event to append.
    public init(id: String, type: String, data: [UInt8], metadata: [String: String] = [:], contentType: String = "") {
        self.storage = Storage(id: id, type: type, data: data, metadata: metadata, contentType: contentType)
    }

    public static func == (lhs: StoreEventData, rhs: StoreEventData) -> Bool {
        lhs.storage === rhs.storage
            || (lhs.id == rhs.id && lhs.type == rhs.type && lhs.data == rhs.data && lhs.metadata == rhs.metadata
                && lhs.contentType == rhs.contentType)
    }
}

/// An event as stored: its stream, stream revision and global position.
public struct StoreRecordedEvent: Sendable, Equatable {
    /// The stream the event belongs to.
    public var stream: String
    /// The event's revision in its stream: 0-based, gapless.
    public var revision: Int64
    /// The event's position in the `$all` order: the store's global revision the event took.
    public var position: Int64
    /// The event as appended (id, type, payload, metadata, content type).
    public var event: StoreEventData
    /// The wall-clock time of the append that wrote the event (the store's injected clock).
    public var recordedAtMilliseconds: Int64

    /// The client's id for the event.
    public var id: String {
        get { self.event.id }
        set { self.event.id = newValue }
    }
    /// The event's type.
    public var type: String {
        get { self.event.type }
        set { self.event.type = newValue }
    }
    /// The event's payload.
    public var data: [UInt8] {
        get { self.event.data }
        set { self.event.data = newValue }
    }
    /// The event's metadata.
    public var metadata: [String: String] {
        get { self.event.metadata }
        set { self.event.metadata = newValue }
    }
    /// The payload's content type.
    public var contentType: String {
        get { self.event.contentType }
        set { self.event.contentType = newValue }
    }

    /// Creates a recorded event.
    public init(
        stream: String,
        revision: Int64,
        position: Int64,
        id: String,
        type: String,
        data: [UInt8],
        metadata: [String: String],
        contentType: String,
        recordedAtMilliseconds: Int64
    ) {
        self.init(
            stream: stream,
            revision: revision,
            position: position,
            event: StoreEventData(id: id, type: type, data: data, metadata: metadata, contentType: contentType),
            recordedAtMilliseconds: recordedAtMilliseconds
        )
    }

    /// Creates a recorded event that shares `event`'s storage.
    public init(stream: String, revision: Int64, position: Int64, event: StoreEventData, recordedAtMilliseconds: Int64) {
        self.stream = stream
        self.revision = revision
        self.position = position
        self.event = event
        self.recordedAtMilliseconds = recordedAtMilliseconds
    }
}

/// What an append (or a stream delete) expects of the stream's last revision.
///
/// A mismatch fails with `aborted`, naming the stream, the expectation and the actual last revision, which is
/// also in `StoreError.currentRevision` (-1 = the stream has no events).
public enum StoreExpectedRevision: Sendable, Equatable {
    /// No expectation.
    case any
    /// The stream has no events, or was soft-deleted (EventStoreDB's rule: its revisions then continue).
    case noStream
    /// The stream has at least one event and is not soft-deleted.
    case streamExists
    /// The stream's last event has exactly this revision.
    case exact(Int64)
}

/// The result of an append.
public struct StoreAppendResult: Sendable, Equatable {
    /// The stream revision of the append's first event.
    public var firstRevision: Int64
    /// The stream revision of the append's last event.
    public var lastRevision: Int64
    /// The `$all` position of the append's last event: a `$all` reader resuming after it misses nothing.
    public var position: Int64

    /// Creates an append result.
    public init(firstRevision: Int64, lastRevision: Int64, position: Int64) {
        self.firstRevision = firstRevision
        self.lastRevision = lastRevision
        self.position = position
    }
}

/// A stream's retention settings; each hides events logically at once (ADR 0004 §7).
public struct StoreStreamMetadata: Sendable, Equatable {
    /// Keep only the newest `maxCount` events visible; 0 = unlimited.
    public var maxCount: Int64
    /// Hide events recorded longer ago than this (by the store's clock); 0 = unlimited.
    public var maxAgeMilliseconds: Int64
    /// Hide (and later erase) every revision below this one; 0 = none. A soft delete sets it.
    public var truncateBefore: Int64

    /// Creates stream metadata; every value must be at least 0.
    public init(maxCount: Int64 = 0, maxAgeMilliseconds: Int64 = 0, truncateBefore: Int64 = 0) {
        self.maxCount = maxCount
        self.maxAgeMilliseconds = maxAgeMilliseconds
        self.truncateBefore = truncateBefore
    }
}

/// What the store knows about a stream, at its durable revision.
public struct StoreStreamInfo: Sendable, Equatable {
    /// The stream's retention settings.
    public var metadata: StoreStreamMetadata
    /// The revision of the stream's last durable event; -1 = none.
    public var lastRevision: Int64
    /// The stream is soft-deleted (until its next append) or hard-deleted.
    public var deleted: Bool
    /// The stream is hard-deleted: a tombstone forever.
    public var hardDeleted: Bool

    /// Creates stream info.
    public init(metadata: StoreStreamMetadata, lastRevision: Int64, deleted: Bool, hardDeleted: Bool) {
        self.metadata = metadata
        self.lastRevision = lastRevision
        self.deleted = deleted
        self.hardDeleted = hardDeleted
    }
}

/// The latest snapshot of a stream's aggregate (ADR 0004 §8).
public struct StoreAggregateSnapshot: Sendable, Equatable {
    /// The stream revision the state covers; rebuild by reading the stream from `revision + 1`.
    public var revision: Int64
    /// The aggregate's state, opaque to the store.
    public var state: [UInt8]

    /// Creates an aggregate snapshot.
    public init(revision: Int64, state: [UInt8]) {
        self.revision = revision
        self.state = state
    }
}

/// One batch of a `read`.
public struct StoreReadBatch: Sendable, Equatable {
    /// The events, in the read's direction.
    public var events: [StoreRecordedEvent]
    /// Where to continue: the next stream revision (a position on `$all`) to read, inclusive, in the same
    /// direction; nil = nothing more now (the durable end, or the start when reading backwards).
    public var next: Int64?

    /// Creates a read batch.
    public init(events: [StoreRecordedEvent], next: Int64?) {
        self.events = events
        self.next = next
    }
}

/// One batch of a subscription's `poll`.
public struct StoreSubscriptionBatch: Sendable {
    /// The next events after the subscription's cursor, in position order.
    public var events: [StoreRecordedEvent]
    /// True exactly once: in the first batch that reaches the durable head (possibly with no events).
    public var caughtUp: Bool
    /// The durable head (the store's durable revision) when the batch was taken.
    public var headPosition: Int64
    /// Set when the subscription is over: `failedPrecondition` when its stream was hard-deleted,
    /// `unavailable` when the store closed. Every later poll returns it again, with no events.
    public var ended: StoreError?

    /// Creates a subscription batch.
    public init(events: [StoreRecordedEvent], caughtUp: Bool, headPosition: Int64, ended: StoreError?) {
        self.events = events
        self.caughtUp = caughtUp
        self.headPosition = headPosition
        self.ended = ended
    }
}
