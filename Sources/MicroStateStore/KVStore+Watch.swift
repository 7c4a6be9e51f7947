extension KVStore {
    /// Watches `key` (or every key starting with it when `prefix`), from `startRevision`.
    ///
    /// `startRevision` 0 watches live changes only (from `durableRevision + 1`); otherwise every matching
    /// event with revision ≥ `startRevision` is replayed from retained history, then live ones follow, with no
    /// gap or duplicate. A start revision at or below `compactRevision` yields a watcher that polls
    /// `.compacted`. Events are delivered only up to `durableRevision`.
    ///
    /// `onReady` is called, never with the store lock held and on whichever thread made events durable (a
    /// writer's, the log's, or a poller's), each time the watcher goes from nothing to poll to something to
    /// poll; it should only schedule a `poll`. When replayed events (or `.compacted`) are available at once,
    /// it is called before `watch` returns, so it must not assume the watcher is already stored. After an
    /// `onReady`, poll until `poll` returns no events: it is not called again while events remain buffered.
    ///
    /// Throws `resourceExhausted` past `maxWatchers`, `invalidArgument` for a bad key or revision.
    public func watch(
        key: [UInt8],
        prefix: Bool = false,
        startRevision: Int64 = 0,
        onReady: @escaping @Sendable () -> Void
    ) throws(StoreError) -> StoreWatcher {
        if key.count > self.limits.maxKeyBytes {
            throw StoreError.limit("key", key.count, limit: "maxKeyBytes", self.limits.maxKeyBytes)
        }
        if key.isEmpty && !prefix {
            throw StoreError.invalidArgument("watch key is empty (use prefix to watch every key)")
        }
        if startRevision < 0 {
            throw StoreError.invalidArgument("watch start revision \(startRevision) is negative")
        }
        self.lock.lock()
        if self.watcherCount >= self.limits.maxWatchers {
            let count = self.watcherCount
            self.unlockAndDrain()
            throw StoreError(
                code: .resourceExhausted,
                message: "\(count) watchers open, at the limit maxWatchers = \(self.limits.maxWatchers)"
            )
        }
        self.nextWatcherID += 1
        let watcher = StoreWatcher(
            id: self.nextWatcherID,
            key: key,
            isPrefix: prefix,
            minimumRevision: startRevision == 0 ? self.durable + 1 : startRevision,
            store: self,
            onReady: onReady
        )
        var ready = false
        if startRevision != 0 && startRevision <= self.compacted {
            watcher.state = .compacted(self.compacted)
            ready = true
        } else {
            if startRevision != 0 && startRevision <= self.durable {
                var index = self.firstHistoryIndex(after: startRevision - 1)
                while index < self.history.count {
                    let event = self.history[index]
                    index += 1
                    if event.revision > self.durable {
                        break
                    }
                    if watcher.matches(event.blob) {
                        ready = watcher.offer(self.watchEvent(event), limits: self.limits) || ready
                        if case .overflowed = watcher.state {
                            break
                        }
                    }
                }
            }
            if case .active = watcher.state {
                self.register(watcher)
            }
        }
        self.unlockAndDrain()
        if ready {
            onReady()
        }
        return watcher
    }

    /// Index of the first history event with revision > `revision` (history is in revision order).
    func firstHistoryIndex(after revision: Int64) -> Int {
        var low = 0
        var high = self.history.count
        while low < high {
            let mid = (low + high) >> 1
            if self.history[mid].revision <= revision {
                low = mid + 1
            } else {
                high = mid
            }
        }
        return low
    }

    /// The public event of a history entry; a put carries its schema id while it is the key's latest (lock held).
    func watchEvent(_ event: HistoryEvent) -> StoreWatchEvent {
        if event.version == 0 {
            return StoreWatchEvent(
                type: .delete,
                kv: StoreKeyValue(
                    key: Blob.key(event.blob),
                    value: [],
                    createRevision: 0,
                    modRevision: event.revision,
                    version: 0
                )
            )
        }
        return StoreWatchEvent(
            type: .put,
            kv: self.withSchemaID(
                StoreKeyValue(
                    key: Blob.key(event.blob),
                    value: Blob.value(event.blob),
                    createRevision: event.createRevision,
                    modRevision: event.revision,
                    version: event.version
                )
            )
        )
    }

    /// Hands every event in `(after, through]` to the watchers it matches. Lock held.
    func deliverEvents(after: Int64, through: Int64, deferred: inout Deferred) {
        var overflowed: [StoreWatcher] = []
        var index = self.firstHistoryIndex(after: after)
        while index < self.history.count {
            let event = self.history[index]
            index += 1
            if event.revision > through {
                break
            }
            var built: StoreWatchEvent? = nil
            if !self.exactWatchers.isEmpty, let watchers = self.exactWatchers[Blob.key(event.blob)] {
                for watcher in watchers {
                    self.offer(event, &built, to: watcher, overflowed: &overflowed, deferred: &deferred)
                }
            }
            for watcher in self.prefixWatchers where watcher.matches(event.blob) {
                self.offer(event, &built, to: watcher, overflowed: &overflowed, deferred: &deferred)
            }
        }
        for watcher in overflowed {
            self.unregister(watcher)
        }
    }

    @inline(__always)
    private func offer(
        _ event: HistoryEvent,
        _ built: inout StoreWatchEvent?,
        to watcher: StoreWatcher,
        overflowed: inout [StoreWatcher],
        deferred: inout Deferred
    ) {
        guard case .active = watcher.state, event.revision >= watcher.minimumRevision else {
            return
        }
        if built == nil {
            built = self.watchEvent(event)
        }
        if watcher.offer(built!, limits: self.limits) {
            deferred.ready.append(watcher)
        }
        if case .overflowed = watcher.state {
            overflowed.append(watcher)
        }
    }

    func register(_ watcher: StoreWatcher) {
        if watcher.isPrefix {
            self.prefixWatchers.append(watcher)
        } else {
            self.exactWatchers[watcher.key, default: []].append(watcher)
        }
        self.watcherCount += 1
    }

    /// Removes a registered watcher. Lock held.
    func unregister(_ watcher: StoreWatcher) {
        if watcher.isPrefix {
            guard let index = self.prefixWatchers.firstIndex(where: { $0 === watcher }) else {
                return
            }
            self.prefixWatchers.remove(at: index)
        } else {
            guard var list = self.exactWatchers[watcher.key],
                let index = list.firstIndex(where: { $0 === watcher })
            else {
                return
            }
            list.remove(at: index)
            self.exactWatchers[watcher.key] = list.isEmpty ? nil : list
        }
        self.watcherCount -= 1
    }
}
