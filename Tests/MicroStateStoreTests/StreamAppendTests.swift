import Foundation
import Testing

@testable import MicroStateStore

@Suite("Stream append")
struct StreamAppendTests {
    @Test("An append of N events is one record taking N global revisions; stream revisions start at 0")
    func revisions() throws {
        let log = FakeLog()
        let store = KVStore.make(log: log)
        store.putNow("k", "1")  // revision 1
        let first = try store.appendNow("orders-1", [ev("Created"), ev("Paid"), ev("Shipped")]).get()
        #expect(first == StoreAppendResult(firstRevision: 0, lastRevision: 2, position: 4))
        store.putNow("k", "2")  // revision 5
        let second = try store.appendNow("orders-1", [ev("Closed"), ev("Archived")], expected: .exact(2)).get()
        #expect(second == StoreAppendResult(firstRevision: 3, lastRevision: 4, position: 7))
        let other = try store.appendNow("orders-2", [ev("Created")], expected: .noStream).get()
        #expect(other == StoreAppendResult(firstRevision: 0, lastRevision: 0, position: 8))
        #expect(log.records.count == 5)
        #expect(store.durableRevision == 8 && store.currentRevision == 8)
        let events = try store.readAll("orders-1")
        #expect(events.map(\.revision) == [0, 1, 2, 3, 4])
        #expect(events.map(\.position) == [2, 3, 4, 6, 7])
        #expect(events.map(\.type) == ["Created", "Paid", "Shipped", "Closed", "Archived"])
        #expect(events.allSatisfy { $0.stream == "orders-1" && $0.contentType == "text/plain" })
        // KV revisions skip the events' positions; reads at an event's position are KV reads like any other.
        #expect(try store.get(key: b("k"))?.modRevision == 5)
        #expect(try store.string("k", at: 3) == "1")
        let metrics = store.metrics
        #expect(metrics.streams == 2 && metrics.events == 6)
    }

    @Test("An event keeps its id, type, data, metadata, content type and the append's recorded time")
    func fields() throws {
        let clock = ManualClock(1_234)
        let store = KVStore.make(clock: clock)
        let event = StoreEventData(
            id: "e-1",
            type: "Created",
            data: [0, 1, 2, 255],
            metadata: ["trace": "abc", "user": "ü"],
            contentType: "application/octet-stream"
        )
        _ = try store.appendNow("s", [event]).get()
        let read = try #require(try store.readAll("s").first)
        #expect(
            read
                == StoreRecordedEvent(
                    stream: "s",
                    revision: 0,
                    position: 1,
                    id: "e-1",
                    type: "Created",
                    data: [0, 1, 2, 255],
                    metadata: ["trace": "abc", "user": "ü"],
                    contentType: "application/octet-stream",
                    recordedAtMilliseconds: 1_234
                )
        )
    }

    @Test("Expectations: a mismatch is aborted naming the stream, the expectation and the actual revision")
    func expectations() throws {
        let store = KVStore.make()
        let cases: [(StoreExpectedRevision, Int64, String)] = [
            (
                .streamExists, -1,
                "append to stream \"s\" expected the stream to exist but the stream has no events (revision -1)"
            ),
            (.exact(0), -1, "append to stream \"s\" expected revision 0 but the stream has no events (revision -1)"),
        ]
        for (expected, current, message) in cases {
            let error = try #require(store.appendNow("s", [ev("t")], expected: expected).error, "\(expected)")
            #expect(error.code == .aborted, "\(expected)")
            #expect(error.currentRevision == current, "\(expected)")
            #expect(error.message == message, "\(expected)")
        }
        _ = try store.appendNow("s", [ev("t")], expected: .noStream).get()
        _ = try store.appendNow("s", [ev("t")], expected: .exact(0)).get()
        _ = try store.appendNow("s", [ev("t")], expected: .streamExists).get()
        _ = try store.appendNow("s", [ev("t")], expected: .any).get()
        _ = try store.appendNow("s", [ev("t")], expected: .exact(-1 + 4)).get()
        let stale = try #require(store.appendNow("s", [ev("t")], expected: .exact(2)).error)
        #expect(stale.code == .aborted && stale.currentRevision == 4)
        #expect(stale.message == "append to stream \"s\" expected revision 2 but the stream is at revision 4")
        let noStream = try #require(store.appendNow("s", [ev("t")], expected: .noStream).error)
        #expect(noStream.message == "append to stream \"s\" expected no stream but the stream is at revision 4")
        #expect(try store.streamInfo(stream: "s").lastRevision == 4)
    }

    @Test("Every limit and malformed input is invalidArgument naming the limit")
    func limits() throws {
        var limits = StoreLimits()
        limits.maxEventsPerAppend = 3
        limits.maxAppendBytes = 100
        limits.maxEventBytes = 60
        limits.maxEventMetadataEntries = 2
        limits.maxEventTypeBytes = 8
        limits.maxEventIDBytes = 5
        let store = KVStore.make(limits: limits)
        let long = String(repeating: "x", count: 300)
        let cases: [(String, String, [StoreEventData], StoreExpectedRevision, String)] = [
            ("long name", long, [ev("t")], .any, "stream name of 300 bytes exceeds maxStreamNameBytes 256"),
            ("empty name", "", [ev("t")], .any, "stream name is empty"),
            ("reserved", "$all", [ev("t")], .any, "starts with \"$\", which is reserved"),
            ("reserved 2", "$ce-x", [ev("t")], .any, "starts with \"$\""),
            ("control", "a\u{7}b", [ev("t")], .any, "contains a control character"),
            ("no events", "s", [], .any, "has no events"),
            (
                "too many", "s", [ev("t"), ev("t"), ev("t"), ev("t")], .any,
                "append of 4 events exceeds maxEventsPerAppend 3"
            ),
            ("no type", "s", [ev("")], .any, "event 0 of the append to stream \"s\" has no type"),
            (
                "long type", "s", [ev("t"), ev("123456789")], .any,
                "event 1: type of 9 bytes exceeds maxEventTypeBytes 8"
            ),
            ("long id", "s", [ev("t", id: "123456")], .any, "event 0: id of 6 bytes exceeds maxEventIDBytes 5"),
            (
                "metadata", "s", [ev("t", metadata: ["a": "", "b": "", "c": ""])], .any,
                "event 0: metadata of 3 entries exceeds maxEventMetadataEntries 2"
            ),
            (
                "big event", "s", [ev("t", data: String(repeating: "d", count: 50))], .any,
                "event 0 of 61 bytes exceeds maxEventBytes 60"
            ),
            (
                "big append", "s",
                [ev("t", data: String(repeating: "d", count: 40)), ev("t", data: String(repeating: "d", count: 40))],
                .any, "append of 102 bytes exceeds maxAppendBytes 100"
            ),
            ("duplicate id", "s", [ev("t", id: "a"), ev("t", id: "a")], .any, "event id \"a\" appears more than once"),
            ("expected", "s", [ev("t")], .exact(-2), "expected revision -2 is below -1"),
        ]
        for (name, stream, events, expected, needle) in cases {
            let error = try #require(store.appendNow(stream, events, expected: expected).error, "\(name)")
            #expect(error.code == .invalidArgument, "\(name)")
            #expect(error.message.contains(needle), "\(name): \(error.message)")
        }
        #expect(store.currentRevision == 0)
        // At the limits exactly is fine; empty ids may repeat.
        _ = try store.appendNow("s", [ev("12345678", id: "12345"), ev("t"), ev("t")]).get()
        _ = try store.appendNow(String(repeating: "é", count: 128), [ev("t")]).get()
    }

    @Test("An identical retry returns the original result without writing, waiting for it to be durable")
    func idempotentRetry() throws {
        let log = FakeLog(hold: true)
        let store = KVStore.make(log: log)
        let events = [ev("a", id: "id-1"), ev("b", id: "id-2")]
        let first = Box<Result<StoreAppendResult, StoreError>>()
        let retry = Box<Result<StoreAppendResult, StoreError>>()
        store.append(stream: "s", expected: .noStream, events: events) { first.value = $0 }
        // The retry's expectation no longer holds: ids are checked first.
        store.append(stream: "s", expected: .noStream, events: events) { retry.value = $0 }
        #expect(first.value == nil && retry.value == nil)
        #expect(log.heldCount == 1)
        log.release()
        let original = try first.wait().get()
        #expect(try retry.wait().get() == original)
        #expect(original == StoreAppendResult(firstRevision: 0, lastRevision: 1, position: 2))
        store.put(key: b("k"), value: b("v")) { _ in }
        log.release()
        // Later, after other writes, and with a different expectation: still the original result.
        let late = Box<Result<StoreAppendResult, StoreError>>()
        store.append(stream: "s", expected: .exact(17), events: events) { late.value = $0 }
        #expect(try late.wait().get() == original)
        #expect(log.records.count == 2)
        #expect(try store.readAll("s").count == 2)
    }

    @Test("Ids written only partly, to another stream, or in another order are alreadyExists, writing nothing")
    func partialOverlap() throws {
        let store = KVStore.make()
        _ = try store.appendNow("s", [ev("a", id: "x1"), ev("a", id: "x2"), ev("a", id: "x3")]).get()
        let cases: [(String, String, [StoreEventData], String)] = [
            (
                "partial", "s", [ev("a", id: "x3"), ev("a", id: "new")],
                "event id \"x3\" (event 0 of the append to stream \"s\") was already written to stream \"s\" at revision 2 (position 3)"
            ),
            (
                "other stream", "t", [ev("a", id: "x1"), ev("a", id: "x2"), ev("a", id: "x3")],
                "event id \"x1\" (event 0 of the append to stream \"t\") was already written to stream \"s\" at revision 0 (position 1)"
            ),
            ("order", "s", [ev("a", id: "x2"), ev("a", id: "x1")], "event id \"x2\""),
            ("gap", "s", [ev("a", id: "x1"), ev("a", id: "x3")], "event id \"x1\""),
            ("with an empty id", "s", [ev("a", id: "x1"), ev("a")], "event id \"x1\""),
        ]
        for (name, stream, events, needle) in cases {
            let error = try #require(store.appendNow(stream, events).error, "\(name)")
            #expect(error.code == .alreadyExists, "\(name)")
            #expect(error.message.contains(needle), "\(name): \(error.message)")
        }
        #expect(store.currentRevision == 3)
        // A consecutive subsequence in order is a retry of part of the write: the original revisions.
        #expect(
            try store.appendNow("s", [ev("a", id: "x2"), ev("a", id: "x3")]).get()
                == StoreAppendResult(firstRevision: 1, lastRevision: 2, position: 3)
        )
    }

    @Test("Empty ids are never remembered: the same append again writes again")
    func emptyIDs() throws {
        let store = KVStore.make()
        let first = try store.appendNow("s", [ev("a"), ev("b")]).get()
        let second = try store.appendNow("s", [ev("a"), ev("b")]).get()
        #expect(first.lastRevision == 1 && second.lastRevision == 3)
        #expect(store.metrics.eventIDs == 0)
    }

    @Test("The id window forgets the oldest ids past maxEventIDs and ids older than the window")
    func idWindow() throws {
        var limits = StoreLimits()
        limits.maxEventIDs = 3
        limits.eventIDWindowMilliseconds = 1000
        let clock = ManualClock()
        let store = KVStore.make(clock: clock, limits: limits)
        for i in 0..<5 {
            _ = try store.appendNow("s", [ev("a", id: "id-\(i)")]).get()
        }
        #expect(store.metrics.eventIDs == 3)
        // id-0 was forgotten: appending it again writes a new event; id-4 is remembered.
        #expect(try store.appendNow("s", [ev("a", id: "id-0")]).get().lastRevision == 5)
        #expect(try store.appendNow("s", [ev("a", id: "id-4")]).get().lastRevision == 4)
        clock.advance(1000)
        #expect(try store.appendNow("s", [ev("a", id: "id-4")]).get().lastRevision == 6)
    }

    @Test("Appenders racing on one expected revision from many threads: exactly one wins each revision")
    func racingAppenders() throws {
        let log = QueueLog()
        let store = KVStore(configuration: StoreConfiguration(), log: log)
        let target: Int64 = 200
        let wins = Box<[Int64: Int]>()
        wins.value = [:]
        DispatchQueue.concurrentPerform(iterations: 6) { worker in
            var expected: Int64 = -1
            var attempts = 0
            while expected < target - 1 && attempts < 10_000 {
                attempts += 1
                let result = store.appendNow(
                    "race",
                    [ev("t", id: "w\(worker)-\(attempts)")],
                    expected: .exact(expected)
                )
                switch result {
                case .success(let appended):
                    wins.update { $0![appended.lastRevision, default: 0] += 1 }
                    expected = appended.lastRevision
                case .failure(let error):
                    precondition(error.code == .aborted, "\(error)")
                    expected = error.currentRevision!
                }
            }
        }
        let won = wins.value!
        #expect(won.count == Int(target))
        #expect(won.values.allSatisfy { $0 == 1 })
        #expect(Set(won.keys) == Set(0..<target))
        let events = try store.readAll("race", page: 50)
        #expect(events.map(\.revision) == Array(0..<target))
        #expect(log.records.count == Int(target))
    }

    @Test("Identical retries from many threads at once are written once and all get the same result")
    func concurrentRetries() throws {
        let log = QueueLog()
        let store = KVStore(configuration: StoreConfiguration(), log: log)
        let batches = 40
        let results = Box<[Int: [StoreAppendResult]]>()
        results.value = [:]
        for batch in 0..<batches {
            let events = evs(3, prefix: "batch-\(batch)")
            DispatchQueue.concurrentPerform(iterations: 6) { _ in
                let result = store.appendNow("s\(batch % 4)", events)
                results.update { $0![batch, default: []].append(try! result.get()) }
            }
        }
        for batch in 0..<batches {
            let all = results.value![batch]!
            #expect(all.count == 6)
            #expect(Set(all.map(\.position)).count == 1, "batch \(batch)")
            #expect(all.allSatisfy { $0 == all[0] })
        }
        #expect(log.records.count == batches)
        #expect(store.metrics.events == batches * 3)
        let all = try store.readAll(KVStore.allStreams, page: 1000)
        #expect(all.count == batches * 3)
        #expect(Set(all.map(\.id)).count == batches * 3)
    }

    @Test("Appends are unavailable on a closed store and after a log failure")
    func refused() throws {
        let store = KVStore.make()
        store.close()
        #expect(store.appendNow("s", [ev("t")]).error?.code == .unavailable)
        let log = FakeLog(hold: true)
        let failing = KVStore.make(log: log)
        let pending = Box<Result<StoreAppendResult, StoreError>>()
        failing.append(stream: "s", expected: .any, events: [ev("t")]) { pending.value = $0 }
        log.failHeld()
        #expect(pending.wait().error?.code == .unavailable)
        #expect(failing.appendNow("s", [ev("t")]).error?.code == .unavailable)
    }
}
