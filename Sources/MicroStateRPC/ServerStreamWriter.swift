import Atomics
import NIOCore

/// Sends the response messages of a server-streaming or bidirectional-streaming call. Thread-safe.
///
/// - Important: the writer does not bound its queue by itself: a producer must pace itself with
///   `whenQueued(atMost:)` (HTTP/2 flow control then bounds memory by the client's reading speed), and must
///   call `finish` exactly once (later calls are ignored).
public final class ServerStreamWriter: @unchecked Sendable {
    let call: ServerCall
    /// Bytes sent with `send` and not yet taken by nghttp2 (includes the 5-byte prefixes).
    let queued = ManagedAtomic<Int>(0)
    /// Loop-only: handlers waiting for the queue to shrink.
    private var waiters: [(threshold: Int, handler: @Sendable () -> Void)] = []
    private var waiterCheckScheduled = false

    init(call: ServerCall) {
        self.call = call
    }

    /// Queues one response message; thread-safe. Returns false once the call has ended (finished/cancelled),
    /// and the message is dropped. A message larger than `maxSendMessageBytes` ends the call with
    /// RESOURCE_EXHAUSTED (and cancels it) and returns false.
    @discardableResult
    public func send(_ message: [UInt8]) -> Bool {
        guard !self.call.context.hasEnded else { return false }
        if message.count > self.call.connection.configuration.maxSendMessageBytes {
            self.finishForced(
                Status(
                    code: .resourceExhausted,
                    message: "response message of \(message.count) bytes exceeds the limit of \(self.call.connection.configuration.maxSendMessageBytes) bytes"
                )
            )
            return false
        }
        self.queued.wrappingIncrement(by: message.count + 5, ordering: .relaxed)
        if self.call.eventLoop.inEventLoop {
            self.call.sendStreamMessage(message, writer: self)
        } else {
            let call = self.call
            self.call.eventLoop.execute { call.sendStreamMessage(message, writer: self) }
        }
        return true
    }

    /// Queues several response messages at once (one hop and one copy into the stream's buffer instead of one per
    /// message); otherwise as `send(_:)`. Returns false once the call has ended, and the messages are dropped.
    @discardableResult
    public func send(contentsOf messages: [[UInt8]]) -> Bool {
        guard !self.call.context.hasEnded else { return false }
        guard !messages.isEmpty else { return true }
        let limit = self.call.connection.configuration.maxSendMessageBytes
        var bytes = 0
        for message in messages {
            if message.count > limit {
                self.finishForced(
                    Status(
                        code: .resourceExhausted,
                        message: "response message of \(message.count) bytes exceeds the limit of \(limit) bytes"
                    )
                )
                return false
            }
            bytes += message.count + 5
        }
        self.queued.wrappingIncrement(by: bytes, ordering: .relaxed)
        if self.call.eventLoop.inEventLoop {
            self.call.sendStreamMessages(messages, writer: self)
        } else {
            let call = self.call
            self.call.eventLoop.execute { call.sendStreamMessages(messages, writer: self) }
        }
        return true
    }

    /// Queues messages framed once for many calls (see `FramedMessages`); otherwise as `send(contentsOf:)`.
    @discardableResult
    public func send(_ framed: FramedMessages) -> Bool {
        guard !self.call.context.hasEnded else { return false }
        guard framed.count > 0 else { return true }
        let limit = self.call.connection.configuration.maxSendMessageBytes
        if framed.largestMessageBytes > limit {
            self.finishForced(
                Status(
                    code: .resourceExhausted,
                    message: "response message of \(framed.largestMessageBytes) bytes exceeds the limit of \(limit) bytes"
                )
            )
            return false
        }
        self.queued.wrappingIncrement(by: framed.buffer.readableBytes, ordering: .relaxed)
        if self.call.eventLoop.inEventLoop {
            self.call.sendFramed(framed.buffer, writer: self)
        } else {
            let call = self.call
            self.call.eventLoop.execute { call.sendFramed(framed.buffer, writer: self) }
        }
        return true
    }

    /// Bytes queued but not yet taken by HTTP/2 flow control (thread-safe read). 0 once the call has ended.
    public var queuedBytes: Int {
        self.queued.load(ordering: .relaxed)
    }

    /// Runs `handler` once, on the event loop, when queuedBytes drops to or below `threshold` (on the next loop
    /// tick if it already is). Also runs when the call ends, so a waiting producer always learns to stop (`send`
    /// then returns false).
    ///
    /// The handler never runs inside this call: a producer that sends and re-arms from its handler would
    /// otherwise recurse once per message while the queue stays short (a stack overflow found by the test suite
    /// once a call had ended and every re-arm completed at once).
    public func whenQueued(atMost threshold: Int, _ handler: @escaping @Sendable () -> Void) {
        self.call.eventLoop.execute { self.addWaiter(threshold, handler) }
    }

    /// Ends the call with trailers carrying `status`; thread-safe; idempotent.
    public func finish(_ status: Status) {
        guard self.call.context.claimCompletion() else { return }
        if self.call.eventLoop.inEventLoop {
            self.call.finishStream(status, cancel: false)
        } else {
            let call = self.call
            self.call.eventLoop.execute { call.finishStream(status, cancel: false) }
        }
    }

    private func finishForced(_ status: Status) {
        guard self.call.context.claimCompletion() else { return }
        if self.call.eventLoop.inEventLoop {
            self.call.finishStream(status, cancel: true)
        } else {
            let call = self.call
            self.call.eventLoop.execute { call.finishStream(status, cancel: true) }
        }
    }

    private func addWaiter(_ threshold: Int, _ handler: @escaping @Sendable () -> Void) {
        if self.queued.load(ordering: .relaxed) <= threshold || self.call.machine.isClosed {
            handler()
        } else {
            self.waiters.append((threshold, handler))
        }
    }

    /// nghttp2 took `bytes` (loop, inside nghttp2's output loop: waiters run on the next tick).
    func didDrain(bytes: Int) {
        let remaining = self.queued.wrappingDecrementThenLoad(by: bytes, ordering: .relaxed)
        guard !self.waiters.isEmpty, !self.waiterCheckScheduled,
            self.waiters.contains(where: { remaining <= $0.threshold })
        else { return }
        self.waiterCheckScheduled = true
        self.call.eventLoop.assumeIsolated().execute {
            self.waiterCheckScheduled = false
            self.runWaiters(all: false)
        }
    }

    /// Runs the waiters whose threshold is met (or all, when the call ended). Loop-only.
    func runWaiters(all: Bool) {
        let queued = self.queued.load(ordering: .relaxed)
        var ready: [@Sendable () -> Void] = []
        self.waiters.removeAll { waiter in
            if all || queued <= waiter.threshold {
                ready.append(waiter.handler)
                return true
            }
            return false
        }
        for handler in ready {
            handler()
        }
    }
}
