import CNGHTTP2
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small blocking HTTP/2 client on nghttp2 for driving the server frame by frame in tests: each queued
/// chunk becomes exactly one DATA frame, headers are arbitrary, and every response part is recorded.
final class H2TestClient {
    struct Response {
        /// Every header block received (response headers, trailers), in order.
        var headerBlocks: [[(name: String, value: String)]] = []
        /// Whether the block at the same index carried END_STREAM.
        var headerBlockEndedStream: [Bool] = []
        var data: [UInt8] = []
        var closed = false
        var errorCode: UInt32 = 0
        var resetReceived: UInt32?

        func header(_ name: String, block: Int = 0) -> String? {
            guard block < self.headerBlocks.count else { return nil }
            return self.headerBlocks[block].first { $0.name == name }?.value
        }

        /// `grpc-status` wherever it came (Trailers-Only headers or trailers).
        var grpcStatus: Int? {
            for block in self.headerBlocks.reversed() {
                if let value = block.first(where: { $0.name == "grpc-status" })?.value { return Int(value) }
            }
            return nil
        }

        var grpcMessage: String? {
            for block in self.headerBlocks.reversed() {
                if let value = block.first(where: { $0.name == "grpc-message" })?.value { return value }
            }
            return nil
        }

        /// Trailers-Only: a single HEADERS frame with END_STREAM, no DATA.
        var isTrailersOnly: Bool {
            self.headerBlocks.count == 1 && self.headerBlockEndedStream == [true] && self.data.isEmpty
        }

        /// The response messages (5-byte prefix stripped).
        var messages: [[UInt8]] {
            var result: [[UInt8]] = []
            var index = 0
            while index + 5 <= self.data.count {
                let length = Int(self.data[index + 1]) << 24 | Int(self.data[index + 2]) << 16
                    | Int(self.data[index + 3]) << 8 | Int(self.data[index + 4])
                guard index + 5 + length <= self.data.count else { break }
                result.append(Array(self.data[(index + 5)..<(index + 5 + length)]))
                index += 5 + length
            }
            return result
        }
    }

    final class Outgoing {
        var chunks: [[UInt8]] = []
        var end = false
        var deferred = false
    }

    let fd: Int32
    var session: OpaquePointer?
    var responses: [Int32: Response] = [:]
    var outgoing: [Int32: Outgoing] = [:]
    var goAwayLastStreamIDs: [Int32] = []
    var peerClosed = false
    var settingsReceived = false
    var pending: [UInt8] = []

    /// Connects; with `startSession` false no preface is sent (raw TCP for handshake tests).
    init(port: Int, startSession: Bool = true, initialWindowSize: UInt32 = 65_535, connectionWindow: Int32 = 65_535) throws {
        self.fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rv = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(self.fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rv == 0 else {
            close(self.fd)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        guard startSession else { return }
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, user in
            H2TestClient.from(user).responses[frame!.pointee.hd.stream_id, default: Response()].headerBlocks.append([])
            return 0
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, frame, name, nameLength, value, valueLength, _, user in
            let client = H2TestClient.from(user)
            let id = frame!.pointee.hd.stream_id
            let pair = (
                String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self),
                String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
            )
            client.responses[id, default: Response()].headerBlocks[client.responses[id]!.headerBlocks.count - 1].append(pair)
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, user in
            let client = H2TestClient.from(user)
            let hd = frame!.pointee.hd
            switch Int(hd.type) {
            case Int(NGHTTP2_HEADERS.rawValue):
                client.responses[hd.stream_id, default: Response()].headerBlockEndedStream.append(
                    hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
                )
            case Int(NGHTTP2_GOAWAY.rawValue):
                client.goAwayLastStreamIDs.append(frame!.pointee.goaway.last_stream_id)
            case Int(NGHTTP2_RST_STREAM.rawValue):
                client.responses[hd.stream_id, default: Response()].resetReceived = frame!.pointee.rst_stream.error_code
            case Int(NGHTTP2_SETTINGS.rawValue):
                client.settingsReceived = true
            default:
                break
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, id, data, length, user in
            H2TestClient.from(user).responses[id, default: Response()].data.append(contentsOf: UnsafeBufferPointer(start: data, count: length))
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, id, code, user in
            let client = H2TestClient.from(user)
            client.responses[id, default: Response()].closed = true
            client.responses[id]!.errorCode = code
            return 0
        }
        nghttp2_session_client_new(&self.session, callbacks, Unmanaged.passUnretained(self).toOpaque())
        var settings = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: initialWindowSize),
        ]
        nghttp2_submit_settings(self.session, 0, &settings, settings.count)
        if connectionWindow > 65_535 {
            nghttp2_session_set_local_window_size(self.session, 0, 0, connectionWindow)
        }
    }

    deinit {
        if let session { nghttp2_session_del(session) }
        close(self.fd)
    }

    static func from(_ user: UnsafeMutableRawPointer?) -> H2TestClient {
        Unmanaged<H2TestClient>.fromOpaque(user!).takeUnretainedValue()
    }

    /// Framed gRPC message bytes.
    static func frame(_ message: [UInt8], compressed: Bool = false) -> [UInt8] {
        let n = UInt32(message.count)
        return [compressed ? 1 : 0, UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)] + message
    }

    /// Starts a request. Each of `chunks` goes out as one DATA frame; `end` sends END_STREAM after them.
    @discardableResult
    func request(
        path: String,
        method: String = "POST",
        contentType: String? = "application/grpc",
        headers: [(String, String)] = [],
        chunks: [[UInt8]] = [],
        end: Bool = true
    ) -> Int32 {
        var fields: [(String, String)] = [(":method", method), (":scheme", "http"), (":path", path), (":authority", "localhost")]
        if let contentType { fields.append(("content-type", contentType)) }
        fields.append(("te", "trailers"))
        fields += headers
        let outgoing = Outgoing()
        outgoing.chunks = chunks
        outgoing.end = end
        var provider = nghttp2_data_provider()
        provider.source.ptr = Unmanaged.passUnretained(outgoing).toOpaque()
        provider.read_callback = { session, id, buffer, length, flags, source, _ in
            let outgoing = Unmanaged<Outgoing>.fromOpaque(source!.pointee.ptr).takeUnretainedValue()
            if outgoing.chunks.isEmpty {
                if outgoing.end {
                    flags!.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
                    return 0
                }
                outgoing.deferred = true
                return Int(NGHTTP2_ERR_DEFERRED.rawValue)
            }
            let chunk = outgoing.chunks.removeFirst()
            precondition(chunk.count <= length, "test chunk larger than a DATA frame")
            chunk.withUnsafeBytes { UnsafeMutableRawPointer(buffer!).copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, byteCount: chunk.count) }
            if outgoing.chunks.isEmpty && outgoing.end {
                flags!.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            }
            return chunk.count
        }
        var names = fields.map { Array($0.0.utf8) }
        var values = fields.map { Array($0.1.utf8) }
        let id = Self.submit(self.session, &names, &values, &provider)
        precondition(id > 0, "nghttp2_submit_request failed: \(id)")
        self.outgoing[id] = outgoing
        self.responses[id] = self.responses[id] ?? Response()
        return id
    }

    /// Submits with name/value arrays kept alive and contiguous for the duration of the call.
    private static func submit(_ session: OpaquePointer?, _ names: inout [[UInt8]], _ values: inout [[UInt8]], _ provider: inout nghttp2_data_provider) -> Int32 {
        let nameBuffers = names.map { bytes -> UnsafeMutableBufferPointer<UInt8> in
            let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
            _ = buffer.initialize(from: bytes)
            return buffer
        }
        let valueBuffers = values.map { bytes -> UnsafeMutableBufferPointer<UInt8> in
            let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
            _ = buffer.initialize(from: bytes)
            return buffer
        }
        defer {
            nameBuffers.forEach { $0.deallocate() }
            valueBuffers.forEach { $0.deallocate() }
        }
        var nva = (0..<names.count).map {
            nghttp2_nv(name: nameBuffers[$0].baseAddress!, value: valueBuffers[$0].baseAddress!, namelen: names[$0].count, valuelen: values[$0].count, flags: 0)
        }
        return nghttp2_submit_request(session, nil, &nva, nva.count, &provider, nil)
    }

    /// Queues more DATA for a request started with `end: false`.
    func send(_ id: Int32, chunks: [[UInt8]], end: Bool) {
        guard let outgoing = self.outgoing[id] else { return }
        outgoing.chunks += chunks
        outgoing.end = end
        if outgoing.deferred {
            outgoing.deferred = false
            nghttp2_session_resume_data(self.session, id)
        }
    }

    func ping() {
        nghttp2_submit_ping(self.session, 0, nil)
    }

    /// Writes queued frames, giving up (instead of blocking) when the socket stays full for `timeout` seconds.
    func flushNonBlocking(timeout: Double) {
        let flags = fcntl(self.fd, F_GETFL)
        _ = fcntl(self.fd, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(self.fd, F_SETFL, flags) }
        let deadline = Date().addingTimeInterval(timeout)
        guard let session else { return }
        var pending: [UInt8] = []
        while Date() < deadline && !self.peerClosed {
            if pending.isEmpty {
                var pointer: UnsafePointer<UInt8>?
                let count = nghttp2_session_mem_send(session, &pointer)
                if count <= 0 { return }
                pending = Array(UnsafeBufferPointer(start: pointer, count: count))
            }
            let written = pending.withUnsafeBytes { Glibc.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written > 0 {
                pending.removeFirst(written)
            } else if written < 0 && errno != EAGAIN {
                self.peerClosed = true
            } else {
                usleep(1000)
            }
        }
    }

    func reset(_ id: Int32, code: UInt32 = 8) {
        nghttp2_submit_rst_stream(self.session, 0, id, code)
    }

    /// Writes what nghttp2 has queued, without reading.
    func flush() {
        guard let session else { return }
        while true {
            var pointer: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &pointer)
            if count <= 0 { break }
            var offset = 0
            while offset < count {
                let written = Glibc.send(self.fd, pointer! + offset, count - offset, Int32(MSG_NOSIGNAL))
                if written <= 0 { self.peerClosed = true; return }
                offset += written
            }
        }
    }

    /// Pumps writes and reads until `condition` holds, the peer closes, or `timeout` passes. Returns whether
    /// the condition held.
    @discardableResult
    func run(timeout: Double = 5, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            self.flush()
            if condition() { return true }
            if self.peerClosed || Date() >= deadline { return condition() }
            var pfd = pollfd(fd: self.fd, events: Int16(POLLIN), revents: 0)
            let wait = Int32(max(1, min(50, deadline.timeIntervalSinceNow * 1000)))
            if poll(&pfd, 1, wait) > 0 {
                let count = recv(self.fd, &buffer, buffer.count, 0)
                if count <= 0 {
                    self.peerClosed = true
                    continue
                }
                if let session {
                    let rv = buffer.withUnsafeBufferPointer { nghttp2_session_mem_recv(session, $0.baseAddress, count) }
                    if rv < 0 { self.peerClosed = true }
                }
            }
        }
    }

    /// Raw TCP: waits until the server closes the connection; true if it did within `timeout`.
    func waitForPeerClose(timeout: Double) -> Bool {
        self.run(timeout: timeout) { false }
        return self.peerClosed
    }

    func sendRaw(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Closes the socket abruptly.
    func closeSocket() {
        shutdown(self.fd, Int32(SHUT_RDWR))
    }
}
