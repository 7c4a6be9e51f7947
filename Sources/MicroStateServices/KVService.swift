import Logging
import MicroStateRPC
import MicroStateStore
import MicroStateWire
import NIOConcurrencyHelpers
import NIOCore

/// `microstate.v1.KV`: a thin adapter between gRPC messages and the MVCC store.
///
/// It decodes, calls the store, encodes; no state of its own except for Watch pumps. Errors go through
/// `StatusMapping`. Reads answer at the store's latest durable revision, so a read never sees a write that
/// a crash could still take back.
public final class KVService: Sendable {
    /// Fully-qualified service name, as health checks and reflection name it.
    public static let serviceName = "microstate.v1.KV"

    /// Most events put in one WatchResponse; bounds a response's size together with the value limit.
    public static let maxEventsPerWatchResponse = 128
    /// A watch stops taking events from the store while this many response bytes wait for HTTP/2 flow
    /// control; the store then buffers (bounded) and ends a watcher that falls too far behind.
    public static let watchQueueHighWaterBytes = 1 << 20
    /// The pump resumes once the queue drains to this.
    public static let watchQueueLowWaterBytes = 256 << 10

    let store: KVStore
    let nodeID: UInt64
    let logger: Logger
    /// Open Watch calls, so shutdown can end them instead of waiting out the grace period.
    let activeWatches = NIOLockedValueBox<[ObjectIdentifier: WatchPump]>([:])
    /// Checks Puts under key prefixes bound to a schema subject (validation on write).
    public let schemaValidator: SchemaWriteValidator

    public init(store: KVStore, nodeID: UInt64, logger: Logger, schemaValidator: SchemaWriteValidator? = nil) {
        self.store = store
        self.nodeID = nodeID
        self.logger = logger
        self.schemaValidator = schemaValidator ?? SchemaWriteValidator(store: store, logger: logger)
    }

    /// Registers every KV method with the router.
    public func register(with router: RPCRouter) {
        let prefix = "/\(Self.serviceName)/"
        router.registerUnary(prefix + "Put") { request, context, responder in
            self.put(request, context, responder)
        }
        router.registerUnary(prefix + "Get") { request, _, responder in
            responder.complete(Result { try self.get(request) })
        }
        router.registerUnary(prefix + "Delete") { request, context, responder in
            self.delete(request, context, responder)
        }
        router.registerUnary(prefix + "Range") { request, _, responder in
            responder.complete(Result { try self.range(request) })
        }
        router.registerUnary(prefix + "Txn") { request, context, responder in
            self.txn(request, context, responder)
        }
        router.registerServerStreaming(prefix + "Watch") { request, context, writer in
            self.watch(request, context, writer)
        }
    }

    /// Ends every open Watch with `status` (the node calls this on shutdown with UNAVAILABLE, so clients
    /// resume elsewhere or after restart from the revision they last saw).
    public func finishWatches(_ status: Status) {
        let pumps = self.activeWatches.withLockedValue { Array($0.values) }
        for pump in pumps {
            pump.finishFromAnyThread(status)
        }
    }

    func header() -> ResponseHeader {
        ResponseHeader(nodeId: self.nodeID, revision: self.store.durableRevision)
    }

    // MARK: Unary methods

    func put(_ buffer: ByteBuffer, _ context: ServerContext, _ responder: UnaryResponder) {
        let request: PutRequest
        do {
            request = try decodeRequest(PutRequest.self, from: buffer)
        } catch {
            return responder.fail(StatusMapping.rpcError(error))
        }
        let checked = self.schemaValidator.validatePut(key: request.key, value: request.value)
        if let invalid = checked.error {
            return responder.fail(invalid)
        }
        let step = context.startStep(Self.durableWriteStep)
        self.store.put(
            key: request.key,
            value: request.value,
            expectedRevision: request.expectedRevision,
            ttlMilliseconds: request.ttlMs,
            idempotencyKey: request.idempotencyKey,
            schemaID: checked.schemaID
        ) { result in
            step?.end(result)
            responder.complete(result.map { PutResponse(header: self.header(), revision: $0.revision) }.mapError { $0 })
        }
    }

    func get(_ buffer: ByteBuffer) throws -> GetResponse {
        let request = try decodeRequest(GetRequest.self, from: buffer)
        let found = try self.store.get(key: request.key, revision: request.revision)
        return GetResponse(header: self.header(), found: found != nil, kv: found.map(KeyValue.init))
    }

    func delete(_ buffer: ByteBuffer, _ context: ServerContext, _ responder: UnaryResponder) {
        let request: DeleteRequest
        do {
            request = try decodeRequest(DeleteRequest.self, from: buffer)
        } catch {
            return responder.fail(StatusMapping.rpcError(error))
        }
        let step = context.startStep(Self.durableWriteStep)
        self.store.delete(key: request.key, expectedRevision: request.expectedRevision) { result in
            step?.end(result)
            responder.complete(
                result.map { DeleteResponse(header: self.header(), deleted: $0.deleted, revision: $0.revision) }
                    .mapError { $0 }
            )
        }
    }

    func range(_ buffer: ByteBuffer) throws -> RangeResponse {
        let request = try decodeRequest(RangeRequest.self, from: buffer)
        let result = try self.store.range(
            start: request.start,
            end: request.end,
            prefix: request.prefix,
            limit: request.limit,
            revision: request.revision,
            keysOnly: request.keysOnly
        )
        return RangeResponse(
            header: self.header(),
            kvs: result.kvs.map(KeyValue.init),
            more: result.more,
            count: result.count
        )
    }
}

extension KeyValue {
    init(_ stored: StoreKeyValue) {
        self.init(
            key: stored.key,
            value: stored.value,
            createRevision: stored.createRevision,
            modRevision: stored.modRevision,
            version: stored.version,
            schemaID: stored.schemaID
        )
    }
}
