import MicroStateRPC
import MicroStateWire
import NIOCore

/// Exports spans over OTLP/gRPC (`TraceService/Export`, OTLP specification "OTLP/gRPC") with the project's
/// `RPCClient`, over h2c.
///
/// Its own calls are plain `RPCClient` calls: they carry no trace headers and make no spans, so exporting never
/// produces more spans to export.
public final class OTLPTraceExporter: SpanExporter {
    /// The OTLP/gRPC trace export method.
    public static let exportPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
    /// The instrumentation scope our spans are reported under.
    public static let scopeName = "microstatedb"

    /// How an export request travels: method path, request bytes, timeout → response bytes. The seam outbound
    /// resilience wraps (e.g. `OutboundDestination.unary(path:request:idempotent: true)`; OTLP export may be
    /// retried on CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS).
    public typealias Transport =
        @Sendable (_ path: String, _ request: [UInt8], _ timeout: TimeAmount) async throws -> [UInt8]

    private let transport: Transport
    private let closeTransport: @Sendable () async -> Void
    private let resource: OTLP.Resource
    private let timeout: TimeAmount

    /// Creates an exporter for `endpoint` over a plain `RPCClient`; `resource` names the process (`service.name`,
    /// `service.instance.id`).
    public convenience init(
        endpoint: OTLPEndpoint, resource: [SpanAttribute], timeout: TimeAmount, group: any EventLoopGroup
    ) {
        let client = RPCClient(
            configuration: RPCClientConfiguration(host: endpoint.host, port: endpoint.port), group: group
        )
        self.init(
            resource: resource, timeout: timeout,
            transport: { path, request, timeout in
                try await client.unary(path: path, request: request, timeout: timeout)
            },
            close: { await client.close() }
        )
    }

    /// Creates an exporter sending through `transport`; `close` releases it at shutdown.
    public init(
        resource: [SpanAttribute], timeout: TimeAmount, transport: @escaping Transport,
        close: @escaping @Sendable () async -> Void = {}
    ) {
        self.transport = transport
        self.closeTransport = close
        self.resource = OTLP.Resource(attributes: resource.map(Self.keyValue))
        self.timeout = timeout
    }

    public func export(_ batch: [SpanData], on eventLoop: any EventLoop) -> EventLoopFuture<ExportResult> {
        let request = self.request(for: batch).wireBytes()
        return eventLoop.makeFutureWithTask {
            let response = try await self.send(request)
            return ExportResult(rejectedSpans: Int(clamping: response.partialSuccess?.rejectedSpans ?? 0))
        }
    }

    /// The one outbound call: everything an export sends goes through here and `transport`.
    func send(_ request: [UInt8]) async throws -> OTLP.ExportTraceServiceResponse {
        let bytes = try await self.transport(Self.exportPath, request, self.timeout)
        return try OTLP.ExportTraceServiceResponse(wireBytes: bytes)
    }

    /// Closes the connection to the collector.
    public func close() async {
        await self.closeTransport()
    }

    /// The OTLP request for `batch`: one resource, one scope.
    public func request(for batch: [SpanData]) -> OTLP.ExportTraceServiceRequest {
        OTLP.ExportTraceServiceRequest(resourceSpans: [
            OTLP.ResourceSpans(
                resource: self.resource,
                scopeSpans: [
                    OTLP.ScopeSpans(scope: OTLP.InstrumentationScope(name: Self.scopeName), spans: batch.map(Self.span))
                ]
            )
        ])
    }

    /// `SpanFlags`: bits 0-7 the W3C trace flags, bit 8 "has is-remote", bit 9 "parent is remote".
    static func flags(_ span: SpanData) -> UInt32 {
        var flags = UInt32(span.context.flags.known.rawValue) | 0x100
        if span.parentIsRemote {
            flags |= 0x200
        }
        return flags
    }

    static func span(_ span: SpanData) -> OTLP.Span {
        let status: OTLP.SpanStatus?
        switch span.status {
        case .unset: status = nil
        case .ok: status = OTLP.SpanStatus(code: .ok)
        case .error(let message): status = OTLP.SpanStatus(code: .error, message: message)
        }
        let kind: OTLP.Span.Kind
        switch span.kind {
        case .server: kind = .server
        case .client: kind = .client
        case .internal: kind = .internal
        }
        return OTLP.Span(
            traceID: span.context.traceID.bytes, spanID: span.context.spanID.bytes,
            traceState: span.context.traceState.header, parentSpanID: span.parentSpanID?.bytes ?? [],
            flags: Self.flags(span), name: span.name, kind: kind, startTimeUnixNano: span.startUnixNanos,
            endTimeUnixNano: span.endUnixNanos, attributes: span.attributes.map(Self.keyValue),
            events: span.events.map {
                OTLP.Span.Event(
                    timeUnixNano: $0.timeUnixNanos, name: $0.name, attributes: $0.attributes.map(Self.keyValue)
                )
            },
            status: status
        )
    }

    static func keyValue(_ attribute: SpanAttribute) -> OTLP.KeyValue {
        switch attribute.value {
        case .string(let value): return OTLP.KeyValue(attribute.key, .string(value))
        case .int(let value): return OTLP.KeyValue(attribute.key, .int(value))
        case .bool(let value): return OTLP.KeyValue(attribute.key, .bool(value))
        case .double(let value): return OTLP.KeyValue(attribute.key, .double(value))
        case .stringArray(let values): return OTLP.KeyValue(attribute.key, .stringArray(values))
        }
    }
}

/// An OTLP/gRPC endpoint: `http://host:port` (h2c). `https` is refused: this build has no TLS.
public struct OTLPEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The OTLP/gRPC default port.
    public static let defaultPort = 4317

    public var host: String
    public var port: Int

    /// Creates an endpoint.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { "http://\(self.host.contains(":") ? "[\(self.host)]" : self.host):\(self.port)" }

    /// Parses `http://host[:port][/]` (IPv6 hosts in brackets; port default 4317).
    ///
    /// - Throws: ``TracingConfigurationError`` for `https://` (no TLS here: use a collector's plaintext gRPC port or
    ///   a local agent), another scheme, a missing scheme, a path, or a bad port.
    public static func parse(_ text: String) throws(TracingConfigurationError) -> OTLPEndpoint {
        let trimmed = text.trimmingCharacters(in: " \t")
        if trimmed.lowercased().hasPrefix("https://") {
            throw TracingConfigurationError(
                message: "OTLP endpoint \"\(text)\": https is not supported (this build has no TLS); "
                    + "use http://host:port for OTLP/gRPC over h2c"
            )
        }
        guard trimmed.lowercased().hasPrefix("http://") else {
            throw TracingConfigurationError(message: "OTLP endpoint \"\(text)\" must look like http://host:port")
        }
        var rest = trimmed.dropFirst("http://".count)
        if rest.hasSuffix("/") {
            rest = rest.dropLast()
        }
        guard !rest.contains("/") else {
            throw TracingConfigurationError(
                message: "OTLP endpoint \"\(text)\": OTLP/gRPC takes no path; use http://host:port"
            )
        }
        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else {
                throw TracingConfigurationError(message: "OTLP endpoint \"\(text)\": unterminated IPv6 address")
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else {
                    throw TracingConfigurationError(message: "OTLP endpoint \"\(text)\": expected :port after ]")
                }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty else {
            throw TracingConfigurationError(message: "OTLP endpoint \"\(text)\" has no host")
        }
        var port = Self.defaultPort
        if let portText {
            guard let parsed = Int(portText), parsed > 0, parsed < 65536 else {
                throw TracingConfigurationError(message: "OTLP endpoint \"\(text)\": bad port \"\(portText)\"")
            }
            port = parsed
        }
        return OTLPEndpoint(host: String(host), port: port)
    }
}
