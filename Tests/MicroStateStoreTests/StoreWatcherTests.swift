import Foundation
import Testing

@testable import MicroStateStore

private func drain(_ watcher: StoreWatcher) -> [StoreWatchEvent] {
    var all: [StoreWatchEvent] = []
    while case .events(let events) = watcher.poll(maxEvents: 7), !events.isEmpty {
        all.append(contentsOf: events)
    }
    return all
}

@Suite("StoreWatcher")
struct StoreWatcherTests {
    @Test("A watch from a past revision replays history then goes live with no gap or duplicate")
    func replayThenLive() throws {
        let store = KVStore.make()
        for i in 1...10 {
            store.putNow(i % 2 == 0 ? "p/\(i)" : "q/\(i)", "\(i)")
        }
        let ready = Box<Int>()
        ready.value = 0
        let watcher = try store.watch(key: b("p/"), prefix: true, startRevision: 3) {
            ready.update { $0! += 1 }
        }
        #expect(ready.value == 1)
        store.putNow("p/11", "11")
        store.deleteNow("p/4")
        store.putNow("q/x", "ignored")
        let events = drain(watcher)
        #expect(events.map(\.kv.modRevision) == [4, 6, 8, 10, 11, 12])
        #expect(events.last?.type == .delete && events.last?.kv.key == b("p/4"))
        #expect(events.first?.kv.value == b("4"))
        // A live-only watch sees only what comes next.
        let live = try store.watch(key: b("q/x"), onReady: {})
        #expect(drain(live).isEmpty)
        store.putNow("q/x", "again")
        #expect(drain(live).map(\.kv.version) == [2])
        watcher.cancel()
        live.cancel()
        #expect(store.metrics.watchers == 0)
    }

    @Test("A watch from a compacted revision reports compacted")
    func compactedStart() throws {
        var limits = StoreLimits()
        limits.historyRetentionRevisions = 2
        let store = KVStore.make(limits: limits)
        for i in 0..<6 {
            store.putNow("k", "\(i)")
        }
        let watcher = try store.watch(key: b("k"), startRevision: 4, onReady: {})
        #expect(watcher.poll(maxEvents: 10) == .compacted(4))
        let fine = try store.watch(key: b("k"), startRevision: 5, onReady: {})
        #expect(drain(fine).map(\.kv.modRevision) == [5, 6])
    }

    @Test("Events reach watchers only once durable")
    func durableOnly() throws {
        let log = FakeLog(hold: true)
        let store = KVStore.make(log: log)
        let watcher = try store.watch(key: b("a"), onReady: {})
        store.put(key: b("a"), value: b("1")) { _ in }
        #expect(drain(watcher).isEmpty)
        log.release()
        #expect(drain(watcher).map(\.kv.modRevision) == [1])
    }

    @Test("A slow watcher overflows while writers go on, and resuming loses nothing")
    func overflow() throws {
        var limits = StoreLimits()
        limits.watchBufferEvents = 5
        let store = KVStore.make(limits: limits)
        let slow = try store.watch(key: b("t/"), prefix: true, onReady: {})
        // A two-key Txn per revision: the overflow must cut at a revision boundary.
        for i in 1...10 {
            _ = store.txnNow(
                StoreTxnRequest(success: [
                    .put(key: b("t/a"), value: b("\(i)"), ttlMilliseconds: 0),
                    .put(key: b("t/b"), value: b("\(i)"), ttlMilliseconds: 0),
                ])
            )
        }
        #expect(store.currentRevision == 10)
        #expect(store.metrics.watchers == 0)
        let delivered = drain(slow)
        #expect(delivered.map(\.kv.modRevision) == [1, 1, 2, 2])
        guard case .overflowed(let resume) = slow.poll(maxEvents: 1) else {
            Issue.record("expected overflowed")
            return
        }
        #expect(resume == 3)
        // Resuming (each resumed watcher overflows again at 5 events) collects every event exactly once.
        var collected = delivered
        var from = resume
        for _ in 0..<10 {
            let resumed = try store.watch(key: b("t/"), prefix: true, startRevision: from, onReady: {})
            collected.append(contentsOf: drain(resumed))
            guard case .overflowed(let next) = resumed.poll(maxEvents: 1) else {
                break
            }
            from = next
        }
        #expect(collected.map(\.kv.modRevision) == (1...10).flatMap { [Int64($0), Int64($0)] })
        #expect(collected.map(\.kv.key) == Array(repeating: [b("t/a"), b("t/b")], count: 10).flatMap { $0 })
    }

    @Test("The number of watchers is bounded")
    func watcherBound() throws {
        var limits = StoreLimits()
        limits.maxWatchers = 2
        let store = KVStore.make(limits: limits)
        let first = try store.watch(key: b("a"), onReady: {})
        _ = try store.watch(key: b("b"), onReady: {})
        #expect(throws: StoreError.self) { try store.watch(key: b("c"), onReady: {}) }
        first.cancel()
        _ = try store.watch(key: b("c"), onReady: {})
    }

    @Test("Concurrent writers and a polling watcher: every event exactly once, in order")
    func concurrentExactlyOnce() throws {
        let log = FakeLog()
        let store = KVStore.make(log: log)
        let watcher = try store.watch(key: b("c/"), prefix: true, startRevision: 1, onReady: {})
        let seen = Box<[Int64]>()
        let stop = Box<Bool>()
        let reader = Thread {
            var revisions: [Int64] = []
            while stop.value != true || revisions.count < 400 {
                if case .events(let events) = watcher.poll(maxEvents: 50) {
                    revisions.append(contentsOf: events.map(\.kv.modRevision))
                }
            }
            seen.value = revisions
        }
        reader.start()
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for i in 0..<100 {
                store.putNow("c/\(worker)/\(i % 7)", "\(i)")
            }
        }
        stop.value = true
        while seen.value == nil { usleep(1000) }
        #expect(seen.value == Array(1...400))
    }

    @Test("Completions and onReady run without the store lock, so they may call back into the store")
    func reentrantCallbacks() throws {
        for log in [FakeLog(), FakeLog(hold: true), nil] {
            let store = KVStore.make(log: log)
            let seen = Box<Int64>()
            let watcher = try store.watch(key: b("a"), onReady: { seen.value = store.durableRevision })
            let done = Box<Int64>()
            store.put(key: b("a"), value: b("1")) { _ in
                // A nested write from inside a completion must not deadlock either.
                store.put(key: b("b"), value: b("2")) { _ in }
                done.value = (try? store.get(key: b("a")))??.modRevision ?? -1
            }
            log?.release()
            log?.release()
            #expect(done.wait() == 1)
            #expect(seen.wait() >= 1)
            watcher.cancel()
        }
    }
}
