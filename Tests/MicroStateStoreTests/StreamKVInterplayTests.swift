import Foundation
import Testing

@testable import MicroStateStore

@Suite("Streams and KV on one revision counter")
struct StreamKVInterplayTests {
    @Test("KV watchers never receive stream events and see KV revisions with the events' gaps")
    func watchers() throws {
        let store = KVStore.make()
        let ready = ReadySignal()
        let watcher = try store.watch(key: [], prefix: true) { ready.signal() }
        store.putNow("a", "1")  // 1
        _ = try store.appendNow("s", evs(3)).get()  // 2...4
        _ = try store.ackNow("g", "s", 0).get()  // 5
        _ = try store.setMetadataNow("s", StoreStreamMetadata(maxCount: 9)).get()  // 6
        _ = try store.saveSnapshotNow("s", 1, "x").get()  // 7
        store.deleteNow("a")  // 8
        _ = try store.txnNow(
            StoreTxnRequest(success: [
                .put(key: b("b"), value: b("2"), ttlMilliseconds: 0), .ack(group: "g", stream: "s", revision: 1),
            ])
        ).get()  // 9
        _ = try store.deleteStreamNow("s", hard: true).get()  // 10
        var events: [StoreWatchEvent] = []
        while case .events(let batch) = watcher.poll(maxEvents: 100), !batch.isEmpty {
            events.append(contentsOf: batch)
        }
        #expect(events.map(\.kv.modRevision) == [1, 8, 9])
        #expect(events.map(\.type) == [.put, .delete, .put])
        #expect(store.durableRevision == 10)
        // A watch from an event's position starts at the next KV write.
        let fromEvent = try store.watch(key: [], prefix: true, startRevision: 3) {}
        if case .events(let replayed) = fromEvent.poll(maxEvents: 100) {
            #expect(replayed.map(\.kv.modRevision) == [8, 9])
        } else {
            Issue.record("expected events")
        }
    }

    @Test("KV reads, deletes of absent keys and read-only Txns report revisions that may be event positions")
    func revisions() throws {
        let store = KVStore.make()
        store.putNow("k", "1")
        _ = try store.appendNow("s", evs(2)).get()  // 2, 3
        #expect(try store.get(key: b("k"), revision: 3)?.modRevision == 1)
        #expect(try store.deleteNow("absent").get() == StoreDeleteResult(deleted: false, revision: 3))
        #expect(try store.txnNow(StoreTxnRequest(success: [.get(key: b("k"))])).get().revision == 3)
        #expect(try store.range(prefix: b("k")).revision == 3)
        store.putNow("k", "2")
        #expect(try store.get(key: b("k"))?.version == 2)
        #expect(try store.get(key: b("k"))?.modRevision == 4)
    }

    @Test("Appends interleaved with Puts from many threads keep one gapless revision order")
    func interleavedThreads() throws {
        let log = QueueLog()
        let store = KVStore(configuration: StoreConfiguration(), log: log)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for i in 0..<100 {
                if i % 2 == 0 {
                    store.putNow("w\(worker)/\(i)", "v")
                } else {
                    precondition((try? store.appendNow("w\(worker)", evs(2)).get()) != nil)
                }
            }
        }
        #expect(store.durableRevision == 4 * (50 + 100))
        let events = try store.readAll(KVStore.allStreams, page: 1000)
        #expect(events.count == 400)
        let keys = try store.dump()
        let used = Set(events.map(\.position)).union(keys.map(\.modRevision))
        #expect(used == Set(1...Int64(600)))
        let recovered = KVStore.make(log: nil)
        for (index, record) in log.records.enumerated() {
            try recovered.replay(record: record, index: UInt64(index + 1))
        }
        #expect(try recovered.readAll(KVStore.allStreams, page: 1000) == events)
        #expect(try recovered.dump() == keys)
    }
}
