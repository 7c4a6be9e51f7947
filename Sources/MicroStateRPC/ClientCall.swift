import MicroStateHTTP2
import NIOCore

/// One client call (unary or server-streaming) from connection to outcome.
///
/// Every mutable field is touched only on `eventLoop` (the client's loop, which is also the loop of every
/// connection it makes and so of every stream event); that is what the `@unchecked Sendable` relies on, and
/// each entry point asserts it.
///
/// Receive-side memory of a streaming call is bounded by flow control: the stream is opened without
/// `autoConsume`, and received DATA is returned to the stream window only once the consumer has taken the
/// messages it holds (`received - queuedBytes` is consumed; see `updateConsumption`). So a consumer that stops
/// pulling makes the server stop after `HTTP2ClientConfiguration.streamWindowBytes` more bytes, and the call
/// buffers at most about that window plus one message (`maxReceiveMessageBytes`).
final class ClientCall: @unchecked Sendable {
    enum Kind {
        case unary
        case serverStreaming
    }

    let eventLoop: any EventLoop
    private let kind: Kind
    private var machine: ClientCallStateMachine
    private var stream: HTTP2ClientStream?
    private var deadlineTask: Scheduled<Void>?
    private var outcome: Result<Void, RPCError>?
    private var outcomeDelivered = false
    /// Told the call's status code once, when it ends (the client metrics hook).
    var onComplete: ((Status.Code) -> Void)?

    // Unary.
    private var unaryContinuation: CheckedContinuation<Result<[UInt8], RPCError>, Never>?
    private var unaryResponse: ByteBuffer?

    // Server streaming.
    private var queue = CircularBuffer<ByteBuffer>()
    /// Bytes (with their 5-byte prefixes) of the messages in `queue`.
    private var queuedBytes = 0
    private var receivedBytes = 0
    private var consumedBytes = 0
    /// A consumer waiting for messages: resumed with every queued message at once (empty = the call ended OK).
    private var waiter: CheckedContinuation<Result<[[UInt8]], RPCError>, Never>?

    init(kind: Kind, eventLoop: any EventLoop, maxReceiveMessageBytes: Int) {
        self.kind = kind
        self.eventLoop = eventLoop
        self.machine = ClientCallStateMachine(maxMessageBytes: maxReceiveMessageBytes)
    }

    /// Arms the local deadline (covers connecting too). The deadline resets the stream and fails the call with
    /// DEADLINE_EXCEEDED even if the server never answers.
    func armDeadline(_ deadline: NIODeadline) {
        self.eventLoop.assertInEventLoop()
        self.deadlineTask = self.eventLoop.scheduleTask(deadline: deadline) { [self] in
            self.fail(RPCError(code: .deadlineExceeded, message: "the deadline passed before the call completed"))
        }
    }

    var isFinished: Bool {
        self.outcome != nil
    }

    /// Opens the stream on `connection` unless the call already ended (cancelled or timed out while connecting).
    func start(on connection: HTTP2ClientConnection, headers: [HTTP2ClientHeader], request: ByteBuffer) {
        self.eventLoop.assertInEventLoop()
        guard self.outcome == nil else {
            return
        }
        self.stream = connection.makeStream(
            headers: headers,
            body: request,
            autoConsume: self.kind == .unary
        ) { [self] event in
            self.handle(event)
        }
    }

    /// Fails the call before or during the stream (connect failure, deadline, cancellation); resets the stream.
    func fail(_ error: RPCError) {
        self.eventLoop.assertInEventLoop()
        self.complete(.failure(error), resetStream: true)
    }

    // MARK: Unary

    func setUnaryContinuation(_ continuation: CheckedContinuation<Result<[UInt8], RPCError>, Never>) {
        self.eventLoop.assertInEventLoop()
        precondition(self.unaryContinuation == nil)
        self.unaryContinuation = continuation
        self.deliverUnaryIfDone()
    }

    // MARK: Server streaming

    /// Every message received and not yet taken (at least one, waiting if there is none), an empty batch at the end
    /// of a successful call, or the call's error (once).
    ///
    /// Batches, not single messages: each call hops from the consumer's task to the event loop and back, and at a
    /// high message rate one hop pair per message cost more than the messages (found with 100 subscribers at
    /// 10,000 events/s: two futex wake-ups per message). Memory stays bounded by the stream window.
    func nextBatch(_ continuation: CheckedContinuation<Result<[[UInt8]], RPCError>, Never>) {
        self.eventLoop.assertInEventLoop()
        precondition(self.waiter == nil, "concurrent next() on one call")
        if !self.queue.isEmpty {
            continuation.resume(returning: .success(self.takeQueued()))
        } else if let outcome = self.outcome {
            continuation.resume(returning: self.takeFinalStreamingResult(outcome))
        } else {
            self.waiter = continuation
        }
    }

    /// Empties `queue` and returns its window to the stream.
    private func takeQueued() -> [[UInt8]] {
        var batch: [[UInt8]] = []
        batch.reserveCapacity(self.queue.count)
        while let message = self.queue.popFirst() {
            batch.append(Array(message.readableBytesView))
        }
        self.queuedBytes = 0
        self.updateConsumption()
        return batch
    }

    // MARK: Events

    private func handle(_ event: HTTP2ClientStreamEvent) {
        self.eventLoop.assertInEventLoop()
        if case .data(let bytes) = event, self.kind == .serverStreaming {
            self.receivedBytes += bytes.readableBytes
        }
        let output = self.machine.receive(event)
        for message in output.messages {
            self.deliver(message)
        }
        if self.kind == .serverStreaming {
            if let waiter = self.waiter, !self.queue.isEmpty {
                self.waiter = nil
                waiter.resume(returning: .success(self.takeQueued()))
            }
            self.updateConsumption()
        }
        if let outcome = output.outcome {
            self.complete(outcome, resetStream: output.resetStream)
        }
    }

    private func deliver(_ message: ByteBuffer) {
        guard self.outcome == nil else {
            return
        }
        switch self.kind {
        case .unary:
            guard self.unaryResponse == nil else {
                self.complete(
                    .failure(RPCError(code: .internalError, message: "unary call received more than one response message")),
                    resetStream: true
                )
                return
            }
            self.unaryResponse = message
        case .serverStreaming:
            // Queued even when a consumer waits: `handle` hands it everything the event carried at once.
            self.queue.append(message)
            self.queuedBytes += message.readableBytes + GRPCMessageDeframer.prefixBytes
        }
    }

    /// Returns to the stream window every received byte not held in `queue` (see the type's doc).
    private func updateConsumption() {
        let releasable = self.receivedBytes - self.queuedBytes
        if releasable > self.consumedBytes, let stream = self.stream {
            stream.consume(releasable - self.consumedBytes)
            self.consumedBytes = releasable
        }
    }

    private func complete(_ outcome: Result<Void, RPCError>, resetStream: Bool) {
        guard self.outcome == nil else {
            return
        }
        self.outcome = outcome
        if let onComplete = self.onComplete {
            self.onComplete = nil
            switch outcome {
            case .success: onComplete(.ok)
            case .failure(let error): onComplete(error.code)
            }
        }
        self.deadlineTask?.cancel()
        self.deadlineTask = nil
        if resetStream {
            self.stream?.reset()
        }
        switch self.kind {
        case .unary:
            self.deliverUnaryIfDone()
        case .serverStreaming:
            if case .failure = outcome {
                // Messages not yet taken are dropped with the failure; their window no longer matters.
                self.queue.removeAll()
                self.queuedBytes = 0
            }
            if let waiter = self.waiter {
                self.waiter = nil
                waiter.resume(returning: self.takeFinalStreamingResult(outcome))
            }
        }
    }

    private func takeFinalStreamingResult(_ outcome: Result<Void, RPCError>) -> Result<[[UInt8]], RPCError> {
        if self.outcomeDelivered {
            return .success([])
        }
        self.outcomeDelivered = true
        switch outcome {
        case .success: return .success([])
        case .failure(let error): return .failure(error)
        }
    }

    private func deliverUnaryIfDone() {
        guard let outcome = self.outcome, let continuation = self.unaryContinuation else {
            return
        }
        self.unaryContinuation = nil
        switch outcome {
        case .success:
            if let response = self.unaryResponse {
                continuation.resume(returning: .success(Array(response.readableBytesView)))
            } else {
                continuation.resume(
                    returning: .failure(RPCError(code: .internalError, message: "unary call ended OK without a response message"))
                )
            }
        case .failure(let error):
            continuation.resume(returning: .failure(error))
        }
    }
}
