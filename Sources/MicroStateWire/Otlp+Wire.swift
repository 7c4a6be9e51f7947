internal import CProtobufC
internal import MicroStateProtos

typealias COTLPArrayValue = Opentelemetry__Proto__Common__V1__ArrayValue
typealias COTLPAnyValue = Opentelemetry__Proto__Common__V1__AnyValue
typealias COTLPExportRequest = Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest
typealias COTLPExportResponse = Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse
typealias COTLPPartialSuccess = Opentelemetry__Proto__Collector__Trace__V1__ExportTracePartialSuccess

// protobuf-c mapping of the OTLP messages in Otlp.swift. Strings from a collector are repaired, not rejected
// (`String(copying:)`): nothing here names stored data.

extension OTLP.KeyValue: ProtobufCMapped {
    /// Decodes an `opentelemetry.proto.common.v1.KeyValue`.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as an `opentelemetry.proto.common.v1.KeyValue`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Opentelemetry__Proto__Common__V1__KeyValue>) {
        opentelemetry__proto__common__v1__key_value__init(message)
    }

    init(copying c: borrowing Opentelemetry__Proto__Common__V1__KeyValue) {
        var value: OTLP.AnyValue?
        if let any = c.value {
            switch any.pointee.value_case {
            case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE:
                value = .string(String(copying: any.pointee.string_value))
            case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE:
                value = .bool(Bool(cBoolean: any.pointee.bool_value))
            case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE:
                value = .int(any.pointee.int_value)
            case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE:
                value = .double(any.pointee.double_value)
            case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE:
                value = .bytes([UInt8](copying: any.pointee.bytes_value))
            case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE:
                value = Self.stringArray(any.pointee.array_value)
            default:
                value = .unsupported(Int32(truncatingIfNeeded: any.pointee.value_case.rawValue))
            }
        }
        self.init(String(copying: c.key), value)
    }

    /// An array of strings, or `.unsupported` when any element is something else.
    private static func stringArray(_ array: UnsafeMutablePointer<COTLPArrayValue>?) -> OTLP.AnyValue {
        guard let array else { return .stringArray([]) }
        var strings: [String] = []
        for index in 0..<array.pointee.n_values {
            guard let element = array.pointee.values[index],
                  element.pointee.value_case == OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE
            else {
                return .unsupported(Int32(OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE.rawValue))
            }
            strings.append(String(copying: element.pointee.string_value))
        }
        return .stringArray(strings)
    }

    func lower(into c: inout Opentelemetry__Proto__Common__V1__KeyValue, arena: inout WireArena) {
        c.key = arena.cString(self.key)
        guard let value = self.value else { return }
        let any = arena.allocate(Opentelemetry__Proto__Common__V1__AnyValue.self, count: 1)
        opentelemetry__proto__common__v1__any_value__init(any)
        switch value {
        case .stringArray(let strings):
            let array = arena.allocate(Opentelemetry__Proto__Common__V1__ArrayValue.self, count: 1)
            opentelemetry__proto__common__v1__array_value__init(array)
            if !strings.isEmpty {
                let pointers = arena.allocate(UnsafeMutablePointer<COTLPAnyValue>?.self, count: strings.count)
                let elements = arena.allocate(Opentelemetry__Proto__Common__V1__AnyValue.self, count: strings.count)
                for (index, string) in strings.enumerated() {
                    let element = elements + index
                    opentelemetry__proto__common__v1__any_value__init(element)
                    element.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE
                    element.pointee.string_value = arena.cString(string)
                    (pointers + index).initialize(to: element)
                }
                array.pointee.n_values = strings.count
                array.pointee.values = pointers
            }
            any.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE
            any.pointee.array_value = array
        case .string(let string):
            any.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE
            any.pointee.string_value = arena.cString(string)
        case .bool(let bool):
            any.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE
            any.pointee.bool_value = bool.cBoolean
        case .int(let int):
            any.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE
            any.pointee.int_value = int
        case .double(let double):
            any.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE
            any.pointee.double_value = double
        case .bytes(let bytes):
            any.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE
            any.pointee.bytes_value = arena.binaryData(bytes)
        case .unsupported:
            break  // an empty AnyValue: "value not set"
        }
        c.value = any
    }
}

extension OTLP.Resource: ProtobufCMapped {
    /// Decodes an `opentelemetry.proto.resource.v1.Resource`.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as an `opentelemetry.proto.resource.v1.Resource`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Opentelemetry__Proto__Resource__V1__Resource>) {
        opentelemetry__proto__resource__v1__resource__init(message)
    }

    init(copying c: borrowing Opentelemetry__Proto__Resource__V1__Resource) throws(WireError) {
        self.init(
            attributes: try [OTLP.KeyValue](copying: c.attributes, count: c.n_attributes),
            droppedAttributesCount: c.dropped_attributes_count
        )
    }

    func lower(into c: inout Opentelemetry__Proto__Resource__V1__Resource, arena: inout WireArena) {
        (c.n_attributes, c.attributes) = arena.messages(self.attributes)
        c.dropped_attributes_count = self.droppedAttributesCount
    }
}

extension OTLP.InstrumentationScope: ProtobufCMapped {
    /// Decodes an `opentelemetry.proto.common.v1.InstrumentationScope`.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as an `opentelemetry.proto.common.v1.InstrumentationScope`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Opentelemetry__Proto__Common__V1__InstrumentationScope>) {
        opentelemetry__proto__common__v1__instrumentation_scope__init(message)
    }

    init(copying c: borrowing Opentelemetry__Proto__Common__V1__InstrumentationScope) {
        self.init(name: String(copying: c.name), version: String(copying: c.version))
    }

    func lower(into c: inout Opentelemetry__Proto__Common__V1__InstrumentationScope, arena: inout WireArena) {
        c.name = arena.cString(self.name)
        c.version = arena.cString(self.version)
    }
}

extension OTLP.SpanStatus.Code: WireEnum {
    init(rawValue: Int32) {
        switch rawValue {
        case 0: self = .unset
        case 1: self = .ok
        case 2: self = .error
        default: self = .unrecognized(rawValue)
        }
    }

    var rawValue: Int32 {
        switch self {
        case .unset: return 0
        case .ok: return 1
        case .error: return 2
        case .unrecognized(let value): return value
        }
    }
}

extension OTLP.SpanStatus: ProtobufCMapped {
    /// Decodes an `opentelemetry.proto.trace.v1.Status`.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as an `opentelemetry.proto.trace.v1.Status`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Opentelemetry__Proto__Trace__V1__Status>) {
        opentelemetry__proto__trace__v1__status__init(message)
    }

    init(copying c: borrowing Opentelemetry__Proto__Trace__V1__Status) {
        self.init(code: Code(cEnum: c.code), message: String(copying: c.message))
    }

    func lower(into c: inout Opentelemetry__Proto__Trace__V1__Status, arena: inout WireArena) {
        c.message = arena.cString(self.message)
        c.code = self.code.cEnum()
    }
}

extension OTLP.Span.Kind: WireEnum {
    init(rawValue: Int32) {
        switch rawValue {
        case 0: self = .unspecified
        case 1: self = .internal
        case 2: self = .server
        case 3: self = .client
        case 4: self = .producer
        case 5: self = .consumer
        default: self = .unrecognized(rawValue)
        }
    }

    var rawValue: Int32 {
        switch self {
        case .unspecified: return 0
        case .internal: return 1
        case .server: return 2
        case .client: return 3
        case .producer: return 4
        case .consumer: return 5
        case .unrecognized(let value): return value
        }
    }
}

extension OTLP.Span.Event: ProtobufCMapped {
    /// Decodes an `opentelemetry.proto.trace.v1.Span.Event`.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as an `opentelemetry.proto.trace.v1.Span.Event`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Opentelemetry__Proto__Trace__V1__Span__Event>) {
        opentelemetry__proto__trace__v1__span__event__init(message)
    }

    init(copying c: borrowing Opentelemetry__Proto__Trace__V1__Span__Event) throws(WireError) {
        self.init(
            timeUnixNano: c.time_unix_nano, name: String(copying: c.name),
            attributes: try [OTLP.KeyValue](copying: c.attributes, count: c.n_attributes)
        )
    }

    func lower(into c: inout Opentelemetry__Proto__Trace__V1__Span__Event, arena: inout WireArena) {
        c.time_unix_nano = self.timeUnixNano
        c.name = arena.cString(self.name)
        (c.n_attributes, c.attributes) = arena.messages(self.attributes)
    }
}

extension OTLP.Span: ProtobufCMapped {
    /// Decodes an `opentelemetry.proto.trace.v1.Span`.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as an `opentelemetry.proto.trace.v1.Span`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Opentelemetry__Proto__Trace__V1__Span>) {
        opentelemetry__proto__trace__v1__span__init(message)
    }

    init(copying c: borrowing Opentelemetry__Proto__Trace__V1__Span) throws(WireError) {
        self.init(
            traceID: [UInt8](copying: c.trace_id), spanID: [UInt8](copying: c.span_id),
            traceState: String(copying: c.trace_state), parentSpanID: [UInt8](copying: c.parent_span_id),
            flags: c.flags, name: String(copying: c.name), kind: Kind(cEnum: c.kind),
            startTimeUnixNano: c.start_time_unix_nano, endTimeUnixNano: c.end_time_unix_nano,
            attributes: try [OTLP.KeyValue](copying: c.attributes, count: c.n_attributes),
            droppedAttributesCount: c.dropped_attributes_count,
            events: try [Event](copying: c.events, count: c.n_events),
            droppedEventsCount: c.dropped_events_count,
            status: try OTLP.SpanStatus?(copying: c.status)
        )
    }

    func lower(into c: inout Opentelemetry__Proto__Trace__V1__Span, arena: inout WireArena) {
        c.trace_id = arena.binaryData(self.traceID)
        c.span_id = arena.binaryData(self.spanID)
        c.trace_state = arena.cString(self.traceState)
        c.parent_span_id = arena.binaryData(self.parentSpanID)
        c.flags = self.flags
        c.name = arena.cString(self.name)
        c.kind = self.kind.cEnum()
        c.start_time_unix_nano = self.startTimeUnixNano
        c.end_time_unix_nano = self.endTimeUnixNano
        (c.n_attributes, c.attributes) = arena.messages(self.attributes)
        c.dropped_attributes_count = self.droppedAttributesCount
        (c.n_events, c.events) = arena.messages(self.events)
        c.dropped_events_count = self.droppedEventsCount
        c.status = arena.optionalMessage(self.status)
    }
}

extension OTLP.ScopeSpans: ProtobufCMapped {
    /// Decodes an `opentelemetry.proto.trace.v1.ScopeSpans`.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as an `opentelemetry.proto.trace.v1.ScopeSpans`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Opentelemetry__Proto__Trace__V1__ScopeSpans>) {
        opentelemetry__proto__trace__v1__scope_spans__init(message)
    }

    init(copying c: borrowing Opentelemetry__Proto__Trace__V1__ScopeSpans) throws(WireError) {
        self.init(
            scope: try OTLP.InstrumentationScope?(copying: c.scope),
            spans: try [OTLP.Span](copying: c.spans, count: c.n_spans),
            schemaURL: String(copying: c.schema_url)
        )
    }

    func lower(into c: inout Opentelemetry__Proto__Trace__V1__ScopeSpans, arena: inout WireArena) {
        c.scope = arena.optionalMessage(self.scope)
        (c.n_spans, c.spans) = arena.messages(self.spans)
        c.schema_url = arena.cString(self.schemaURL)
    }
}

extension OTLP.ResourceSpans: ProtobufCMapped {
    /// Decodes an `opentelemetry.proto.trace.v1.ResourceSpans`.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as an `opentelemetry.proto.trace.v1.ResourceSpans`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Opentelemetry__Proto__Trace__V1__ResourceSpans>) {
        opentelemetry__proto__trace__v1__resource_spans__init(message)
    }

    init(copying c: borrowing Opentelemetry__Proto__Trace__V1__ResourceSpans) throws(WireError) {
        self.init(
            resource: try OTLP.Resource?(copying: c.resource),
            scopeSpans: try [OTLP.ScopeSpans](copying: c.scope_spans, count: c.n_scope_spans),
            schemaURL: String(copying: c.schema_url)
        )
    }

    func lower(into c: inout Opentelemetry__Proto__Trace__V1__ResourceSpans, arena: inout WireArena) {
        c.resource = arena.optionalMessage(self.resource)
        (c.n_scope_spans, c.scope_spans) = arena.messages(self.scopeSpans)
        c.schema_url = arena.cString(self.schemaURL)
    }
}

extension OTLP.ExportTraceServiceRequest: ProtobufCMapped {
    /// Decodes an `opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest`.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as an `opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<COTLPExportRequest>) {
        opentelemetry__proto__collector__trace__v1__export_trace_service_request__init(message)
    }

    init(copying c: borrowing COTLPExportRequest) throws(WireError) {
        self.init(resourceSpans: try [OTLP.ResourceSpans](copying: c.resource_spans, count: c.n_resource_spans))
    }

    func lower(into c: inout COTLPExportRequest, arena: inout WireArena) {
        (c.n_resource_spans, c.resource_spans) = arena.messages(self.resourceSpans)
    }
}

extension OTLP.ExportTracePartialSuccess: ProtobufCMapped {
    /// Decodes an `opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess`.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as an `opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<COTLPPartialSuccess>) {
        opentelemetry__proto__collector__trace__v1__export_trace_partial_success__init(message)
    }

    init(copying c: borrowing COTLPPartialSuccess) {
        self.init(rejectedSpans: c.rejected_spans, errorMessage: String(copying: c.error_message))
    }

    func lower(into c: inout COTLPPartialSuccess, arena: inout WireArena) {
        c.rejected_spans = self.rejectedSpans
        c.error_message = arena.cString(self.errorMessage)
    }
}

extension OTLP.ExportTraceServiceResponse: ProtobufCMapped {
    /// Decodes an `opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse`.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as an `opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<COTLPExportResponse>) {
        opentelemetry__proto__collector__trace__v1__export_trace_service_response__init(message)
    }

    init(copying c: borrowing COTLPExportResponse) throws(WireError) {
        self.init(partialSuccess: try OTLP.ExportTracePartialSuccess?(copying: c.partial_success))
    }

    func lower(into c: inout COTLPExportResponse, arena: inout WireArena) {
        c.partial_success = arena.optionalMessage(self.partialSuccess)
    }
}
