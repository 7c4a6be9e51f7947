import MicroStateHTTP2
import NIOConcurrencyHelpers
import NIOCore

/// A gRPC client over one HTTP/2 connection (nghttp2 client session on SwiftNIO).
///
/// The connection is opened lazily on the first call and shared by every call (many concurrent streams; requests
/// beyond the server's `SETTINGS_MAX_CONCURRENT_STREAMS` wait for a free stream). After it closes or receives
/// GOAWAY, the next call opens a new one. A failed connect fails the calls waiting on it with UNAVAILABLE; the
/// next call tries again (no backoff: callers that retry should back off themselves).
///
/// All of the client's state, its connections and its calls live on one event loop taken from the group.
///
/// - Important: call `close()` when done; it closes the connection and fails calls still running.
public final class RPCClient: Sendable {
    /// The client's version as sent in `user-agent`.
    public static let userAgent = "microstatedb/0.1 (swift; nghttp2)"

    private let configuration: RPCClientConfiguration
    private let eventLoop: any EventLoop
    private let connections: ClientConnectionManager

    /// Creates a client; no connection is made until the first call.
    public init(configuration: RPCClientConfiguration, group: any EventLoopGroup) {
        self.configuration = configuration
        self.eventLoop = group.next()
        self.connections = ClientConnectionManager(configuration: configuration, eventLoop: self.eventLoop)
    }

    /// Unary call: sends `request` as one message and returns the one response message.
    ///
    /// Sends `grpc-timeout` from `timeout` (or `defaultTimeout`) and enforces the same deadline locally.
    ///
    /// - Throws: `RPCError` only: the server's code and (percent-decoded) message for a non-OK status; UNAVAILABLE
    ///   when the connection cannot be made or fails; DEADLINE_EXCEEDED when the deadline passes (the stream is reset);
    ///   CANCELLED when the calling task is cancelled (RST_STREAM(CANCEL) is sent).
    public func unary(
        path: String,
        request: [UInt8],
        metadata: Metadata = [:],
        timeout: TimeAmount? = nil
    ) async throws(RPCError) -> [UInt8] {
        let call = ClientCall(
            kind: .unary,
            eventLoop: self.eventLoop,
            maxReceiveMessageBytes: self.configuration.maxReceiveMessageBytes
        )
        let timeout = timeout ?? self.configuration.defaultTimeout
        let result: Result<[UInt8], RPCError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                self.eventLoop.execute {
                    self.begin(call, path: path, request: request, metadata: metadata, timeout: timeout)
                    call.setUnaryContinuation(continuation)
                }
            }
        } onCancel: {
            call.eventLoop.execute {
                call.fail(RPCError(code: .cancelled, message: "the call was cancelled by the caller"))
            }
        }
        return try result.get()
    }

    /// Server-streaming call: sends `request` as one message; the stream yields each response message.
    ///
    /// The call starts when the stream is first iterated. The stream finishes normally on status OK and throws
    /// `RPCError` otherwise (same mapping as `unary`). Cancelling the consuming task, or dropping the stream or its
    /// iterator, resets the HTTP/2 stream. A consumer that stops pulling makes the server stop sending once the
    /// stream's flow-control window is full (`HTTP2ClientConfiguration.streamWindowBytes`), so a slow consumer does
    /// not grow memory.
    public func serverStreaming(
        path: String,
        request: [UInt8],
        metadata: Metadata = [:],
        timeout: TimeAmount? = nil
    ) -> AsyncThrowingStream<[UInt8], any Error> {
        let source = ClientStreamingSource(
            client: self,
            path: path,
            request: request,
            metadata: metadata,
            timeout: timeout ?? self.configuration.defaultTimeout
        )
        return AsyncThrowingStream(unfolding: { try await source.next() })
    }

    /// Server-streaming call like `serverStreaming`, yielding the messages in the batches they arrived in (every
    /// message received since the consumer last asked, at least one): one suspension per batch instead of per
    /// message, for consumers of high-rate streams (replication, fan-out benchmarks).
    public func serverStreamingBatches(
        path: String,
        request: [UInt8],
        metadata: Metadata = [:],
        timeout: TimeAmount? = nil
    ) -> AsyncThrowingStream<[[UInt8]], any Error> {
        let source = ClientStreamingSource(
            client: self,
            path: path,
            request: request,
            metadata: metadata,
            timeout: timeout ?? self.configuration.defaultTimeout
        )
        return AsyncThrowingStream(unfolding: { try await source.nextBatch() })
    }

    /// Closes the connection; calls still running fail with UNAVAILABLE and later calls fail at once.
    public func close() async {
        let future = self.eventLoop.flatSubmit {
            self.connections.close()
        }
        try? await future.get()
    }

    // MARK: - Internals (on the event loop)

    fileprivate func makeStreamingCall() -> ClientCall {
        ClientCall(
            kind: .serverStreaming,
            eventLoop: self.eventLoop,
            maxReceiveMessageBytes: self.configuration.maxReceiveMessageBytes
        )
    }

    fileprivate func begin(
        _ call: ClientCall,
        path: String,
        request: [UInt8],
        metadata: Metadata,
        timeout: TimeAmount?
    ) {
        self.eventLoop.assertInEventLoop()
        guard !call.isFinished else {
            return  // cancelled before it began
        }
        self.configuration.onCallStarted?(path)
        if let finished = self.configuration.onCallFinished {
            let started = NIODeadline.now()
            call.onComplete = { code in finished(path, code, .now() - started) }
        }
        let deadline = timeout.map { NIODeadline.now() + $0 }
        if let deadline {
            call.armDeadline(deadline)
        }
        let framed = GRPCMessageFramer.framed(request)
        self.connections.connection().whenComplete { result in
            switch result {
            case .success(let connection):
                let headers = self.requestHeaders(path: path, metadata: metadata, deadline: deadline)
                call.start(on: connection, headers: headers, request: framed)
            case .failure(let error):
                call.fail(error as? RPCError ?? RPCError(code: .unavailable, message: "\(error)", cause: error))
            }
        }
    }

    /// Request headers (PROTOCOL-HTTP2.md, "Requests"): pseudo-headers first, then the call definition, then
    /// custom metadata (reserved names in `metadata` are skipped: they would corrupt the call definition).
    func requestHeaders(path: String, metadata: Metadata, deadline: NIODeadline?) -> [HTTP2ClientHeader] {
        var headers: [HTTP2ClientHeader] = [
            HTTP2ClientHeader(":method", "POST"),
            HTTP2ClientHeader(":scheme", "http"),
            HTTP2ClientHeader(":path", path),
            HTTP2ClientHeader(":authority", "\(self.configuration.host):\(self.configuration.port)"),
            HTTP2ClientHeader("content-type", "application/grpc"),
            HTTP2ClientHeader("te", "trailers"),
            HTTP2ClientHeader("user-agent", Self.userAgent),
        ]
        if let deadline {
            headers.append(HTTP2ClientHeader("grpc-timeout", GRPCTimeout.encode(deadline - .now())))
        }
        for (name, value) in metadata where !Metadata.isReserved(name) {
            headers.append(HTTP2ClientHeader(name, value))
        }
        return headers
    }
}

/// Pulls one server-streaming call for `AsyncThrowingStream(unfolding:)`. Dropping it (the stream and its iterator
/// are gone, or the consuming task was cancelled) resets the call.
/// A batch taken from a call, returned one message at a time.
private struct TakenMessages {
    var messages: [[UInt8]] = []
    var index = 0

    mutating func next() -> [UInt8]? {
        guard self.index < self.messages.count else {
            if !self.messages.isEmpty {
                self.messages = []
                self.index = 0
            }
            return nil
        }
        defer { self.index += 1 }
        return self.messages[self.index]
    }
}

private final class ClientStreamingSource: Sendable {
    private let client: RPCClient
    private let call: ClientCall
    private let path: String
    private let request: [UInt8]
    private let metadata: Metadata
    private let timeout: TimeAmount?
    /// Touched only on the call's event loop.
    private let started: NIOLoopBoundBox<Bool>
    /// Messages taken from the call in one hop and not yet returned (`next` is called serially by the stream).
    private let taken = NIOLockedValueBox(TakenMessages())

    init(client: RPCClient, path: String, request: [UInt8], metadata: Metadata, timeout: TimeAmount?) {
        self.client = client
        self.call = client.makeStreamingCall()
        self.path = path
        self.request = request
        self.metadata = metadata
        self.timeout = timeout
        self.started = NIOLoopBoundBox.makeBoxSendingValue(false, eventLoop: self.call.eventLoop)
    }

    deinit {
        let call = self.call
        call.eventLoop.execute {
            call.fail(RPCError(code: .cancelled, message: "the response stream was dropped"))
        }
    }

    func next() async throws -> [UInt8]? {
        if let message = self.taken.withLockedValue({ $0.next() }) {
            return message
        }
        guard let batch = try await self.nextBatch() else {
            return nil
        }
        self.taken.withLockedValue { $0 = TakenMessages(messages: batch, index: 1) }
        return batch[0]
    }

    /// The next batch of messages (never empty), nil at the end of a successful call.
    func nextBatch() async throws -> [[UInt8]]? {
        let call = self.call
        let result: Result<[[UInt8]], RPCError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                call.eventLoop.execute {
                    if !self.started.value {
                        self.started.value = true
                        self.client.begin(
                            call, path: self.path, request: self.request, metadata: self.metadata, timeout: self.timeout
                        )
                    }
                    call.nextBatch(continuation)
                }
            }
        } onCancel: {
            call.eventLoop.execute {
                call.fail(RPCError(code: .cancelled, message: "the consuming task was cancelled"))
            }
        }
        let batch = try result.get()
        return batch.isEmpty ? nil : batch
    }
}

/// The client's one shared connection: opened on demand, replaced once it stops accepting streams.
/// Confined to the client's event loop.
private final class ClientConnectionManager: @unchecked Sendable {
    private enum State {
        case idle
        case connecting(EventLoopFuture<HTTP2ClientConnection>, generation: Int)
        case ready(HTTP2ClientConnection)
        case closed
    }

    private let configuration: RPCClientConfiguration
    private let eventLoop: any EventLoop
    private var state = State.idle
    private var generation = 0

    init(configuration: RPCClientConfiguration, eventLoop: any EventLoop) {
        self.configuration = configuration
        self.eventLoop = eventLoop
    }

    func connection() -> EventLoopFuture<HTTP2ClientConnection> {
        self.eventLoop.assertInEventLoop()
        switch self.state {
        case .ready(let connection) where connection.isAcceptingStreams:
            return self.eventLoop.makeSucceededFuture(connection)
        case .connecting(let future, _):
            return future
        case .closed:
            return self.eventLoop.makeFailedFuture(RPCError(code: .unavailable, message: "the client is closed"))
        case .idle, .ready:
            return self.connect()
        }
    }

    private func connect() -> EventLoopFuture<HTTP2ClientConnection> {
        self.generation += 1
        let generation = self.generation
        let target = "\(self.configuration.host):\(self.configuration.port)"
        let future = HTTP2ClientConnection.connect(
            host: self.configuration.host,
            port: self.configuration.port,
            eventLoop: self.eventLoop,
            configuration: self.configuration.http2,
            connectTimeout: self.configuration.connectTimeout
        ).flatMapErrorThrowing { error in
            throw RPCError(code: .unavailable, message: "cannot connect to \(target): \(error)", cause: error)
        }
        self.state = .connecting(future, generation: generation)
        // Registered before any caller's callback, so the state is updated before calls use the connection.
        future.whenComplete { result in
            guard case .connecting(_, let current) = self.state, current == generation else {
                if case .success(let connection) = result {
                    _ = connection.close()  // the client closed meanwhile
                }
                return
            }
            switch result {
            case .success(let connection):
                self.state = .ready(connection)
            case .failure:
                self.state = .idle
            }
        }
        return future
    }

    func close() -> EventLoopFuture<Void> {
        self.eventLoop.assertInEventLoop()
        let previous = self.state
        self.state = .closed
        switch previous {
        case .ready(let connection):
            return connection.close()
        case .connecting(let future, _):
            return future.flatMap { $0.close() }.recover { _ in }
        case .idle, .closed:
            return self.eventLoop.makeSucceededVoidFuture()
        }
    }
}
