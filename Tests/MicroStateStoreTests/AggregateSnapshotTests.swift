import Foundation
import Testing

@testable import MicroStateStore

@Suite("Aggregate snapshots")
struct AggregateSnapshotTests {
    @Test("The latest save wins; load returns nil before any save")
    func saveAndLoad() throws {
        let store = KVStore.make()
        _ = try store.appendNow("s", (0..<4).map { ev("t", id: "e\($0)") }).get()
        #expect(try store.loadAggregateSnapshot(stream: "s") == nil)
        #expect(try store.loadAggregateSnapshot(stream: "never") == nil)
        #expect(try store.saveSnapshotNow("s", 1, "one").get() == 5)
        _ = try store.saveSnapshotNow("s", 3, "three").get()
        #expect(try store.loadAggregateSnapshot(stream: "s") == StoreAggregateSnapshot(revision: 3, state: b("three")))
        // Latest wins, even an older revision.
        _ = try store.saveSnapshotNow("s", 2, "two").get()
        #expect(try store.loadAggregateSnapshot(stream: "s")?.revision == 2)
    }

    @Test("The revision must be one the stream has and does not hide; the state is bounded")
    func validation() throws {
        var limits = StoreLimits()
        limits.maxAggregateSnapshotBytes = 4
        let store = KVStore.make(limits: limits)
        _ = try store.appendNow("s", (0..<4).map { ev("t", id: "e\($0)") }).get()
        _ = try store.setMetadataNow("s", StoreStreamMetadata(truncateBefore: 2)).get()
        let cases: [(String, Int64, String, StoreError.Code, String)] = [
            (
                "s", 4, "x", .failedPrecondition,
                "snapshot of stream \"s\" at revision 4: the stream's last revision is 3"
            ),
            ("s", 1, "x", .failedPrecondition, "revision 1: that revision is hidden"),
            ("none", 0, "x", .failedPrecondition, "the stream has no events"),
            (
                "s", 3, "12345", .invalidArgument,
                "aggregate snapshot state of 5 bytes exceeds maxAggregateSnapshotBytes 4"
            ),
            ("s", -1, "x", .invalidArgument, "at revision -1"),
            ("$s", 0, "x", .invalidArgument, "reserved"),
        ]
        for (stream, revision, state, code, needle) in cases {
            let error = try #require(store.saveSnapshotNow(stream, revision, state).error, "\(stream) \(revision)")
            #expect(error.code == code, "\(stream) \(revision)")
            #expect(error.message.contains(needle), "\(stream) \(revision): \(error.message)")
        }
        _ = try store.saveSnapshotNow("s", 2, "1234").get()
    }

    @Test("A load sees only a durable save")
    func durable() throws {
        let log = FakeLog(hold: true)
        let store = KVStore.make(log: log)
        store.append(stream: "s", expected: .any, events: [ev("t")]) { _ in }
        log.release()
        let saved = Box<Result<Int64, StoreError>>()
        store.saveAggregateSnapshot(stream: "s", revision: 0, state: b("x")) { saved.value = $0 }
        #expect(try store.loadAggregateSnapshot(stream: "s") == nil)
        #expect(saved.value == nil)
        log.release()
        #expect(try saved.wait().get() == 2)
        #expect(try store.loadAggregateSnapshot(stream: "s")?.state == b("x"))
    }
}
