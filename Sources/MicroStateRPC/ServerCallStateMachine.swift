import NIOCore

/// The protocol state of one server call: events in, actions out; `ServerCall` does the I/O.
///
/// Two shapes of call share it. A call with a single request message (unary and server-streaming) starts in
/// `receivingRequest` and runs its handler once the client has ended its side. A bidirectional-streaming call
/// starts in `awaitingStart`, runs its handler as soon as the request headers are accepted (`start`), and then
/// hands it each request message as it is deframed and the client's half-close (END_STREAM) as it arrives.
///
/// States:
/// - `receivingRequest(message:)`: request headers were accepted and a handler found; the request body is
///   being collected. `message` is the one request message once complete. The handler has not run.
/// - `running(responseHeadersSent:)`: the client ended its side with exactly one message and the handler
///   has it. Response messages may be sent; the first one sends the response headers first. A status with
///   no message sent before goes out Trailers-Only (one HEADERS with END_STREAM), so proxies such as Envoy
///   see `grpc-status` in the headers.
/// - `awaitingStart`: a bidirectional-streaming call whose handler has not been started yet (only between
///   `init(requestStreaming: true)` and `start()`, which `RPCServerConnection` calls right away).
/// - `streaming(requestOpen:responseHeadersSent:)`: a bidirectional-streaming call whose handler runs. While
///   `requestOpen`, each request message is delivered (`deliverMessage`); END_STREAM delivers the half-close
///   (`deliverEnd`) once and clears it. Responses may be sent in either case, and the handler may end the
///   call before the client half-closed (the HTTP/2 layer then resets the request side with NO_ERROR). A
///   malformed request body (oversize, compressed, truncated) ends the call with its status and cancels the
///   handler, as does the deadline.
/// - `closed`: the final status was sent, or the stream is gone (client RST_STREAM, connection closed).
///   Terminal.
///
/// An event that does not fit the state is not a programming error: it is a handler on another thread
/// racing a cancellation or the deadline, or a duplicate `finish`. Such events return `.drop` and change
/// nothing, which is what makes late `succeed`/`send`/`finish` harmless.
struct ServerCallStateMachine {
    enum State {
        case receivingRequest(message: ByteBuffer?)
        case running(responseHeadersSent: Bool)
        case awaitingStart
        case streaming(requestOpen: Bool, responseHeadersSent: Bool)
        case closed
    }

    enum Action {
        /// Nothing to do.
        case none
        /// The event came too late (call over); discard it.
        case drop
        /// Call the handler with the request message.
        case invokeHandler(ByteBuffer)
        /// Start the bidirectional-streaming handler (no request message yet).
        case invokeStreamingHandler
        /// Hand one request message to the running bidirectional-streaming handler.
        case deliverMessage(ByteBuffer)
        /// Tell the running bidirectional-streaming handler that the client half-closed.
        case deliverEnd
        /// Send one response message, preceded by the response headers when `withHeaders`.
        case sendMessage(withHeaders: Bool)
        /// End the call with `status`, Trailers-Only when no headers were sent. With `cancel`, the context is
        /// cancelled too (the end was not the handler's choice: deadline, protocol error after it ran).
        case sendStatus(Status, trailersOnly: Bool, cancel: Bool)
        /// The stream is gone without a status from us: cancel the context; the call ended with `code`.
        case cancel(Status.Code)
    }

    private(set) var state: State

    /// A call with one request message, or with `requestStreaming` a bidirectional-streaming call (then
    /// `start()` must follow).
    init(requestStreaming: Bool = false) {
        self.state = requestStreaming ? .awaitingStart : .receivingRequest(message: nil)
    }

    /// The request headers were accepted: a bidirectional-streaming call starts its handler now.
    mutating func start() -> Action {
        switch self.state {
        case .awaitingStart:
            self.state = .streaming(requestOpen: true, responseHeadersSent: false)
            return .invokeStreamingHandler
        case .receivingRequest, .running, .streaming, .closed:
            return .none
        }
    }

    /// A complete request message arrived.
    mutating func receivedMessage(_ message: ByteBuffer) -> Action {
        switch self.state {
        case .streaming(requestOpen: true, _):
            return .deliverMessage(message)
        case .awaitingStart:
            preconditionFailure("request data before the bidirectional-streaming call was started")
        case .receivingRequest(nil):
            self.state = .receivingRequest(message: message)
            return .none
        case .receivingRequest(.some):
            // grpc-java's UnaryServerCallListener / grpc-go: a second request message is a protocol violation
            // of the client, reported as INTERNAL; the handler never runs.
            self.state = .closed
            return .sendStatus(
                Status(code: .internalError, message: "more than one request message for a unary-request method"),
                trailersOnly: true,
                cancel: false
            )
        case .running, .streaming(requestOpen: false, _), .closed:
            // Data after END_STREAM cannot happen (nghttp2 rejects it); after our status it is ignored.
            return .drop
        }
    }

    /// The client ended its side (END_STREAM).
    mutating func receivedEnd() -> Action {
        switch self.state {
        case .receivingRequest(.some(let message)):
            self.state = .running(responseHeadersSent: false)
            return .invokeHandler(message)
        case .receivingRequest(nil):
            self.state = .closed
            return .sendStatus(
                Status(code: .internalError, message: "no request message for a unary-request method"),
                trailersOnly: true,
                cancel: false
            )
        case .streaming(requestOpen: true, let headersSent):
            self.state = .streaming(requestOpen: false, responseHeadersSent: headersSent)
            return .deliverEnd
        case .awaitingStart:
            preconditionFailure("request end before the bidirectional-streaming call was started")
        case .running, .streaming(requestOpen: false, _), .closed:
            return .drop
        }
    }

    /// The request body could not be deframed (oversize, compressed, truncated).
    mutating func receiveFailed(_ error: RPCError) -> Action {
        switch self.state {
        case .receivingRequest:
            self.state = .closed
            return .sendStatus(error.status, trailersOnly: true, cancel: false)
        case .streaming(requestOpen: true, let headersSent):
            // The handler runs: the end is forced on it, so its context is cancelled.
            self.state = .closed
            return .sendStatus(error.status, trailersOnly: !headersSent, cancel: true)
        case .awaitingStart:
            preconditionFailure("request data before the bidirectional-streaming call was started")
        case .running, .streaming(requestOpen: false, _), .closed:
            return .drop
        }
    }

    /// The handler sends a response message.
    mutating func sendMessage() -> Action {
        switch self.state {
        case .running(let headersSent):
            self.state = .running(responseHeadersSent: true)
            return .sendMessage(withHeaders: !headersSent)
        case .streaming(let requestOpen, let headersSent):
            self.state = .streaming(requestOpen: requestOpen, responseHeadersSent: true)
            return .sendMessage(withHeaders: !headersSent)
        case .receivingRequest, .awaitingStart, .closed:
            return .drop
        }
    }

    /// The handler ends the call with `status`; `cancel` when the end is forced on it (oversize response).
    mutating func finish(_ status: Status, cancel: Bool = false) -> Action {
        switch self.state {
        case .running(let headersSent), .streaming(_, let headersSent):
            self.state = .closed
            return .sendStatus(status, trailersOnly: !headersSent, cancel: cancel)
        case .receivingRequest, .awaitingStart, .closed:
            return .drop
        }
    }

    /// The `grpc-timeout` deadline passed.
    mutating func deadlineExceeded() -> Action {
        switch self.state {
        case .receivingRequest, .awaitingStart:
            self.state = .closed
            return .sendStatus(Status(code: .deadlineExceeded, message: "deadline exceeded"), trailersOnly: true, cancel: true)
        case .running(let headersSent), .streaming(_, let headersSent):
            self.state = .closed
            return .sendStatus(
                Status(code: .deadlineExceeded, message: "deadline exceeded"),
                trailersOnly: !headersSent,
                cancel: true
            )
        case .closed:
            return .none
        }
    }

    /// The HTTP/2 stream closed (error code 0 = normally, after both sides ended).
    mutating func streamClosed(errorCode: UInt32) -> Action {
        switch self.state {
        case .receivingRequest, .running, .awaitingStart, .streaming:
            self.state = .closed
            return .cancel(.cancelled)
        case .closed:
            return .none
        }
    }

    var isClosed: Bool {
        if case .closed = self.state { return true }
        return false
    }
}
