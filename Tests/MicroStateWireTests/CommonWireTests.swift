import MicroStateWire
import Testing

@Suite("common.proto: ResponseHeader and ReadConsistency")
struct CommonWireTests {
    @Test("An empty ResponseHeader encodes to no bytes and decodes back")
    func emptyHeader() throws {
        #expect(ResponseHeader().wireBytes() == [])
        #expect(try ResponseHeader(wireBytes: []) == ResponseHeader())
    }

    @Test("ResponseHeader encodes the documented bytes, extreme values included")
    func headerGolden() throws {
        // node_id = UInt64.max: ten-byte varint; revision = -1: ten-byte varint (int64 is not zigzag);
        // session_token = "é": length 2, UTF-8 c3 a9.
        let header = ResponseHeader(nodeId: UInt64.max, revision: -1, sessionToken: "é")
        let golden = hex("08 ff ff ff ff ff ff ff ff ff 01 10 ff ff ff ff ff ff ff ff ff 01 1a 02 c3 a9")
        #expect(header.wireBytes() == golden)
        #expect(try ResponseHeader(wireBytes: golden) == header)
    }

    @Test("ResponseHeader round-trips Int64.min, Int64.max and unicode")
    func headerEdges() throws {
        for revision in [Int64.min, -1, 0, 1, Int64.max] {
            let header = ResponseHeader(nodeId: 1, revision: revision, sessionToken: "🌍 日本語")
            #expect(try roundTripped(header) == header)
        }
    }

    @Test("ReadConsistency maps every known value and keeps unknown ones")
    func readConsistencyValues() {
        let known: [(ReadConsistency, Int32)] = [
            (.unspecified, 0), (.linearizable, 1), (.boundedStaleness, 2), (.session, 3), (.consistentPrefix, 4),
            (.eventual, 5),
        ]
        for (value, raw) in known {
            #expect(value.rawValue == raw)
            #expect(ReadConsistency(rawValue: raw) == value)
        }
        #expect(ReadConsistency(rawValue: 6) == .unrecognized(6))
        #expect(ReadConsistency(rawValue: -1) == .unrecognized(-1))
        #expect(ReadConsistency.unrecognized(Int32.max).rawValue == Int32.max)
    }

    @Test("An unknown ReadConsistency survives a GetRequest round trip")
    func unknownConsistency() throws {
        for raw: Int32 in [6, 1000, Int32.max, -1, Int32.min] {
            let request = GetRequest(key: [1], consistency: ReadConsistency(rawValue: raw))
            #expect(try roundTripped(request).consistency == .unrecognized(raw))
        }
        // consistency = 9 as field 3, written by a newer peer.
        #expect(try GetRequest(wireBytes: hex("18 09")).consistency == .unrecognized(9))
        #expect(GetRequest(consistency: .unrecognized(9)).wireBytes() == hex("18 09"))
    }
}
