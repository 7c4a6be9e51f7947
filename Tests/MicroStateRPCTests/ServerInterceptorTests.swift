import Foundation
import Logging
import MicroStateRPC
import NIOCore
import NIOPosix
import Testing

/// Records what it is told; one per call.
private final class RecordingObserver: ServerCallObserver, @unchecked Sendable {
    let lock = NSLock()
    var statuses: [Status] = []
    let tag: String

    init(tag: String) {
        self.tag = tag
    }

    func callFinished(status: Status, duration: TimeAmount) {
        precondition(duration.nanoseconds >= 0)
        self.lock.withLock { self.statuses.append(status) }
    }
}

/// Admits or rejects by path, keeping every head and observer it made.
private final class TestInterceptor: ServerInterceptor, @unchecked Sendable {
    let lock = NSLock()
    var heads: [ServerCallHead] = []
    var observers: [RecordingObserver] = []
    let tag: String
    let rejectPath: String?

    init(tag: String, rejectPath: String? = nil) {
        self.tag = tag
        self.rejectPath = rejectPath
    }

    func intercept(_ head: ServerCallHead) -> ServerAdmission {
        self.lock.withLock { self.heads.append(head) }
        if head.path == self.rejectPath {
            return .reject(
                Status(code: .resourceExhausted, message: "shed"),
                trailers: [(name: "retry-after", value: "1"), (name: "grpc-status", value: "0")]
            )
        }
        let observer = RecordingObserver(tag: self.tag)
        self.lock.withLock { self.observers.append(observer) }
        return .admit(observer)
    }

    var allStatuses: [[Status.Code]] {
        let observers = self.lock.withLock { self.observers }
        return observers.map { observer in observer.lock.withLock { observer.statuses.map(\.code) } }
    }
}

/// The echo router plus `/test.Observers/Tags`, which answers with the tags of the observers the handler sees.
private func withInterceptedServer(
    _ interceptors: [any ServerInterceptor],
    _ body: (Int, EchoProbe) async throws -> Void
) async throws {
    let probe = EchoProbe()
    var configuration = RPCServerConfiguration()
    configuration.port = 0
    configuration.interceptors = interceptors
    configuration.onCallFinished = { path, code, _ in probe.callFinished(path, code) }
    let router = makeEchoRouter(probe: probe)
    router.registerUnary("/test.Observers/Tags") { _, context, responder in
        let tags = context.observers.lazy.compactMap { $0 as? RecordingObserver }.map(\.tag)
        responder.succeed(Array(tags.joined(separator: ",").utf8))
    }
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    var logger = Logger(label: "test.interceptors")
    logger.logLevel = .warning
    let server = RPCServer(configuration: configuration, router: router, group: group, logger: logger)
    let address = try await server.start()
    do {
        try await body(address.port!, probe)
    } catch {
        await server.shutdown()
        try await group.shutdownGracefully()
        throw error
    }
    await server.shutdown()
    try await group.shutdownGracefully()
}

@Suite("Server interceptors and call observers", .serialized)
struct ServerInterceptorTests {
    @Test("Admitted calls reach the handler, which sees every observer in interceptor order, and each is told OK once")
    func admit() async throws {
        let first = TestInterceptor(tag: "first")
        let second = TestInterceptor(tag: "second")
        try await withInterceptedServer([first, second]) { port, probe in
            let client = try H2TestClient(port: port)
            let id = client.request(
                path: "/test.Observers/Tags", headers: [("traceparent", "abc"), ("grpc-timeout", "5S")],
                chunks: [H2TestClient.frame([])]
            )
            #expect(client.run { client.responses[id]!.closed })
            #expect(client.responses[id]!.messages == [Array("first,second".utf8)])
            #expect(client.run { first.allStatuses == [[.ok]] && second.allStatuses == [[.ok]] })
            let head = try #require(first.heads.first)
            #expect(head.path == "/test.Observers/Tags")
            #expect(head.metadata.first("traceparent") == "abc")
            #expect(head.metadata.first("grpc-timeout") == nil)
            #expect(head.deadline != nil)
            #expect(head.remoteAddress?.ipAddress == "127.0.0.1")
            #expect(head.localAddress?.port == port)
            #expect(probe.finishedCodes == [.ok])
        }
    }

    @Test("A rejected call gets Trailers-Only with its status and extra trailers, never runs, and counts as finished")
    func reject() async throws {
        let first = TestInterceptor(tag: "first")
        let shedder = TestInterceptor(tag: "shedder", rejectPath: "/test.Echo/Unary")
        let never = TestInterceptor(tag: "never")
        try await withInterceptedServer([first, shedder, never]) { port, probe in
            let client = try H2TestClient(port: port)
            let id = client.request(path: "/test.Echo/Unary", chunks: [H2TestClient.frame([1, 2, 3])])
            #expect(client.run { client.responses[id]!.closed })
            let response = client.responses[id]!
            #expect(response.isTrailersOnly)
            #expect(response.grpcStatus == 8)
            #expect(response.grpcMessage == "shed")
            #expect(response.header("retry-after") == "1")
            // Reserved names cannot be smuggled in as extra trailers.
            #expect(response.headerBlocks[0].filter { $0.name == "grpc-status" }.count == 1)
            #expect(response.messages.isEmpty)
            #expect(probe.handlerCalls.load(ordering: .relaxed) == 0)
            #expect(probe.finishedCodes == [.resourceExhausted])
            // The earlier interceptor's observer hears the rejection; the later interceptor never ran.
            #expect(first.allStatuses == [[.resourceExhausted]])
            #expect(never.heads.isEmpty)
        }
    }

    @Test("Unknown methods are answered before interceptors run")
    func unknownMethod() async throws {
        let interceptor = TestInterceptor(tag: "t")
        try await withInterceptedServer([interceptor]) { port, probe in
            let client = try H2TestClient(port: port)
            let id = client.request(path: "/no.Such/Method", chunks: [H2TestClient.frame([])])
            #expect(client.run { client.responses[id]!.closed })
            #expect(client.responses[id]!.grpcStatus == 12)
            #expect(interceptor.heads.isEmpty)
            #expect(probe.finishedCodes == [.unimplemented])
        }
    }

    @Test("Each observer is told exactly once however the call ends: OK, error, deadline, reset, connection closed")
    func observerOncePerOutcome() async throws {
        let interceptor = TestInterceptor(tag: "t")
        try await withInterceptedServer([interceptor]) { port, probe in
            let client = try H2TestClient(port: port)
            let ok = client.request(path: "/test.Echo/Unary", chunks: [H2TestClient.frame([1])])
            let failed = client.request(path: "/test.Echo/Fail", chunks: [H2TestClient.frame([9])])
            let streamed = client.request(path: "/test.Echo/Stream", chunks: [H2TestClient.frame([0, 0, 0, 3, 0, 0, 0, 4])])
            let late = client.request(
                path: "/test.Echo/Never", headers: [("grpc-timeout", "50m")], chunks: [H2TestClient.frame([])]
            )
            let ids = [ok, failed, streamed, late]
            let allClosed = client.run { ids.allSatisfy { client.responses[$0]!.closed } }
            #expect(allClosed)
            let reset = client.request(path: "/test.Echo/Never", chunks: [H2TestClient.frame([])])
            client.run(timeout: 5) { probe.handlerCalls.load(ordering: .relaxed) == 5 }
            client.reset(reset)
            let resetSeen = client.run { probe.cancellations.load(ordering: .relaxed) == 2 }
            #expect(resetSeen)
            let closed = try H2TestClient(port: port)
            closed.request(path: "/test.Echo/Never", chunks: [H2TestClient.frame([])])
            closed.run(timeout: 5) { probe.handlerCalls.load(ordering: .relaxed) == 6 }
            closed.closeSocket()
            let closeSeen = client.run { probe.cancellations.load(ordering: .relaxed) == 3 }
            #expect(closeSeen)
            client.run(timeout: 0.2) { false }
            let codes: [[Status.Code]] = interceptor.allStatuses
            #expect(codes.count == 6)
            #expect(codes.allSatisfy { $0.count == 1 })
            let firsts: [Int] = codes.compactMap { $0.first?.rawValue }.sorted()
            // OK, CANCELLED (reset), CANCELLED (connection closed), DEADLINE_EXCEEDED, FAILED_PRECONDITION (Fail 9).
            #expect(firsts == [0, 0, 1, 1, 4, 9])
        }
    }
}
