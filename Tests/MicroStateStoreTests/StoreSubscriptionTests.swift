import Foundation
import Testing

@testable import MicroStateStore

@Suite("StoreSubscription")
struct StoreSubscriptionTests {
    @Test("Catch-up then live on one cursor: caughtUp exactly once, onReady one-shot after reaching the head")
    func catchUpThenLive() throws {
        let store = KVStore.make()
        _ = try store.appendNow("s", (0..<5).map { ev("t", id: "e\($0)") }).get()
        let ready = ReadySignal()
        let subscription = try store.subscribe(stream: "s", from: 2, group: "", typePrefix: "") { ready.signal() }
        let first = subscription.poll(maxEvents: 2, maxBytes: 0)
        #expect(first.events.map(\.revision) == [2, 3] && !first.caughtUp && first.headPosition == 5)
        let second = subscription.poll(maxEvents: 2, maxBytes: 0)
        #expect(second.events.map(\.revision) == [4] && second.caughtUp)
        let third = subscription.poll(maxEvents: 2, maxBytes: 0)
        #expect(third.events.isEmpty && !third.caughtUp && third.ended == nil)
        #expect(ready.calls == 0)
        _ = try store.appendNow("s", [ev("t", id: "e5")]).get()
        _ = try store.appendNow("s", [ev("t", id: "e6")]).get()
        #expect(ready.calls == 1)
        let live = subscription.poll(maxEvents: 10, maxBytes: 0)
        #expect(live.events.map(\.revision) == [5, 6] && !live.caughtUp)
        // KV writes and other streams do not wake it.
        store.putNow("k", "v")
        _ = try store.appendNow("other", [ev("t")]).get()
        #expect(ready.calls == 1)
        _ = try store.appendNow("s", [ev("t", id: "e7")]).get()
        #expect(ready.calls == 2)
        #expect(subscription.poll(maxEvents: 10, maxBytes: 0).events.map(\.id) == ["e7"])
        subscription.cancel()
        _ = try store.appendNow("s", [ev("t", id: "e8")]).get()
        #expect(ready.calls == 2)
        #expect(subscription.poll(maxEvents: 10, maxBytes: 0).events.isEmpty)
        #expect(store.metrics.subscriptions == 0)
    }

    @Test("Live-only starts after the head at subscribe time; caughtUp comes with the first, empty, poll")
    func liveOnly() throws {
        let store = KVStore.make()
        _ = try store.appendNow("s", [ev("t", id: "old")]).get()
        let all = try store.subscribe(stream: KVStore.allStreams, from: -1, group: "", typePrefix: "") {}
        let one = try store.subscribe(stream: "s", from: -1, group: "", typePrefix: "") {}
        let fresh = try store.subscribe(stream: "fresh", from: -1, group: "", typePrefix: "") {}
        for subscription in [all, one, fresh] {
            let batch = subscription.poll(maxEvents: 10, maxBytes: 0)
            #expect(batch.events.isEmpty && batch.caughtUp)
        }
        _ = try store.appendNow("s", [ev("t", id: "new")]).get()
        _ = try store.appendNow("fresh", [ev("t", id: "f0")]).get()
        #expect(all.drain().events.map(\.id) == ["new", "f0"])
        #expect(one.drain().events.map(\.id) == ["new"])
        #expect(fresh.drain().events.map(\.id) == ["f0"])
    }

    @Test("$all subscriptions filter by type prefix and skip hidden and hard-deleted events")
    func filters() throws {
        let store = KVStore.make()
        _ = try store.appendNow(
            "a",
            [ev("order.created", id: "a0"), ev("order.paid", id: "a1"), ev("user.x", id: "a2")]
        ).get()
        _ = try store.appendNow("b", [ev("order.created", id: "b0")]).get()
        _ = try store.appendNow("c", [ev("order.created", id: "c0")]).get()
        _ = try store.setMetadataNow("a", StoreStreamMetadata(truncateBefore: 1)).get()
        _ = try store.deleteStreamNow("c", hard: true).get()
        let orders = try store.subscribe(stream: KVStore.allStreams, from: 0, group: "", typePrefix: "order.") {}
        #expect(orders.drain().events.map(\.id) == ["a1", "b0"])
        let users = try store.subscribe(stream: "a", from: 0, group: "", typePrefix: "user") {}
        #expect(users.drain().events.map(\.id) == ["a2"])
    }

    @Test("Only durable events are delivered; onReady fires when they become durable")
    func durableOnly() throws {
        let log = FakeLog(hold: true)
        let store = KVStore.make(log: log)
        let ready = ReadySignal()
        let subscription = try store.subscribe(stream: KVStore.allStreams, from: 0, group: "", typePrefix: "") {
            ready.signal()
        }
        #expect(subscription.poll(maxEvents: 10, maxBytes: 0).caughtUp)
        store.append(stream: "s", expected: .any, events: [ev("t", id: "1")]) { _ in }
        #expect(subscription.poll(maxEvents: 10, maxBytes: 0).events.isEmpty)
        #expect(ready.calls == 0)
        log.release()
        #expect(ready.calls == 1)
        #expect(subscription.poll(maxEvents: 10, maxBytes: 0).events.map(\.id) == ["1"])
    }

    @Test("A hard delete ends the stream's subscriptions with failedPrecondition; closing ends all with unavailable")
    func endings() throws {
        let store = KVStore.make()
        _ = try store.appendNow("s", [ev("t")]).get()
        let ready = ReadySignal()
        let subscription = try store.subscribe(stream: "s", from: 0, group: "", typePrefix: "") { ready.signal() }
        let all = try store.subscribe(stream: KVStore.allStreams, from: 0, group: "", typePrefix: "") { ready.signal() }
        #expect(subscription.drain().events.count == 1)
        #expect(all.drain().events.count == 1)
        _ = try store.deleteStreamNow("s", hard: true).get()
        #expect(ready.calls == 1)
        for _ in 0..<2 {
            let batch = subscription.poll(maxEvents: 10, maxBytes: 0)
            #expect(batch.ended?.code == .failedPrecondition)
            #expect(batch.ended?.message.contains("stream \"s\" is hard-deleted") == true)
        }
        #expect(store.metrics.subscriptions == 1)
        do {
            _ = try store.subscribe(stream: "s", from: 0, group: "", typePrefix: "") {}
            Issue.record("subscribed to a hard-deleted stream")
        } catch {
            #expect(error.code == .failedPrecondition)
        }
        store.close()
        #expect(ready.calls == 2)
        #expect(all.poll(maxEvents: 10, maxBytes: 0).ended?.code == .unavailable)
        #expect(store.metrics.subscriptions == 0)
        #expect(throws: StoreError.self) { try store.subscribe(stream: "x", from: 0, group: "", typePrefix: "") {} }
    }

    @Test("maxSubscriptions bounds live subscriptions; bad arguments are invalidArgument")
    func limits() throws {
        var limits = StoreLimits()
        limits.maxSubscriptions = 2
        limits.maxEventTypeBytes = 4
        let store = KVStore.make(limits: limits)
        let first = try store.subscribe(stream: "a", from: 0, group: "", typePrefix: "") {}
        _ = try store.subscribe(stream: KVStore.allStreams, from: 0, group: "", typePrefix: "") {}
        do {
            _ = try store.subscribe(stream: "c", from: 0, group: "", typePrefix: "") {}
            Issue.record("over the limit")
        } catch {
            #expect(error.code == .resourceExhausted)
            #expect(error.message == "2 subscriptions open, at the limit maxSubscriptions = 2")
        }
        first.cancel()
        first.cancel()
        _ = try store.subscribe(stream: "c", from: 0, group: "", typePrefix: "") {}
        let cases: [(String, Int64, String, String, String)] = [
            ("$x", 0, "", "", "reserved"),
            ("s", -2, "", "", "below -1"),
            ("s", 0, "g\n", "", "group name \"g\\n\" contains a control character"),
            ("s", 0, "", "12345", "type prefix of 5 bytes exceeds maxEventTypeBytes 4"),
        ]
        for (stream, from, group, prefix, needle) in cases {
            do {
                _ = try store.subscribe(stream: stream, from: from, group: group, typePrefix: prefix) {}
                Issue.record("\(stream): no error")
            } catch {
                #expect(error.code == .invalidArgument)
                #expect(error.message.contains(needle), "\(error.message)")
            }
        }
    }

    @Test("A poll that skips many filtered events returns before the head and asks to be polled again")
    func scanBudget() throws {
        let store = KVStore.make(log: nil)
        let noise = (0..<1000).map { _ in ev("noise") }
        for _ in 0..<((KVStore.scanBudget + 1) / 1000 + 1) {
            _ = try store.appendNow("n", noise).get()
        }
        _ = try store.appendNow("m", [ev("match", id: "m")]).get()
        let ready = ReadySignal()
        let subscription = try store.subscribe(stream: KVStore.allStreams, from: 0, group: "", typePrefix: "ma") {
            ready.signal()
        }
        let first = subscription.poll(maxEvents: 1, maxBytes: 0)
        #expect(first.events.isEmpty && !first.caughtUp)
        #expect(ready.calls == 1)
        let second = subscription.poll(maxEvents: 1, maxBytes: 0)
        #expect(second.events.map(\.id) == ["m"] && second.caughtUp)
    }

    @Test("A slow subscriber costs O(1): the store buffers nothing for it and it still gets every event later")
    func slowSubscriber() throws {
        let store = KVStore.make(log: nil)
        let slow = try store.subscribe(stream: KVStore.allStreams, from: 0, group: "", typePrefix: "") {}
        let fast = try store.subscribe(stream: KVStore.allStreams, from: 0, group: "", typePrefix: "") {}
        _ = fast.poll(maxEvents: 1, maxBytes: 0)
        var fastSeen = 0
        for round in 0..<200 {
            _ = try store.appendNow("s\(round % 7)", (0..<10).map { ev("t", id: "r\(round)-\($0)") }).get()
            fastSeen += fast.drain(maxEvents: 64).events.count
        }
        #expect(fastSeen == 2000)
        // Every event is stored once, in the event log, whatever the subscribers do.
        #expect(store.metrics.events == 2000)
        #expect(store.eventLog.count == 2000)
        // The slow subscription's state is its cursor and flags: no stored property holds events.
        #expect(slow.cursor == 0)
        for child in Mirror(reflecting: slow).children {
            #expect(!(child.value is [StoreRecordedEvent]), "\(child.label ?? "?") buffers events")
            if let collection = child.value as? any Collection {
                #expect(
                    collection.isEmpty || child.label == "streamName" || child.label == "typePrefix",
                    "\(child.label ?? "?")"
                )
            }
        }
        let late = slow.drain(maxEvents: 500).events
        #expect(late.count == 2000)
        #expect(zip(late, late.dropFirst()).allSatisfy { $0.position < $1.position })
    }

    @Test("Catch-up to live while threads append, with a log completing on its own thread: every event once, in order")
    func concurrentCatchUp() throws {
        let log = QueueLog()
        let store = KVStore(configuration: StoreConfiguration(), log: log)
        let writers = 4
        let appendsPerWriter = 150
        // Some history before the subscription starts.
        for i in 0..<50 {
            _ = try store.appendNow("w\(i % writers)", [ev("t", id: "pre-\(i)")]).get()
        }
        let expected = 50 + writers * appendsPerWriter * 2
        let allReady = ReadySignal()
        let oneReady = ReadySignal()
        let all = try store.subscribe(stream: KVStore.allStreams, from: 0, group: "", typePrefix: "") {
            allReady.signal()
        }
        let one = try store.subscribe(stream: "w1", from: 0, group: "", typePrefix: "") { oneReady.signal() }
        let received = Box<[StoreRecordedEvent]>()
        let receivedOne = Box<[StoreRecordedEvent]>()
        let group = DispatchGroup()
        func consume(
            _ subscription: StoreSubscription,
            _ ready: ReadySignal,
            _ box: Box<[StoreRecordedEvent]>,
            until count: @escaping @Sendable ([StoreRecordedEvent]) -> Bool
        ) {
            DispatchQueue.global().async(group: group) {
                var events: [StoreRecordedEvent] = []
                var caughtUp = 0
                var waits = 0
                while !count(events) && waits < 10_000 {
                    let seen = ready.calls
                    let batch = subscription.poll(maxEvents: 7, maxBytes: 0)
                    events.append(contentsOf: batch.events)
                    caughtUp += batch.caughtUp ? 1 : 0
                    if batch.events.isEmpty {
                        waits += 1
                        ready.wait(after: seen, seconds: 5)
                    }
                }
                precondition(caughtUp <= 1)
                box.value = events
            }
        }
        consume(all, allReady, received) { $0.count >= expected }
        consume(one, oneReady, receivedOne) { $0.count >= 50 / writers + appendsPerWriter * 2 }
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            for i in 0..<appendsPerWriter {
                let result = store.appendNow(
                    "w\(writer)",
                    [ev("t", id: "w\(writer)-\(i)-a"), ev("t", id: "w\(writer)-\(i)-b")]
                )
                precondition((try? result.get()) != nil)
                if i % 10 == 0 {
                    store.putNow("kv/\(writer)", "\(i)")
                }
            }
        }
        #expect(group.wait(timeout: .now() + 60) == .success)
        let events = try #require(received.value)
        #expect(events.count == expected)
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.position < $1.position })
        #expect(Set(events.map(\.id)).count == expected)
        #expect(events.map(\.id) == (try store.readAll(KVStore.allStreams, page: 1000)).map(\.id))
        let oneEvents = try #require(receivedOne.value)
        #expect(oneEvents.map(\.revision) == Array(0..<Int64(oneEvents.count)))
        #expect(oneEvents.allSatisfy { $0.stream == "w1" })
    }
}
