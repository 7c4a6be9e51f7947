import MicroStateWire
import Testing

@Suite("kv.proto: KV service messages")
struct KVWireTests {
    @Test("Every message type round-trips a value with every field set", arguments: richSamples.indices)
    func richRoundTrip(index: Int) {
        let sample = richSamples[index]
        let survives = survivesRoundTrip(sample)
        #expect(survives, "\(sample)")
    }

    @Test("Every message type encodes its default value to no bytes and decodes no bytes to it")
    func emptyMessages() throws {
        for type in allMessageTypes {
            let decoded = try type.init(wireBytes: [])
            #expect(decoded.wireBytes() == [], "\(type)")
        }
        #expect(try PutRequest(wireBytes: []) == PutRequest())
        #expect(try TxnRequest(wireBytes: []) == TxnRequest())
        #expect(try GetResponse(wireBytes: []) == GetResponse(header: nil, found: false, kv: nil))
    }

    @Test("PutRequest golden: key, value and expected revision 0")
    func putGolden() throws {
        let request = PutRequest(key: Array("a".utf8), value: Array("b".utf8), expectedRevision: 0)
        let golden = hex("0a 01 61 12 01 62 18 00")
        #expect(request.wireBytes() == golden)
        #expect(try PutRequest(wireBytes: golden) == request)
    }

    @Test("PutRequest golden: every field set")
    func putGoldenFull() throws {
        let request = PutRequest(key: [0x6B], value: [0x76], expectedRevision: 7, ttlMs: 1000, idempotencyKey: "id")
        let golden = hex("0a 01 6b 12 01 76 18 07 20 e8 07 2a 02 69 64")
        #expect(request.wireBytes() == golden)
        #expect(try PutRequest(wireBytes: golden) == request)
    }

    @Test("Expected revision nil and 0 differ on the wire and both round-trip")
    func expectedRevisionPresence() throws {
        let absent = PutRequest(key: [1])
        let zero = PutRequest(key: [1], expectedRevision: 0)
        #expect(absent.wireBytes() == hex("0a 01 01"))
        #expect(zero.wireBytes() == hex("0a 01 01 18 00"))
        #expect(try roundTripped(absent).expectedRevision == nil)
        #expect(try roundTripped(zero).expectedRevision == 0)

        #expect(DeleteRequest(key: [1]).wireBytes() == hex("0a 01 01"))
        #expect(DeleteRequest(key: [1], expectedRevision: 0).wireBytes() == hex("0a 01 01 10 00"))
        #expect(try DeleteRequest(wireBytes: hex("10 00")).expectedRevision == 0)
        #expect(try DeleteRequest(wireBytes: hex("0a 01 01")).expectedRevision == nil)
        for revision in [Int64.min, -1, Int64.max] {
            #expect(try roundTripped(PutRequest(expectedRevision: revision)).expectedRevision == revision)
            #expect(try roundTripped(DeleteRequest(expectedRevision: revision)).expectedRevision == revision)
        }
    }

    @Test("GetRequest golden: key, revision, consistency and session token")
    func getRequestGolden() throws {
        let request = GetRequest(key: [0x6B], revision: 5, consistency: .linearizable, sessionToken: "s")
        let golden = hex("0a 01 6b 10 05 18 01 22 01 73")
        #expect(request.wireBytes() == golden)
        #expect(try GetRequest(wireBytes: golden) == request)
    }

    @Test("GetResponse golden: header, found and a nested KeyValue")
    func getResponseGolden() throws {
        let response = GetResponse(
            header: ResponseHeader(nodeId: 1, revision: 2),
            found: true,
            kv: KeyValue(key: [0x61], value: [0x62], createRevision: 1, modRevision: 2, version: 1)
        )
        let golden = hex("0a 04 08 01 10 02 10 01 1a 0c 0a 01 61 12 01 62 18 01 20 02 28 01")
        #expect(response.wireBytes() == golden)
        #expect(try GetResponse(wireBytes: golden) == response)
    }

    @Test("KeyValue golden with a schema id (field 6)")
    func keyValueSchemaIDGolden() throws {
        let kv = KeyValue(key: [0x61], value: [0x62], createRevision: 1, modRevision: 2, version: 1, schemaID: 300)
        let golden = hex("0a 01 61 12 01 62 18 01 20 02 28 01 30 ac 02")
        #expect(kv.wireBytes() == golden)
        #expect(try KeyValue(wireBytes: golden) == kv)
    }

    @Test("A present but empty submessage differs from an absent one")
    func presentEmptySubmessage() throws {
        let present = GetResponse(header: ResponseHeader(), kv: KeyValue())
        #expect(present.wireBytes() == hex("0a 00 1a 00"))
        let decoded = try GetResponse(wireBytes: hex("0a 00 1a 00"))
        #expect(decoded.header == ResponseHeader())
        #expect(decoded.kv == KeyValue())
        #expect(try GetResponse(wireBytes: []).kv == nil)
        #expect(try GetResponse(wireBytes: []).header == nil)
    }

    @Test("Compare golden: every target kind, including a zero and an empty value")
    func compareGolden() throws {
        let cases: [(Compare, String)] = [
            (Compare(key: [0x6B], result: .greater, target: .value([])), "0a 01 6b 10 02 2a 00"),
            (Compare(target: .modRevision(0)), "18 00"),
            (Compare(target: .version(1)), "20 01"),
            (Compare(target: .createRevision(2)), "30 02"),
            (Compare(result: .notEqual, target: .value([1])), "10 01 2a 01 01"),
            (Compare(), ""),
        ]
        for (compare, golden) in cases {
            #expect(compare.wireBytes() == hex(golden), "\(compare)")
            #expect(try Compare(wireBytes: hex(golden)) == compare, "\(compare)")
        }
    }

    @Test("RequestOp and ResponseOp golden: each oneof case is its field number")
    func opGolden() throws {
        #expect(RequestOp(request: .put(PutRequest())).wireBytes() == hex("0a 00"))
        #expect(RequestOp(request: .delete(DeleteRequest(key: [0x78]))).wireBytes() == hex("12 03 0a 01 78"))
        #expect(RequestOp(request: .get(GetRequest(revision: 1))).wireBytes() == hex("1a 02 10 01"))
        #expect(RequestOp().wireBytes() == [])
        #expect(try RequestOp(wireBytes: hex("12 03 0a 01 78")).request == .delete(DeleteRequest(key: [0x78])))
        #expect(try RequestOp(wireBytes: hex("0a 00")).request == .put(PutRequest()))
        #expect(ResponseOp(response: .get(GetResponse(found: true))).wireBytes() == hex("1a 02 10 01"))
        #expect(try ResponseOp(wireBytes: hex("0a 02 10 09")).response == .put(PutResponse(revision: 9)))
        // The last oneof member on the wire wins, as in every protobuf implementation.
        #expect(try RequestOp(wireBytes: hex("0a 00 1a 00")).request == .get(GetRequest()))
    }

    @Test("TxnRequest golden: repeated compares and ops keep their order")
    func txnGolden() throws {
        let txn = TxnRequest(
            compares: [Compare(key: [1], target: .version(0))],
            success: [RequestOp(request: .put(PutRequest(key: [2], expectedRevision: 0)))],
            failure: [RequestOp(request: .get(GetRequest(key: [3]))), RequestOp()]
        )
        // compares: 0a 05 {0a 01 01 20 00}; success: 12 07 {0a 05 {0a 01 02 18 00}};
        // failure: 1a 05 {1a 03 {0a 01 03}}, 1a 00.
        let golden = hex("0a 05 0a 01 01 20 00 12 07 0a 05 0a 01 02 18 00 1a 05 1a 03 0a 01 03 1a 00")
        #expect(txn.wireBytes() == golden)
        #expect(try TxnRequest(wireBytes: golden) == txn)
    }

    @Test("A transaction with hundreds of ops of every kind round-trips")
    func bigTxn() throws {
        var success: [RequestOp] = []
        var responses: [ResponseOp] = []
        for index in 0..<300 {
            let key = Array("key-\(index)".utf8)
            switch index % 3 {
            case 0:
                success.append(RequestOp(request: .put(PutRequest(key: key, value: key, expectedRevision: 0))))
                responses.append(ResponseOp(response: .put(PutResponse(header: header, revision: Int64(index)))))
            case 1:
                success.append(RequestOp(request: .delete(DeleteRequest(key: key))))
                responses.append(ResponseOp(response: .delete(DeleteResponse(deleted: true))))
            default:
                success.append(RequestOp(request: .get(GetRequest(key: key, consistency: .unrecognized(77)))))
                responses.append(ResponseOp(response: .get(GetResponse(found: true, kv: keyValue))))
            }
        }
        let txn = TxnRequest(compares: [Compare(key: [1], target: .value([2]))], success: success, failure: success)
        #expect(try roundTripped(txn) == txn)
        let response = TxnResponse(header: header, succeeded: true, responses: responses, revision: 1)
        #expect(try roundTripped(response) == response)
    }

    @Test("A 2 MiB value round-trips through Put, Get, Range, Compare and Watch")
    func bigValues() throws {
        var generator = SplitMix64(seed: 2)
        let big = (0..<(2 << 20)).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let kv = KeyValue(key: [1], value: big, createRevision: 1, modRevision: 1, version: 1)
        let put = PutRequest(key: big, value: big, expectedRevision: 1)
        #expect(put.wireBytes().count > 4 << 20)
        #expect(try roundTripped(put) == put)
        #expect(try roundTripped(GetResponse(found: true, kv: kv)) == GetResponse(found: true, kv: kv))
        let range = RangeResponse(kvs: [kv, kv, KeyValue(key: [2])], count: 3)
        #expect(try roundTripped(range) == range)
        let compare = Compare(key: [1], target: .value(big))
        #expect(try roundTripped(compare) == compare)
        let watch = WatchResponse(events: [WatchEvent(type: .put, kv: kv)])
        #expect(try roundTripped(watch) == watch)
    }

    @Test("Encodings just below, at and above 512 bytes (where packing switches buffers) are exact")
    func packingBoundary() throws {
        // KeyValue{value: n bytes} is 1 tag byte, a 2-byte length and n bytes: 512 total at n = 509.
        for count in 490...530 {
            let kv = KeyValue(value: (0..<count).map { UInt8(truncatingIfNeeded: $0) })
            let bytes = kv.wireBytes()
            #expect(bytes.count == 3 + count, "value of \(count) bytes")
            #expect(Array(bytes[0..<3]) == [0x12, UInt8(0x80 | count & 0x7F), UInt8(count >> 7)])
            #expect(try KeyValue(wireBytes: bytes) == kv, "value of \(count) bytes")
        }
    }

    @Test("Many small key-values spill the arena over several chunks and round-trip")
    func manySmallValues() throws {
        let kvs = (0..<5000).map { KeyValue(key: Array("k\($0)".utf8), value: Array("v\($0)".utf8), version: 1) }
        let range = RangeResponse(header: header, kvs: kvs, more: true, count: 5000)
        #expect(try roundTripped(range) == range)
    }

    @Test("Negative and extreme integers round-trip in every int64 field")
    func integerEdges() throws {
        for value in [Int64.min, Int64.min + 1, -1, 0, 1, Int64.max - 1, Int64.max] {
            let kv = KeyValue(createRevision: value, modRevision: value, version: value)
            #expect(try roundTripped(kv) == kv)
            let range = RangeRequest(limit: value, revision: value)
            #expect(try roundTripped(range) == range)
            let put = PutRequest(expectedRevision: value, ttlMs: value)
            #expect(try roundTripped(put) == put)
            let watch = WatchResponse(compactRevision: value)
            #expect(try roundTripped(watch) == watch)
        }
        // int64 -1 is a ten-byte varint, not zigzag.
        #expect(PutResponse(revision: -1).wireBytes() == hex("10 ff ff ff ff ff ff ff ff ff 01"))
    }

    @Test("Unknown CompareResult and EventType values survive a round trip")
    func unknownEnums() throws {
        let compare = try Compare(wireBytes: hex("10 2a"))
        #expect(compare.result == .unrecognized(42))
        #expect(compare.wireBytes() == hex("10 2a"))
        let event = try WatchEvent(wireBytes: hex("08 05"))
        #expect(event.type == .unrecognized(5))
        #expect(event.wireBytes() == hex("08 05"))
        #expect(CompareResult(rawValue: 3) == .less)
        #expect(EventType(rawValue: 1) == .delete)
        #expect(EventType.unrecognized(-8).rawValue == -8)
    }

    @Test("Unknown fields of every wire type are skipped")
    func unknownFieldsSkipped() throws {
        // PutRequest{key "a"} followed by field 15 varint, field 16 length-delimited, field 9 fixed32 and field 10
        // fixed64, then value "b": what a newer peer might send.
        let bytes = hex("0a 01 61 78 05 82 01 02 aa bb 4d 01 02 03 04 51 01 02 03 04 05 06 07 08 12 01 62")
        let request = try PutRequest(wireBytes: bytes)
        #expect(request == PutRequest(key: [0x61], value: [0x62]))
        #expect(request.wireBytes() == hex("0a 01 61 12 01 62"))
        // Unknown fields inside a nested message are skipped too.
        let nested = try GetResponse(wireBytes: hex("1a 05 0a 01 61 78 01"))
        #expect(nested.kv == KeyValue(key: [0x61]))
    }

    @Test("Strings round-trip unicode; a U+0000 ends a string, as protobuf-c stores C strings")
    func strings() throws {
        let request = PutRequest(idempotencyKey: "ключ 🔑 キー")
        #expect(try roundTripped(request) == request)
        #expect(PutRequest(idempotencyKey: "a\u{0}b").wireBytes() == hex("2a 01 61"))
    }
}
