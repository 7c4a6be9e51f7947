import Foundation
import Testing

@testable import MicroStateStore

@Suite("Consumer groups")
struct ConsumerGroupTests {
    @Test("Ack moves a durable checkpoint forward only; at or below it, or past the stream, is failedPrecondition")
    func ack() throws {
        let log = FakeLog(hold: true)
        let store = KVStore.make(log: log)
        store.append(stream: "s", expected: .any, events: (0..<5).map { ev("t", id: "e\($0)") }) { _ in }
        log.release()
        #expect(store.groupCheckpoint(group: "g", stream: "s") == nil)
        let acked = Box<Result<Int64, StoreError>>()
        store.ack(group: "g", stream: "s", revision: 1) { acked.value = $0 }
        #expect(store.groupCheckpoint(group: "g", stream: "s") == nil)
        // Validation sees the pending ack.
        let again = Box<Result<Int64, StoreError>>()
        store.ack(group: "g", stream: "s", revision: 1) { again.value = $0 }
        #expect(again.value?.error?.code == .failedPrecondition)
        log.release()
        #expect(try acked.wait().get() == 6)
        #expect(store.groupCheckpoint(group: "g", stream: "s") == 1)
        log.release()
        let cases: [(String, String, Int64, StoreError.Code, String)] = [
            (
                "g", "s", 0, .failedPrecondition,
                "ack of revision 0 of stream \"s\" for group \"g\": already acknowledged; the group's checkpoint is at revision 1"
            ),
            (
                "g", "s", 5, .failedPrecondition,
                "ack of revision 5 of stream \"s\" for group \"g\": the stream's last revision is 4"
            ),
            ("g", "none", 0, .failedPrecondition, "the stream has no events"),
            ("", "s", 2, .invalidArgument, "group name is empty"),
            (
                String(repeating: "g", count: 257), "s", 2, .invalidArgument,
                "group name of 257 bytes exceeds maxGroupNameBytes 256"
            ),
            ("g", "$all", 2, .invalidArgument, "reserved"),
            ("g", "s", -1, .invalidArgument, "revisions start at 0"),
        ]
        for (group, stream, revision, code, needle) in cases {
            let box = Box<Result<Int64, StoreError>>()
            store.ack(group: group, stream: stream, revision: revision) { box.value = $0 }
            let error = try #require(box.wait().error)
            #expect(error.code == code, "\(needle)")
            #expect(error.message.contains(needle), "\(error.message)")
        }
        let later = Box<Result<Int64, StoreError>>()
        store.ack(group: "g", stream: "s", revision: 4) { later.value = $0 }
        log.release()
        #expect(try later.wait().get() == 7)
        #expect(store.groupCheckpoint(group: "g", stream: "s") == 4)
        #expect(store.groupCheckpoint(group: "other", stream: "s") == nil)
        #expect(store.metrics.groups == 1)
    }

    @Test("A Txn ack is applied in the Txn's one record and revision")
    func txnAck() throws {
        let log = FakeLog()
        let store = KVStore.make(log: log)
        _ = try store.appendNow("s", (0..<3).map { ev("t", id: "e\($0)") }).get()
        let records = log.records.count
        let result = try store.txnNow(
            StoreTxnRequest(success: [
                .put(key: b("model/1"), value: b("applied 0"), ttlMilliseconds: 0),
                .ack(group: "g", stream: "s", revision: 0),
                .get(key: b("model/1")),
            ])
        ).get()
        #expect(result.succeeded && result.revision == 4)
        #expect(result.responses == [.put(StorePutResult(revision: 4)), .ack, .get(nil)])
        #expect(log.records.count == records + 1)
        #expect(store.groupCheckpoint(group: "g", stream: "s") == 0)
        #expect(try store.get(key: b("model/1"))?.modRevision == 4)
        // An ack alone is a write too.
        let alone = try store.txnNow(StoreTxnRequest(success: [.ack(group: "g", stream: "s", revision: 2)])).get()
        #expect(alone.revision == 5 && alone.responses == [.ack])
        #expect(store.groupCheckpoint(group: "g", stream: "s") == 2)
    }

    @Test("A refused Txn ack fails the whole Txn: no KV write, no revision, no record")
    func txnAckRefused() throws {
        let log = FakeLog()
        let store = KVStore.make(log: log)
        _ = try store.appendNow("s", (0..<3).map { ev("t", id: "e\($0)") }).get()
        store.putNow("model/1", "before")
        store.putNow("model/2", "kept")
        _ = try store.ackNow("g", "s", 1).get()
        let revision = store.currentRevision
        let records = log.records.count
        let refused: [(StoreTxnOp, StoreError.Code, String)] = [
            (.ack(group: "g", stream: "s", revision: 1), .failedPrecondition, "already acknowledged"),
            (.ack(group: "g", stream: "s", revision: 0), .failedPrecondition, "already acknowledged"),
            (.ack(group: "g", stream: "s", revision: 3), .failedPrecondition, "last revision is 2"),
            (.ack(group: "g", stream: "nope", revision: 0), .failedPrecondition, "has no events"),
            (.ack(group: "", stream: "s", revision: 2), .invalidArgument, "group name is empty"),
        ]
        for (op, code, needle) in refused {
            let error = try #require(
                store.txnNow(
                    StoreTxnRequest(
                        compares: [StoreCompare(key: b("model/1"), result: .equal, target: .value(b("before")))],
                        success: [
                            .put(key: b("model/1"), value: b("after"), ttlMilliseconds: 0), op,
                            .delete(key: b("model/2")),
                        ]
                    )
                ).error
            )
            #expect(error.code == code, "\(op)")
            #expect(error.message.contains(needle), "\(op): \(error.message)")
        }
        let twice = try #require(
            store.txnNow(
                StoreTxnRequest(success: [
                    .ack(group: "g", stream: "s", revision: 2), .ack(group: "g", stream: "s", revision: 2),
                ])
            ).error
        )
        #expect(twice.code == .invalidArgument && twice.message.contains("more than once"))
        #expect(try store.string("model/1") == "before")
        #expect(try store.string("model/2") == "kept")
        #expect(store.currentRevision == revision && log.records.count == records)
        #expect(store.groupCheckpoint(group: "g", stream: "s") == 1)
        // An ack in the branch that does not run is not checked.
        let failureBranch = try store.txnNow(
            StoreTxnRequest(
                compares: [StoreCompare(key: b("model/1"), result: .equal, target: .value(b("nope")))],
                success: [.ack(group: "g", stream: "s", revision: 0)],
                failure: [.get(key: b("model/1"))]
            )
        ).get()
        #expect(!failureBranch.succeeded)
    }

    @Test("A group subscription starts each stream after its checkpoint and streams never acked at from")
    func startsAfterCheckpoint() throws {
        let store = KVStore.make()
        _ = try store.appendNow("a", (0..<4).map { ev("t", id: "a\($0)") }).get()  // 1...4
        _ = try store.appendNow("b", (0..<2).map { ev("t", id: "b\($0)") }).get()  // 5, 6
        _ = try store.ackNow("g", "a", 1).get()  // 7
        let fromStart = try store.subscribe(stream: KVStore.allStreams, from: 0, group: "g", typePrefix: "") {}
        #expect(fromStart.drain().events.map(\.id) == ["a2", "a3", "b0", "b1"])
        fromStart.cancel()
        // Live only: b's old events are skipped, a still resumes after its checkpoint.
        let live = try store.subscribe(stream: KVStore.allStreams, from: -1, group: "g", typePrefix: "") {}
        #expect(live.drain().events.map(\.id) == ["a2", "a3"])
        _ = try store.appendNow("b", [ev("t", id: "b2")]).get()
        #expect(live.drain().events.map(\.id) == ["b2"])
        live.cancel()
        // One stream, with a group: from the checkpoint.
        let one = try store.subscribe(stream: "a", from: 0, group: "h", typePrefix: "") {}
        #expect(one.drain().events.map(\.id) == ["a0", "a1", "a2", "a3"])
        one.cancel()
        _ = try store.ackNow("h", "a", 2).get()
        let resumed = try store.subscribe(stream: "a", from: 0, group: "h", typePrefix: "") {}
        #expect(resumed.drain().events.map(\.id) == ["a3"])
    }

    @Test("Rendezvous ownership: each stream has exactly one owner, spread over the members")
    func ownership() throws {
        let store = KVStore.make()
        let members = try (0..<3).map { _ in
            try store.subscribe(stream: KVStore.allStreams, from: 0, group: "g", typePrefix: "") {}
        }
        let group = try #require(store.groups["g"])
        var owned = [Int: Int]()
        for stream in 0..<300 {
            let owner = try #require(group.owner(of: "stream-\(stream)"))
            owned[owner.id, default: 0] += 1
        }
        #expect(owned.count == 3)
        #expect(owned.values.allSatisfy { $0 > 60 && $0 < 140 }, "\(owned)")
        // Stable: the weights do not depend on the process (no seeded hashing).
        #expect(Rendezvous.weight(stream: "orders-1", member: 1) == Rendezvous.weight(stream: "orders-1", member: 1))
        #expect(Rendezvous.weight(stream: "orders-1", member: 1) != Rendezvous.weight(stream: "orders-1", member: 2))
        // A member leaving moves only its own streams.
        let before = (0..<300).map { group.owner(of: "stream-\($0)")!.id }
        members[2].cancel()
        let after = (0..<300).map { group.owner(of: "stream-\($0)")!.id }
        for (old, new) in zip(before, after) where old != members[2].id {
            #expect(old == new)
        }
        do {
            _ = try store.subscribe(stream: "x", from: 0, group: "g", typePrefix: "") {}
            Issue.record("a member subscribing differently joined")
        } catch {
            #expect(error.code == .failedPrecondition && error.message.contains("every member must subscribe alike"))
        }
    }

    @Test("Two members split the streams; when one leaves, the other receives its un-acked events")
    func rebalance() throws {
        let store = KVStore.make()
        let streams = (0..<8).map { "order-\($0)" }
        for stream in streams {
            _ = try store.appendNow(stream, (0..<3).map { ev("t", id: "\(stream)/\($0)") }).get()
        }
        let readyA = ReadySignal()
        let readyB = ReadySignal()
        let a = try store.subscribe(stream: KVStore.allStreams, from: 0, group: "g", typePrefix: "") { readyA.signal() }
        let b = try store.subscribe(stream: KVStore.allStreams, from: 0, group: "g", typePrefix: "") { readyB.signal() }
        #expect(readyA.calls == 1)  // B's join
        let gotA = a.drain().events
        let gotB = b.drain().events
        let streamsA = Set(gotA.map(\.stream))
        let streamsB = Set(gotB.map(\.stream))
        #expect(!streamsA.isEmpty && !streamsB.isEmpty)
        #expect(streamsA.isDisjoint(with: streamsB))
        #expect(streamsA.union(streamsB) == Set(streams))
        #expect(gotA.count + gotB.count == 24)
        // B processes revision 0 of each of its streams (ack), then goes away.
        for stream in streamsB {
            _ = try store.ackNow("g", stream, 0).get()
        }
        let seen = readyA.calls
        b.cancel()
        #expect(readyA.calls == seen + 1)
        let after = a.drain().events
        let fromB = after.filter { streamsB.contains($0.stream) }
        #expect(Set(fromB.map { "\($0.stream)/\($0.revision)" }) == Set(streamsB.flatMap { ["\($0)/1", "\($0)/2"] }))
        #expect(fromB.count == streamsB.count * 2)
        // A's own never-acked streams are delivered again (at-least-once around a rebalance), never B's acked ones.
        #expect(!after.contains { streamsB.contains($0.stream) && $0.revision == 0 })
        #expect(zip(after, after.dropFirst()).allSatisfy { $0.position < $1.position })
        // Live events of every stream now reach A.
        _ = try store.appendNow(streams[0], [ev("t", id: "late")]).get()
        #expect(a.drain().events.map(\.id) == ["late"])
        a.cancel()
        #expect(store.metrics.subscriptions == 0)
        #expect(store.metrics.groups == 1)  // the checkpoints stay
    }
}
