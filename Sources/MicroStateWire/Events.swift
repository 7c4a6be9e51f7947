// The event-stream service's messages (proto/microstate/v1/events.proto): EventStoreDB-like streams on the node's
// log (docs/adr/0004-event-streams.md). Every event takes one global revision of the log, its position; each stream
// numbers its own events from revision 0 without gaps.
//
// Strings here name things (streams, groups, event ids and types, metadata), so decoding rejects invalid UTF-8 in
// them instead of repairing it as the KV messages do: see `String(validating:field:)`.

/// `microstate.v1.ExpectedState`: what an Append or DeleteStream expects of the stream's existence.
///
/// Proto3 enums are open: a value this build does not know decodes to ``unrecognized(_:)`` and re-encodes unchanged.
public enum ExpectedState: Sendable, Hashable, RawRepresentable {
    /// `ANY` (0): no check; also what neither expectation set means.
    case any
    /// `NO_STREAM` (1): the stream must have no events.
    case noStream
    /// `STREAM_EXISTS` (2): the stream must have at least one event.
    case streamExists
    /// A value this build does not know; never holds one of the known values when made by `init(rawValue:)`.
    case unrecognized(Int32)

    /// The case for a wire value; unknown values become ``unrecognized(_:)``.
    public init(rawValue: Int32) {
        switch rawValue {
        case 0: self = .any
        case 1: self = .noStream
        case 2: self = .streamExists
        default: self = .unrecognized(rawValue)
        }
    }

    /// The wire value.
    public var rawValue: Int32 {
        switch self {
        case .any: return 0
        case .noStream: return 1
        case .streamExists: return 2
        case .unrecognized(let value): return value
        }
    }
}

/// The optimistic-concurrency check of an Append or DeleteStream (the proto `expected` oneof of both).
///
/// nil where it is used means neither field is set, which the server treats as ``ExpectedState/any``; nil and
/// `.state(.any)` differ on the wire only.
public enum StreamExpectation: Sendable, Hashable {
    /// `expected_revision`: the revision of the stream's last event must equal it (0 = exactly one event).
    case revision(Int64)
    /// `expected_state`: the stream's existence must match.
    case state(ExpectedState)
}

/// `microstate.v1.EventData`: one event to append.
public struct EventData: WireMessage, Hashable {
    /// Client-chosen id (a UUID) that makes a retried append idempotent; empty = the server assigns one, and a retry
    /// then appends again.
    public var id: String
    /// The event type; must not be empty.
    public var type: String
    /// The payload, opaque to the server; empty is allowed.
    public var data: [UInt8]
    /// Free-form string pairs stored with the event; empty = none.
    public var metadata: [String: String]
    /// The payload's media type, e.g. `application/json`; empty = unspecified.
    public var contentType: String

    /// Creates an event; every field defaults to its proto3 zero value.
    public init(
        id: String = "",
        type: String = "",
        data: [UInt8] = [],
        metadata: [String: String] = [:],
        contentType: String = ""
    ) {
        self.id = id
        self.type = type
        self.data = data
        self.metadata = metadata
        self.contentType = contentType
    }
}

/// `microstate.v1.AppendRequest`: append events to one stream atomically.
public struct AppendRequest: WireMessage, Hashable {
    /// The stream to append to.
    public var stream: String
    /// The check that must hold before the append; nil = neither set, which means ``ExpectedState/any``.
    public var expected: StreamExpectation?
    /// The events, in order; they take consecutive stream revisions.
    public var events: [EventData]

    /// Creates an append; every field defaults to its proto3 zero value, `expected` to absent.
    public init(stream: String = "", expected: StreamExpectation? = nil, events: [EventData] = []) {
        self.stream = stream
        self.expected = expected
        self.events = events
    }
}

/// `microstate.v1.AppendResponse`.
public struct AppendResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// The stream revision of the first event appended (0 = the stream's first event).
    public var firstRevision: Int64
    /// The stream revision of the last event appended.
    public var lastRevision: Int64
    /// The global position of the last event appended; a `$all` reader resuming after it misses nothing of the append.
    public var position: Int64

    /// Creates an append response; every field defaults to its proto3 zero value.
    public init(header: ResponseHeader? = nil, firstRevision: Int64 = 0, lastRevision: Int64 = 0, position: Int64 = 0) {
        self.header = header
        self.firstRevision = firstRevision
        self.lastRevision = lastRevision
        self.position = position
    }
}

/// `microstate.v1.RecordedEvent`: an event as stored, with its place in the stream and in the log.
public struct RecordedEvent: WireMessage, Hashable {
    /// The stream the event belongs to.
    public var stream: String
    /// The event's revision in its stream (0 = the stream's first event).
    public var revision: Int64
    /// The event's global position (its revision of the node's log).
    public var position: Int64
    /// The event's id, as appended or assigned by the server.
    public var id: String
    /// The event type.
    public var type: String
    /// The payload; empty is a valid payload.
    public var data: [UInt8]
    /// The string pairs stored with the event; empty = none.
    public var metadata: [String: String]
    /// The payload's media type; empty = unspecified.
    public var contentType: String
    /// When the event was recorded, in milliseconds since 1970-01-01 UTC (0 = unknown).
    public var recordedAtUnixMs: Int64

    /// Creates a recorded event; every field defaults to its proto3 zero value.
    public init(
        stream: String = "",
        revision: Int64 = 0,
        position: Int64 = 0,
        id: String = "",
        type: String = "",
        data: [UInt8] = [],
        metadata: [String: String] = [:],
        contentType: String = "",
        recordedAtUnixMs: Int64 = 0
    ) {
        self.stream = stream
        self.revision = revision
        self.position = position
        self.id = id
        self.type = type
        self.data = data
        self.metadata = metadata
        self.contentType = contentType
        self.recordedAtUnixMs = recordedAtUnixMs
    }
}

/// `microstate.v1.ReadRequest`: read a stream, or every stream in position order.
public struct ReadRequest: WireMessage, Hashable {
    /// The stream to read; `$all` = every stream, in position order.
    public var stream: String
    /// First revision to return, inclusive (0 = from the start); a position on `$all`; -1 with ``backwards`` = from
    /// the end.
    public var fromRevision: Int64
    /// Read towards older events.
    public var backwards: Bool
    /// Most events to return; 0 = the server's limit.
    public var maxCount: Int64

    /// Creates a read; every field defaults to its proto3 zero value.
    public init(stream: String = "", fromRevision: Int64 = 0, backwards: Bool = false, maxCount: Int64 = 0) {
        self.stream = stream
        self.fromRevision = fromRevision
        self.backwards = backwards
        self.maxCount = maxCount
    }
}

/// `microstate.v1.ReadResponse`: one message of a Read stream, holding one event.
public struct ReadResponse: WireMessage, Hashable {
    /// The event; nil when absent on the wire.
    public var event: RecordedEvent?

    /// Creates a read response.
    public init(event: RecordedEvent? = nil) {
        self.event = event
    }
}

/// `microstate.v1.SubscribeRequest`: catch up on a stream from a revision, then follow it live.
public struct SubscribeRequest: WireMessage, Hashable {
    /// The stream to follow; `$all` = every stream.
    public var stream: String
    /// First revision to deliver, inclusive (0 = from the start); a position on `$all`; -1 = live only. With a
    /// ``group``, used only for a stream the group never acknowledged.
    public var fromRevision: Int64
    /// The durable consumer group to join; empty = none.
    public var group: String
    /// Deliver only events whose type starts with it; empty = every event.
    public var typePrefix: String

    /// Creates a subscription; every field defaults to its proto3 zero value.
    public init(stream: String = "", fromRevision: Int64 = 0, group: String = "", typePrefix: String = "") {
        self.stream = stream
        self.fromRevision = fromRevision
        self.group = group
        self.typePrefix = typePrefix
    }
}

/// `microstate.v1.CaughtUp`: the subscription has delivered everything durable and is now live.
public struct CaughtUp: WireMessage, Hashable {
    /// The durable head (a position) when the subscription caught up; 0 = an empty log.
    public var position: Int64

    /// Creates a caught-up marker.
    public init(position: Int64 = 0) {
        self.position = position
    }
}

/// `microstate.v1.SubscribeResponse`: one message of a Subscribe stream.
public struct SubscribeResponse: WireMessage, Hashable {
    /// What the message carries (the proto `content` oneof).
    public enum Content: Sendable, Hashable {
        /// The next event.
        case event(RecordedEvent)
        /// The switch from catch-up to live, sent once.
        case caughtUp(CaughtUp)
    }

    /// The content; nil when the oneof is not set.
    public var content: Content?

    /// Creates a subscription message.
    public init(content: Content? = nil) {
        self.content = content
    }
}

/// `microstate.v1.AckRequest`: move a consumer group's checkpoint for one stream forward.
public struct AckRequest: WireMessage, Hashable {
    /// The consumer group.
    public var group: String
    /// The stream whose checkpoint moves.
    public var stream: String
    /// The last stream revision processed; must be above the current checkpoint (0 = the stream's first event).
    public var revision: Int64

    /// Creates an ack; every field defaults to its proto3 zero value.
    public init(group: String = "", stream: String = "", revision: Int64 = 0) {
        self.group = group
        self.stream = stream
        self.revision = revision
    }
}

/// `microstate.v1.AckResponse`.
public struct AckResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?

    /// Creates an ack response.
    public init(header: ResponseHeader? = nil) {
        self.header = header
    }
}

/// `microstate.v1.SaveSnapshotRequest`: record the latest state of a stream's aggregate.
public struct SaveSnapshotRequest: WireMessage, Hashable {
    /// The stream whose aggregate the state belongs to.
    public var stream: String
    /// The stream revision the state covers; must exist (0 = the stream's first event).
    public var revision: Int64
    /// The aggregate's state, opaque to the server; empty is a valid state.
    public var state: [UInt8]

    /// Creates a snapshot save; every field defaults to its proto3 zero value.
    public init(stream: String = "", revision: Int64 = 0, state: [UInt8] = []) {
        self.stream = stream
        self.revision = revision
        self.state = state
    }
}

/// `microstate.v1.SaveSnapshotResponse`.
public struct SaveSnapshotResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?

    /// Creates a snapshot save response.
    public init(header: ResponseHeader? = nil) {
        self.header = header
    }
}

/// `microstate.v1.LoadSnapshotRequest`: fetch the latest aggregate snapshot of a stream.
public struct LoadSnapshotRequest: WireMessage, Hashable {
    /// The stream whose snapshot to load.
    public var stream: String

    /// Creates a snapshot load.
    public init(stream: String = "") {
        self.stream = stream
    }
}

/// `microstate.v1.LoadSnapshotResponse`.
public struct LoadSnapshotResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// Whether the stream has a snapshot; false leaves ``revision`` and ``state`` at zero.
    public var found: Bool
    /// The stream revision the snapshot covers; read the tail from `revision + 1`.
    public var revision: Int64
    /// The aggregate's state as saved.
    public var state: [UInt8]

    /// Creates a snapshot load response; every field defaults to its proto3 zero value.
    public init(header: ResponseHeader? = nil, found: Bool = false, revision: Int64 = 0, state: [UInt8] = []) {
        self.header = header
        self.found = found
        self.revision = revision
        self.state = state
    }
}

/// `microstate.v1.StreamMetadata`: a stream's retention settings.
public struct StreamMetadata: WireMessage, Hashable {
    /// Keep only the newest this many events; 0 = unlimited.
    public var maxCount: Int64
    /// Hide events older than this many milliseconds; 0 = unlimited.
    public var maxAgeMs: Int64
    /// Hide revisions below it; 0 = none hidden.
    public var truncateBefore: Int64

    /// Creates retention settings; every field defaults to its proto3 zero value (keep everything).
    public init(maxCount: Int64 = 0, maxAgeMs: Int64 = 0, truncateBefore: Int64 = 0) {
        self.maxCount = maxCount
        self.maxAgeMs = maxAgeMs
        self.truncateBefore = truncateBefore
    }
}

/// `microstate.v1.SetStreamMetadataRequest`: replace a stream's retention settings.
public struct SetStreamMetadataRequest: WireMessage, Hashable {
    /// The stream to configure.
    public var stream: String
    /// The new settings; nil when absent on the wire.
    public var metadata: StreamMetadata?

    /// Creates a metadata change.
    public init(stream: String = "", metadata: StreamMetadata? = nil) {
        self.stream = stream
        self.metadata = metadata
    }
}

/// `microstate.v1.SetStreamMetadataResponse`.
public struct SetStreamMetadataResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?

    /// Creates a metadata change response.
    public init(header: ResponseHeader? = nil) {
        self.header = header
    }
}

/// `microstate.v1.GetStreamMetadataRequest`: read a stream's retention settings and state.
public struct GetStreamMetadataRequest: WireMessage, Hashable {
    /// The stream to describe.
    public var stream: String

    /// Creates a metadata read.
    public init(stream: String = "") {
        self.stream = stream
    }
}

/// `microstate.v1.GetStreamMetadataResponse`.
public struct GetStreamMetadataResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// The stream's settings; nil when absent on the wire.
    public var metadata: StreamMetadata?
    /// The revision of the stream's last event; -1 = no events (0 = one event).
    public var lastRevision: Int64
    /// The stream is soft-deleted (truncated to the end) or hard-deleted.
    public var deleted: Bool
    /// The stream is hard-deleted: its name is tombstoned for ever.
    public var hardDeleted: Bool

    /// Creates a metadata read response; every field defaults to its proto3 zero value.
    public init(
        header: ResponseHeader? = nil,
        metadata: StreamMetadata? = nil,
        lastRevision: Int64 = 0,
        deleted: Bool = false,
        hardDeleted: Bool = false
    ) {
        self.header = header
        self.metadata = metadata
        self.lastRevision = lastRevision
        self.deleted = deleted
        self.hardDeleted = hardDeleted
    }
}

/// `microstate.v1.DeleteStreamRequest`: soft-delete a stream, or hard-delete (tombstone) it.
public struct DeleteStreamRequest: WireMessage, Hashable {
    /// The stream to delete.
    public var stream: String
    /// Tombstone the name for ever; false = soft delete (the name can be appended to again, revisions continue).
    public var hard: Bool
    /// The check that must hold before the delete; nil = neither set, which means ``ExpectedState/any``.
    public var expected: StreamExpectation?

    /// Creates a stream delete; every field defaults to its proto3 zero value, `expected` to absent.
    public init(stream: String = "", hard: Bool = false, expected: StreamExpectation? = nil) {
        self.stream = stream
        self.hard = hard
        self.expected = expected
    }
}

/// `microstate.v1.DeleteStreamResponse`.
public struct DeleteStreamResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// The global position of the delete (it takes one revision of the log).
    public var position: Int64

    /// Creates a stream delete response.
    public init(header: ResponseHeader? = nil, position: Int64 = 0) {
        self.header = header
        self.position = position
    }
}
