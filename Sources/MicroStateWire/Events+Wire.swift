internal import CProtobufC
internal import MicroStateProtos

// Each type: the two public `WireMessage` entry points (one line each, on top of `ProtobufCMapped`), then the
// field mapping in both directions. Field order follows events.proto. Strings go through
// `String(validating:field:)`, maps through `[String: String](copying:count:field:)` and `arena.stringMap`.

extension ExpectedState: WireEnum {}

extension Microstate__V1__EventData__MetadataEntry: CStringMapEntry {
    static func cInit(_ entry: UnsafeMutablePointer<Self>) {
        microstate__v1__event_data__metadata_entry__init(entry)
    }
}

extension Microstate__V1__RecordedEvent__MetadataEntry: CStringMapEntry {
    static func cInit(_ entry: UnsafeMutablePointer<Self>) {
        microstate__v1__recorded_event__metadata_entry__init(entry)
    }
}

extension EventData: ProtobufCMapped {
    /// Decodes a `microstate.v1.EventData`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.EventData`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__EventData>) {
        microstate__v1__event_data__init(message)
    }

    init(copying c: borrowing Microstate__V1__EventData) throws(WireError) {
        try self.init(
            id: String(validating: c.id, field: "microstate.v1.EventData.id"),
            type: String(validating: c.type, field: "microstate.v1.EventData.type"),
            data: [UInt8](copying: c.data),
            metadata: [String: String](
                copying: c.metadata,
                count: c.n_metadata,
                field: "microstate.v1.EventData.metadata"
            ),
            contentType: String(validating: c.content_type, field: "microstate.v1.EventData.content_type")
        )
    }

    func lower(into c: inout Microstate__V1__EventData, arena: inout WireArena) {
        c.id = arena.cString(self.id)
        c.type = arena.cString(self.type)
        c.data = arena.binaryData(self.data)
        (c.n_metadata, c.metadata) = arena.stringMap(self.metadata)
        c.content_type = arena.cString(self.contentType)
    }
}

extension AppendRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.AppendRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.AppendRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__AppendRequest>) {
        microstate__v1__append_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__AppendRequest) throws(WireError) {
        let expected: StreamExpectation?
        switch c.expected_case {
        case MICROSTATE__V1__APPEND_REQUEST__EXPECTED_EXPECTED_REVISION:
            expected = .revision(c.expected_revision)
        case MICROSTATE__V1__APPEND_REQUEST__EXPECTED_EXPECTED_STATE:
            expected = .state(ExpectedState(cEnum: c.expected_state))
        default:
            expected = nil
        }
        try self.init(
            stream: String(validating: c.stream, field: "microstate.v1.AppendRequest.stream"),
            expected: expected,
            events: [EventData](copying: c.events, count: c.n_events)
        )
    }

    func lower(into c: inout Microstate__V1__AppendRequest, arena: inout WireArena) {
        c.stream = arena.cString(self.stream)
        switch self.expected {
        case .revision(let revision):
            // A set oneof member is encoded even when it is 0: revision 0 ("exactly one event") is not "no check".
            c.expected_case = MICROSTATE__V1__APPEND_REQUEST__EXPECTED_EXPECTED_REVISION
            c.expected_revision = revision
        case .state(let state):
            c.expected_case = MICROSTATE__V1__APPEND_REQUEST__EXPECTED_EXPECTED_STATE
            c.expected_state = state.cEnum()
        case nil:
            break
        }
        (c.n_events, c.events) = arena.messages(self.events)
    }
}

extension AppendResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.AppendResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.AppendResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__AppendResponse>) {
        microstate__v1__append_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__AppendResponse) throws(WireError) {
        try self.init(
            header: ResponseHeader?(copying: c.header),
            firstRevision: c.first_revision,
            lastRevision: c.last_revision,
            position: c.position
        )
    }

    func lower(into c: inout Microstate__V1__AppendResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        c.first_revision = self.firstRevision
        c.last_revision = self.lastRevision
        c.position = self.position
    }
}

extension RecordedEvent: ProtobufCMapped {
    /// Decodes a `microstate.v1.RecordedEvent`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.RecordedEvent`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__RecordedEvent>) {
        microstate__v1__recorded_event__init(message)
    }

    init(copying c: borrowing Microstate__V1__RecordedEvent) throws(WireError) {
        try self.init(
            stream: String(validating: c.stream, field: "microstate.v1.RecordedEvent.stream"),
            revision: c.revision,
            position: c.position,
            id: String(validating: c.id, field: "microstate.v1.RecordedEvent.id"),
            type: String(validating: c.type, field: "microstate.v1.RecordedEvent.type"),
            data: [UInt8](copying: c.data),
            metadata: [String: String](
                copying: c.metadata,
                count: c.n_metadata,
                field: "microstate.v1.RecordedEvent.metadata"
            ),
            contentType: String(validating: c.content_type, field: "microstate.v1.RecordedEvent.content_type"),
            recordedAtUnixMs: c.recorded_at_unix_ms
        )
    }

    func lower(into c: inout Microstate__V1__RecordedEvent, arena: inout WireArena) {
        c.stream = arena.cString(self.stream)
        c.revision = self.revision
        c.position = self.position
        c.id = arena.cString(self.id)
        c.type = arena.cString(self.type)
        c.data = arena.binaryData(self.data)
        (c.n_metadata, c.metadata) = arena.stringMap(self.metadata)
        c.content_type = arena.cString(self.contentType)
        c.recorded_at_unix_ms = self.recordedAtUnixMs
    }
}

extension ReadRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.ReadRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.ReadRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__ReadRequest>) {
        microstate__v1__read_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__ReadRequest) throws(WireError) {
        try self.init(
            stream: String(validating: c.stream, field: "microstate.v1.ReadRequest.stream"),
            fromRevision: c.from_revision,
            backwards: Bool(cBoolean: c.backwards),
            maxCount: c.max_count
        )
    }

    func lower(into c: inout Microstate__V1__ReadRequest, arena: inout WireArena) {
        c.stream = arena.cString(self.stream)
        c.from_revision = self.fromRevision
        c.backwards = self.backwards.cBoolean
        c.max_count = self.maxCount
    }
}

extension ReadResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.ReadResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.ReadResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__ReadResponse>) {
        microstate__v1__read_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__ReadResponse) throws(WireError) {
        try self.init(event: RecordedEvent?(copying: c.event))
    }

    func lower(into c: inout Microstate__V1__ReadResponse, arena: inout WireArena) {
        c.event = arena.optionalMessage(self.event)
    }
}

extension SubscribeRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.SubscribeRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.SubscribeRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__SubscribeRequest>) {
        microstate__v1__subscribe_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__SubscribeRequest) throws(WireError) {
        try self.init(
            stream: String(validating: c.stream, field: "microstate.v1.SubscribeRequest.stream"),
            fromRevision: c.from_revision,
            group: String(validating: c.group, field: "microstate.v1.SubscribeRequest.group"),
            typePrefix: String(validating: c.type_prefix, field: "microstate.v1.SubscribeRequest.type_prefix")
        )
    }

    func lower(into c: inout Microstate__V1__SubscribeRequest, arena: inout WireArena) {
        c.stream = arena.cString(self.stream)
        c.from_revision = self.fromRevision
        c.group = arena.cString(self.group)
        c.type_prefix = arena.cString(self.typePrefix)
    }
}

extension CaughtUp: ProtobufCMapped {
    /// Decodes a `microstate.v1.CaughtUp`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.CaughtUp`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__CaughtUp>) {
        microstate__v1__caught_up__init(message)
    }

    init(copying c: borrowing Microstate__V1__CaughtUp) {
        self.init(position: c.position)
    }

    func lower(into c: inout Microstate__V1__CaughtUp, arena: inout WireArena) {
        c.position = self.position
    }
}

extension SubscribeResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.SubscribeResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.SubscribeResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__SubscribeResponse>) {
        microstate__v1__subscribe_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__SubscribeResponse) throws(WireError) {
        // protobuf-c sets the case only together with a non-NULL submessage; the nil checks are belt and braces.
        switch c.content_case {
        case MICROSTATE__V1__SUBSCRIBE_RESPONSE__CONTENT_EVENT:
            try self.init(content: RecordedEvent?(copying: c.event).map { .event($0) })
        case MICROSTATE__V1__SUBSCRIBE_RESPONSE__CONTENT_CAUGHT_UP:
            try self.init(content: CaughtUp?(copying: c.caught_up).map { .caughtUp($0) })
        default:
            self.init(content: nil)
        }
    }

    func lower(into c: inout Microstate__V1__SubscribeResponse, arena: inout WireArena) {
        switch self.content {
        case .event(let event):
            c.content_case = MICROSTATE__V1__SUBSCRIBE_RESPONSE__CONTENT_EVENT
            c.event = arena.message(event)
        case .caughtUp(let caughtUp):
            c.content_case = MICROSTATE__V1__SUBSCRIBE_RESPONSE__CONTENT_CAUGHT_UP
            c.caught_up = arena.message(caughtUp)
        case nil:
            break
        }
    }
}

extension AckRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.AckRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.AckRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__AckRequest>) {
        microstate__v1__ack_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__AckRequest) throws(WireError) {
        try self.init(
            group: String(validating: c.group, field: "microstate.v1.AckRequest.group"),
            stream: String(validating: c.stream, field: "microstate.v1.AckRequest.stream"),
            revision: c.revision
        )
    }

    func lower(into c: inout Microstate__V1__AckRequest, arena: inout WireArena) {
        c.group = arena.cString(self.group)
        c.stream = arena.cString(self.stream)
        c.revision = self.revision
    }
}

extension AckResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.AckResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.AckResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__AckResponse>) {
        microstate__v1__ack_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__AckResponse) throws(WireError) {
        try self.init(header: ResponseHeader?(copying: c.header))
    }

    func lower(into c: inout Microstate__V1__AckResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
    }
}

extension SaveSnapshotRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.SaveSnapshotRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.SaveSnapshotRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__SaveSnapshotRequest>) {
        microstate__v1__save_snapshot_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__SaveSnapshotRequest) throws(WireError) {
        try self.init(
            stream: String(validating: c.stream, field: "microstate.v1.SaveSnapshotRequest.stream"),
            revision: c.revision,
            state: [UInt8](copying: c.state)
        )
    }

    func lower(into c: inout Microstate__V1__SaveSnapshotRequest, arena: inout WireArena) {
        c.stream = arena.cString(self.stream)
        c.revision = self.revision
        c.state = arena.binaryData(self.state)
    }
}

extension SaveSnapshotResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.SaveSnapshotResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.SaveSnapshotResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__SaveSnapshotResponse>) {
        microstate__v1__save_snapshot_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__SaveSnapshotResponse) throws(WireError) {
        try self.init(header: ResponseHeader?(copying: c.header))
    }

    func lower(into c: inout Microstate__V1__SaveSnapshotResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
    }
}

extension LoadSnapshotRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.LoadSnapshotRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.LoadSnapshotRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__LoadSnapshotRequest>) {
        microstate__v1__load_snapshot_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__LoadSnapshotRequest) throws(WireError) {
        try self.init(stream: String(validating: c.stream, field: "microstate.v1.LoadSnapshotRequest.stream"))
    }

    func lower(into c: inout Microstate__V1__LoadSnapshotRequest, arena: inout WireArena) {
        c.stream = arena.cString(self.stream)
    }
}

extension LoadSnapshotResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.LoadSnapshotResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.LoadSnapshotResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__LoadSnapshotResponse>) {
        microstate__v1__load_snapshot_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__LoadSnapshotResponse) throws(WireError) {
        try self.init(
            header: ResponseHeader?(copying: c.header),
            found: Bool(cBoolean: c.found),
            revision: c.revision,
            state: [UInt8](copying: c.state)
        )
    }

    func lower(into c: inout Microstate__V1__LoadSnapshotResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        c.found = self.found.cBoolean
        c.revision = self.revision
        c.state = arena.binaryData(self.state)
    }
}

extension StreamMetadata: ProtobufCMapped {
    /// Decodes a `microstate.v1.StreamMetadata`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.StreamMetadata`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__StreamMetadata>) {
        microstate__v1__stream_metadata__init(message)
    }

    init(copying c: borrowing Microstate__V1__StreamMetadata) {
        self.init(maxCount: c.max_count, maxAgeMs: c.max_age_ms, truncateBefore: c.truncate_before)
    }

    func lower(into c: inout Microstate__V1__StreamMetadata, arena: inout WireArena) {
        c.max_count = self.maxCount
        c.max_age_ms = self.maxAgeMs
        c.truncate_before = self.truncateBefore
    }
}

extension SetStreamMetadataRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.SetStreamMetadataRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.SetStreamMetadataRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__SetStreamMetadataRequest>) {
        microstate__v1__set_stream_metadata_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__SetStreamMetadataRequest) throws(WireError) {
        try self.init(
            stream: String(validating: c.stream, field: "microstate.v1.SetStreamMetadataRequest.stream"),
            metadata: StreamMetadata?(copying: c.metadata)
        )
    }

    func lower(into c: inout Microstate__V1__SetStreamMetadataRequest, arena: inout WireArena) {
        c.stream = arena.cString(self.stream)
        c.metadata = arena.optionalMessage(self.metadata)
    }
}

extension SetStreamMetadataResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.SetStreamMetadataResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.SetStreamMetadataResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__SetStreamMetadataResponse>) {
        microstate__v1__set_stream_metadata_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__SetStreamMetadataResponse) throws(WireError) {
        try self.init(header: ResponseHeader?(copying: c.header))
    }

    func lower(into c: inout Microstate__V1__SetStreamMetadataResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
    }
}

extension GetStreamMetadataRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.GetStreamMetadataRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.GetStreamMetadataRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__GetStreamMetadataRequest>) {
        microstate__v1__get_stream_metadata_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__GetStreamMetadataRequest) throws(WireError) {
        try self.init(stream: String(validating: c.stream, field: "microstate.v1.GetStreamMetadataRequest.stream"))
    }

    func lower(into c: inout Microstate__V1__GetStreamMetadataRequest, arena: inout WireArena) {
        c.stream = arena.cString(self.stream)
    }
}

extension GetStreamMetadataResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.GetStreamMetadataResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.GetStreamMetadataResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__GetStreamMetadataResponse>) {
        microstate__v1__get_stream_metadata_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__GetStreamMetadataResponse) throws(WireError) {
        try self.init(
            header: ResponseHeader?(copying: c.header),
            metadata: StreamMetadata?(copying: c.metadata),
            lastRevision: c.last_revision,
            deleted: Bool(cBoolean: c.deleted),
            hardDeleted: Bool(cBoolean: c.hard_deleted)
        )
    }

    func lower(into c: inout Microstate__V1__GetStreamMetadataResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        c.metadata = arena.optionalMessage(self.metadata)
        c.last_revision = self.lastRevision
        c.deleted = self.deleted.cBoolean
        c.hard_deleted = self.hardDeleted.cBoolean
    }
}

extension DeleteStreamRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.DeleteStreamRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.DeleteStreamRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__DeleteStreamRequest>) {
        microstate__v1__delete_stream_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__DeleteStreamRequest) throws(WireError) {
        let expected: StreamExpectation?
        switch c.expected_case {
        case MICROSTATE__V1__DELETE_STREAM_REQUEST__EXPECTED_EXPECTED_REVISION:
            expected = .revision(c.expected_revision)
        case MICROSTATE__V1__DELETE_STREAM_REQUEST__EXPECTED_EXPECTED_STATE:
            expected = .state(ExpectedState(cEnum: c.expected_state))
        default:
            expected = nil
        }
        try self.init(
            stream: String(validating: c.stream, field: "microstate.v1.DeleteStreamRequest.stream"),
            hard: Bool(cBoolean: c.hard),
            expected: expected
        )
    }

    func lower(into c: inout Microstate__V1__DeleteStreamRequest, arena: inout WireArena) {
        c.stream = arena.cString(self.stream)
        c.hard = self.hard.cBoolean
        switch self.expected {
        case .revision(let revision):
            // Set means encoded, even when 0 (see AppendRequest).
            c.expected_case = MICROSTATE__V1__DELETE_STREAM_REQUEST__EXPECTED_EXPECTED_REVISION
            c.expected_revision = revision
        case .state(let state):
            c.expected_case = MICROSTATE__V1__DELETE_STREAM_REQUEST__EXPECTED_EXPECTED_STATE
            c.expected_state = state.cEnum()
        case nil:
            break
        }
    }
}

extension DeleteStreamResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.DeleteStreamResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.DeleteStreamResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__DeleteStreamResponse>) {
        microstate__v1__delete_stream_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__DeleteStreamResponse) throws(WireError) {
        try self.init(header: ResponseHeader?(copying: c.header), position: c.position)
    }

    func lower(into c: inout Microstate__V1__DeleteStreamResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        c.position = self.position
    }
}
