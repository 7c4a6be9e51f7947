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

    /// The registered paths, sorted.
    public var paths: [String] { self.methods.keys.sorted() }

    /// Every registered path with what it streams, sorted by path.
    public var methodKinds: [(path: String, kind: RPCMethodKind)] {
        self.methods.keys.sorted().map { path in
            switch self.methods[path]! {
            case .unary: (path, .unary)
            case .serverStreaming: (path, .serverStream)
            }
        }
    }

    func method(for path: String) -> Method? {
        self.methods[path]
    }
}
