import MicroStateWire
import Testing

/// Parses "0a 01 61" into bytes; the golden vectors below are written by hand from the protobuf encoding rules.
func hex(_ text: String) -> [UInt8] {
    text.split(separator: " ").map { UInt8($0, radix: 16)! }
}

/// Renders bytes as "0a 01 61", for failure messages.
func hex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
}

/// Encodes then decodes `message` as its own type.
func roundTripped<M: WireMessage>(_ message: M) throws -> M {
    try M(wireBytes: message.wireBytes())
}

/// Decodes `bytes` as the dynamic type of `message`: nil when it decodes, else the error (opens existentials).
func decodeError<M: WireMessage>(as message: M, _ bytes: [UInt8]) -> WireError? {
    do throws(WireError) {
        _ = try M(wireBytes: bytes)
        return nil
    } catch {
        return error
    }
}

/// Whether `message` survives encode/decode unchanged (opens the existential for table-driven tests).
func survivesRoundTrip<M: WireMessage>(_ message: M) -> Bool {
    (try? roundTripped(message)) == message
}

/// A deterministic generator (SplitMix64), so a failing fuzz case is reproducible from its seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Every message type, for tests that must cover them all.
let allMessageTypes: [any WireMessage.Type] = [
    ResponseHeader.self, KeyValue.self, PutRequest.self, PutResponse.self, GetRequest.self, GetResponse.self,
    DeleteRequest.self, DeleteResponse.self, RangeRequest.self, RangeResponse.self, Compare.self, RequestOp.self,
    ResponseOp.self, TxnRequest.self, TxnResponse.self, WatchRequest.self, WatchEvent.self, WatchResponse.self,
    HealthCheckRequest.self, HealthCheckResponse.self,
    EventData.self, AppendRequest.self, AppendResponse.self, RecordedEvent.self, ReadRequest.self, ReadResponse.self,
    SubscribeRequest.self, CaughtUp.self, SubscribeResponse.self, AckRequest.self, AckResponse.self,
    SaveSnapshotRequest.self, SaveSnapshotResponse.self, LoadSnapshotRequest.self, LoadSnapshotResponse.self,
    StreamMetadata.self, SetStreamMetadataRequest.self, SetStreamMetadataResponse.self, GetStreamMetadataRequest.self,
    GetStreamMetadataResponse.self, DeleteStreamRequest.self, DeleteStreamResponse.self,
] + schemaMessageTypes

let unicode = "héllo, 世界 🌍 — ∑"
let header = ResponseHeader(nodeId: UInt64.max, revision: Int64.max, sessionToken: unicode)
let keyValue = KeyValue(key: Array("key/α".utf8), value: [0, 1, 2, 255], createRevision: 1, modRevision: -7,
                        version: Int64.min)
let putRequest = PutRequest(key: [0x6B], value: Array(repeating: 0xAB, count: 100), expectedRevision: 0, ttlMs: -1,
                            idempotencyKey: unicode)
let getRequest = GetRequest(key: [0], revision: Int64.min, consistency: .eventual, sessionToken: "s")
let deleteRequest = DeleteRequest(key: [1, 2, 3], expectedRevision: Int64.max)
let putResponse = PutResponse(header: header, revision: 42)
let getResponse = GetResponse(header: ResponseHeader(), found: true, kv: keyValue)
let deleteResponse = DeleteResponse(header: header, deleted: true, revision: -1)

/// One value of every message type with no field at its default, plus nested messages of every kind.
let richSamples: [any WireMessage] = [
    header,
    keyValue,
    putRequest,
    putResponse,
    getRequest,
    getResponse,
    deleteRequest,
    deleteResponse,
    RangeRequest(start: [1], end: [2], prefix: [3], limit: 10, revision: 9, keysOnly: true, consistency: .session,
                 sessionToken: unicode),
    RangeResponse(header: header, kvs: [keyValue, KeyValue(), keyValue], more: true, count: Int64.max),
    Compare(key: [9], result: .less, target: .value([])),
    RequestOp(request: .get(getRequest)),
    ResponseOp(response: .delete(deleteResponse)),
    TxnRequest(
        compares: [
            Compare(key: [1], result: .equal, target: .modRevision(0)),
            Compare(key: [2], result: .notEqual, target: .version(-3)),
            Compare(key: [3], result: .greater, target: .value([7, 7])),
            Compare(key: [4], result: .less, target: .createRevision(Int64.max)),
            Compare(key: [5], result: .unrecognized(99), target: nil),
        ],
        success: [
            RequestOp(request: .put(putRequest)),
            RequestOp(request: .delete(deleteRequest)),
            RequestOp(request: .get(getRequest)),
            RequestOp(request: nil),
            RequestOp(request: .put(PutRequest())),
        ],
        failure: [RequestOp(request: .delete(DeleteRequest(key: [], expectedRevision: nil)))]
    ),
    TxnResponse(
        header: header,
        succeeded: true,
        responses: [
            ResponseOp(response: .put(putResponse)),
            ResponseOp(response: .delete(deleteResponse)),
            ResponseOp(response: .get(getResponse)),
            ResponseOp(response: nil),
            ResponseOp(response: .get(GetResponse())),
        ],
        revision: 77
    ),
    WatchRequest(key: [0xFF], prefix: true, startRevision: -5),
    WatchEvent(type: .delete, kv: keyValue),
    WatchResponse(header: header, events: [WatchEvent(type: .put, kv: keyValue), WatchEvent()], compacted: true,
                  compactRevision: 3),
    HealthCheckRequest(service: "microstate.v1.KV"),
    HealthCheckResponse(status: .notServing),
] + eventSamples + schemaSamples

/// Protobuf bytes built field by field from the encoding rules, without protobuf-c: decoding them proves the mapping
/// uses the field numbers and wire types the .proto files declare.
enum Field {
    /// A base-128 varint, low group first.
    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        return bytes + [UInt8(value)]
    }

    /// The key of field `number`: number << 3 | wire type.
    static func tag(_ number: Int, wireType: UInt64) -> [UInt8] {
        self.varint(UInt64(number) << 3 | wireType)
    }

    /// An int64, bool or enum field (wire type 0); negatives take ten bytes, as int64 is not zigzag-encoded.
    static func int(_ number: Int, _ value: Int64) -> [UInt8] {
        self.tag(number, wireType: 0) + self.varint(UInt64(bitPattern: value))
    }

    /// A bytes field (wire type 2).
    static func bytes(_ number: Int, _ value: [UInt8]) -> [UInt8] {
        self.tag(number, wireType: 2) + self.varint(UInt64(value.count)) + value
    }

    /// A string field (wire type 2, UTF-8).
    static func string(_ number: Int, _ value: String) -> [UInt8] {
        self.bytes(number, Array(value.utf8))
    }

    /// A submessage field (wire type 2) made of the given encoded fields.
    static func message(_ number: Int, _ fields: [UInt8]...) -> [UInt8] {
        self.bytes(number, fields.flatMap { $0 })
    }

    /// One entry of a `map<string, string>` field: a submessage with key = 1 and value = 2.
    static func entry(_ number: Int, _ key: String, _ value: String) -> [UInt8] {
        self.message(number, self.string(1, key), self.string(2, value))
    }
}

/// The names of the stored properties of `message` that hold their proto3 zero value (0, false, empty, nil), so an
/// "every field set" sample cannot quietly leave one at its default and hide a mapping mistake.
func defaultedFields(of message: Any) -> [String] {
    Mirror(reflecting: message).children.compactMap { child in
        let isDefault: Bool
        switch child.value {
        case let value as Int64: isDefault = value == 0
        case let value as UInt64: isDefault = value == 0
        case let value as Bool: isDefault = !value
        case let value as any Collection: isDefault = value.isEmpty
        default:
            let mirror = Mirror(reflecting: child.value)
            isDefault = mirror.displayStyle == .optional && mirror.children.isEmpty
        }
        return isDefault ? (child.label ?? "?") : nil
    }
}

// events.proto samples: every field of every message set to a value other than its default.
let eventData = EventData(
    id: "3f2a-ü",
    type: "OrderPlaced",
    data: [0, 1, 0xFF],
    metadata: ["trace": "t-1", "tenant": "acme", "ключ": unicode],
    contentType: "application/json"
)
let recordedEvent = RecordedEvent(
    stream: "orders-1",
    revision: Int64.max,
    position: 12,
    id: "e-1",
    type: "OrderShipped",
    data: [7],
    metadata: ["a": "1", "b": unicode],
    contentType: "text/plain",
    recordedAtUnixMs: 1_764_000_000_000
)
let ackRequest = AckRequest(group: "billing", stream: "orders-1", revision: 41)
let streamMetadata = StreamMetadata(maxCount: 10, maxAgeMs: 86_400_000, truncateBefore: Int64.min)

/// One value of every events.proto message with no field at its default, plus the Txn `ack` op in both directions.
let eventSamples: [any WireMessage] = [
    eventData,
    AppendRequest(stream: "orders-1", expected: .revision(0), events: [eventData, EventData(type: "Empty"), eventData]),
    AppendRequest(stream: unicode, expected: .state(.streamExists), events: [eventData]),
    AppendResponse(header: header, firstRevision: 5, lastRevision: 7, position: Int64.max),
    recordedEvent,
    ReadRequest(stream: "$all", fromRevision: -1, backwards: true, maxCount: 100_000),
    ReadResponse(event: recordedEvent),
    SubscribeRequest(stream: "$all", fromRevision: Int64.min, group: "billing", typePrefix: "Order"),
    CaughtUp(position: 99),
    SubscribeResponse(content: .event(recordedEvent)),
    SubscribeResponse(content: .caughtUp(CaughtUp(position: 99))),
    ackRequest,
    AckResponse(header: header),
    SaveSnapshotRequest(stream: "orders-1", revision: 3, state: [1, 2, 3]),
    SaveSnapshotResponse(header: header),
    LoadSnapshotRequest(stream: "orders-1"),
    LoadSnapshotResponse(header: header, found: true, revision: 3, state: [0xFF]),
    streamMetadata,
    SetStreamMetadataRequest(stream: "orders-1", metadata: streamMetadata),
    SetStreamMetadataResponse(header: header),
    GetStreamMetadataRequest(stream: "orders-1"),
    GetStreamMetadataResponse(header: header, metadata: streamMetadata, lastRevision: -1, deleted: true,
                              hardDeleted: true),
    DeleteStreamRequest(stream: "orders-1", hard: true, expected: .revision(Int64.max)),
    DeleteStreamRequest(stream: "orders-1", hard: true, expected: .state(.noStream)),
    DeleteStreamResponse(header: header, position: 77),
    RequestOp(request: .ack(ackRequest)),
    ResponseOp(response: .ack(AckResponse(header: header))),
    TxnRequest(
        compares: [Compare(key: [1], result: .equal, target: .version(1))],
        success: [RequestOp(request: .put(putRequest)), RequestOp(request: .ack(ackRequest))],
        failure: [RequestOp(request: .ack(AckRequest(group: "g", stream: "s", revision: -1)))]
    ),
    TxnResponse(
        header: header,
        succeeded: true,
        responses: [ResponseOp(response: .put(putResponse)), ResponseOp(response: .ack(AckResponse(header: header)))],
        revision: 5
    ),
]
