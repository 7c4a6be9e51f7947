import Foundation
import Testing

@testable import MicroStateStore

@Suite("Stream retention and delete")
struct StreamRetentionTests {
    @Test("maxCount keeps only the newest events visible, also on $all, and the window moves with appends")
    func maxCount() throws {
        let store = KVStore.make()
        _ = try store.appendNow("s", (0..<10).map { ev("t", id: "s\($0)") }).get()
        _ = try store.appendNow("other", [ev("t", id: "o0")]).get()
        _ = try store.setMetadataNow("s", StoreStreamMetadata(maxCount: 3)).get()
        #expect(try store.readAll("s").map(\.revision) == [7, 8, 9])
        #expect(try store.readAllBackwards("s").map(\.revision) == [9, 8, 7])
        #expect(try store.readAll(KVStore.allStreams).map(\.id) == ["s7", "s8", "s9", "o0"])
        _ = try store.appendNow("s", [ev("t", id: "s10")]).get()
        #expect(try store.readAll("s").map(\.revision) == [8, 9, 10])
        // Hidden, not erased: raising the count shows them again.
        _ = try store.setMetadataNow("s", StoreStreamMetadata(maxCount: 5)).get()
        #expect(try store.readAll("s").map(\.revision) == [6, 7, 8, 9, 10])
        #expect(try store.streamInfo(stream: "s").metadata == StoreStreamMetadata(maxCount: 5))
    }

    @Test("maxAge hides events recorded longer ago, by the store's clock")
    func maxAge() throws {
        let clock = ManualClock()
        let store = KVStore.make(clock: clock)
        _ = try store.appendNow("s", [ev("t", id: "old")]).get()
        clock.advance(1000)
        _ = try store.appendNow("s", [ev("t", id: "new")]).get()
        _ = try store.setMetadataNow("s", StoreStreamMetadata(maxAgeMilliseconds: 1500)).get()
        #expect(try store.readAll("s").map(\.id) == ["old", "new"])
        clock.advance(600)
        #expect(try store.readAll("s").map(\.id) == ["new"])
        #expect(try store.readAll(KVStore.allStreams).map(\.id) == ["new"])
        clock.advance(1000)
        #expect(try store.readAll("s").isEmpty)
        #expect(try store.streamInfo(stream: "s").lastRevision == 1)
    }

    @Test("truncateBefore hides revisions below it at once and erases them once durable")
    func truncateBefore() throws {
        let log = FakeLog(hold: true)
        let store = KVStore.make(log: log)
        store.append(stream: "s", expected: .any, events: (0..<6).map { ev("t", id: "e\($0)") }) { _ in }
        log.release()
        store.setStreamMetadata(stream: "s", metadata: StoreStreamMetadata(truncateBefore: 4)) { _ in }
        // Not durable yet: still visible, nothing erased.
        #expect(try store.readAll("s").count == 6)
        #expect(store.metrics.events == 6)
        log.release()
        #expect(try store.readAll("s").map(\.revision) == [4, 5])
        #expect(store.metrics.events == 2)
        // Erased for good: lowering truncateBefore does not bring them back.
        store.setStreamMetadata(stream: "s", metadata: StoreStreamMetadata()) { _ in }
        log.release()
        #expect(try store.readAll("s").map(\.revision) == [4, 5])
        #expect(try store.streamInfo(stream: "s").lastRevision == 5)
    }

    @Test("A soft delete hides every event until the next append, after which noStream succeeds and revisions go on")
    func softDelete() throws {
        let store = KVStore.make()
        _ = try store.appendNow("s", (0..<5).map { ev("t", id: "e\($0)") }).get()
        let aborted = try #require(store.deleteStreamNow("s", expected: .exact(3)).error)
        #expect(aborted.code == .aborted && aborted.currentRevision == 4)
        #expect(aborted.message == "delete of stream \"s\" expected revision 3 but the stream is at revision 4")
        let position = try store.deleteStreamNow("s", expected: .exact(4)).get()
        #expect(position == 6)
        let info = try store.streamInfo(stream: "s")
        #expect(
            info
                == StoreStreamInfo(
                    metadata: StoreStreamMetadata(truncateBefore: 5),
                    lastRevision: 4,
                    deleted: true,
                    hardDeleted: false
                )
        )
        #expect(try store.read(stream: "s", from: 0, backwards: false, maxCount: 0, maxBytes: 0).events.isEmpty)
        #expect(try store.readAll(KVStore.allStreams).isEmpty)
        #expect(store.metrics.events == 0)
        #expect(store.appendNow("s", [ev("t")], expected: .streamExists).error?.code == .aborted)
        let again = try store.appendNow("s", [ev("t", id: "after")], expected: .noStream).get()
        #expect(again.firstRevision == 5 && again.lastRevision == 5)
        #expect(try store.streamInfo(stream: "s").deleted == false)
        #expect(try store.readAll("s").map(\.id) == ["after"])
    }

    @Test("A hard delete is a tombstone: reads notFound, $all skips it, writes fail, events and snapshot erased")
    func hardDelete() throws {
        let store = KVStore.make()
        _ = try store.appendNow("s", (0..<3).map { ev("t", id: "e\($0)") }).get()
        _ = try store.appendNow("keep", [ev("t", id: "k")]).get()
        _ = try store.saveSnapshotNow("s", 2, "state").get()
        _ = try store.deleteStreamNow("s", hard: true, expected: .streamExists).get()
        #expect(throws: StoreError.self) { try store.readAll("s") }
        do {
            _ = try store.read(stream: "s", from: 0, backwards: false, maxCount: 0, maxBytes: 0)
        } catch {
            #expect(error.code == .notFound && error.message.contains("hard-deleted"))
        }
        #expect(try store.readAll(KVStore.allStreams).map(\.id) == ["k"])
        #expect(store.metrics.events == 1)
        let info = try store.streamInfo(stream: "s")
        #expect(info.deleted && info.hardDeleted && info.lastRevision == 2)
        for error in [
            store.appendNow("s", [ev("t")]).error, store.appendNow("s", [ev("t")], expected: .noStream).error,
            store.setMetadataNow("s", StoreStreamMetadata()).error, store.saveSnapshotNow("s", 0, "x").error,
            store.deleteStreamNow("s").error, store.deleteStreamNow("s", hard: true).error,
            store.ackNow("g", "s", 0).error,
        ] {
            #expect(error?.code == .failedPrecondition)
            #expect(error?.message.contains("stream \"s\" is hard-deleted") == true, "\(String(describing: error))")
        }
        #expect(throws: StoreError.self) { try store.loadAggregateSnapshot(stream: "s") }
    }

    @Test("streamInfo reads durable state; an unknown stream reads as defaults with last revision -1")
    func info() throws {
        let log = FakeLog(hold: true)
        let store = KVStore.make(log: log)
        #expect(
            try store.streamInfo(stream: "s")
                == StoreStreamInfo(
                    metadata: StoreStreamMetadata(),
                    lastRevision: -1,
                    deleted: false,
                    hardDeleted: false
                )
        )
        store.append(stream: "s", expected: .any, events: [ev("t")]) { _ in }
        store.setStreamMetadata(stream: "s", metadata: StoreStreamMetadata(maxCount: 9)) { _ in }
        #expect(try store.streamInfo(stream: "s").lastRevision == -1)
        log.release(1)
        #expect(
            try store.streamInfo(stream: "s")
                == StoreStreamInfo(metadata: StoreStreamMetadata(), lastRevision: 0, deleted: false, hardDeleted: false)
        )
        log.release()
        #expect(try store.streamInfo(stream: "s").metadata.maxCount == 9)
        #expect(throws: StoreError.self) { try store.streamInfo(stream: "$all") }
        let negative = StoreStreamMetadata(maxCount: -1)
        #expect(store.setMetadataNow("s", negative).error?.message == "stream \"s\" metadata maxCount -1 is negative")
    }
}
