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
    /// Moves consumer group `group`'s checkpoint of `stream` to `revision`, in the Txn's one record and revision
    /// (ADR 0004 §6). An ack at or below the checkpoint, of a revision the stream does not have, or of a
    /// hard-deleted stream fails the whole Txn with `failedPrecondition` and nothing of it is written.
    case ack(group: String, stream: String, revision: Int64)
}

/// A Txn: if every compare holds, `success` runs, otherwise `failure`.
public struct StoreTxnRequest: Sendable, Equatable {
    /// The guard; an empty list holds.
    public var compares: [StoreCompare]
    /// Ops run when every compare holds.
    public var success: [StoreTxnOp]
    /// Ops run otherwise.
    public var failure: [StoreTxnOp]
    /// Schema ids the puts of these keys were validated against (recorded with the put; see `KVStore.put`).
    public var schemaIDs: [[UInt8]: Int64] = [:]

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
    /// An ack's result: the checkpoint moved, at the Txn's revision.
    case ack
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
