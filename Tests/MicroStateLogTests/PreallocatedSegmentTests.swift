import Foundation
import Logging
import MicroStateLog
import Testing

/// Segments created at full size and zero-filled (docs/adr/0003): the zero remainder is the clean end of the log, a
/// torn record before it is zeroed in place, the spare next segment is prepared ahead of the roll, and a full disk
/// degrades to growing segments instead of failing writes.
@Suite("Preallocated segments")
struct PreallocatedSegmentTests {
    static let segmentBytes = 4096
    static let spare = "/data/next-segment.spare"

    static func configuration(_ logger: Logger? = nil) -> LogConfiguration {
        var configuration = simulatedConfiguration(segmentBytes: Self.segmentBytes)
        if let logger {
            configuration.logger = logger
        }
        return configuration
    }

    static func append(_ log: WriteAheadLog, _ indexes: ClosedRange<UInt64>, size: Int = 100) -> [UInt64] {
        let acks = Acknowledgements()
        for index in indexes {
            log.append(payload(index: index, size: size)) { acks.record($0) }
        }
        _ = acks.wait(for: indexes.count)
        return acks.acknowledged
    }

    static func segments(_ fileSystem: SimulatedFileSystem) -> [String] {
        fileSystem.allFiles.filter { $0.hasSuffix(".wal") }
    }

    /// Offset just past record `count` of a segment holding records of `size` bytes from its start.
    static func end(ofRecords count: Int, size: Int = 100) -> Int {
        32 + count * (16 + size)
    }

    @Test("A preallocated segment with a clean zero tail recovers every record and is left untouched")
    func cleanZeroTail() throws {
        let fileSystem = SimulatedFileSystem()
        let (log, _) = try openLog(Self.configuration(), fileSystem)
        #expect(Self.append(log, 1...5) == Array(1...5))
        let metrics = log.metrics
        log.close()
        #expect(metrics.diskBytes == 2 * Self.segmentBytes, "active segment plus the spare: \(metrics)")
        let path = Self.segments(fileSystem)[0]
        let before = fileSystem.contents(atPath: path)!
        #expect(before.count == Self.segmentBytes)
        #expect(before[Self.end(ofRecords: 5)...].allSatisfy { $0 == 0 })
        #expect(fileSystem.contents(atPath: Self.spare)?.count == Self.segmentBytes, "the spare is ready on disk")

        let operations = fileSystem.mutatingOperations
        let (reopened, recovered) = try openLog(Self.configuration(), fileSystem)
        #expect(recovered.records.map(\.index) == Array(1...5))
        #expect(fileSystem.mutatingOperations == operations, "a clean end needs no repair and the spare is reused")
        reopened.close()
        #expect(fileSystem.contents(atPath: path)! == before)
    }

    @Test("A torn record followed by zeros is a torn tail: zeroed in place, the preallocation kept")
    func tornRecordThenZeros() throws {
        let fileSystem = SimulatedFileSystem()
        let (log, _) = try openLog(Self.configuration(), fileSystem)
        #expect(Self.append(log, 1...3) == Array(1...3))
        log.close()
        let path = Self.segments(fileSystem)[0]
        var bytes = fileSystem.contents(atPath: path)!
        // Half of record 4's frame reached the disk, then zeros: a torn write.
        let torn = payload(index: 4, size: 100)
        let tornOffset = Self.end(ofRecords: 3)
        bytes.replaceSubrange(tornOffset..<(tornOffset + 16), with: [0x12, 0x34, 0x56, 0x78, 100, 0, 0, 0,
                                                                         4, 0, 0, 0, 0, 0, 0, 0])
        bytes.replaceSubrange((tornOffset + 16)..<(tornOffset + 66), with: torn[0..<50])
        fileSystem.setContents(bytes, atPath: path)

        let (reopened, recovered) = try openLog(Self.configuration(), fileSystem)
        #expect(recovered.records.map(\.index) == Array(1...3))
        let repaired = fileSystem.contents(atPath: path)!
        #expect(repaired.count == Self.segmentBytes, "not truncated")
        #expect(repaired[tornOffset...].allSatisfy { $0 == 0 }, "the torn bytes are zeroed")
        // The log continues where the torn record was, and that recovers.
        #expect(Self.append(reopened, 4...6) == Array(4...6))
        reopened.close()
        let (again, second) = try openLog(Self.configuration(), fileSystem)
        again.close()
        #expect(second.records.map(\.index) == Array(1...6))
        #expect(second.records.allSatisfy { $0.payload == payload(index: $0.index, size: 100) })
    }

    @Test("Garbage followed by zeros and then a valid record is corruption naming file and offset")
    func garbageZerosThenValidRecord() throws {
        let fileSystem = SimulatedFileSystem()
        let (log, _) = try openLog(Self.configuration(), fileSystem)
        #expect(Self.append(log, 1...6) == Array(1...6))
        log.close()
        let path = Self.segments(fileSystem)[0]
        var bytes = fileSystem.contents(atPath: path)!
        // Record 3 becomes a few garbage bytes then zeros; records 4...6 are intact after it.
        let damaged = Self.end(ofRecords: 2)
        let garbage: [UInt8] = [0xDE, 0xAD, 0xBE, 0xEF] + [UInt8](repeating: 0, count: 112)
        bytes.replaceSubrange(damaged..<(damaged + 116), with: garbage)
        fileSystem.setContents(bytes, atPath: path)
        #expect {
            _ = try openLog(Self.configuration(), fileSystem)
        } throws: { error in
            let error = error as? LogError
            return error?.code == .corrupt && error?.path == path && error?.offset == damaged
                && error?.message.contains("valid records follow") == true
        }
        // The same with nothing but zeros where record 3 was: zeros are not an end while records follow them.
        bytes.replaceSubrange(damaged..<(damaged + 4), with: [0, 0, 0, 0])
        fileSystem.setContents(bytes, atPath: path)
        #expect {
            _ = try openLog(Self.configuration(), fileSystem)
        } throws: { error in
            (error as? LogError)?.code == .corrupt && (error as? LogError)?.offset == damaged
        }
    }

    @Test("Empty records at the end are records, not the zero remainder")
    func emptyRecordsAtTheEnd() throws {
        let fileSystem = SimulatedFileSystem()
        let (log, _) = try openLog(Self.configuration(), fileSystem)
        #expect(Self.append(log, 1...4, size: 0) == Array(1...4))
        log.close()
        let (reopened, recovered) = try openLog(Self.configuration(), fileSystem)
        reopened.close()
        #expect(recovered.records.map(\.index) == Array(1...4))
        #expect(recovered.records.allSatisfy { $0.payload.isEmpty })
    }

    @Test("After a restart the next record goes right after the last one, not at the end of the file")
    func restartAppendsAfterLastRecord() throws {
        let fileSystem = SimulatedFileSystem()
        for (run, range) in [(1, UInt64(1)...3), (2, 4...5), (3, 6...8)] {
            let (log, recovered) = try openLog(Self.configuration(), fileSystem)
            #expect(recovered.records.map(\.index) == Array(1..<range.lowerBound), "run \(run)")
            #expect(Self.append(log, range) == Array(range), "run \(run)")
            log.close()
        }
        let segments = Self.segments(fileSystem)
        #expect(segments.count == 1, "\(segments)")
        let bytes = fileSystem.contents(atPath: segments[0])!
        #expect(bytes.count == Self.segmentBytes)
        // Record 6 sits directly after record 5, with its index in its header.
        let sixth = Self.end(ofRecords: 5)
        #expect(Array(bytes[(sixth + 8)..<(sixth + 16)]) == [6, 0, 0, 0, 0, 0, 0, 0])
        #expect(bytes[Self.end(ofRecords: 8)...].allSatisfy { $0 == 0 })
        let (log, recovered) = try openLog(Self.configuration(), fileSystem)
        log.close()
        #expect(recovered.records.map(\.index) == Array(1...8))
    }

    @Test("Rolling takes the prepared spare, and a new spare is prepared for the next roll")
    func rollToPreparedSpare() throws {
        let fileSystem = SimulatedFileSystem()
        let (log, _) = try openLog(Self.configuration(), fileSystem)
        // 35 records of 116 bytes fill a 4 KiB segment; 80 records need three segments.
        #expect(Self.append(log, 1...80) == Array(1...80))
        let metrics = log.metrics
        log.close()
        #expect(metrics.segmentCount == 3)
        #expect(metrics.rollsWithoutSpare == 0, "\(metrics)")
        #expect(metrics.diskBytes == 4 * Self.segmentBytes, "three segments and the spare")
        let segments = Self.segments(fileSystem)
        #expect(segments.count == 3)
        for path in segments {
            #expect(fileSystem.contents(atPath: path)!.count == Self.segmentBytes, "\(path)")
        }
        #expect(fileSystem.contents(atPath: Self.spare)?.count == Self.segmentBytes)
        #expect(fileSystem.operationKinds.filter { $0 == "rename" }.count >= 2 + 2, "spares renamed ready, then in")
        let (reopened, recovered) = try openLog(Self.configuration(), fileSystem)
        reopened.close()
        #expect(recovered.records.map(\.index) == Array(1...80))
    }

    @Test("With background preparation the writer rolls into the spare the helper thread prepared")
    func backgroundSpare() throws {
        let fileSystem = SimulatedFileSystem()
        var configuration = Self.configuration()
        configuration.segmentPreparation = .background
        let (log, _) = try openLog(configuration, fileSystem)
        var produced: UInt64 = 0
        for round in 1...3 {
            let deadline = Date().addingTimeInterval(10)
            while fileSystem.contents(atPath: Self.spare) == nil && Date() < deadline {
                usleep(1000)
            }
            #expect(fileSystem.contents(atPath: Self.spare) != nil, "spare ready before roll \(round)")
            #expect(Self.append(log, (produced + 1)...(produced + 35)) == Array((produced + 1)...(produced + 35)))
            produced += 35
        }
        let metrics = log.metrics
        log.close()
        #expect(metrics.segmentCount == 3)
        #expect(metrics.rollsWithoutSpare == 0, "\(metrics)")
        let (reopened, recovered) = try openLog(configuration, fileSystem)
        reopened.close()
        #expect(recovered.records.map(\.index) == Array(1...produced))
    }

    @Test("A full disk fails the spare's preparation; the roll warns and grows the segment instead of failing writes")
    func spareFailsWithNoSpace() throws {
        let fileSystem = SimulatedFileSystem()
        // Room for the first segment and 1000 bytes more: no spare fits, nor a preallocated next segment.
        fileSystem.capacity = Self.segmentBytes + 1000
        let messages = CapturedLog()
        let (log, _) = try openLog(Self.configuration(messages.logger), fileSystem)
        #expect(log.metrics.sparePreparationFailures == 1)
        #expect(!fileSystem.allFiles.contains { $0.contains("spare") }, "the partial spare is removed")
        // 35 records fill the first segment; 5 more go into a segment that grows with them.
        #expect(Self.append(log, 1...40) == Array(1...40), "writes do not fail")
        let metrics = log.metrics
        log.close()
        #expect(metrics.rollsWithoutSpare == 1)
        #expect(metrics.sparePreparationFailures == 2, "retried after the roll, failed again")
        let warnings = messages.warnings
        #expect(warnings.contains { $0.contains("could not prepare the next log segment") && $0.contains("errno 28") },
                "\(warnings)")
        #expect(warnings.contains { $0.contains("no spare log segment") && $0.contains("No space left on device") },
                "\(warnings)")
        #expect(warnings.contains { $0.contains("could not preallocate log segment") }, "\(warnings)")
        let segments = Self.segments(fileSystem)
        #expect(fileSystem.contents(atPath: segments[1])!.count == Self.end(ofRecords: 5), "grown, not preallocated")

        fileSystem.capacity = nil
        let (reopened, recovered) = try openLog(Self.configuration(), fileSystem)
        #expect(recovered.records.map(\.index) == Array(1...40))
        #expect(Self.append(reopened, 41...42) == [41, 42], "appends continue in the grown segment")
        reopened.close()
        let (again, second) = try openLog(Self.configuration(), fileSystem)
        again.close()
        #expect(second.records.map(\.index) == Array(1...42))
    }

    @Test("A version 1 segment (ending at its last record) is still read and appended to")
    func versionOneSegment() throws {
        let fileSystem = SimulatedFileSystem()
        let (log, _) = try openLog(Self.configuration(), fileSystem)
        #expect(Self.append(log, 1...3) == Array(1...3))
        log.close()
        let path = Self.segments(fileSystem)[0]
        var bytes = Array(fileSystem.contents(atPath: path)![0..<Self.end(ofRecords: 3)])
        bytes[8] = 1  // version 1, header CRC recomputed
        let crc = CRC32C.checksum(Array(bytes[0..<24]))
        bytes.replaceSubrange(24..<28, with: withUnsafeBytes(of: crc.littleEndian) { Array($0) })
        fileSystem.setContents(bytes, atPath: path)
        let (reopened, recovered) = try openLog(Self.configuration(), fileSystem)
        #expect(recovered.records.map(\.index) == Array(1...3))
        #expect(Self.append(reopened, 4...4) == [4])
        reopened.close()
        let (again, second) = try openLog(Self.configuration(), fileSystem)
        again.close()
        #expect(second.records.map(\.index) == Array(1...4))
    }

    @Test("Real files: segments and the spare are full-size on disk and the log recovers and continues")
    func realFiles() throws {
        let directory = NSTemporaryDirectory() + "microstate-prealloc-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = LogConfiguration(directory: directory)
        configuration.segmentBytes = 64 << 10
        let (log, _) = try openLog(configuration, PosixFileSystem())
        let acks = Acknowledgements()
        for index in 1...300 {
            log.append(payload(index: UInt64(index), size: 500)) { acks.record($0) }
        }
        #expect(acks.wait(for: 300))
        log.close()
        #expect(acks.acknowledged == Array(1...300))
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        let segments = names.filter { $0.hasSuffix(".wal") }
        #expect(segments.count == 3, "\(names)")  // 516-byte frames: 126 per 64 KiB segment
        for name in segments {
            let size = try FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as? Int
            #expect(size == 64 << 10, "\(name)")
        }

        for (first, last) in [(301, 310), (311, 400)] {
            let (reopened, recovered) = try openLog(configuration, PosixFileSystem())
            #expect(recovered.records.map(\.index) == Array(1...UInt64(first - 1)))
            #expect(recovered.records.allSatisfy { $0.payload == payload(index: $0.index, size: 500) })
            let more = Acknowledgements()
            for index in first...last {
                reopened.append(payload(index: UInt64(index), size: 500)) { more.record($0) }
            }
            #expect(more.wait(for: last - first + 1))
            reopened.close()
            #expect(more.acknowledged == Array(UInt64(first)...UInt64(last)))
        }
        let (final, recovered) = try openLog(configuration, PosixFileSystem())
        final.close()
        #expect(recovered.records.map(\.index) == Array(1...400))
    }
}

/// Collects what the log logs at warning level and above, for tests that check an operator is told.
final class CapturedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var logger: Logger {
        Logger(label: "microstate.log.test") { _ in CapturingHandler(sink: self) }
    }

    var warnings: [String] {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.lines
    }

    fileprivate func add(_ line: String) {
        self.lock.lock()
        self.lines.append(line)
        self.lock.unlock()
    }
}

private struct CapturingHandler: LogHandler {
    let sink: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .warning
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let metadata = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        self.sink.add("\(event.level) \(event.message) \(metadata.joined(separator: " "))")
    }
}
