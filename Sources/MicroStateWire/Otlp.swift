// OpenTelemetry OTLP trace export (proto/opentelemetry/proto/...): the subset of the messages a span exporter
// sends, and the collector's answer. Field names follow the proto; times are Unix nanoseconds.

/// The OTLP messages the trace exporter needs, under one namespace so their proto names stay short.
public enum OTLP {
    /// `opentelemetry.proto.common.v1.AnyValue`, restricted to the scalar kinds spans use here.
    public enum AnyValue: Sendable, Hashable {
        case string(String)
        case bool(Bool)
        case int(Int64)
        case double(Double)
        case bytes([UInt8])
        /// `array_value` whose elements are all strings (semconv `string[]` attributes).
        case stringArray([String])
        /// `array_value` of other kinds, `kvlist_value` or a kind this build does not know: never produced; kept
        /// as the `value_case` when read.
        case unsupported(Int32)
    }

    /// `opentelemetry.proto.common.v1.KeyValue`: one attribute.
    public struct KeyValue: WireMessage, Hashable {
        /// Attribute name, e.g. `rpc.method`.
        public var key: String
        /// Attribute value; nil when absent on the wire.
        public var value: AnyValue?

        /// Creates an attribute.
        public init(_ key: String, _ value: AnyValue?) {
            self.key = key
            self.value = value
        }
    }

    /// `opentelemetry.proto.resource.v1.Resource`: what produced the spans (`service.name`, ...).
    public struct Resource: WireMessage, Hashable {
        /// Resource attributes.
        public var attributes: [KeyValue]
        /// Attributes dropped by the producer.
        public var droppedAttributesCount: UInt32

        /// Creates a resource.
        public init(attributes: [KeyValue] = [], droppedAttributesCount: UInt32 = 0) {
            self.attributes = attributes
            self.droppedAttributesCount = droppedAttributesCount
        }
    }

    /// `opentelemetry.proto.common.v1.InstrumentationScope`: the library that made the spans.
    public struct InstrumentationScope: WireMessage, Hashable {
        /// Scope name, e.g. `microstatedb`.
        public var name: String
        /// Scope version.
        public var version: String

        /// Creates a scope.
        public init(name: String = "", version: String = "") {
            self.name = name
            self.version = version
        }
    }

    /// `opentelemetry.proto.trace.v1.Status`.
    public struct SpanStatus: WireMessage, Hashable {
        /// `opentelemetry.proto.trace.v1.Status.StatusCode`. Open like every proto3 enum.
        public enum Code: Sendable, Hashable {
            /// `STATUS_CODE_UNSET` (0).
            case unset
            /// `STATUS_CODE_OK` (1).
            case ok
            /// `STATUS_CODE_ERROR` (2).
            case error
            /// A value this build does not know.
            case unrecognized(Int32)
        }

        /// Developer-facing message; only meaningful with `.error`.
        public var message: String
        /// The status code.
        public var code: Code

        /// Creates a status.
        public init(code: Code = .unset, message: String = "") {
            self.code = code
            self.message = message
        }
    }

    /// `opentelemetry.proto.trace.v1.Span`.
    public struct Span: WireMessage, Hashable {
        /// `opentelemetry.proto.trace.v1.Span.SpanKind`.
        public enum Kind: Sendable, Hashable {
            case unspecified, `internal`, server, client, producer, consumer
            /// A value this build does not know.
            case unrecognized(Int32)
        }

        /// `opentelemetry.proto.trace.v1.Span.Event`.
        public struct Event: WireMessage, Hashable {
            /// When the event happened, Unix nanoseconds.
            public var timeUnixNano: UInt64
            /// Event name.
            public var name: String
            /// Event attributes.
            public var attributes: [KeyValue]

            /// Creates an event.
            public init(timeUnixNano: UInt64, name: String, attributes: [KeyValue] = []) {
                self.timeUnixNano = timeUnixNano
                self.name = name
                self.attributes = attributes
            }
        }

        /// 16 bytes.
        public var traceID: [UInt8]
        /// 8 bytes.
        public var spanID: [UInt8]
        /// W3C `tracestate` of the span's context.
        public var traceState: String
        /// 8 bytes, or empty for a root span.
        public var parentSpanID: [UInt8]
        /// W3C trace flags in bits 0-7, plus bits 8-9 (has-is-remote, is-remote) per `SpanFlags`.
        public var flags: UInt32
        /// Span name, e.g. `microstate.v1.KV/Put`.
        public var name: String
        /// Span kind.
        public var kind: Kind
        /// Start, Unix nanoseconds.
        public var startTimeUnixNano: UInt64
        /// End, Unix nanoseconds.
        public var endTimeUnixNano: UInt64
        /// Attributes.
        public var attributes: [KeyValue]
        /// Attributes dropped by the attribute limit.
        public var droppedAttributesCount: UInt32
        /// Events.
        public var events: [Event]
        /// Events dropped by the event limit.
        public var droppedEventsCount: UInt32
        /// Status; nil is UNSET.
        public var status: SpanStatus?

        /// Creates a span.
        public init(
            traceID: [UInt8], spanID: [UInt8], traceState: String = "", parentSpanID: [UInt8] = [],
            flags: UInt32 = 0, name: String, kind: Kind, startTimeUnixNano: UInt64, endTimeUnixNano: UInt64,
            attributes: [KeyValue] = [], droppedAttributesCount: UInt32 = 0, events: [Event] = [],
            droppedEventsCount: UInt32 = 0, status: SpanStatus? = nil
        ) {
            self.traceID = traceID
            self.spanID = spanID
            self.traceState = traceState
            self.parentSpanID = parentSpanID
            self.flags = flags
            self.name = name
            self.kind = kind
            self.startTimeUnixNano = startTimeUnixNano
            self.endTimeUnixNano = endTimeUnixNano
            self.attributes = attributes
            self.droppedAttributesCount = droppedAttributesCount
            self.events = events
            self.droppedEventsCount = droppedEventsCount
            self.status = status
        }
    }

    /// `opentelemetry.proto.trace.v1.ScopeSpans`.
    public struct ScopeSpans: WireMessage, Hashable {
        /// The instrumentation scope.
        public var scope: InstrumentationScope?
        /// Its spans.
        public var spans: [Span]
        /// Semantic conventions schema URL.
        public var schemaURL: String

        /// Creates a scope's spans.
        public init(scope: InstrumentationScope? = nil, spans: [Span] = [], schemaURL: String = "") {
            self.scope = scope
            self.spans = spans
            self.schemaURL = schemaURL
        }
    }

    /// `opentelemetry.proto.trace.v1.ResourceSpans`.
    public struct ResourceSpans: WireMessage, Hashable {
        /// The producing resource.
        public var resource: Resource?
        /// Spans by scope.
        public var scopeSpans: [ScopeSpans]
        /// Resource schema URL.
        public var schemaURL: String

        /// Creates a resource's spans.
        public init(resource: Resource? = nil, scopeSpans: [ScopeSpans] = [], schemaURL: String = "") {
            self.resource = resource
            self.scopeSpans = scopeSpans
            self.schemaURL = schemaURL
        }
    }

    /// `opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest`.
    public struct ExportTraceServiceRequest: WireMessage, Hashable {
        /// The batch.
        public var resourceSpans: [ResourceSpans]

        /// Creates an export request.
        public init(resourceSpans: [ResourceSpans] = []) {
            self.resourceSpans = resourceSpans
        }
    }

    /// `opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess`.
    public struct ExportTracePartialSuccess: WireMessage, Hashable {
        /// Spans the collector rejected.
        public var rejectedSpans: Int64
        /// Why.
        public var errorMessage: String

        /// Creates a partial success.
        public init(rejectedSpans: Int64 = 0, errorMessage: String = "") {
            self.rejectedSpans = rejectedSpans
            self.errorMessage = errorMessage
        }
    }

    /// `opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse`.
    public struct ExportTraceServiceResponse: WireMessage, Hashable {
        /// Set when some spans were rejected; nil is full success.
        public var partialSuccess: ExportTracePartialSuccess?

        /// Creates an export response.
        public init(partialSuccess: ExportTracePartialSuccess? = nil) {
            self.partialSuccess = partialSuccess
        }
    }
}
