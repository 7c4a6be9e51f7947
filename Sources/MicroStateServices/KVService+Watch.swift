import MicroStateRPC
import MicroStateStore
import MicroStateWire
import NIOCore

extension KVService {
    /// Watch: replays from `start_revision`, then streams live events.
    ///
    /// The first response carries only a header: it tells the client the watch is registered, so a Put
    /// made after it arrives is guaranteed to be seen (etcd's "created" response plays the same role).
    /// Memory is bounded twice: the store buffers at most its per-watcher limit, and this pump stops
    /// taking events while `watchQueueHighWaterBytes` wait for the client. A watcher that falls behind
    /// past the store's buffer ends with `RESOURCE_EXHAUSTED` naming the revision to resume from.
    func watch(_ buffer: ByteBuffer, _ context: ServerContext, _ writer: ServerStreamWriter) {
        let request: WatchRequest
        do {
            request = try decodeRequest(WatchRequest.self, from: buffer)
        } catch {
            return writer.finish(StatusMapping.rpcError(error).status)
        }
        let loop = context.eventLoop
        let pump = WatchPump(service: self, writer: writer, loop: loop)
        let watcher: StoreWatcher
        do {
            watcher = try self.store.watch(
                key: request.key,
                prefix: request.prefix,
                startRevision: request.startRevision
            ) {
                // Called from the store's commit path: hop to the connection's loop, where the pump lives.
                loop.execute { pump.run() }
            }
        } catch {
            return writer.finish(StatusMapping.rpcError(error).status)
        }
        pump.attach(watcher)
        context.onCancel { pump.finishFromAnyThread(nil) }
        writer.send(WatchResponse(header: self.header()).wireBytes())
        pump.run()
    }
}

/// Moves events from a store watcher to a stream writer, on one event loop, never holding more than the
/// high-water mark of encoded bytes in the writer's queue.
final class WatchPump: @unchecked Sendable {
    // Confined to `loop`: every method runs there, so no lock.
    private let service: KVService
    private let writer: ServerStreamWriter
    private let loop: any EventLoop
    private var watcher: StoreWatcher?
    private var waitingForDrain = false
    private var finished = false

    init(service: KVService, writer: ServerStreamWriter, loop: any EventLoop) {
        self.service = service
        self.writer = writer
        self.loop = loop
    }

    func attach(_ watcher: StoreWatcher) {
        self.loop.preconditionInEventLoop()
        self.watcher = watcher
        self.service.activeWatches.withLockedValue { $0[ObjectIdentifier(self)] = self }
    }

    /// Ends the watch from any thread: with `status` sent to the client, or silently (nil) when the call is
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
        guard !self.finished, !self.waitingForDrain, let watcher = self.watcher else {
            return
        }
        while self.writer.queuedBytes < KVService.watchQueueHighWaterBytes {
            switch watcher.poll(maxEvents: KVService.maxEventsPerWatchResponse) {
            case .events(let events):
                if events.isEmpty {
                    return
                }
                let response = WatchResponse(header: self.service.header(), events: events.map(WatchEvent.init))
                if !self.writer.send(response.wireBytes()) {
                    self.stop()
                    return
                }
            case .compacted(let compactRevision):
                let response = WatchResponse(
                    header: self.service.header(),
                    compacted: true,
                    compactRevision: compactRevision
                )
                self.writer.send(response.wireBytes())
                self.finish(.ok)
                return
            case .overflowed(let resumeRevision):
                self.finish(
                    Status(
                        code: .resourceExhausted,
                        message: "watcher fell behind by more than the server's per-watch buffer; "
                            + "resume with start_revision=\(resumeRevision)"
                    )
                )
                return
            }
        }
        self.waitingForDrain = true
        self.writer.whenQueued(atMost: KVService.watchQueueLowWaterBytes) {
            self.loop.execute {
                self.waitingForDrain = false
                self.run()
            }
        }
    }

    private func finish(_ status: Status) {
        self.stop()
        self.writer.finish(status)
    }

    private func stop() {
        self.finished = true
        self.watcher?.cancel()
        self.watcher = nil
        self.service.activeWatches.withLockedValue { _ = $0.removeValue(forKey: ObjectIdentifier(self)) }
    }
}

extension WatchEvent {
    init(_ event: StoreWatchEvent) {
        self.init(type: event.type == .put ? .put : .delete, kv: KeyValue(event.kv))
    }
}
