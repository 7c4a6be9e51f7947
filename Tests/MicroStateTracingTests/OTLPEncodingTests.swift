import CProtobufC
import MicroStateProtos
import MicroStateTracing
import MicroStateWire
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@Suite("OTLP encoding")
struct OTLPEncodingTests {
    @Test("A KeyValue encodes to the bytes protoc would produce")
    func knownBytes() {
        #expect(OTLP.KeyValue("a", .string("b")).wireBytes() == [0x0A, 0x01, 0x61, 0x12, 0x03, 0x0A, 0x01, 0x62])
        #expect(OTLP.KeyValue("n", .int(150)).wireBytes() == [0x0A, 0x01, 0x6E, 0x12, 0x03, 0x18, 0x96, 0x01])
        // string[]: AnyValue{array_value(5): ArrayValue{values(1): AnyValue{string_value: "x"}}}
        #expect(OTLP.KeyValue("k", .stringArray(["x"])).wireBytes()
            == [0x0A, 0x01, 0x6B, 0x12, 0x07, 0x2A, 0x05, 0x0A, 0x03, 0x0A, 0x01, 0x78])
        // ExportTracePartialSuccess{rejected_spans: 2, error_message: "e"}
        #expect(OTLP.ExportTracePartialSuccess(rejectedSpans: 2, errorMessage: "e").wireBytes()
            == [0x08, 0x02, 0x12, 0x01, 0x65])
    }

    @Test("An export request of a mapped span round-trips, and protobuf-c's own unpack reads the same fields")
    func roundTrip() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let exporter = OTLPTraceExporter(
            endpoint: OTLPEndpoint(host: "127.0.0.1", port: 4317),
            resource: [SpanAttribute("service.name", .string("svc"))], timeout: .seconds(1), group: group
        )
        let state = try #require(TraceState.parse(["v=1"]))
        let span = SpanData(
            context: TraceContext(
                traceID: TraceID(high: 0x4bf9_2f35_77b3_4da6, low: 0xa3ce_929d_0e0e_4736), spanID: SpanID(0xABCD),
                flags: .sampled, traceState: state
            ),
            parentSpanID: SpanID(0x00f0_67aa_0ba9_02b7), parentIsRemote: true, name: "microstate.v1.KV/Put",
            kind: .server, startUnixNanos: 1_700_000_000_000_000_000, endUnixNanos: 1_700_000_000_000_500_000,
            attributes: [
                SpanAttribute("rpc.system", .string("grpc")), SpanAttribute("rpc.grpc.status_code", .int(4)),
                SpanAttribute("ok", .bool(true)), SpanAttribute("ratio", .double(0.5)),
                SpanAttribute("rpc.grpc.request.metadata.x-request-id", .stringArray(["r1", "r2"])),
            ],
            events: [SpanEvent(name: "fsync", timeUnixNanos: 1_700_000_000_000_100_000)],
            status: .error("DEADLINE_EXCEEDED")
        )
        let request = exporter.request(for: [span])
        let bytes = request.wireBytes()
        #expect(try OTLP.ExportTraceServiceRequest(wireBytes: bytes) == request)

        let decoded = try #require(request.resourceSpans.first?.scopeSpans.first?.spans.first)
        #expect(decoded.traceID == [0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36])
        #expect(decoded.spanID == [0, 0, 0, 0, 0, 0, 0xAB, 0xCD])
        #expect(decoded.flags == 0x301)
        #expect(decoded.kind == .server)
        #expect(decoded.status == OTLP.SpanStatus(code: .error, message: "DEADLINE_EXCEEDED"))

        // The generated unpack, independent of the Swift mapping.
        let unpacked = try #require(bytes.withUnsafeBufferPointer {
            opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(nil, $0.count, $0.baseAddress)
        })
        defer { opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(unpacked, nil) }
        #expect(unpacked.pointee.n_resource_spans == 1)
        let resourceSpans = try #require(unpacked.pointee.resource_spans[0])
        let resource = try #require(resourceSpans.pointee.resource)
        #expect(String(cString: resource.pointee.attributes[0]!.pointee.key) == "service.name")
        let scopeSpans = try #require(resourceSpans.pointee.scope_spans[0])
        #expect(String(cString: scopeSpans.pointee.scope!.pointee.name) == "microstatedb")
        let cSpan = try #require(scopeSpans.pointee.spans[0]).pointee
        #expect(String(cString: cSpan.name) == "microstate.v1.KV/Put")
        #expect(String(cString: cSpan.trace_state) == "v=1")
        #expect(cSpan.parent_span_id.len == 8 && cSpan.parent_span_id.data[7] == 0xb7)
        #expect(cSpan.start_time_unix_nano == 1_700_000_000_000_000_000)
        #expect(cSpan.end_time_unix_nano == 1_700_000_000_000_500_000)
        #expect(cSpan.kind.rawValue == 2)
        #expect(cSpan.n_attributes == 5)
        #expect(cSpan.attributes[1]!.pointee.value.pointee.int_value == 4)
        #expect(cSpan.n_events == 1 && String(cString: cSpan.events[0]!.pointee.name) == "fsync")
        #expect(cSpan.status.pointee.code.rawValue == 2)
    }

    @Test("Exports go through the transport to the TraceService/Export path; partial success comes back")
    func transport() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let seen = NIOLockedValueBox<[(String, Int, TimeAmount)]>([])
        let exporter = OTLPTraceExporter(resource: [], timeout: .seconds(3)) { path, request, timeout in
            let decoded = try OTLP.ExportTraceServiceRequest(wireBytes: request)
            seen.withLockedValue { $0.append((path, decoded.resourceSpans[0].scopeSpans[0].spans.count, timeout)) }
            return OTLP.ExportTraceServiceResponse(partialSuccess: OTLP.ExportTracePartialSuccess(rejectedSpans: 1))
                .wireBytes()
        }
        let result = try await exporter.export([makeSpan(0), makeSpan(1)], on: group.next()).get()
        #expect(result.rejectedSpans == 1)
        let calls = seen.withLockedValue { $0 }
        #expect(calls.count == 1)
        #expect(calls.first?.0 == "/opentelemetry.proto.collector.trace.v1.TraceService/Export")
        #expect(calls.first?.1 == 2 && calls.first?.2 == .seconds(3))
        try await group.shutdownGracefully()
    }

    @Test("An export response with partial success decodes")
    func response() throws {
        let response = OTLP.ExportTraceServiceResponse(
            partialSuccess: OTLP.ExportTracePartialSuccess(rejectedSpans: 3, errorMessage: "too old")
        )
        #expect(try OTLP.ExportTraceServiceResponse(wireBytes: response.wireBytes()) == response)
        #expect(try OTLP.ExportTraceServiceResponse(wireBytes: [UInt8]()) == OTLP.ExportTraceServiceResponse())
        #expect(throws: WireError.self) { try OTLP.ExportTraceServiceResponse(wireBytes: [0x0A, 0x05, 0x08]) }
    }
}
