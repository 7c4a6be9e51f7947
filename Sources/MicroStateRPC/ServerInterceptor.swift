import NIOCore

/// What an interceptor sees of a new call: its head, before the handler runs.
///
/// Built only when `RPCServerConfiguration.interceptors` is not empty, so a server without interceptors pays
/// nothing per call.
public struct ServerCallHead: Sendable {
    /// The method path, e.g. `/microstate.v1.KV/Put` (the router knows it).
    public let path: String
    /// Request metadata: the non-reserved headers (`traceparent`, `b3`, `x-request-id`, ...).
    public let metadata: Metadata
    /// The call's deadline, from `grpc-timeout`; nil when the client set none.
    public let deadline: NIODeadline?
    /// The client's address.
    public let remoteAddress: SocketAddress?
    /// The local address the call arrived on (`server.address`/`server.port` for tracing), when known.
    public let localAddress: SocketAddress?
    /// When the server saw the call's HEADERS (monotonic).
    public let started: NIODeadline

    public init(
        path: String, metadata: Metadata, deadline: NIODeadline?, remoteAddress: SocketAddress?,
        localAddress: SocketAddress? = nil, started: NIODeadline
    ) {
        self.path = path
        self.metadata = metadata
        self.deadline = deadline
        self.remoteAddress = remoteAddress
        self.localAddress = localAddress
        self.started = started
    }
}

/// Told once how an admitted call ended.
///
/// - Important: `callFinished` is called exactly once per admitted call, whatever the outcome (OK, handler
///   error, client cancel, deadline, connection closed, server shutdown), on the connection's event loop: keep it
///   cheap and never block.
public protocol ServerCallObserver: AnyObject, Sendable {
    /// The call ended with `status` after `duration` (measured from `ServerCallHead.started`).
    func callFinished(status: Status, duration: TimeAmount)
}

/// An interceptor's decision about a new call.
public enum ServerAdmission: Sendable {
    /// Let the call through; the observer, if any, is told how it ends and is visible to the handler in
    /// `ServerContext.observers`.
    case admit((any ServerCallObserver)?)
    /// Answer at once with a Trailers-Only response carrying `status` and the extra `trailers` (lower-case names,
    /// not reserved; e.g. `retry-after`). The handler never runs; the call counts as finished with that code.
    case reject(Status, trailers: [(name: String, value: String)])
}

/// Looks at every call before its handler runs: tracing, metrics, load shedding.
///
/// Interceptors run in `RPCServerConfiguration.interceptors` order on the connection's event loop, after the
/// method was found (unknown methods and malformed requests never reach them). The first `reject` wins: later
/// interceptors do not run, and observers of earlier ones are told the call finished with the rejecting status.
///
/// - Important: `intercept` runs on the event loop for every call: it must not block and should not allocate
///   when it has nothing to do.
public protocol ServerInterceptor: Sendable {
    /// Decides about one call.
    func intercept(_ head: ServerCallHead) -> ServerAdmission
}

/// A timed step inside a call (waiting for the log to make a write durable, ...), as tracing records it.
public protocol ServerCallStep: Sendable {
    /// Ends the step; `error` describes a failure.
    func end(error: String?)
}

/// An observer that records the steps of its call: a sampled trace's SERVER span makes each a child span.
public protocol ServerCallStepRecorder: ServerCallObserver {
    /// Starts a step named `name`, or nil when this call's steps are not recorded (an unsampled trace).
    func startStep(_ name: String) -> (any ServerCallStep)?
}

extension ServerContext {
    /// Starts a named step of this call for the observer that records steps (tracing), or returns nil — at the
    /// cost of one empty-array check when no interceptor is installed.
    public func startStep(_ name: String) -> (any ServerCallStep)? {
        for observer in self.observers {
            if let recorder = observer as? any ServerCallStepRecorder {
                return recorder.startStep(name)
            }
        }
        return nil
    }
}
