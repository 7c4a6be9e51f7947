// In-process event-stream figures (issue #3): batched durable append and catch-up reads through the store.
import Dispatch
import Foundation
import MicroStateLog
import MicroStateStore

let eventsPerAppend = 100
let eventData = [UInt8](repeating: UInt8(ascii: "e"), count: 100)

/// Appends `batches` appends of `eventsPerAppend` events round-robin over `streams` streams, keeping at most
/// `inFlight` appends outstanding (so group commit can batch them).
func appendEvents(_ store: KVStore, batches: Int, streams: Int, inFlight: Int) {
    let window = DispatchSemaphore(value: inFlight)
    let done = DispatchGroup()
    let batch = (0..<eventsPerAppend).map { _ in StoreEventData(id: "", type: "bench.Happened", data: eventData) }
    for index in 0..<batches {
        window.wait()
        done.enter()
        store.append(stream: "bench-\(index % streams)", expected: .any, events: batch) { result in
            if case .failure(let error) = result {
                fatalError("append failed: \(error)")
            }
            window.signal()
            done.leave()
        }
    }
    done.wait()
}

func eventFigures() throws {
    // Batched durable append: 100 events per append, 16 appends in flight, fdatasync'ed group commits.
    do {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (store, wal, _) = try openStore(directory: directory, durability: .fsync, compactAfter: 0)
        let batches = 3_000
        let elapsed = seconds { appendEvents(store, batches: batches, streams: 100, inFlight: 16) }
        let metrics = wal.metrics
        line(
            "durable append (fsync, \(eventsPerAppend) events/append, 16 in flight)",
            String(format: "%.0f events/s, %d fsyncs", Double(batches * eventsPerAppend) / elapsed, metrics.fsyncs),
            ">= 200000 events/s"
        )
        wal.close()
    }

    // Catch-up reads: 1M events in 100 streams, read back through $all, one stream, and a subscription.
    let store = KVStore(configuration: StoreConfiguration(compactAfterRecords: 0), log: nil)
    appendEvents(store, batches: 10_000, streams: 100, inFlight: 64)
    let total = 10_000 * eventsPerAppend
    var read = 0
    let allSeconds = try seconds {
        var cursor: Int64? = 0
        while let from = cursor {
            let batch = try store.read(stream: KVStore.allStreams, from: from, backwards: false, maxCount: 256, maxBytes: 1 << 20)
            read += batch.events.count
            cursor = batch.events.isEmpty ? nil : batch.next
        }
    }
    precondition(read == total, "read \(read) of \(total) events")
    line("catch-up read $all (in-process, 256/batch)", String(format: "%.0f events/s", Double(read) / allSeconds),
         ">= 1000000 events/s")

    var delivered = 0
    let subscription = try store.subscribe(stream: KVStore.allStreams, from: 0, group: "", typePrefix: "") {}
    let subscribeSeconds = seconds {
        while true {
            let batch = subscription.poll(maxEvents: 256, maxBytes: 1 << 20)
            delivered += batch.events.count
            if batch.events.isEmpty {
                break
            }
        }
    }
    subscription.cancel()
    precondition(delivered == total, "subscription delivered \(delivered) of \(total) events")
    line("catch-up subscription $all (in-process)", String(format: "%.0f events/s", Double(delivered) / subscribeSeconds),
         ">= 1000000 events/s")
}
