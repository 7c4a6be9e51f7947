/// Subscriptions: pull cursors over durable events (ADR 0004 §5), and consumer-group membership (§6).
extension KVStore {
    /// Subscribes to `stream` (or `$all`) from `from` (inclusive: a stream revision, a position on `$all`; -1 =
    /// live only, after the durable head at subscribe time), with events whose type starts with `typePrefix`.
    ///
    /// With a non-empty `group`, the subscription joins the consumer group: each stream starts after the group's
    /// checkpoint (streams never acknowledged start at `from`) and is delivered by one member only; every member
    /// of a group must subscribe to the same stream with the same type prefix. Joining notifies the other
    /// members (`onReady`). Poll right after subscribing: `onReady` is armed only by a poll.
    ///
    /// Throws `invalidArgument` (a bad or reserved name, `from` below -1, a type prefix over
    /// `maxEventTypeBytes`), `resourceExhausted` past `maxSubscriptions`, `failedPrecondition` for a
    /// hard-deleted stream or a group member that differs, `unavailable` once the store is closed.
    public func subscribe(
        stream: String,
        from: Int64,
        group: String,
        typePrefix: String,
        onReady: @escaping @Sendable () -> Void
    ) throws(StoreError) -> StoreSubscription {
        let isAll = stream == Self.allStreams
        if !isAll, let error = self.validateStreamName(stream) {
            throw error
        }
        if from < -1 {
            throw StoreError.invalidArgument(
                "subscription to stream \(StoreError.quote(stream)) from \(from): below -1"
            )
        }
        if !group.isEmpty, let error = self.validateGroupName(group) {
            throw error
        }
        let prefixBytes = typePrefix.utf8.count
        if prefixBytes > self.limits.maxEventTypeBytes {
            throw StoreError.exceeds(
                "type prefix",
                prefixBytes,
                limit: "maxEventTypeBytes",
                self.limits.maxEventTypeBytes
            )
        }
        var deferred = Deferred()
        self.lock.lock()
        self.assertRecovered()
        let result: Result<StoreSubscription, StoreError> = Result { () throws(StoreError) in
            try self.registerSubscription(
                stream: stream,
                from: from,
                group: group,
                typePrefix: typePrefix,
                onReady: onReady,
                deferred: &deferred
            )
        }
        self.unlockAndRun(&deferred)
        return try result.get()
    }

    private func registerSubscription(
        stream: String,
        from: Int64,
        group: String,
        typePrefix: String,
        onReady: @escaping @Sendable () -> Void,
        deferred: inout Deferred
    ) throws(StoreError) -> StoreSubscription {
        let isAll = stream == Self.allStreams
        if self.closed {
            throw StoreError.unavailable("the store is closed")
        }
        if self.subscriptions.count >= self.limits.maxSubscriptions {
            throw StoreError(
                code: .resourceExhausted,
                message: "\(self.subscriptions.count) subscriptions open, at the limit maxSubscriptions = "
                    + "\(self.limits.maxSubscriptions)"
            )
        }
        let streamID = isAll ? nil : self.streamIDs[stream]
        if let streamID, self.streams[streamID].settings.latest?.hardDeleted == true {
            throw Self.hardDeleted(stream, "cannot subscribe to it")
        }
        let existingGroup = group.isEmpty ? nil : self.groups[group]
        if let first = existingGroup?.members.first, first.streamName != stream || first.typePrefix != typePrefix {
            throw StoreError.failedPrecondition(
                "group \(StoreError.quote(group)) is subscribed to stream \(StoreError.quote(first.streamName)) "
                    + "with type prefix \(StoreError.quote(first.typePrefix)); every member must subscribe alike"
            )
        }
        let start: Int64
        if from >= 0 {
            start = from
        } else if isAll {
            start = self.durable + 1
        } else {
            start = streamID.map { self.eventLog.lastRevision(of: $0, atOrBefore: self.durable) + 1 } ?? 0
        }
        var groupState = existingGroup
        if !group.isEmpty && groupState == nil {
            groupState = GroupState(name: group)
            self.groups[group] = groupState
        }
        self.nextSubscriptionID += 1
        let subscription = StoreSubscription(
            id: self.nextSubscriptionID,
            store: self,
            streamName: stream,
            streamID: streamID,
            typePrefix: typePrefix,
            group: groupState,
            start: start,
            onReady: onReady
        )
        self.subscriptions[subscription.id] = subscription
        if isAll {
            self.allSubscriptions.append(subscription)
        } else if let streamID {
            self.streams[streamID].subscriptions.append(subscription)
        } else {
            self.unresolvedSubscriptions[stream, default: []].append(subscription)
        }
        if let groupState {
            for member in groupState.members {
                self.notifyRebalance(member, deferred: &deferred)
            }
            groupState.members.append(subscription)
            subscription.needsRebalance = true
        }
        return subscription
    }

    // MARK: - Poll

    func poll(_ subscription: StoreSubscription, maxEvents: Int, maxBytes: Int) -> StoreSubscriptionBatch {
        var deferred = Deferred()
        self.lock.lock()
        let batch = self.takeBatch(subscription, maxEvents: maxEvents, maxBytes: maxBytes, deferred: &deferred)
        self.unlockAndRun(&deferred)
        return batch
    }

    /// The next batch of `subscription`; arms its `onReady` when it reaches the head. Lock held.
    private func takeBatch(
        _ subscription: StoreSubscription,
        maxEvents: Int,
        maxBytes: Int,
        deferred: inout Deferred
    ) -> StoreSubscriptionBatch {
        let head = self.durable
        switch subscription.state {
        case .ended(let error):
            return StoreSubscriptionBatch(events: [], caughtUp: false, headPosition: head, ended: error)
        case .cancelled:
            return StoreSubscriptionBatch(events: [], caughtUp: false, headPosition: head, ended: nil)
        case .active:
            break
        }
        if subscription.polling {
            // Another poll of this subscription released the lock to read an archive chunk: polls are meant to
            // come one at a time; have this caller poll again.
            deferred.subscriptionsReady.append(subscription)
            return StoreSubscriptionBatch(events: [], caughtUp: false, headPosition: head, ended: nil)
        }
        subscription.polling = true
        defer { subscription.polling = false }
        if subscription.needsRebalance {
            self.rewind(subscription)
        }
        var collector = BatchCollector(
            maxCount: min(maxEvents, self.limits.maxReadCount),
            maxBytes: maxBytes <= 0 ? Int.max : maxBytes
        )
        let now = self.clock.nowMilliseconds()
        var atHead: Bool
        do {
            if subscription.isAll {
                atHead = try self.scanAll(subscription, head: head, now: now, into: &collector)
            } else if let id = subscription.streamID {
                let view = self.streamView(id, at: head, now: now)
                if view.hardDeleted {
                    let error = Self.hardDeleted(subscription.streamName, "its subscriptions ended")
                    self.end(subscription, error, deferred: &deferred)
                    return StoreSubscriptionBatch(events: [], caughtUp: false, headPosition: head, ended: error)
                }
                atHead = try self.scanStream(subscription, id, view: view, head: head, into: &collector)
            } else {
                atHead = true
            }
        } catch {
            // An archive chunk could not be read (damaged, or the disk failed): the subscription cannot go on
            // without skipping events, so it ends; the consumer resumes from its last event once fixed.
            self.end(subscription, error, deferred: &deferred)
            return StoreSubscriptionBatch(events: [], caughtUp: false, headPosition: head, ended: error)
        }
        if case .active = subscription.state {
        } else {
            // Ended (hard delete, close) while a chunk was read with the lock released.
            return self.takeEndedBatch(subscription, head: head)
        }
        var caughtUp = false
        if atHead {
            if !subscription.caughtUpReported {
                subscription.caughtUpReported = true
                caughtUp = true
            }
            if !subscription.armed {
                subscription.armed = true
                self.armedSubscriptions += 1
            }
        } else if collector.events.isEmpty {
            // The scan budget ran out on skipped events: have the consumer poll again.
            deferred.subscriptionsReady.append(subscription)
        }
        return StoreSubscriptionBatch(events: collector.events, caughtUp: caughtUp, headPosition: head, ended: nil)
    }

    private func takeEndedBatch(_ subscription: StoreSubscription, head: Int64) -> StoreSubscriptionBatch {
        if case .ended(let error) = subscription.state {
            return StoreSubscriptionBatch(events: [], caughtUp: false, headPosition: head, ended: error)
        }
        return StoreSubscriptionBatch(events: [], caughtUp: false, headPosition: head, ended: nil)
    }

    /// Collects `$all` events after the cursor; returns whether the cursor reached the head. Lock held (released
    /// while an archive chunk is read).
    private func scanAll(
        _ subscription: StoreSubscription,
        head: Int64,
        now: Int64,
        into collector: inout BatchCollector
    ) throws(StoreError) -> Bool {
        struct StreamFilter {
            var view: StreamView
            var owned: Bool
            var checkpoint: Int64?
        }
        var filters: [Int: StreamFilter] = [:]
        var stopped = false
        let group = subscription.group
        try self.forEachEvent(fromPosition: subscription.cursor, head: head) { event in
            if event.position > head {
                return false
            }
            let step = collector.scan(event, self) {
                let filter: StreamFilter
                if let cached = filters[event.stream] {
                    filter = cached
                } else {
                    filter = StreamFilter(
                        view: self.streamView(event.stream, at: head, now: now),
                        owned: group.map { $0.owner(of: self.streams[event.stream].name) === subscription } ?? true,
                        checkpoint: group?.checkpoints[event.stream]?.at(head)
                    )
                    filters[event.stream] = filter
                }
                let included = filter.owned && filter.view.isVisible(event) && Self.matches(event, subscription.typePrefix)
                guard included && group != nil else {
                    return included
                }
                return filter.checkpoint.map { event.revision > $0 } ?? (event.position >= subscription.start)
            }
            guard step else {
                stopped = true
                return false
            }
            subscription.cursor = event.position + 1
            return true
        }
        if !stopped {
            subscription.cursor = max(subscription.cursor, head + 1)
        }
        return !stopped
    }

    /// Collects the stream's events after the cursor; returns whether the cursor reached the stream's durable
    /// end. Lock held (released while an archive chunk is read).
    private func scanStream(
        _ subscription: StoreSubscription,
        _ id: Int,
        view: StreamView,
        head: Int64,
        into collector: inout BatchCollector
    ) throws(StoreError) -> Bool {
        var checkpoint: Int64? = nil
        if let group = subscription.group {
            guard group.owner(of: subscription.streamName) === subscription else {
                subscription.cursor = max(subscription.cursor, view.last + 1)
                return true
            }
            checkpoint = group.checkpoints[id]?.at(head)
        }
        subscription.cursor = max(subscription.cursor, view.lowest)
        var stopped = false
        try self.forEachEvent(stream: id, fromRevision: subscription.cursor, head: head) { event in
            if event.revision > view.last {
                return false
            }
            let step = collector.scan(event, self) {
                view.isVisible(event) && Self.matches(event, subscription.typePrefix)
                    && checkpoint.map { event.revision > $0 } ?? true
            }
            guard step else {
                stopped = true
                return false
            }
            subscription.cursor = event.revision + 1
            return true
        }
        if !stopped {
            subscription.cursor = max(subscription.cursor, view.last + 1)
        }
        return !stopped
    }

    @inline(__always)
    static func matches(_ event: EventLog.Event, _ typePrefix: String) -> Bool {
        typePrefix.isEmpty || event.data.type.utf8.starts(with: typePrefix.utf8)
    }

    // MARK: - Groups

    /// Moves a member's cursor back so that every stream it now owns is delivered from its checkpoint + 1 (and
    /// streams never acknowledged from the subscription's start). Lock held.
    private func rewind(_ subscription: StoreSubscription) {
        subscription.needsRebalance = false
        guard let group = subscription.group else {
            return
        }
        if subscription.isAll {
            var target = subscription.start
            for (stream, versioned) in group.checkpoints {
                guard let checkpoint = versioned.at(self.durable),
                    group.owner(of: self.streams[stream].name) === subscription,
                    let position = self.firstPosition(stream: stream, fromRevision: checkpoint + 1)
                else {
                    continue
                }
                target = min(target, position)
            }
            subscription.cursor = min(subscription.cursor, target)
        } else if let id = subscription.streamID, let checkpoint = group.checkpoints[id]?.at(self.durable) {
            subscription.cursor = checkpoint + 1
        } else {
            subscription.cursor = min(subscription.cursor, subscription.start)
        }
    }

    /// Tells a member the group's membership changed: it rewinds on its next poll. Lock held.
    private func notifyRebalance(_ member: StoreSubscription, deferred: inout Deferred) {
        member.needsRebalance = true
        self.disarm(member)
        deferred.subscriptionsReady.append(member)
    }

    // MARK: - Wake-ups, ends, cancel (lock held)

    @inline(__always)
    private func disarm(_ subscription: StoreSubscription) {
        if subscription.armed {
            subscription.armed = false
            self.armedSubscriptions -= 1
        }
    }

    /// Calls (after unlocking) the armed subscriptions that events made durable after `previous` concern.
    func wakeSubscriptions(after previous: Int64, deferred: inout Deferred) {
        for subscription in self.allSubscriptions where subscription.armed {
            self.disarm(subscription)
            deferred.subscriptionsReady.append(subscription)
        }
        guard self.armedSubscriptions > 0 else {
            return
        }
        let head = self.durable
        self.eventLog.forEach(fromPosition: previous + 1) { event in
            if event.position > head {
                return false
            }
            for subscription in self.streams[event.stream].subscriptions where subscription.armed {
                self.disarm(subscription)
                deferred.subscriptionsReady.append(subscription)
            }
            return self.armedSubscriptions > 0
        }
    }

    /// Ends a subscription with `error`: later polls return it. Calls `onReady` if the subscription was armed.
    func end(_ subscription: StoreSubscription, _ error: StoreError, deferred: inout Deferred) {
        guard case .active = subscription.state else {
            return
        }
        subscription.state = .ended(error)
        if subscription.armed {
            deferred.subscriptionsReady.append(subscription)
        }
        self.unregister(subscription, deferred: &deferred)
    }

    /// Ends every subscription of a stream (it was hard-deleted).
    func endSubscriptions(of stream: Int, _ error: StoreError, deferred: inout Deferred) {
        for subscription in self.streams[stream].subscriptions {
            self.end(subscription, error, deferred: &deferred)
        }
    }

    /// Ends every subscription (the store closed).
    func endAllSubscriptions(_ error: StoreError, deferred: inout Deferred) {
        for subscription in self.subscriptions.values.sorted(by: { $0.id < $1.id }) {
            self.end(subscription, error, deferred: &deferred)
        }
    }

    func cancel(_ subscription: StoreSubscription) {
        var deferred = Deferred()
        self.lock.lock()
        if case .active = subscription.state {
            subscription.state = .cancelled
            self.unregister(subscription, deferred: &deferred)
        }
        self.unlockAndRun(&deferred)
    }

    /// Removes a subscription from every list; its group's other members rebalance.
    private func unregister(_ subscription: StoreSubscription, deferred: inout Deferred) {
        self.subscriptions.removeValue(forKey: subscription.id)
        self.disarm(subscription)
        if subscription.isAll {
            self.allSubscriptions.removeAll { $0 === subscription }
        } else if let id = subscription.streamID {
            self.streams[id].subscriptions.removeAll { $0 === subscription }
        } else {
            self.unresolvedSubscriptions[subscription.streamName]?.removeAll { $0 === subscription }
            if self.unresolvedSubscriptions[subscription.streamName]?.isEmpty == true {
                self.unresolvedSubscriptions.removeValue(forKey: subscription.streamName)
            }
        }
        if let group = subscription.group {
            group.members.removeAll { $0 === subscription }
            for member in group.members {
                self.notifyRebalance(member, deferred: &deferred)
            }
            if group.members.isEmpty && group.checkpoints.isEmpty {
                self.groups.removeValue(forKey: group.name)
            }
        }
    }
}
