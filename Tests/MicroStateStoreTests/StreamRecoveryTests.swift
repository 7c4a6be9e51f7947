import Foundation
import Testing

@testable import MicroStateStore

/// Everything a client can observe of the event-stream and KV state.
private struct Observed: Equatable {
    var all: [StoreRecordedEvent]
    var allBackwards: [StoreRecordedEvent]
    var streams: [String: [StoreRecordedEvent]]
    var readErrors: [String: String]
    var infos: [String: StoreStreamInfo]
    var snapshots: [String: StoreAggregateSnapshot?]
    var checkpoints: [String: Int64?]
    var kvs: [StoreKeyValue]
    var revision: Int64
    var counts: [Int]
}

private let streamNames = (0..<6).map { "stream-\($0)" }
private let groupNames = ["billing", "shipping"]

private func observe(_ store: KVStore) throws -> Observed {
    var streams: [String: [StoreRecordedEvent]] = [:]
    var readErrors: [String: String] = [:]
    var infos: [String: StoreStreamInfo] = [:]
    var snapshots: [String: StoreAggregateSnapshot?] = [:]
    var checkpoints: [String: Int64?] = [:]
    for name in streamNames {
        do {
            streams[name] = try store.readAll(name, page: 4)
        } catch {
            readErrors[name] = "\((error as? StoreError)?.code.description ?? "\(error)")"
        }
        infos[name] = try store.streamInfo(stream: name)
        do {
            snapshots[name] = try store.loadAggregateSnapshot(stream: name)
        } catch {
            readErrors[name + "/snapshot"] = "\(error.code)"
        }
        for group in groupNames {
            checkpoints["\(group)/\(name)"] = store.groupCheckpoint(group: group, stream: name)
        }
    }
    let metrics = store.metrics
    return Observed(
        all: try store.readAll(KVStore.allStreams, page: 7),
        allBackwards: try store.readAllBackwards(KVStore.allStreams, page: 5),
        streams: streams,
        readErrors: readErrors,
        infos: infos,
        snapshots: snapshots,
        checkpoints: checkpoints,
        kvs: try store.dump(),
        revision: store.currentRevision,
        counts: [metrics.streams, metrics.events, metrics.eventIDs, metrics.groups, metrics.keys]
    )
}

/// A deterministic mix of every kind of write; returns the appends made (for retries).
@discardableResult
private func workload(
    _ store: KVStore,
    clock: ManualClock,
    operations: Int,
    seed: UInt64
) -> [(stream: String, events: [StoreEventData])] {
    var random = SeededRandom(state: seed)
    var appends: [(String, [StoreEventData])] = []
    for i in 0..<operations {
        let stream = streamNames[Int.random(in: 0..<streamNames.count, using: &random)]
        let group = groupNames[Int.random(in: 0..<groupNames.count, using: &random)]
        let last = (try? store.streamInfo(stream: stream).lastRevision) ?? -1
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<45:
            let count = Int.random(in: 1...4, using: &random)
            let events = (0..<count).map { n in
                ev(n % 3 == 2 ? "Other" : "Changed", id: i % 5 == 4 ? "" : "op\(i)-\(n)", metadata: ["n": "\(n)"])
            }
            if case .success = store.appendNow(stream, events) {
                appends.append((stream, events))
            }
        case 45..<55:
            store.putNow("kv/\(i % 13)", "v\(i)", idempotencyKey: i % 4 == 0 ? "put-\(i)" : "")
        case 55..<62:
            _ = store.txnNow(
                StoreTxnRequest(success: [
                    .put(key: b("model/\(stream)"), value: b("\(i)"), ttlMilliseconds: 0),
                    .ack(group: group, stream: stream, revision: max(0, last)),
                ])
            )
        case 62..<70:
            if last >= 0 {
                store.ackNow(group, stream, Int64.random(in: 0...last, using: &random))
            }
        case 70..<76:
            store.setMetadataNow(
                stream,
                StoreStreamMetadata(
                    maxCount: Int64.random(in: 0...6, using: &random),
                    maxAgeMilliseconds: Int.random(in: 0..<4, using: &random) == 0 ? 5_000 : 0,
                    truncateBefore: Int.random(in: 0..<3, using: &random) == 0 ? max(0, last - 1) : 0
                )
            )
        case 76..<80:
            store.deleteStreamNow(stream)
        case 80:
            // One stream only, late: hard deletes are forever.
            if stream == streamNames.last! && i > operations / 2 {
                store.deleteStreamNow(stream, hard: true)
            }
        case 81..<90:
            if last >= 0 {
                store.saveSnapshotNow(stream, Int64.random(in: 0...last, using: &random), "state-\(i)")
            }
        case 90..<95:
            clock.advance(700)
            store.expireDue(nowMilliseconds: clock.nowMilliseconds())
        default:
            store.deleteNow("kv/\(i % 13)")
        }
    }
    return appends
}

/// Retries every append in both stores: each must answer the same (the original result, or the same error).
private func retryResults(_ store: KVStore, _ appends: [(stream: String, events: [StoreEventData])]) -> [String] {
    appends.filter { $0.events.allSatisfy { !$0.id.isEmpty } }.map { append in
        switch store.appendNow(append.stream, append.events, expected: .exact(-1)) {
        case .success(let result): return "\(result)"
        case .failure(let error): return "\(error.code)"
        }
    }
}

@Suite("Stream recovery")
struct StreamRecoveryTests {
    @Test("Replaying every record rebuilds identical stream, group and KV state")
    func replayAll() throws {
        let clock = ManualClock()
        let log = FakeLog()
        let store = KVStore.make(log: log, clock: clock)
        let appends = workload(store, clock: clock, operations: 700, seed: 3)
        let recovered = KVStore.make(log: FakeLog(), clock: clock)
        for (index, record) in log.records.enumerated() {
            try recovered.replay(record: record, index: UInt64(index + 1))
        }
        let original = try observe(store)
        #expect(original.all.count > 50)
        #expect(original.checkpoints.values.contains { $0 != nil })
        #expect(original.snapshots.values.contains { $0 != nil })
        #expect(try observe(recovered) == original)
        #expect(retryResults(recovered, appends) == retryResults(store, appends))
    }

    @Test("A snapshot mid-way plus the records after it rebuild identical state, idempotent retries included")
    func snapshotPlusTail() throws {
        let clock = ManualClock()
        let log = FakeLog()
        let store = KVStore.make(log: log, clock: clock)
        let before = workload(store, clock: clock, operations: 500, seed: 21)
        try store.takeSnapshot()
        let snapshot = try #require(log.snapshots.last)
        #expect(Array(snapshot.bytes.prefix(4)) == b("MSS4"))
        let after = workload(store, clock: clock, operations: 400, seed: 22)

        // The snapshot alone is the state at its revision.
        let atSnapshot = KVStore.make(log: FakeLog(), clock: clock)
        try atSnapshot.restore(snapshot: snapshot.bytes, index: snapshot.index)
        let recovered = KVStore.make(log: FakeLog(), clock: clock)
        try recovered.restore(snapshot: snapshot.bytes, index: snapshot.index)
        for (offset, record) in log.records.enumerated().dropFirst(Int(snapshot.index)) {
            try recovered.replay(record: record, index: UInt64(offset + 1))
        }
        let original = try observe(store)
        #expect(original.infos.values.contains { $0.hardDeleted })
        #expect(original.infos.values.contains { $0.metadata.truncateBefore > 0 && !$0.hardDeleted })
        #expect(try observe(recovered) == original)
        #expect(retryResults(recovered, before + after) == retryResults(store, before + after))
        #expect(recovered.metrics.eventIDs == store.metrics.eventIDs)
        // And the recovered store goes on like the original.
        let next = try recovered.appendNow("stream-0", [ev("t", id: "next")]).get()
        #expect(next == (try store.appendNow("stream-0", [ev("t", id: "next")]).get()))
    }

    @Test("A snapshot holds only durable events and stream state")
    func snapshotExcludesPending() throws {
        let log = FakeLog(hold: true)
        let store = KVStore.make(log: log)
        store.append(stream: "a", expected: .any, events: [ev("t", id: "1")]) { _ in }
        store.ack(group: "g", stream: "a", revision: 0) { _ in }
        store.append(stream: "b", expected: .any, events: [ev("t", id: "2")]) { _ in }
        store.saveAggregateSnapshot(stream: "a", revision: 0, state: b("s")) { _ in }
        log.release(2)
        try store.takeSnapshot()
        let snapshot = try #require(log.snapshots.last)
        #expect(snapshot.index == 2)
        let recovered = KVStore.make(log: nil)
        try recovered.restore(snapshot: snapshot.bytes, index: snapshot.index)
        #expect(try recovered.readAll(KVStore.allStreams).map(\.id) == ["1"])
        #expect(recovered.groupCheckpoint(group: "g", stream: "a") == 0)
        #expect(try recovered.loadAggregateSnapshot(stream: "a") == nil)
        #expect(recovered.metrics.streams == 1)
        try recovered.replay(record: log.records[2], index: 3)
        try recovered.replay(record: log.records[3], index: 4)
        #expect(try recovered.readAll(KVStore.allStreams).map(\.id) == ["1", "2"])
        #expect(try recovered.loadAggregateSnapshot(stream: "a")?.state == b("s"))
        // The id window came through the snapshot: a retry returns the original result.
        #expect(try recovered.appendNow("a", [ev("t", id: "1")]).get().position == 1)
    }

    @Test("Events erased while a snapshot is being written stay in it until it is done")
    func erasureWaitsForSnapshot() throws {
        let log = EmitHookLog()
        let snapshotting = KVStore(configuration: StoreConfiguration(compactAfterRecords: 0), log: log)
        _ = try snapshotting.appendNow("gone", (0..<3).map { ev("t", id: "g\($0)") }).get()
        _ = try snapshotting.appendNow("kept", [ev("t", id: "k")]).get()
        log.onFirstEmit = {
            // Between the snapshot's chunks: a hard delete becomes durable at once.
            _ = snapshotting.deleteStreamNow("gone", hard: true)
        }
        try snapshotting.takeSnapshot()
        #expect(snapshotting.metrics.events == 1)  // erased once the snapshot was done
        let snapshot = try #require(log.snapshots.last)
        let recovered = KVStore.make(log: nil)
        try recovered.restore(snapshot: snapshot.bytes, index: snapshot.index)
        #expect(try recovered.readAll("gone").map(\.id) == ["g0", "g1", "g2"])
        try recovered.replay(record: log.records[2], index: 3)
        #expect(throws: StoreError.self) { try recovered.readAll("gone") }
        #expect(recovered.metrics.events == 1)
        #expect(try recovered.readAll(KVStore.allStreams).map(\.id) == ["k"])
    }

    @Test("Format 1 (MSS1), 2 (MSS2) and 3 (MSS3) snapshots still restore")
    func snapshotFormat1() throws {
        let log = FakeLog()
        let store = KVStore.make(log: log)
        store.putNow("a", "1")
        store.putNow("b", "2", idempotencyKey: "once")
        try store.takeSnapshot()
        var bytes = try #require(log.snapshots.last).bytes
        // Empty stream sections: streams 0x00 0, groups 0, ids 0x00 0, events 0x00 0, archive watermark 0; then an
        // empty registry section (0 changes, 0 key schema ids).
        #expect(Array(bytes.suffix(10)) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        bytes.removeLast(2)
        bytes.replaceSubrange(0..<5, with: b("MSS3") + [3])
        let recovered3 = KVStore.make(log: nil)
        try recovered3.restore(snapshot: bytes, index: 2)
        #expect(try recovered3.dump() == store.dump())
        var format2 = bytes
        bytes.removeLast(8)
        bytes.replaceSubrange(0..<5, with: b("MSS1") + [1])
        let recovered = KVStore.make(log: nil)
        try recovered.restore(snapshot: bytes, index: 2)
        #expect(try recovered.dump() == store.dump())
        #expect(recovered.metrics.idempotencyKeys == 1)
        // Format 2 (MSS2): the same without the watermark.
        format2.removeLast(1)
        format2.replaceSubrange(0..<5, with: b("MSS2") + [2])
        let recovered2 = KVStore.make(log: nil)
        try recovered2.restore(snapshot: format2, index: 2)
        #expect(try recovered2.dump() == store.dump())
        var bad = try #require(log.snapshots.last).bytes
        bad[4] = 1
        #expect(throws: StoreError.self) { try KVStore.make(log: nil).restore(snapshot: bad, index: 2) }
    }

    @Test("A corrupt stream section stops the restore with an error naming the snapshot and the byte")
    func corruptSnapshot() throws {
        let log = FakeLog()
        let store = KVStore.make(log: log)
        _ = try store.appendNow("s", [ev("t", id: "1"), ev("t", id: "2")]).get()
        try store.takeSnapshot()
        let bytes = try #require(log.snapshots.last).bytes
        for cut in [1, 5, 12, 30] {
            do {
                try KVStore.make(log: nil).restore(snapshot: Array(bytes.dropLast(cut)), index: 9)
                Issue.record("restored a snapshot cut by \(cut) bytes")
            } catch {
                #expect(error.code == .internal)
                #expect(error.message.contains("snapshot at index 9"), "\(error.message)")
            }
        }
    }
}

/// A log completing at once that runs a hook the first time a snapshot chunk is emitted (with no store lock
/// held), to interleave writes with a snapshot.
private final class EmitHookLog: StoreLog, @unchecked Sendable {
    private let lock = NSLock()
    private var _records: [[UInt8]] = []
    private var _snapshots: [(index: UInt64, bytes: [UInt8])] = []
    var onFirstEmit: (() -> Void)?

    var records: [[UInt8]] { self.lock.withLock { self._records } }
    var snapshots: [(index: UInt64, bytes: [UInt8])] { self.lock.withLock { self._snapshots } }

    func append(_ payload: [UInt8], completion: @escaping @Sendable (Result<UInt64, any Error>) -> Void) -> UInt64 {
        let index: UInt64 = self.lock.withLock {
            self._records.append(payload)
            return UInt64(self._records.count)
        }
        completion(.success(index))
        return index
    }

    func writeSnapshot(index: UInt64, produce: (_ emit: ([UInt8]) throws -> Void) throws -> Void) throws {
        var bytes: [UInt8] = []
        try produce { chunk in
            bytes.append(contentsOf: chunk)
            if let hook = self.onFirstEmit {
                self.onFirstEmit = nil
                hook()
            }
        }
        self.lock.withLock { self._snapshots.append((index, bytes)) }
    }
}
