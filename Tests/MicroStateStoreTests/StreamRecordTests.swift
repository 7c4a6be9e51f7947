import Testing

@testable import MicroStateStore

private func decode(_ bytes: [UInt8], index: UInt64 = 17) -> Result<StoreRecord, StoreError> {
    bytes.withUnsafeBytes { raw in
        Result { () throws(StoreError) in try StoreRecord.decode(raw, index: index) }
    }
}

@Suite("StoreRecord format 2")
struct StreamRecordTests {
    @Test("Stream operations round-trip in format 2; KV-only records stay format 1")
    func roundTrip() throws {
        let events = [
            StoreEventData(
                id: "e-1",
                type: "Created",
                data: [1, 2, 3],
                metadata: ["b": "2", "a": "1"],
                contentType: "json"
            ),
            StoreEventData(id: "", type: "Ü", data: []),
        ]
        let records = [
            StoreRecord(revision: 9, timeMilliseconds: 5, operations: [.append(stream: "orders-1", events: events)]),
            StoreRecord(
                revision: 10,
                timeMilliseconds: -1,
                operations: [
                    .put(key: b("k"), value: b("v"), deadline: 0, idempotencyKey: ""),
                    .ack(group: "g", stream: "orders-1", revision: 1),
                ]
            ),
            StoreRecord(
                revision: 11,
                timeMilliseconds: 0,
                operations: [
                    .streamMetadata(
                        stream: "s",
                        metadata: StoreStreamMetadata(maxCount: 3, maxAgeMilliseconds: 4, truncateBefore: Int64.max)
                    )
                ]
            ),
            StoreRecord(revision: 12, timeMilliseconds: 0, operations: [.deleteStream(stream: "s", hard: true)]),
            StoreRecord(revision: 13, timeMilliseconds: 0, operations: [.deleteStream(stream: "s", hard: false)]),
            StoreRecord(
                revision: 14,
                timeMilliseconds: 0,
                operations: [.aggregateSnapshot(stream: "s", revision: 7, state: [0, 255])]
            ),
        ]
        for record in records {
            let bytes = record.encode()
            #expect(bytes[0] == 2)
            #expect(try decode(bytes).get() == record)
        }
        // Metadata keys are written sorted, so equal events encode equally.
        #expect(records[0].encode() == records[0].encode())
        let kv = StoreRecord(revision: 3, timeMilliseconds: 4, operations: [.delete(key: b("k"))])
        #expect(kv.encode()[0] == 1)
        #expect(records[0].firstRevision == 8 && records[1].firstRevision == 10)
    }

    @Test("Malformed format 2 records fail with an error naming the index and the problem")
    func malformed() throws {
        let append = StoreRecord(
            revision: 5,
            timeMilliseconds: 0,
            operations: [.append(stream: "s", events: [ev("t", id: "a")])]
        )
        .encode()
        let ack = StoreRecord(
            revision: 5,
            timeMilliseconds: 0,
            operations: [.ack(group: "g", stream: "s", revision: 1)]
        )
        .encode()
        let delete = StoreRecord(revision: 5, timeMilliseconds: 0, operations: [.deleteStream(stream: "s", hard: true)])
            .encode()
        var mixed = ack
        mixed[3] = 2  // two operations: the ack, then the append's body
        mixed += append.dropFirst(4)
        var hardFlag = delete
        hardFlag[hardFlag.count - 1] = 7
        var format1 = ack
        format1[0] = 1
        let noEvents: [UInt8] = [2, 5, 0, 1, 4, 1, UInt8(ascii: "s"), 0]
        let tooEarly = StoreRecord(revision: 2, timeMilliseconds: 0, operations: [.append(stream: "s", events: evs(3))])
            .encode()
        let cases: [(String, [UInt8], String)] = [
            ("truncated append", Array(append.dropLast(3)), "truncated"),
            ("trailing", ack + [1], "trailing"),
            ("mixed", mixed, "mixes an append with 1 other operations"),
            ("hard flag", hardFlag, "hard flag 7"),
            ("format 1 stream tag", format1, "operation tag 5 at byte 4 needs format 2"),
            ("no events", noEvents, "append at byte 4 has no events"),
            ("revision below events", tooEarly, "has revision 2, below its 3 events"),
            ("unknown tag", [2, 5, 0, 1, 11], "unknown operation tag 11"),
        ]
        for (name, bytes, needle) in cases {
            if let error = decode(bytes).error {
                #expect(error.code == .internal, "\(name)")
                #expect(error.message.contains("index 17"), "\(name): \(error.message)")
                #expect(error.message.contains(needle), "\(name): \(error.message)")
            } else {
                Issue.record("\(name): decoded")
            }
        }
    }

    @Test("Replay checks an append's first revision continues the store's revision")
    func replayContinuity() throws {
        let store = KVStore.make(log: nil)
        try store.replay(
            record: StoreRecord(revision: 1, timeMilliseconds: 0, operations: [.delete(key: b("k"))]).encode(),
            index: 1
        )
        let gap = StoreRecord(revision: 5, timeMilliseconds: 0, operations: [.append(stream: "s", events: evs(3))])
            .encode()
        do {
            try store.replay(record: gap, index: 2)
            Issue.record("replayed a gap")
        } catch {
            #expect(error.message == "log record at index 2 carries revisions 3...5 but the store expects 2")
        }
        let next = StoreRecord(revision: 4, timeMilliseconds: 0, operations: [.append(stream: "s", events: evs(3))])
            .encode()
        try store.replay(record: next, index: 2)
        #expect(store.currentRevision == 4 && store.durableRevision == 4)
        #expect(try store.readAll("s").map(\.position) == [2, 3, 4])
    }
}
