import Logging
import MicroStateRPC
import MicroStateStore
import MicroStateWire
import NIOConcurrencyHelpers
import NIOCore

/// `microstate.v1.EventStream`: a thin adapter between gRPC messages and the store's event streams
/// (docs/adr/0004-event-streams.md, docs/events.md).
///
/// It decodes, converts, calls the store, encodes. `Read` and `Subscribe` are pumps that pull bounded batches
/// from a store cursor and stop pulling while HTTP/2 flow control holds `queueHighWaterBytes` of their responses,
/// so a slow reader costs one batch of memory and never slows anyone else.
public final class EventStreamService: Sendable {
    /// Fully-qualified service name, as health checks and reflection name it.
    public static let serviceName = "microstate.v1.EventStream"

    /// Events pulled from the store per batch. Bounds the time the store lock is held per pull and the memory
    /// of one pump.
    public static let eventsPerBatch = 256
    /// Event bytes pulled from the store per batch (at least one event is always pulled).
    public static let bytesPerBatch = 1 << 20
    /// A pump stops pulling while this many response bytes wait for the client's HTTP/2 window.
    public static let queueHighWaterBytes = 1 << 20
    /// ... and resumes once they drain to this.
    public static let queueLowWaterBytes = 256 << 10

    /// Default of `--live-delivery-interval-us`: live subscribers on one event loop are written at most this
    /// often, so commits closer together than this share one write per subscriber (see `PumpWakeups`). Off by
    /// default: with 100 subscribers at a commit per millisecond, 2 ms cut the node's CPU by a quarter but raised
    /// delivery p50 from 1.2 to 1.8 ms and did not lower p99 (docs/benchmarks.md); it is for fan-outs that are
    /// CPU-bound.
    public static let defaultLiveDeliveryInterval = TimeAmount.zero

    let store: KVStore
    /// Checks Appends to streams bound to a schema subject (validation on write).
    public let schemaValidator: SchemaWriteValidator
    let nodeID: UInt64
    let logger: Logger
    /// Gives ids to events sent without one (a random UUID in production; injectable for tests).
    let makeEventID: @Sendable () -> String
    /// Open Read and Subscribe calls, so shutdown can end them instead of waiting out the grace period.
    let activePumps = NIOLockedValueBox<[ObjectIdentifier: EventPump]>([:])
    /// Recent events, encoded once for every subscriber and reader that sends them.
    let encoded = EncodedEventCache()
    /// Recent subscription batches, framed once for every subscriber that sends the same events.
    let framedBatches = FramedBatchCache()
    /// Live deliveries on one event loop run at most once per this interval (see `PumpWakeups`).
    let liveDeliveryInterval: TimeAmount
    /// One wake-up queue per event loop (see `PumpWakeups`).
    private let wakeupQueues = NIOLockedValueBox<[ObjectIdentifier: PumpWakeups]>([:])

    /// - Parameter makeEventID: the id of an event appended with an empty id; nil = random version 4 UUIDs.
    public init(
        store: KVStore,
        nodeID: UInt64,
        logger: Logger,
        makeEventID: (@Sendable () -> String)? = nil,
        liveDeliveryInterval: TimeAmount = EventStreamService.defaultLiveDeliveryInterval,
        schemaValidator: SchemaWriteValidator? = nil
    ) {
        self.schemaValidator = schemaValidator ?? SchemaWriteValidator(store: store, logger: logger)
        self.store = store
        self.liveDeliveryInterval = liveDeliveryInterval
        self.nodeID = nodeID
        self.logger = logger
        self.makeEventID = makeEventID ?? EventIDGenerator.shared.next
    }

    /// Registers every EventStream method with the router.
    public func register(with router: RPCRouter) {
        let prefix = "/\(Self.serviceName)/"
        router.registerUnary(prefix + "Append") { request, context, responder in
            self.append(request, context, responder)
        }
        router.registerServerStreaming(prefix + "Read") { request, context, writer in
            self.read(request, context, writer)
        }
        router.registerServerStreaming(prefix + "Subscribe") { request, context, writer in
            self.subscribe(request, context, writer)
        }
        router.registerUnary(prefix + "Ack") { request, _, responder in
            self.ack(request, responder)
        }
        router.registerUnary(prefix + "SaveSnapshot") { request, _, responder in
            self.saveSnapshot(request, responder)
        }
        router.registerUnary(prefix + "LoadSnapshot") { request, _, responder in
            responder.complete(Result { try self.loadSnapshot(request) })
        }
        router.registerUnary(prefix + "SetStreamMetadata") { request, _, responder in
            self.setStreamMetadata(request, responder)
        }
        router.registerUnary(prefix + "GetStreamMetadata") { request, _, responder in
            responder.complete(Result { try self.getStreamMetadata(request) })
        }
        router.registerUnary(prefix + "DeleteStream") { request, _, responder in
            self.deleteStream(request, responder)
        }
    }

    /// Ends every open Read and Subscribe with `status` (the node calls this on shutdown with UNAVAILABLE, so
    /// subscribers resume elsewhere or after restart from the last revision they saw).
    public func finishStreams(_ status: Status) {
        let pumps = self.activePumps.withLockedValue { Array($0.values) }
        for pump in pumps {
            pump.finishFromAnyThread(status)
        }
    }

    func header() -> ResponseHeader {
        ResponseHeader(nodeId: self.nodeID, revision: self.store.durableRevision)
    }

    // MARK: Unary methods

    func append(_ buffer: ByteBuffer, _ context: ServerContext, _ responder: UnaryResponder) {
        let request: AppendRequest
        let expected: StoreExpectedRevision
        do {
            request = try decodeRequest(AppendRequest.self, from: buffer)
            expected = try Self.storeExpectation(request.expected)
        } catch {
            return responder.fail(StatusMapping.rpcError(error))
        }
        var events = request.events.map { event in
            StoreEventData(
                id: event.id.isEmpty ? self.makeEventID() : event.id,
                type: event.type,
                data: event.data,
                metadata: event.metadata,
                contentType: event.contentType
            )
        }
        if let invalid = self.schemaValidator.checkAppend(stream: request.stream, events: &events) {
            return responder.fail(invalid)
        }
        let step = context.startStep(KVService.durableWriteStep)
        self.store.append(stream: request.stream, expected: expected, events: events) { result in
            step?.end(result)
            responder.complete(
                result.map { appended in
                    AppendResponse(
                        header: self.header(),
                        firstRevision: appended.firstRevision,
                        lastRevision: appended.lastRevision,
                        position: appended.position
                    )
                }.mapError { $0 }
            )
        }
    }

    func ack(_ buffer: ByteBuffer, _ responder: UnaryResponder) {
        let request: AckRequest
        do {
            request = try decodeRequest(AckRequest.self, from: buffer)
        } catch {
            return responder.fail(StatusMapping.rpcError(error))
        }
        self.store.ack(group: request.group, stream: request.stream, revision: request.revision) { result in
            responder.complete(result.map { _ in AckResponse(header: self.header()) }.mapError { $0 })
        }
    }

    func saveSnapshot(_ buffer: ByteBuffer, _ responder: UnaryResponder) {
        let request: SaveSnapshotRequest
        do {
            request = try decodeRequest(SaveSnapshotRequest.self, from: buffer)
        } catch {
            return responder.fail(StatusMapping.rpcError(error))
        }
        self.store.saveAggregateSnapshot(stream: request.stream, revision: request.revision, state: request.state) {
            result in
            responder.complete(result.map { _ in SaveSnapshotResponse(header: self.header()) }.mapError { $0 })
        }
    }

    func loadSnapshot(_ buffer: ByteBuffer) throws -> LoadSnapshotResponse {
        let request = try decodeRequest(LoadSnapshotRequest.self, from: buffer)
        guard let snapshot = try self.store.loadAggregateSnapshot(stream: request.stream) else {
            return LoadSnapshotResponse(header: self.header(), found: false)
        }
        return LoadSnapshotResponse(header: self.header(), found: true, revision: snapshot.revision, state: snapshot.state)
    }

    func setStreamMetadata(_ buffer: ByteBuffer, _ responder: UnaryResponder) {
        let request: SetStreamMetadataRequest
        do {
            request = try decodeRequest(SetStreamMetadataRequest.self, from: buffer)
        } catch {
            return responder.fail(StatusMapping.rpcError(error))
        }
        let metadata = request.metadata ?? StreamMetadata()
        self.store.setStreamMetadata(
            stream: request.stream,
            metadata: StoreStreamMetadata(
                maxCount: metadata.maxCount,
                maxAgeMilliseconds: metadata.maxAgeMs,
                truncateBefore: metadata.truncateBefore
            )
        ) { result in
            responder.complete(result.map { _ in SetStreamMetadataResponse(header: self.header()) }.mapError { $0 })
        }
    }

    func getStreamMetadata(_ buffer: ByteBuffer) throws -> GetStreamMetadataResponse {
        let request = try decodeRequest(GetStreamMetadataRequest.self, from: buffer)
        let info = try self.store.streamInfo(stream: request.stream)
        return GetStreamMetadataResponse(
            header: self.header(),
            metadata: StreamMetadata(
                maxCount: info.metadata.maxCount,
                maxAgeMs: info.metadata.maxAgeMilliseconds,
                truncateBefore: info.metadata.truncateBefore
            ),
            lastRevision: info.lastRevision,
            deleted: info.deleted,
            hardDeleted: info.hardDeleted
        )
    }

    func deleteStream(_ buffer: ByteBuffer, _ responder: UnaryResponder) {
        let request: DeleteStreamRequest
        let expected: StoreExpectedRevision
        do {
            request = try decodeRequest(DeleteStreamRequest.self, from: buffer)
            expected = try Self.storeExpectation(request.expected)
        } catch {
            return responder.fail(StatusMapping.rpcError(error))
        }
        self.store.deleteStream(stream: request.stream, hard: request.hard, expected: expected) { result in
            responder.complete(
                result.map { position in DeleteStreamResponse(header: self.header(), position: position) }.mapError { $0 }
            )
        }
    }

    static func storeExpectation(_ expectation: StreamExpectation?) throws(RPCError) -> StoreExpectedRevision {
        switch expectation {
        case nil, .state(.any):
            return .any
        case .state(.noStream):
            return .noStream
        case .state(.streamExists):
            return .streamExists
        case .state(.unrecognized(let value)):
            throw RPCError(code: .invalidArgument, message: "unknown ExpectedState \(value)")
        case .revision(let revision):
            guard revision >= 0 else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "expected_revision \(revision) is negative; use expected_state NO_STREAM for a new stream"
                )
            }
            return .exact(revision)
        }
    }

    // MARK: Streaming methods

    /// Read: bounded batches from the store, each event one response message, paced by flow control.
    func read(_ buffer: ByteBuffer, _ context: ServerContext, _ writer: ServerStreamWriter) {
        let request: ReadRequest
        do {
            request = try decodeRequest(ReadRequest.self, from: buffer)
        } catch {
            return writer.finish(StatusMapping.rpcError(error).status)
        }
        guard request.maxCount >= 0 else {
            return writer.finish(Status(code: .invalidArgument, message: "max_count \(request.maxCount) is negative"))
        }
        let source = ReadSource(
            store: self.store,
            stream: request.stream,
            cursor: request.fromRevision,
            backwards: request.backwards,
            remaining: request.maxCount == 0 ? Int.max : Int(clamping: request.maxCount)
        )
        let pump = EventPump(service: self, writer: writer, loop: context.eventLoop, source: .read(source))
        self.start(pump, context)
    }

    /// Subscribe: a store cursor; `CaughtUp` once it first reaches the durable head; then woken by the store.
    func subscribe(_ buffer: ByteBuffer, _ context: ServerContext, _ writer: ServerStreamWriter) {
        let request: SubscribeRequest
        do {
            request = try decodeRequest(SubscribeRequest.self, from: buffer)
        } catch {
            return writer.finish(StatusMapping.rpcError(error).status)
        }
        let loop = context.eventLoop
        let pump = EventPump(service: self, writer: writer, loop: loop, source: nil)
        let wakeups = self.wakeups(for: loop)
        let subscription: StoreSubscription
        do {
            subscription = try self.store.subscribe(
                stream: request.stream,
                from: request.fromRevision,
                group: request.group,
                typePrefix: request.typePrefix
            ) {
                // Called by the store after a commit, any thread: hop to the loop where the pump lives.
                wakeups.wake(pump)
            }
        } catch {
            return writer.finish(StatusMapping.rpcError(error).status)
        }
        pump.source = .subscription(subscription)
        self.start(pump, context)
    }

    private func wakeups(for loop: any EventLoop) -> PumpWakeups {
        self.wakeupQueues.withLockedValue { queues in
            if let queue = queues[ObjectIdentifier(loop)] {
                return queue
            }
            let queue = PumpWakeups(loop: loop, interval: self.liveDeliveryInterval)
            queues[ObjectIdentifier(loop)] = queue
            return queue
        }
    }

    private func start(_ pump: EventPump, _ context: ServerContext) {
        self.activePumps.withLockedValue { $0[ObjectIdentifier(pump)] = pump }
        context.onCancel { pump.finishFromAnyThread(nil) }
        pump.run()
    }
}

/// Random (version 4) UUIDs for events appended without an id, in lowercase text form.
///
/// Foundation's `UUID()` cost ~8 µs per event here (a getrandom call and formatted printing per UUID), which made
/// an append of 100 id-less events spend most of its time naming them. This draws the 122 random bits from a
/// xoshiro256** generator seeded once from the system's random source: ids must be unique, not secret.
final class EventIDGenerator: @unchecked Sendable {
    static let shared = EventIDGenerator()

    private let lock = NIOLock()
    private var state: (UInt64, UInt64, UInt64, UInt64)

    init() {
        var seed = SystemRandomNumberGenerator()
        self.state = (seed.next(), seed.next(), seed.next(), seed.next() | 1)
    }

    private static let hex = Array("0123456789abcdef".utf8)

    @Sendable func next() -> String {
        let (high, low) = self.lock.withLock { (self.nextRandom(), self.nextRandom()) }
        // RFC 9562 §5.4: version 4 in the high nibble of byte 6, variant 0b10 in the top bits of byte 8.
        let versioned = (high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        let varianted = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var index = 0
            for (word, shifts) in [(versioned, 0..<16), (varianted, 0..<16)] {
                for nibble in shifts {
                    if index == 8 || index == 13 || index == 18 || index == 23 {
                        buffer[index] = UInt8(ascii: "-")
                        index += 1
                    }
                    buffer[index] = Self.hex[Int((word >> UInt64(60 - 4 * nibble)) & 0xF)]
                    index += 1
                }
            }
            return index
        }
    }

    /// xoshiro256** (Blackman and Vigna); lock held.
    private func nextRandom() -> UInt64 {
        let result = (self.state.1 &* 5).rotatedLeft(by: 7) &* 9
        let t = self.state.1 << 17
        self.state.2 ^= self.state.0
        self.state.3 ^= self.state.1
        self.state.1 ^= self.state.2
        self.state.0 ^= self.state.3
        self.state.2 ^= t
        self.state.3 = self.state.3.rotatedLeft(by: 45)
        return result
    }
}

extension UInt64 {
    fileprivate func rotatedLeft(by count: UInt64) -> UInt64 {
        (self << count) | (self >> (64 - count))
    }
}

/// A Read call's cursor.
struct ReadSource {
    let store: KVStore
    let stream: String
    var cursor: Int64
    let backwards: Bool
    var remaining: Int
}

/// Moves events from a store cursor (a Read or a subscription) to a stream writer, on one event loop, never
/// holding more than the high-water mark of encoded bytes in the writer's queue.
final class EventPump: @unchecked Sendable {
    enum Source {
        case read(ReadSource)
        case subscription(StoreSubscription)
    }

    // Confined to `loop`: every method runs there, so no lock.
    private let service: EventStreamService
    private let writer: ServerStreamWriter
    private let loop: any EventLoop
    var source: Source?
    private var waitingForDrain = false
    private var finished = false

    init(service: EventStreamService, writer: ServerStreamWriter, loop: any EventLoop, source: Source?) {
        self.service = service
        self.writer = writer
        self.loop = loop
        self.source = source
    }

    /// Ends the call from any thread: with `status` sent to the client, or silently (nil) when the call is
    /// already gone (cancelled by the client or the deadline).
    func finishFromAnyThread(_ status: Status?) {
        self.loop.execute {
            guard !self.finished else {
                return
            }
            if let status {
                self.finish(status)
            } else {
                self.stop()
            }
        }
    }

    func run() {
        self.loop.preconditionInEventLoop()
        guard !self.finished, !self.waitingForDrain else {
            return
        }
        while self.writer.queuedBytes < EventStreamService.queueHighWaterBytes {
            let more: Bool
            switch self.source {
            case .read(var read):
                more = self.pull(&read)
                if !self.finished {
                    self.source = .read(read)  // the advanced cursor
                }
            case .subscription(let subscription):
                more = self.pull(subscription)
            case nil:
                return
            }
            if !more || self.finished {
                return
            }
        }
        self.waitingForDrain = true
        self.writer.whenQueued(atMost: EventStreamService.queueLowWaterBytes) {
            self.loop.execute {
                self.waitingForDrain = false
                self.run()
            }
        }
    }

    /// One Read batch; false when the call is over.
    private func pull(_ read: inout ReadSource) -> Bool {
        let batch: StoreReadBatch
        do {
            batch = try read.store.read(
                stream: read.stream,
                from: read.cursor,
                backwards: read.backwards,
                maxCount: min(read.remaining, EventStreamService.eventsPerBatch),
                maxBytes: EventStreamService.bytesPerBatch
            )
        } catch {
            self.finish(StatusMapping.rpcError(error).status)
            return false
        }
        guard self.writer.send(contentsOf: batch.events.map { self.service.encoded.message(for: $0) }) else {
            self.stop()
            return false
        }
        read.remaining -= batch.events.count
        guard let next = batch.next, read.remaining > 0, !batch.events.isEmpty else {
            self.finish(.ok)
            return false
        }
        read.cursor = next
        return true
    }

    /// One subscription batch; false when there is nothing more now (the store calls back) or the call is over.
    private func pull(_ subscription: StoreSubscription) -> Bool {
        let batch = subscription.poll(
            maxEvents: EventStreamService.eventsPerBatch,
            maxBytes: EventStreamService.bytesPerBatch
        )
        guard batch.events.isEmpty || self.writer.send(self.service.framedBatches.framed(batch.events, self.service.encoded)) else {
            self.stop()
            return false
        }
        if batch.caughtUp {
            guard self.writer.send(SubscribeResponse(content: .caughtUp(CaughtUp(position: batch.headPosition))).wireBytes())
            else {
                self.stop()
                return false
            }
        }
        if let ended = batch.ended {
            self.finish(StatusMapping.rpcError(ended).status)
            return false
        }
        return !batch.events.isEmpty
    }

    private func finish(_ status: Status) {
        self.stop()
        self.writer.finish(status)
    }

    private func stop() {
        self.finished = true
        if case .subscription(let subscription) = self.source {
            subscription.cancel()
        }
        self.source = nil
        self.service.activePumps.withLockedValue { _ = $0.removeValue(forKey: ObjectIdentifier(self)) }
    }
}

/// Subscription wake-ups bound for one event loop, run there in one task, at most once per `interval`.
///
/// One commit wakes every subscription it concerns; with 100 subscribers a loop task each (a lock, often an
/// eventfd write) per commit was a visible share of the node's CPU. Here only the wake-up that finds the queue
/// empty schedules a task, which runs every pump queued by then.
///
/// Moderation: a round that follows the previous one by less than `interval` waits for the rest of it, so commits
/// arriving more often than that reach each subscriber in one write instead of one write each. Every round costs
/// one `write(2)` per subscriber connection (on loopback, the receiver's TCP processing too), which at 100
/// subscribers and a commit per millisecond was the node's main cost. An idle loop runs a wake-up at once: the
/// delay only appears when rounds would otherwise come faster than one per `interval`, and never exceeds it.
final class PumpWakeups: @unchecked Sendable {
    /// What a wake-up runs: an `EventPump` (a protocol so the moderation is testable on its own).
    protocol Target: AnyObject {
        func run()
    }

    private let loop: any EventLoop
    private let interval: TimeAmount
    private let now: @Sendable () -> NIODeadline
    private let lock = NIOLock()
    /// Guarded by `lock`.
    private var pending: [any Target] = []
    /// Loop-only: the targets being run; swapped with `pending` so both keep their capacity.
    private var running: [any Target] = []
    /// Loop-only: when the last round started; nil before the first.
    private var lastRound: NIODeadline?

    /// - Parameter now: the clock (the loop's own in tests on an `EmbeddedEventLoop`).
    init(loop: any EventLoop, interval: TimeAmount, now: @escaping @Sendable () -> NIODeadline = { .now() }) {
        self.loop = loop
        self.interval = interval
        self.now = now
    }

    /// Runs `target` on the loop soon; thread-safe.
    func wake(_ target: any Target) {
        let first = self.lock.withLock {
            self.pending.append(target)
            return self.pending.count == 1
        }
        if first {
            self.loop.execute { self.scheduleRound() }
        }
    }

    private func scheduleRound() {
        guard let last = self.lastRound, self.interval.nanoseconds > 0, last + self.interval > self.now() else {
            return self.runPending()
        }
        self.loop.scheduleTask(deadline: last + self.interval) { self.runPending() }
    }

    private func runPending() {
        self.lastRound = self.now()
        self.lock.withLock {
            swap(&self.pending, &self.running)
        }
        for target in self.running {
            target.run()
        }
        self.running.removeAll(keepingCapacity: true)
    }
}

extension EventPump: PumpWakeups.Target {}

/// Encoded response messages of recent events, shared by every Read and Subscribe call.
///
/// `ReadResponse{event}` and `SubscribeResponse{event}` are the same bytes (field 1 holds the RecordedEvent in
/// both), and an event never changes once written, so one encoding serves every call that sends it: with 100
/// subscribers on one stream, encoding per subscriber was most of the node's CPU (protobuf-c packing, arena
/// copies, retains). Direct-mapped by position; bounded to `slots` entries of at most `maxCachedBytes` each.
final class EncodedEventCache: @unchecked Sendable {
    /// Entries kept. Covers the events a live fan-out sends within a few milliseconds of each other.
    static let slots = 4096
    /// Larger encodings are not kept, so the cache holds at most slots × this (16 MiB).
    static let maxCachedBytes = 4096

    private let lock = NIOLock()
    private var positions = [Int64](repeating: -1, count: EncodedEventCache.slots)
    private var messages = [[UInt8]](repeating: [], count: EncodedEventCache.slots)

    /// The encoded `ReadResponse` / `SubscribeResponse` carrying `event`.
    func message(for event: StoreRecordedEvent) -> [UInt8] {
        let slot = Int(UInt64(bitPattern: event.position) % UInt64(Self.slots))
        let cached: [UInt8]? = self.lock.withLock {
            self.positions[slot] == event.position ? self.messages[slot] : nil
        }
        if let cached {
            return cached
        }
        let bytes = ReadResponse(event: RecordedEvent(event)).wireBytes()
        if bytes.count <= Self.maxCachedBytes {
            self.lock.withLock {
                self.positions[slot] = event.position
                self.messages[slot] = bytes
            }
        }
        return bytes
    }
}

/// Recent subscription batches, gRPC-framed, shared by every subscriber whose batch holds the same events.
///
/// Subscribers that follow the same stream poll the same events after each commit, so their batches are equal: one
/// framed buffer serves them all (a retain each) instead of a lookup per event and a framing copy per subscriber,
/// which with 100 subscribers was a fifth of the node's CPU. A batch is identified by its events' positions
/// (positions are unique and an event never changes), compared in full on a hit. Direct-mapped; bounded to
/// `slots` entries of at most `maxCachedBytes` each.
final class FramedBatchCache: @unchecked Sendable {
    static let slots = 64
    /// Larger batches are framed per call and not kept, so the cache holds at most slots × this (4 MiB).
    static let maxCachedBytes = 64 << 10

    private let lock = NIOLock()
    private var keys = [[Int64]](repeating: [], count: FramedBatchCache.slots)
    private var batches = [FramedMessages?](repeating: nil, count: FramedBatchCache.slots)

    /// `events` framed as `SubscribeResponse` messages (non-empty `events`).
    func framed(_ events: [StoreRecordedEvent], _ encoded: EncodedEventCache) -> FramedMessages {
        var hasher = Hasher()
        hasher.combine(events.count)
        hasher.combine(events[0].position)
        hasher.combine(events[events.count - 1].position)
        let slot = Int(UInt(bitPattern: hasher.finalize()) % UInt(Self.slots))
        let cached: FramedMessages? = self.lock.withLock {
            let key = self.keys[slot]
            guard key.count == events.count else { return nil }
            for index in key.indices where key[index] != events[index].position {
                return nil
            }
            return self.batches[slot]
        }
        if let cached {
            return cached
        }
        let framed = FramedMessages(events.map { encoded.message(for: $0) })
        if framed.buffer.readableBytes <= Self.maxCachedBytes {
            let key = events.map(\.position)
            self.lock.withLock {
                self.keys[slot] = key
                self.batches[slot] = framed
            }
        }
        return framed
    }
}

extension RecordedEvent {
    init(_ event: StoreRecordedEvent) {
        self.init(
            stream: event.stream,
            revision: event.revision,
            position: event.position,
            id: event.id,
            type: event.type,
            data: event.data,
            metadata: event.metadata,
            contentType: event.contentType,
            recordedAtUnixMs: event.recordedAtMilliseconds
        )
    }
}
