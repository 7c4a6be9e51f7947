import Logging
import MicroStateRPC
import NIOCore

/// Creates spans: samples, stamps times from the injected clock, draws ids from the injected generator, and
/// hands finished spans to the processor.
public final class Tracer: Sendable {
    /// Events kept per span; later ones are dropped (OTel's default span event count limit).
    public static let maxEventsPerSpan = 128

    public let sampler: Sampler
    public let processor: any SpanProcessor
    public let clock: any TracingClock
    public let ids: IDGenerator
    let logger: Logger

    /// Creates a tracer.
    public init(
        sampler: Sampler, processor: any SpanProcessor, clock: any TracingClock = SystemTracingClock(),
        ids: IDGenerator = .system, logger: Logger = Logger(label: "microstatedb.tracing")
    ) {
        self.sampler = sampler
        self.processor = processor
        self.clock = clock
        self.ids = ids
        self.logger = logger
    }

    /// The SERVER span for an inbound call: continues the caller's trace (W3C, else B3, see `TracePropagation`) or
    /// starts one, and samples per `sampler`.
    public func startServerSpan(_ head: ServerCallHead) -> ServerSpan {
        let extracted = TracePropagation.extract(from: head.metadata)
        let traceID = extracted.parent?.traceID ?? self.ids.newTraceID()
        let sampled = extracted.debug || self.sampler.shouldSample(traceID: traceID, parentSampled: extracted.sampled)
        var flags = extracted.parent?.flags.known ?? TraceFlags(rawValue: 0)
        if extracted.parent == nil {
            // Our ids come from the CSPRNG: W3C Level 2's random-trace-id flag holds.
            flags.rawValue |= TraceFlags.randomTraceID.rawValue
        }
        flags.isSampled = sampled
        let context = TraceContext(
            traceID: traceID, spanID: self.ids.newSpanID(), flags: flags,
            traceState: extracted.parent?.traceState ?? TraceState()
        )
        let requestID = head.metadata.first(TracePropagation.requestIDHeader)
        // An unsampled span is never exported: it carries the context for propagation and nothing else, so most
        // calls (1 % sampling) skip the clock, the name and the attributes.
        let now = sampled ? self.clock.nowUnixNanos() : 0
        let (name, service, method) = sampled ? RPCSemanticConventions.split(path: head.path) : ("", "", "")
        var data = SpanData(
            context: context, parentSpanID: extracted.parent?.spanID, parentIsRemote: extracted.parent != nil,
            name: name, kind: .server, startUnixNanos: now, endUnixNanos: now
        )
        if sampled {
            data.attributes.reserveCapacity(10)
            data.attributes.append(SpanAttribute(RPCSemanticConventions.rpcSystem, .string("grpc")))
            data.attributes.append(SpanAttribute(RPCSemanticConventions.rpcService, .string(String(service))))
            data.attributes.append(SpanAttribute(RPCSemanticConventions.rpcMethod, .string(String(method))))
            if let local = head.localAddress {
                if let ip = local.ipAddress {
                    data.attributes.append(SpanAttribute(RPCSemanticConventions.serverAddress, .string(ip)))
                }
                if let port = local.port {
                    data.attributes.append(SpanAttribute(RPCSemanticConventions.serverPort, .int(Int64(port))))
                }
            }
            if let remote = head.remoteAddress {
                if let ip = remote.ipAddress {
                    data.attributes.append(SpanAttribute(RPCSemanticConventions.networkPeerAddress, .string(ip)))
                }
                if let port = remote.port {
                    data.attributes.append(SpanAttribute(RPCSemanticConventions.networkPeerPort, .int(Int64(port))))
                }
            }
            if let requestID {
                data.attributes.append(
                    SpanAttribute(RPCSemanticConventions.requestIDAttribute, .stringArray([requestID]))
                )
            }
        }
        let span = Span(tracer: self, data: data, parentSpanID: extracted.parent?.spanID, isRecording: sampled)
        return ServerSpan(tracer: self, span: span, extracted: extracted, requestID: requestID, startUnixNanos: now)
    }

    /// Starts a span under a local `parent`: same trace, sampled iff the parent is (ParentBased, local parent).
    public func startSpan(_ name: String, kind: SpanKind, parent: Span, attributes: [SpanAttribute] = []) -> Span {
        let now = self.clock.nowUnixNanos()
        var context = parent.context
        context.spanID = self.ids.newSpanID()
        let data = SpanData(
            context: context, parentSpanID: parent.context.spanID, parentIsRemote: false, name: name, kind: kind,
            startUnixNanos: now, endUnixNanos: now, attributes: parent.isRecording ? attributes : []
        )
        return Span(tracer: self, data: data, parentSpanID: parent.context.spanID, isRecording: parent.isRecording)
    }

    /// Starts a CLIENT span for an outbound call to `path` under `parent`, with the RPC attributes; end it with
    /// `Span.end(rpcStatus:)` and inject `span.context` into the call (`TracePropagation.inject`).
    public func startClientSpan(path: String, parent: Span, serverAddress: String?, serverPort: Int?) -> Span {
        let (name, service, method) = RPCSemanticConventions.split(path: path)
        var attributes = [
            SpanAttribute(RPCSemanticConventions.rpcSystem, .string("grpc")),
            SpanAttribute(RPCSemanticConventions.rpcService, .string(String(service))),
            SpanAttribute(RPCSemanticConventions.rpcMethod, .string(String(method))),
        ]
        if let serverAddress {
            attributes.append(SpanAttribute(RPCSemanticConventions.serverAddress, .string(serverAddress)))
        }
        if let serverPort {
            attributes.append(SpanAttribute(RPCSemanticConventions.serverPort, .int(Int64(serverPort))))
        }
        return self.startSpan(name, kind: .client, parent: parent, attributes: attributes)
    }
}

/// The ``ServerInterceptor`` that gives every call a SERVER span (recording or not, so handlers can always
/// propagate the context). Never rejects.
public struct TracingInterceptor: ServerInterceptor {
    public let tracer: Tracer

    /// Creates the interceptor.
    public init(tracer: Tracer) {
        self.tracer = tracer
    }

    public func intercept(_ head: ServerCallHead) -> ServerAdmission {
        .admit(self.tracer.startServerSpan(head))
    }
}
