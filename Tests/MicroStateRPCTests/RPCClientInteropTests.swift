import Foundation
import MicroStateRPC
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

/// RPCClient against a Python grpcio server (a peer nobody here wrote). Serialized: each test starts its own
/// server and the machine has two cores.
@Suite("RPCClient against grpcio", .serialized, .enabled(if: GRPCioEchoServer.isAvailable, GRPCioEchoServer.skipReason))
struct RPCClientInteropTests {
    private func withClient<R>(
        _ server: GRPCioEchoServer,
        configure: (inout RPCClientConfiguration) -> Void = { _ in },
        _ body: (RPCClient) async throws -> R
    ) async throws -> R {
        var configuration = RPCClientConfiguration(host: "127.0.0.1", port: server.port)
        configuration.defaultTimeout = .seconds(30)
        configure(&configuration)
        let client = RPCClient(configuration: configuration, group: MultiThreadedEventLoopGroup.singleton)
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }

    private func json(_ object: [String: Any]) -> [UInt8] {
        Array(try! JSONSerialization.data(withJSONObject: object))
    }

    @Test("Unary echo returns the request, for small, empty and 2 MiB messages")
    func unaryEcho() async throws {
        let server = try GRPCioEchoServer()
        try await self.withClient(server) { client in
            let small = Array("hello".utf8)
            let result1 = try await client.unary(path: "/test.Echo/Echo", request: small)
            #expect(result1 == small)
            let result2 = try await client.unary(path: "/test.Echo/Echo", request: [])
            #expect(result2 == [])
            let big = (0..<(2 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let result3 = try await client.unary(path: "/test.Echo/Echo", request: big)
            #expect(result3 == big)
        }
    }

    @Test("Requests carry user-agent and custom metadata (grpcio hides te and grpc-timeout)")
    func requestHeaders() async throws {
        let server = try GRPCioEchoServer()
        try await self.withClient(server) { client in
            let response = try await client.unary(
                path: "/test.Echo/Metadata", request: [], metadata: ["x-trace-id": "abc123"], timeout: .seconds(10)
            )
            let pairs = try JSONSerialization.jsonObject(with: Data(response)) as! [[String]]
            let names = Dictionary(pairs.map { ($0[0], $0[1]) }, uniquingKeysWith: { a, _ in a })
            #expect(names["x-trace-id"] == "abc123")
            #expect(names["user-agent"]?.contains("microstatedb/") == true)
        }
    }

    @Test("A response larger than maxReceiveMessageBytes fails with RESOURCE_EXHAUSTED")
    func receiveLimit() async throws {
        let server = try GRPCioEchoServer()
        try await self.withClient(server, configure: { $0.maxReceiveMessageBytes = 1024 }) { client in
            let error = await #expect(throws: RPCError.self) {
                _ = try await client.unary(path: "/test.Echo/Echo", request: [UInt8](repeating: 7, count: 2048))
            }
            #expect(error?.code == .resourceExhausted)
            // The connection is still good for the next call.
            let result4 = try await client.unary(path: "/test.Echo/Echo", request: [1, 2])
            #expect(result4 == [1, 2])
        }
    }

    @Test("Non-OK statuses surface with the server's code and decoded message", arguments: [
        (5, "key not found"),
        (3, "ünïcødé ✓ — 键"),
        (10, "100% sure: %41 is not A, and\ttabs\nnewlines survive"),
        (13, ""),
    ])
    func nonOKStatus(code: Int, message: String) async throws {
        let server = try GRPCioEchoServer()
        try await self.withClient(server) { client in
            let error = await #expect(throws: RPCError.self) {
                _ = try await client.unary(path: "/test.Echo/Fail", request: self.json(["code": code, "message": message]))
            }
            #expect(error?.code.rawValue == code)
            #expect(error?.message == message)
        }
    }

    @Test("The metrics hooks see every call start and end once, with its status code")
    func metricsHooks() async throws {
        let server = try GRPCioEchoServer()
        let seen = NIOLockedValueBox<[String]>([])
        try await self.withClient(server, configure: { configuration in
            configuration.onCallStarted = { path in seen.withLockedValue { $0.append("start \(path)") } }
            configuration.onCallFinished = { path, code, duration in
                #expect(duration >= .zero)
                seen.withLockedValue { $0.append("end \(path) \(code)") }
            }
        }) { client in
            _ = try await client.unary(path: "/test.Echo/Echo", request: [1])
            _ = try? await client.unary(path: "/test.Echo/Fail", request: self.json(["code": 14, "message": "down"]))
        }
        #expect(seen.withLockedValue { $0 } == [
            "start /test.Echo/Echo", "end /test.Echo/Echo OK", "start /test.Echo/Fail", "end /test.Echo/Fail UNAVAILABLE",
        ])
    }

    @Test("An unknown method is UNIMPLEMENTED")
    func unknownMethod() async throws {
        let server = try GRPCioEchoServer()
        try await self.withClient(server) { client in
            let error = await #expect(throws: RPCError.self) {
                _ = try await client.unary(path: "/test.Echo/Nope", request: [])
            }
            #expect(error?.code == .unimplemented)
        }
    }

    @Test("A passed deadline fails with DEADLINE_EXCEEDED and the server sees the call end")
    func deadlineExceeded() async throws {
        let server = try GRPCioEchoServer()
        try await self.withClient(server) { client in
            let start = ContinuousClock.now
            let error = await #expect(throws: RPCError.self) {
                _ = try await client.unary(
                    path: "/test.Echo/Sleep", request: self.json(["id": "deadline", "seconds": 3]), timeout: .milliseconds(300)
                )
            }
            #expect(error?.code == .deadlineExceeded)
            #expect(ContinuousClock.now - start < .seconds(2))
            let result5 = try await self.pollCancelled(client, id: "deadline")
            #expect(result5 == "1")
        }
    }

    @Test("Cancelling the calling task sends RST_STREAM: CANCELLED here, and the server sees it")
    func cancellation() async throws {
        let server = try GRPCioEchoServer()
        try await self.withClient(server) { client in
            let task = Task {
                try await client.unary(path: "/test.Echo/Sleep", request: self.json(["id": "cancel", "seconds": 5]))
            }
            try await Task.sleep(for: .milliseconds(400))
            task.cancel()
            let result = await task.result
            guard case .failure(let error as RPCError) = result else {
                Issue.record("expected RPCError, got \(result)")
                return
            }
            #expect(error.code == .cancelled)
            let result6 = try await self.pollCancelled(client, id: "cancel")
            #expect(result6 == "1")
        }
    }

    @Test("1000 concurrent unary calls share one connection")
    func concurrentCalls() async throws {
        let server = try GRPCioEchoServer()
        try await self.withClient(server) { client in
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<1000 {
                    group.addTask {
                        let request = Array("call-\(index)".utf8)
                        return try await client.unary(path: "/test.Echo/Echo", request: request) == request
                    }
                }
                var matched = 0
                for try await ok in group where ok {
                    matched += 1
                }
                #expect(matched == 1000)
            }
            let result7 = try await client.unary(path: "/test.Echo/Peers", request: [])
            #expect(result7 == Array("1".utf8))
        }
    }

    @Test("Server streaming yields every message in order, beyond the stream window")
    func serverStreaming() async throws {
        let server = try GRPCioEchoServer()
        try await self.withClient(server) { client in
            // 64 x 64 KiB = 4 MiB, four times the 1 MiB stream window: only completes if consumption reopens it.
            var indices: [UInt32] = []
            for try await message in client.serverStreaming(
                path: "/test.Echo/Stream", request: self.json(["count": 64, "size": 65536])
            ) {
                #expect(message.count == 65536)
                indices.append(message.prefix(4).reduce(0) { $0 << 8 | UInt32($1) })
            }
            #expect(indices == Array(0..<64))
            var count = 0
            for try await message in client.serverStreaming(path: "/test.Echo/Stream", request: self.json(["count": 0, "size": 4])) {
                _ = message
                count += 1
            }
            #expect(count == 0)
        }
    }

    @Test("Server streaming in batches yields every message once, in order, in non-empty batches")
    func serverStreamingBatches() async throws {
        let server = try GRPCioEchoServer()
        try await self.withClient(server) { client in
            var indices: [UInt32] = []
            var batches = 0
            for try await batch in client.serverStreamingBatches(
                path: "/test.Echo/Stream", request: self.json(["count": 300, "size": 1024])
            ) {
                #expect(!batch.isEmpty)
                batches += 1
                for message in batch {
                    #expect(message.count == 1024)
                    indices.append(message.prefix(4).reduce(0) { $0 << 8 | UInt32($1) })
                }
            }
            #expect(indices == Array(0..<300))
            #expect(batches <= 300)
            var empty = 0
            for try await _ in client.serverStreamingBatches(path: "/test.Echo/Stream", request: self.json(["count": 0, "size": 4])) {
                empty += 1
            }
            #expect(empty == 0)
        }
    }

    @Test("A slow stream consumer makes the server stop: flow control bounds what the client buffers")
    func slowConsumerBackpressure() async throws {
        let server = try GRPCioEchoServer()
        try await self.withClient(server) { client in
            // 1000 x 64 KiB = 64 MiB offered; the consumer takes one message and then stalls.
            let stream = client.serverStreaming(path: "/test.Echo/Stream", request: self.json(["count": 1000, "size": 65536]))
            var iterator = stream.makeAsyncIterator()
            let first = try await iterator.next()
            #expect(first?.count == 65536)
            try await Task.sleep(for: .seconds(1))
            let produced = Int(String(decoding: try await client.unary(path: "/test.Echo/Progress", request: []), as: UTF8.self)) ?? -1
            // The 1 MiB stream window is 16 messages; allow grpcio's own buffering on top, far below 1000.
            #expect(produced > 0 && produced < 64, "server produced \(produced) messages while the consumer stalled")
            // Resuming drains the rest.
            var count = 1
            while let message = try await iterator.next() {
                #expect(message.count == 65536)
                count += 1
            }
            #expect(count == 1000)
        }
    }

    @Test("A server-streaming call that fails throws the server's status")
    func serverStreamingFailure() async throws {
        let server = try GRPCioEchoServer()
        try await self.withClient(server) { client in
            let error = await #expect(throws: RPCError.self) {
                for try await _ in client.serverStreaming(
                    path: "/test.Echo/Fail", request: self.json(["code": 7, "message": "nope"])
                ) {}
            }
            #expect(error?.code == .permissionDenied)
            #expect(error?.message == "nope")
        }
    }

    @Test("Leaving a server stream early resets it and the server sees the cancellation")
    func serverStreamingEarlyExit() async throws {
        let server = try GRPCioEchoServer()
        try await self.withClient(server) { client in
            var seen = 0
            for try await _ in client.serverStreaming(
                path: "/test.Echo/Stream", request: self.json(["count": 1000, "size": 16, "sleep": 0.01])
            ) {
                seen += 1
                if seen == 3 {
                    break
                }
            }
            #expect(seen == 3)
            let result8 = try await self.pollCancelled(client, id: "stream")
            #expect(result8 == "1")
        }
    }

    @Test("After the server restarts, the next calls reconnect")
    func reconnect() async throws {
        let first = try GRPCioEchoServer()
        let port = first.port
        try await self.withClient(first) { client in
            let result9 = try await client.unary(path: "/test.Echo/Echo", request: [1])
            #expect(result9 == [1])
            first.kill()
            let error = await #expect(throws: RPCError.self) {
                _ = try await client.unary(path: "/test.Echo/Echo", request: [2])
            }
            #expect(error?.code == .unavailable)
            let second = try GRPCioEchoServer(port: port)
            defer { second.kill() }
            let result10 = try await client.unary(path: "/test.Echo/Echo", request: [3])
            #expect(result10 == [3])
        }
    }

    @Test("After GOAWAY, calls already running finish and new calls do not use the old connection")
    func goAway() async throws {
        let server = try GRPCioEchoServer()
        try await self.withClient(server) { client in
            let running = Task {
                try await client.unary(path: "/test.Echo/Sleep", request: self.json(["id": "goaway", "seconds": 1]))
            }
            try await Task.sleep(for: .milliseconds(200))
            _ = try await client.unary(path: "/test.Echo/Shutdown", request: Array("5".utf8))
            try await Task.sleep(for: .milliseconds(200))
            // The listener is gone: a new call must open a new connection, which is refused.
            let error = await #expect(throws: RPCError.self) {
                _ = try await client.unary(path: "/test.Echo/Echo", request: [1])
            }
            #expect(error?.code == .unavailable)
            let result = try await running.value
            #expect(result == Array("done".utf8))
        }
    }

    @Test("Connection refused is UNAVAILABLE")
    func connectionRefused() async throws {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = listener.localAddress!.port!
        try await listener.close()
        let client = RPCClient(
            configuration: RPCClientConfiguration(host: "127.0.0.1", port: port),
            group: MultiThreadedEventLoopGroup.singleton
        )
        let error = await #expect(throws: RPCError.self) {
            _ = try await client.unary(path: "/test.Echo/Echo", request: [])
        }
        #expect(error?.code == .unavailable)
        await client.close()
    }

    /// Asks the server whether call `id` ended early, waiting (bounded) until it has finished.
    private func pollCancelled(_ client: RPCClient, id: String) async throws -> String {
        for _ in 0..<100 {
            let answer = String(decoding: try await client.unary(path: "/test.Echo/WasCancelled", request: Array(id.utf8)), as: UTF8.self)
            if answer != "?" {
                return answer
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return "?"
    }
}
