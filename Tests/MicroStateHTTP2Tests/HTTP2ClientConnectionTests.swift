import MicroStateHTTP2
import NIOCore
import NIOPosix
import Testing

@Suite("HTTP/2 client connection")
struct HTTP2ClientConnectionTests {
    @Test("Connecting to a closed port fails the connect future")
    func connectionRefused() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        // Bind then close a listener to get a port nobody listens on.
        let listener = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = listener.localAddress!.port!
        try await listener.close()
        await #expect(throws: (any Error).self) {
            _ = try await HTTP2ClientConnection.connect(
                host: "127.0.0.1", port: port, eventLoop: group.next(), connectTimeout: .seconds(2)
            ).get()
        }
    }

    @Test("A peer that does not speak HTTP/2 fails the stream and closes the connection")
    func notHTTP2() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let listener = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(HTTP1Responder())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let connection = try await HTTP2ClientConnection.connect(
            host: "127.0.0.1", port: listener.localAddress!.port!, eventLoop: group.next(), connectTimeout: .seconds(2)
        ).get()
        let reason: HTTP2ClientStreamCloseReason = await withCheckedContinuation { continuation in
            _ = connection.makeStream(
                headers: [
                    HTTP2ClientHeader(":method", "GET"), HTTP2ClientHeader(":scheme", "http"),
                    HTTP2ClientHeader(":path", "/"), HTTP2ClientHeader(":authority", "x"),
                ],
                body: nil,
                autoConsume: true
            ) { event in
                if case .closed(let reason) = event {
                    continuation.resume(returning: reason)
                }
            }
        }
        switch reason {
        case .connectionFailed, .refused: break
        default: Issue.record("unexpected close reason \(reason)")
        }
        try await connection.closeFuture.get()
        #expect(!connection.isAcceptingStreams)
        try await listener.close()
    }
}

/// Answers anything with an HTTP/1.1 response, as a misconfigured proxy would.
private final class HTTP1Responder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let response = context.channel.allocator.buffer(string: "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        context.writeAndFlush(self.wrapOutboundOut(response), promise: nil)
    }
}
