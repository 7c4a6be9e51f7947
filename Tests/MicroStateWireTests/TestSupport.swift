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
]

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
]
