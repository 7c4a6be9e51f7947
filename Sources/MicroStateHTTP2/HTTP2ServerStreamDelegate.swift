import NIOCore

/// The request head of one HTTP/2 stream: pseudo-headers and the regular header fields, in order.
public struct HTTP2RequestHead: Sendable {
    /// `:method`.
    public var method: String = ""
    /// `:path`.
    public var path: String = ""
    /// `:scheme`.
    public var scheme: String = ""
    /// `:authority`.
    public var authority: String = ""
    /// Every regular (non-pseudo) header field, names lower-case as HTTP/2 requires.
    public var headers: [(name: String, value: String)] = []

    public init() {}

    /// The first value of a regular header field.
    public func first(_ name: String) -> String? {
        for field in self.headers where field.name == name {
            return field.value
        }
        return nil
    }
}

/// What the layer above an HTTP/2 server connection implements: it is handed each new stream's head and
/// returns the object that receives the rest of that stream.
///
/// All methods are called on the connection's event loop.
public protocol HTTP2ServerConnectionDelegate: AnyObject {
    /// A request header block is complete. Respond through `stream` (now or later) and return the
    /// receiver of the stream's body and end, or nil to ignore the rest of the request (after having
    /// responded, e.g. with an HTTP error).
    func http2StreamOpened(_ stream: HTTP2ServerStream, head: HTTP2RequestHead) -> (any HTTP2ServerStreamDelegate)?
}

/// Receives the parts of one request stream. All methods are called on the connection's event loop.
public protocol HTTP2ServerStreamDelegate: AnyObject {
    /// Request body bytes (one DATA frame's payload; valid only during the call).
    func http2StreamReceivedData(_ bytes: UnsafeRawBufferPointer)
    /// Request body bytes as a slice of the connection's read buffer: kept without a copy or an allocation, at
    /// the price of keeping that read buffer alive while held. The default implementation forwards to
    /// `http2StreamReceivedData(_: UnsafeRawBufferPointer)`.
    func http2StreamReceivedData(buffer: ByteBuffer)
    /// The client ended its side of the stream (END_STREAM).
    func http2StreamReceivedEnd()
    /// The stream is gone: `errorCode` 0 after both sides ended normally, otherwise the RST_STREAM code
    /// (received or sent) or `HTTP2ErrorCode.cancel` when the connection closed with the stream open.
    func http2StreamClosed(errorCode: UInt32)
    /// nghttp2 took `bytesTaken` queued response bytes for sending (flow control allowed it); `queuedBytes`
    /// remain. Called from inside nghttp2's output loop: do not submit anything synchronously here.
    func http2StreamDidDrain(bytesTaken: Int, queuedBytes: Int)
}

extension HTTP2ServerStreamDelegate {
    public func http2StreamReceivedData(buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { self.http2StreamReceivedData($0) }
    }
}

/// HTTP/2 error codes (RFC 9113 §7) used with RST_STREAM and GOAWAY.
public enum HTTP2ErrorCode {
    public static let noError: UInt32 = 0x0
    public static let protocolError: UInt32 = 0x1
    public static let internalError: UInt32 = 0x2
    public static let refusedStream: UInt32 = 0x7
    public static let cancel: UInt32 = 0x8
    public static let enhanceYourCalm: UInt32 = 0xb
}
