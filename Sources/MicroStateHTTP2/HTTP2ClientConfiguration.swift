/// Limits and settings of one HTTP/2 client connection (one nghttp2 client session).
///
/// Every value is sent to the peer in our SETTINGS frame or enforced locally; each says what it bounds.
public struct HTTP2ClientConfiguration: Sendable {
    /// Per-stream receive window we advertise (`SETTINGS_INITIAL_WINDOW_SIZE`, RFC 9113 §6.5.2).
    ///
    /// The peer may send at most this many DATA bytes on a stream that the stream's owner has not consumed
    /// (`HTTP2ClientStream.consume(_:)`), so it bounds what a slow consumer buffers per stream. Default 1 MiB:
    /// large enough that a 4 MiB message over loopback needs only a few WINDOW_UPDATE round trips.
    public var streamWindowBytes: Int = 1 << 20

    /// Connection receive window (raised with a WINDOW_UPDATE on stream 0 right after the preface).
    ///
    /// Connection-level bytes are returned as soon as they are read, so one slow stream never blocks the
    /// others; this value only limits how far the peer can run ahead of our reads. Default 16 MiB.
    public var connectionWindowBytes: Int = 16 << 20

    /// Largest header list (HPACK-decoded names + values + 32 bytes each, RFC 9113 §6.5.2) we accept on
    /// a stream; a larger one resets the stream. Advertised as `SETTINGS_MAX_HEADER_LIST_SIZE`. Default 16 KiB,
    /// the value grpc-go and grpc-java default to (8–16 KiB).
    public var maxHeaderListBytes: Int = 16 << 10

    /// How many streams we assume the peer allows before its SETTINGS arrive (RFC 9113 §5.1.2 recommends the
    /// peer allow at least 100). Requests beyond the peer's limit wait inside nghttp2 until a stream closes.
    public var assumedPeerMaxConcurrentStreams: Int = 100

    /// Cap on control frames (SETTINGS/PING ACKs) nghttp2 queues for a peer that does not read them
    /// (`nghttp2_option_set_max_outbound_ack`: closes the "ping/settings flood" class, CVE-2019-9512/9515).
    public var maxQueuedControlFrames: Int = 1000

    /// Size of the HPACK dynamic table our encoder uses (`nghttp2_option_set_max_deflate_dynamic_table_size`).
    public var maxEncoderTableBytes: Int = 4096

    /// Bytes drained from nghttp2 into one buffer before it is written; bounds each write's size.
    public var maxWriteChunkBytes: Int = 64 << 10

    public init() {}
}
