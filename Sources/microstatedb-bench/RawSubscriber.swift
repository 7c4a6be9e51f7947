// A minimal HTTP/2 gRPC client for the live-delivery figure: one Subscribe call per connection, handled on the
// event loop without nghttp2, tasks or per-message allocation.
//
// Why not the project's `RPCClient`: the figure runs node and 100 subscriber connections on the same two shared
// cores, and RPCClient (nghttp2 session, AsyncStream hand-over and a task resume per batch) spent ~0.85 core
// receiving 1M deliveries/s, which is CPU the node's delivery then waited for. A subscriber on another machine
// costs the node nothing; this client keeps the harness's share small so the figure measures the node.
//
// What it speaks (RFC 9113): the preface, one SETTINGS (initial stream window 2^31−1, no push), one connection
// WINDOW_UPDATE to 2^31−1, a HEADERS frame of literal HPACK fields and one DATA frame with the request; it ACKs
// SETTINGS and PING, reads DATA (padding honoured) into gRPC messages and stops at END_STREAM, RST_STREAM or
// GOAWAY. It never sends another WINDOW_UPDATE, so one connection can receive at most 2 GiB — 200× what a
// 10 s run at 10,000 events/s delivers.
import MicroStateWire
import NIOCore
import NIOPosix

enum RawFrame {
    static let data: UInt8 = 0x0
    static let headers: UInt8 = 0x1
    static let rstStream: UInt8 = 0x3
    static let settings: UInt8 = 0x4
    static let ping: UInt8 = 0x6
    static let goaway: UInt8 = 0x7

    static let endStream: UInt8 = 0x1
    static let ack: UInt8 = 0x1
    static let endHeaders: UInt8 = 0x4
    static let padded: UInt8 = 0x8

    static func header(into buffer: inout ByteBuffer, length: Int, type: UInt8, flags: UInt8, stream: UInt32) {
        buffer.writeInteger(UInt8(truncatingIfNeeded: length >> 16))
        buffer.writeInteger(UInt16(truncatingIfNeeded: length))
        buffer.writeInteger(type)
        buffer.writeInteger(flags)
        buffer.writeInteger(stream & 0x7FFF_FFFF)
    }

    /// The SETTINGS ACK a client owes every SETTINGS frame.
    static func settingsAck(_ allocator: ByteBufferAllocator) -> ByteBuffer {
        var ack = allocator.buffer(capacity: 9)
        header(into: &ack, length: 0, type: settings, flags: Self.ack, stream: 0)
        return ack
    }

    /// The PING ACK echoing `payload`.
    static func pong(_ payload: inout ByteBuffer, _ allocator: ByteBufferAllocator) -> ByteBuffer {
        var pong = allocator.buffer(capacity: 9 + payload.readableBytes)
        header(into: &pong, length: payload.readableBytes, type: ping, flags: Self.ack, stream: 0)
        pong.writeBuffer(&payload)
        return pong
    }

    /// Takes every complete frame off the front of `pending` (type, flags, stream, payload), leaving a partial one.
    static func frames(_ pending: inout ByteBuffer, _ body: (UInt8, UInt8, UInt32, inout ByteBuffer) -> Void) {
        while pending.readableBytes >= 9 {
            let start = pending.readerIndex
            let length = Int(pending.getInteger(at: start, as: UInt8.self)!) << 16
                | Int(pending.getInteger(at: start + 1, as: UInt16.self)!)
            guard pending.readableBytes >= 9 + length else { break }
            let type = pending.getInteger(at: start + 3, as: UInt8.self)!
            let flags = pending.getInteger(at: start + 4, as: UInt8.self)!
            let stream = pending.getInteger(at: start + 5, as: UInt32.self)! & 0x7FFF_FFFF
            pending.moveReaderIndex(forwardBy: 9)
            var payload = pending.readSlice(length: length)!
            body(type, flags, stream, &payload)
        }
        pending.discardReadBytes()
    }

    /// HPACK "literal header field without indexing — new name", no Huffman (RFC 7541 §6.2.2); names and values
    /// here are shorter than 127 bytes, so each length fits the 7-bit prefix.
    static func literal(_ name: String, _ value: String, into bytes: inout [UInt8]) {
        precondition(name.utf8.count < 127 && value.utf8.count < 127)
        bytes.append(0x00)
        bytes.append(UInt8(name.utf8.count))
        bytes.append(contentsOf: name.utf8)
        bytes.append(UInt8(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }

    /// The connection preface, SETTINGS and WINDOW_UPDATE: what a client sends before its first request.
    static func preface(into buffer: inout ByteBuffer) {
        buffer.writeString("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        header(into: &buffer, length: 12, type: settings, flags: 0, stream: 0)
        buffer.writeInteger(UInt16(0x2))  // ENABLE_PUSH
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(UInt16(0x4))  // INITIAL_WINDOW_SIZE
        buffer.writeInteger(UInt32(0x7FFF_FFFF))
        header(into: &buffer, length: 4, type: 0x8, flags: 0, stream: 0)  // WINDOW_UPDATE, connection
        buffer.writeInteger(UInt32(0x7FFF_FFFF - 65_535))
    }

    /// A unary or server-streaming gRPC request on `stream`: HEADERS, then one DATA frame with END_STREAM.
    static func request(into buffer: inout ByteBuffer, stream: UInt32, authority: String, path: String, message: [UInt8]) {
        var block: [UInt8] = []
        literal(":method", "POST", into: &block)
        literal(":scheme", "http", into: &block)
        literal(":path", path, into: &block)
        literal(":authority", authority, into: &block)
        literal("content-type", "application/grpc", into: &block)
        literal("te", "trailers", into: &block)
        header(into: &buffer, length: block.count, type: headers, flags: endHeaders, stream: stream)
        buffer.writeBytes(block)
        header(into: &buffer, length: 5 + message.count, type: data, flags: endStream, stream: stream)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(message.count))
        buffer.writeBytes(message)
    }

    /// Everything a subscriber sends: the preface and its one request, on stream 1.
    static func opening(authority: String, path: String, request message: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        preface(into: &buffer)
        request(into: &buffer, stream: 1, authority: authority, path: path, message: message)
        return buffer
    }
}

/// One subscriber connection. Loop-confined; results are read after the loop is shut down.
final class RawSubscriberHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let opening: ByteBuffer
    private let onCaughtUp: @Sendable () -> Void
    /// Undelivered bytes: a partial frame header or frame.
    private var pending = ByteBuffer()
    /// The gRPC message being assembled from DATA payloads (its 5-byte prefix included).
    private var message: [UInt8] = []
    private var caughtUp = false
    private(set) var latencies: [UInt64] = []
    /// Receive times, parallel to `latencies` (for BENCH_SERIES: latency per second of the run).
    private(set) var received: [UInt64] = []
    private(set) var ended: String?

    init(opening: ByteBuffer, expected: Int, onCaughtUp: @escaping @Sendable () -> Void) {
        self.opening = opening
        self.onCaughtUp = onCaughtUp
        self.latencies.reserveCapacity(expected)
        self.received.reserveCapacity(expected)
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(self.wrapOutboundOut(self.opening), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = monotonicNanoseconds()
        var input = self.unwrapInboundIn(data)
        self.pending.writeBuffer(&input)
        RawFrame.frames(&self.pending) { type, flags, _, payload in
            self.frame(type: type, flags: flags, payload: &payload, now: now, context: context)
        }
    }

    private func frame(type: UInt8, flags: UInt8, payload: inout ByteBuffer, now: UInt64, context: ChannelHandlerContext) {
        switch type {
        case RawFrame.data:
            if flags & RawFrame.padded != 0, let pad = payload.readInteger(as: UInt8.self) {
                payload = payload.getSlice(at: payload.readerIndex, length: max(0, payload.readableBytes - Int(pad)))!
            }
            payload.withUnsafeReadableBytes { self.message.append(contentsOf: $0) }
            self.deliver(now: now)
            if flags & RawFrame.endStream != 0 {
                self.end("DATA with END_STREAM", context)
            }
        case RawFrame.headers:
            if flags & RawFrame.endStream != 0 {
                self.end("trailers", context)  // the call's status; a live-only Subscribe ends only on error
            }
        case RawFrame.settings where flags & RawFrame.ack == 0:
            context.writeAndFlush(self.wrapOutboundOut(RawFrame.settingsAck(context.channel.allocator)), promise: nil)
        case RawFrame.ping where flags & RawFrame.ack == 0:
            context.writeAndFlush(self.wrapOutboundOut(RawFrame.pong(&payload, context.channel.allocator)), promise: nil)
        case RawFrame.rstStream:
            self.end("RST_STREAM", context)
        case RawFrame.goaway:
            self.end("GOAWAY", context)
        default:
            return
        }
    }

    /// Takes every complete gRPC message off the front of `message`.
    private func deliver(now: UInt64) {
        var offset = 0
        while self.message.count - offset >= 5 {
            let length = Int(self.message[offset + 1]) << 24 | Int(self.message[offset + 2]) << 16
                | Int(self.message[offset + 3]) << 8 | Int(self.message[offset + 4])
            guard self.message.count - offset >= 5 + length else { break }
            if let sent = sentStamp(self.message, from: offset + 5, to: offset + 5 + length) {
                self.latencies.append(now &- sent)
                self.received.append(now)
            } else if !self.caughtUp {
                self.caughtUp = true
                self.onCaughtUp()
            }
            offset += 5 + length
        }
        if offset > 0 {
            self.message.removeFirst(offset)
        }
    }

    private func end(_ reason: String, _ context: ChannelHandlerContext) {
        if self.ended == nil {
            self.ended = reason
        }
        if !self.caughtUp {
            self.caughtUp = true
            self.onCaughtUp()  // failed: do not wait for it
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.end("\(error)", context)
        context.close(promise: nil)
    }
}

/// The appender of the live-delivery figure: every millisecond tick (absolute deadlines on the event loop, so
/// ticks do not drift), one Append of `perTick` events whose data is the send time, stamped just before the
/// write. Tracks the server's connection send window and MAX_CONCURRENT_STREAMS; a tick that finds either
/// exhausted is skipped and counted, never sent late with an early stamp.
final class RawAppenderHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let authority: String
    private let stream: String
    private let perTick: Int
    private var pending = ByteBuffer()
    private var nextStream: UInt32 = 1
    /// Connection-level send window (RFC 9113 §6.9.1: 65,535 until the server's WINDOW_UPDATEs raise it).
    private var sendWindow = 65_535
    private var streamWindow = 65_535
    private var maxConcurrent = 100
    private var inFlight: Set<UInt32> = []
    private(set) var sentEvents = 0
    private(set) var skippedTicks = 0
    private(set) var completed = 0
    private(set) var ended: String?

    init(authority: String, stream: String, perTick: Int) {
        self.authority = authority
        self.stream = stream
        self.perTick = perTick
    }

    func channelActive(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 64)
        RawFrame.preface(into: &buffer)
        context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
        context.fireChannelActive()
    }

    /// Runs `ticks` ticks, one per millisecond from `start` (uptime nanoseconds); completes when the last is sent.
    func run(ticks: Int, start: UInt64, context: ChannelHandlerContext, done: EventLoopPromise<Void>) {
        func schedule(_ tick: Int) {
            guard tick < ticks else {
                return done.succeed()
            }
            let deadline = NIODeadline.uptimeNanoseconds(start + UInt64(tick) * 1_000_000)
            context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) {
                self.tick(context)
                schedule(tick + 1)
            }
        }
        schedule(0)
    }

    private func tick(_ context: ChannelHandlerContext) {
        var stamp = monotonicNanoseconds()
        let data = withUnsafeBytes(of: &stamp) { Array($0) }
        let message = AppendRequest(stream: self.stream, events: (0..<self.perTick).map { _ in
            EventData(type: "latency.Tick", data: data)
        }).wireBytes()
        let size = 5 + message.count
        guard self.ended == nil, self.inFlight.count < self.maxConcurrent, size <= self.sendWindow, size <= self.streamWindow else {
            self.skippedTicks += 1
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 128 + size)
        RawFrame.request(into: &buffer, stream: self.nextStream, authority: self.authority,
                         path: "/microstate.v1.EventStream/Append", message: message)
        self.inFlight.insert(self.nextStream)
        self.nextStream += 2
        self.sendWindow -= size
        self.sentEvents += self.perTick
        context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = self.unwrapInboundIn(data)
        self.pending.writeBuffer(&input)
        RawFrame.frames(&self.pending) { type, flags, stream, payload in
            switch type {
            case RawFrame.headers where flags & RawFrame.endStream != 0, RawFrame.rstStream:
                if self.inFlight.remove(stream) != nil {
                    self.completed += 1
                }
            case RawFrame.settings where flags & RawFrame.ack == 0:
                while let id = payload.readInteger(as: UInt16.self), let value = payload.readInteger(as: UInt32.self) {
                    if id == 0x3 {
                        self.maxConcurrent = Int(value)
                    } else if id == 0x4 {
                        self.streamWindow = Int(value)
                    }
                }
                context.writeAndFlush(self.wrapOutboundOut(RawFrame.settingsAck(context.channel.allocator)), promise: nil)
            case 0x8 where stream == 0:  // WINDOW_UPDATE for the connection
                if let increment = payload.readInteger(as: UInt32.self) {
                    self.sendWindow += Int(increment & 0x7FFF_FFFF)
                }
            case RawFrame.ping where flags & RawFrame.ack == 0:
                context.writeAndFlush(self.wrapOutboundOut(RawFrame.pong(&payload, context.channel.allocator)), promise: nil)
            case RawFrame.goaway:
                self.ended = "GOAWAY"
            default:
                break
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.ended = "\(error)"
        context.close(promise: nil)
    }
}
