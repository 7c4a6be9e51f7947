internal import CNGHTTP2
import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One HTTP/2 server connection (h2c with prior knowledge): a NIO handler owning one `nghttp2_session`.
///
/// Bytes in: every read goes to `nghttp2_session_mem_recv`, whose callbacks hand request parts to the
/// `HTTP2ServerConnectionDelegate` / `HTTP2ServerStreamDelegate` synchronously. Bytes out: `mem_send` is
/// drained once per read burst (`channelReadComplete`) and, for work submitted outside a read (timers,
/// completions hopping in from other threads), once per event-loop tick however many responses were
/// submitted, into one buffer written and flushed once.
///
/// Backpressure: nothing is drained while the channel is not writable; draining resumes on
/// `channelWritabilityChanged`. Response bytes then wait in each stream's queue (`HTTP2ServerStream.queuedBytes`)
/// and HTTP/2 flow control holds the rest at the peer.
///
/// Everything here runs on the channel's event loop; the class is `@unchecked Sendable` only so the layer
/// above can carry a reference to another thread and hop back with `eventLoop.execute`.
public final class HTTP2ServerConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// Connection lifecycle (graceful shutdown follows gRFC A9's double GOAWAY).
    enum LifecycleState {
        /// Serving.
        case open
        /// GOAWAY(2^31-1) and a PING sent; new streams still accepted until the PING ACK proves the client
        /// has seen the notice.
        case drainingNoticeSent
        /// Final GOAWAY(last stream id) sent: no new streams; close when the open ones are done.
        case drainingGoAwaySent
        /// `close` issued.
        case closed
    }

    public let configuration: HTTP2ServerConfiguration
    /// The connection's event loop.
    public let eventLoop: any EventLoop
    private var delegate: (any HTTP2ServerConnectionDelegate)?
    private let logger: Logger

    private var session: OpaquePointer?
    private var context: ChannelHandlerContext?
    /// Open streams: an intrusive doubly-linked list (strong `next`), so adding and removing a stream costs no
    /// hashing; lookups go through nghttp2's stream user data.
    private var firstStream: HTTP2ServerStream?
    private var streamCount = 0
    /// The stream last opened or looked up. A request's HEADERS, DATA and END_STREAM arrive back to back, so most
    /// lookups hit it instead of nghttp2's stream map (a hash probe, ~3% of a Get profile). Only ever an open
    /// stream (the list holds it): `streamClosed` and `tearDown` clear it.
    private unowned(unsafe) var cachedStream: HTTP2ServerStream?
    /// The stream whose request header block is being received (header blocks never interleave, RFC 9113 §4.3).
    private unowned(unsafe) var headerStream: HTTP2ServerStream?
    private var state = LifecycleState.open
    private var activated = false

    private var inRead = false
    private var inFlush = false
    private var flushScheduled = false
    private var waitingForWritability = false

    private var handshakeTimer: Scheduled<Void>?
    private var idleTimer: Scheduled<Void>?
    /// When the last stream closed (nil while streams are open). The idle timer re-checks it rather than being
    /// re-armed on every stream, which would cost a timer allocation per request.
    private var idleSince: NIODeadline?
    /// The previous request's head. Clients repeat the same header fields request after request, so fields with
    /// equal bytes reuse its `String`s instead of allocating new ones.
    private var previousHead = HTTP2RequestHead()
    /// The buffer being fed to `nghttp2_session_mem_recv` and its bytes (only during that call).
    private var readBuffer: ByteBuffer?
    private var readBytes: UnsafeRawBufferPointer?
    /// The DATA frame being received carries END_STREAM: its payload is handed on as a slice of `readBuffer`
    /// only then, because the request is complete and its handler runs within this read. A slice held while
    /// waiting for more frames would pin the whole read buffer (up to 64 KiB) per stream, which a client could
    /// multiply by the stream limit; those payloads are copied instead.
    private var dataFrameEndsStream = false
    /// The buffer of the last flush, recycled by the next one (see `flushOutbound`).
    private var outputBuffer = ByteBuffer()
    /// Response buffers of closed streams, reused by new ones: a fresh stream's first `writeData` otherwise cost
    /// three allocations (buffer object, bytes, and a realloc to the message's size).
    private var spareOutbound: [ByteBuffer] = []
    /// Bounds `spareOutbound` (count and each buffer's capacity), so idle connections keep little memory.
    private static let maxSpareOutbound = 32
    private static let maxSpareOutboundCapacity = 4096
    /// Largest output buffer kept between flushes (bounds idle memory per connection).
    private static let recycledOutputCapacity = 16 << 10
    private var graceTimer: Scheduled<Void>?
    private var ageTimer: Scheduled<Void>?
    /// When the client's last PING arrived since we last sent HEADERS or DATA (nil: none), and the strikes it
    /// earned (gRFC A8 ping enforcement).
    private var lastPingReceived: NIODeadline?
    private var pingStrikes = 0
    /// Set while nghttp2 is inside `mem_recv`: the connection is closed after it returns.
    private var tooManyPings = false
    private static let tooManyPingsDebugData = Array("too_many_pings".utf8)
    private static let pingIntervalWithoutCalls = TimeAmount.hours(2)
    private static let shutdownPingPayload: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (
        1, 6, 1, 8, 0, 3, 3, 9
    )

    /// - Parameters:
    ///   - eventLoop: the loop of the channel this handler will be added to.
    ///   - delegate: receives each new stream; released when the connection closes.
    public init(
        configuration: HTTP2ServerConfiguration,
        eventLoop: any EventLoop,
        delegate: any HTTP2ServerConnectionDelegate,
        logger: Logger
    ) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.delegate = delegate
        self.logger = logger
    }

    /// Open streams (accepted and not yet closed).
    public var openStreamCount: Int { self.streamCount }

    // MARK: - Channel events

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.session = Self.makeSession(configuration: self.configuration, userData: self)
        if context.channel.isActive {
            self.activate(context: context)
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.tearDown()
        if let session = self.session {
            self.session = nil
            nghttp2_session_del(session)
        }
        self.context = nil
    }

    public func channelActive(context: ChannelHandlerContext) {
        self.activate(context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        self.tearDown()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session = self.session, self.state != .closed else { return }
        let buffer = self.unwrapInboundIn(data)
        self.inRead = true
        let result = buffer.withUnsafeReadableBytes { bytes in
            // DATA payloads reach `dataChunkReceived` as pointers into these bytes: remembering the buffer lets it
            // hand them on as slices of it (no copy, no allocation).
            self.readBuffer = buffer
            self.readBytes = bytes
            defer {
                self.readBuffer = nil
                self.readBytes = nil
            }
            return nghttp2_session_mem_recv(
                session, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count
            )
        }
        if self.tooManyPings {
            self.inRead = false
            self.goAwayTooManyPings()
            return
        }
        if result < 0 {
            // Fatal for the session (bad preface, flood detected, ...). nghttp2 may have queued a GOAWAY:
            // send what it has, then close.
            self.logger.debug(
                "HTTP/2 session error, closing",
                metadata: ["error": "\(String(cString: nghttp2_strerror(Int32(result))))"]
            )
            self.inRead = false
            self.flushOutbound()
            self.close()
        }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        // Still "in read": responses the hook completes are submitted without scheduling a flush each, and all go
        // out in the one flush below.
        self.configuration.afterReadBurst?()
        self.inRead = false
        self.flushOutbound()
        context.fireChannelReadComplete()
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, self.waitingForWritability {
            self.waitingForWritability = false
            self.flushOutbound()
        }
        context.fireChannelWritabilityChanged()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.logger.debug("connection error, closing", metadata: ["error": "\(error)"])
        self.close()
    }

    // MARK: - Lifecycle

    private func activate(context: ChannelHandlerContext) {
        guard !self.activated, let session = self.session else { return }
        self.activated = true
        let config = self.configuration
        var settings: [nghttp2_settings_entry] = [
            .init(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: UInt32(config.maxConcurrentStreams)),
            .init(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: UInt32(config.initialWindowSize)),
            .init(settings_id: Int32(NGHTTP2_SETTINGS_MAX_FRAME_SIZE.rawValue), value: UInt32(config.maxFrameSize)),
            .init(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), value: UInt32(config.maxHeaderListBytes)),
            .init(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
            // SETTINGS_NO_RFC7540_PRIORITIES is deliberately not sent: with it nghttp2 stops validating PRIORITY
            // frames (RFC 9113 §6.3 still requires PROTOCOL_ERROR for one on stream 0) — found by the h2spec
            // cases in Tests/interop/test_http2_conformance.py.
        ]
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
        if config.connectionWindowSize > 65_535 {
            nghttp2_session_set_local_window_size(
                session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Int32(config.connectionWindowSize)
            )
        }
        let loop = context.eventLoop.assumeIsolated()
        self.handshakeTimer = loop.scheduleTask(in: config.handshakeTimeout) {
            self.logger.debug("HTTP/2 handshake timeout, closing")
            self.close()
        }
        self.idleSince = .now()
        self.armIdleTimer(at: .now() + config.idleTimeout)
        if let age = config.maxConnectionAge {
            // ±10 % so that connections opened together (a client fleet restarting) do not all end together.
            let jittered = Double(age.nanoseconds) * (0.9 + 0.2 * config.random())
            self.ageTimer = loop.scheduleTask(in: .nanoseconds(Int64(jittered))) {
                self.logger.debug("HTTP/2 connection reached its maximum age, draining")
                self.initiateGracefulShutdown(gracePeriod: config.maxConnectionAgeGrace)
            }
        }
        self.flushOutbound()
    }

    /// A client PING (not an ACK) arrived: gRFC A8 enforcement. In `mem_recv`; nghttp2 answers it.
    private func pingReceived() {
        let now = NIODeadline.now()
        let interval = self.streamCount == 0 && !self.configuration.permitPingsWithoutCalls
            ? Self.pingIntervalWithoutCalls : self.configuration.minPingInterval
        if let last = self.lastPingReceived, last + interval > now {
            self.pingStrikes += 1
            if self.pingStrikes > self.configuration.maxPingStrikes {
                self.tooManyPings = true
            }
        }
        self.lastPingReceived = now
    }

    /// GOAWAY(ENHANCE_YOUR_CALM, "too_many_pings"), then close (gRFC A8). Calls still open are cut off: the client
    /// broke the policy it was told about.
    private func goAwayTooManyPings() {
        guard self.state != .closed, let session = self.session else { return }
        self.logger.notice(
            "client PINGs too often (more than \(self.configuration.maxPingStrikes) strikes): GOAWAY too_many_pings",
            metadata: ["remote": "\(self.context?.remoteAddress.map { "\($0)" } ?? "?")"]
        )
        Self.tooManyPingsDebugData.withUnsafeBufferPointer { debug in
            _ = nghttp2_submit_goaway(
                session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nghttp2_session_get_last_proc_stream_id(session),
                HTTP2ErrorCode.enhanceYourCalm, debug.baseAddress, debug.count
            )
        }
        self.state = .drainingGoAwaySent
        self.flushOutbound()
        self.close()
    }

    private func armIdleTimer(at deadline: NIODeadline) {
        self.idleTimer = self.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.idleTimerFired()
        }
    }

    private func idleTimerFired() {
        guard self.state == .open, let session = self.session else { return }
        let timeout = self.configuration.idleTimeout
        guard self.streamCount == 0, let since = self.idleSince else {
            self.armIdleTimer(at: .now() + timeout)
            return
        }
        if since + timeout > .now() {
            self.armIdleTimer(at: since + timeout)
            return
        }
        self.logger.debug("HTTP/2 connection idle, sending GOAWAY")
        nghttp2_submit_goaway(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nghttp2_session_get_last_proc_stream_id(session),
            HTTP2ErrorCode.noError, nil, 0
        )
        self.state = .drainingGoAwaySent
        self.flushOutbound()
        self.close()
    }

    /// Starts a graceful shutdown: GOAWAY(2^31-1) and a PING now; on the PING ACK the final GOAWAY with the
    /// last accepted stream id; open streams may finish until `gracePeriod` ends, then they are reset
    /// (CANCEL) and the connection closed. Must be called on the event loop.
    public func initiateGracefulShutdown(gracePeriod: TimeAmount) {
        self.eventLoop.preconditionInEventLoop()
        guard self.state == .open, let session = self.session else { return }
        self.state = .drainingNoticeSent
        self.idleTimer?.cancel()
        nghttp2_submit_shutdown_notice(session)
        var payload = Self.shutdownPingPayload
        withUnsafeBytes(of: &payload) { bytes in
            _ = nghttp2_submit_ping(
                session, UInt8(NGHTTP2_FLAG_NONE.rawValue), bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
            )
        }
        self.graceTimer = self.eventLoop.assumeIsolated().scheduleTask(in: gracePeriod) {
            self.forceClose()
        }
        self.scheduleFlush()
    }

    private func sendFinalGoAway() {
        guard self.state == .drainingNoticeSent, let session = self.session else { return }
        self.state = .drainingGoAwaySent
        nghttp2_submit_goaway(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nghttp2_session_get_last_proc_stream_id(session),
            HTTP2ErrorCode.noError, nil, 0
        )
        self.scheduleFlush()
        if self.streamCount == 0 {
            self.flushOutbound()
            self.close()
        }
    }

    /// Grace period over: reset every open stream, send the final GOAWAY if not yet, and close.
    private func forceClose() {
        guard self.state != .closed, let session = self.session else { return }
        if self.state == .drainingNoticeSent {
            self.state = .drainingGoAwaySent
            nghttp2_submit_goaway(
                session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nghttp2_session_get_last_proc_stream_id(session),
                HTTP2ErrorCode.noError, nil, 0
            )
        }
        var next = self.firstStream
        while let stream = next {
            nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream.id, HTTP2ErrorCode.cancel)
            next = stream.next
        }
        self.flushOutbound()
        self.close()
    }

    private func close() {
        guard self.state != .closed else { return }
        self.state = .closed
        self.context?.close(promise: nil)
    }

    /// The channel is gone: every open stream is closed with CANCEL, timers stop, the delegate is released.
    private func tearDown() {
        self.state = .closed
        self.cachedStream = nil
        self.headerStream = nil
        self.handshakeTimer?.cancel()
        self.idleTimer?.cancel()
        self.graceTimer?.cancel()
        self.ageTimer?.cancel()
        var next = self.firstStream
        self.firstStream = nil
        self.streamCount = 0
        while let stream = next {
            next = stream.next
            stream.next = nil
            stream.previous = nil
            stream.closed(errorCode: HTTP2ErrorCode.cancel)
        }
        self.spareOutbound = []
        self.delegate = nil
    }

    // MARK: - Output

    /// Drains `mem_send` at the end of this loop tick (or of the current read burst).
    func scheduleFlush() {
        if self.inRead || self.inFlush || self.flushScheduled {
            return
        }
        self.flushScheduled = true
        self.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            self.flushOutbound()
        }
    }

    /// Drains everything nghttp2 has to send into few buffers and writes+flushes them, unless the channel is
    /// not writable (then waits for `channelWritabilityChanged`).
    private func flushOutbound() {
        // Once closed, streams are gone and nghttp2's stream user data dangles: never call into it again.
        guard self.state != .closed, let session = self.session, let context = self.context, !self.inFlush else {
            return
        }
        guard context.channel.isWritable else {
            self.waitingForWritability = true
            return
        }
        self.inFlush = true
        // Output goes into `outputBuffer`, recycled flush after flush: once the socket took the bytes NIO holds no
        // reference, so `clear` keeps the memory (a fresh 4 KiB buffer per flush cost a malloc that also
        // consolidated glibc's fastbins). While NIO still holds it (a partial write), `clear` allocates anew.
        var pending = false
        var wrote = false
        let chunk = self.configuration.maxWriteChunkBytes
        while true {
            var pointer: UnsafePointer<UInt8>? = nil
            let count = nghttp2_session_mem_send(session, &pointer)
            if count < 0 {
                self.logger.debug("nghttp2_session_mem_send failed, closing", metadata: ["code": "\(count)"])
                self.inFlush = false
                self.close()
                return
            }
            if count == 0 {
                break
            }
            if !pending {
                self.outputBuffer.clear(minimumCapacity: max(count, 4096))
                pending = true
            }
            self.outputBuffer.writeBytes(UnsafeRawBufferPointer(start: pointer, count: count))
            if self.outputBuffer.readableBytes >= chunk {
                context.writeAndFlush(self.wrapOutboundOut(self.outputBuffer), promise: nil)
                pending = false
                wrote = true
                if !context.channel.isWritable {
                    self.waitingForWritability = true
                    break
                }
            }
        }
        if pending {
            context.write(self.wrapOutboundOut(self.outputBuffer), promise: nil)
            wrote = true
        }
        if wrote {
            context.flush()
            if self.outputBuffer.capacity > Self.recycledOutputCapacity {
                // A big response burst: don't keep its buffer for the connection's lifetime.
                self.outputBuffer = ByteBuffer()
            }
        }
        self.inFlush = false
        // nghttp2 is done with the session (GOAWAY sent or received and no active stream, or a fatal error).
        // Not while the shutdown notice is out: that GOAWAY(2^31-1) still admits streams until the final GOAWAY.
        if nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0
            && self.state != .drainingNoticeSent
        {
            self.close()
        }
    }

    // MARK: - Submissions from HTTP2ServerStream

    func takeSpareOutbound() -> ByteBuffer? {
        self.spareOutbound.popLast()
    }

    func recycleOutbound(_ buffer: ByteBuffer) {
        guard buffer.capacity > 0, buffer.capacity <= Self.maxSpareOutboundCapacity, self.state != .closed,
            self.spareOutbound.count < Self.maxSpareOutbound
        else { return }
        self.spareOutbound.append(buffer)
    }

    func submitResponse(_ stream: HTTP2ServerStream, headers: [HTTP2Header], endStream: Bool) {
        guard let session = self.session else { return }
        let rv: Int32 = withNGHTTP2NameValues(headers) { nva, count in
            if endStream {
                return nghttp2_submit_response(session, stream.id, nva, count, nil)
            }
            var provider = nghttp2_data_provider(
                source: nghttp2_data_source(ptr: Unmanaged.passUnretained(stream).toOpaque()),
                read_callback: onDataSourceRead
            )
            return nghttp2_submit_response(session, stream.id, nva, count, &provider)
        }
        if rv != 0 {
            self.logger.debug("nghttp2_submit_response failed", metadata: ["code": "\(rv)"])
        }
        self.scheduleFlush()
    }

    func resume(_ stream: HTTP2ServerStream) {
        guard let session = self.session else { return }
        if stream.dataDeferred {
            stream.dataDeferred = false
            nghttp2_session_resume_data(session, stream.id)
        }
        self.scheduleFlush()
    }

    func resetStream(_ stream: HTTP2ServerStream, errorCode: UInt32) {
        guard let session = self.session else { return }
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream.id, errorCode)
        self.scheduleFlush()
    }

    // MARK: - nghttp2 callbacks (forwarded one-to-one from the C functions below)

    fileprivate func beginHeaders(streamID: Int32, category: nghttp2_headers_category) {
        guard category == NGHTTP2_HCAT_REQUEST, let session = self.session else {
            self.headerStream = nil
            return
        }
        let stream = HTTP2ServerStream(id: streamID, connection: self)
        stream.next = self.firstStream
        self.firstStream?.previous = stream
        self.firstStream = stream
        self.streamCount += 1
        self.headerStream = stream
        self.cachedStream = stream
        nghttp2_session_set_stream_user_data(session, streamID, Unmanaged.passUnretained(stream).toOpaque())
        self.idleSince = nil
    }

    fileprivate func header(
        category: nghttp2_headers_category,
        name: UnsafeRawBufferPointer,
        value: UnsafeRawBufferPointer
    ) {
        // Client trailers (cat HEADERS) carry nothing gRPC uses; only their END_STREAM matters.
        guard category == NGHTTP2_HCAT_REQUEST, let stream = self.headerStream else { return }
        stream.headerListBytes += name.count + value.count + 32
        if stream.headerListBytes > self.configuration.maxHeaderListBytes {
            stream.headerListTooLarge = true
            return
        }
        if name.first == UInt8(ascii: ":") {
            switch name.count {
            case 5 where name[1] == UInt8(ascii: "p"):  // :path
                stream.head.path = Self.string(value, reusing: self.previousHead.path)
            case 7 where name[1] == UInt8(ascii: "m"):  // :method
                stream.head.method = Self.string(value, reusing: self.previousHead.method)
            case 7 where name[1] == UInt8(ascii: "s"):  // :scheme
                stream.head.scheme = Self.string(value, reusing: self.previousHead.scheme)
            case 10 where name[1] == UInt8(ascii: "a"):  // :authority
                stream.head.authority = Self.string(value, reusing: self.previousHead.authority)
            default:
                break  // nghttp2 rejects unknown pseudo-headers itself
            }
            return
        }
        if !stream.headersDiverged {
            let index = stream.sameHeaderCount
            if index < self.previousHead.headers.count {
                let field = self.previousHead.headers[index]
                if Self.equal(field.name, name) && Self.equal(field.value, value) {
                    stream.sameHeaderCount += 1
                    return
                }
            }
            // First difference: materialise the equal prefix, then store fields from here on.
            stream.headersDiverged = true
            stream.head.headers.reserveCapacity(max(8, index + 4))
            stream.head.headers.append(contentsOf: self.previousHead.headers[0..<index])
        }
        let index = stream.head.headers.count
        if index < self.previousHead.headers.count, Self.equal(self.previousHead.headers[index].name, name) {
            let field = self.previousHead.headers[index]
            stream.head.headers.append((field.name, Self.string(value, reusing: field.value)))
        } else {
            stream.head.headers.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
    }

    /// `previous` when it has exactly these bytes (no allocation), else a new String.
    @inline(__always)
    private static func string(_ bytes: UnsafeRawBufferPointer, reusing previous: String) -> String {
        Self.equal(previous, bytes) ? previous : String(decoding: bytes, as: UTF8.self)
    }

    @inline(__always)
    private static func equal(_ string: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let utf8 = string.utf8
        guard utf8.count == bytes.count else { return false }
        guard bytes.count > 0 else { return true }
        return utf8.withContiguousStorageIfAvailable { stored in
            memcmp(stored.baseAddress!, bytes.baseAddress!, bytes.count) == 0
        } ?? utf8.elementsEqual(bytes)
    }

    fileprivate func beginFrame(_ header: UnsafePointer<nghttp2_frame_hd>) {
        self.dataFrameEndsStream =
            Int(header.pointee.type) == Int(NGHTTP2_DATA.rawValue)
            && header.pointee.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
    }

    fileprivate func frameReceived(_ frame: UnsafePointer<nghttp2_frame>) {
        let header = frame.pointee.hd
        let endStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch Int(header.type) {
        case Int(NGHTTP2_DATA.rawValue):
            if endStream, let stream = self.stream(header.stream_id) {
                stream.requestEnded = true
                stream.delegate?.http2StreamReceivedEnd()
            }
        case Int(NGHTTP2_HEADERS.rawValue):
            guard let stream = self.stream(header.stream_id) else { return }
            if endStream {
                stream.requestEnded = true
            }
            if frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST {
                self.streamOpened(stream)
            }
            if endStream {
                stream.delegate?.http2StreamReceivedEnd()
            }
        case Int(NGHTTP2_SETTINGS.rawValue):
            if header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) == 0 {
                self.handshakeTimer?.cancel()
                self.handshakeTimer = nil
            }
        case Int(NGHTTP2_PING.rawValue):
            if header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) == 0 {
                self.pingReceived()
            } else if self.state == .drainingNoticeSent {
                self.sendFinalGoAway()
            }
        default:
            break
        }
    }

    /// A frame went out. When our END_STREAM leaves before the client ended its side, reset the stream with
    /// NO_ERROR so the client stops sending a body nobody reads (RFC 9113 §8.1; gRPC PROTOCOL-HTTP2.md, "Early
    /// server close"). nghttp2 does not do this by itself.
    fileprivate func frameSent(_ frame: UnsafePointer<nghttp2_frame>) {
        let header = frame.pointee.hd
        if Int(header.type) == Int(NGHTTP2_HEADERS.rawValue) || Int(header.type) == Int(NGHTTP2_DATA.rawValue) {
            // gRFC A8: sending HEADERS or DATA resets the ping enforcement.
            self.lastPingReceived = nil
            self.pingStrikes = 0
        }
        guard header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0,
            Int(header.type) == Int(NGHTTP2_HEADERS.rawValue) || Int(header.type) == Int(NGHTTP2_DATA.rawValue),
            let session = self.session, let stream = self.stream(header.stream_id), !stream.requestEnded
        else { return }
        stream.requestEnded = true
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), header.stream_id, HTTP2ErrorCode.noError)
    }

    private func streamOpened(_ stream: HTTP2ServerStream) {
        if stream.headerListTooLarge {
            // RFC 6585 §5 / RFC 9113 §10.5.1: refuse with 431, never call the layer above.
            stream.respond(headers: [HTTP2Header(":status", "431")], endStream: true)
            return
        }
        var head = stream.head
        stream.head = HTTP2RequestHead()
        if !stream.headersDiverged {
            // Every field equal to the previous request's, in order: share its array (copy-on-write).
            head.headers =
                stream.sameHeaderCount == self.previousHead.headers.count
                ? self.previousHead.headers : Array(self.previousHead.headers[0..<stream.sameHeaderCount])
        }
        self.previousHead = head
        stream.delegate = self.delegate?.http2StreamOpened(stream, head: head)
    }

    fileprivate func dataChunkReceived(streamID: Int32, bytes: UnsafeRawBufferPointer) {
        guard let delegate = self.stream(streamID)?.delegate else { return }
        if self.dataFrameEndsStream, let readBuffer = self.readBuffer, let readBytes = self.readBytes,
            let chunk = bytes.baseAddress,
            let base = readBytes.baseAddress, chunk >= base, chunk + bytes.count <= base + readBytes.count
        {
            let offset = readBuffer.readerIndex + (chunk - base)
            delegate.http2StreamReceivedData(buffer: readBuffer.getSlice(at: offset, length: bytes.count)!)
        } else {
            delegate.http2StreamReceivedData(bytes)
        }
    }

    fileprivate func streamClosed(streamID: Int32, errorCode: UInt32) {
        guard let stream = self.stream(streamID), !stream.isClosed else { return }
        // Unlink (the list holds the only strong reference besides the layer above).
        if let previous = stream.previous {
            previous.next = stream.next
        } else {
            self.firstStream = stream.next
        }
        stream.next?.previous = stream.previous
        stream.next = nil
        stream.previous = nil
        self.streamCount -= 1
        if self.headerStream === stream {
            self.headerStream = nil
        }
        if self.cachedStream === stream {
            self.cachedStream = nil
        }
        stream.closed(errorCode: errorCode)
        if self.streamCount == 0 {
            switch self.state {
            case .open:
                self.idleSince = .now()
            case .drainingGoAwaySent:
                // Last in-flight stream done after the final GOAWAY: close once it is written.
                self.eventLoop.assumeIsolated().execute {
                    self.flushOutbound()
                    self.close()
                }
            case .drainingNoticeSent, .closed:
                break
            }
        }
    }

    /// Copies queued response bytes into nghttp2's frame buffer (the data provider's read callback).
    fileprivate func readData(
        stream: HTTP2ServerStream,
        into buffer: UnsafeMutablePointer<UInt8>,
        length: Int,
        flags: UnsafeMutablePointer<UInt32>
    ) -> Int {
        let count = min(length, stream.outbound.readableBytes)
        if count > 0 {
            stream.outbound.withUnsafeReadableBytes { bytes in
                UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress!, byteCount: count)
            }
            stream.outbound.moveReaderIndex(forwardBy: count)
        }
        if stream.outbound.readableBytes == 0 {
            if stream.endRequested {
                if let trailers = stream.trailers, let session = self.session {
                    flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue | NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
                    _ = withNGHTTP2NameValues(trailers) { nva, n in
                        nghttp2_submit_trailer(session, stream.id, nva, n)
                    }
                    stream.trailers = nil
                } else {
                    flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
                }
            } else if count == 0 {
                stream.dataDeferred = true
                return Int(NGHTTP2_ERR_DEFERRED.rawValue)
            }
        }
        if count > 0 {
            stream.delegate?.http2StreamDidDrain(bytesTaken: count, queuedBytes: stream.outbound.readableBytes)
        }
        return count
    }

    @inline(__always)
    private func stream(_ id: Int32) -> HTTP2ServerStream? {
        if let cached = self.cachedStream, cached.id == id {
            return cached
        }
        guard let session = self.session, let pointer = nghttp2_session_get_stream_user_data(session, id) else {
            return nil
        }
        let stream = Unmanaged<HTTP2ServerStream>.fromOpaque(pointer).takeUnretainedValue()
        self.cachedStream = stream
        return stream
    }

    // MARK: - Session creation

    private static func makeSession(configuration: HTTP2ServerConfiguration, userData: HTTP2ServerConnectionHandler) -> OpaquePointer {
        var option: OpaquePointer?
        precondition(nghttp2_option_new(&option) == 0, "nghttp2_option_new failed (out of memory)")
        defer { nghttp2_option_del(option) }
        NGHTTP2Hardening.apply(configuration, to: option)
        var session: OpaquePointer?
        let rv = nghttp2_session_server_new2(
            &session, serverCallbacks, Unmanaged.passUnretained(userData).toOpaque(), option
        )
        precondition(rv == 0 && session != nil, "nghttp2_session_server_new2 failed: \(rv)")
        return session!
    }
}

/// The `nghttp2_option_set_*` hardening every server session gets (values from `HTTP2ServerConfiguration`).
enum NGHTTP2Hardening {
    static func apply(_ configuration: HTTP2ServerConfiguration, to option: OpaquePointer?) {
        // CVE-2019-9515 (settings flood) / CVE-2019-9512 (ping flood): bounded unsent ACK queue.
        nghttp2_option_set_max_outbound_ack(option, configuration.maxOutboundAcks)
        // Oversized SETTINGS frames.
        nghttp2_option_set_max_settings(option, configuration.maxSettingsEntries)
        // CVE-2023-44487 (Rapid Reset): token bucket on incoming RST_STREAM.
        nghttp2_option_set_stream_reset_rate_limit(
            option, UInt64(configuration.resetBurst), UInt64(configuration.resetRatePerSecond)
        )
        // CVE-2024-28182 (CONTINUATION flood).
        nghttp2_option_set_max_continuations(option, configuration.maxContinuations)
        // Our HPACK encoder's dynamic table: 4 KiB (the RFC default) caps memory per connection.
        nghttp2_option_set_max_deflate_dynamic_table_size(option, 4096)
        // Closed streams are kept (nghttp2's default, bounded by MAX_CONCURRENT_STREAMS): forgetting them would
        // make frames on a closed stream indistinguishable from stale ones, so they would be silently ignored
        // instead of answered with STREAM_CLOSED (RFC 9113 §5.1; h2spec 5.1 cases).
        // Servers have no reserved (pushed) remote streams.
        nghttp2_option_set_max_reserved_remote_streams(option, 0)
        // Automatic WINDOW_UPDATE stays on: request memory is bounded by the per-message limit of the layer
        // above times MAX_CONCURRENT_STREAMS, and manual consumption would cost a call per DATA frame.
        nghttp2_option_set_no_auto_window_update(option, 0)
    }
}

// MARK: - C callbacks: each forwards to the handler in one line, never throws across C.

/// Calls `body` with the handler behind `userData` without retaining it (the channel pipeline owns it for the
/// session's whole life).
@inline(__always)
private func withHandler<R>(_ userData: UnsafeMutableRawPointer?, _ body: (HTTP2ServerConnectionHandler) -> R) -> R {
    Unmanaged<HTTP2ServerConnectionHandler>.fromOpaque(userData!)._withUnsafeGuaranteedRef(body)
}

private let onBeginHeaders: nghttp2_on_begin_headers_callback = { _, frame, userData in
    withHandler(userData) { $0.beginHeaders(streamID: frame!.pointee.hd.stream_id, category: frame!.pointee.headers.cat) }
    return 0
}

private let onHeader: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, userData in
    withHandler(userData) {
        $0.header(
            category: frame!.pointee.headers.cat,
            name: UnsafeRawBufferPointer(start: name, count: nameLength),
            value: UnsafeRawBufferPointer(start: value, count: valueLength)
        )
    }
    return 0
}

private let onBeginFrame: nghttp2_on_begin_frame_callback = { _, header, userData in
    withHandler(userData) { $0.beginFrame(header!) }
    return 0
}

private let onFrameRecv: nghttp2_on_frame_recv_callback = { _, frame, userData in
    withHandler(userData) { $0.frameReceived(frame!) }
    return 0
}

private let onFrameSend: nghttp2_on_frame_send_callback = { _, frame, userData in
    withHandler(userData) { $0.frameSent(frame!) }
    return 0
}

private let onDataChunkRecv: nghttp2_on_data_chunk_recv_callback = { _, _, streamID, data, length, userData in
    withHandler(userData) { $0.dataChunkReceived(streamID: streamID, bytes: UnsafeRawBufferPointer(start: data, count: length)) }
    return 0
}

private let onStreamClose: nghttp2_on_stream_close_callback = { _, streamID, errorCode, userData in
    withHandler(userData) { $0.streamClosed(streamID: streamID, errorCode: errorCode) }
    return 0
}

private let onDataSourceRead: nghttp2_data_source_read_callback = { _, _, buffer, length, flags, source, userData in
    Unmanaged<HTTP2ServerStream>.fromOpaque(source!.pointee.ptr!)._withUnsafeGuaranteedRef { stream in
        withHandler(userData) { $0.readData(stream: stream, into: buffer!, length: length, flags: flags!) }
    }
}

/// nghttp2 copies the table into each session, so one shared table serves every connection.
private nonisolated(unsafe) let serverCallbacks: OpaquePointer = {
    var callbacks: OpaquePointer?
    precondition(nghttp2_session_callbacks_new(&callbacks) == 0, "nghttp2_session_callbacks_new failed")
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeaders)
    nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
    nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, onBeginFrame)
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameRecv)
    nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, onFrameSend)
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunkRecv)
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClose)
    return callbacks!
}()
