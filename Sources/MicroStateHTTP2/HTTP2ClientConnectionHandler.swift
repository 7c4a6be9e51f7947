internal import CNGHTTP2
import Atomics
import NIOCore

/// The NIO handler that owns one nghttp2 CLIENT session per connection.
///
/// Bytes in go to `nghttp2_session_mem_recv` (callbacks fire synchronously inside it and are forwarded, one line
/// each, to methods here); bytes out are drained from `nghttp2_session_mem_send` after each read burst and after
/// anything submitted outside a read (open, reset, consume), then written and flushed once. Draining stops while
/// the channel is not writable and resumes on `channelWritabilityChanged`, so nghttp2's flow control pushes back
/// on request bodies instead of the outbound buffer growing.
///
/// Receive flow control: automatic WINDOW_UPDATE is off (`nghttp2_option_set_no_auto_window_update`) and consumption
/// is reported explicitly: the connection window at once on receipt, the stream window at once for `autoConsume`
/// streams, else when the stream's owner calls `HTTP2ClientStream.consume(_:)`. nghttp2 still decides when to send
/// WINDOW_UPDATE (once half the window is consumed).
///
/// GOAWAY: new streams are refused from then on (`isAcceptingStreams` turns false), nghttp2 closes our streams above
/// the last-stream-id with REFUSED_STREAM (delivered as `.refused`, safe to retry), and the connection closes once its
/// last stream ends.
///
/// All state is confined to the channel's event loop.
final class HTTP2ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private final class StreamRecord {
        let handle: HTTP2ClientStream
        let onEvent: @Sendable (HTTP2ClientStreamEvent) -> Void
        let autoConsume: Bool
        var body: ByteBuffer
        var headers: [HTTP2ClientHeader] = []
        var headerBytes = 0
        var resetLocally = false

        init(
            handle: HTTP2ClientStream,
            onEvent: @escaping @Sendable (HTTP2ClientStreamEvent) -> Void,
            autoConsume: Bool,
            body: ByteBuffer
        ) {
            self.handle = handle
            self.onEvent = onEvent
            self.autoConsume = autoConsume
            self.body = body
        }
    }

    private let configuration: HTTP2ClientConfiguration
    private let accepting: ManagedAtomic<Bool>
    private var session: OpaquePointer?
    private var context: ChannelHandlerContext?
    /// Owner table of open streams (at most the peer's concurrency limit plus queued requests).
    private var streams: [Int32: StreamRecord] = [:]
    /// True while inside `mem_recv`/`mem_send`: nghttp2 must not be re-entered, so flushes wait.
    private var inSession = false
    private var active = false
    private var goAwayReceived = false
    private var closed = false
    /// Set once `closeNow` started, so its final flush cannot recurse into it.
    private var closing = false

    init(configuration: HTTP2ClientConfiguration, accepting: ManagedAtomic<Bool>) {
        self.configuration = configuration
        self.accepting = accepting
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        var callbacks: OpaquePointer?
        precondition(nghttp2_session_callbacks_new(&callbacks) == 0, "nghttp2: out of memory")
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, clientOnBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, clientOnHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, clientOnFrameRecv)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, clientOnDataChunkRecv)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, clientOnStreamClose)
        nghttp2_session_callbacks_set_on_frame_not_send_callback(callbacks, clientOnFrameNotSend)

        var option: OpaquePointer?
        precondition(nghttp2_option_new(&option) == 0, "nghttp2: out of memory")
        defer { nghttp2_option_del(option) }
        nghttp2_option_set_no_auto_window_update(option, 1)
        nghttp2_option_set_peer_max_concurrent_streams(option, UInt32(self.configuration.assumedPeerMaxConcurrentStreams))
        nghttp2_option_set_max_reserved_remote_streams(option, 0)
        nghttp2_option_set_max_outbound_ack(option, self.configuration.maxQueuedControlFrames)
        nghttp2_option_set_max_deflate_dynamic_table_size(option, self.configuration.maxEncoderTableBytes)

        let rv = nghttp2_session_client_new2(
            &self.session, callbacks, Unmanaged.passUnretained(self).toOpaque(), option
        )
        precondition(rv == 0, "nghttp2_session_client_new2 failed: \(rv)")
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.failAllStreams(.connectionFailed("the connection closed"))
        if let session = self.session {
            nghttp2_session_del(session)
            self.session = nil
        }
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        self.active = true
        self.startSession()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.active = false
        self.closed = true
        self.accepting.store(false, ordering: .releasing)
        self.failAllStreams(.connectionFailed("the connection closed"))
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        guard let session = self.session, !self.closed else {
            return
        }
        self.inSession = true
        let rv = buffer.withUnsafeReadableBytes { bytes in
            nghttp2_session_mem_recv(session, bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count)
        }
        self.inSession = false
        if rv < 0 {
            // Fatal for the session (nghttp2 has queued a GOAWAY where one is due): send it, then close.
            self.closeNow(reason: "HTTP/2 protocol error: \(String(cString: nghttp2_strerror(Int32(rv))))")
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.flush()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.flush()
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.failAllStreams(.connectionFailed("connection error: \(error)"))
        self.closeNow(reason: "connection error: \(error)")
    }

    // MARK: - Operations (on the event loop)

    private func startSession() {
        guard let session = self.session else {
            return
        }
        var settings = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                value: UInt32(self.configuration.streamWindowBytes)
            ),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                value: UInt32(self.configuration.maxHeaderListBytes)
            ),
            // We accept no server-initiated streams (push is off).
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: 0),
        ]
        var rv = nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
        precondition(rv == 0, "nghttp2_submit_settings failed: \(rv)")
        rv = nghttp2_session_set_local_window_size(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Int32(self.configuration.connectionWindowBytes)
        )
        precondition(rv == 0, "nghttp2_session_set_local_window_size failed: \(rv)")
        self.flush()
    }

    func openStream(
        _ handle: HTTP2ClientStream,
        headers: [HTTP2ClientHeader],
        body: ByteBuffer?,
        autoConsume: Bool,
        onEvent: @escaping @Sendable (HTTP2ClientStreamEvent) -> Void
    ) {
        guard let session = self.session, !self.closed, !self.goAwayReceived,
            self.accepting.load(ordering: .relaxed)
        else {
            onEvent(.closed(.refused("the connection is closing")))
            return
        }
        let record = StreamRecord(handle: handle, onEvent: onEvent, autoConsume: autoConsume, body: body ?? ByteBuffer())
        let streamID = Self.withNameValues(headers) { nva, count -> Int32 in
            if body == nil {
                return nghttp2_submit_request(session, nil, nva, count, nil, nil)
            }
            var provider = nghttp2_data_provider(
                source: nghttp2_data_source(ptr: nil),
                read_callback: clientReadRequestBody
            )
            return nghttp2_submit_request(session, nil, nva, count, &provider, nil)
        }
        guard streamID > 0 else {
            if streamID == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE.rawValue {
                // Stream IDs exhausted (2^31): this connection can carry no more requests.
                self.accepting.store(false, ordering: .releasing)
                self.closeIfIdle()
            }
            onEvent(.closed(.refused("could not submit the request: \(String(cString: nghttp2_strerror(streamID)))")))
            return
        }
        handle.streamID = streamID
        self.streams[streamID] = record
        self.flush()
    }

    func resetStream(_ handle: HTTP2ClientStream) {
        guard let session = self.session, handle.streamID > 0, let record = self.streams[handle.streamID],
            !record.resetLocally
        else {
            return
        }
        record.resetLocally = true
        _ = nghttp2_submit_rst_stream(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue), handle.streamID, HTTP2ClientErrorCode.cancel
        )
        // Report the reset now rather than when nghttp2 gets to the frame (it may be queued behind a slow socket).
        self.finishStream(handle.streamID, reason: .resetLocally)
        self.flush()
    }

    func consume(_ handle: HTTP2ClientStream, bytes: Int) {
        guard let session = self.session, handle.streamID > 0, self.streams[handle.streamID] != nil else {
            return
        }
        _ = nghttp2_session_consume_stream(session, handle.streamID, bytes)
        self.flush()
    }

    /// Sends GOAWAY (if the session is still up) and closes the channel; open streams fail.
    func closeNow(reason: String) {
        guard !self.closing else {
            return
        }
        self.closing = true
        self.accepting.store(false, ordering: .releasing)
        if let session = self.session, !self.closed {
            _ = nghttp2_submit_goaway(
                session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nghttp2_session_get_last_proc_stream_id(session),
                HTTP2ClientErrorCode.noError, nil, 0
            )
            self.flush()
        }
        self.failAllStreams(.connectionFailed(reason))
        if !self.closed, let context = self.context {
            self.closed = true
            context.close(promise: nil)
        }
    }

    /// Drains everything nghttp2 has to send into buffers of at most `maxWriteChunkBytes`, writes them and
    /// flushes once. Stops while the channel is not writable (resumed by `channelWritabilityChanged`).
    private func flush() {
        guard !self.inSession, self.active, !self.closed, let session = self.session, let context = self.context else {
            return
        }
        var buffer: ByteBuffer?
        var wrote = false
        self.inSession = true
        while context.channel.isWritable {
            var chunk: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &chunk)
            if count < 0 {
                self.inSession = false
                self.closeNow(reason: "HTTP/2 send error: \(String(cString: nghttp2_strerror(Int32(count))))")
                return
            }
            if count == 0 {
                break
            }
            // The pointer is valid only until the next mem_send: copy at once.
            if buffer == nil {
                buffer = context.channel.allocator.buffer(capacity: max(count, 4096))
            }
            buffer!.writeBytes(UnsafeRawBufferPointer(start: chunk, count: count))
            if buffer!.readableBytes >= self.configuration.maxWriteChunkBytes {
                context.write(self.wrapOutboundOut(buffer!), promise: nil)
                buffer = nil
                wrote = true
            }
        }
        self.inSession = false
        if let buffer {
            context.write(self.wrapOutboundOut(buffer), promise: nil)
            wrote = true
        }
        if wrote {
            context.flush()
        }
        if !self.closing && nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0 {
            self.closeNow(reason: "the HTTP/2 session ended")
            return
        }
        self.closeIfIdle()
    }

    private func closeIfIdle() {
        if self.streams.isEmpty && !self.accepting.load(ordering: .relaxed) && !self.closed && !self.inSession {
            self.closeNow(reason: "the connection closed after GOAWAY")
        }
    }

    private func finishStream(_ streamID: Int32, reason: HTTP2ClientStreamCloseReason) {
        guard let record = self.streams.removeValue(forKey: streamID) else {
            return
        }
        record.onEvent(.closed(reason))
    }

    private func failAllStreams(_ reason: HTTP2ClientStreamCloseReason) {
        // Bounded: each iteration removes one stream; callbacks cannot add streams synchronously to a closed session.
        let ids = Array(self.streams.keys)
        for id in ids {
            self.finishStream(id, reason: reason)
        }
    }

    // MARK: - nghttp2 callbacks (forwarded from the C functions below)

    fileprivate func onBeginHeaders(streamID: Int32) {
        if let record = self.streams[streamID] {
            record.headers.removeAll(keepingCapacity: true)
            record.headerBytes = 0
        }
    }

    fileprivate func onHeader(streamID: Int32, name: String, value: String) -> Int32 {
        guard let record = self.streams[streamID] else {
            return 0
        }
        // RFC 9113 §6.5.2: the size of a header list counts 32 bytes of overhead per field.
        record.headerBytes += name.utf8.count + value.utf8.count + 32
        if record.headerBytes > self.configuration.maxHeaderListBytes {
            self.finishStream(
                streamID,
                reason: .protocolError(
                    "response header list exceeds the limit of \(self.configuration.maxHeaderListBytes) bytes"
                )
            )
            // nghttp2 answers with RST_STREAM(INTERNAL_ERROR).
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue
        }
        record.headers.append(HTTP2ClientHeader(name, value))
        return 0
    }

    fileprivate func onFrameRecv(type: UInt8, flags: UInt8, streamID: Int32, goAwayLastStreamID: Int32) {
        let endStream = flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch UInt32(type) {
        case NGHTTP2_HEADERS.rawValue:
            guard let record = self.streams[streamID] else {
                return
            }
            let block = record.headers
            record.headers = []
            record.headerBytes = 0
            record.onEvent(.headers(block, endStream: endStream))
        case NGHTTP2_DATA.rawValue:
            if endStream, let record = self.streams[streamID] {
                record.onEvent(.endStream)
            }
        case NGHTTP2_GOAWAY.rawValue:
            // nghttp2 itself closes our streams above `goAwayLastStreamID` with REFUSED_STREAM.
            self.goAwayReceived = true
            self.accepting.store(false, ordering: .releasing)
        default:
            break
        }
    }

    fileprivate func onDataChunk(streamID: Int32, bytes: UnsafeRawBufferPointer) {
        guard let session = self.session else {
            return
        }
        // The connection window is returned at once: one slow stream must not stall the others.
        _ = nghttp2_session_consume_connection(session, bytes.count)
        guard let record = self.streams[streamID], let context = self.context else {
            // A stream we already finished (reset, or failed on a limit): its bytes are nobody's.
            _ = nghttp2_session_consume_stream(session, streamID, bytes.count)
            return
        }
        if record.autoConsume {
            _ = nghttp2_session_consume_stream(session, streamID, bytes.count)
        }
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        record.onEvent(.data(buffer))
    }

    fileprivate func onStreamClose(streamID: Int32, errorCode: UInt32) {
        guard let record = self.streams[streamID] else {
            self.closeIfIdle()
            return
        }
        let reason: HTTP2ClientStreamCloseReason
        if record.resetLocally {
            reason = .resetLocally
        } else if errorCode == HTTP2ClientErrorCode.noError {
            reason = .finished
        } else if errorCode == HTTP2ClientErrorCode.refusedStream {
            reason = .refused("the server refused the stream (REFUSED_STREAM or above GOAWAY's last-stream-id)")
        } else {
            reason = .resetByPeer(errorCode: errorCode)
        }
        self.finishStream(streamID, reason: reason)
        self.closeIfIdle()
    }

    fileprivate func onFrameNotSend(type: UInt8, streamID: Int32, error: Int32) {
        guard UInt32(type) == NGHTTP2_HEADERS.rawValue else {
            return
        }
        self.finishStream(
            streamID,
            reason: .refused("the request was not sent: \(String(cString: nghttp2_strerror(error)))")
        )
    }

    fileprivate func readRequestBody(
        streamID: Int32,
        into destination: UnsafeMutablePointer<UInt8>,
        length: Int,
        flags: UnsafeMutablePointer<UInt32>
    ) -> Int {
        guard let record = self.streams[streamID] else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        let count = min(length, record.body.readableBytes)
        record.body.readWithUnsafeReadableBytes { source in
            if count > 0 {
                UnsafeMutableRawPointer(destination).copyMemory(from: source.baseAddress!, byteCount: count)
            }
            return count
        }
        if record.body.readableBytes == 0 {
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            record.body = ByteBuffer()
        }
        return count
    }

    // MARK: - Helpers

    /// Lays every name and value out in one byte array and calls `body` with an `nghttp2_nv` array pointing
    /// into it. nghttp2 copies names and values during submit (no NO_COPY flags), so the memory need only live
    /// for the call.
    private static func withNameValues<R>(
        _ headers: [HTTP2ClientHeader],
        _ body: (UnsafePointer<nghttp2_nv>, Int) -> R
    ) -> R {
        var storage: [UInt8] = []
        storage.reserveCapacity(headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count })
        var ranges: [(Int, Int, Int, Int)] = []
        ranges.reserveCapacity(headers.count)
        for header in headers {
            let nameStart = storage.count
            storage.append(contentsOf: header.name.utf8)
            let valueStart = storage.count
            storage.append(contentsOf: header.value.utf8)
            ranges.append((nameStart, valueStart - nameStart, valueStart, storage.count - valueStart))
        }
        if storage.isEmpty {
            storage.append(0)  // a valid base address even for empty names/values
        }
        return storage.withUnsafeMutableBufferPointer { bytes in
            let base = bytes.baseAddress!
            let nva = ranges.map { range in
                nghttp2_nv(
                    name: base + range.0,
                    value: base + range.2,
                    namelen: range.1,
                    valuelen: range.3,
                    flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)
                )
            }
            return nva.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
        }
    }
}

// MARK: - C callbacks: each forwards in one line to the handler (user_data is the unretained handler).

private func clientHandler(_ userData: UnsafeMutableRawPointer?) -> HTTP2ClientConnectionHandler {
    Unmanaged<HTTP2ClientConnectionHandler>.fromOpaque(userData!).takeUnretainedValue()
}

private let clientOnBeginHeaders: nghttp2_on_begin_headers_callback = { _, frame, userData in
    clientHandler(userData).onBeginHeaders(streamID: frame!.pointee.hd.stream_id)
    return 0
}

private let clientOnHeader: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, userData in
    clientHandler(userData).onHeader(
        streamID: frame!.pointee.hd.stream_id,
        name: String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self),
        value: String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
    )
}

private let clientOnFrameRecv: nghttp2_on_frame_recv_callback = { _, frame, userData in
    let header = frame!.pointee.hd
    let lastStreamID = UInt32(header.type) == NGHTTP2_GOAWAY.rawValue ? frame!.pointee.goaway.last_stream_id : 0
    clientHandler(userData).onFrameRecv(
        type: header.type, flags: header.flags, streamID: header.stream_id, goAwayLastStreamID: lastStreamID
    )
    return 0
}

private let clientOnDataChunkRecv: nghttp2_on_data_chunk_recv_callback = { _, _, streamID, data, length, userData in
    clientHandler(userData).onDataChunk(streamID: streamID, bytes: UnsafeRawBufferPointer(start: data, count: length))
    return 0
}

private let clientOnStreamClose: nghttp2_on_stream_close_callback = { _, streamID, errorCode, userData in
    clientHandler(userData).onStreamClose(streamID: streamID, errorCode: errorCode)
    return 0
}

private let clientOnFrameNotSend: nghttp2_on_frame_not_send_callback = { _, frame, error, userData in
    clientHandler(userData).onFrameNotSend(type: frame!.pointee.hd.type, streamID: frame!.pointee.hd.stream_id, error: error)
    return 0
}

private let clientReadRequestBody: nghttp2_data_source_read_callback = { _, streamID, buffer, length, flags, _, userData in
    clientHandler(userData).readRequestBody(streamID: streamID, into: buffer!, length: length, flags: flags!)
}
