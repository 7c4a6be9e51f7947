import Foundation
import Testing

@testable import MicroStateStore

@Suite("Stream read")
struct StreamReadTests {
    @Test("A stream reads forwards and backwards in pages, next telling where to continue")
    func pages() throws {
        let store = KVStore.make()
        _ = try store.appendNow("s", (0..<10).map { ev("t", id: "e\($0)") }).get()
        let first = try store.read(stream: "s", from: 0, backwards: false, maxCount: 4, maxBytes: 0)
        #expect(first.events.map(\.revision) == [0, 1, 2, 3] && first.next == 4)
        let second = try store.read(stream: "s", from: 4, backwards: false, maxCount: 4, maxBytes: 0)
        #expect(second.events.map(\.revision) == [4, 5, 6, 7] && second.next == 8)
        let last = try store.read(stream: "s", from: 8, backwards: false, maxCount: 4, maxBytes: 0)
        #expect(last.events.map(\.revision) == [8, 9] && last.next == nil)
        let exact = try store.read(stream: "s", from: 6, backwards: false, maxCount: 4, maxBytes: 0)
        #expect(exact.events.map(\.revision) == [6, 7, 8, 9] && exact.next == nil)
        let back = try store.read(stream: "s", from: -1, backwards: true, maxCount: 4, maxBytes: 0)
        #expect(back.events.map(\.revision) == [9, 8, 7, 6] && back.next == 5)
        let backEnd = try store.read(stream: "s", from: 1, backwards: true, maxCount: 4, maxBytes: 0)
        #expect(backEnd.events.map(\.revision) == [1, 0] && backEnd.next == nil)
        #expect(try store.readAllBackwards("s").map(\.revision) == Array((0..<10).reversed()))
        // Past the end: forwards nothing (not an error), backwards from the end.
        let future = try store.read(stream: "s", from: 10, backwards: false, maxCount: 4, maxBytes: 0)
        #expect(future.events.isEmpty && future.next == nil)
        let beyond = try store.read(stream: "s", from: 50, backwards: true, maxCount: 2, maxBytes: 0)
        #expect(beyond.events.map(\.revision) == [9, 8])
    }

    @Test("$all reads every stream in position order, skipping KV revisions, forwards and backwards")
    func all() throws {
        let store = KVStore.make()
        _ = try store.appendNow("a", [ev("t", id: "a0"), ev("t", id: "a1")]).get()  // 1, 2
        store.putNow("k", "v")  // 3
        _ = try store.appendNow("b", [ev("t", id: "b0")]).get()  // 4
        _ = try store.txnNow(StoreTxnRequest(success: [.put(key: b("x"), value: b("y"), ttlMilliseconds: 0)]))  // 5
        _ = try store.appendNow("a", [ev("t", id: "a2")]).get()  // 6
        let all = try store.readAll(KVStore.allStreams, page: 2)
        #expect(all.map(\.id) == ["a0", "a1", "b0", "a2"])
        #expect(all.map(\.position) == [1, 2, 4, 6])
        #expect(all.map(\.stream) == ["a", "a", "b", "a"])
        #expect(all.map(\.revision) == [0, 1, 0, 2])
        // From a KV revision: the next event.
        let fromGap = try store.read(stream: KVStore.allStreams, from: 3, backwards: false, maxCount: 1, maxBytes: 0)
        #expect(fromGap.events.map(\.id) == ["b0"] && fromGap.next == 6)
        #expect(try store.readAllBackwards(KVStore.allStreams, page: 3).map(\.position) == [6, 4, 2, 1])
        let fromFive = try store.read(stream: KVStore.allStreams, from: 5, backwards: true, maxCount: 2, maxBytes: 0)
        #expect(fromFive.events.map(\.position) == [4, 2] && fromFive.next == 1)
        let future = try store.read(stream: KVStore.allStreams, from: 7, backwards: false, maxCount: 10, maxBytes: 0)
        #expect(future.events.isEmpty && future.next == nil)
    }

    @Test("maxBytes cuts a batch but always returns one event; maxCount 0 or too big means maxReadCount")
    func bounds() throws {
        var limits = StoreLimits()
        limits.maxReadCount = 5
        let store = KVStore.make(limits: limits)
        let big = String(repeating: "x", count: 100)
        _ = try store.appendNow("s", (0..<8).map { ev("t", data: big + "\($0)") }).get()
        // Each event counts 100-101 data bytes + 1 type byte + 10 content-type bytes.
        let one = try store.read(stream: "s", from: 0, backwards: false, maxCount: 0, maxBytes: 10)
        #expect(one.events.count == 1 && one.next == 1)
        let two = try store.read(stream: "s", from: 0, backwards: false, maxCount: 0, maxBytes: 230)
        #expect(two.events.count == 2 && two.next == 2)
        let capped = try store.read(stream: "s", from: 0, backwards: false, maxCount: 0, maxBytes: 0)
        #expect(capped.events.count == 5 && capped.next == 5)
        let over = try store.read(stream: "s", from: 0, backwards: false, maxCount: 1000, maxBytes: 0)
        #expect(over.events.count == 5)
        let allBytes = try store.read(stream: KVStore.allStreams, from: -1, backwards: true, maxCount: 0, maxBytes: 1)
        #expect(allBytes.events.count == 1 && allBytes.next == 7)
    }

    @Test("Reads see only durable events")
    func durableOnly() throws {
        let log = FakeLog(hold: true)
        let store = KVStore.make(log: log)
        store.append(stream: "s", expected: .any, events: [ev("t", id: "1")]) { _ in }
        #expect(throws: StoreError.self) {
            try store.read(stream: "s", from: 0, backwards: false, maxCount: 0, maxBytes: 0)
        }
        #expect(
            try store.read(stream: KVStore.allStreams, from: 0, backwards: false, maxCount: 0, maxBytes: 0).events
                .isEmpty
        )
        #expect(
            try store.read(stream: KVStore.allStreams, from: -1, backwards: true, maxCount: 0, maxBytes: 0).events
                .isEmpty
        )
        log.release()
        store.append(stream: "s", expected: .any, events: [ev("t", id: "2"), ev("t", id: "3")]) { _ in }
        #expect(try store.readAll("s").map(\.id) == ["1"])
        #expect(try store.readAllBackwards(KVStore.allStreams).map(\.id) == ["1"])
        #expect(try store.streamInfo(stream: "s").lastRevision == 0)
        // Reading the pending positions directly: an empty batch, not an error.
        let pending = try store.read(stream: KVStore.allStreams, from: 2, backwards: false, maxCount: 0, maxBytes: 0)
        #expect(pending.events.isEmpty && pending.next == nil)
        log.release()
        #expect(try store.readAll("s").map(\.id) == ["1", "2", "3"])
    }

    @Test("Unknown streams are notFound; bad names and positions are invalidArgument")
    func errors() throws {
        let store = KVStore.make()
        _ = try store.setMetadataNow("meta-only", StoreStreamMetadata(maxCount: 3)).get()
        let cases: [(String, Int64, Bool, StoreError.Code, String)] = [
            ("nope", 0, false, .notFound, "stream \"nope\" not found"),
            ("meta-only", 0, false, .notFound, "stream \"meta-only\" not found: it has no events"),
            ("$nope", 0, false, .invalidArgument, "reserved"),
            ("", 0, false, .invalidArgument, "stream name is empty"),
            ("s", -2, true, .invalidArgument, "below -1"),
            ("s", -1, false, .invalidArgument, "must read backwards"),
            (KVStore.allStreams, -1, false, .invalidArgument, "must read backwards"),
        ]
        for (stream, from, backwards, code, needle) in cases {
            do {
                _ = try store.read(stream: stream, from: from, backwards: backwards, maxCount: 0, maxBytes: 0)
                Issue.record("\(stream) \(from): no error")
            } catch {
                #expect(error.code == code, "\(stream) \(from)")
                #expect(error.message.contains(needle), "\(stream) \(from): \(error.message)")
            }
        }
        #expect(
            try store.read(stream: KVStore.allStreams, from: 0, backwards: false, maxCount: 0, maxBytes: 0).events
                .isEmpty
        )
    }
}
