/// Consumer groups (ADR 0004 §6): a durable checkpoint per (group, stream), moved forward only, by `ack` or by a
/// Txn's `ack` op in the same record as the Txn's KV writes.
extension KVStore {
    /// Moves `group`'s checkpoint of `stream` to `revision` (the last stream revision processed); `completion`
    /// gets the write's global revision once durable.
    ///
    /// Fails with `failedPrecondition` when `revision` is at or below the checkpoint ("already acknowledged"),
    /// is not a revision the stream has, or the stream is hard-deleted; `invalidArgument` for a bad group or
    /// stream name or a negative revision.
    public func ack(
        group: String,
        stream: String,
        revision: Int64,
        completion: @escaping @Sendable (Result<Int64, StoreError>) -> Void
    ) {
        if let error = self.validateAck(group: group, stream: stream, revision: revision) {
            return completion(.failure(error))
        }
        var deferred = Deferred()
        self.lock.lock()
        if let error = self.writeRefusal() ?? self.ackRefusal(group: group, stream: stream, revision: revision) {
            self.unlockAndDrain()
            return completion(.failure(error))
        }
        let now = self.clock.nowMilliseconds()
        self.revision += 1
        let position = self.revision
        let operation = StoreRecord.Operation.ack(group: group, stream: stream, revision: revision)
        self.applyStreamOperation(operation, revision: position, time: now)
        self.commitStreamWrite(
            [operation],
            revision: position,
            time: now,
            result: position,
            completion: completion,
            deferred: &deferred
        )
    }

    /// `group`'s durable checkpoint of `stream`: the last revision acknowledged, nil if never (or if a name is
    /// not valid).
    public func groupCheckpoint(group: String, stream: String) -> Int64? {
        self.lock.lock()
        defer { self.unlockAndDrain() }
        guard let state = self.groups[group], let id = self.streamIDs[stream] else {
            return nil
        }
        return state.checkpoints[id]?.at(self.durable)
    }

    /// The request-only checks of an ack.
    func validateAck(group: String, stream: String, revision: Int64) -> StoreError? {
        if let error = self.validateGroupName(group) ?? self.validateStreamName(stream) {
            return error
        }
        if revision < 0 {
            return .invalidArgument(
                "ack of stream \(StoreError.quote(stream)) for group \(StoreError.quote(group)) at revision "
                    + "\(revision): revisions start at 0"
            )
        }
        return nil
    }

    /// Why the state refuses an ack now (latest state, pending writes included), if it does. Lock held.
    func ackRefusal(group: String, stream: String, revision: Int64) -> StoreError? {
        let what =
            "ack of revision \(revision) of stream \(StoreError.quote(stream)) for group \(StoreError.quote(group))"
        guard let id = self.streamIDs[stream], self.eventLog.nextRevision(of: id) > 0 else {
            return .failedPrecondition("\(what): the stream has no events")
        }
        if self.streams[id].settings.latest?.hardDeleted == true {
            return Self.hardDeleted(stream, "cannot ack it")
        }
        let last = self.eventLog.nextRevision(of: id) - 1
        if revision > last {
            return .failedPrecondition("\(what): the stream's last revision is \(last)")
        }
        if let checkpoint = self.groups[group]?.checkpoints[id]?.latest, revision <= checkpoint {
            return .failedPrecondition(
                "\(what): already acknowledged; the group's checkpoint is at revision \(checkpoint)"
            )
        }
        return nil
    }

    /// Applies an ack at global `revision`. Lock held.
    func applyAck(group: String, stream: String, revision streamRevision: Int64, at revision: Int64) {
        let id = self.streamID(creating: stream)
        let state: GroupState
        if let existing = self.groups[group] {
            state = existing
        } else {
            state = GroupState(name: group)
            self.groups[group] = state
        }
        state.checkpoints[id, default: Versioned()].set(streamRevision, at: revision, floor: self.versionFloor)
    }
}
