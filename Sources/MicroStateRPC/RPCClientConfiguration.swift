import MicroStateHTTP2
import NIOCore

/// Where an `RPCClient` connects and the limits of its calls.
public struct RPCClientConfiguration: Sendable {
    /// The server's host name or address; also sent as `:authority` (`host:port`).
    public var host: String
    /// The server's TCP port.
    public var port: Int
    /// The largest response message accepted; a larger one fails the call with RESOURCE_EXHAUSTED (before any of
    /// it is buffered). Default 4 MiB, gRPC's usual default.
    public var maxReceiveMessageBytes = 4 * 1024 * 1024
    /// How long opening the TCP connection may take before calls fail with UNAVAILABLE.
    public var connectTimeout: TimeAmount = .seconds(5)
    /// The deadline of calls that pass no `timeout`; nil means no deadline.
    public var defaultTimeout: TimeAmount? = nil
    /// HTTP/2 limits of the connection (windows, header list size, ...); see `HTTP2ClientConfiguration`.
    public var http2 = HTTP2ClientConfiguration()
    /// Called when a call begins (before connecting), with its path: the `grpc_client_started_total` hook.
    public var onCallStarted: (@Sendable (_ path: String) -> Void)?
    /// Called once when a call ends with any outcome, with its status code and duration, on the client's event
    /// loop: keep it cheap. The `grpc_client_handled_total` / `grpc_client_handling_seconds` hook.
    public var onCallFinished: (@Sendable (_ path: String, _ code: Status.Code, _ duration: TimeAmount) -> Void)?

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}
