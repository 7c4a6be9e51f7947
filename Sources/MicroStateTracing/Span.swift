import Logging
import MicroStateRPC
import NIOConcurrencyHelpers
import NIOCore

/// Where finished spans go (the batch processor in production, a collector of spans in tests).
public protocol SpanProcessor: Sendable {
    /// Takes a finished, sampled span. Must not block: it is called on event loops.
    func onEnd(_ span: SpanData)
}

/// A span in progress: a child of a server span (a WAL fsync, an outbound call). Thread-safe; `end` is idempotent.
///
/// A span that is not sampled records nothing and costs only its context (for propagation).
public final class Span: Sendable {
    /// The span's own context, to inject into outbound calls.
    public let context: TraceContext
    /// The parent span.
    public let parentSpanID: SpanID?
    /// Whether the span will be exported.
    public let isRecording: Bool
    private let tracer: Tracer
    /// Only a recording span has state: an unsampled one (most of them) costs one allocation, not two.
    private let state: NIOLockedValueBox<State>?

    private struct State {
        var data: SpanData?
    }

    init(tracer: Tracer, data: SpanData, parentSpanID: SpanID?, isRecording: Bool) {
        self.tracer = tracer
        self.context = data.context
        self.parentSpanID = parentSpanID
        self.isRecording = isRecording
        self.state = isRecording ? NIOLockedValueBox(State(data: data)) : nil
    }

    /// Adds or replaces an attribute (no-op when not recording or ended).
    public func setAttribute(_ key: String, _ value: SpanAttributeValue) {
        guard self.isRecording else { return }
        self.state?.withLockedValue { state in
            guard state.data != nil else { return }
            state.data!.attributes.removeAll { $0.key == key }
            state.data!.attributes.append(SpanAttribute(key, value))
        }
    }

    /// Records an event now.
    public func addEvent(_ name: String, attributes: [SpanAttribute] = []) {
        guard self.isRecording else { return }
        let now = self.tracer.clock.nowUnixNanos()
        self.state?.withLockedValue { state in
            guard state.data != nil, state.data!.events.count < Tracer.maxEventsPerSpan else { return }
            state.data!.events.append(SpanEvent(name: name, timeUnixNanos: now, attributes: attributes))
        }
    }

    /// Ends the span now with `status`; later calls do nothing.
    public func end(status: SpanStatus = .unset) {
        self.end(status: status, atUnixNanos: self.tracer.clock.nowUnixNanos())
    }

    /// Ends an outbound-call (CLIENT) span with the call's gRPC status: `rpc.grpc.status_code`, and status ERROR
    /// for every code but OK (semconv, client side).
    public func end(rpcStatus: Status) {
        self.setAttribute(RPCSemanticConventions.rpcGRPCStatusCode, .int(Int64(rpcStatus.code.rawValue)))
        let status = RPCSemanticConventions.status(for: rpcStatus, kind: .client)
        if case .error = status {
            self.setAttribute(RPCSemanticConventions.errorType, .string(rpcStatus.code.description))
        }
        self.end(status: status)
    }

    func end(status: SpanStatus, atUnixNanos end: UInt64) {
        guard self.isRecording else { return }
        let finished: SpanData? = self.state?.withLockedValue { state in
            guard var data = state.data else { return nil }
            state.data = nil
            data.endUnixNanos = max(end, data.startUnixNanos)
            data.status = status
            return data
        }
        if let finished {
            self.tracer.processor.onEnd(finished)
        }
    }
}

/// The SERVER span of one inbound call, attached to the call as its observer by ``TracingInterceptor``.
///
/// A handler finds it with `context.observers.lazy.compactMap { $0 as? ServerSpan }.first`, to start child spans
/// (``startChild(_:kind:)``), to add attributes, or to inject its context into outbound calls
/// (``inject(into:)``).
public final class ServerSpan: ServerCallObserver {
    /// The server span itself (ended by the RPC layer when the call finishes).
    public let span: Span
    /// What the caller sent (its span is our parent; B3 style is answered in kind).
    public let extracted: TracePropagation.Extracted
    /// The caller's `x-request-id`, if any.
    public let requestID: String?
    private let startUnixNanos: UInt64
    private let tracer: Tracer

    init(
        tracer: Tracer, span: Span, extracted: TracePropagation.Extracted, requestID: String?, startUnixNanos: UInt64
    ) {
        self.tracer = tracer
        self.span = span
        self.extracted = extracted
        self.requestID = requestID
        self.startUnixNanos = startUnixNanos
    }

    /// The span's context.
    public var context: TraceContext { self.span.context }

    /// Logger metadata naming the trace: `trace_id`, `span_id` and, when the caller sent one, `request_id`.
    public var logMetadata: Logger.Metadata {
        var metadata: Logger.Metadata = [
            "trace_id": .string(self.context.traceID.hex), "span_id": .string(self.context.spanID.hex),
        ]
        if let requestID = self.requestID {
            metadata["request_id"] = .string(requestID)
        }
        return metadata
    }

    /// Starts a child span (e.g. `wal.fsync`, INTERNAL) of this call's span; it is sampled when this one is.
    public func startChild(_ name: String, kind: SpanKind = .internal, attributes: [SpanAttribute] = []) -> Span {
        self.tracer.startSpan(name, kind: kind, parent: self.span, attributes: attributes)
    }

    /// Writes this span's context into an outbound call's metadata: `traceparent`/`tracestate`, plus B3 in the
    /// caller's style when the caller used B3; `x-request-id` is passed on.
    public func inject(into metadata: inout Metadata) {
        TracePropagation.inject(
            self.context, parent: self.span.parentSpanID, b3Style: self.extracted.b3Style,
            debug: self.extracted.debug, traceID64Bit: self.extracted.b3TraceID64Bit, into: &metadata
        )
        if let requestID = self.requestID {
            metadata.add(TracePropagation.requestIDHeader, requestID)
        }
    }

    public func callFinished(status: Status, duration: TimeAmount) {
        guard self.span.isRecording else { return }
        self.span.setAttribute(RPCSemanticConventions.rpcGRPCStatusCode, .int(Int64(status.code.rawValue)))
        let spanStatus = RPCSemanticConventions.status(for: status, kind: .server)
        if case .error = spanStatus {
            self.span.setAttribute(RPCSemanticConventions.errorType, .string(status.code.description))
        }
        let end = self.startUnixNanos &+ UInt64(max(0, duration.nanoseconds))
        let name = status.code == .ok ? "" : self.span.name
        self.span.end(status: spanStatus, atUnixNanos: end)
        if status.code != .ok {
            self.tracer.logger.debug("rpc failed", metadata: self.logMetadata.merging(
                ["code": .string(status.code.description), "span": .string(name)]
            ) { first, _ in first })
        }
    }
}

extension Span {
    /// The span's name.
    var name: String {
        self.state?.withLockedValue { $0.data?.name ?? "" } ?? ""
    }
}

extension ServerSpan: ServerCallStepRecorder {
    /// A child span (INTERNAL) for a step of the call, when this span is sampled.
    public func startStep(_ name: String) -> (any ServerCallStep)? {
        self.span.isRecording ? self.startChild(name) : nil
    }
}

extension Span: ServerCallStep {
    public func end(error: String?) {
        self.end(status: error.map { .error($0) } ?? .unset)
    }
}
