import DequeModule

/// One watch on a key or a key prefix: a bounded buffer of events the client drains with `poll`.
///
/// States: *active* (registered with the store, receives events as they become durable), *compacted* (the
/// start revision was compacted; nothing was or will be delivered), *overflowed* (the buffer bound was hit:
/// buffered events are still delivered, then `poll` reports the revision to resume from), *cancelled*.
/// Only an active watcher is registered, so a slow or abandoned watcher costs at most its buffer bound.
///
/// All state is guarded by the store's lock.
/// - Important: call `cancel()` when the client goes away: an active watcher is referenced by its store.
public final class StoreWatcher: @unchecked Sendable {
    enum State {
        case active
        case compacted(Int64)
        case overflowed(Int64)
        case cancelled
    }

    /// The watched key, or the prefix when `isPrefix`.
    public let key: [UInt8]
    /// Whether every key starting with `key` is watched.
    public let isPrefix: Bool
    let id: Int
    let store: KVStore
    let onReady: @Sendable () -> Void
    /// Events below this revision are not delivered (the watch's start revision).
    let minimumRevision: Int64

    var state = State.active
    var buffer = Deque<StoreWatchEvent>()
    var bufferedBytes = 0

    init(
        id: Int,
        key: [UInt8],
        isPrefix: Bool,
        minimumRevision: Int64,
        store: KVStore,
        onReady: @escaping @Sendable () -> Void
    ) {
        self.id = id
        self.key = key
        self.isPrefix = isPrefix
        self.minimumRevision = minimumRevision
        self.store = store
        self.onReady = onReady
    }

    /// Takes up to `maxEvents` buffered events, in revision order.
    ///
    /// Returns `.events` (possibly empty) while events are buffered or the watch is live; once the buffer is
    /// drained, `.compacted(compactRevision)` if the start revision was compacted, or `.overflowed(resume)` if
    /// the buffer bound was exceeded (the watch is over; watch again from `resume` for no gap or duplicate).
    /// `onReady` fires only when the buffer goes from empty to non-empty, so poll until it returns nothing.
    public func poll(maxEvents: Int) -> StoreWatchPoll {
        self.store.lock.lock()
        defer { self.store.unlockAndDrain() }
        if !self.buffer.isEmpty {
            let taken = min(max(maxEvents, 1), self.buffer.count)
            var events: [StoreWatchEvent] = []
            events.reserveCapacity(taken)
            for _ in 0..<taken {
                let event = self.buffer.removeFirst()
                self.bufferedBytes -= event.kv.key.count + event.kv.value.count
                events.append(event)
            }
            return .events(events)
        }
        switch self.state {
        case .compacted(let revision):
            return .compacted(revision)
        case .overflowed(let revision):
            return .overflowed(revision)
        case .active, .cancelled:
            return .events([])
        }
    }

    /// Stops the watch and drops its buffer; later polls return no events. Idempotent.
    public func cancel() {
        self.store.lock.lock()
        defer { self.store.unlockAndDrain() }
        if case .active = self.state {
            self.store.unregister(self)
        }
        self.state = .cancelled
        self.buffer.removeAll()
        self.bufferedBytes = 0
    }

    /// Whether the watch covers the key in `blob`.
    @inline(__always)
    func matches(_ blob: [UInt8]) -> Bool {
        self.key.withUnsafeBytes { keyBytes in
            self.isPrefix ? Blob.hasPrefix(blob, keyBytes) : Blob.compare(keyBytes, blob) == 0
        }
    }

    /// Buffers an event, or overflows. Returns whether the watcher became pollable (for `onReady`). Lock held.
    func offer(_ event: StoreWatchEvent, limits: StoreLimits) -> Bool {
        let size = event.kv.key.count + event.kv.value.count
        let wasEmpty = self.buffer.isEmpty
        if self.buffer.count + 1 > limits.watchBufferEvents || self.bufferedBytes + size > limits.watchBufferBytes {
            // Drop the buffered events of this revision too, so the client resumes at a revision boundary:
            // everything before `resume` delivered, nothing from it.
            let resume = event.kv.modRevision
            while let last = self.buffer.last, last.kv.modRevision >= resume {
                self.buffer.removeLast()
                self.bufferedBytes -= last.kv.key.count + last.kv.value.count
            }
            self.state = .overflowed(resume)
            return wasEmpty || self.buffer.isEmpty
        }
        self.buffer.append(event)
        self.bufferedBytes += size
        return wasEmpty
    }
}
