import Atomics
import NIOCore
import NIOPosix

/// One header field of a request or response (names lower-case, as HTTP/2 requires).
public struct HTTP2ClientHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// What happens on a client stream, delivered in order on the connection's event loop.
public enum HTTP2ClientStreamEvent: Sendable {
    /// A complete header block: response headers (or 1xx informational headers), or trailers when
    /// `endStream` is set (which is also how a trailers-only response arrives).
    case headers([HTTP2ClientHeader], endStream: Bool)
    /// A chunk of the response body (one DATA frame's payload, or part of it).
    case data(ByteBuffer)
    /// The peer ended the stream with END_STREAM on a DATA frame (no trailers follow).
    case endStream
    /// The stream is gone; no further events follow.
    case closed(HTTP2ClientStreamCloseReason)
}

/// Why a client stream closed.
public enum HTTP2ClientStreamCloseReason: Sendable, Hashable {
    /// Both sides ended the stream (NO_ERROR).
    case finished
    /// The peer sent RST_STREAM with this HTTP/2 error code (RFC 9113 §7).
    case resetByPeer(errorCode: UInt32)
    /// We reset it (`HTTP2ClientStream.reset()`).
    case resetLocally
    /// The peer never processed the request: REFUSED_STREAM, a stream above a GOAWAY's last-stream-id, or
    /// a request that could not be sent on a closing connection. Safe to retry on a new connection.
    case refused(String)
    /// The connection failed or closed under the stream (it may or may not have been processed).
    case connectionFailed(String)
    /// A local limit or protocol check failed (for example the header list was too large).
    case protocolError(String)
}

/// HTTP/2 error codes we send or interpret (RFC 9113 §7).
public enum HTTP2ClientErrorCode {
    public static let noError: UInt32 = 0x0
    public static let protocolError: UInt32 = 0x1
    public static let internalError: UInt32 = 0x2
    public static let flowControlError: UInt32 = 0x3
    public static let settingsTimeout: UInt32 = 0x4
    public static let streamClosed: UInt32 = 0x5
    public static let frameSizeError: UInt32 = 0x6
    public static let refusedStream: UInt32 = 0x7
    public static let cancel: UInt32 = 0x8
    public static let compressionError: UInt32 = 0x9
    public static let connectError: UInt32 = 0xa
    public static let enhanceYourCalm: UInt32 = 0xb
    public static let inadequateSecurity: UInt32 = 0xc
    public static let http11Required: UInt32 = 0xd
}

/// One HTTP/2 client connection: a TCP channel with an nghttp2 client session on it.
///
/// Many streams run concurrently on it; streams beyond the peer's `SETTINGS_MAX_CONCURRENT_STREAMS` wait inside
/// nghttp2 until others close. Thread-safe: every method may be called from any thread; the work hops to the
/// connection's event loop (and runs at once when already there).
///
/// - Important: call `close()` when done; the connection also closes itself after a GOAWAY once its last stream
///   ends. Check `isAcceptingStreams` before opening a stream and open a new connection when it is false.
public final class HTTP2ClientConnection: Sendable {
    /// The TCP channel.
    public let channel: any Channel
    private let handler: NIOLoopBound<HTTP2ClientConnectionHandler>
    private let accepting: ManagedAtomic<Bool>

    private init(channel: any Channel, handler: NIOLoopBound<HTTP2ClientConnectionHandler>, accepting: ManagedAtomic<Bool>) {
        self.channel = channel
        self.handler = handler
        self.accepting = accepting
    }

    /// The event loop every stream event is delivered on.
    public var eventLoop: any EventLoop {
        self.channel.eventLoop
    }

    /// False once the connection is closing: after a GOAWAY was received or sent, after stream IDs ran out,
    /// or after it closed. New streams then go to a new connection.
    public var isAcceptingStreams: Bool {
        self.accepting.load(ordering: .acquiring)
    }

    /// Completes when the TCP connection has closed.
    public var closeFuture: EventLoopFuture<Void> {
        self.channel.closeFuture
    }

    /// Opens a TCP connection to `host:port` on `eventLoop` and starts an HTTP/2 client session on it
    /// (connection preface + SETTINGS are sent as soon as it is connected).
    ///
    /// - Returns: a future failing with the socket error when the connection cannot be made in `connectTimeout`.
    public static func connect(
        host: String,
        port: Int,
        eventLoop: any EventLoop,
        configuration: HTTP2ClientConfiguration = .init(),
        connectTimeout: TimeAmount
    ) -> EventLoopFuture<HTTP2ClientConnection> {
        let accepting = ManagedAtomic(true)
        // The handler is kept from the initializer rather than looked up in the pipeline once connected: a peer
        // that answers and hangs up at once (an HTTP/1.1 server) may already have closed the channel and emptied
        // its pipeline, and the lookup would fail with a confusing `ChannelPipelineError.notFound`. Kept, the
        // connection is returned closed and its streams fail with `.connectionFailed`.
        let created = NIOLoopBoundBox.makeEmptyBox(valueType: HTTP2ClientConnectionHandler.self, eventLoop: eventLoop)
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = HTTP2ClientConnectionHandler(configuration: configuration, accepting: accepting)
                    created.value = handler
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: host, port: port)
            .flatMapThrowing { channel in
                guard let handler = created.value else {
                    throw ChannelError.ioOnClosedChannel
                }
                return HTTP2ClientConnection(
                    channel: channel,
                    handler: NIOLoopBound(handler, eventLoop: channel.eventLoop),
                    accepting: accepting
                )
            }
    }

    /// Starts a request: HEADERS, then `body` in DATA frames (flow-controlled), then END_STREAM.
    ///
    /// `headers` must hold the pseudo-headers first (`:method`, `:scheme`, `:path`, `:authority`). Events arrive
    /// on the connection's event loop through `onEvent`, ending with exactly one `.closed`. If the stream cannot be
    /// opened, `.closed(.refused)` is delivered.
    ///
    /// - Parameter autoConsume: return received DATA to the stream's flow-control window at once. When false the
    ///   owner must call `HTTP2ClientStream.consume(_:)` as it processes data, or the peer stalls after
    ///   `HTTP2ClientConfiguration.streamWindowBytes` unconsumed bytes. (The connection window is always
    ///   returned at once, so one slow stream never stalls the others.)
    public func makeStream(
        headers: [HTTP2ClientHeader],
        body: ByteBuffer?,
        autoConsume: Bool,
        onEvent: @escaping @Sendable (HTTP2ClientStreamEvent) -> Void
    ) -> HTTP2ClientStream {
        let stream = HTTP2ClientStream(connection: self)
        self.onLoop { handler in
            handler.openStream(stream, headers: headers, body: body, autoConsume: autoConsume, onEvent: onEvent)
        }
        return stream
    }

    /// Sends GOAWAY and closes the TCP connection. Streams still open end with `.connectionFailed`.
    public func close() -> EventLoopFuture<Void> {
        self.accepting.store(false, ordering: .releasing)
        self.onLoop { handler in
            handler.closeNow(reason: "the client closed the connection")
        }
        return self.channel.closeFuture
    }

    /// Runs `body` with the handler on the event loop: at once when already there, else enqueued. Enqueued work
    /// runs in submission order, so a reset always follows the open it refers to.
    fileprivate func onLoop(_ body: @escaping @Sendable (HTTP2ClientConnectionHandler) -> Void) {
        if self.channel.eventLoop.inEventLoop {
            body(self.handler.value)
        } else {
            let handler = self.handler
            self.channel.eventLoop.execute {
                body(handler.value)
            }
        }
    }
}

/// One client stream: a handle to reset it or return flow-control window. Thread-safe.
public final class HTTP2ClientStream: @unchecked Sendable {
    // `streamID` is written and read only on the connection's event loop (set when the request is submitted).
    internal var streamID: Int32 = 0
    private let connection: HTTP2ClientConnection

    fileprivate init(connection: HTTP2ClientConnection) {
        self.connection = connection
    }

    /// Sends RST_STREAM(CANCEL) (or cancels the request before it is sent). The stream then ends with
    /// `.closed(.resetLocally)` unless it had already closed. Idempotent.
    public func reset() {
        self.connection.onLoop { handler in
            handler.resetStream(self)
        }
    }

    /// Returns `bytes` of received DATA to the stream's flow-control window (needed only without
    /// `autoConsume`); nghttp2 sends WINDOW_UPDATE once enough is consumed.
    public func consume(_ bytes: Int) {
        precondition(bytes >= 0)
        guard bytes > 0 else {
            return
        }
        self.connection.onLoop { handler in
            handler.consume(self, bytes: bytes)
        }
    }
}
