import Logging
import MicroStateNode
import MicroStateRPC
import MicroStateTracing
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

/// Collects finished spans.
private final class Spans: SpanProcessor {
    let all = NIOLockedValueBox<[SpanData]>([])
    func onEnd(_ span: SpanData) { self.all.withLockedValue { $0.append(span) } }
}

@Suite("A caller's trace continues through the node to its outbound calls")
struct OutboundTracePropagationTests {
    @Test("The outbound call carries the caller's trace id with the node's SERVER span as parent, and a CLIENT span is recorded")
    func propagation() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // Upstream: records the metadata each call brought.
        let seen = NIOLockedValueBox<[Metadata]>([])
        let upstreamRouter = RPCRouter()
        upstreamRouter.registerUnary("/t.Upstream/Do") { request, context, responder in
            seen.withLockedValue { $0.append(context.metadata) }
            responder.succeed(Array(buffer: request))
        }
        var upstreamConfig = RPCServerConfiguration()
        upstreamConfig.port = 0
        let upstream = RPCServer(configuration: upstreamConfig, router: upstreamRouter, group: group, logger: Logger(label: "t"))
        let upstreamPort = try await upstream.start().port!

        // The node side: a traced server whose handler calls upstream through an outbound destination.
        let spans = Spans()
        let tracer = Tracer(sampler: .parentBasedAlwaysOn, processor: spans)
        let destination = OutboundDestination(
            name: "upstream", policy: OutboundPolicy(),
            client: RPCClient(configuration: RPCClientConfiguration(host: "127.0.0.1", port: upstreamPort), group: group),
            logger: Logger(label: "t")
        )
        let frontRouter = RPCRouter()
        frontRouter.registerUnary("/t.Front/Call") { request, context, responder in
            let server = context.observers.lazy.compactMap { $0 as? ServerSpan }.first!
            let client = tracer.startClientSpan(path: "/t.Upstream/Do", parent: server.span, serverAddress: "127.0.0.1", serverPort: upstreamPort)
            var metadata = Metadata()
            TracePropagation.inject(client.context, parent: server.span.context.spanID, into: &metadata)
            let bytes = Array(buffer: request)
            Task {
                do {
                    let reply = try await destination.unary(
                        path: "/t.Upstream/Do", request: bytes, metadata: metadata, idempotent: true, deadline: context.deadline
                    )
                    client.end(rpcStatus: .ok)
                    responder.succeed(reply)
                } catch {
                    let failure = (error as? RPCError) ?? RPCError(code: .unknown, message: "\(error)")
                    client.end(rpcStatus: failure.status)
                    responder.fail(failure)
                }
            }
        }
        var frontConfig = RPCServerConfiguration()
        frontConfig.port = 0
        frontConfig.interceptors = [TracingInterceptor(tracer: tracer)]
        let front = RPCServer(configuration: frontConfig, router: frontRouter, group: group, logger: Logger(label: "t"))
        let frontPort = try await front.start().port!

        // The caller sends its own context.
        let caller = RPCClient(configuration: RPCClientConfiguration(host: "127.0.0.1", port: frontPort), group: group)
        var callerMetadata = Metadata()
        callerMetadata.add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        let reply = try await caller.unary(path: "/t.Front/Call", request: [42], metadata: callerMetadata, timeout: .seconds(5))
        #expect(reply == [42])

        let upstreamSaw = try #require(seen.withLockedValue { $0 }.first)
        let traceparent = try #require(upstreamSaw.first("traceparent"))
        let parts = traceparent.split(separator: "-")
        #expect(parts.count == 4 && parts[0] == "00" && parts[3] == "01")
        #expect(parts[1] == "4bf92f3577b34da6a3ce929d0e0e4736", "same trace id as the caller's")
        let finished = spans.all.withLockedValue { $0 }
        let serverSpan = try #require(finished.first { $0.kind == .server })
        let clientSpan = try #require(finished.first { $0.kind == .client })
        #expect(serverSpan.parentSpanID?.hex == "00f067aa0ba902b7", "the node's span continues the caller's")
        #expect(clientSpan.parentSpanID == serverSpan.context.spanID, "the outbound span is the server span's child")
        #expect(String(parts[2]) == clientSpan.context.spanID.hex, "upstream's parent is the node's CLIENT span")

        await caller.close()
        await front.shutdown()
        await upstream.shutdown()
        try? await group.shutdownGracefully()
    }
}
