/// A per-call failure: the status the peer sees, plus an optional underlying cause for logs.
///
/// Server handlers fail calls with an `RPCError`; the client surfaces a non-OK status as one. Server-level
/// failures (cannot bind, event loop gone) are not `RPCError`s.
public struct RPCError: Error, Sendable, CustomStringConvertible {
    public var code: Status.Code
    public var message: String
    /// What caused it, for logging; never sent to the peer.
    public var cause: (any Error)?
    /// Trailing metadata that came with the status (client side): for example `grpc-retry-pushback-ms`
    /// (gRFC A6), which says when, or whether, to retry.
    public var trailers: Metadata = [:]

    public init(code: Status.Code, message: String, cause: (any Error)? = nil) {
        precondition(code != .ok, "an RPCError cannot carry status OK")
        self.code = code
        self.message = message
        self.cause = cause
    }

    public init(status: Status) {
        self.init(code: status.code, message: status.message)
    }

    /// The status sent to the peer.
    public var status: Status {
        Status(code: self.code, message: self.message)
    }

    public var description: String {
        var text = "\(self.code): \(self.message)"
        if let cause = self.cause {
            text += " (cause: \(cause))"
        }
        return text
    }
}
