import MicroStateLog
import Testing

@Suite("Corruption")
struct CorruptionTests {
    static let sizes = [0, 1, 5, 20, 3, 10, 7, 2]
    static let segmentBytes = 32 + 4 * 16 + 30  // about four small records per segment: two or more segments

    /// Writes a closed log; returns the file system, segment paths, and each record's (path, offset, size). Segments
    /// are preallocated, so each ends in zeros after its last record.
    static func writeLog() throws -> (SimulatedFileSystem, [String], [(path: String, offset: Int, bytes: Int)]) {
        let fileSystem = SimulatedFileSystem()
        let (log, _) = try openLog(simulatedConfiguration(segmentBytes: Self.segmentBytes), fileSystem)
        for (position, size) in Self.sizes.enumerated() {
            log.append(payload(index: UInt64(position + 1), size: size)) { _ in }
        }
        log.close()
        let segments = fileSystem.allFiles.filter { $0.hasSuffix(".wal") }
        var records: [(path: String, offset: Int, bytes: Int)] = []
        var next = 0
        for path in segments {
            var offset = 32
            let contents = fileSystem.contents(atPath: path)!
            #expect(contents.count == Self.segmentBytes, "segments are created at full size")
            // The records of a segment are those that fit; the rest of the file is zeros.
            while next < Self.sizes.count && offset + 16 + Self.sizes[next] <= contents.count
                && contents[offset..<(offset + 16)].contains(where: { $0 != 0 })
            {
                let bytes = 16 + Self.sizes[next]
                records.append((path, offset, bytes))
                offset += bytes
                next += 1
            }
            #expect(contents[offset...].allSatisfy { $0 == 0 }, "zero remainder of \(path)")
        }
        #expect(next == Self.sizes.count)
        return (fileSystem, segments, records)
    }

    @Test("Every single-bit flip in every segment is detected as corruption or, at the tail, zeroed as a torn tail")
    func everyBitFlip() throws {
        let (original, segments, records) = try Self.writeLog()
        #expect(segments.count >= 2, "\(segments)")
        let lastRecord = records.last!
        let lastEnd = lastRecord.offset + lastRecord.bytes
        var flips = 0
        for path in segments {
            let bytes = original.contents(atPath: path)!
            for byte in 0..<bytes.count {
                for bit in 0..<8 {
                    flips += 1
                    let fileSystem = original.copy()
                    var damaged = bytes
                    damaged[byte] ^= UInt8(1) << UInt8(bit)
                    fileSystem.setContents(damaged, atPath: path)
                    let label = "flip bit \(bit) of byte \(byte) in \(path)"
                    let containing = records.first { $0.path == path && byte >= $0.offset && byte < $0.offset + $0.bytes }
                    let inLastRecord = containing.map { $0.path == lastRecord.path && $0.offset == lastRecord.offset }
                        ?? false
                    // A flip in the zero remainder after the last record is garbage at the tail: zeroed, no loss.
                    let inLastZeros = path == lastRecord.path && byte >= lastEnd
                    // In an earlier segment's remainder it is corruption at that segment's end of records.
                    let segmentEnd = records.filter { $0.path == path }.map { $0.offset + $0.bytes }.max() ?? 32
                    let expectedOffset = containing?.offset ?? (byte < 32 ? 0 : segmentEnd)
                    do {
                        let (log, recovered) = try openLog(simulatedConfiguration(segmentBytes: Self.segmentBytes),
                                                           fileSystem)
                        log.close()
                        #expect(inLastRecord || inLastZeros, "undetected — \(label)")
                        let kept = inLastRecord ? Self.sizes.count - 1 : Self.sizes.count
                        #expect(recovered.records.map(\.index) == Array(1...UInt64(kept)),
                                "torn tail must drop only the last record — \(label)")
                        let after = fileSystem.contents(atPath: path)!
                        #expect(after.count == bytes.count, "the preallocated size is kept — \(label)")
                        let zeroedFrom = inLastRecord ? lastRecord.offset : lastEnd
                        #expect(after[zeroedFrom...].allSatisfy { $0 == 0 }, "torn tail zeroed — \(label)")
                    } catch let error as LogError {
                        #expect(!inLastRecord && !inLastZeros, "should be a torn tail — \(label): \(error)")
                        #expect(error.code == .corrupt, "\(label): \(error)")
                        #expect(error.path == path, "\(label): \(error)")
                        #expect(error.offset == expectedOffset, "\(label): \(error)")
                        #expect(error.message.contains(path), "\(label): \(error)")
                    }
                }
            }
        }
        print("bit flips checked: \(flips)")
    }

    @Test("A torn record followed by a valid one is corruption, not a torn tail")
    func validRecordAfterDamage() throws {
        let fileSystem = SimulatedFileSystem()
        let (log, _) = try openLog(simulatedConfiguration(), fileSystem)
        for index in 1...3 {
            log.append(payload(index: UInt64(index), size: 10)) { _ in }
        }
        log.close()
        let path = fileSystem.allFiles.first { $0.hasSuffix(".wal") }!
        var bytes = fileSystem.contents(atPath: path)!
        // Zero the middle record's length field: its frame now looks incomplete/corrupt, record 3 still follows.
        let second = 32 + 26
        bytes[second + 4] = 0xFF
        fileSystem.setContents(bytes, atPath: path)
        #expect {
            _ = try openLog(simulatedConfiguration(), fileSystem)
        } throws: { error in
            (error as? LogError)?.code == .corrupt && (error as? LogError)?.offset == second
        }
    }

    @Test("An index gap between segments is corruption naming the later segment")
    func segmentGap() throws {
        let fileSystem = SimulatedFileSystem()
        let configuration = simulatedConfiguration(segmentBytes: 32 + 40)  // one 10-byte record per segment
        let (log, _) = try openLog(configuration, fileSystem)
        for index in 1...4 {
            log.append(payload(index: UInt64(index), size: 10)) { _ in }
        }
        log.close()
        let segments = fileSystem.allFiles.filter { $0.hasSuffix(".wal") }
        #expect(segments.count == 4)
        try fileSystem.rename(atPath: segments[1], toPath: "/elsewhere")
        #expect {
            _ = try openLog(configuration, fileSystem)
        } throws: { error in
            let error = error as? LogError
            return error?.code == .corrupt && error?.path == segments[2] && error?.offset == 0
        }
    }

    @Test("A header-less last segment is a crash during creation and is removed")
    func headerlessLastSegment() throws {
        let (fileSystem, _, _) = try Self.writeLog()
        // Empty, a partial or zeroed header, and a whole preallocated segment whose header never reached the disk.
        let cases = [[], [UInt8](repeating: 0, count: 10), [UInt8](repeating: 0, count: 32),
                     [UInt8](repeating: 0, count: Self.segmentBytes)]
        for contents in cases {
            let copy = fileSystem.copy()
            copy.setContents(contents, atPath: "/data/00000000000000000099.wal")
            let (log, recovered) = try openLog(simulatedConfiguration(segmentBytes: Self.segmentBytes), copy)
            #expect(recovered.records.count == Self.sizes.count, "header of \(contents.count) bytes")
            #expect(log.append([1]) { _ in } == UInt64(Self.sizes.count + 1))
            log.close()
            #expect(!copy.allFiles.contains("/data/00000000000000000099.wal"))
        }
    }
}
