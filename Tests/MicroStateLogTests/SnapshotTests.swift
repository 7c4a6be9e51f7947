import Foundation
import MicroStateLog
import Testing

@Suite("Snapshots")
struct SnapshotTests {
    static func configuration() -> LogConfiguration {
        var configuration = simulatedConfiguration(segmentBytes: 32 + 10 * 116)
        configuration.snapshotChunkBytes = 1000
        return configuration
    }

    static func snapshotPayload(_ index: UInt64) -> [UInt8] {
        (0..<4321).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ Int(index)) }
    }

    static func fill(_ log: WriteAheadLog, through last: UInt64) {
        let acks = Acknowledgements()
        let first = log.lastIndex + 1
        for index in first...last {
            log.append(payload(index: index, size: 100)) { acks.record($0) }
        }
        _ = acks.wait(for: Int(last - first + 1))
    }

    /// Streams the payload in uneven pieces, crossing chunk boundaries.
    static func write(_ log: WriteAheadLog, index: UInt64) throws {
        let bytes = Self.snapshotPayload(index)
        try log.writeSnapshot(index: index) { sink in
            var start = 0
            var piece = 1
            while start < bytes.count {
                let end = min(bytes.count, start + piece)
                try sink.write(Array(bytes[start..<end]))
                start = end
                piece = piece * 3 + 1
            }
        }
    }

    @Test("A snapshot compacts covered segments; recovery is the snapshot plus later records")
    func snapshotAndCompaction() throws {
        let fileSystem = SimulatedFileSystem()
        let (log, _) = try openLog(Self.configuration(), fileSystem)
        Self.fill(log, through: 100)
        let before = log.metrics
        #expect(before.segmentCount == 10)
        try Self.write(log, index: 60)
        let after = log.metrics
        #expect(after.lastSnapshotIndex == 60)
        #expect(after.segmentCount == 4, "segments 1... through 51...60 are all <= 60 and go")
        Self.fill(log, through: 130)
        log.close()

        let (reopened, recovered) = try openLog(Self.configuration(), fileSystem)
        #expect(recovered.snapshot?.index == 60)
        #expect(recovered.snapshot?.payload == Self.snapshotPayload(60))
        #expect(recovered.records.map(\.index) == Array(61...130))
        #expect(recovered.records.allSatisfy { $0.payload == payload(index: $0.index, size: 100) })
        #expect(reopened.metrics.lastSnapshotIndex == 60)
        reopened.close()
    }

    @Test("Only the newest snapshot and the one before it are kept")
    func snapshotRetention() throws {
        let fileSystem = SimulatedFileSystem()
        let (log, _) = try openLog(Self.configuration(), fileSystem)
        Self.fill(log, through: 40)
        for index: UInt64 in [10, 20, 30, 40] {
            try Self.write(log, index: index)
        }
        log.close()
        let snapshots = fileSystem.allFiles.filter { $0.hasSuffix(".snap") }
        #expect(snapshots == ["/data/00000000000000000030.snap", "/data/00000000000000000040.snap"])
    }

    @Test("Snapshot indexes that are zero, ahead of the log or not newer are refused")
    func invalidSnapshotIndex() throws {
        let (log, _) = try openLog(Self.configuration(), SimulatedFileSystem())
        defer { log.close() }
        Self.fill(log, through: 5)
        try Self.write(log, index: 3)
        for index: UInt64 in [0, 6, 3, 2] {
            #expect(throws: LogError.self, "index \(index)") { try Self.write(log, index: index) }
        }
    }

    @Test("A corrupt or truncated snapshot refuses to start, naming file and offset")
    func corruptSnapshot() throws {
        let fileSystem = SimulatedFileSystem()
        let (log, _) = try openLog(Self.configuration(), fileSystem)
        Self.fill(log, through: 20)
        try Self.write(log, index: 20)
        log.close()
        let path = "/data/00000000000000000020.snap"
        let original = fileSystem.contents(atPath: path)!
        // Header, a chunk header, chunk data, the end frame; then truncation.
        let cases: [(name: String, damage: ([UInt8]) -> [UInt8], offset: Int)] = [
            ("header bit", { var b = $0; b[17] ^= 1; return b }, 0),
            ("chunk length", { var b = $0; b[32] ^= 4; return b }, 32),
            ("chunk data", { var b = $0; b[32 + 8 + 500] ^= 0x80; return b }, 32),
            ("second chunk data", { var b = $0; b[32 + 1008 + 8 + 3] ^= 2; return b }, 32 + 1008),
            ("end frame total", { var b = $0; b[b.count - 2] ^= 1; return b }, original.count - 16),
            ("truncated end frame", { Array($0.dropLast(3)) }, original.count - 16),
            ("missing end frame", { Array($0.dropLast(16)) }, original.count - 16),
            ("trailing garbage", { $0 + [0] }, original.count - 16),
        ]
        for testCase in cases {
            let copy = fileSystem.copy()
            copy.setContents(testCase.damage(original), atPath: path)
            do {
                let (log, _) = try openLog(Self.configuration(), copy)
                log.close()
                Issue.record("corrupt snapshot accepted: \(testCase.name)")
            } catch let error as LogError {
                #expect(error.code == .corrupt, "\(testCase.name): \(error)")
                #expect(error.path == path, "\(testCase.name): \(error)")
                #expect(error.offset == testCase.offset, "\(testCase.name): \(error)")
            }
        }
    }

    @Test("A crash at any point of writing a snapshot leaves a recoverable log with every record")
    func crashDuringSnapshot() throws {
        let reference = SimulatedFileSystem()
        let (log, _) = try openLog(Self.configuration(), reference)
        Self.fill(log, through: 50)
        let start = reference.mutatingOperations
        try Self.write(log, index: 45)
        let end = reference.mutatingOperations
        log.close()
        for operation in (start + 1)...(end + 1) {
            let fileSystem = SimulatedFileSystem()
            let (log, _) = try openLog(Self.configuration(), fileSystem)
            Self.fill(log, through: 50)
            fileSystem.halt(atOperation: operation)
            _ = try? Self.write(log, index: 45)
            log.close()
            fileSystem.crash()
            let label = "halt at operation \(operation) (snapshot used \(start + 1)...\(end))"
            let (reopened, recovered) = try openLog(Self.configuration(), fileSystem)
            reopened.close()
            let snapshotIndex = recovered.snapshot?.index ?? 0
            #expect(snapshotIndex == 0 || snapshotIndex == 45, "\(label)")
            if snapshotIndex == 45 {
                #expect(recovered.snapshot?.payload == Self.snapshotPayload(45), "\(label)")
            }
            #expect(recovered.records.map(\.index) == Array((snapshotIndex + 1)...50), "\(label)")
            #expect(!fileSystem.allFiles.contains { $0.hasSuffix(".tmp") }, "\(label)")
        }
    }

    @Test("In os mode a snapshot ahead of records lost to power loss starts a new segment after it")
    func snapshotAheadOfRecords() throws {
        var configuration = Self.configuration()
        configuration.durability = .os
        let fileSystem = SimulatedFileSystem()
        let (log, _) = try openLog(configuration, fileSystem)
        Self.fill(log, through: 5)
        try Self.write(log, index: 5)
        log.close()
        fileSystem.crash()  // the records were never synced in os mode
        let (second, recovered) = try openLog(configuration, fileSystem)
        #expect(recovered.snapshot?.index == 5)
        #expect(recovered.records.isEmpty)
        #expect(second.append([1]) { _ in } == 6)
        second.close()
        let (third, again) = try openLog(configuration, fileSystem)
        third.close()
        #expect(again.records.map(\.index) == [6])
    }

    @Test("rollSegment starts a new segment so that the next snapshot deletes every segment holding older records")
    func rollThenSnapshotCompactsEverything() throws {
        for durability in [Durability.fsync, .os] {
            var configuration = Self.configuration()
            configuration.durability = durability
            let fileSystem = SimulatedFileSystem()
            let (log, _) = try openLog(configuration, fileSystem)
            Self.fill(log, through: 15)
            #expect(log.metrics.segmentCount == 2, "\(durability)")
            #expect(try log.rollSegment() == 16, "\(durability)")
            #expect(log.metrics.segmentCount == 3, "\(durability)")
            #expect(log.metrics.requestedRolls == 1, "\(durability)")
            // A segment without records is not rolled again.
            #expect(try log.rollSegment() == 16, "\(durability)")
            #expect(log.metrics.segmentCount == 3, "\(durability)")
            try Self.write(log, index: 15)
            let segments = fileSystem.allFiles.filter { $0.hasSuffix(".wal") }
            #expect(segments == ["/data/00000000000000000016.wal"], "\(durability)")
            Self.fill(log, through: 17)
            log.close()
            let (reopened, recovered) = try openLog(configuration, fileSystem)
            reopened.close()
            #expect(recovered.snapshot?.index == 15, "\(durability)")
            #expect(recovered.records.map(\.index) == [16, 17], "\(durability)")
        }
    }

    @Test("rollSegment under concurrent appends keeps every record, in order, across the roll")
    func rollDuringAppends() throws {
        let fileSystem = SimulatedFileSystem()
        let (log, _) = try openLog(Self.configuration(), fileSystem)
        let acks = Acknowledgements()
        let writer = Thread {
            for index: UInt64 in 1...300 {
                log.append(payload(index: index, size: 100)) { acks.record($0) }
            }
        }
        writer.start()
        var rolls: [UInt64] = []
        for _ in 0..<20 {
            rolls.append(try log.rollSegment())
        }
        _ = acks.wait(for: 300)
        #expect(rolls == rolls.sorted())
        log.close()
        let (reopened, recovered) = try openLog(Self.configuration(), fileSystem)
        reopened.close()
        #expect(recovered.records.map(\.index) == Array(1...300))
        #expect(recovered.records.allSatisfy { $0.payload == payload(index: $0.index, size: 100) })
    }

    @Test("rollSegment on a closed log throws")
    func rollClosed() throws {
        let (log, _) = try openLog(Self.configuration(), SimulatedFileSystem())
        log.close()
        #expect(throws: LogError.self) { try log.rollSegment() }
    }

    @Test("A snapshot discarding older ones deletes them and may replace the last snapshot's index")
    func discardingOlderSnapshots() throws {
        let fileSystem = SimulatedFileSystem()
        let (log, _) = try openLog(Self.configuration(), fileSystem)
        Self.fill(log, through: 30)
        try Self.write(log, index: 10)
        try Self.write(log, index: 20)
        try log.writeSnapshot(index: 20, discardingOlder: true) { sink in try sink.write([9, 9, 9]) }
        #expect(fileSystem.allFiles.filter { $0.hasSuffix(".snap") } == ["/data/00000000000000000020.snap"])
        #expect(throws: LogError.self) { try log.writeSnapshot(index: 19, discardingOlder: true) { _ in } }
        #expect(throws: LogError.self) { try Self.write(log, index: 20) }
        log.close()
        let (reopened, recovered) = try openLog(Self.configuration(), fileSystem)
        reopened.close()
        #expect(recovered.snapshot?.index == 20)
        #expect(recovered.snapshot?.payload == [9, 9, 9])
        #expect(recovered.records.map(\.index) == Array(21...30))
    }
}
