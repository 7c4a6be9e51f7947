// `microstatedb-bench events-rss`: bounded memory with an event archive (issue #3): RSS after 1M and after 10M
// stored events, and the catch-up read rate of $all over the archived ones. Run in a fresh process (main and
// `make bench` start it as a child) so no other figure's allocations count.
import Dispatch
import Foundation
import MicroStateLog
import MicroStateNode
import MicroStateStore

func eventsRSSFigure() throws {
    let total = Int(ProcessInfo.processInfo.environment["BENCH_EVENTS"] ?? "") ?? 10_000_000
    let first = min(total, 1_000_000)
    let streams = 1_000
    let directory = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }

    // A durable store as the node builds it: archive at <dir>/events, WAL with os durability.
    let archive = try EventArchive.open(
        directory: directory + "/events",
        fileSystem: PosixFileSystem(),
        configuration: ArchiveConfiguration()
    )
    let adapter = WALStoreLog()
    // A snapshot every 10,000 records (1M events) lets the log delete its old segments (archived events are in
    // chunks), so the disk holds chunks plus a few segments.
    let store = KVStore(
        configuration: StoreConfiguration(compactAfterRecords: 10_000),
        log: adapter,
        archive: EventArchiveAdapter(archive)
    )
    var logConfiguration = LogConfiguration(directory: directory, durability: .os)
    logConfiguration.segmentBytes = 64 << 20
    let wal = try WriteAheadLog.open(logConfiguration) { _ in }
    adapter.attach(wal)
    try store.finishRecovery()
    defer { wal.close() }

    let baseline = residentBytes()
    let firstSeconds = seconds {
        appendEvents(store, batches: first / eventsPerAppend, streams: streams, inFlight: 64)
        store.waitForArchiving()
    }
    let afterFirst = residentBytes()
    let restSeconds = seconds {
        appendEvents(store, batches: (total - first) / eventsPerAppend, streams: streams, inFlight: 64)
        store.waitForArchiving()
    }
    let afterAll = residentBytes()
    let metrics = store.metrics
    line(
        "events stored (os, \(eventsPerAppend)/append, \(streams) streams)",
        String(format: "%d events, %.0f events/s, %d archived in %d chunks (%.1f MB on disk), %d in memory, "
               + "%d appends waited for the archiver",
               metrics.eventsArchived + metrics.events,
               Double(total) / (firstSeconds + restSeconds), metrics.eventsArchived, metrics.archiveChunks,
               Double(archive.diskBytes) / 1e6, metrics.events, metrics.archiveBackpressureWaits)
    )
    line(
        "RSS after \(first / 1_000_000)M and after \(total / 1_000_000)M events",
        String(format: "%.0f MB, %.0f MB (baseline %.0f MB; archive index %d runs)", Double(afterFirst) / 1e6,
               Double(afterAll) / 1e6, Double(baseline) / 1e6, metrics.archiveIndexRuns)
    )
    line(
        "RSS growth \(first / 1_000_000)M -> \(total / 1_000_000)M events",
        String(format: "%.1f MB", Double(afterAll - afterFirst) / 1e6),
        "< 50 MB"
    )

    // Catch-up read of $all over the archived events: every chunk decompressed and decoded once.
    let archivedThrough = metrics.archivedThrough
    var read = 0
    let readSeconds = try seconds {
        var cursor: Int64? = 0
        while let from = cursor, from <= archivedThrough {
            let batch = try store.read(stream: KVStore.allStreams, from: from, backwards: false, maxCount: 256,
                                       maxBytes: 1 << 20)
            read += batch.events.count
            cursor = batch.events.isEmpty ? nil : batch.next
        }
    }
    line("catch-up read $all over archived chunks", String(format: "%.0f events/s (%d events)",
                                                           Double(read) / readSeconds, read),
         ">= 1000000 events/s")
    let afterRead = residentBytes()
    line("RSS after the catch-up read", String(format: "%.0f MB", Double(afterRead) / 1e6))
}
