import NIOCore

/// Incremental decoder for gRPC Length-Prefixed-Messages.
///
/// Each message on the wire is `Compressed-Flag (1 byte) · Message-Length (4 bytes, big-endian) · Message`
/// (gRPC PROTOCOL-HTTP2.md, "Length-Prefixed-Message"). HTTP/2 DATA frames do not align with messages:
/// one message may span many frames and one frame may hold many messages, so bytes are appended as they
/// arrive and whole messages taken out with `next()`.
///
/// The declared length is checked against `maxMessageBytes` as soon as the 5-byte prefix is in, before any
/// of the body is buffered, so an oversize message costs no memory.
public struct GRPCMessageDeframer: Sendable {
    /// Bytes of the prefix before each message.
    public static let prefixBytes = 5

    /// The largest message accepted; larger ones fail with `RESOURCE_EXHAUSTED`.
    public let maxMessageBytes: Int

    private var buffer: ByteBuffer

    /// - Parameter maxMessageBytes: the receive limit (the node's `--max-message-bytes`, default 4 MiB).
    public init(maxMessageBytes: Int) {
        precondition(maxMessageBytes >= 0 && maxMessageBytes <= Int(UInt32.max))
        self.maxMessageBytes = maxMessageBytes
        self.buffer = ByteBuffer()
    }

    /// Appends received bytes. Takes the buffer without copying when nothing is pending.
    public mutating func append(_ bytes: ByteBuffer) {
        if self.buffer.readableBytes == 0 {
            self.buffer = bytes
        } else {
            var bytes = bytes
            self.buffer.writeBuffer(&bytes)
        }
    }

    /// Appends received bytes from raw memory (copied).
    public mutating func append(contentsOf bytes: UnsafeRawBufferPointer) {
        if self.buffer.readableBytes == 0 {
            self.buffer.clear()
        }
        self.buffer.writeBytes(bytes)
    }

    /// The next complete message, or nil when more bytes are needed.
    ///
    /// - Throws: `RPCError` with `UNIMPLEMENTED` for a compressed message (only the identity encoding is
    ///   supported), `INTERNAL` for a compressed flag other than 0 or 1, `RESOURCE_EXHAUSTED` for a message
    ///   larger than `maxMessageBytes`. After an error the stream must be failed; the deframer is unusable.
    public mutating func next() throws(RPCError) -> ByteBuffer? {
        let start = self.buffer.readerIndex
        guard self.buffer.readableBytes >= Self.prefixBytes,
            let flag = self.buffer.getInteger(at: start, as: UInt8.self),
            let length = self.buffer.getInteger(at: start + 1, as: UInt32.self)
        else {
            return nil
        }
        switch flag {
        case 0:
            break
        case 1:
            throw RPCError(
                code: .unimplemented,
                message: "compressed message received but no grpc-encoding is supported (identity only)"
            )
        default:
            throw RPCError(code: .internalError, message: "invalid gRPC compressed flag \(flag) (must be 0 or 1)")
        }
        guard Int(length) <= self.maxMessageBytes else {
            throw RPCError(
                code: .resourceExhausted,
                message: "received message of \(length) bytes exceeds the limit of \(self.maxMessageBytes) bytes"
            )
        }
        guard self.buffer.readableBytes >= Self.prefixBytes + Int(length) else {
            return nil
        }
        self.buffer.moveReaderIndex(forwardBy: Self.prefixBytes)
        let message = self.buffer.readSlice(length: Int(length))!
        if self.buffer.readableBytes == 0 {
            // Drop our reference so the next append can adopt its buffer instead of copying.
            self.buffer = ByteBuffer()
        }
        return message
    }

    /// Bytes received that do not (yet) form a whole message. Non-zero at end of stream means the peer
    /// sent a truncated message.
    public var pendingBytes: Int {
        self.buffer.readableBytes
    }
}

/// Encoding of gRPC Length-Prefixed-Messages (the sending side of `GRPCMessageDeframer`).
public enum GRPCMessageFramer {
    /// Writes the 5-byte prefix (uncompressed) and the message.
    public static func frame(_ message: some Collection<UInt8>, into buffer: inout ByteBuffer) {
        precondition(message.count <= Int(UInt32.max), "gRPC message larger than 4 GiB")
        buffer.reserveCapacity(minimumWritableBytes: GRPCMessageDeframer.prefixBytes + message.count)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(message.count))
        buffer.writeBytes(message)
    }

    /// The message with its prefix, in a new buffer.
    public static func framed(_ message: some Collection<UInt8>, allocator: ByteBufferAllocator = .init()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: GRPCMessageDeframer.prefixBytes + message.count)
        Self.frame(message, into: &buffer)
        return buffer
    }
}

/// Several gRPC messages framed once into one buffer, to be sent as-is by any number of calls
/// (`ServerStreamWriter.send(_:)`): a live fan-out frames a commit's events once instead of once per subscriber.
public struct FramedMessages: Sendable {
    /// The messages, each behind its 5-byte prefix.
    public let buffer: ByteBuffer
    /// How many messages `buffer` holds.
    public let count: Int
    /// The largest message's size, without its prefix (checked against each call's send limit).
    public let largestMessageBytes: Int

    public init(_ messages: [[UInt8]], allocator: ByteBufferAllocator = .init()) {
        var total = 0
        var largest = 0
        for message in messages {
            total += GRPCMessageDeframer.prefixBytes + message.count
            largest = max(largest, message.count)
        }
        var buffer = allocator.buffer(capacity: total)
        for message in messages {
            GRPCMessageFramer.frame(message, into: &buffer)
        }
        self.buffer = buffer
        self.count = messages.count
        self.largestMessageBytes = largest
    }
}
