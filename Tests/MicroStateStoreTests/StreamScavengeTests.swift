import Foundation
import Testing

@testable import MicroStateStore

/// Appends `count` events to `stream` in appends of 3, with ids `stream-n`.
private func append(_ store: KVStore, _ stream: String, _ count: Int, from start: Int = 0) {
    var n = start
    while n < start + count {
        let events = (n..<min(n + 3, start + count)).map { ev("t", id: "\(stream)-\($0)", data: "payload-\(stream)-\($0)") }
        _ = try! store.appendNow(stream, events).get()
        n += events.count
    }
}

/// Archived events of `stream`, by revision.
private func archived(_ archive: MemoryArchive, _ stream: String) -> [Int64] {
    archive.allEvents.filter { $0.stream == stream }.map(\.revision)
}

@Suite("Stream scavenge")
struct StreamScavengeTests {
    @Test("A scavenge erases every event of a hard-deleted stream from memory and chunks; other streams stay")
    func hardDelete() throws {
        let archive = MemoryArchive()
        let store = KVStore.makeArchived(archive: archive)
        for round in 0..<10 {
            append(store, "gone", 4, from: round * 4)
            append(store, "kept", 4, from: round * 4)
        }
        #expect(store.waitForArchiving())
        #expect(!archived(archive, "gone").isEmpty)
        let keptBefore = try store.readAll("kept")
        let goneArchived = archived(archive, "gone").count
        _ = try store.deleteStreamNow("gone", hard: true).get()
        // The delete erased the events in memory once durable; the scavenge the archived ones.
        #expect(store.metrics.scavengedEvents == 40 - goneArchived)
        let result = try store.scavenge()
        #expect(result.erasedFromArchive == goneArchived)
        #expect(store.metrics.scavengedEvents == 40)
        #expect(archived(archive, "gone").isEmpty)
        #expect(result.chunksRewritten + result.chunksRemoved > 0)
        #expect(result.compactedLog)
        #expect(try store.readAll("kept") == keptBefore)
        #expect(try store.readAll("$all") == keptBefore)
        #expect(archive.allEvents.count == store.metrics.eventsArchived)
        #expect(store.metrics.scavenges == 1)
        // Nothing left to do: a second scavenge erases nothing and leaves the log alone.
        let again = try store.scavenge()
        #expect(again == StoreScavengeResult())
    }

    @Test("maxCount, truncateBefore and a soft delete: hidden events are erased from chunks and memory, visible kept")
    func retention() throws {
        let archive = MemoryArchive()
        let store = KVStore.makeArchived(archive: archive)
        for round in 0..<8 {
            for stream in ["count", "truncate", "soft", "plain"] {
                append(store, stream, 5, from: round * 5)
            }
        }
        #expect(store.waitForArchiving())
        _ = try store.setMetadataNow("count", StoreStreamMetadata(maxCount: 7)).get()
        _ = try store.setMetadataNow("truncate", StoreStreamMetadata(truncateBefore: 25)).get()
        _ = try store.deleteStreamNow("soft").get()
        let visible = try ["count", "truncate", "soft", "plain"].map { try store.readAll($0) }
        #expect(visible.map(\.count) == [7, 15, 0, 40])
        try store.scavenge()
        #expect(try ["count", "truncate", "soft", "plain"].map { try store.readAll($0) } == visible)
        #expect(archived(archive, "count").allSatisfy { $0 >= 33 })
        #expect(archived(archive, "truncate").allSatisfy { $0 >= 25 })
        #expect(archived(archive, "soft").isEmpty)
        #expect(archived(archive, "plain").count + store.metrics.events >= 40)
        // The soft-deleted stream continues its revisions.
        _ = try store.appendNow("soft", [ev("t", id: "again")]).get()
        #expect(try store.readAll("soft").map(\.revision) == [40])
        // Erased for good: raising maxCount shows only what is left.
        _ = try store.setMetadataNow("count", StoreStreamMetadata(maxCount: 100)).get()
        #expect(try store.readAll("count").count == 7 + 0)
    }

    @Test("maxAge: events recorded too long ago are erased from chunks and memory")
    func maxAge() throws {
        let clock = ManualClock()
        let archive = MemoryArchive()
        let store = KVStore.makeArchived(archive: archive, clock: clock)
        append(store, "aging", 30)
        clock.advance(10_000)
        append(store, "aging", 30, from: 30)
        append(store, "other", 20)
        #expect(store.waitForArchiving())
        _ = try store.setMetadataNow("aging", StoreStreamMetadata(maxAgeMilliseconds: 5_000)).get()
        let visible = try store.readAll("aging")
        #expect(visible.map(\.revision) == Array(30..<60))
        let result = try store.scavenge()
        #expect(result.erasedFromMemory + result.erasedFromArchive == 30)
        #expect(archived(archive, "aging").allSatisfy { $0 >= 30 })
        #expect(try store.readAll("aging") == visible)
        #expect(try store.readAll("other").count == 20)
    }

    @Test("A delete schedules a scavenge on its own once durable; the periodic one covers retention settings")
    func automatic() throws {
        let archive = MemoryArchive()
        let store = KVStore.makeArchived(archive: archive, scavengeDelay: 20)
        append(store, "gone", 40)
        append(store, "kept", 40)
        #expect(store.waitForArchiving())
        #expect(!archived(archive, "gone").isEmpty)
        _ = try store.deleteStreamNow("gone", hard: true).get()
        let deadline = Date(timeIntervalSinceNow: 10)
        while !archived(archive, "gone").isEmpty && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(archived(archive, "gone").isEmpty)
        #expect(store.metrics.scavenges >= 1)
        // maxCount hides more as the stream grows: the periodic scavenge erases them.
        _ = try store.setMetadataNow("kept", StoreStreamMetadata(maxCount: 5)).get()
        append(store, "kept", 40, from: 40)
        #expect(store.waitForArchiving())
        store.schedulePeriodicScavenge()
        while archived(archive, "kept").contains(where: { $0 < 75 }) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(!archived(archive, "kept").contains { $0 < 75 })
    }

    @Test("Restart after a scavenge rebuilds identical observable state; erased events do not come back from the log")
    func restartAfterScavenge() throws {
        let clock = ManualClock()
        let log = FakeLog()
        let archive = MemoryArchive()
        let store = KVStore.makeArchived(log: log, archive: archive, clock: clock)
        let streams = ["a", "b", "c", "d"]
        for round in 0..<6 {
            for stream in streams {
                append(store, stream, 4, from: round * 4)
            }
        }
        #expect(store.waitForArchiving())
        _ = try store.deleteStreamNow("a", hard: true).get()
        _ = try store.setMetadataNow("b", StoreStreamMetadata(maxCount: 3)).get()
        _ = try store.deleteStreamNow("c").get()
        try store.scavenge()
        append(store, "d", 5, from: 24)
        append(store, "c", 2, from: 24)
        #expect(store.waitForArchiving())
        let recovered = try KVStore.recover(from: log, archive: archive, clock: clock)
        #expect(try ObservedStreams(recovered, streams: streams) == ObservedStreams(store, streams: streams))
        #expect(recovered.metrics.events == store.metrics.events)
        #expect(recovered.metrics.eventsArchived == store.metrics.eventsArchived)
        // Raising maxCount after the erase shows the same (nothing) in both.
        for target in [store, recovered] {
            _ = try target.setMetadataNow("b", StoreStreamMetadata(maxCount: 50)).get()
        }
        #expect(try recovered.readAll("b") == store.readAll("b"))
    }

    @Test("A scavenge without a log or archive erases hidden events from memory")
    func memoryOnly() throws {
        let store = KVStore.make(log: nil)
        _ = try store.appendNow("s", evs(20)).get()
        _ = try store.setMetadataNow("s", StoreStreamMetadata(maxCount: 5)).get()
        #expect(store.metrics.events == 20)
        let result = try store.scavenge()
        #expect(result == StoreScavengeResult(erasedFromMemory: 15))
        #expect(store.metrics.events == 5)
        #expect(try store.readAll("s").map(\.revision) == Array(15..<20))
    }

    @Test("Appends, seals, scavenges, reads and a subscription race without losing, repeating or reordering events")
    func race() throws {
        let archive = MemoryArchive(maxEventsPerChunk: 8)
        archive.sealDelay = 0.001
        let store = KVStore.makeArchived(archive: archive, window: 12)
        _ = try store.setMetadataNow("trimmed", StoreStreamMetadata(maxCount: 5)).get()
        let subscription = try store.subscribe(stream: "plain", from: 0, group: "", typePrefix: "") {}
        let writing = Box<Bool>()
        writing.value = true
        let writer = Thread {
            for index in 0..<150 {
                append(store, "plain", 2, from: 2 * index)
                append(store, "trimmed", 3, from: 3 * index)
            }
            writing.value = false
        }
        let scavenger = Thread {
            while writing.value == true {
                _ = try? store.scavenge()
            }
        }
        writer.start()
        scavenger.start()
        var delivered: [StoreRecordedEvent] = []
        var reads = 0
        while !writer.isFinished || !scavenger.isFinished {
            delivered += subscription.poll(maxEvents: 7, maxBytes: 0).events
            let all = try store.read(stream: "$all", from: 0, backwards: reads % 2 == 0, maxCount: 40, maxBytes: 0)
            let positions = all.events.map(\.position)
            #expect(positions == (reads % 2 == 0 ? positions.sorted(by: >) : positions.sorted()))
            #expect(Set(positions).count == positions.count)
            // One batch is one revision's view, even when it read chunks with the lock released.
            let trimmed = try? store.read(stream: "trimmed", from: 0, backwards: false, maxCount: 100, maxBytes: 0)
            #expect((trimmed?.events.count ?? 0) <= 5)
            reads += 1
        }
        delivered += subscription.drain(maxEvents: 50).events
        #expect(delivered.map(\.revision) == Array(0..<300))
        #expect(try store.readAll("plain", page: 11).map(\.revision) == Array(0..<300))
        #expect(try store.readAll("trimmed").map(\.revision) == Array(445..<450))
        try store.scavenge()
        #expect(archived(archive, "trimmed").allSatisfy { $0 >= 445 })
        subscription.cancel()
    }
}
