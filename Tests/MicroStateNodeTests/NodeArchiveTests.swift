import Foundation
import MicroStateLog
import MicroStateNode
import MicroStateStore
import Testing

/// Waits for a store completion (they may run on the log's thread).
private final class Waiter<Value: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Value?

    func set(_ value: Value) {
        self.condition.withLock {
            self.value = value
            self.condition.broadcast()
        }
    }

    func wait() -> Value {
        self.condition.withLock {
            let deadline = Date(timeIntervalSinceNow: 30)
            while self.value == nil {
                precondition(self.condition.wait(until: deadline), "completion never ran")
            }
            return self.value!
        }
    }
}

extension KVStore {
    @discardableResult
    fileprivate func appendWait(_ stream: String, _ events: [StoreEventData]) -> Result<StoreAppendResult, StoreError> {
        let waiter = Waiter<Result<StoreAppendResult, StoreError>>()
        self.append(stream: stream, expected: .any, events: events) { waiter.set($0) }
        return waiter.wait()
    }

    fileprivate func deleteWait(_ stream: String, hard: Bool) throws {
        let waiter = Waiter<Result<Int64, StoreError>>()
        self.deleteStream(stream: stream, hard: hard, expected: .any) { waiter.set($0) }
        _ = try waiter.wait().get()
    }

    fileprivate func metadataWait(_ stream: String, _ metadata: StoreStreamMetadata) throws {
        let waiter = Waiter<Result<Int64, StoreError>>()
        self.setStreamMetadata(stream: stream, metadata: metadata) { waiter.set($0) }
        _ = try waiter.wait().get()
    }

    /// Every visible event of a stream (or `$all`), forwards.
    fileprivate func everything(_ stream: String) throws -> [StoreRecordedEvent] {
        var all: [StoreRecordedEvent] = []
        var from: Int64? = 0
        while let start = from {
            let batch = try self.read(stream: stream, from: start, backwards: false, maxCount: 50, maxBytes: 0)
            all += batch.events
            from = batch.next
        }
        return all
    }
}

private func randomPayload(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
}

/// Every regular file under `directory`, recursively, with its bytes.
private func filesUnder(_ directory: String) -> [(path: String, bytes: Data)] {
    let manager = FileManager.default
    guard let enumerator = manager.enumerator(atPath: directory) else {
        return []
    }
    var files: [(String, Data)] = []
    while let relative = enumerator.nextObject() as? String {
        let path = directory + "/" + relative
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
            let bytes = manager.contents(atPath: path)
        {
            files.append((path, bytes))
        }
    }
    return files
}

/// The files under `directory` holding any of `secrets` (each searched by a 48-byte slice from its middle).
private func filesHolding(_ secrets: [[UInt8]], under directory: String) -> [String] {
    let needles = secrets.map { Data($0[($0.count / 2 - 24)..<($0.count / 2 + 24)]) }
    return filesUnder(directory).filter { file in needles.contains { file.bytes.range(of: $0) != nil } }.map(\.path)
}

/// A node on real files whose window and chunks are small, so a few hundred events reach the archive.
private func startArchivingNode(_ directory: String, durability: Durability = .os) async throws -> RunningNode {
    try await RunningNode.start(onFatalError: { _ in }) {
        $0.durability = durability
        $0.dataDirectory = directory
        $0.segmentBytes = 1 << 20
        $0.limits.memoryWindowEvents = 16
        $0.archive = ArchiveConfiguration(maxEventsPerChunk: 8)
    }
}

@Suite("Node event archive")
struct NodeArchiveTests {
    @Test("A hard delete's events are erased from every file of the data directory; other streams stay readable")
    func hardDeleteErasesBytes() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let running = try await startArchivingNode(directory)
        let store = try #require(running.node.store)
        let secrets = (0..<30).map { _ in randomPayload(512) }
        for (index, secret) in secrets.enumerated() {
            store.appendWait("secret", [StoreEventData(id: "secret-\(index)", type: "Secret", data: secret)])
            store.appendWait("kept", [StoreEventData(id: "kept-\(index)", type: "Kept", data: Array("k\(index)".utf8))])
        }
        #expect(store.waitForArchiving())
        #expect(store.metrics.eventsArchived > 16)
        // The test can fail: the bytes are there before the delete, in the log and in archive chunks.
        let before = filesHolding(secrets, under: directory)
        #expect(before.contains { $0.hasSuffix(".wal") })
        #expect(before.contains { $0.hasSuffix(".chunk") })
        let kept = try store.everything("kept")
        try store.deleteWait("secret", hard: true)
        let result = try running.node.scavenge()
        #expect(result.compactedLog)
        #expect(filesHolding(secrets, under: directory) == [])
        #expect(try store.everything("kept") == kept)
        #expect(try store.everything("$all") == kept)
        // And after a restart.
        await running.stop()
        let restarted = try await startArchivingNode(directory)
        let again = try #require(restarted.node.store)
        #expect(try again.everything("kept") == kept)
        #expect(throws: StoreError.self) { try again.everything("secret") }
        #expect(filesHolding(secrets, under: directory) == [])
        await restarted.stop()
    }

    @Test("maxCount, truncateBefore and a soft delete erase the hidden events' bytes; the visible ones stay")
    func retentionErasesBytes() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let running = try await startArchivingNode(directory, durability: .fsync)
        let store = try #require(running.node.store)
        var hidden: [[UInt8]] = []
        var visible: [[UInt8]] = []
        for index in 0..<20 {
            for stream in ["count", "truncate", "soft"] {
                let secret = randomPayload(256)
                store.appendWait(stream, [StoreEventData(id: "\(stream)-\(index)", type: "T", data: secret)])
                let shown = stream == "count" ? index >= 15 : (stream == "truncate" ? index >= 12 : false)
                if shown {
                    visible.append(secret)
                } else {
                    hidden.append(secret)
                }
            }
        }
        #expect(store.waitForArchiving())
        #expect(filesHolding(hidden, under: directory).count > 0)
        try store.metadataWait("count", StoreStreamMetadata(maxCount: 5))
        try store.metadataWait("truncate", StoreStreamMetadata(truncateBefore: 12))
        try store.deleteWait("soft", hard: false)
        try running.node.scavenge()
        #expect(filesHolding(hidden, under: directory) == [])
        #expect(Set(filesHolding(visible, under: directory)).count > 0)
        let shown = try store.everything("count").map(\.data) + store.everything("truncate").map(\.data)
        #expect(Set(shown) == Set(visible))
        #expect(try store.everything("soft").isEmpty)
        await running.stop()
        let restarted = try await startArchivingNode(directory, durability: .fsync)
        let again = try #require(restarted.node.store)
        #expect(Set(try again.everything("count").map(\.data) + again.everything("truncate").map(\.data)) == Set(visible))
        await restarted.stop()
    }

    @Test("Restart with archived and unarchived events and snapshots rebuilds the same reads and infos")
    func restart() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let running = try await startArchivingNode(directory, durability: .fsync)
        let store = try #require(running.node.store)
        for index in 0..<60 {
            store.appendWait("s\(index % 4)", (0..<(1 + index % 3)).map { StoreEventData(id: "e\(index)-\($0)", type: "T", data: [UInt8(index)]) })
            if index == 30 {
                try store.takeSnapshot()
            }
        }
        #expect(store.waitForArchiving())
        let names = ["$all", "s0", "s1", "s2", "s3"]
        let reads = try names.map { try store.everything($0) }
        let infos = try names.dropFirst().map { try store.streamInfo(stream: $0) }
        await running.stop()
        let restarted = try await startArchivingNode(directory, durability: .fsync)
        let again = try #require(restarted.node.store)
        #expect(try names.map { try again.everything($0) } == reads)
        #expect(try names.dropFirst().map { try again.streamInfo(stream: $0) } == infos)
        #expect(again.metrics.eventsArchived > 0)
        // A retried append of an archived event is recognised.
        let first = reads[1][0]
        let retry = again.appendWait(first.stream, [StoreEventData(id: first.id, type: "T", data: first.data)])
        #expect(try retry.get().lastRevision == first.revision)
        await restarted.stop()
    }

    @Test("A crash at any point of a seal (power loss or process crash) recovers every acknowledged event")
    func crashDuringSeal() async throws {
        for powerLoss in [true, false] {
            var offset = 1
            var sawCompleteSeal = false
            while offset < 40 && !sawCompleteSeal {
                let fileSystem = SimulatedFileSystem()
                let configure: @Sendable (inout NodeConfiguration) -> Void = {
                    $0.durability = .fsync
                    $0.dataDirectory = "/data"
                    $0.segmentBytes = 64 << 10
                    $0.limits.memoryWindowEvents = 8
                    $0.archive = ArchiveConfiguration(maxEventsPerChunk: 8)
                }
                let running = try await RunningNode.start(fileSystem: fileSystem, onFatalError: { _ in }, configure)
                let store = try #require(running.node.store)
                for index in 0..<8 {
                    store.appendWait("s", [StoreEventData(id: "a\(index)", type: "T", data: [UInt8(index)])])
                }
                try store.takeSnapshot()
                // The spare segment is prepared on a helper thread: wait for it, so the operations counted from
                // here are the append's and the seal's only.
                for _ in 0..<500 where !fileSystem.allFiles.contains("/data/next-segment.spare") {
                    try await Task.sleep(for: .milliseconds(2))
                }
                let start = fileSystem.mutatingOperations
                fileSystem.halt(atOperation: start + offset)
                let acked = (try? store.appendWait("s", (8..<16).map {
                    StoreEventData(id: "a\($0)", type: "T", data: [UInt8($0)])
                }).get()) != nil
                store.waitForArchiving()
                let halted = fileSystem.isHalted
                sawCompleteSeal = !halted
                await running.stop()
                if powerLoss {
                    fileSystem.crash()
                } else {
                    fileSystem.restartProcess()
                }
                let label = "\(powerLoss ? "power loss" : "process crash") at operation +\(offset)"
                let recovered = try await RunningNode.start(fileSystem: fileSystem, onFatalError: { _ in }, configure)
                let again = try #require(recovered.node.store)
                let ids = try again.everything("s").map(\.id)
                #expect(ids == (0..<8).map { "a\($0)" } || ids == (0..<16).map { "a\($0)" }, "\(label): \(ids)")
                if acked {
                    #expect(ids.count == 16, "\(label): acknowledged events lost")
                }
                #expect(try again.everything("$all").map(\.id) == ids, "\(label)")
                // The store goes on: more appends archive and read back.
                again.appendWait("s", (16..<30).map { StoreEventData(id: "a\($0)", type: "T", data: [UInt8($0)]) })
                #expect(again.waitForArchiving(), "\(label)")
                #expect(try again.everything("s").map(\.id).suffix(14) == (16..<30).map { "a\($0)" }, "\(label)")
                await recovered.stop()
                offset += 1
            }
            #expect(sawCompleteSeal, "the seal never completed within the operations tried")
        }
    }

    @Test("A crash at any point of a scavenge keeps the state; the next scavenge erases every byte of the stream")
    func crashDuringScavenge() async throws {
        for powerLoss in [true, false] {
            var offset = 1
            var sawCompleteScavenge = false
            while offset < 80 && !sawCompleteScavenge {
                let fileSystem = SimulatedFileSystem()
                let configure: @Sendable (inout NodeConfiguration) -> Void = {
                    $0.durability = .fsync
                    $0.dataDirectory = "/data"
                    $0.segmentBytes = 64 << 10
                    $0.limits.memoryWindowEvents = 8
                    $0.archive = ArchiveConfiguration(maxEventsPerChunk: 8)
                    $0.scavengeDelay = .seconds(3600)  // scavenges only when the test says
                }
                let running = try await RunningNode.start(fileSystem: fileSystem, onFatalError: { _ in }, configure)
                let store = try #require(running.node.store)
                let secrets = (0..<12).map { _ in randomPayload(200) }
                for (index, secret) in secrets.enumerated() {
                    store.appendWait("gone", [StoreEventData(id: "g\(index)", type: "T", data: secret)])
                    store.appendWait("kept", [StoreEventData(id: "k\(index)", type: "T", data: [UInt8(index)])])
                }
                #expect(store.waitForArchiving())
                try store.deleteWait("gone", hard: true)
                for _ in 0..<500 where !fileSystem.allFiles.contains("/data/next-segment.spare") {
                    try await Task.sleep(for: .milliseconds(2))
                }
                let start = fileSystem.mutatingOperations
                fileSystem.halt(atOperation: start + offset)
                _ = try? running.node.scavenge()
                sawCompleteScavenge = !fileSystem.isHalted
                await running.stop()
                if powerLoss {
                    fileSystem.crash()
                } else {
                    fileSystem.restartProcess()
                }
                let label = "\(powerLoss ? "power loss" : "process crash") at operation +\(offset)"
                let recovered = try await RunningNode.start(fileSystem: fileSystem, onFatalError: { _ in }, configure)
                let again = try #require(recovered.node.store)
                #expect(try again.everything("kept").map(\.id) == (0..<12).map { "k\($0)" }, "\(label)")
                #expect(throws: StoreError.self, "\(label)") { try again.everything("gone") }
                #expect(try again.everything("$all").map(\.id) == (0..<12).map { "k\($0)" }, "\(label)")
                try recovered.node.scavenge()
                let holding = fileSystem.allFiles.filter { path in
                    guard let bytes = fileSystem.contents(atPath: path) else { return false }
                    return secrets.contains { secret in
                        let needle = secret[90..<130]
                        return bytes.withUnsafeBufferPointer { haystack in
                            Data(haystack).range(of: Data(needle)) != nil
                        }
                    }
                }
                #expect(holding == [], "\(label)")
                await recovered.stop()
                offset += 1
            }
            #expect(sawCompleteScavenge, "the scavenge never completed within the operations tried")
            // A roll, a snapshot, chunk rewrites: many operations, each one a crash point above.
            #expect(offset > 12, "the scavenge took only \(offset - 1) operations")
        }
    }

    @Test("The admin port exports the event and archive metrics and runs a scavenge on POST /admin/compact")
    func metricsAndCompact() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let running = try await startArchivingNode(directory)
        let store = try #require(running.node.store)
        for index in 0..<40 {
            store.appendWait("m", [StoreEventData(id: "m\(index)", type: "T", data: [1])])
        }
        #expect(store.waitForArchiving())
        let (_, metrics) = try running.admin("/metrics")
        for name in [
            "microstatedb_events_streams 1", "microstatedb_events_in_memory ", "microstatedb_events_archived ",
            "microstatedb_archive_chunks ", "microstatedb_archive_disk_bytes ", "microstatedb_events_subscriptions 0",
            "microstatedb_events_groups 0", "microstatedb_events_id_window 40", "microstatedb_scavenges_total ",
            "microstatedb_archive_failures_total 0",
        ] {
            #expect(metrics.contains("\n" + name), "\(name)")
        }
        #expect(try running.admin("/admin/compact").0.contains("405"))
        let (status, body) = try running.post("/admin/compact")
        #expect(status.contains("200"), "\(status) \(body)")
        #expect(body.contains("scavenged"))
        #expect(store.metrics.scavenges >= 1)
        await running.stop()
    }
}
