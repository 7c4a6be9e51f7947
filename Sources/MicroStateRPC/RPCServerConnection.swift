import Logging
import MicroStateHTTP2
import NIOCore

/// The gRPC side of one HTTP/2 connection: validates each new stream's head (method, content-type,
/// `grpc-timeout`, path) and creates its `ServerCall`. Loop-bound.
final class RPCServerConnection: HTTP2ServerConnectionDelegate {
    let configuration: RPCServerConfiguration
    let router: RPCRouter
    let counters: RPCServerCounters
    let eventLoop: any EventLoop
    let remoteAddress: SocketAddress?
    let localAddress: SocketAddress?
    /// Unary results completed on other threads, on their way to this loop.
    let completions: ServerCompletionInbox
    /// This loop's load shedding; nil when off.
    let admission: CallAdmission?

    init(
        configuration: RPCServerConfiguration, router: RPCRouter, counters: RPCServerCounters, eventLoop: any EventLoop,
        remoteAddress: SocketAddress?, localAddress: SocketAddress? = nil, admission: CallAdmission? = nil
    ) {
        self.admission = admission
        self.configuration = configuration
        self.router = router
        self.counters = counters
        self.eventLoop = eventLoop
        self.remoteAddress = remoteAddress
        self.localAddress = localAddress
        self.completions = ServerCompletionInbox(eventLoop: eventLoop)
    }

    private static let methodNotAllowed: [HTTP2Header] = [
        HTTP2Header(":status", "405"), HTTP2Header("allow", "POST"),
    ]
    private static let unsupportedMediaType: [HTTP2Header] = [
        HTTP2Header(":status", "415"), HTTP2Header("content-type", "text/plain"),
    ]
    private static let unsupportedMediaTypeBody: StaticString = "gRPC requires content-type application/grpc\n"

    func http2StreamOpened(_ stream: HTTP2ServerStream, head: HTTP2RequestHead) -> (any HTTP2ServerStreamDelegate)? {
        // The clock is read only when something needs it (a deadline, the metrics hook or an interceptor).
        let needsClock = self.configuration.onCallFinished != nil || !self.configuration.interceptors.isEmpty
        var started = needsClock ? NIODeadline.now() : NIODeadline.uptimeNanoseconds(0)
        // gRPC PROTOCOL-HTTP2.md: only POST; anything else is not a gRPC request at all.
        guard head.method == "POST" else {
            stream.respond(headers: Self.methodNotAllowed, endStream: true)
            return nil
        }
        var contentType: String?
        var timeoutText: String?
        var metadata = Metadata()
        for field in head.headers {
            switch Self.classify(field.name) {
            case .contentType: contentType = field.value
            case .timeout: timeoutText = field.value
            case .reserved: break
            case .metadata: metadata.appendLowercased(field.name, field.value)
            }
        }
        // "application/grpc", optionally followed by "+proto" / ";...". Anything else: HTTP 415 so that non-gRPC
        // clients do not read a 200 as success.
        guard let contentType, Self.isGRPCContentType(contentType) else {
            stream.respond(headers: Self.unsupportedMediaType, endStream: false)
            stream.writeData { buffer in buffer.writeStaticString(Self.unsupportedMediaTypeBody) }
            stream.finish(trailers: nil)
            return nil
        }
        var deadline: NIODeadline?
        if let timeoutText {
            if !needsClock {
                started = .now()
            }
            guard let timeout = GRPCTimeout.parse(timeoutText) else {
                self.reject(stream, head.path, Status(code: .internalError, message: "malformed grpc-timeout \"\(timeoutText)\""), started)
                return nil
            }
            deadline = started + timeout
        }
        guard let method = self.router.method(for: head.path) else {
            self.reject(stream, head.path, Status(code: .unimplemented, message: "unknown method \(head.path)"), started)
            return nil
        }
        var observers: [any ServerCallObserver] = []
        if !self.configuration.interceptors.isEmpty {
            let callHead = ServerCallHead(
                path: head.path, metadata: metadata, deadline: deadline, remoteAddress: self.remoteAddress,
                localAddress: self.localAddress, started: started
            )
            for interceptor in self.configuration.interceptors {
                switch interceptor.intercept(callHead) {
                case .admit(let observer):
                    if let observer {
                        observers.append(observer)
                    }
                case .reject(let status, let trailers):
                    self.reject(stream, head.path, status, started, extraTrailers: trailers)
                    Self.notify(observers, status: status, started: started)
                    return nil
                }
            }
        }
        self.counters.callsStarted.wrappingIncrement(ordering: .relaxed)
        self.configuration.onCallStarted?(head.path)
        let call = ServerCall(
            stream: stream, connection: self, method: method, path: head.path, metadata: metadata, deadline: deadline,
            started: started
        )
        if !observers.isEmpty {
            call.observers = observers
        }
        call.start()
        return call
    }

    /// Tells each observer once how its call ended.
    static func notify(_ observers: [any ServerCallObserver], status: Status, started: NIODeadline) {
        guard !observers.isEmpty else { return }
        let duration = NIODeadline.now() - started
        for observer in observers {
            observer.callFinished(status: status, duration: duration)
        }
    }

    /// Trailers-Only error before any handler (counted as a started and finished call).
    private func reject(
        _ stream: HTTP2ServerStream, _ path: String, _ status: Status, _ started: NIODeadline,
        extraTrailers: [(name: String, value: String)] = []
    ) {
        self.counters.callsStarted.wrappingIncrement(ordering: .relaxed)
        self.configuration.onCallStarted?(path)
        var headers = ServerResponseHeaders.trailersOnly(status)
        for trailer in extraTrailers where !Metadata.isReserved(trailer.name) {
            headers.append(HTTP2Header(name: trailer.name.lowercased(), value: trailer.value))
        }
        stream.respond(headers: headers, endStream: true)
        self.callFinished(path: path, code: status.code, started: started)
    }

    func callFinished(path: String, code: Status.Code, started: NIODeadline) {
        self.counters.callsFinished.wrappingIncrement(ordering: .relaxed)
        if code != .ok {
            self.counters.callsFailed.wrappingIncrement(ordering: .relaxed)
        }
        if let hook = self.configuration.onCallFinished {
            hook(path, code, NIODeadline.now() - started)
        }
    }

    enum HeaderKind {
        case contentType, timeout, reserved, metadata
    }

    /// Sorts a request header name: the same partition as `Metadata.isReserved` (plus `content-length`, which is
    /// HTTP framing), decided mostly on the first byte because it runs for every header of every request.
    @inline(__always)
    static func classify(_ name: String) -> HeaderKind {
        switch name.utf8.first {
        case UInt8(ascii: "c"):
            if name == "content-type" { return .contentType }
            return name == "content-length" || name == "connection" ? .reserved : .metadata
        case UInt8(ascii: "g"):
            if name == "grpc-timeout" { return .timeout }
            return name.utf8.starts(with: "grpc-".utf8) ? .reserved : .metadata
        case UInt8(ascii: "t"):
            return name == "te" ? .reserved : .metadata
        case UInt8(ascii: "u"):
            return name == "user-agent" ? .reserved : .metadata
        case UInt8(ascii: "h"):
            return name == "host" ? .reserved : .metadata
        case UInt8(ascii: ":"):
            return .reserved
        default:
            return .metadata
        }
    }

    static func isGRPCContentType(_ value: String) -> Bool {
        if value == "application/grpc" {
            return true
        }
        let utf8 = value.utf8
        let prefix = "application/grpc".utf8
        guard utf8.starts(with: prefix) else { return false }
        let rest = utf8.dropFirst(prefix.count)
        return rest.isEmpty || rest.first == UInt8(ascii: "+") || rest.first == UInt8(ascii: ";")
    }
}
