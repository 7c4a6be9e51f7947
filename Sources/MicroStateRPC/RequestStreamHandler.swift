import NIOCore

/// What a bidirectional-streaming handler does with the request stream: the request messages, one by one as
/// they are deframed, then the client's half-close.
///
/// Both closures run on the call's event loop and must not block. Neither runs after the call ended (status
/// sent, deadline, client RST_STREAM, connection closed): watch `ServerContext.onCancel` for those. After
/// `onEnd` no message follows; the call stays open until the handler calls `ServerStreamWriter.finish`.
///
/// - Important: each message is a slice of the connection's read buffer or the deframer's: copy out what must
///   outlive the closure. Request messages are bounded by `RPCServerConfiguration.maxReceiveMessageBytes` (a
///   larger one ends the call with RESOURCE_EXHAUSTED); their count is not bounded here, so a handler that
///   answers each one must bound its own response queue (`ServerStreamWriter.queuedBytes`), or a client that
///   sends without reading grows server memory.
public struct RequestStreamHandler {
    /// Called with each request message.
    public var onMessage: (ByteBuffer) -> Void
    /// Called once when the client ended its side (END_STREAM) after its last message.
    public var onEnd: () -> Void

    /// A handler calling `onMessage` for each request message and `onEnd` at the client's half-close.
    public init(onMessage: @escaping (ByteBuffer) -> Void, onEnd: @escaping () -> Void) {
        self.onMessage = onMessage
        self.onEnd = onEnd
    }
}
