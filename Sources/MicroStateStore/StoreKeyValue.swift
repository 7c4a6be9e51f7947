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
    /// The id of the registry schema the value was validated against when written (validation on write);
    /// 0 when it was not, and for versions older than the key's latest (only the latest version's id is kept).
    public var schemaID: Int64

    /// Creates a key-value.
    public init(
        key: [UInt8],
        value: [UInt8],
        createRevision: Int64,
        modRevision: Int64,
        version: Int64,
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
