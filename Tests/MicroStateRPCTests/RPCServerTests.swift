import Foundation
import MicroStateRPC
import NIOCore
import Testing

private let unary = "/test.Echo/Unary"

@Suite("RPCServer over real HTTP/2 connections", .serialized)
struct RPCServerTests {
    // MARK: - Happy paths and framing

    @Test("A unary request split across DATA frames is echoed as HEADERS, DATA, trailers")
    func unarySplitAcrossFrames() async throws {
        try await withEchoServer { _, port, _ in
            let client = try H2TestClient(port: port)
            let framed = H2TestClient.frame(Array("split message".utf8))
            let id = client.request(path: unary, chunks: [Array(framed[0..<2]), Array(framed[2..<7]), Array(framed[7...])])
            #expect(client.run { client.responses[id]!.closed })
            let response = client.responses[id]!
            #expect(response.headerBlocks.count == 2)
            #expect(response.header(":status") == "200" && response.header("content-type") == "application/grpc")
            #expect(response.headerBlockEndedStream == [false, true])
            #expect(response.messages == [Array("split message".utf8)])
            #expect(response.header("grpc-status", block: 1) == "0")
            #expect(response.errorCode == 0)
        }
    }

    @Test("Server streaming sends every message then OK trailers")
    func serverStreaming() async throws {
        try await withEchoServer { _, port, probe in
            let client = try H2TestClient(port: port)
            let request: [UInt8] = [0, 0, 0, 100, 0, 0, 0x03, 0xE8]  // 100 messages of 1000 bytes
            let id = client.request(path: "/test.Echo/Stream", chunks: [H2TestClient.frame(request)])
            #expect(client.run { client.responses[id]!.closed })
            let response = client.responses[id]!
            #expect(response.messages.count == 100)
            #expect(response.messages.allSatisfy { $0.count == 1000 })
            #expect(response.messages[42].first == 42)
            #expect(response.grpcStatus == 0 && !response.isTrailersOnly)
            #expect(probe.finishedCodes == [.ok])
        }
    }

    @Test("Several messages sent in one call arrive as separate messages, in order")
    func batchSend() async throws {
        try await withEchoServer { _, port, _ in
            let client = try H2TestClient(port: port)
            let id = client.request(path: "/test.Echo/StreamBatch", chunks: [H2TestClient.frame([0, 0, 0, 50, 0, 0, 0, 3])])
            #expect(client.run { client.responses[id]!.closed })
            let response = client.responses[id]!
            #expect(response.messages == (0..<50).map { [UInt8](repeating: UInt8($0), count: 3) })
            #expect(response.grpcStatus == 0)
        }
    }

    @Test("A batch holding one message over maxSendMessageBytes ends the call RESOURCE_EXHAUSTED, sending none")
    func batchSendOversize() async throws {
        try await withEchoServer(configure: { $0.maxSendMessageBytes = 1000 }) { _, port, _ in
            let client = try H2TestClient(port: port)
            let id = client.request(path: "/test.Echo/StreamBatch", chunks: [H2TestClient.frame([0, 0, 0, 2, 0, 0, 0x03, 0xE9])])
            #expect(client.run { client.responses[id]!.closed })
            #expect(client.responses[id]!.messages.isEmpty && client.responses[id]!.grpcStatus == 8)
        }
    }

    @Test("A streaming call that finishes without messages is Trailers-Only OK")
    func emptyStreamIsTrailersOnly() async throws {
        try await withEchoServer { _, port, _ in
            let client = try H2TestClient(port: port)
            let id = client.request(path: "/test.Echo/Stream", chunks: [H2TestClient.frame([0, 0, 0, 0, 0, 0, 0, 1])])
            #expect(client.run { client.responses[id]!.closed })
            #expect(client.responses[id]!.isTrailersOnly && client.responses[id]!.grpcStatus == 0)
        }
    }

    @Test("1000 concurrent unary calls completed off the loop all succeed over one connection")
    func thousandConcurrentCalls() async throws {
        try await withEchoServer { server, port, probe in
            let client = try H2TestClient(port: port)
            #expect(client.run { client.settingsReceived })
            var ids: [Int32: [UInt8]] = [:]
            for index in 0..<1000 {
                let message = Array("call \(index)".utf8)
                ids[client.request(path: "/test.Echo/OffLoop", chunks: [H2TestClient.frame(message)])] = message
            }
            #expect(client.run(timeout: 20) { ids.keys.allSatisfy { client.responses[$0]!.closed } })
            for (id, message) in ids {
                #expect(client.responses[id]!.messages == [message] && client.responses[id]!.grpcStatus == 0)
            }
            #expect(probe.handlerCalls.load(ordering: .relaxed) == 1000)
            #expect(server.metrics.callsFinished == 1000 && server.metrics.streamsActive == 0)
        }
    }

    @Test("Each request on a connection sees its own metadata, reserved headers excluded")
    func metadataPerRequest() async throws {
        try await withEchoServer { _, port, _ in
            let client = try H2TestClient(port: port)
            let path = "/test.Echo/Metadata"
            let cases: [[(String, String)]] = [
                [("x-a", "1"), ("x-b", "two")],
                [("x-a", "1"), ("x-b", "two")],  // identical set: shared with the previous request
                [("x-a", "1"), ("x-b", "three")],  // diverges at the second field
                [("x-a", "1")],  // a prefix of the previous set
                [("x-z", "9"), ("x-a", "1"), ("grpc-trace-bin", "AAEC"), ("user-agent", "test")],
                [],
            ]
            for headers in cases {
                let id = client.request(path: path, headers: headers, chunks: [H2TestClient.frame([])])
                #expect(client.run { client.responses[id]!.closed })
                let expected = headers.filter { !Metadata.isReserved($0.0) }.map { "\($0.0)=\($0.1)" }.joined(separator: ";")
                #expect(client.responses[id]!.messages == [Array(expected.utf8)], "\(headers)")
            }
        }
    }

    // MARK: - Request errors

    @Test(
        "Malformed request bodies fail Trailers-Only without calling the handler",
        arguments: [
            ("two messages in one DATA frame", [H2TestClient.frame([1]) + H2TestClient.frame([2])], 13),
            ("two messages in two frames", [H2TestClient.frame([1]), H2TestClient.frame([2])], 13),
            ("no message", [], 13),
            ("compressed flag set", [H2TestClient.frame([1, 2, 3], compressed: true)], 12),
            ("message over the receive limit", [[0, 0, 0, 0x10, 0]], 8),
            ("truncated message", [[0, 0, 0, 0, 9, 1, 2]], 13),
        ] as [(String, [[UInt8]], Int)]
    )
    func malformedBodies(name: String, chunks: [[UInt8]], status: Int) async throws {
        try await withEchoServer(configure: { $0.maxReceiveMessageBytes = 1024 }) { _, port, probe in
            let client = try H2TestClient(port: port)
            let id = client.request(path: unary, chunks: chunks)
            #expect(client.run { client.responses[id]!.closed }, "\(name)")
            #expect(client.responses[id]!.isTrailersOnly, "\(name)")
            #expect(client.responses[id]!.header(":status") == "200", "\(name)")
            #expect(client.responses[id]!.grpcStatus == status, "\(name)")
            #expect(probe.handlerCalls.load(ordering: .relaxed) == 0, "\(name)")
            #expect(probe.finishedCodes == [Status.Code(rawValue: status)], "\(name)")
        }
    }

    @Test("An unknown method is UNIMPLEMENTED, Trailers-Only")
    func unknownMethod() async throws {
        try await withEchoServer { _, port, _ in
            let client = try H2TestClient(port: port)
            let id = client.request(path: "/test.Echo/Nope", chunks: [H2TestClient.frame([])])
            #expect(client.run { client.responses[id]!.closed })
            #expect(client.responses[id]!.isTrailersOnly && client.responses[id]!.grpcStatus == 12)
            #expect(client.responses[id]!.header("content-type") == "application/grpc")
        }
    }

    @Test("A response that ends before the request does is followed by RST_STREAM(NO_ERROR)")
    func earlyServerClose() async throws {
        try await withEchoServer { _, port, _ in
            let client = try H2TestClient(port: port)
            let early = client.request(path: "/test.Echo/Nope", chunks: [[0, 0, 0]], end: false)
            let normal = client.request(path: unary, chunks: [H2TestClient.frame([1])])
            #expect(client.run { client.responses[early]!.closed && client.responses[normal]!.closed })
            #expect(client.responses[early]!.isTrailersOnly && client.responses[early]!.grpcStatus == 12)
            #expect(client.responses[early]!.resetReceived == 0)
            #expect(client.responses[normal]!.resetReceived == nil)
        }
    }

    @Test("A handler error is Trailers-Only with a percent-encoded grpc-message")
    func handlerErrorIsTrailersOnly() async throws {
        try await withEchoServer { _, port, _ in
            let client = try H2TestClient(port: port)
            let id = client.request(path: "/test.Echo/Fail", chunks: [H2TestClient.frame([5])])
            #expect(client.run { client.responses[id]!.closed })
            let response = client.responses[id]!
            #expect(response.isTrailersOnly && response.grpcStatus == 5)
            #expect(response.grpcMessage == "bad %E2%88%82 thing%0A100%25")
        }
    }

    @Test("A non-POST request gets HTTP 405")
    func nonPost() async throws {
        try await withEchoServer { _, port, probe in
            let client = try H2TestClient(port: port)
            let id = client.request(path: unary, method: "GET")
            #expect(client.run { client.responses[id]!.closed })
            #expect(client.responses[id]!.header(":status") == "405")
            #expect(client.responses[id]!.grpcStatus == nil && probe.handlerCalls.load(ordering: .relaxed) == 0)
        }
    }

    @Test("A non-gRPC content-type gets HTTP 415 with a text/plain body", arguments: [nil, "text/plain", "application/grpc-web", "application/json"])
    func unsupportedContentType(contentType: String?) async throws {
        try await withEchoServer { _, port, probe in
            let client = try H2TestClient(port: port)
            let id = client.request(path: unary, contentType: contentType, chunks: [H2TestClient.frame([])])
            #expect(client.run { client.responses[id]!.closed })
            let response = client.responses[id]!
            #expect(response.header(":status") == "415" && response.header("content-type") == "text/plain")
            #expect(!response.data.isEmpty && probe.handlerCalls.load(ordering: .relaxed) == 0)
        }
    }

    @Test("application/grpc+proto is accepted")
    func grpcProtoContentType() async throws {
        try await withEchoServer { _, port, _ in
            let client = try H2TestClient(port: port)
            let id = client.request(path: unary, contentType: "application/grpc+proto", chunks: [H2TestClient.frame([9])])
            #expect(client.run { client.responses[id]!.closed })
            #expect(client.responses[id]!.messages == [[9]] && client.responses[id]!.grpcStatus == 0)
        }
    }

    @Test("A malformed grpc-timeout is INTERNAL", arguments: ["abc", "1", "123456789S", "10x", "-1S"])
    func malformedTimeout(value: String) async throws {
        try await withEchoServer { _, port, probe in
            let client = try H2TestClient(port: port)
            let id = client.request(path: unary, headers: [("grpc-timeout", value)], chunks: [H2TestClient.frame([])])
            #expect(client.run { client.responses[id]!.closed })
            #expect(client.responses[id]!.isTrailersOnly && client.responses[id]!.grpcStatus == 13)
            #expect(probe.handlerCalls.load(ordering: .relaxed) == 0)
        }
    }

    @Test("A request header list over the limit gets HTTP 431 and no handler")
    func headerListTooLarge() async throws {
        try await withEchoServer(configure: { $0.maxHeaderListBytes = 4096 }) { _, port, probe in
            let client = try H2TestClient(port: port)
            let id = client.request(path: unary, headers: [("x-big", String(repeating: "a", count: 5000))], chunks: [H2TestClient.frame([])])
            #expect(client.run { client.responses[id]!.closed })
            #expect(client.responses[id]!.header(":status") == "431")
            #expect(probe.handlerCalls.load(ordering: .relaxed) == 0)
        }
    }

    // MARK: - Deadlines and cancellation

    @Test("The deadline sends DEADLINE_EXCEEDED although the handler never answers, and cancels the context")
    func deadline() async throws {
        try await withEchoServer { _, port, probe in
            let client = try H2TestClient(port: port)
            let id = client.request(path: "/test.Echo/Never", headers: [("grpc-timeout", "100m")], chunks: [H2TestClient.frame([])])
            #expect(client.run { client.responses[id]!.closed })
            #expect(client.responses[id]!.isTrailersOnly && client.responses[id]!.grpcStatus == 4)
            #expect(probe.cancellations.load(ordering: .relaxed) == 1)
            #expect(probe.finishedCodes == [.deadlineExceeded])
        }
    }

    @Test("A client RST_STREAM cancels the call and its late response is dropped")
    func clientReset() async throws {
        try await withEchoServer { server, port, probe in
            let client = try H2TestClient(port: port)
            let id = client.request(path: "/test.Echo/Never", chunks: [H2TestClient.frame([])])
            client.run(timeout: 5) { probe.handlerCalls.load(ordering: .relaxed) == 1 }
            client.reset(id)
            #expect(client.run { probe.cancellations.load(ordering: .relaxed) == 1 })
            client.run(timeout: 0.2) { false }
            #expect(client.responses[id]!.headerBlocks.isEmpty)
            #expect(probe.finishedCodes == [.cancelled])
            #expect(server.metrics.streamsActive == 0)
        }
    }

    @Test("Closing the connection cancels its calls")
    func connectionCloseCancels() async throws {
        try await withEchoServer { server, port, probe in
            let client = try H2TestClient(port: port)
            client.request(path: "/test.Echo/Never", chunks: [H2TestClient.frame([])])
            client.request(path: "/test.Echo/StreamForever", chunks: [H2TestClient.frame([0, 0, 0, 0, 0, 0, 0, 10])])
            client.run(timeout: 5) { probe.handlerCalls.load(ordering: .relaxed) == 2 }
            client.closeSocket()
            // Cancellation and the stream count settle in separate steps on the loop: wait for both.
            for _ in 0..<100
            where probe.cancellations.load(ordering: .relaxed) < 2 || server.metrics.streamsActive != 0 {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(probe.cancellations.load(ordering: .relaxed) == 2)
            #expect(server.metrics.streamsActive == 0)
        }
    }

    @Test("A response over maxSendMessageBytes is RESOURCE_EXHAUSTED instead")
    func oversizeResponse() async throws {
        try await withEchoServer(configure: { $0.maxSendMessageBytes = 1000 }) { _, port, _ in
            let client = try H2TestClient(port: port)
            let small = client.request(path: "/test.Echo/Big", chunks: [H2TestClient.frame([0, 0, 0x03, 0xE8])])
            let big = client.request(path: "/test.Echo/Big", chunks: [H2TestClient.frame([0, 0, 0x03, 0xE9])])
            #expect(client.run { client.responses[small]!.closed && client.responses[big]!.closed })
            #expect(client.responses[small]!.messages.first?.count == 1000)
            #expect(client.responses[big]!.isTrailersOnly && client.responses[big]!.grpcStatus == 8)
        }
    }

    // MARK: - Limits and flow control

    @Test("Streams over MAX_CONCURRENT_STREAMS are refused")
    func maxConcurrentStreams() async throws {
        try await withEchoServer(configure: { $0.maxConcurrentStreams = 10 }) { _, port, probe in
            let client = try H2TestClient(port: port)
            // Sent before the server's SETTINGS arrive, so the client does not hold them back itself.
            let ids = (0..<15).map { _ in client.request(path: "/test.Echo/Never", chunks: [H2TestClient.frame([])]) }
            client.run(timeout: 2) {
                ids.filter { client.responses[$0]!.closed }.count == 5 && probe.handlerCalls.load(ordering: .relaxed) == 10
            }
            let refused = ids.filter { client.responses[$0]!.errorCode == 7 }
            #expect(refused.count == 5)
            #expect(probe.handlerCalls.load(ordering: .relaxed) == 10)
        }
    }

    @Test("A client that stops reading a stream does not grow server memory")
    func writeBackpressure() async throws {
        try await withEchoServer { _, port, probe in
            // Huge flow-control windows: only the server's writability handling can hold the stream back.
            let client = try H2TestClient(port: port, initialWindowSize: 0x7FFF_FFFF, connectionWindow: 0x7FFF_FFFF)
            let id = client.request(path: "/test.Echo/StreamForever", chunks: [H2TestClient.frame([0, 0, 0, 0, 0, 0, 0x40, 0])])
            client.run(timeout: 5) { !(client.responses[id]!.headerBlocks.isEmpty) }
            // Stop reading for a second.
            try await Task.sleep(for: .seconds(1))
            let sentBytes = probe.streamMessagesSent.load(ordering: .relaxed) * 16 * 1024
            #expect(sentBytes < 64 * 1024 * 1024, "sent \(sentBytes) bytes to a client that reads nothing")
            #expect(probe.maxQueuedBytes.load(ordering: .relaxed) <= 64 * 1024 + 16 * 1024 + 5)
            // Reading again lets it continue.
            let before = probe.streamMessagesSent.load(ordering: .relaxed)
            #expect(client.run(timeout: 5) { probe.streamMessagesSent.load(ordering: .relaxed) > before + 100 })
            client.reset(id)
            client.run(timeout: 5) { probe.cancellations.load(ordering: .relaxed) == 1 }
        }
    }

    @Test("A connection without streams is closed with GOAWAY after the idle timeout")
    func idleTimeout() async throws {
        try await withEchoServer(configure: { $0.idleTimeout = .milliseconds(200) }) { _, port, _ in
            let client = try H2TestClient(port: port)
            let id = client.request(path: unary, chunks: [H2TestClient.frame([1])])
            #expect(client.run { client.responses[id]!.closed })
            #expect(client.goAwayLastStreamIDs.isEmpty)
            #expect(client.run(timeout: 3) { client.peerClosed })
            #expect(client.goAwayLastStreamIDs == [id])
        }
    }

    @Test("A connection that never sends the HTTP/2 preface is closed after the handshake timeout")
    func handshakeTimeout() async throws {
        try await withEchoServer(configure: { $0.handshakeTimeout = .milliseconds(200) }) { _, port, _ in
            let raw = try H2TestClient(port: port, startSession: false)
            let start = Date()
            #expect(raw.waitForPeerClose(timeout: 3))
            #expect(Date().timeIntervalSince(start) < 2)
        }
    }

    @Test("Connections over maxConnections are closed on accept")
    func maxConnections() async throws {
        try await withEchoServer(configure: { $0.maxConnections = 1 }) { server, port, _ in
            let first = try H2TestClient(port: port)
            let id = first.request(path: unary, chunks: [H2TestClient.frame([1])])
            #expect(first.run { first.responses[id]!.closed })
            let second = try H2TestClient(port: port)
            #expect(second.waitForPeerClose(timeout: 3))
            #expect(server.metrics.connectionsRejected == 1 && server.metrics.connectionsOpen == 1)
        }
    }

    @Test("Rapid Reset: a client opening and resetting streams faster than the reset budget gets GOAWAY")
    func rapidReset() async throws {
        try await withEchoServer(configure: { $0.http2.resetBurst = 50; $0.http2.resetRatePerSecond = 1 }) { _, port, _ in
            let client = try H2TestClient(port: port)
            #expect(client.run { client.settingsReceived })
            for _ in 0..<100 {
                let id = client.request(path: "/test.Echo/Never", chunks: [H2TestClient.frame([])])
                client.flush()  // HEADERS must be out, or nghttp2 drops the stream instead of resetting it
                client.reset(id)
            }
            // GOAWAY, then the connection closes (the close can reset our socket before we read the GOAWAY).
            #expect(client.run(timeout: 5) { client.peerClosed })
        }
    }

    @Test("PING flood: a client that sends PINGs but never reads the ACKs is disconnected")
    func pingFlood() async throws {
        try await withEchoServer(configure: { $0.http2.maxOutboundAcks = 100 }) { _, port, _ in
            let client = try H2TestClient(port: port)
            #expect(client.run { client.settingsReceived })
            let start = Date()
            while !client.peerClosed && Date().timeIntervalSince(start) < 10 {
                for _ in 0..<10_000 { client.ping() }
                client.flushNonBlocking(timeout: 0.5)
                // Check without consuming the ACKs: is the socket closed by the server?
                var byte: UInt8 = 0
                let peeked = recv(client.fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
                if peeked == 0 { client.peerClosed = true }
                if peeked < 0 && errno == ECONNRESET { client.peerClosed = true }
            }
            #expect(client.peerClosed)
        }
    }

    // MARK: - Shutdown

    @Test("Graceful shutdown: GOAWAY with the last stream id, in-flight calls complete, later streams refused")
    func gracefulShutdown() async throws {
        let probe = EchoProbe()
        try await withEchoServer(probe: probe) { server, port, _ in
            let client = try H2TestClient(port: port)
            let id = client.request(path: "/test.Echo/Slow", chunks: [H2TestClient.frame([7])])
            client.run(timeout: 5) { probe.handlerCalls.load(ordering: .relaxed) == 1 }
            let shutdown = Task { await server.shutdown() }
            #expect(client.run { client.goAwayLastStreamIDs.count == 2 })
            #expect(client.goAwayLastStreamIDs == [0x7FFF_FFFF, id])
            let late = client.request(path: unary, chunks: [H2TestClient.frame([1])])
            #expect(client.run { client.responses[id]!.closed && client.responses[late]!.closed })
            #expect(client.responses[id]!.messages == [[7]] && client.responses[id]!.grpcStatus == 0)
            #expect(client.responses[late]!.errorCode == 7 && client.responses[late]!.headerBlocks.isEmpty)
            #expect(client.run(timeout: 3) { client.peerClosed })
            await shutdown.value
            #expect(throws: (any Error).self) { _ = try H2TestClient(port: port) }
        }
    }

    @Test("Calls still open when the shutdown grace period ends are cancelled")
    func shutdownGracePeriodCancels() async throws {
        let probe = EchoProbe()
        try await withEchoServer(configure: { $0.shutdownGracePeriod = .milliseconds(300) }, probe: probe) { server, port, _ in
            let client = try H2TestClient(port: port)
            let id = client.request(path: "/test.Echo/Never", chunks: [H2TestClient.frame([])])
            client.run(timeout: 5) { probe.handlerCalls.load(ordering: .relaxed) == 1 }
            let start = Date()
            let shutdown = Task { await server.shutdown() }
            #expect(client.run(timeout: 5) { client.peerClosed })
            await shutdown.value
            #expect(Date().timeIntervalSince(start) < 3)
            #expect(client.responses[id]!.resetReceived == 8 || client.responses[id]!.errorCode == 8)
            #expect(probe.cancellations.load(ordering: .relaxed) == 1)
        }
    }
}
