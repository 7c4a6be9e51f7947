/// Completes a unary call. Thread-safe: from another thread it hops to the connection's event loop through the
/// connection's `ServerCompletionInbox` (the store's fsync thread completes Puts a group commit at a time); the
/// first of `succeed`/`fail` wins and later calls are ignored, as are calls after the call was cancelled.
public struct UnaryResponder: Sendable {
    let call: ServerCall

    /// Sends `message` as the response with status OK. A message larger than the server's
    /// `maxSendMessageBytes` ends the call with RESOURCE_EXHAUSTED instead.
    public func succeed(_ message: [UInt8]) {
        guard self.call.context.claimCompletion() else { return }
        if self.call.eventLoop.inEventLoop {
            self.call.completeUnary(.success(message))
        } else {
            self.call.connection.completions.enqueue(self.call, .success(message))
        }
    }

    /// Ends the call with the error's status (Trailers-Only).
    public func fail(_ error: RPCError) {
        guard self.call.context.claimCompletion() else { return }
        if self.call.eventLoop.inEventLoop {
            self.call.completeUnary(.failure(error))
        } else {
            self.call.connection.completions.enqueue(self.call, .failure(error))
        }
    }
}
