import MicroStateHTTP2
import MicroStateResilience
import NIOCore

/// Settings of an `RPCServer`. Every limit bounds something a client can make the server hold.
public struct RPCServerConfiguration: Sendable {
    /// Address to listen on. Default `127.0.0.1` (the node's default; use `0.0.0.0` for pod IPs).
    public var host: String = "127.0.0.1"
    /// Port to listen on; 0 lets the OS pick (`RPCServer.start()` returns the bound address). Default 50051.
    public var port: Int = 50051

    /// Largest request message accepted. Default 4 MiB, as in grpc-go/grpc-java; larger ones fail with
    /// RESOURCE_EXHAUSTED as soon as their 5-byte prefix arrives, before any of the body is buffered.
    public var maxReceiveMessageBytes: Int = 4 * 1024 * 1024
    /// Largest response message sent. Default 4 MiB; a larger one ends the call with RESOURCE_EXHAUSTED
    /// instead (clients enforce the same default on receipt, so it would fail there anyway).
    public var maxSendMessageBytes: Int = 4 * 1024 * 1024

    /// HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS per connection. Default 1024; beyond it streams are refused
    /// (REFUSED_STREAM, retryable). Bounds per-connection call state and, with `maxReceiveMessageBytes`,
    /// request memory.
    public var maxConcurrentStreams: Int = 1024
    /// HTTP/2 SETTINGS_INITIAL_WINDOW_SIZE. Default 1 MiB (see `HTTP2ServerConfiguration.initialWindowSize`).
    public var initialWindowSize: Int = 1 << 20
    /// HTTP/2 SETTINGS_MAX_FRAME_SIZE. Default 16 KiB, the RFC 9113 minimum every peer supports.
    public var maxFrameSize: Int = 1 << 14
    /// HTTP/2 SETTINGS_MAX_HEADER_LIST_SIZE, enforced on receipt (HTTP 431). Default 16 KiB; gRPC suggests
    /// at least 8 KiB of metadata.
    public var maxHeaderListBytes: Int = 16 * 1024

    /// A connection with no open stream for this long gets GOAWAY and is closed. Default 5 minutes.
    public var idleTimeout: TimeAmount = .minutes(5)
    /// A connection that has not sent the HTTP/2 preface and SETTINGS within this is closed. Default 10 s;
    /// closes half-open and slowloris connections.
    public var handshakeTimeout: TimeAmount = .seconds(10)
    /// Most connections open at once; further ones are closed on accept. Default 4096: bounds file
    /// descriptors and per-connection memory (each connection may hold `maxConcurrentStreams` calls).
    public var maxConnections: Int = 4096
    /// How long `shutdown()` lets in-flight calls finish before cancelling them. Default 10 s.
    public var shutdownGracePeriod: TimeAmount = .seconds(10)
    /// Server-side load shedding of unary calls (see `CallAdmission`): at most `maxInFlight` running and
    /// `maxQueueLength` waiting up to `maxQueueTime`, the rest refused with RESOURCE_EXHAUSTED and
    /// `grpc-retry-pushback-ms`. Limits are for the whole server, divided among its event loops. nil = off.
    public var loadShedding: LoadShedderConfiguration?
    /// gRFC A9 MAX_CONNECTION_AGE (±10 % jitter) and its grace; see `HTTP2ServerConfiguration.maxConnectionAge`.
    /// Default nil: connections live until idle.
    public var maxConnectionAge: TimeAmount?
    /// See `HTTP2ServerConfiguration.maxConnectionAgeGrace`. Default 30 s.
    public var maxConnectionAgeGrace: TimeAmount = .seconds(30)
    /// gRFC A8 client-ping enforcement; see `HTTP2ServerConfiguration.minPingInterval`. Default 5 minutes.
    public var minPingInterval: TimeAmount = .minutes(5)
    /// See `HTTP2ServerConfiguration.permitPingsWithoutCalls`. Default false.
    public var permitPingsWithoutCalls = false

    /// Called once per call that reached its handler and ended with a status other than OK (cancellations
    /// included), on the connection's event loop, with the call's context (path, metadata such as `x-request-id`
    /// and `traceparent`, observers) — the node's failed-call log. Never called for OK calls.
    public var onCallFailed: (@Sendable (_ context: ServerContext, _ status: Status, _ duration: TimeAmount) -> Void)?

    /// Called once per call that passed the HTTP checks (known method or not), on the connection's event loop,
    /// before its handler: keep it cheap. The `grpc_server_started_total` hook.
    public var onCallStarted: (@Sendable (_ path: String) -> Void)?

    /// Called once per finished call (any outcome, including calls rejected before a handler ran), on the
    /// connection's event loop: keep it cheap. The metrics hook.
    public var onCallFinished: (@Sendable (_ path: String, _ code: Status.Code, _ duration: TimeAmount) -> Void)?

    /// Run in order for every call whose method exists, before its handler (see `ServerInterceptor`). Empty by
    /// default, and then a call costs nothing extra: no head is built, no observer array allocated.
    public var interceptors: [any ServerInterceptor] = []

    /// Called on a connection's event loop after each read burst was handled, before its responses are written
    /// (see `HTTP2ServerConfiguration.afterReadBurst`). The node flushes its log here with `--durability os`.
    public var afterReadBurst: (@Sendable () -> Void)?

    /// The HTTP/2 hardening options not exposed above (flood and rapid-reset limits), for experts.
    public var http2: HTTP2ServerConfiguration = HTTP2ServerConfiguration()

    public init() {}

    /// The HTTP/2 connection settings with the fields above applied.
    var http2Configuration: HTTP2ServerConfiguration {
        var http2 = self.http2
        http2.maxConcurrentStreams = self.maxConcurrentStreams
        http2.initialWindowSize = self.initialWindowSize
        http2.maxFrameSize = self.maxFrameSize
        http2.maxHeaderListBytes = self.maxHeaderListBytes
        http2.idleTimeout = self.idleTimeout
        http2.handshakeTimeout = self.handshakeTimeout
        http2.afterReadBurst = self.afterReadBurst
        http2.maxConnectionAge = self.maxConnectionAge
        http2.maxConnectionAgeGrace = self.maxConnectionAgeGrace
        http2.minPingInterval = self.minPingInterval
        http2.permitPingsWithoutCalls = self.permitPingsWithoutCalls
        return http2
    }
}
