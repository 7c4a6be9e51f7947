import MicroStateRPC

/// An attribute value: the OTLP `AnyValue` kinds spans here use.
public enum SpanAttributeValue: Sendable, Hashable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case double(Double)
    case stringArray([String])
}

/// One span attribute.
public struct SpanAttribute: Sendable, Hashable {
    public var key: String
    public var value: SpanAttributeValue

    /// Creates an attribute.
    public init(_ key: String, _ value: SpanAttributeValue) {
        self.key = key
        self.value = value
    }
}

/// What a span represents (OTLP `SpanKind`).
public enum SpanKind: Sendable, Hashable {
    /// An inbound RPC.
    case server
    /// An outbound RPC.
    case client
    /// Work inside the process (a WAL fsync).
    case `internal`
}

/// A span's status (OTLP `Status`).
public enum SpanStatus: Sendable, Hashable {
    case unset
    case ok
    case error(String)
}

/// A timed event inside a span.
public struct SpanEvent: Sendable, Hashable {
    public var name: String
    public var timeUnixNanos: UInt64
    public var attributes: [SpanAttribute]

    /// Creates an event.
    public init(name: String, timeUnixNanos: UInt64, attributes: [SpanAttribute] = []) {
        self.name = name
        self.timeUnixNanos = timeUnixNanos
        self.attributes = attributes
    }
}

/// A finished, sampled span as the processor queues and the exporter sends it.
public struct SpanData: Sendable, Hashable {
    /// The span's own context (trace id, span id, flags, tracestate).
    public var context: TraceContext
    /// The parent span; nil for a root span.
    public var parentSpanID: SpanID?
    /// Whether the parent came from another process (OTLP `SpanFlags` is-remote bit).
    public var parentIsRemote: Bool
    public var name: String
    public var kind: SpanKind
    /// Unix nanoseconds.
    public var startUnixNanos: UInt64
    /// Unix nanoseconds.
    public var endUnixNanos: UInt64
    public var attributes: [SpanAttribute]
    public var events: [SpanEvent]
    public var status: SpanStatus

    /// Creates a span record.
    public init(
        context: TraceContext, parentSpanID: SpanID?, parentIsRemote: Bool = false, name: String, kind: SpanKind,
        startUnixNanos: UInt64, endUnixNanos: UInt64, attributes: [SpanAttribute] = [], events: [SpanEvent] = [],
        status: SpanStatus = .unset
    ) {
        self.context = context
        self.parentSpanID = parentSpanID
        self.parentIsRemote = parentIsRemote
        self.name = name
        self.kind = kind
        self.startUnixNanos = startUnixNanos
        self.endUnixNanos = endUnixNanos
        self.attributes = attributes
        self.events = events
        self.status = status
    }
}

// MARK: - OpenTelemetry RPC semantic conventions

/// Names and rules of the OpenTelemetry semantic conventions for gRPC spans
/// (https://opentelemetry.io/docs/specs/semconv/rpc/grpc/ and rpc-spans.md).
public enum RPCSemanticConventions {
    public static let rpcSystem = "rpc.system"
    public static let rpcService = "rpc.service"
    public static let rpcMethod = "rpc.method"
    /// The numeric gRPC status code (int). Newer semconv versions add `rpc.response.status_code` (string).
    public static let rpcGRPCStatusCode = "rpc.grpc.status_code"
    public static let serverAddress = "server.address"
    public static let serverPort = "server.port"
    public static let networkPeerAddress = "network.peer.address"
    public static let networkPeerPort = "network.peer.port"
    public static let errorType = "error.type"
    /// `rpc.grpc.request.metadata.<key>` (string[]): request metadata recorded on the span; we record only
    /// `x-request-id`.
    public static let requestIDAttribute = "rpc.grpc.request.metadata.x-request-id"

    /// Splits `/package.Service/Method` into the span name `package.Service/Method`, `rpc.service` and
    /// `rpc.method`. A path of another shape is used as the name as is, with empty service and method.
    public static func split(path: String) -> (name: String, service: Substring, method: Substring) {
        let trimmed = path.utf8.first == UInt8(ascii: "/") ? path.dropFirst() : path[...]
        guard let slash = trimmed.lastIndex(of: "/"), slash != trimmed.startIndex,
              trimmed.index(after: slash) != trimmed.endIndex
        else {
            return (path, "", "")
        }
        return (String(trimmed), trimmed[..<slash], trimmed[trimmed.index(after: slash)...])
    }

    /// The span status for a gRPC code. Server spans (semconv "gRPC Status" table): ERROR only for UNKNOWN,
    /// DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE and DATA_LOSS (the others are the client's
    /// doing), UNSET otherwise. Client spans: ERROR for every code but OK.
    public static func status(for status: Status, kind: SpanKind) -> SpanStatus {
        switch kind {
        case .client:
            return status.code == .ok ? .unset : .error(Self.message(status))
        case .server, .internal:
            switch status.code {
            case .unknown, .deadlineExceeded, .unimplemented, .internalError, .unavailable, .dataLoss:
                return .error(Self.message(status))
            default:
                return .unset
            }
        }
    }

    private static func message(_ status: Status) -> String {
        status.message.isEmpty ? status.code.description : status.message
    }
}
