// microstatedb-bench: in-process figures for `make bench` (scripts/bench.py runs it after the h2load part).
//
// Figures, not pass/fail tests. Each figure names what it measures; targets from issue #2 are printed beside
// them. `microstatedb-bench rss` runs the memory figure alone, `microstatedb-bench events-rss` the event archive's
// (RSS from 1M to 10M stored events, catch-up read over archived chunks); the parent runs both in fresh processes so
// the other figures' allocations do not count. `microstatedb-bench breaker` runs the circuit-breaker figures alone,
// `microstatedb-bench schema-registry` the registry's register and lookup throughput.
import Dispatch
import Foundation
import MicroStateLog
import MicroStateNode
import MicroStateStore

let keyCount = Int(ProcessInfo.processInfo.environment["BENCH_KEYS"] ?? "") ?? 1_000_000
let valueBytes = 100

/// 16-byte keys: "key-" + 12 digits.
func key(_ index: Int) -> [UInt8] {
    var digits = Array(String(index).utf8)
    digits = [UInt8](repeating: UInt8(ascii: "0"), count: max(0, 12 - digits.count)) + digits
    return Array("key-".utf8) + digits
}

let value = [UInt8](repeating: UInt8(ascii: "v"), count: valueBytes)

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func residentBytes() -> Int {
    let fields = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8))?.split(separator: " ") ?? []
    return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Puts `count` keys, keeping at most `inFlight` outstanding (so group commit can batch).
func load(_ store: KVStore, count: Int, inFlight: Int) {
    let window = DispatchSemaphore(value: inFlight)
    let done = DispatchGroup()
    for index in 0..<count {
        window.wait()
        done.enter()
        store.put(key: key(index), value: value) { result in
            if case .failure(let error) = result {
                fatalError("put failed: \(error)")
            }
            window.signal()
            done.leave()
        }
    }
    done.wait()
}

func openStore(directory: String, durability: Durability, compactAfter: Int) throws -> (KVStore, WriteAheadLog, Int) {
    let adapter = WALStoreLog()
    let store = KVStore(configuration: StoreConfiguration(compactAfterRecords: compactAfter), log: adapter)
    var records = 0
    let wal = try WriteAheadLog.open(LogConfiguration(directory: directory, durability: durability)) { item in
        switch item {
        case .snapshot(let index, let payload):
            try store.restore(snapshot: payload, index: index)
        case .record(let index, let payload):
            try store.replay(record: payload, index: index)
            records += 1
        }
    }
    adapter.attach(wal)
    return (store, wal, records)
}

func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "microstatedb-bench-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func line(_ name: String, _ value: String, _ target: String = "") {
    let padded = name.padding(toLength: 46, withPad: " ", startingAt: 0)
    // Unbuffered write(2): lines stay in order when stdout is a pipe shared with the `rss` child process.
    FileHandle.standardOutput.write(Data("  \(padded)\(value)\(target.isEmpty ? "" : "   target \(target)")\n".utf8))
}

func rssFigure() {
    let before = residentBytes()
    let store = KVStore(configuration: StoreConfiguration(compactAfterRecords: 0), log: nil)
    load(store, count: keyCount, inFlight: 1)
    let after = residentBytes()
    let raw = keyCount * (16 + valueBytes)
    line(
        "RSS for \(keyCount) keys (16 B + \(valueBytes) B)",
        String(format: "%.0f MB over %.0f MB raw = %.2fx (whole process %.0f MB)",
               Double(after - before) / 1e6, Double(raw) / 1e6, Double(after - before) / Double(raw), Double(after) / 1e6),
        "<= 2.00x"
    )
    withExtendedLifetime(store) {}
}

func main() throws {
    if CommandLine.arguments.dropFirst().first == "rss" {
        rssFigure()
        return
    }
    if CommandLine.arguments.dropFirst().first == "events-rss" {
        try eventsRSSFigure()
        return
    }
    if CommandLine.arguments.dropFirst().first == "events" {
        try eventFigures()
        return
    }
    if CommandLine.arguments.dropFirst().first == "breaker" {
        breakerFigures()
        return
    }
    if CommandLine.arguments.dropFirst().first == "schema-registry" {
        try schemaRegistryFigures()
        return
    }
    if CommandLine.arguments.dropFirst().first == "schema-validation" {
        schemaValidationFigures()
        return
    }
    // Store, in memory: the cost of the MVCC map itself.
    let store = KVStore(configuration: StoreConfiguration(compactAfterRecords: 0), log: nil)
    let putSeconds = seconds { load(store, count: keyCount, inFlight: 1) }
    line("store Put (memory, 1 thread)", String(format: "%.0f ops/s", Double(keyCount) / putSeconds))
    var rng = SystemRandomNumberGenerator()
    let probes = (0..<1_000_000).map { _ in key(Int.random(in: 0..<keyCount, using: &rng)) }
    var found = 0
    let getSeconds = try seconds {
        for probe in probes where try store.get(key: probe) != nil {
            found += 1
        }
    }
    precondition(found == probes.count)
    line("store Get (random key of \(keyCount), 1 thread)", String(format: "%.0f ops/s", Double(probes.count) / getSeconds))

    // One hot key written over and over: its history reaches the retention (100k revisions) and compaction
    // trims it on every write; this must stay O(log versions), not O(versions).
    let hot = KVStore(configuration: StoreConfiguration(compactAfterRecords: 0), log: nil)
    let hotCount = 300_000
    let hotSeconds = seconds {
        let done = DispatchGroup()
        for _ in 0..<hotCount {
            done.enter()
            hot.put(key: key(1), value: value) { _ in done.leave() }
        }
        done.wait()
    }
    line("store Put, one hot key (\(hotCount) versions)", String(format: "%.0f ops/s", Double(hotCount) / hotSeconds))

    // WAL append through the store, 64 writes in flight (as h2load -c 4 -m 16 keeps them).
    for durability in [Durability.fsync, .os] {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (durableStore, wal, _) = try openStore(directory: directory, durability: durability, compactAfter: 0)
        let count = durability == .fsync ? 100_000 : 300_000
        let elapsed = seconds { load(durableStore, count: count, inFlight: 64) }
        let metrics = wal.metrics
        let fsyncText = metrics.fsyncs > 0
            ? String(format: ", %d fsyncs, avg %.0f µs, %.0f records/batch", metrics.fsyncs,
                     metrics.fsyncSecondsTotal / Double(metrics.fsyncs) * 1e6, Double(count) / Double(metrics.fsyncs))
            : ""
        line("durable Put via WAL (\(durability.rawValue), 64 in flight)",
             String(format: "%.0f ops/s", Double(count) / elapsed) + fsyncText)
        wal.close()
    }

    // Recovery: log of keyCount Put records (no snapshot), reopened and replayed into a new store.
    let directory = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    do {
        let (writer, wal, _) = try openStore(directory: directory, durability: .os, compactAfter: 0)
        load(writer, count: keyCount, inFlight: 256)
        wal.close()
    }
    var replayed = 0
    let recoverySeconds = try seconds {
        let (_, wal, records) = try openStore(directory: directory, durability: .os, compactAfter: 0)
        replayed = records
        wal.close()
    }
    line("recovery (WAL open + store replay)",
         String(format: "%.0f records/s (%d records in %.2f s)", Double(replayed) / recoverySeconds, replayed, recoverySeconds),
         ">= 500000 records/s")

    try eventFigures()

    // Resilience: circuit-breaker decision cost and allocations.
    breakerFigures()

    // Schema registry: register and lookup throughput, validation cost per payload.
    try schemaRegistryFigures()
    schemaValidationFigures()

    // RSS in fresh processes: the KV map, then the event archive's bounded memory.
    for figure in ["rss", "events-rss"] {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = [figure]
        try child.run()
        child.waitUntilExit()
    }
}

if CommandLine.arguments.dropFirst().first == "subscribers" {
    try await subscriberFigure(arguments: Array(CommandLine.arguments.dropFirst(2)))
} else {
    try main()
}
