import MicroStateRPC
import MicroStateTracing
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// Collects finished spans.
final class CollectingProcessor: SpanProcessor {
    let spans = NIOLockedValueBox<[SpanData]>([])
    func onEnd(_ span: SpanData) { self.spans.withLockedValue { $0.append(span) } }
    var all: [SpanData] { self.spans.withLockedValue { $0 } }
}

/// A clock the test moves.
final class ManualClock: TracingClock {
    let now = NIOLockedValueBox<UInt64>(1_000)
    func nowUnixNanos() -> UInt64 { self.now.withLockedValue { $0 } }
    func advance(_ nanos: UInt64) { self.now.withLockedValue { $0 += nanos } }
}

/// Deterministic ids: 1, 2, 3, ...
func counterIDs() -> IDGenerator {
    let next = NIOLockedValueBox<UInt64>(0)
    return IDGenerator { next.withLockedValue { $0 += 1; return $0 } }
}

@Suite("Tracer: server spans, child spans, propagation")
struct TracerTests {
    private func head(_ metadata: Metadata, path: String = "/microstate.v1.KV/Put") throws -> ServerCallHead {
        ServerCallHead(
            path: path, metadata: metadata, deadline: nil,
            remoteAddress: try SocketAddress(ipAddress: "10.0.0.2", port: 5555),
            localAddress: try SocketAddress(ipAddress: "10.0.0.1", port: 50051), started: .now()
        )
    }

    @Test("A server span continues the W3C trace with semconv name, kind, attributes and times from the clock")
    func serverSpan() throws {
        let processor = CollectingProcessor()
        let clock = ManualClock()
        let tracer = Tracer(sampler: .parentBasedAlwaysOn, processor: processor, clock: clock, ids: counterIDs())
        var metadata = Metadata()
        metadata.add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        metadata.add("tracestate", "v=1")
        metadata.add("x-request-id", "req-1")
        let admission = TracingInterceptor(tracer: tracer).intercept(try self.head(metadata))
        guard case .admit(let observer?) = admission, let server = observer as? ServerSpan else {
            Issue.record("not admitted with a ServerSpan")
            return
        }
        #expect(server.logMetadata["request_id"] == "req-1")
        #expect(server.logMetadata["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736")
        server.callFinished(status: .ok, duration: .microseconds(250))
        server.callFinished(status: .ok, duration: .microseconds(999))  // a second call is ignored
        let spans = processor.all
        #expect(spans.count == 1)
        let span = try #require(spans.first)
        #expect(span.name == "microstate.v1.KV/Put")
        #expect(span.kind == .server)
        #expect(span.context.traceID.hex == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(span.context.spanID == SpanID(1))
        #expect(span.parentSpanID?.hex == "00f067aa0ba902b7" && span.parentIsRemote)
        #expect(span.context.traceState.header == "v=1")
        #expect(span.startUnixNanos == 1_000 && span.endUnixNanos == 251_000)
        #expect(span.status == .unset)
        let attributes = Dictionary(uniqueKeysWithValues: span.attributes.map { ($0.key, $0.value) })
        #expect(attributes["rpc.system"] == .string("grpc"))
        #expect(attributes["rpc.service"] == .string("microstate.v1.KV"))
        #expect(attributes["rpc.method"] == .string("Put"))
        #expect(attributes["rpc.grpc.status_code"] == .int(0))
        #expect(attributes["server.address"] == .string("10.0.0.1"))
        #expect(attributes["server.port"] == .int(50051))
        #expect(attributes["network.peer.address"] == .string("10.0.0.2"))
        #expect(attributes["network.peer.port"] == .int(5555))
        #expect(attributes["rpc.grpc.request.metadata.x-request-id"] == .stringArray(["req-1"]))
    }

    @Test("Server span status follows the semconv table: ERROR only for server-side codes")
    func serverStatus() throws {
        let cases: [(Status.Code, Bool)] = [
            (.ok, false), (.cancelled, false), (.invalidArgument, false), (.notFound, false), (.alreadyExists, false),
            (.permissionDenied, false), (.resourceExhausted, false), (.failedPrecondition, false), (.aborted, false),
            (.outOfRange, false), (.unauthenticated, false),
            (.unknown, true), (.deadlineExceeded, true), (.unimplemented, true), (.internalError, true),
            (.unavailable, true), (.dataLoss, true),
        ]
        for (code, isError) in cases {
            let processor = CollectingProcessor()
            let tracer = Tracer(sampler: .alwaysOn, processor: processor, ids: counterIDs())
            let server = tracer.startServerSpan(try self.head(Metadata()))
            server.callFinished(status: Status(code: code, message: "m"), duration: .zero)
            let span = try #require(processor.all.first)
            if isError {
                #expect(span.status == .error("m"), "\(code)")
                #expect(span.attributes.contains(SpanAttribute("error.type", .string(code.description))), "\(code)")
            } else {
                #expect(span.status == .unset, "\(code)")
            }
        }
    }

    @Test("A call without context starts a root trace; an unsampled one records nothing but still propagates")
    func rootAndUnsampled() throws {
        let processor = CollectingProcessor()
        let tracer = Tracer(sampler: .alwaysOff, processor: processor, ids: counterIDs())
        let server = tracer.startServerSpan(try self.head(Metadata()))
        #expect(server.context.traceID == TraceID(high: 1, low: 2))
        #expect(!server.span.isRecording)
        #expect(server.context.flags.rawValue == 0x02)  // random-trace-id, not sampled
        let child = server.startChild("wal.fsync")
        child.end()
        server.callFinished(status: .ok, duration: .zero)
        #expect(processor.all.isEmpty)
        var outbound = Metadata()
        server.inject(into: &outbound)
        #expect(outbound.first("traceparent") == "00-00000000000000010000000000000002-0000000000000003-02")
    }

    @Test("Child spans share the trace, name the server span as parent, and take times from the clock")
    func childSpans() throws {
        let processor = CollectingProcessor()
        let clock = ManualClock()
        let tracer = Tracer(sampler: .alwaysOn, processor: processor, clock: clock, ids: counterIDs())
        let server = tracer.startServerSpan(try self.head(Metadata()))
        let child = server.startChild("wal.fsync", attributes: [SpanAttribute("bytes", .int(42))])
        clock.advance(500)
        child.addEvent("flushed")
        clock.advance(500)
        child.end()
        child.end()
        let client = tracer.startClientSpan(
            path: "/microstate.v1.KV/Get", parent: server.span, serverAddress: "peer", serverPort: 50052
        )
        client.end(rpcStatus: Status(code: .notFound))
        let spans = processor.all
        #expect(spans.count == 2)
        #expect(spans[0].name == "wal.fsync" && spans[0].kind == .internal)
        #expect(spans[0].context.traceID == server.context.traceID)
        #expect(spans[0].parentSpanID == server.context.spanID && !spans[0].parentIsRemote)
        #expect(spans[0].startUnixNanos == 1_000 && spans[0].endUnixNanos == 2_000)
        #expect(spans[0].events.map(\.name) == ["flushed"] && spans[0].events[0].timeUnixNanos == 1_500)
        #expect(spans[1].kind == .client && spans[1].name == "microstate.v1.KV/Get")
        #expect(spans[1].status == .error("NOT_FOUND"))  // client spans: every non-OK code is an error
    }

    @Test("Outbound injection answers a B3 caller in B3 and passes x-request-id on")
    func injectB3() throws {
        let tracer = Tracer(sampler: .alwaysOn, processor: CollectingProcessor(), ids: counterIDs())
        var metadata = Metadata()
        metadata.add("x-b3-traceid", "64fe8b2a57d3eff7")
        metadata.add("x-b3-spanid", "e457b5a2e4d86bd1")
        metadata.add("x-b3-sampled", "1")
        metadata.add("x-request-id", "abc")
        let server = tracer.startServerSpan(try self.head(metadata))
        var outbound = Metadata()
        server.inject(into: &outbound)
        #expect(outbound.first("traceparent") == "00-000000000000000064fe8b2a57d3eff7-0000000000000001-01")
        #expect(outbound.first("x-b3-traceid") == "64fe8b2a57d3eff7")
        #expect(outbound.first("x-b3-spanid") == "0000000000000001")
        #expect(outbound.first("x-b3-parentspanid") == "e457b5a2e4d86bd1")
        #expect(outbound.first("x-b3-sampled") == "1")
        #expect(outbound.first("x-request-id") == "abc")
    }

    @Test("Span names and rpc.service/rpc.method come from the path")
    func pathSplit() {
        #expect(RPCSemanticConventions.split(path: "/microstate.v1.KV/Put") == ("microstate.v1.KV/Put", "microstate.v1.KV", "Put"))
        #expect(RPCSemanticConventions.split(path: "/odd") == ("/odd", "", ""))
        #expect(RPCSemanticConventions.split(path: "/svc/") == ("/svc/", "", ""))
    }
}
