import MicroStateHTTP2
import MicroStateResilience
import NIOCore

/// One gRPC call on the server: receives the request parts of its HTTP/2 stream, runs the handler, and
/// turns handler results into response parts, following `ServerCallStateMachine`.
///
/// Loop-bound except where noted; `@unchecked Sendable` so `UnaryResponder` and `ServerStreamWriter` can carry
/// it to other threads, where they only touch the context's atomic flags and hop back with `execute`.
///
/// It is its own `ServerContext` (a subclass): the handler's view of the call and the call itself are one
/// allocation.
final class ServerCall: ServerContext, HTTP2ServerStreamDelegate {
    let stream: HTTP2ServerStream
    let connection: RPCServerConnection
    let method: RPCRouter.Method
    var machine: ServerCallStateMachine
    private var deframer: GRPCMessageDeframer
    private let started: NIODeadline
    private var deadlineTimer: Scheduled<Void>?
    private var writer: ServerStreamWriter?
    /// A bidirectional-streaming handler's request side; released when the call ends.
    private var requestHandler: RequestStreamHandler?
    /// Where a unary call stands with the connection's load shedding (`CallAdmission`).
    private var admissionState = AdmissionState.none
    /// Sent with a Trailers-Only status (the shedding pushback).
    private var extraTrailers: [HTTP2Header] = []

    private enum AdmissionState {
        /// Not subject (shedding off, or a streaming call), or refused.
        case none
        /// Holds a slot since `since`.
        case running(since: NIODeadline)
        /// Queued with its request message; the handler has not run.
        case waiting(LoadShedderTicket, ByteBuffer)
    }

    init(
        stream: HTTP2ServerStream,
        connection: RPCServerConnection,
        method: RPCRouter.Method,
        path: String,
        metadata: Metadata,
        deadline: NIODeadline?,
        started: NIODeadline
    ) {
        self.stream = stream
        self.connection = connection
        self.method = method
        self.machine = ServerCallStateMachine(requestStreaming: method.isRequestStreaming)
        self.deframer = GRPCMessageDeframer(maxMessageBytes: connection.configuration.maxReceiveMessageBytes)
        self.started = started
        super.init(
            path: path, metadata: metadata, deadline: deadline, eventLoop: connection.eventLoop,
            remoteAddress: connection.remoteAddress
        )
        if let deadline {
            self.deadlineTimer = self.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
                self.perform(self.machine.deadlineExceeded())
            }
        }
    }

    /// Starts a bidirectional-streaming handler; nothing for the other kinds, which start at the request's end.
    /// Called once by the connection right after the request headers were accepted.
    func start() {
        self.perform(self.machine.start())
    }

    /// The handler's view of this call.
    @inline(__always)
    var context: ServerContext { self }

    // MARK: - Request parts from HTTP/2

    func http2StreamReceivedData(_ bytes: UnsafeRawBufferPointer) {
        guard !self.machine.isClosed else { return }
        self.deframer.append(contentsOf: bytes)
        self.deframe()
    }

    /// The usual path: a slice of the connection's read buffer, adopted by the deframer without a copy when
    /// nothing is pending (a unary request is almost always one DATA frame).
    func http2StreamReceivedData(buffer: ByteBuffer) {
        guard !self.machine.isClosed else { return }
        self.deframer.append(buffer)
        self.deframe()
    }

    private func deframe() {
        do {
            while !self.machine.isClosed, let message = try self.deframer.next() {
                self.perform(self.machine.receivedMessage(message))
            }
        } catch {
            self.perform(self.machine.receiveFailed(error))
        }
    }

    func http2StreamReceivedEnd() {
        if self.deframer.pendingBytes > 0 {
            self.perform(
                self.machine.receiveFailed(
                    RPCError(code: .internalError, message: "request ended inside a message (\(self.deframer.pendingBytes) bytes pending)")
                )
            )
        } else {
            self.perform(self.machine.receivedEnd())
        }
    }

    func http2StreamClosed(errorCode: UInt32) {
        self.perform(self.machine.streamClosed(errorCode: errorCode))
    }

    func http2StreamDidDrain(bytesTaken: Int, queuedBytes: Int) {
        self.writer?.didDrain(bytes: bytesTaken)
    }

    // MARK: - Handler results (on the loop)

    func completeUnary(_ result: Result<[UInt8], RPCError>) {
        switch result {
        case .success(let message):
            let limit = self.connection.configuration.maxSendMessageBytes
            guard message.count <= limit else {
                self.perform(
                    self.machine.finish(
                        Status(
                            code: .resourceExhausted,
                            message: "response message of \(message.count) bytes exceeds the limit of \(limit) bytes"
                        )
                    )
                )
                return
            }
            guard case .sendMessage(let withHeaders) = self.machine.sendMessage() else { return }
            if withHeaders {
                self.stream.respond(headers: ServerResponseHeaders.responseHeaders, endStream: false)
            }
            self.stream.writeData { buffer in GRPCMessageFramer.frame(message, into: &buffer) }
            self.perform(self.machine.finish(.ok))
        case .failure(let error):
            self.perform(self.machine.finish(error.status))
        }
    }

    func sendStreamMessage(_ message: [UInt8], writer: ServerStreamWriter) {
        guard case .sendMessage(let withHeaders) = self.machine.sendMessage() else {
            return  // the call ended; `ended` already zeroed the queue count
        }
        if withHeaders {
            self.stream.respond(headers: ServerResponseHeaders.responseHeaders, endStream: false)
        }
        self.stream.writeData { buffer in GRPCMessageFramer.frame(message, into: &buffer) }
    }

    func sendStreamMessages(_ messages: [[UInt8]], writer: ServerStreamWriter) {
        guard case .sendMessage(let withHeaders) = self.machine.sendMessage() else {
            return  // the call ended; `ended` already zeroed the queue count
        }
        if withHeaders {
            self.stream.respond(headers: ServerResponseHeaders.responseHeaders, endStream: false)
        }
        self.stream.writeData { buffer in
            for message in messages {
                GRPCMessageFramer.frame(message, into: &buffer)
            }
        }
    }

    func sendFramed(_ framed: ByteBuffer, writer: ServerStreamWriter) {
        guard case .sendMessage(let withHeaders) = self.machine.sendMessage() else {
            return  // the call ended; `ended` already zeroed the queue count
        }
        if withHeaders {
            self.stream.respond(headers: ServerResponseHeaders.responseHeaders, endStream: false)
        }
        self.stream.writeData { buffer in
            var framed = framed
            buffer.writeBuffer(&framed)
        }
    }

    func finishStream(_ status: Status, cancel: Bool) {
        self.perform(self.machine.finish(status, cancel: cancel))
    }

    // MARK: - Actions

    private func perform(_ action: ServerCallStateMachine.Action) {
        switch action {
        case .none, .drop:
            return
        case .invokeHandler(let message):
            switch self.method {
            case .unary(let handler):
                if let admission = self.connection.admission {
                    switch admission.arrive(self) {
                    case .run:
                        self.admissionState = .running(since: .now())
                    case .wait(let ticket):
                        self.admissionState = .waiting(ticket, message)
                        return
                    case .reject(let pushback):
                        self.shed(pushbackMilliseconds: pushback, queued: false)
                        return
                    }
                }
                handler(message, self.context, UnaryResponder(call: self))
            case .serverStreaming(let handler):
                let writer = ServerStreamWriter(call: self)
                self.writer = writer
                handler(message, self.context, writer)
            case .bidirectionalStreaming:
                preconditionFailure("a bidirectional-streaming call starts with invokeStreamingHandler")
            }
        case .invokeStreamingHandler:
            guard case .bidirectionalStreaming(let handler) = self.method else {
                preconditionFailure("invokeStreamingHandler for a method with one request message")
            }
            let writer = ServerStreamWriter(call: self)
            self.writer = writer
            let requestHandler = handler(self.context, writer)
            // The handler may have finished the call already; then nothing more is delivered.
            if !self.machine.isClosed {
                self.requestHandler = requestHandler
            }
        case .deliverMessage(let message):
            self.requestHandler?.onMessage(message)
        case .deliverEnd:
            self.requestHandler?.onEnd()
        case .sendMessage:
            preconditionFailure("sendMessage is handled where the message is")
        case .sendStatus(let status, let trailersOnly, let cancel):
            if trailersOnly {
                self.stream.respond(headers: ServerResponseHeaders.trailersOnly(status) + self.extraTrailers, endStream: true)
            } else {
                self.stream.finish(trailers: ServerResponseHeaders.trailers(status))
            }
            self.ended(status: status, cancel: cancel)
        case .cancel(let code):
            self.ended(status: Status(code: code), cancel: true)
        }
    }

    // MARK: - Load shedding

    /// A queued unary call got a slot: its handler runs now.
    func admissionStarted() {
        guard case .waiting(_, let message) = self.admissionState, case .unary(let handler) = self.method else { return }
        self.admissionState = .running(since: .now())
        handler(message, self.context, UnaryResponder(call: self))
    }

    /// A queued unary call waited the longest queue time: refused without running.
    func admissionTimedOut(pushbackMilliseconds: UInt64) {
        guard case .waiting = self.admissionState else { return }
        self.admissionState = .none
        self.shed(pushbackMilliseconds: pushbackMilliseconds, queued: true)
    }

    private func shed(pushbackMilliseconds: UInt64, queued: Bool) {
        self.extraTrailers = [HTTP2Header("grpc-retry-pushback-ms", String(pushbackMilliseconds))]
        let why = queued ? "waited the longest queue time" : "the queue is full"
        self.perform(
            self.machine.finish(
                Status(
                    code: .resourceExhausted,
                    message: "node overloaded (\(why)); retry after \(pushbackMilliseconds) ms"
                )
            )
        )
    }

    private func ended(status: Status, cancel: Bool) {
        self.deadlineTimer?.cancel()
        self.deadlineTimer = nil
        switch self.admissionState {
        case .none:
            break
        case .running(let since):
            self.admissionState = .none
            self.connection.admission?.finished(serviceTime: .now() - since)
        case .waiting(let ticket, _):
            self.admissionState = .none
            self.connection.admission?.cancel(ticket)
        }
        // Its closures usually capture the writer, which holds this call: break the cycle.
        self.requestHandler = nil
        if cancel {
            self.context.cancel()
        } else {
            self.context.end()
        }
        if let writer = self.writer {
            // Nothing queued will ever be sent now: report an empty queue, so a producer woken below (or checking
            // `queuedBytes`) moves on to `send`, which returns false, instead of waiting again.
            writer.queued.store(0, ordering: .relaxed)
            writer.runWaiters(all: true)
        }
        self.connection.callFinished(path: self.context.path, code: status.code, started: self.started)
        RPCServerConnection.notify(self.context.observers, status: status, started: self.started)
        if status.code != .ok, let hook = self.connection.configuration.onCallFailed {
            hook(self.context, status, .now() - self.started)
        }
    }
}
