import MicroStateRPC
import MicroStateStore
import MicroStateWire
import NIOCore

extension KVService {
    /// Txn: compares and ops evaluate against one revision; all writes share one new revision and one log
    /// record (see `KVStore.txn`).
    ///
    /// Ops inside a Txn are plain: conditions belong in `compares`, so a Put or Delete op carrying
    /// `expected_revision` or `idempotency_key`, or a Get op with a past `revision`, is `INVALID_ARGUMENT`
    /// rather than silently ignored (etcd's RequestPut has no such fields at all).
    func txn(_ buffer: ByteBuffer, _ context: ServerContext, _ responder: UnaryResponder) {
        var request: StoreTxnRequest
        do {
            request = try Self.storeTxn(decodeRequest(TxnRequest.self, from: buffer))
        } catch {
            return responder.fail(StatusMapping.rpcError(error))
        }
        // Put ops of both branches are checked up front: which branch runs is only known inside the store.
        for op in request.success + request.failure {
            guard case .put(let key, let value, _) = op else { continue }
            let checked = self.schemaValidator.validatePut(key: key, value: value)
            if let invalid = checked.error {
                return responder.fail(invalid)
            }
            if checked.schemaID != 0 {
                request.schemaIDs[key] = checked.schemaID
            }
        }
        let step = context.startStep(KVService.durableWriteStep)
        self.store.txn(request) { result in
            step?.end(result)
            responder.complete(
                result.map { result in
                    TxnResponse(
                        header: self.header(),
                        succeeded: result.succeeded,
                        responses: result.responses.map { self.responseOp($0) },
                        revision: result.revision
                    )
                }.mapError { $0 }
            )
        }
    }

    func responseOp(_ response: StoreTxnOpResponse) -> ResponseOp {
        switch response {
        case .put(let put):
            return ResponseOp(response: .put(PutResponse(header: self.header(), revision: put.revision)))
        case .delete(let delete):
            return ResponseOp(
                response: .delete(DeleteResponse(header: self.header(), deleted: delete.deleted, revision: delete.revision))
            )
        case .get(let kv):
            return ResponseOp(response: .get(GetResponse(header: self.header(), found: kv != nil, kv: kv.map(KeyValue.init))))
        case .ack:
            return ResponseOp(response: .ack(AckResponse(header: self.header())))
        }
    }

    static func storeTxn(_ request: TxnRequest) throws(RPCError) -> StoreTxnRequest {
        StoreTxnRequest(
            compares: try request.compares.map(Self.storeCompare),
            success: try request.success.map(Self.storeOp),
            failure: try request.failure.map(Self.storeOp)
        )
    }

    static func storeCompare(_ compare: Compare) throws(RPCError) -> StoreCompare {
        let result: StoreCompare.Result
        switch compare.result {
        case .equal: result = .equal
        case .notEqual: result = .notEqual
        case .greater: result = .greater
        case .less: result = .less
        case .unrecognized(let value):
            throw RPCError(code: .invalidArgument, message: "unknown CompareResult \(value)")
        }
        let target: StoreCompare.Target
        switch compare.target {
        case .modRevision(let revision): target = .modRevision(revision)
        case .version(let version): target = .version(version)
        case .value(let value): target = .value(value)
        case .createRevision(let revision): target = .createRevision(revision)
        case nil:
            throw RPCError(code: .invalidArgument, message: "Compare on key needs a target (mod_revision, version, value or create_revision)")
        }
        return StoreCompare(key: compare.key, result: result, target: target)
    }

    static func storeOp(_ op: RequestOp) throws(RPCError) -> StoreTxnOp {
        switch op.request {
        case .put(let put):
            guard put.expectedRevision == nil, put.idempotencyKey.isEmpty else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "a Put inside a Txn cannot carry expected_revision or idempotency_key; use a Compare"
                )
            }
            return .put(key: put.key, value: put.value, ttlMilliseconds: put.ttlMs)
        case .delete(let delete):
            guard delete.expectedRevision == nil else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "a Delete inside a Txn cannot carry expected_revision; use a Compare"
                )
            }
            return .delete(key: delete.key)
        case .get(let get):
            guard get.revision == 0 else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "a Get inside a Txn reads the Txn's revision; revision must be 0"
                )
            }
            return .get(key: get.key)
        case .ack(let ack):
            // A consumer group's checkpoint moves in the Txn's one record: the read model and the checkpoint
            // commit together (docs/events.md, exactly-once processing).
            return .ack(group: ack.group, stream: ack.stream, revision: ack.revision)
        case nil:
            throw RPCError(code: .invalidArgument, message: "empty RequestOp in Txn (set put, delete, get or ack)")
        }
    }
}
