import Atomics
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Sends a batch of spans somewhere. One call at a time (the processor guarantees it).
public protocol SpanExporter: Sendable {
    /// Exports `batch`; the future succeeds when the receiver accepted it (possibly partially: return how many
    /// spans it rejected) and fails otherwise. Created on `eventLoop`.
    func export(_ batch: [SpanData], on eventLoop: any EventLoop) -> EventLoopFuture<ExportResult>
}

/// What an export achieved.
public struct ExportResult: Sendable, Hashable {
    /// Spans the receiver rejected (OTLP `partial_success.rejected_spans`).
    public var rejectedSpans: Int

    /// Creates a result.
    public init(rejectedSpans: Int = 0) {
        self.rejectedSpans = rejectedSpans
    }
}

/// The OpenTelemetry batch span processor (trace/sdk.md, "Batching processor"): finished spans go into a bounded
/// queue; a batch is exported every `scheduleDelay`, or as soon as `maxExportBatchSize` spans are waiting, with at
/// most one export in flight.
///
/// `onEnd` never waits for I/O: it takes a lock for a few instructions and returns. When the queue is full the span
/// is dropped and counted. A failed or timed-out export loses its batch (counted as dropped, and as one export
/// failure); OTLP retries belong to the exporter and are not done here.
///
/// - Important: call `shutdown()` once before the event loop stops; it exports what is queued (bounded by the
///   queue size and the export timeout).
public final class BatchSpanProcessor: SpanProcessor, Sendable {
    /// The processor's limits; defaults are the OpenTelemetry SDK defaults (`OTEL_BSP_*`).
    public struct Configuration: Sendable, Hashable {
        /// Spans waiting at most (`OTEL_BSP_MAX_QUEUE_SIZE`, default 2048); beyond it new spans are dropped.
        public var maxQueueSize = 2048
        /// Spans per export at most (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, default 512).
        public var maxExportBatchSize = 512
        /// Time between exports (`OTEL_BSP_SCHEDULE_DELAY`, default 5000 ms).
        public var scheduleDelay: TimeAmount = .milliseconds(5000)
        /// How long one export may take before it counts as failed (`OTEL_BSP_EXPORT_TIMEOUT`, default 30000 ms).
        public var exportTimeout: TimeAmount = .milliseconds(30000)

        public init() {}
    }

    /// Counters for `/metrics`.
    public struct Counters: Sendable, Hashable {
        /// Spans the receiver accepted.
        public var exported: Int
        /// Spans lost: queue full, failed or timed-out exports, spans the receiver rejected.
        public var dropped: Int
        /// Exports that failed or timed out.
        public var exportFailures: Int

        public init(exported: Int, dropped: Int, exportFailures: Int) {
            self.exported = exported
            self.dropped = dropped
            self.exportFailures = exportFailures
        }
    }

    public let configuration: Configuration
    private let eventLoop: any EventLoop
    private let exporter: any SpanExporter
    private let logger: Logger
    private let state: NIOLockedValueBox<State>
    private let exported = ManagedAtomic<Int>(0)
    private let dropped = ManagedAtomic<Int>(0)
    private let failures = ManagedAtomic<Int>(0)

    private struct State {
        var queue: [SpanData] = []
        /// An export is running (or its timeout has not fired yet).
        var exporting = false
        /// Id of the running export, so a late answer after the timeout is ignored.
        var exportID = 0
        /// A full batch has already asked the loop for an export.
        var wakeupPending = false
        var timer: RepeatedTask?
        var isShutdown = false
    }

    /// Creates the processor and starts its timer on `eventLoop`.
    public init(configuration: Configuration, exporter: any SpanExporter, eventLoop: any EventLoop, logger: Logger) {
        precondition(configuration.maxQueueSize > 0 && configuration.maxExportBatchSize > 0)
        var configuration = configuration
        // The spec: the batch size must not exceed the queue size.
        configuration.maxExportBatchSize = min(configuration.maxExportBatchSize, configuration.maxQueueSize)
        self.configuration = configuration
        self.exporter = exporter
        self.eventLoop = eventLoop
        self.logger = logger
        var initial = State()
        initial.queue.reserveCapacity(configuration.maxQueueSize)
        self.state = NIOLockedValueBox(initial)
        let timer = eventLoop.scheduleRepeatedTask(
            initialDelay: configuration.scheduleDelay, delay: configuration.scheduleDelay
        ) { [weak self] _ in
            self?.exportIfIdle()
        }
        self.state.withLockedValue { $0.timer = timer }
    }

    /// The counters so far.
    public var counters: Counters {
        Counters(
            exported: self.exported.load(ordering: .relaxed), dropped: self.dropped.load(ordering: .relaxed),
            exportFailures: self.failures.load(ordering: .relaxed)
        )
    }

    /// Spans waiting for export.
    public var queuedCount: Int {
        self.state.withLockedValue { $0.queue.count }
    }

    public func onEnd(_ span: SpanData) {
        enum Outcome { case queued, wake, dropped }
        let outcome: Outcome = self.state.withLockedValue { state in
            guard !state.isShutdown, state.queue.count < self.configuration.maxQueueSize else {
                return .dropped
            }
            state.queue.append(span)
            guard state.queue.count >= self.configuration.maxExportBatchSize, !state.wakeupPending, !state.exporting
            else { return .queued }
            state.wakeupPending = true
            return .wake
        }
        switch outcome {
        case .queued:
            break
        case .wake:
            self.eventLoop.execute { self.exportIfIdle() }
        case .dropped:
            self.dropped.wrappingIncrement(ordering: .relaxed)
        }
    }

    /// Starts an export when none is running and spans are waiting. On the loop.
    private func exportIfIdle() {
        self.eventLoop.preconditionInEventLoop()
        let next: (batch: [SpanData], id: Int)? = self.state.withLockedValue { state in
            state.wakeupPending = false
            guard !state.exporting, !state.queue.isEmpty else { return nil }
            let count = min(state.queue.count, self.configuration.maxExportBatchSize)
            let batch = Array(state.queue.prefix(count))
            state.queue.removeFirst(count)
            state.exporting = true
            state.exportID &+= 1
            return (batch, state.exportID)
        }
        guard let (batch, id) = next else { return }
        let timeout = self.eventLoop.scheduleTask(in: self.configuration.exportTimeout) {
            self.finishExport(id: id, count: batch.count, result: .failure(ExportTimeoutError()))
        }
        self.exporter.export(batch, on: self.eventLoop).hop(to: self.eventLoop).whenComplete { result in
            timeout.cancel()
            self.finishExport(id: id, count: batch.count, result: result)
        }
    }

    private func finishExport(id: Int, count: Int, result: Result<ExportResult, any Error>) {
        let current: Bool = self.state.withLockedValue { state in
            guard state.exporting, state.exportID == id else { return false }
            state.exporting = false
            return true
        }
        guard current else { return }  // timed out earlier, or the timeout after the answer
        switch result {
        case .success(let outcome):
            let rejected = min(max(0, outcome.rejectedSpans), count)
            self.exported.wrappingIncrement(by: count - rejected, ordering: .relaxed)
            if rejected > 0 {
                self.dropped.wrappingIncrement(by: rejected, ordering: .relaxed)
                self.logger.warning("trace collector rejected spans", metadata: ["rejected": "\(rejected)"])
            }
        case .failure(let error):
            self.failures.wrappingIncrement(ordering: .relaxed)
            self.dropped.wrappingIncrement(by: count, ordering: .relaxed)
            self.logger.warning("span export failed; batch dropped", metadata: [
                "spans": "\(count)", "error": "\(error)",
            ])
        }
        // A full batch (or more) waiting: go again now rather than at the next tick.
        let more = self.state.withLockedValue { state in
            state.queue.count >= self.configuration.maxExportBatchSize || state.isShutdown && !state.queue.isEmpty
        }
        if more {
            self.exportIfIdle()
        }
    }

    /// Exports what is queued now (one batch at a time), then stops accepting spans. Completes when the queue is
    /// empty or `deadline` passes; spans still queued then are counted as dropped.
    public func shutdown(deadline: NIODeadline) -> EventLoopFuture<Void> {
        let promise = self.eventLoop.makePromise(of: Void.self)
        self.eventLoop.execute {
            let timer = self.state.withLockedValue { state -> RepeatedTask? in
                state.isShutdown = true
                defer { state.timer = nil }
                return state.timer
            }
            timer?.cancel()
            self.exportIfIdle()
            self.drain(until: deadline, promise: promise)
        }
        return promise.futureResult
    }

    private func drain(until deadline: NIODeadline, promise: EventLoopPromise<Void>) {
        let (empty, idle) = self.state.withLockedValue { ($0.queue.isEmpty, !$0.exporting) }
        if empty && idle {
            promise.succeed()
            return
        }
        if NIODeadline.now() >= deadline {
            let lost = self.state.withLockedValue { state -> Int in
                defer { state.queue.removeAll() }
                return state.queue.count
            }
            self.dropped.wrappingIncrement(by: lost, ordering: .relaxed)
            promise.succeed()
            return
        }
        if idle {
            self.exportIfIdle()
        }
        self.eventLoop.scheduleTask(in: .milliseconds(10)) { self.drain(until: deadline, promise: promise) }
    }
}

/// An export that took longer than `BatchSpanProcessor.Configuration.exportTimeout`.
public struct ExportTimeoutError: Error, Sendable, CustomStringConvertible {
    public var description: String { "span export timed out" }
}
