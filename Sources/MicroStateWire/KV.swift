// The key-value service's messages (proto/microstate/v1/kv.proto): etcd-like revisions over the node's event log.

/// `microstate.v1.KeyValue`: a key and its value at one revision.
public struct KeyValue: WireMessage, Hashable {
    /// The key; keys are ordered bytewise.
    public var key: [UInt8]
    /// The value.
    public var value: [UInt8]
    /// Revision of the Put that created the key (since its last delete).
    public var createRevision: Int64
    /// Revision of the last Put to the key.
    public var modRevision: Int64
    /// Number of Puts since creation; 1 for a new key.
    public var version: Int64
    /// The registry schema id the value was validated against when written; 0 when it was not.
    public var schemaID: Int64

    /// Creates a key-value; every field defaults to its proto3 zero value.
    public init(
        key: [UInt8] = [],
        value: [UInt8] = [],
        createRevision: Int64 = 0,
        modRevision: Int64 = 0,
        version: Int64 = 0,
        schemaID: Int64 = 0
    ) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.schemaID = schemaID
    }
}

/// `microstate.v1.PutRequest`: write one key.
public struct PutRequest: WireMessage, Hashable {
    /// The key to write.
    public var key: [UInt8]
    /// The value to store.
    public var value: [UInt8]
    /// Optimistic concurrency: set, the Put succeeds only if the key's mod revision equals it (0 = the key must not
    /// exist). nil and 0 differ on the wire: the field is a one-field oneof, so 0 is encoded when set.
    public var expectedRevision: Int64?
    /// Time to live in milliseconds; 0 = never expires.
    public var ttlMs: Int64
    /// A retried Put with the same key returns the first result without writing again.
    public var idempotencyKey: String

    /// Creates a Put; every field defaults to its proto3 zero value, `expectedRevision` to absent.
    public init(
        key: [UInt8] = [],
        value: [UInt8] = [],
        expectedRevision: Int64? = nil,
        ttlMs: Int64 = 0,
        idempotencyKey: String = ""
    ) {
        self.key = key
        self.value = value
        self.expectedRevision = expectedRevision
        self.ttlMs = ttlMs
        self.idempotencyKey = idempotencyKey
    }
}

/// `microstate.v1.PutResponse`.
public struct PutResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// The revision of this write.
    public var revision: Int64

    /// Creates a Put response.
    public init(header: ResponseHeader? = nil, revision: Int64 = 0) {
        self.header = header
        self.revision = revision
    }
}

/// `microstate.v1.GetRequest`: read one key.
public struct GetRequest: WireMessage, Hashable {
    /// The key to read.
    public var key: [UInt8]
    /// The revision to read at; 0 = latest.
    public var revision: Int64
    /// How fresh the read must be.
    public var consistency: ReadConsistency
    /// Session token for ``ReadConsistency/session`` reads.
    public var sessionToken: String

    /// Creates a Get; every field defaults to its proto3 zero value.
    public init(
        key: [UInt8] = [],
        revision: Int64 = 0,
        consistency: ReadConsistency = .unspecified,
        sessionToken: String = ""
    ) {
        self.key = key
        self.revision = revision
        self.consistency = consistency
        self.sessionToken = sessionToken
    }
}

/// `microstate.v1.GetResponse`.
public struct GetResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// Whether the key exists at the requested revision.
    public var found: Bool
    /// The key-value when found; nil when absent on the wire.
    public var kv: KeyValue?

    /// Creates a Get response.
    public init(header: ResponseHeader? = nil, found: Bool = false, kv: KeyValue? = nil) {
        self.header = header
        self.found = found
        self.kv = kv
    }
}

/// `microstate.v1.DeleteRequest`: delete one key.
public struct DeleteRequest: WireMessage, Hashable {
    /// The key to delete.
    public var key: [UInt8]
    /// As ``PutRequest/expectedRevision``: set, the key's mod revision must equal it; nil and 0 differ on the wire.
    public var expectedRevision: Int64?

    /// Creates a Delete.
    public init(key: [UInt8] = [], expectedRevision: Int64? = nil) {
        self.key = key
        self.expectedRevision = expectedRevision
    }
}

/// `microstate.v1.DeleteResponse`.
public struct DeleteResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// Whether a key was deleted.
    public var deleted: Bool
    /// The revision of this write.
    public var revision: Int64

    /// Creates a Delete response.
    public init(header: ResponseHeader? = nil, deleted: Bool = false, revision: Int64 = 0) {
        self.header = header
        self.deleted = deleted
        self.revision = revision
    }
}

/// `microstate.v1.RangeRequest`: read the keys in a range or with a prefix.
public struct RangeRequest: WireMessage, Hashable {
    /// First key, inclusive.
    public var start: [UInt8]
    /// Last key, exclusive; empty = unbounded.
    public var end: [UInt8]
    /// Set, overrides start and end.
    public var prefix: [UInt8]
    /// Maximum number of keys to return; 0 = the server's maximum.
    public var limit: Int64
    /// The revision to read at; 0 = latest.
    public var revision: Int64
    /// Return keys without values.
    public var keysOnly: Bool
    /// How fresh the read must be.
    public var consistency: ReadConsistency
    /// Session token for ``ReadConsistency/session`` reads.
    public var sessionToken: String

    /// Creates a Range; every field defaults to its proto3 zero value.
    public init(
        start: [UInt8] = [],
        end: [UInt8] = [],
        prefix: [UInt8] = [],
        limit: Int64 = 0,
        revision: Int64 = 0,
        keysOnly: Bool = false,
        consistency: ReadConsistency = .unspecified,
        sessionToken: String = ""
    ) {
        self.start = start
        self.end = end
        self.prefix = prefix
        self.limit = limit
        self.revision = revision
        self.keysOnly = keysOnly
        self.consistency = consistency
        self.sessionToken = sessionToken
    }
}

/// `microstate.v1.RangeResponse`.
public struct RangeResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// The matching key-values, in key order.
    public var kvs: [KeyValue]
    /// More keys matched than were returned.
    public var more: Bool
    /// Number of keys that matched.
    public var count: Int64

    /// Creates a Range response.
    public init(header: ResponseHeader? = nil, kvs: [KeyValue] = [], more: Bool = false, count: Int64 = 0) {
        self.header = header
        self.kvs = kvs
        self.more = more
        self.count = count
    }
}

/// `microstate.v1.CompareResult`: the relation a ``Compare`` checks. Open like every proto3 enum.
public enum CompareResult: Sendable, Hashable, RawRepresentable {
    /// `EQUAL` (0).
    case equal
    /// `NOT_EQUAL` (1).
    case notEqual
    /// `GREATER` (2).
    case greater
    /// `LESS` (3).
    case less
    /// A value this build does not know; kept so it re-encodes unchanged.
    case unrecognized(Int32)

    /// The case for a wire value; unknown values become ``unrecognized(_:)``.
    public init(rawValue: Int32) {
        switch rawValue {
        case 0: self = .equal
        case 1: self = .notEqual
        case 2: self = .greater
        case 3: self = .less
        default: self = .unrecognized(rawValue)
        }
    }

    /// The wire value.
    public var rawValue: Int32 {
        switch self {
        case .equal: return 0
        case .notEqual: return 1
        case .greater: return 2
        case .less: return 3
        case .unrecognized(let value): return value
        }
    }
}

/// `microstate.v1.Compare`: one condition of a transaction.
public struct Compare: WireMessage, Hashable {
    /// What a ``Compare`` compares the key against (the proto `target` oneof).
    public enum Target: Sendable, Hashable {
        /// The key's mod revision.
        case modRevision(Int64)
        /// The key's version.
        case version(Int64)
        /// The key's value.
        case value([UInt8])
        /// The key's create revision.
        case createRevision(Int64)
    }

    /// The key to check.
    public var key: [UInt8]
    /// The relation that must hold.
    public var result: CompareResult
    /// The operand; nil when the oneof is not set.
    public var target: Target?

    /// Creates a comparison.
    public init(key: [UInt8] = [], result: CompareResult = .equal, target: Target? = nil) {
        self.key = key
        self.result = result
        self.target = target
    }
}

/// `microstate.v1.RequestOp`: one operation of a transaction branch.
public struct RequestOp: WireMessage, Hashable {
    /// The operation (the proto `request` oneof).
    public enum Request: Sendable, Hashable {
        /// A Put.
        case put(PutRequest)
        /// A Delete.
        case delete(DeleteRequest)
        /// A Get.
        case get(GetRequest)
        /// An Ack: moves a consumer group's checkpoint in the same atomic write as the Txn's other operations.
        ///
        /// An ack at or below the checkpoint fails the whole Txn with `FAILED_PRECONDITION`, which makes a read
        /// model's effects exactly-once (docs/adr/0004-event-streams.md, decision 6).
        case ack(AckRequest)
    }

    /// The operation; nil when the oneof is not set.
    public var request: Request?

    /// Creates an operation.
    public init(request: Request? = nil) {
        self.request = request
    }
}

/// `microstate.v1.ResponseOp`: the result of one ``RequestOp``.
public struct ResponseOp: WireMessage, Hashable {
    /// The result (the proto `response` oneof).
    public enum Response: Sendable, Hashable {
        /// A Put's result.
        case put(PutResponse)
        /// A Delete's result.
        case delete(DeleteResponse)
        /// A Get's result.
        case get(GetResponse)
        /// An Ack's result.
        case ack(AckResponse)
    }

    /// The result; nil when the oneof is not set.
    public var response: Response?

    /// Creates a result.
    public init(response: Response? = nil) {
        self.response = response
    }
}

/// `microstate.v1.TxnRequest`: if every compare holds run `success`, else `failure`, atomically.
public struct TxnRequest: WireMessage, Hashable {
    /// The conditions, all of which must hold.
    public var compares: [Compare]
    /// Operations run when every compare holds.
    public var success: [RequestOp]
    /// Operations run otherwise.
    public var failure: [RequestOp]

    /// Creates a transaction.
    public init(compares: [Compare] = [], success: [RequestOp] = [], failure: [RequestOp] = []) {
        self.compares = compares
        self.success = success
        self.failure = failure
    }
}

/// `microstate.v1.TxnResponse`.
public struct TxnResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// Whether every compare held (and `success` ran).
    public var succeeded: Bool
    /// One result per operation of the branch that ran.
    public var responses: [ResponseOp]
    /// The revision after the transaction.
    public var revision: Int64

    /// Creates a transaction response.
    public init(
        header: ResponseHeader? = nil,
        succeeded: Bool = false,
        responses: [ResponseOp] = [],
        revision: Int64 = 0
    ) {
        self.header = header
        self.succeeded = succeeded
        self.responses = responses
        self.revision = revision
    }
}

/// `microstate.v1.WatchRequest`: stream changes to a key or prefix.
public struct WatchRequest: WireMessage, Hashable {
    /// The key, or the prefix when ``prefix`` is set.
    public var key: [UInt8]
    /// Watch every key starting with ``key``.
    public var prefix: Bool
    /// First revision to replay; 0 = live only, from the next revision.
    public var startRevision: Int64

    /// Creates a watch.
    public init(key: [UInt8] = [], prefix: Bool = false, startRevision: Int64 = 0) {
        self.key = key
        self.prefix = prefix
        self.startRevision = startRevision
    }
}

/// `microstate.v1.EventType`: what happened to a watched key. Open like every proto3 enum.
public enum EventType: Sendable, Hashable, RawRepresentable {
    /// `PUT` (0).
    case put
    /// `DELETE` (1).
    case delete
    /// A value this build does not know; kept so it re-encodes unchanged.
    case unrecognized(Int32)

    /// The case for a wire value; unknown values become ``unrecognized(_:)``.
    public init(rawValue: Int32) {
        switch rawValue {
        case 0: self = .put
        case 1: self = .delete
        default: self = .unrecognized(rawValue)
        }
    }

    /// The wire value.
    public var rawValue: Int32 {
        switch self {
        case .put: return 0
        case .delete: return 1
        case .unrecognized(let value): return value
        }
    }
}

/// `microstate.v1.WatchEvent`: one change to a watched key.
public struct WatchEvent: WireMessage, Hashable {
    /// Put or delete.
    public var type: EventType
    /// The key-value after the change; nil when absent on the wire.
    public var kv: KeyValue?

    /// Creates an event.
    public init(type: EventType = .put, kv: KeyValue? = nil) {
        self.type = type
        self.kv = kv
    }
}

/// `microstate.v1.WatchResponse`: one message of a watch stream.
public struct WatchResponse: WireMessage, Hashable {
    /// Which node answered and at which revision; nil when absent on the wire.
    public var header: ResponseHeader?
    /// The changes, in revision order.
    public var events: [WatchEvent]
    /// The start revision is older than the oldest retained history: nothing was replayed.
    public var compacted: Bool
    /// The oldest revision still retained when ``compacted`` is set.
    public var compactRevision: Int64

    /// Creates a watch response.
    public init(
        header: ResponseHeader? = nil,
        events: [WatchEvent] = [],
        compacted: Bool = false,
        compactRevision: Int64 = 0
    ) {
        self.header = header
        self.events = events
        self.compacted = compacted
        self.compactRevision = compactRevision
    }
}
