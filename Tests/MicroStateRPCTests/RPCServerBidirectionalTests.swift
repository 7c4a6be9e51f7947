import Foundation
import MicroStateRPC
import NIOCore
import Testing

private let bidi = "/test.Echo/Bidi"

private func be32(_ value: UInt32) -> [UInt8] {
    [UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
}

@Suite("RPCServer bidirectional streaming over real HTTP/2 connections", .serialized)
struct RPCServerBidirectionalTests {
    @Test("Each request message is handed to the handler as it arrives, before the client half-closes")
    func messagesDeliveredOneByOne() async throws {
        try await withEchoServer { _, port, probe in
            let client = try H2TestClient(port: port)
            let id = client.request(path: bidi, chunks: [H2TestClient.frame([1])], end: false)
            #expect(client.run { client.responses[id]!.messages.count == 1 })
            #expect(client.responses[id]!.headerBlocks.count == 1, "response headers, no trailers yet")
            // Two messages in one DATA frame, then one split across two frames.
            let third = H2TestClient.frame([3, 3, 3])
            client.send(id, chunks: [H2TestClient.frame([2]) + Array(third[0..<4])], end: false)
            #expect(client.run { client.responses[id]!.messages.count == 2 })
            client.send(id, chunks: [Array(third[4...])], end: false)
            #expect(client.run { client.responses[id]!.messages.count == 3 })
            #expect(!client.responses[id]!.closed)
            client.send(id, chunks: [], end: true)
            #expect(client.run { client.responses[id]!.closed })
            let response = client.responses[id]!
            #expect(response.messages == [[1], [2], [3, 3, 3], be32(3)])
            #expect(response.grpcStatus == 0 && !response.isTrailersOnly)
            #expect(response.resetReceived == nil)
            #expect(probe.handlerCalls.load(ordering: .relaxed) == 1)
            #expect(probe.cancellations.load(ordering: .relaxed) == 0)
            #expect(probe.finishedCodes == [.ok])
        }
    }

    @Test("A request stream with no message reaches the handler's half-close; finishing with none is Trailers-Only")
    func emptyRequestStream() async throws {
        try await withEchoServer { _, port, probe in
            let client = try H2TestClient(port: port)
            let silent = client.request(path: "/test.Echo/BidiSilent")
            let counting = client.request(path: bidi)
            #expect(client.run { client.responses[silent]!.closed && client.responses[counting]!.closed })
            #expect(client.responses[silent]!.isTrailersOnly && client.responses[silent]!.grpcStatus == 0)
            #expect(client.responses[counting]!.messages == [be32(0)])
            #expect(client.responses[counting]!.grpcStatus == 0)
            #expect(probe.handlerCalls.load(ordering: .relaxed) == 2)
        }
    }

    @Test("A handler that finishes before the client half-closes ends the call OK, then RST_STREAM(NO_ERROR)")
    func handlerFinishesFirst() async throws {
        try await withEchoServer { _, port, probe in
            let client = try H2TestClient(port: port)
            let id = client.request(path: "/test.Echo/BidiFirst", chunks: [H2TestClient.frame([9]), H2TestClient.frame([8])], end: false)
            #expect(client.run { client.responses[id]!.closed })
            let response = client.responses[id]!
            #expect(response.messages == [[9]], "the second message is not delivered after finish")
            #expect(response.grpcStatus == 0)
            #expect(response.resetReceived == 0)
            #expect(probe.finishedCodes == [.ok])
        }
    }

    @Test(
        "A malformed request message mid-stream ends the call with its status after the earlier answers, and cancels the handler",
        arguments: [
            ("message over the receive limit", [[0, 0, 0, 0x10, 0]] as [[UInt8]], 8),
            ("compressed flag set", [H2TestClient.frame([1, 2, 3], compressed: true)], 12),
        ] as [(String, [[UInt8]], Int)]
    )
    func malformedMidStream(name: String, chunks: [[UInt8]], status: Int) async throws {
        try await withEchoServer(configure: { $0.maxReceiveMessageBytes = 1024 }) { _, port, probe in
            let client = try H2TestClient(port: port)
            let id = client.request(path: bidi, chunks: [H2TestClient.frame([1])], end: false)
            #expect(client.run { client.responses[id]!.messages.count == 1 }, "\(name)")
            client.send(id, chunks: chunks, end: false)
            #expect(client.run { client.responses[id]!.closed }, "\(name)")
            #expect(client.responses[id]!.messages == [[1]], "\(name)")
            #expect(client.responses[id]!.grpcStatus == status && !client.responses[id]!.isTrailersOnly, "\(name)")
            #expect(probe.cancellations.load(ordering: .relaxed) == 1, "\(name)")
            #expect(probe.finishedCodes == [Status.Code(rawValue: status)], "\(name)")
        }
    }

    @Test("A request that ends inside a message is INTERNAL and cancels the handler")
    func truncatedAtHalfClose() async throws {
        try await withEchoServer { _, port, probe in
            let client = try H2TestClient(port: port)
            let id = client.request(path: bidi, chunks: [[0, 0, 0, 0, 9, 1, 2]])
            #expect(client.run { client.responses[id]!.closed })
            #expect(client.responses[id]!.isTrailersOnly && client.responses[id]!.grpcStatus == 13)
            #expect(probe.cancellations.load(ordering: .relaxed) == 1)
        }
    }

    @Test("The deadline ends an open bidirectional call with DEADLINE_EXCEEDED and cancels the handler")
    func deadline() async throws {
        try await withEchoServer { _, port, probe in
            let client = try H2TestClient(port: port)
            let id = client.request(path: bidi, headers: [("grpc-timeout", "100m")], chunks: [H2TestClient.frame([5])], end: false)
            #expect(client.run { client.responses[id]!.closed })
            #expect(client.responses[id]!.messages == [[5]])
            #expect(client.responses[id]!.grpcStatus == 4)
            #expect(probe.cancellations.load(ordering: .relaxed) == 1)
            #expect(probe.finishedCodes == [.deadlineExceeded])
        }
    }

    @Test("A client RST_STREAM cancels an open bidirectional call; nothing is delivered after it")
    func clientReset() async throws {
        try await withEchoServer { server, port, probe in
            let client = try H2TestClient(port: port)
            let id = client.request(path: bidi, chunks: [H2TestClient.frame([5])], end: false)
            #expect(client.run { client.responses[id]!.messages.count == 1 })
            client.reset(id)
            #expect(client.run { probe.cancellations.load(ordering: .relaxed) == 1 })
            #expect(probe.finishedCodes == [.cancelled])
            #expect(server.metrics.streamsActive == 0)
        }
    }

    @Test("Unary methods still refuse a second request message although bidirectional ones take many")
    func unaryStillSingleMessage() async throws {
        try await withEchoServer { _, port, _ in
            let client = try H2TestClient(port: port)
            let unary = client.request(path: "/test.Echo/Unary", chunks: [H2TestClient.frame([1]), H2TestClient.frame([2])])
            let stream = client.request(path: bidi, chunks: [H2TestClient.frame([1]), H2TestClient.frame([2])])
            #expect(client.run { client.responses[unary]!.closed && client.responses[stream]!.closed })
            #expect(client.responses[unary]!.grpcStatus == 13)
            #expect(client.responses[stream]!.messages == [[1], [2], be32(2)])
        }
    }

    @Test("The router reports each method's kind, bidirectional ones as bidi_stream (the grpc_type metrics label)")
    func methodKinds() {
        let kinds = Dictionary(uniqueKeysWithValues: makeEchoRouter(probe: EchoProbe()).methodKinds.map { ($0.path, $0.kind) })
        #expect(kinds["/test.Echo/Bidi"] == .bidiStream)
        #expect(kinds["/test.Echo/Stream"] == .serverStream)
        #expect(kinds["/test.Echo/Unary"] == .unary)
    }
}
