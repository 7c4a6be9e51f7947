import NIOCore

/// What a method streams, as Prometheus' `grpc_type` label names it (go-grpc-prometheus).
public enum RPCMethodKind: String, Sendable {
    case unary
    case clientStream = "client_stream"
    case serverStream = "server_stream"
    case bidiStream = "bidi_stream"
}

/// Maps gRPC method paths (`/package.Service/Method`) to handlers.
///
/// Register every method before `RPCServer.start()`; lookups afterwards are lock-free reads.
public final class RPCRouter: @unchecked Sendable {
    enum Method {
        case unary(@Sendable (ByteBuffer, ServerContext, UnaryResponder) -> Void)
        case serverStreaming(@Sendable (ByteBuffer, ServerContext, ServerStreamWriter) -> Void)
        case bidirectionalStreaming(@Sendable (ServerContext, ServerStreamWriter) -> RequestStreamHandler)

        /// Whether the method takes a stream of request messages.
        var isRequestStreaming: Bool {
            if case .bidirectionalStreaming = self { return true }
            return false
        }
    }

    private var methods: [String: Method] = [:]

    public init() {}

    /// Registers a unary method. The handler runs on the connection's event loop with the single request
    /// message and must not block; it answers through the responder, from any thread, now or later.
    public func registerUnary(
        _ path: String,
        _ handler: @escaping @Sendable (ByteBuffer, ServerContext, UnaryResponder) -> Void
    ) {
        self.methods[path] = .unary(handler)
    }

    /// Registers a server-streaming method. The handler runs on the connection's event loop with the single
    /// request message and must not block; it sends through the writer, from any thread, and must `finish`.
    public func registerServerStreaming(
        _ path: String,
        _ handler: @escaping @Sendable (ByteBuffer, ServerContext, ServerStreamWriter) -> Void
    ) {
        self.methods[path] = .serverStreaming(handler)
    }

    /// Registers a bidirectional-streaming method. The handler runs on the connection's event loop as soon as
    /// the request headers are accepted, before any request message, and must not block; it returns what to do
    /// with each request message and with the client's half-close (both then run on the loop too), sends through
    /// the writer, from any thread, whenever it likes, and must `finish` (also possible before the client
    /// half-closed). Client-streaming methods are this with at most one response message.
    public func registerBidirectionalStreaming(
        _ path: String,
        _ handler: @escaping @Sendable (ServerContext, ServerStreamWriter) -> RequestStreamHandler
    ) {
        self.methods[path] = .bidirectionalStreaming(handler)
    }

    /// The registered paths, sorted.
    public var paths: [String] { self.methods.keys.sorted() }

    /// Every registered path with what it streams, sorted by path.
    public var methodKinds: [(path: String, kind: RPCMethodKind)] {
        self.methods.keys.sorted().map { path in
            switch self.methods[path]! {
            case .unary: (path, .unary)
            case .serverStreaming: (path, .serverStream)
            case .bidirectionalStreaming: (path, .bidiStream)
            }
        }
    }

    func method(for path: String) -> Method? {
        self.methods[path]
    }
}
