/// One version of a key, as etcd's `mvccpb.KeyValue`.
public struct StoreKeyValue: Sendable, Equatable {
    /// The key's bytes.
    public var key: [UInt8]
    /// The value's bytes; empty for keys-only reads and delete events.
    public var value: [UInt8]
    /// Revision of the Put that created the key (since its last delete); 0 in a delete event.
    public var createRevision: Int64
    /// Revision of the last write to the key (for a delete event, the delete's revision).
    public var modRevision: Int64
    /// Number of Puts since creation: 1 for a new key; 0 in a delete event.
    public var version: Int64

    /// Creates a key-value.
    public init(key: [UInt8], value: [UInt8], createRevision: Int64, modRevision: Int64, version: Int64) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
    }
}

/// The result of a Range.
public struct StoreRangeResult: Sendable, Equatable {
    /// Matching keys in bytewise key order, at most the effective limit.
    public var kvs: [StoreKeyValue]
    /// More keys matched than were returned (the limit or `maxRangeResponseBytes` cut the result).
    public var more: Bool
    /// How many keys matched in total.
    public var count: Int64
    /// The revision the range was read at.
    public var revision: Int64

    /// Creates a range result.
    public init(kvs: [StoreKeyValue], more: Bool, count: Int64, revision: Int64) {
        self.kvs = kvs
        self.more = more
        self.count = count
        self.revision = revision
    }
}

/// The result of a successful Put.
public struct StorePutResult: Sendable, Equatable {
    /// The revision the Put was written at (for an idempotent retry, the first attempt's revision).
    public var revision: Int64

    /// Creates a put result.
    public init(revision: Int64) {
        self.revision = revision
    }
}

/// The result of a successful Delete.
public struct StoreDeleteResult: Sendable, Equatable {
    /// Whether a key was deleted; false (and no write) when it was absent.
    public var deleted: Bool
    /// The delete's revision, or the store's revision when nothing was deleted.
    public var revision: Int64

    /// Creates a delete result.
    public init(deleted: Bool, revision: Int64) {
        self.deleted = deleted
        self.revision = revision
    }
}

/// One comparison of a Txn's guard.
///
/// A missing key compares as etcd's does: mod, create revision and version 0 and an empty value, so
/// `modRevision == 0` tests absence.
public struct StoreCompare: Sendable, Equatable {
    /// How the key's field is compared with the target: `field <op> target`.
    public enum Result: Sendable, Equatable {
        /// Equal.
        case equal
        /// Not equal.
        case notEqual
        /// The key's field is greater than the target (values compare bytewise).
        case greater
        /// The key's field is less than the target (values compare bytewise).
        case less
    }

    /// The field compared and the value it is compared with.
    public enum Target: Sendable, Equatable {
        /// The key's mod revision.
        case modRevision(Int64)
        /// The key's version.
        case version(Int64)
        /// The key's value.
        case value([UInt8])
        /// The key's create revision.
        case createRevision(Int64)
    }

    /// The key compared.
    public var key: [UInt8]
    /// The comparison.
    public var result: Result
    /// The field and the value it is compared with.
    public var target: Target

    /// Creates a compare.
    public init(key: [UInt8], result: Result, target: Target) {
        self.key = key
        self.result = result
        self.target = target
    }
}

/// One operation of a Txn branch.
public enum StoreTxnOp: Sendable, Equatable {
    /// Puts `value` under `key`; `ttlMilliseconds` > 0 sets an expiry, as in `KVStore.put`.
    case put(key: [UInt8], value: [UInt8], ttlMilliseconds: Int64)
    /// Deletes `key`; deleting an absent key is a no-op reporting `deleted = false`.
    case delete(key: [UInt8])
    /// Reads `key` as of the state before the Txn's writes.
    case get(key: [UInt8])
}

/// A Txn: if every compare holds, `success` runs, otherwise `failure`.
public struct StoreTxnRequest: Sendable, Equatable {
    /// The guard; an empty list holds.
    public var compares: [StoreCompare]
    /// Ops run when every compare holds.
    public var success: [StoreTxnOp]
    /// Ops run otherwise.
    public var failure: [StoreTxnOp]

    /// Creates a Txn request.
    public init(compares: [StoreCompare] = [], success: [StoreTxnOp] = [], failure: [StoreTxnOp] = []) {
        self.compares = compares
        self.success = success
        self.failure = failure
    }
}

/// The response to one Txn op, in the order of the ops.
public enum StoreTxnOpResponse: Sendable, Equatable {
    /// A put's result: the Txn's revision.
    case put(StorePutResult)
    /// A delete's result.
    case delete(StoreDeleteResult)
    /// A get's result: the key-value or nil when absent.
    case get(StoreKeyValue?)
}

/// The result of a Txn.
public struct StoreTxnResult: Sendable, Equatable {
    /// Whether every compare held (and so `success` ran).
    public var succeeded: Bool
    /// One response per op of the branch that ran.
    public var responses: [StoreTxnOpResponse]
    /// The Txn's revision when it wrote; otherwise the revision it read at.
    public var revision: Int64

    /// Creates a Txn result.
    public init(succeeded: Bool, responses: [StoreTxnOpResponse], revision: Int64) {
        self.succeeded = succeeded
        self.responses = responses
        self.revision = revision
    }
}

/// One change seen by a watcher.
public struct StoreWatchEvent: Sendable, Equatable {
    /// Whether the key was put or deleted.
    public enum EventType: Sendable, Equatable {
        /// The key was created or updated.
        case put
        /// The key was deleted (explicitly, by a Txn or by TTL expiry).
        case delete
    }

    /// Whether the key was put or deleted.
    public var type: EventType
    /// For a put, the new key-value; for a delete, the key with `modRevision` = the delete's revision.
    public var kv: StoreKeyValue

    /// Creates an event.
    public init(type: EventType, kv: StoreKeyValue) {
        self.type = type
        self.kv = kv
    }
}

/// What a watcher's poll returns.
public enum StoreWatchPoll: Sendable, Equatable {
    /// Buffered events in revision order, possibly none.
    case events([StoreWatchEvent])
    /// The start revision was already compacted (this is the compact revision); nothing was replayed.
    case compacted(Int64)
    /// The watcher fell behind its buffer bound and is over; it delivered every event before this
    /// revision, so the client resumes by watching from it.
    case overflowed(Int64)
}

/// Counters and gauges of a store, read together under its lock.
public struct StoreMetrics: Sendable, Equatable {
    /// The node id from the configuration.
    public var nodeID: UInt64
    /// Live keys at the latest (possibly not yet durable) revision.
    public var keys: Int
    /// The latest revision written (possibly not yet durable).
    public var revision: Int64
    /// The latest durable revision; reads and watchers see up to it.
    public var durableRevision: Int64
    /// The oldest readable revision.
    public var compactRevision: Int64
    /// Live watchers.
    public var watchers: Int
    /// Writes (and reads waiting on them) whose completion waits for durability.
    public var pendingWrites: Int
    /// Snapshots written since the store was created.
    public var snapshotsTaken: Int
    /// Snapshots that failed to be written (not fatal: recovery replays more of the log).
    public var snapshotFailures: Int
    /// Records appended since the last snapshot.
    public var recordsSinceSnapshot: Int
    /// Events retained in the history.
    public var historyEvents: Int
    /// Idempotency keys remembered.
    public var idempotencyKeys: Int
    /// Keys with a TTL deadline queued for expiry (including stale queue entries).
    public var ttlQueued: Int
    /// Whether the log failed (writes are refused).
    public var logFailed: Bool
}
