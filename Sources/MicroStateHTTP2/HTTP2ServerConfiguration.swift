import NIOCore

/// Limits and timeouts of one HTTP/2 server connection.
///
/// Every value bounds something a peer can make the server hold or do; each is sent in the server's
/// SETTINGS or handed to nghttp2 through `nghttp2_option_set_*`, so nothing rests on library defaults
/// that could change under a distribution update.
public struct HTTP2ServerConfiguration: Sendable {
    /// SETTINGS_MAX_CONCURRENT_STREAMS. Default 1024. Streams beyond it are refused by nghttp2
    /// (`RST_STREAM(REFUSED_STREAM)`, safe for clients to retry). Bounds per-connection stream state.
    public var maxConcurrentStreams: Int = 1024

    /// SETTINGS_INITIAL_WINDOW_SIZE (per stream receive window). Default 1 MiB: one round trip can carry
    /// a whole typical request; nghttp2 replenishes it automatically as bytes are received (request
    /// memory is bounded by the message size limit of the layer above, not by this window).
    public var initialWindowSize: Int = 1 << 20

    /// Connection-level receive window (raised with `nghttp2_session_set_local_window_size`). Default 1 MiB;
    /// RFC 9113 starts it at 65,535, which throttles concurrent uploads on one connection.
    public var connectionWindowSize: Int = 1 << 20

    /// SETTINGS_MAX_FRAME_SIZE: largest frame payload we accept. Default 16 KiB (the RFC minimum and what
    /// every peer must support); larger frames buy little for small gRPC messages.
    public var maxFrameSize: Int = 1 << 14

    /// SETTINGS_MAX_HEADER_LIST_SIZE, also enforced on receipt (name + value + 32 per field, RFC 9113 §6.5.2):
    /// a request over it gets HTTP 431 and no handler. Default 16 KiB (gRPC suggests at least 8 KiB).
    /// Together with `maxContinuations` this bounds header memory (CVE-2019-9516/CVE-2024-28182 class).
    public var maxHeaderListBytes: Int = 16 * 1024

    /// Most SETTINGS entries accepted in one SETTINGS frame (`nghttp2_option_set_max_settings`).
    /// Default 32 (there are 9 defined settings); closes the SETTINGS flood, CVE-2019-9515.
    public var maxSettingsEntries: Int = 32

    /// Most SETTINGS-ACK and PING-ACK frames nghttp2 queues unsent (`nghttp2_option_set_max_outbound_ack`).
    /// Default 1000. A peer that floods PING/SETTINGS while not reading our replies is disconnected
    /// instead of growing the queue: CVE-2019-9512 (ping flood) and CVE-2019-9515 (settings flood).
    public var maxOutboundAcks: Int = 1000

    /// Token bucket for incoming RST_STREAM (`nghttp2_option_set_stream_reset_rate_limit`, backported by
    /// Debian to 1.52): `resetBurst` tokens, refilled at `resetRatePerSecond`; when empty the connection gets
    /// GOAWAY. Defaults 1000 / 33 (nghttp2's). Closes HTTP/2 Rapid Reset, CVE-2023-44487.
    public var resetBurst: Int = 1000
    /// See `resetBurst`.
    public var resetRatePerSecond: Int = 33

    /// Most CONTINUATION frames after one HEADERS (`nghttp2_option_set_max_continuations`, backported by
    /// Debian to 1.52). Default 8 (nghttp2's). Closes the CONTINUATION flood, CVE-2024-28182.
    public var maxContinuations: Int = 8

    /// How long a connection may have no open stream before the server sends GOAWAY and closes it.
    /// Default 5 minutes (gRPC's MAX_CONNECTION_IDLE is infinite, but idle sockets cost fds and memory).
    public var idleTimeout: TimeAmount = .minutes(5)

    /// How long a new connection has to send the client preface and its SETTINGS. Default 10 s. Closes
    /// half-open / slowloris connections that never speak HTTP/2.
    public var handshakeTimeout: TimeAmount = .seconds(10)

    /// Largest batch of output bytes written to the channel before writability is checked again.
    /// Default 64 KiB: bounds how far one drain can overshoot the channel's high watermark.
    public var maxWriteChunkBytes: Int = 64 * 1024

    /// Called on the connection's event loop after each read burst has been handled (every request part in it
    /// delivered) and before the responses are written. Work it completes (say, a burst of writes made durable
    /// together) is answered in the same write to the socket. Keep it short: it runs on the event loop.
    public var afterReadBurst: (@Sendable () -> Void)?

    /// gRFC A9 MAX_CONNECTION_AGE: a connection this old (±10 % jitter, drawn per connection) gets the graceful
    /// double GOAWAY, so its client reconnects and load spreads over replicas added behind an L4 balancer (a
    /// Kubernetes Service balances connections, not calls). nil (default) = never, as in gRPC.
    public var maxConnectionAge: TimeAmount?
    /// gRFC A9 MAX_CONNECTION_AGE_GRACE: how long calls still open when the age is reached may go on before they are
    /// reset. Default 30 s (gRPC's is infinite, which lets one long-lived Subscribe or Watch pin a connection
    /// forever; clients resume those from their last event).
    public var maxConnectionAgeGrace: TimeAmount = .seconds(30)
    /// Uniform random numbers in [0, 1) for the age jitter; injected so tests are deterministic.
    public var random: @Sendable () -> Double = { Double.random(in: 0..<1) }

    /// gRFC A8 PERMIT_KEEPALIVE_TIME: a client PING sooner than this after the previous one (while calls are open)
    /// is a strike. Default 5 minutes (gRPC's). Sending HEADERS or DATA clears the count, so pings that keep
    /// a busy connection alive never strike.
    public var minPingInterval: TimeAmount = .minutes(5)
    /// gRFC A8 PERMIT_KEEPALIVE_WITHOUT_CALLS. Default false: with no call open, a PING sooner than 2 hours
    /// after the previous one is a strike.
    public var permitPingsWithoutCalls = false
    /// gRFC A8 MAX_PING_STRIKES: one strike more than this gets GOAWAY(ENHANCE_YOUR_CALM, "too_many_pings") and
    /// the connection is closed. Default 2 (gRPC's); grpc clients then double their keepalive interval.
    public var maxPingStrikes = 2

    public init() {}
}
