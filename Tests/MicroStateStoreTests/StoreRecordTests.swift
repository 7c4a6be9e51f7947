import Testing

@testable import MicroStateStore

@Suite("StoreRecord")
struct StoreRecordTests {
    @Test("Records round-trip through their encoding")
    func roundTrip() throws {
        let records = [
            StoreRecord(revision: 1, timeMilliseconds: -5, operations: [.delete(key: b("k"))]),
            StoreRecord(
                revision: Int64.max,
                timeMilliseconds: 1_700_000_000_000,
                operations: [
                    .put(key: b("a"), value: [], deadline: 0, idempotencyKey: ""),
                    .put(key: [0, 255], value: Array(repeating: 7, count: 300), deadline: 99, idempotencyKey: "ü-key"),
                    .expire(key: b("z")),
                ]
            ),
        ]
        for record in records {
            let decoded = try record.encode().withUnsafeBytes { bytes in
                Result { () throws(StoreError) in try StoreRecord.decode(bytes, index: 1) }
            }.get()
            #expect(decoded == record)
        }
        let fast = StoreRecord.encodePut(
            revision: 3,
            time: 4,
            key: b("k"),
            value: b("v"),
            deadline: 5,
            idempotencyKey: "i"
        )
        let slow = StoreRecord(
            revision: 3,
            timeMilliseconds: 4,
            operations: [.put(key: b("k"), value: b("v"), deadline: 5, idempotencyKey: "i")]
        ).encode()
        #expect(fast == slow)
    }

    @Test("Malformed records fail with an error naming the index and the problem")
    func malformed() {
        let good = StoreRecord(
            revision: 2,
            timeMilliseconds: 0,
            operations: [.put(key: b("k"), value: b("v"), deadline: 0, idempotencyKey: "")]
        ).encode()
        var badTag = good
        badTag[4] = 11
        let cases: [(String, [UInt8], String)] = [
            ("empty", [], "truncated"),
            ("wrong version", [3] + good.dropFirst(), "format version 3"),
            ("truncated", Array(good.dropLast()), "truncated"),
            ("trailing", good + [0], "trailing"),
            ("unknown tag", badTag, "unknown operation tag 11"),
            ("huge count", [1, 1, 0, 0xFF, 0xFF, 0x03], "impossible count"),
        ]
        for (name, bytes, needle) in cases {
            let result: Result<StoreRecord, StoreError> = bytes.withUnsafeBytes { raw in
                Result { () throws(StoreError) in try StoreRecord.decode(raw, index: 17) }
            }
            if let error = result.error {
                #expect(error.code == .internal, "\(name)")
                #expect(error.message.contains("index 17"), "\(name): \(error.message)")
                #expect(error.message.contains(needle), "\(name): \(error.message)")
            } else {
                Issue.record("\(name): decoded")
            }
        }
    }
}
