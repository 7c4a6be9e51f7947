import Foundation
import Testing

@testable import MicroStateStore

private let names = (0..<5).map { "s\($0)" }

/// Appends `appends` appends of 1...7 events round-robin-ish over `names`, identically to every store given.
private func fill(_ stores: [KVStore], appends: Int, seed: UInt64 = 7, clock: ManualClock? = nil) {
    var random = SeededRandom(state: seed)
    for index in 0..<appends {
        let stream = names[Int.random(in: 0..<names.count, using: &random)]
        let count = Int.random(in: 1...7, using: &random)
        let events = (0..<count).map { n in
            ev(n % 3 == 0 ? "Other" : "Changed", id: "a\(seed)-\(index)-\(n)", data: "data-\(index)-\(n)", metadata: ["n": "\(n)"])
        }
        for store in stores {
            _ = try! store.appendNow(stream, events).get()
        }
        clock?.advance(10)
    }
}

@Suite("Stream archive")
struct StreamArchiveTests {
    @Test("Reads of every stream and $all, forwards and backwards, see archived and in-memory events as one sequence")
    func readsAcrossChunks() throws {
        let archive = MemoryArchive()
        let store = KVStore.makeArchived(archive: archive)
        let reference = KVStore.make()
        fill([store, reference], appends: 120)
        #expect(store.waitForArchiving())
        let metrics = store.metrics
        #expect(metrics.archiveChunks > 30)
        #expect(metrics.eventsArchived + metrics.events == reference.metrics.events)
        #expect(try ObservedStreams(store, streams: names) == ObservedStreams(reference, streams: names))
        // Every page size and start, also starting inside a chunk and on positions no event has.
        let head = store.durableRevision
        for page in [1, 2, 5, 8, 9, 100] {
            for from in stride(from: Int64(0), through: head + 2, by: 13) {
                let forwards = try store.read(stream: "$all", from: from, backwards: false, maxCount: page, maxBytes: 0)
                let expected = try reference.read(stream: "$all", from: from, backwards: false, maxCount: page, maxBytes: 0)
                #expect(forwards == expected, "$all from \(from) page \(page)")
                let backwards = try store.read(stream: "$all", from: from, backwards: true, maxCount: page, maxBytes: 0)
                let expectedBack = try reference.read(stream: "$all", from: from, backwards: true, maxCount: page, maxBytes: 0)
                #expect(backwards == expectedBack, "$all back from \(from) page \(page)")
            }
            for name in names {
                for from in Int64(0)...40 where from % 3 == 0 {
                    #expect(
                        try store.read(stream: name, from: from, backwards: false, maxCount: page, maxBytes: 0)
                            == reference.read(stream: name, from: from, backwards: false, maxCount: page, maxBytes: 0),
                        "\(name) from \(from) page \(page)"
                    )
                    #expect(
                        try store.read(stream: name, from: from, backwards: true, maxCount: page, maxBytes: 0)
                            == reference.read(stream: name, from: from, backwards: true, maxCount: page, maxBytes: 0),
                        "\(name) back from \(from) page \(page)"
                    )
                }
            }
        }
        // A byte bound cuts batches inside chunks too.
        #expect(
            try store.read(stream: "$all", from: 0, backwards: false, maxCount: 0, maxBytes: 200)
                == reference.read(stream: "$all", from: 0, backwards: false, maxCount: 0, maxBytes: 200)
        )
    }

    @Test("Memory holds at most the window plus one chunk once archiving has caught up, however long history grows")
    func memoryBound() throws {
        let archive = MemoryArchive(maxEventsPerChunk: 8)
        let store = KVStore.makeArchived(archive: archive, window: 20)
        var total = 0
        for round in 0..<40 {
            let count = 1 + round % 9
            _ = try store.appendNow("s\(round % 3)", evs(count)).get()
            total += count
            #expect(store.waitForArchiving())
            let metrics = store.metrics
            #expect(metrics.events < 20 + 8, "round \(round): \(metrics.events) events in memory")
            #expect(metrics.events + metrics.eventsArchived == total)
        }
        #expect(store.metrics.archiveIndexRuns <= store.metrics.archiveChunks * 3)
        #expect(try store.readAll("$all").count == total)
    }

    @Test("Without an archive every event stays in memory")
    func noArchive() throws {
        var limits = StoreLimits()
        limits.memoryWindowEvents = 2
        let store = KVStore.make(limits: limits)
        _ = try store.appendNow("s", evs(50)).get()
        #expect(store.metrics.events == 50)
        #expect(store.metrics.eventsArchived == 0)
        #expect(store.waitForArchiving())
    }

    @Test("A failed seal loses nothing: the events stay readable in memory and are archived on a later attempt")
    func failedSeal() throws {
        let archive = MemoryArchive()
        archive.failSeals = true
        let store = KVStore.makeArchived(archive: archive)
        _ = try store.appendNow("s", evs(30, prefix: "f")).get()
        #expect(store.waitForArchiving() == false)
        #expect(store.metrics.archiveFailures >= 1)
        #expect(store.metrics.events == 30)
        #expect(try store.readAll("s").map(\.id) == (0..<30).map { "f-\($0)" })
        archive.failSeals = false
        let deadline = Date(timeIntervalSinceNow: 10)
        while store.metrics.eventsArchived == 0 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(store.waitForArchiving())
        #expect(store.metrics.eventsArchived == 16)
        #expect(try store.readAll("s").map(\.id) == (0..<30).map { "f-\($0)" })
    }

    @Test("Only durable events are archived")
    func onlyDurable() throws {
        let log = FakeLog(hold: true)
        let archive = MemoryArchive()
        let store = KVStore.makeArchived(log: log, archive: archive)
        store.append(stream: "s", expected: .any, events: evs(40)) { _ in }
        #expect(store.waitForArchiving())
        #expect(archive.seals == 0)
        log.release()
        #expect(store.waitForArchiving())
        #expect(store.metrics.eventsArchived == 24)
        #expect(store.metrics.events == 16)
    }

    @Test("A subscription catches up across archived chunks, memory and live appends: every event once, in order")
    func subscriptionAcrossArchive() throws {
        let archive = MemoryArchive()
        let store = KVStore.makeArchived(archive: archive)
        fill([store], appends: 60)
        #expect(store.waitForArchiving())
        let ready = ReadySignal()
        let all = try store.subscribe(stream: "$all", from: 0, group: "", typePrefix: "") { ready.signal() }
        let one = try store.subscribe(stream: "s1", from: 0, group: "", typePrefix: "Chan") { ready.signal() }
        var seenAll: [StoreRecordedEvent] = []
        var seenOne: [StoreRecordedEvent] = []
        var caughtUp = 0
        // Appends race the catch-up: the archiver moves events out of memory while the cursors walk.
        let writer = Thread {
            fill([store], appends: 60, seed: 99)
        }
        writer.start()
        for _ in 0..<10_000 {
            let a = all.poll(maxEvents: 3, maxBytes: 0)
            let b = one.poll(maxEvents: 2, maxBytes: 0)
            seenAll += a.events
            seenOne += b.events
            caughtUp += (a.caughtUp ? 1 : 0)
            if a.events.isEmpty && b.events.isEmpty && writer.isFinished {
                let lastAll = all.poll(maxEvents: 100, maxBytes: 0).events
                let lastOne = one.poll(maxEvents: 100, maxBytes: 0).events
                seenAll += lastAll
                seenOne += lastOne
                if lastAll.isEmpty && lastOne.isEmpty {
                    break
                }
            }
        }
        #expect(store.waitForArchiving())
        let expectedAll = try store.readAll("$all", page: 50)
        #expect(seenAll.map(\.position) == expectedAll.map(\.position))
        #expect(seenAll == expectedAll)
        #expect(seenOne == expectedAll.filter { $0.stream == "s1" && $0.type.hasPrefix("Chan") })
        #expect(caughtUp == 1)
        all.cancel()
        one.cancel()
    }

    @Test("A consumer group resumes after its checkpoint inside archived ranges, on a stream and on $all")
    func groupResumesInArchive() throws {
        let archive = MemoryArchive()
        let store = KVStore.makeArchived(archive: archive)
        fill([store], appends: 80)
        #expect(store.waitForArchiving())
        let s2 = try store.readAll("s2")
        let archivedRevision = s2[s2.count / 4].revision
        _ = try store.ackNow("g", "s2", archivedRevision).get()
        let member = try store.subscribe(stream: "s2", from: 0, group: "g", typePrefix: "") {}
        let delivered = member.drain(maxEvents: 3).events
        #expect(delivered.map(\.revision) == s2.filter { $0.revision > archivedRevision }.map(\.revision))
        member.cancel()

        let all = try store.readAll("$all")
        let s3 = all.filter { $0.stream == "s3" }
        _ = try store.ackNow("h", "s3", s3[2].revision).get()
        let allMember = try store.subscribe(stream: "$all", from: 0, group: "h", typePrefix: "") {}
        let got = allMember.drain(maxEvents: 5).events
        #expect(got.filter { $0.stream == "s3" }.map(\.revision) == s3.dropFirst(3).map(\.revision))
        #expect(got.filter { $0.stream != "s3" } == all.filter { $0.stream != "s3" })
        allMember.cancel()
    }

    @Test("An aggregate snapshot may name an archived revision; a hidden archived one is refused")
    func aggregateSnapshotOnArchived() throws {
        let store = KVStore.makeArchived()
        _ = try store.appendNow("s", evs(40)).get()
        _ = try store.appendNow("t", evs(40)).get()
        #expect(store.waitForArchiving())
        #expect(store.metrics.eventsArchived > 40)
        _ = try store.saveSnapshotNow("s", 3, "at-3").get()
        #expect(try store.loadAggregateSnapshot(stream: "s") == StoreAggregateSnapshot(revision: 3, state: b("at-3")))
        _ = try store.setMetadataNow("s", StoreStreamMetadata(truncateBefore: 10)).get()
        #expect(store.saveSnapshotNow("s", 5, "hidden").error?.code == .failedPrecondition)
    }

    @Test("Restart with archived events, events in memory and a snapshot rebuilds identical observable state")
    func restart() throws {
        let clock = ManualClock()
        let log = FakeLog()
        let archive = MemoryArchive()
        let store = KVStore.makeArchived(log: log, archive: archive, clock: clock)
        fill([store], appends: 50, clock: clock)
        _ = try store.ackNow("g", "s1", 3).get()
        _ = try store.saveSnapshotNow("s2", 2, "state").get()
        #expect(store.waitForArchiving())
        try store.takeSnapshot()
        // Chunks sealed after the snapshot: their events come back from the log but stay in the archive.
        fill([store], appends: 40, seed: 11, clock: clock)
        _ = try store.setMetadataNow("s4", StoreStreamMetadata(maxCount: 3)).get()
        _ = try store.deleteStreamNow("s0").get()
        _ = try store.appendNow("s0", evs(3)).get()
        #expect(store.waitForArchiving())
        let snapshotWatermark = store.metrics.archivedThrough
        #expect(snapshotWatermark > 0)
        let recovered = try KVStore.recover(from: log, archive: archive, clock: clock)
        #expect(recovered.waitForArchiving())
        #expect(try ObservedStreams(recovered, streams: names, groups: ["g"]) == ObservedStreams(store, streams: names, groups: ["g"]))
        #expect(recovered.metrics.eventIDs == store.metrics.eventIDs)
        #expect(recovered.metrics.eventsArchived == store.metrics.eventsArchived)
        // Idempotent retries of archived and in-memory appends answer as before.
        let all = try store.readAll("$all")
        for event in [all[0], all[all.count / 2], all[all.count - 1]] {
            let retry = [ev("x", id: event.id)]
            #expect(
                recovered.appendNow(event.stream, retry).error?.code ?? nil
                    == store.appendNow(event.stream, retry).error?.code ?? nil
            )
        }
        // Recovery from the log alone (no snapshot) agrees too.
        let replayOnly = FakeLog()
        for record in log.records {
            _ = replayOnly.append(record) { _ in }
        }
        let fromRecords = try KVStore.recover(from: replayOnly, archive: archive, clock: clock)
        #expect(try ObservedStreams(fromRecords, streams: names, groups: ["g"]) == ObservedStreams(store, streams: names, groups: ["g"]))
    }

    @Test("Archived events beyond the log's end (os durability, power loss) are trimmed, or refuse recovery")
    func archiveBeyondLog() throws {
        let log = FakeLog()
        let archive = MemoryArchive()
        let store = KVStore.makeArchived(log: log, archive: archive)
        _ = try store.appendNow("s", evs(60)).get()
        #expect(store.waitForArchiving())
        let archived = store.metrics.eventsArchived
        #expect(archived >= 48)
        // The log lost its last record (an append of 60 events); the archive kept chunks of it.
        let shortLog = FakeLog()
        let empty = KVStore(configuration: StoreConfiguration(), log: shortLog, archive: archive)
        #expect(throws: StoreError.self) { try empty.finishRecovery() }
        let trimming = KVStore(configuration: StoreConfiguration(), log: shortLog, archive: archive)
        #expect(try trimming.finishRecovery(trimmingArchive: true) == archived)
        #expect(archive.chunks.isEmpty)
        _ = try trimming.appendNow("s", evs(2)).get()
        #expect(try trimming.readAll("s").map(\.revision) == [0, 1])
    }

    @Test("Large events are archived by bytes: memory holds about memoryWindowBytes plus a chunk's raw bytes")
    func windowBytes() throws {
        let archive = MemoryArchive(maxEventsPerChunk: 1000, maxChunkRawBytes: 2 << 20)
        var limits = StoreLimits()
        limits.memoryWindowBytes = 1 << 20
        let store = KVStore.makeArchived(archive: archive, window: 1_000_000, limits: limits)
        let big = [UInt8](repeating: 7, count: 100_000)
        for index in 0..<60 {
            _ = try store.appendNow("big", [StoreEventData(id: "b\(index)", type: "t", data: big)]).get()
            #expect(store.waitForArchiving())
            #expect(store.metrics.eventBytesInMemory < (1 << 20) + (2 << 20), "after \(index)")
        }
        #expect(store.metrics.eventsArchived >= 20)
        #expect(try store.readAll("big", page: 7).map(\.id) == (0..<60).map { "b\($0)" })
    }

    @Test("Appends wait for an archiver that falls more than maxArchiveBacklogChunks behind")
    func backpressure() throws {
        let archive = MemoryArchive(maxEventsPerChunk: 8)
        archive.sealDelay = 0.02
        var limits = StoreLimits()
        limits.maxArchiveBacklogChunks = 1
        let store = KVStore.makeArchived(archive: archive, window: 8, limits: limits)
        var peak = 0
        for index in 0..<40 {
            _ = try store.appendNow("s", evs(4, prefix: "p\(index)")).get()
            peak = max(peak, store.metrics.events)
        }
        #expect(store.metrics.archiveBackpressureWaits > 0)
        // The window, the backlog, the chunk being sealed and one append.
        #expect(peak <= 8 + 8 + 8 + 4)
        #expect(store.waitForArchiving())
        #expect(try store.readAll("s", page: 9).count == 160)
    }
}
