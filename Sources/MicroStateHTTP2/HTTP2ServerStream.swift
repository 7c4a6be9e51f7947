internal import CNGHTTP2
import NIOCore

/// One request/response stream of an HTTP/2 server connection: the response side the layer above writes to.
///
/// Loop-bound: every method must be called on the connection's event loop. After the stream closed every
/// method is a no-op, so late writers need no checks of their own.
///
/// A response is either `respond(headers:endStream: true)` (a headers-only response, e.g. gRPC
/// Trailers-Only or an HTTP error) or `respond(headers:endStream: false)` followed by any number of
/// `writeData`, then `finish(trailers:)` (trailers, or none to end with the last DATA frame).
public final class HTTP2ServerStream {
    /// The HTTP/2 stream identifier.
    public let id: Int32

    /// The receiver of request parts; cleared when the stream closes (breaks the reference cycle).
    var delegate: (any HTTP2ServerStreamDelegate)?
    unowned(unsafe) let connection: HTTP2ServerConnectionHandler
    /// Links of the connection's open-stream list (only while open).
    var next: HTTP2ServerStream?
    unowned(unsafe) var previous: HTTP2ServerStream?

    // Request side.
    var head = HTTP2RequestHead()
    var headerListBytes = 0
    var headerListTooLarge = false
    /// The client sent END_STREAM.
    var requestEnded = false
    /// Regular header fields so far that equal the previous request's, field for field (not stored: the
    /// previous request's array is shared instead, so a repeated header set costs no allocation).
    var sameHeaderCount = 0
    /// A field differed from the previous request's: fields are stored in `head.headers`.
    var headersDiverged = false

    // Response side.
    var outbound = ByteBuffer()
    var responseStarted = false
    var endRequested = false
    var trailers: [HTTP2Header]?
    var dataDeferred = false
    /// True once nghttp2 reported the stream closed.
    public private(set) var isClosed = false

    init(id: Int32, connection: HTTP2ServerConnectionHandler) {
        self.id = id
        self.connection = connection
    }

    /// Response bytes queued with `writeData` that nghttp2 has not taken yet (flow control or a
    /// non-writable channel hold them back).
    public var queuedBytes: Int { self.outbound.readableBytes }

    /// Whether response headers were submitted.
    public var hasResponded: Bool { self.responseStarted }

    /// Submits the response HEADERS. With `endStream` the response is complete (HEADERS with END_STREAM).
    public func respond(headers: [HTTP2Header], endStream: Bool) {
        guard !self.isClosed, !self.responseStarted else { return }
        self.responseStarted = true
        self.connection.submitResponse(self, headers: headers, endStream: endStream)
    }

    /// Appends response body bytes through `body` (write straight into the outbound queue, no copy).
    public func writeData(_ body: (inout ByteBuffer) -> Void) {
        guard !self.isClosed, self.responseStarted, !self.endRequested else { return }
        if self.outbound.readableBytes == 0 {
            if self.outbound.capacity == 0, let spare = self.connection.takeSpareOutbound() {
                self.outbound = spare
            }
            self.outbound.clear()
        }
        body(&self.outbound)
        self.connection.resume(self)
    }

    /// Ends the response after the queued data: with trailers (HEADERS with END_STREAM), or, when `trailers` is
    /// nil, with END_STREAM on the last DATA frame.
    public func finish(trailers: [HTTP2Header]?) {
        guard !self.isClosed, self.responseStarted, !self.endRequested else { return }
        self.endRequested = true
        self.trailers = trailers
        self.connection.resume(self)
    }

    /// Resets the stream (RST_STREAM with `errorCode`).
    public func reset(errorCode: UInt32) {
        guard !self.isClosed else { return }
        self.connection.resetStream(self, errorCode: errorCode)
    }

    /// Marks closed and tells the delegate; called once by the connection.
    func closed(errorCode: UInt32) {
        guard !self.isClosed else { return }
        self.isClosed = true
        let outbound = self.outbound
        self.outbound = ByteBuffer()
        self.connection.recycleOutbound(outbound)
        let delegate = self.delegate
        self.delegate = nil
        delegate?.http2StreamClosed(errorCode: errorCode)
    }
}
