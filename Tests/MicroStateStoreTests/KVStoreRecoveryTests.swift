import Foundation
import Testing

@testable import MicroStateStore

/// Applies a deterministic mix of operations.
private func workload(_ store: KVStore, clock: ManualClock, operations: Int, seed: UInt64) {
    var random = SeededRandom(state: seed)
    for i in 0..<operations {
        let key = "key/\(Int.random(in: 0..<50, using: &random))"
        switch Int.random(in: 0..<10, using: &random) {
        case 0..<5:
            store.putNow(key, "value-\(i)", ttl: i % 9 == 0 ? 500 : 0, idempotencyKey: i % 4 == 0 ? "req-\(i)" : "")
        case 5..<7:
            store.deleteNow(key)
        case 7..<9:
            _ = store.txnNow(
                StoreTxnRequest(
                    compares: [StoreCompare(key: b(key), result: .greater, target: .version(1))],
                    success: [.delete(key: b(key)), .put(key: b(key + "/t"), value: b("\(i)"), ttlMilliseconds: 0)],
                    failure: [.put(key: b(key), value: b("f\(i)"), ttlMilliseconds: 0)]
                )
            )
        default:
            clock.advance(200)
            store.expireDue(nowMilliseconds: clock.nowMilliseconds())
        }
    }
}

private func state(_ store: KVStore) throws -> ([StoreKeyValue], Int64, [Int64]) {
    let kvs = try store.dump()
    let deadlines = kvs.map { kv in
        kv.key.withUnsafeBytes { store.tree.find($0).map { $0.leaf.entries[$0.index].deadline } ?? -1 }
    }
    return (kvs, store.currentRevision, deadlines)
}

@Suite("KVStore recovery")
struct KVStoreRecoveryTests {
    @Test("Replaying every record rebuilds an identical state")
    func replayAll() throws {
        let clock = ManualClock()
        let log = FakeLog()
        let store = KVStore.make(log: log, clock: clock)
        workload(store, clock: clock, operations: 600, seed: 7)
        let recovered = KVStore.make(log: FakeLog(), clock: clock)
        for (index, record) in log.records.enumerated() {
            try recovered.replay(record: record, index: UInt64(index + 1))
        }
        let (kvs, revision, deadlines) = try state(store)
        let (kvs2, revision2, deadlines2) = try state(recovered)
        #expect(kvs == kvs2)
        #expect(revision == revision2)
        #expect(deadlines == deadlines2)
        #expect(recovered.metrics.idempotencyKeys == store.metrics.idempotencyKeys)
        #expect(recovered.metrics.keys == store.metrics.keys)
    }

    @Test("A snapshot plus the records after it rebuild an identical state")
    func snapshotPlusTail() throws {
        let clock = ManualClock()
        let log = FakeLog()
        let store = KVStore.make(log: log, clock: clock)
        workload(store, clock: clock, operations: 400, seed: 11)
        try store.takeSnapshot()
        let snapshot = try #require(log.snapshots.last)
        #expect(snapshot.index == UInt64(log.records.count))
        workload(store, clock: clock, operations: 300, seed: 12)

        let recovered = KVStore.make(log: FakeLog(), clock: clock)
        try recovered.restore(snapshot: snapshot.bytes, index: snapshot.index)
        #expect(recovered.compactRevision == recovered.currentRevision)
        for (offset, record) in log.records.enumerated().dropFirst(Int(snapshot.index)) {
            try recovered.replay(record: record, index: UInt64(offset + 1))
        }
        let (kvs, revision, deadlines) = try state(store)
        let (kvs2, revision2, deadlines2) = try state(recovered)
        #expect(kvs == kvs2)
        #expect(revision == revision2)
        #expect(deadlines == deadlines2)
    }

    @Test("Automatic snapshots are taken every compactAfterRecords records")
    func automaticSnapshots() throws {
        let log = FakeLog()
        let store = KVStore.make(log: log, compactAfterRecords: 10)
        for round in 1...2 {
            for i in 0..<10 {
                store.putNow("k\(round)/\(i)", "v")
            }
            var waited = 0
            while store.metrics.snapshotsTaken < round && waited < 5000 {
                usleep(1000)
                waited += 1
            }
        }
        #expect(store.metrics.snapshotsTaken == 2)
        #expect(log.snapshots.map(\.index) == [10, 20])
    }

    @Test("A snapshot written while writes continue holds exactly the state at its revision")
    func snapshotIsAtItsRevision() throws {
        let log = FakeLog()
        let store = KVStore.make(log: log)
        for i in 0..<3000 {
            store.putNow("k\(i)", "v\(i)")
        }
        try store.takeSnapshot()
        let snapshot = try #require(log.snapshots.last)
        let recovered = KVStore.make(log: nil)
        try recovered.restore(snapshot: snapshot.bytes, index: snapshot.index)
        #expect(try recovered.dump() == store.dump())
    }

    @Test("A record that does not decode or skips a revision stops recovery with a clear error")
    func corruptRecord() throws {
        let log = FakeLog()
        let store = KVStore.make(log: log)
        store.putNow("a", "1")
        store.putNow("b", "2")
        let recovered = KVStore.make(log: nil)
        do {
            try recovered.replay(record: log.records[1], index: 2)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .internal)
            #expect(error.message == "log record at index 2 carries revision 2 but the store expects 1")
        }
        do {
            try recovered.replay(record: [1, 1], index: 1)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("log record at index 1 is truncated"))
        }
        do {
            try recovered.restore(snapshot: Array("nope".utf8), index: 3)
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("snapshot at index 3"))
        }
    }

    @Test("A snapshot holds only durable writes, with the log index of the last durable record")
    func snapshotExcludesPendingWrites() throws {
        let log = FakeLog(hold: true)
        let store = KVStore.make(log: log)
        for key in ["a", "b", "c"] {
            store.put(key: b(key), value: b("v")) { _ in }
        }
        log.release(2)
        try store.takeSnapshot()
        let snapshot = try #require(log.snapshots.last)
        #expect(snapshot.index == 2)
        let recovered = KVStore.make(log: nil)
        try recovered.restore(snapshot: snapshot.bytes, index: snapshot.index)
        #expect(try recovered.dump().map(\.key) == [b("a"), b("b")])
        try recovered.replay(record: log.records[2], index: 3)
        #expect(try recovered.dump().count == 3)
    }

    @Test("Concurrent writers with a log completing on its own thread: all complete and the log replays identically")
    func concurrentWritersAsyncLog() throws {
        let log = QueueLog()
        let store = KVStore(configuration: StoreConfiguration(), log: log)
        let revisions = Box<[Int64]>()
        revisions.value = []
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for i in 0..<150 {
                let done = Box<Int64>()
                if i % 5 == 4 {
                    store.delete(key: b("w\(worker)/\(i - 1)")) { done.value = try! $0.get().revision }
                } else {
                    store.put(key: b("w\(worker)/\(i)"), value: b("\(i)")) { done.value = try! $0.get().revision }
                }
                let revision = done.wait()
                revisions.update { $0!.append(revision) }
            }
        }
        #expect(revisions.value!.count == 600)
        #expect(Set(revisions.value!).count == 600)
        #expect(store.durableRevision == 600)
        let recovered = KVStore.make(log: nil)
        for (index, record) in log.records.enumerated() {
            try recovered.replay(record: record, index: UInt64(index + 1))
        }
        #expect(try recovered.dump() == store.dump())
    }
}
