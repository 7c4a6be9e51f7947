internal import CProtobufC
internal import MicroStateProtos

// Each type: the two public `WireMessage` entry points (one line each, on top of `ProtobufCMapped`), then the
// field mapping in both directions. Field order follows kv.proto.

extension KeyValue: ProtobufCMapped {
    /// Decodes a `microstate.v1.KeyValue`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.KeyValue`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__KeyValue>) {
        microstate__v1__key_value__init(message)
    }

    init(copying c: borrowing Microstate__V1__KeyValue) {
        self.init(
            key: [UInt8](copying: c.key),
            value: [UInt8](copying: c.value),
            createRevision: c.create_revision,
            modRevision: c.mod_revision,
            version: c.version,
            schemaID: c.schema_id
        )
    }

    func lower(into c: inout Microstate__V1__KeyValue, arena: inout WireArena) {
        c.key = arena.binaryData(self.key)
        c.value = arena.binaryData(self.value)
        c.create_revision = self.createRevision
        c.mod_revision = self.modRevision
        c.version = self.version
        c.schema_id = self.schemaID
    }
}

extension PutRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.PutRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.PutRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__PutRequest>) {
        microstate__v1__put_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__PutRequest) {
        self.init(
            key: [UInt8](copying: c.key),
            value: [UInt8](copying: c.value),
            expectedRevision: c.expectation_case == MICROSTATE__V1__PUT_REQUEST__EXPECTATION_EXPECTED_REVISION
                ? c.expected_revision : nil,
            ttlMs: c.ttl_ms,
            idempotencyKey: String(copying: c.idempotency_key)
        )
    }

    func lower(into c: inout Microstate__V1__PutRequest, arena: inout WireArena) {
        c.key = arena.binaryData(self.key)
        c.value = arena.binaryData(self.value)
        if let expectedRevision = self.expectedRevision {
            // A set oneof member is encoded even when it is 0: that is what tells "must not exist" from "no check".
            c.expectation_case = MICROSTATE__V1__PUT_REQUEST__EXPECTATION_EXPECTED_REVISION
            c.expected_revision = expectedRevision
        }
        c.ttl_ms = self.ttlMs
        c.idempotency_key = arena.cString(self.idempotencyKey)
    }
}

extension PutResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.PutResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.PutResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__PutResponse>) {
        microstate__v1__put_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__PutResponse) throws(WireError) {
        try self.init(header: ResponseHeader?(copying: c.header), revision: c.revision)
    }

    func lower(into c: inout Microstate__V1__PutResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        c.revision = self.revision
    }
}

extension GetRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.GetRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.GetRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__GetRequest>) {
        microstate__v1__get_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__GetRequest) {
        self.init(
            key: [UInt8](copying: c.key),
            revision: c.revision,
            consistency: ReadConsistency(cEnum: c.consistency),
            sessionToken: String(copying: c.session_token)
        )
    }

    func lower(into c: inout Microstate__V1__GetRequest, arena: inout WireArena) {
        c.key = arena.binaryData(self.key)
        c.revision = self.revision
        c.consistency = self.consistency.cEnum()
        c.session_token = arena.cString(self.sessionToken)
    }
}

extension GetResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.GetResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.GetResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__GetResponse>) {
        microstate__v1__get_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__GetResponse) throws(WireError) {
        try self.init(
            header: ResponseHeader?(copying: c.header),
            found: Bool(cBoolean: c.found),
            kv: KeyValue?(copying: c.kv)
        )
    }

    func lower(into c: inout Microstate__V1__GetResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        c.found = self.found.cBoolean
        c.kv = arena.optionalMessage(self.kv)
    }
}

extension DeleteRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.DeleteRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.DeleteRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__DeleteRequest>) {
        microstate__v1__delete_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__DeleteRequest) {
        self.init(
            key: [UInt8](copying: c.key),
            expectedRevision: c.expectation_case == MICROSTATE__V1__DELETE_REQUEST__EXPECTATION_EXPECTED_REVISION
                ? c.expected_revision : nil
        )
    }

    func lower(into c: inout Microstate__V1__DeleteRequest, arena: inout WireArena) {
        c.key = arena.binaryData(self.key)
        if let expectedRevision = self.expectedRevision {
            // Set means encoded, even when 0 (see PutRequest).
            c.expectation_case = MICROSTATE__V1__DELETE_REQUEST__EXPECTATION_EXPECTED_REVISION
            c.expected_revision = expectedRevision
        }
    }
}

extension DeleteResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.DeleteResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.DeleteResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__DeleteResponse>) {
        microstate__v1__delete_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__DeleteResponse) throws(WireError) {
        try self.init(
            header: ResponseHeader?(copying: c.header),
            deleted: Bool(cBoolean: c.deleted),
            revision: c.revision
        )
    }

    func lower(into c: inout Microstate__V1__DeleteResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        c.deleted = self.deleted.cBoolean
        c.revision = self.revision
    }
}

extension RangeRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.RangeRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.RangeRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__RangeRequest>) {
        microstate__v1__range_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__RangeRequest) {
        self.init(
            start: [UInt8](copying: c.start),
            end: [UInt8](copying: c.end),
            prefix: [UInt8](copying: c.prefix),
            limit: c.limit,
            revision: c.revision,
            keysOnly: Bool(cBoolean: c.keys_only),
            consistency: ReadConsistency(cEnum: c.consistency),
            sessionToken: String(copying: c.session_token)
        )
    }

    func lower(into c: inout Microstate__V1__RangeRequest, arena: inout WireArena) {
        c.start = arena.binaryData(self.start)
        c.end = arena.binaryData(self.end)
        c.prefix = arena.binaryData(self.prefix)
        c.limit = self.limit
        c.revision = self.revision
        c.keys_only = self.keysOnly.cBoolean
        c.consistency = self.consistency.cEnum()
        c.session_token = arena.cString(self.sessionToken)
    }
}

extension RangeResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.RangeResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.RangeResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__RangeResponse>) {
        microstate__v1__range_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__RangeResponse) throws(WireError) {
        try self.init(
            header: ResponseHeader?(copying: c.header),
            kvs: [KeyValue](copying: c.kvs, count: c.n_kvs),
            more: Bool(cBoolean: c.more),
            count: c.count
        )
    }

    func lower(into c: inout Microstate__V1__RangeResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        (c.n_kvs, c.kvs) = arena.messages(self.kvs)
        c.more = self.more.cBoolean
        c.count = self.count
    }
}

extension CompareResult: WireEnum {}

extension Compare: ProtobufCMapped {
    /// Decodes a `microstate.v1.Compare`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.Compare`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__Compare>) {
        microstate__v1__compare__init(message)
    }

    init(copying c: borrowing Microstate__V1__Compare) {
        let target: Target?
        switch c.target_case {
        case MICROSTATE__V1__COMPARE__TARGET_MOD_REVISION: target = .modRevision(c.mod_revision)
        case MICROSTATE__V1__COMPARE__TARGET_VERSION: target = .version(c.version)
        case MICROSTATE__V1__COMPARE__TARGET_VALUE: target = .value([UInt8](copying: c.value))
        case MICROSTATE__V1__COMPARE__TARGET_CREATE_REVISION: target = .createRevision(c.create_revision)
        default: target = nil
        }
        self.init(key: [UInt8](copying: c.key), result: CompareResult(cEnum: c.result), target: target)
    }

    func lower(into c: inout Microstate__V1__Compare, arena: inout WireArena) {
        c.key = arena.binaryData(self.key)
        c.result = self.result.cEnum()
        switch self.target {
        case .modRevision(let revision):
            c.target_case = MICROSTATE__V1__COMPARE__TARGET_MOD_REVISION
            c.mod_revision = revision
        case .version(let version):
            c.target_case = MICROSTATE__V1__COMPARE__TARGET_VERSION
            c.version = version
        case .value(let value):
            // Set with an empty value still encodes the field (length 0): "compare against empty" is a target.
            c.target_case = MICROSTATE__V1__COMPARE__TARGET_VALUE
            c.value = arena.binaryData(value)
        case .createRevision(let revision):
            c.target_case = MICROSTATE__V1__COMPARE__TARGET_CREATE_REVISION
            c.create_revision = revision
        case nil:
            break
        }
    }
}

extension RequestOp: ProtobufCMapped {
    /// Decodes a `microstate.v1.RequestOp`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.RequestOp`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__RequestOp>) {
        microstate__v1__request_op__init(message)
    }

    init(copying c: borrowing Microstate__V1__RequestOp) throws(WireError) {
        // protobuf-c sets the case only together with a non-NULL submessage; the nil checks are belt and braces.
        switch c.request_case {
        case MICROSTATE__V1__REQUEST_OP__REQUEST_PUT:
            try self.init(request: PutRequest?(copying: c.put).map { .put($0) })
        case MICROSTATE__V1__REQUEST_OP__REQUEST_DELETE:
            try self.init(request: DeleteRequest?(copying: c.delete_).map { .delete($0) })
        case MICROSTATE__V1__REQUEST_OP__REQUEST_GET:
            try self.init(request: GetRequest?(copying: c.get).map { .get($0) })
        case MICROSTATE__V1__REQUEST_OP__REQUEST_ACK:
            try self.init(request: AckRequest?(copying: c.ack).map { .ack($0) })
        default:
            self.init(request: nil)
        }
    }

    func lower(into c: inout Microstate__V1__RequestOp, arena: inout WireArena) {
        switch self.request {
        case .put(let put):
            c.request_case = MICROSTATE__V1__REQUEST_OP__REQUEST_PUT
            c.put = arena.message(put)
        case .delete(let delete):
            c.request_case = MICROSTATE__V1__REQUEST_OP__REQUEST_DELETE
            c.delete_ = arena.message(delete)
        case .get(let get):
            c.request_case = MICROSTATE__V1__REQUEST_OP__REQUEST_GET
            c.get = arena.message(get)
        case .ack(let ack):
            c.request_case = MICROSTATE__V1__REQUEST_OP__REQUEST_ACK
            c.ack = arena.message(ack)
        case nil:
            break
        }
    }
}

extension ResponseOp: ProtobufCMapped {
    /// Decodes a `microstate.v1.ResponseOp`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.ResponseOp`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__ResponseOp>) {
        microstate__v1__response_op__init(message)
    }

    init(copying c: borrowing Microstate__V1__ResponseOp) throws(WireError) {
        switch c.response_case {
        case MICROSTATE__V1__RESPONSE_OP__RESPONSE_PUT:
            try self.init(response: PutResponse?(copying: c.put).map { .put($0) })
        case MICROSTATE__V1__RESPONSE_OP__RESPONSE_DELETE:
            try self.init(response: DeleteResponse?(copying: c.delete_).map { .delete($0) })
        case MICROSTATE__V1__RESPONSE_OP__RESPONSE_GET:
            try self.init(response: GetResponse?(copying: c.get).map { .get($0) })
        case MICROSTATE__V1__RESPONSE_OP__RESPONSE_ACK:
            try self.init(response: AckResponse?(copying: c.ack).map { .ack($0) })
        default:
            self.init(response: nil)
        }
    }

    func lower(into c: inout Microstate__V1__ResponseOp, arena: inout WireArena) {
        switch self.response {
        case .put(let put):
            c.response_case = MICROSTATE__V1__RESPONSE_OP__RESPONSE_PUT
            c.put = arena.message(put)
        case .delete(let delete):
            c.response_case = MICROSTATE__V1__RESPONSE_OP__RESPONSE_DELETE
            c.delete_ = arena.message(delete)
        case .get(let get):
            c.response_case = MICROSTATE__V1__RESPONSE_OP__RESPONSE_GET
            c.get = arena.message(get)
        case .ack(let ack):
            c.response_case = MICROSTATE__V1__RESPONSE_OP__RESPONSE_ACK
            c.ack = arena.message(ack)
        case nil:
            break
        }
    }
}

extension TxnRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.TxnRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.TxnRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__TxnRequest>) {
        microstate__v1__txn_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__TxnRequest) throws(WireError) {
        try self.init(
            compares: [Compare](copying: c.compares, count: c.n_compares),
            success: [RequestOp](copying: c.success, count: c.n_success),
            failure: [RequestOp](copying: c.failure, count: c.n_failure)
        )
    }

    func lower(into c: inout Microstate__V1__TxnRequest, arena: inout WireArena) {
        (c.n_compares, c.compares) = arena.messages(self.compares)
        (c.n_success, c.success) = arena.messages(self.success)
        (c.n_failure, c.failure) = arena.messages(self.failure)
    }
}

extension TxnResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.TxnResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.TxnResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__TxnResponse>) {
        microstate__v1__txn_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__TxnResponse) throws(WireError) {
        try self.init(
            header: ResponseHeader?(copying: c.header),
            succeeded: Bool(cBoolean: c.succeeded),
            responses: [ResponseOp](copying: c.responses, count: c.n_responses),
            revision: c.revision
        )
    }

    func lower(into c: inout Microstate__V1__TxnResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        c.succeeded = self.succeeded.cBoolean
        (c.n_responses, c.responses) = arena.messages(self.responses)
        c.revision = self.revision
    }
}

extension WatchRequest: ProtobufCMapped {
    /// Decodes a `microstate.v1.WatchRequest`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.WatchRequest`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__WatchRequest>) {
        microstate__v1__watch_request__init(message)
    }

    init(copying c: borrowing Microstate__V1__WatchRequest) {
        self.init(key: [UInt8](copying: c.key), prefix: Bool(cBoolean: c.prefix), startRevision: c.start_revision)
    }

    func lower(into c: inout Microstate__V1__WatchRequest, arena: inout WireArena) {
        c.key = arena.binaryData(self.key)
        c.prefix = self.prefix.cBoolean
        c.start_revision = self.startRevision
    }
}

extension EventType: WireEnum {}

extension WatchEvent: ProtobufCMapped {
    /// Decodes a `microstate.v1.WatchEvent`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.WatchEvent`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__WatchEvent>) {
        microstate__v1__watch_event__init(message)
    }

    init(copying c: borrowing Microstate__V1__WatchEvent) throws(WireError) {
        try self.init(type: EventType(cEnum: c.type), kv: KeyValue?(copying: c.kv))
    }

    func lower(into c: inout Microstate__V1__WatchEvent, arena: inout WireArena) {
        c.type = self.type.cEnum()
        c.kv = arena.optionalMessage(self.kv)
    }
}

extension WatchResponse: ProtobufCMapped {
    /// Decodes a `microstate.v1.WatchResponse`; malformed input throws ``WireError/Code/malformed``.
    public init(wireBytes: UnsafeRawBufferPointer) throws(WireError) { self = try Self.decode(wireBytes) }
    /// Encodes as a `microstate.v1.WatchResponse`.
    public func wireBytes() -> [UInt8] { self.encode() }

    static func cInit(_ message: UnsafeMutablePointer<Microstate__V1__WatchResponse>) {
        microstate__v1__watch_response__init(message)
    }

    init(copying c: borrowing Microstate__V1__WatchResponse) throws(WireError) {
        try self.init(
            header: ResponseHeader?(copying: c.header),
            events: [WatchEvent](copying: c.events, count: c.n_events),
            compacted: Bool(cBoolean: c.compacted),
            compactRevision: c.compact_revision
        )
    }

    func lower(into c: inout Microstate__V1__WatchResponse, arena: inout WireArena) {
        c.header = arena.optionalMessage(self.header)
        (c.n_events, c.events) = arena.messages(self.events)
        c.compacted = self.compacted.cBoolean
        c.compact_revision = self.compactRevision
    }
}
