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
