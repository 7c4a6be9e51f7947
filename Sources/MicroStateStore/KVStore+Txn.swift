extension KVStore {
    /// Runs a Txn atomically: evaluates every compare, then runs `success` or `failure`, all against one state.
    ///
    /// Rules (etcd's): compares and ops see the state before the Txn, including writes not yet durable (the
    /// completion waits until they are). A missing key compares with mod, create revision and version 0 and an
    /// empty value. All writes of the Txn share one new revision and one log record, so a crash never keeps
    /// half of it; a Txn that writes nothing (only gets, or deletes of absent keys) bumps no revision and
    /// reports the revision it read at. A key written twice in the chosen branch is `invalidArgument`, as
    /// is a branch or compare list over `maxTxnOps`. Gets inside the Txn read the state before its writes.
    ///
    /// An `ack` op moves a consumer group's checkpoint in the same record and revision as the KV writes; if any
    /// ack of the chosen branch is refused (at or below the checkpoint, a revision the stream does not have, a
    /// hard-deleted stream) the whole Txn fails with `failedPrecondition` and writes nothing (a TTL expiry it
    /// found due is still recorded: it is its own write, which the sweeper would have made anyway).
    public func txn(
        _ request: StoreTxnRequest,
        completion: @escaping @Sendable (Result<StoreTxnResult, StoreError>) -> Void
    ) {
        if let error = self.validateTxn(request) {
            return completion(.failure(error))
        }
        var deferred = Deferred()
        self.lock.lock()
        if let error = self.writeRefusal() {
            self.unlockAndDrain()
            return completion(.failure(error))
        }
        let now = self.clock.nowMilliseconds()
        // Expiries due on any key the Txn touches are recorded first, so it sees them as absent.
        for compare in request.compares {
            compare.key.withUnsafeBytes { self.expireIfDue($0, now: now, deferred: &deferred) }
        }
        for op in request.success + request.failure {
            op.key?.withUnsafeBytes { self.expireIfDue($0, now: now, deferred: &deferred) }
        }
        let succeeded = request.compares.allSatisfy { self.evaluate($0) }
        let ops = succeeded ? request.success : request.failure
        for op in ops {
            if case .ack(let group, let stream, let revision) = op,
                let error = self.ackRefusal(group: group, stream: stream, revision: revision)
            {
                self.unlockAndRun(&deferred)
                return completion(.failure(error))
            }
        }
        let readRevision = self.revision
        let writeRevision = readRevision + 1
        var responses: [StoreTxnOpResponse] = []
        responses.reserveCapacity(ops.count)
        var operations: [StoreRecord.Operation] = []
        // Gets read the state before the Txn's writes: answer them before applying any write.
        for op in ops {
            switch op {
            case .get(let key):
                responses.append(.get(self.latestKeyValue(key).map { self.withSchemaID($0) }))
            case .put:
                responses.append(.put(StorePutResult(revision: writeRevision)))
            case .delete(let key):
                let exists = key.withUnsafeBytes { self.currentModRevision($0) } != 0
                if exists {
                    operations.append(.delete(key: key))
                }
                responses.append(
                    .delete(StoreDeleteResult(deleted: exists, revision: exists ? writeRevision : readRevision))
                )
            case .ack(let group, let stream, let revision):
                operations.append(.ack(group: group, stream: stream, revision: revision))
                responses.append(.ack)
            }
            if case .put(let key, let value, let ttl) = op {
                operations.append(
                    .put(
                        key: key,
                        value: value,
                        deadline: Self.deadline(now: now, ttlMilliseconds: ttl),
                        idempotencyKey: ""
                    )
                )
                if let id = request.schemaIDs[key], id != 0 {
                    operations.append(.keySchema(key: key, id: id))
                }
            }
        }
        let hasWrites = !operations.isEmpty
        if hasWrites {
            self.revision = writeRevision
            self.applyOperations(operations, revision: writeRevision, time: now)
        } else {
            // No write: puts are absent, so fix up nothing; deletes already report the read revision.
        }
        let result = StoreTxnResult(
            succeeded: succeeded,
            responses: responses,
            revision: hasWrites ? writeRevision : readRevision
        )
        if hasWrites, self.log != nil {
            let record = StoreRecord(revision: writeRevision, timeMilliseconds: now, operations: operations)
            self.pending.append(.txn(revision: writeRevision, result, completion))
            self.appendRecord(record.encode(), revision: writeRevision, deferred: &deferred)
            self.unlockAndRun(&deferred)
        } else if hasWrites {
            self.markDurable(upTo: writeRevision, deferred: &deferred)
            self.unlockAndRun(&deferred)
            completion(.success(result))
        } else if readRevision <= self.durable {
            self.unlockAndRun(&deferred)
            completion(.success(result))
        } else {
            // It read writes not yet durable: answer once they are.
            self.pending.append(.txn(revision: readRevision, result, completion))
            self.unlockAndRun(&deferred)
        }
    }

    private func validateTxn(_ request: StoreTxnRequest) -> StoreError? {
        let maxOps = self.limits.maxTxnOps
        if request.compares.count > maxOps {
            return .invalidArgument("txn has \(request.compares.count) compares, over the limit maxTxnOps = \(maxOps)")
        }
        for (name, ops) in [("success", request.success), ("failure", request.failure)] {
            if ops.count > maxOps {
                return .invalidArgument("txn \(name) has \(ops.count) ops, over the limit maxTxnOps = \(maxOps)")
            }
            var written = Set<[UInt8]>()
            var acked = Set<[String]>()
            for op in ops {
                switch op {
                case .put(let key, let value, let ttl):
                    if let error = self.validatePut(key: key, value: value, ttlMilliseconds: ttl) {
                        return error
                    }
                    if !written.insert(key).inserted {
                        return .invalidArgument("txn \(name) writes key \(StoreError.quote(key)) more than once")
                    }
                case .delete(let key):
                    if let error = self.validateKey(key) {
                        return error
                    }
                    if !written.insert(key).inserted {
                        return .invalidArgument("txn \(name) writes key \(StoreError.quote(key)) more than once")
                    }
                case .get(let key):
                    if let error = self.validateKey(key) {
                        return error
                    }
                case .ack(let group, let stream, let revision):
                    if let error = self.validateAck(group: group, stream: stream, revision: revision) {
                        return error
                    }
                    if !acked.insert([group, stream]).inserted {
                        return .invalidArgument(
                            "txn \(name) acks stream \(StoreError.quote(stream)) for group "
                                + "\(StoreError.quote(group)) more than once"
                        )
                    }
                }
            }
        }
        for compare in request.compares {
            if let error = self.validateKey(compare.key) {
                return error
            }
        }
        return nil
    }

    /// Whether a compare holds on the latest (possibly pending) state. Lock held.
    private func evaluate(_ compare: StoreCompare) -> Bool {
        let latest: KeyVersion? = compare.key.withUnsafeBytes { keyBytes in
            guard let position = self.tree.find(keyBytes) else {
                return nil
            }
            let version = position.leaf.entries[position.index].latest
            return version.isTombstone ? nil : version
        }
        let order: Int
        switch compare.target {
        case .modRevision(let target):
            order = Self.order(latest?.modRevision ?? 0, target)
        case .createRevision(let target):
            order = Self.order(latest?.createRevision ?? 0, target)
        case .version(let target):
            order = Self.order(latest?.version ?? 0, target)
        case .value(let target):
            let value = latest.map { Blob.value($0.blob) } ?? []
            order = value == target ? 0 : (value.lexicographicallyPrecedes(target) ? -1 : 1)
        }
        switch compare.result {
        case .equal: return order == 0
        case .notEqual: return order != 0
        case .greater: return order > 0
        case .less: return order < 0
        }
    }

    private static func order(_ left: Int64, _ right: Int64) -> Int {
        left == right ? 0 : (left < right ? -1 : 1)
    }

    /// The key's latest (possibly pending) value. Lock held.
    private func latestKeyValue(_ key: [UInt8]) -> StoreKeyValue? {
        key.withUnsafeBytes { keyBytes -> StoreKeyValue? in
            guard let position = self.tree.find(keyBytes) else {
                return nil
            }
            let version = position.leaf.entries[position.index].latest
            guard !version.isTombstone else {
                return nil
            }
            return StoreKeyValue(key: key, version: version)
        }
    }

    /// Applies a record's operations at `revision` (a live Txn or a replayed record). Lock held.
    func applyOperations(_ operations: [StoreRecord.Operation], revision: Int64, time: Int64) {
        for operation in operations {
            switch operation {
            case .put(let key, let value, let deadline, let idempotencyKey):
                key.withUnsafeBytes { keyBytes in
                    value.withUnsafeBytes { valueBytes in
                        self.applyPut(key: keyBytes, value: valueBytes, revision: revision, deadline: deadline)
                    }
                }
                if !idempotencyKey.isEmpty {
                    self.rememberIdempotencyKey(idempotencyKey, revision: revision, time: time)
                }
            case .delete(let key), .expire(let key):
                key.withUnsafeBytes { keyBytes in
                    _ = self.applyDelete(key: keyBytes, revision: revision)
                }
            case .append, .ack, .streamMetadata, .deleteStream, .aggregateSnapshot:
                self.applyStreamOperation(operation, revision: revision, time: time)
            case .registry(let change):
                self.applyRegistryChanges([change], revision: revision)
            case .keySchema(let key, let id):
                self.keySchemaIDs[key] = (revision, id)
            }
        }
    }
}

extension StoreTxnOp {
    /// The key the op reads or writes; nil for an ack.
    var key: [UInt8]? {
        switch self {
        case .put(let key, _, _), .delete(let key), .get(let key):
            return key
        case .ack:
            return nil
        }
    }
}
