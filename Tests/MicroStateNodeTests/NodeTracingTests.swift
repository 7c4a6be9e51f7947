import Foundation
import Logging
import MicroStateNode
import MicroStateRPC
import MicroStateTracing
import MicroStateWire
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

/// An OTLP collector built from our own RPC server: keeps every exported span.
private final class SwiftCollector: Sendable {
    let spans = NIOLockedValueBox<[OTLP.Span]>([])
    let resources = NIOLockedValueBox<[OTLP.Resource]>([])
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let server: RPCServer

    init() {
        let router = RPCRouter()
        let spans = self.spans
        let resources = self.resources
        router.registerUnary(OTLPTraceExporter.exportPath) { request, _, responder in
            do {
                let decoded = try OTLP.ExportTraceServiceRequest(wireBytes: Array(request.readableBytesView))
                for resourceSpans in decoded.resourceSpans {
                    for scope in resourceSpans.scopeSpans {
                        spans.withLockedValue { $0 += scope.spans }
                        resources.withLockedValue { $0 += Array(repeating: resourceSpans.resource ?? OTLP.Resource(), count: scope.spans.count) }
                    }
                }
                responder.succeed(OTLP.ExportTraceServiceResponse().wireBytes())
            } catch {
                responder.fail(RPCError(code: .invalidArgument, message: "\(error)"))
            }
        }
        var configuration = RPCServerConfiguration()
        configuration.port = 0
        var logger = Logger(label: "collector")
        logger.logLevel = .warning
        self.server = RPCServer(configuration: configuration, router: router, group: self.group, logger: logger)
    }

    func waitForSpans(count: Int) async -> [OTLP.Span] {
        for _ in 0..<200 {
            let spans = self.spans.withLockedValue { $0 }
            if spans.count >= count { return spans }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return self.spans.withLockedValue { $0 }
    }
}

@Suite("Node tracing", .serialized)
struct NodeTracingTests {
    @Test("With an OTLP endpoint every call gets a SERVER span continuing the caller's trace; /metrics counts it")
    func spansExported() async throws {
        let collector = SwiftCollector()
        let address = try await collector.server.start()
        let running = try await RunningNode.start(onFatalError: { _ in }) { config in
            config.nodeID = 9
            config.tracing.endpoint = OTLPEndpoint(host: "127.0.0.1", port: address.port!)
            config.tracing.sampler = .parentBasedAlwaysOn
            config.tracing.batch.scheduleDelay = .milliseconds(50)
        }
        var metadata = Metadata()
        metadata.add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        _ = try await running.client.unary(
            path: "/microstate.v1.KV/Put", request: PutRequest(key: Array("k".utf8), value: Array("v".utf8)).wireBytes(),
            metadata: metadata, timeout: .seconds(10)
        )
        // The SERVER span and its child for the wait until the write was durable.
        let spans = await collector.waitForSpans(count: 2)
        // The counter moves once the collector's answer is back, just after it stored the spans.
        var metrics = running.node.metrics.render()
        for _ in 0..<100 where !metrics.contains("microstatedb_trace_spans_exported_total 2") {
            try await Task.sleep(for: .milliseconds(20))
            metrics = running.node.metrics.render()
        }
        await running.stop()
        await collector.server.shutdown()
        try await collector.group.shutdownGracefully()

        let span = try #require(spans.first { $0.kind == .server })
        let step = try #require(spans.first { $0.kind == .internal })
        #expect(step.name == "microstatedb.wal.durable_write" && step.parentSpanID == span.spanID)
        #expect(span.name == "microstate.v1.KV/Put")
        #expect(span.kind == .server)
        #expect(span.traceID == TraceID(high: 0x4bf9_2f35_77b3_4da6, low: 0xa3ce_929d_0e0e_4736).bytes)
        #expect(span.parentSpanID == SpanID(0x00f0_67aa_0ba9_02b7).bytes)
        #expect(span.attributes.contains(OTLP.KeyValue("rpc.grpc.status_code", .int(0))))
        let resource = try #require(collector.resources.withLockedValue { $0.first })
        #expect(resource.attributes.contains(OTLP.KeyValue("service.name", .string("microstatedb"))))
        #expect(resource.attributes.contains(OTLP.KeyValue("service.instance.id", .string("9"))))
        #expect(metrics.contains("microstatedb_trace_spans_exported_total 2"))
    }

    @Test("Without an endpoint no interceptor is installed, and the span counters read 0")
    func offByDefault() async throws {
        let running = try await RunningNode.start()
        #expect(!running.node.configuration.tracing.isEnabled)
        let metrics = running.node.metrics.render()
        await running.stop()
        #expect(metrics.contains("microstatedb_trace_spans_dropped_total 0"))
        #expect(metrics.contains("microstatedb_trace_export_failures_total 0"))
    }
}
