import Logging

/// What recovery found: the state the log continues from.
struct RecoveredLog {
    var lastIndex: UInt64 = 0
    var segments: [SegmentInfo] = []
    var snapshots: [SnapshotInfo] = []
    /// The last segment, open for writing at `segments.last.bytes`.
    var activeHandle: FileSystemHandle?
    /// A complete spare segment of the configured size is on disk, ready for the next roll.
    var spareReady = false
}

/// Replays a log directory: newest snapshot, then every segment in order, validating as it goes.
///
/// Memory: one read buffer of `max(recoveryChunkBytes, maxRecordBytes + 16)` bytes plus the snapshot payload.
/// Loops are bounded by file sizes; there is no recursion.
struct LogRecovery {
    let configuration: LogConfiguration
    let fileSystem: any FileSystem
    private var directory: String { self.configuration.directory }
    private var logger: Logger { self.configuration.logger }

    init(configuration: LogConfiguration, fileSystem: any FileSystem) {
        self.configuration = configuration
        self.fileSystem = fileSystem
    }

    private func path(_ name: String) -> String {
        self.directory + "/" + name
    }

    mutating func run(_ recover: (RecoveryItem) throws -> Void) throws -> RecoveredLog {
        try self.fileSystem.createDirectory(atPath: self.directory)
        let names = try self.fileSystem.contentsOfDirectory(atPath: self.directory)
        var directoryChanged = false

        // A temporary snapshot is a crash during writeSnapshot: it was never renamed, so it never counted.
        for name in names where name.hasSuffix(SnapshotFormat.temporaryExtension) {
            try self.fileSystem.removeFile(atPath: self.path(name))
            directoryChanged = true
        }

        var result = RecoveredLog()
        // A spare still being prepared was never complete; a complete one is kept if it has the configured size.
        if names.contains(SegmentFormat.spareTemporaryFileName) {
            try self.fileSystem.removeFile(atPath: self.path(SegmentFormat.spareTemporaryFileName))
        }
        if names.contains(SegmentFormat.spareFileName) {
            let path = self.path(SegmentFormat.spareFileName)
            let handle = try self.fileSystem.openFile(atPath: path, mode: .read)
            let size = try self.fileSystem.size(of: handle)
            self.fileSystem.close(handle)
            if size == self.configuration.segmentBytes {
                result.spareReady = true
            } else {
                try self.fileSystem.removeFile(atPath: path)
            }
        }

        let snapshotIndexes = names.compactMap { LogFileNames.index(of: $0, extension: SnapshotFormat.fileExtension) }
            .sorted()
        var snapshotIndex: UInt64 = 0
        for index in snapshotIndexes {
            let path = self.path(SnapshotFormat.fileName(index: index))
            if index == snapshotIndexes.last {
                let (payload, bytes) = try self.readSnapshot(path: path, index: index)
                try recover(.snapshot(index: index, payload: payload))
                snapshotIndex = index
                result.snapshots.append(SnapshotInfo(index: index, path: path, bytes: bytes))
            } else {
                let handle = try self.fileSystem.openFile(atPath: path, mode: .read)
                defer { self.fileSystem.close(handle) }
                result.snapshots.append(
                    SnapshotInfo(index: index, path: path, bytes: try self.fileSystem.size(of: handle))
                )
            }
        }

        let segmentIndexes = names.compactMap { LogFileNames.index(of: $0, extension: SegmentFormat.fileExtension) }
            .sorted()
        var buffer = RecoveryBuffer(
            capacity: max(self.configuration.recoveryChunkBytes, self.configuration.maxRecordBytes
                + RecordFormat.headerBytes)
        )
        defer { buffer.deallocate() }
        var nextIndex: UInt64? = nil
        var activeHandle: FileSystemHandle? = nil
        do {
            for (position, firstIndex) in segmentIndexes.enumerated() {
                let isLast = position == segmentIndexes.count - 1
                let path = self.path(SegmentFormat.fileName(firstIndex: firstIndex))
                let handle = try self.fileSystem.openFile(atPath: path, mode: isLast ? .readWrite : .read)
                var keepOpen = false
                defer {
                    if !keepOpen { self.fileSystem.close(handle) }
                }
                let size = try self.fileSystem.size(of: handle)
                let headerFirst: UInt64
                switch try self.readHeader(handle, size: size) {
                case .success(let value):
                    headerFirst = value
                case .failure(.short), .failure(.zeroed):
                    let allZero = try size <= SegmentFormat.headerBytes
                        || self.nonZeroEnd(handle, from: 0, fileSize: size, scratch: &buffer) == nil
                    if isLast && allZero {
                        // A crash while creating the segment (possibly after its allocation reached the disk but
                        // before its header did): it never held a record.
                        self.logger.warning("removing segment without a complete header", metadata: ["path": "\(path)"])
                        try self.fileSystem.removeFile(atPath: path)
                        directoryChanged = true
                        continue
                    }
                    throw LogError.corrupt("segment header missing or zeroed", path: path, offset: 0)
                case .failure(.invalid(let reason)):
                    throw LogError.corrupt(reason, path: path, offset: 0)
                }
                guard headerFirst == firstIndex else {
                    throw LogError.corrupt(
                        "header names first index \(headerFirst) but the file name says \(firstIndex)",
                        path: path, offset: 0
                    )
                }
                guard firstIndex >= 1 else {
                    throw LogError.corrupt("segment first index is 0", path: path, offset: 0)
                }
                if let expected = nextIndex {
                    // A gap is legitimate only when a snapshot covers it (a segment started after the snapshot
                    // while the previous one had lost unsynced records).
                    let covered = firstIndex > expected && firstIndex <= snapshotIndex + 1
                    guard firstIndex == expected || covered else {
                        throw LogError.corrupt(
                            "segment starts at index \(firstIndex) but the previous one ends at \(expected - 1)",
                            path: path, offset: 0
                        )
                    }
                } else if firstIndex > snapshotIndex + 1 {
                    throw LogError.corrupt(
                        "first segment starts at index \(firstIndex) but the snapshot covers only up to "
                            + "\(snapshotIndex): records are missing",
                        path: path, offset: 0
                    )
                }
                let scan = try self.scanRecords(
                    handle: handle, path: path, size: size, firstIndex: firstIndex, isLast: isLast,
                    snapshotIndex: snapshotIndex, buffer: &buffer, recover: recover
                )
                nextIndex = scan.nextIndex
                result.segments.append(SegmentInfo(firstIndex: firstIndex, path: path, bytes: scan.validEnd,
                                                   fileBytes: max(size, scan.validEnd)))
                if isLast {
                    keepOpen = true
                    activeHandle = handle
                }
            }

            let lastRecord = (nextIndex ?? 1) - 1
            result.lastIndex = max(snapshotIndex, lastRecord)
            if activeHandle == nil || lastRecord != result.lastIndex {
                // No usable segment, or the snapshot is ahead of the records on disk (possible after power loss in
                // `.os` mode): start a segment right after the last index.
                if let handle = activeHandle {
                    self.fileSystem.close(handle)
                    activeHandle = nil
                }
                let segment = try WriteAheadLog.createSegment(
                    firstIndex: result.lastIndex + 1, directory: self.directory, fileSystem: self.fileSystem,
                    preallocateBytes: self.configuration.segmentBytes, zeroFill: true, logger: self.logger
                )
                activeHandle = segment.handle
                result.segments.append(segment.info)
                directoryChanged = false
            }
            if directoryChanged {
                try self.fileSystem.synchronizeDirectory(atPath: self.directory)
            }
        } catch {
            if let handle = activeHandle {
                self.fileSystem.close(handle)
            }
            throw error
        }
        result.activeHandle = activeHandle
        return result
    }

    private func readHeader(_ handle: FileSystemHandle, size: Int) throws
        -> Result<UInt64, SegmentFormat.HeaderProblem>
    {
        var header = [UInt8](repeating: 0, count: SegmentFormat.headerBytes)
        let read = try header.withUnsafeMutableBytes { try self.fileSystem.read(handle, into: $0, at: 0) }
        if read < SegmentFormat.headerBytes {
            return .failure(.short)
        }
        return header.withUnsafeBytes { SegmentFormat.parseHeader($0) }
    }

    private struct ScanResult {
        var validEnd: Int
        var nextIndex: UInt64
    }

    private func scanRecords(
        handle: FileSystemHandle,
        path: String,
        size: Int,
        firstIndex: UInt64,
        isLast: Bool,
        snapshotIndex: UInt64,
        buffer: inout RecoveryBuffer,
        recover: (RecoveryItem) throws -> Void
    ) throws -> ScanResult {
        let maxRecordBytes = self.configuration.maxRecordBytes
        buffer.reset(fileOffset: SegmentFormat.headerBytes)
        var readOffset = SegmentFormat.headerBytes
        var fileSize = size
        var index = firstIndex
        var problem: String
        var recordOffset: Int

        while true {
            let available = buffer.filled - buffer.cursor
            recordOffset = buffer.fileOffset + buffer.cursor
            if available < RecordFormat.headerBytes {
                if readOffset < fileSize {
                    let read = try buffer.refill(self.fileSystem, handle, at: readOffset, limit: fileSize - readOffset)
                    readOffset += read
                    if read == 0 { fileSize = readOffset }
                    continue
                }
                if available == 0 {
                    return ScanResult(validEnd: recordOffset, nextIndex: index)
                }
                problem = "incomplete record header (\(available) bytes before end of file)"
                break
            }
            let base = buffer.base + buffer.cursor
            let storedCRC = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
            let length = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            let recordIndex = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            if storedCRC == 0 && length == 0 && recordIndex == 0 {
                // Never a record (indexes start at 1): the start of a zero remainder, checked below.
                problem = "zero bytes where a record header was expected"
                break
            }
            guard length <= maxRecordBytes else {
                problem = "record length \(length) exceeds maxRecordBytes \(maxRecordBytes)"
                break
            }
            let frameBytes = RecordFormat.headerBytes + Int(length)
            if available < frameBytes {
                if readOffset < fileSize {
                    let read = try buffer.refill(self.fileSystem, handle, at: readOffset, limit: fileSize - readOffset)
                    readOffset += read
                    if read == 0 { fileSize = readOffset }
                    continue
                }
                problem = "incomplete record (\(available) of \(frameBytes) bytes before end of file)"
                break
            }
            let payload = UnsafeRawBufferPointer(start: base + RecordFormat.headerBytes, count: Int(length))
            let computed = RecordFormat.checksum(payloadCRC: CRC32C.checksum(payload), length: length,
                                                 index: recordIndex)
            guard computed == storedCRC else {
                problem = "record checksum mismatch (stored \(hex(storedCRC)), computed \(hex(computed)))"
                break
            }
            guard recordIndex == index else {
                // A checksummed record in the wrong place is never a torn write.
                throw LogError.corrupt("record has index \(recordIndex), expected \(index)", path: path,
                                       offset: recordOffset)
            }
            if recordIndex > snapshotIndex {
                try recover(.record(index: recordIndex, payload: payload))
            }
            index += 1
            buffer.cursor += frameBytes
        }

        // Only zeros from here to the end of the file: the clean end of a preallocated segment (or of a file whose
        // last write extended it but never reached the disk). One word-at-a-time pass over the rest; no record scan.
        guard let dirtyEnd = try self.nonZeroEnd(handle, from: recordOffset, fileSize: fileSize,
                                                 scratch: &buffer)
        else {
            return ScanResult(validEnd: recordOffset, nextIndex: index)
        }
        guard isLast else {
            throw LogError.corrupt(problem, path: path, offset: recordOffset)
        }
        if try self.validRecordFollows(handle: handle, after: recordOffset, startsBefore: dirtyEnd,
                                       fileSize: fileSize, expected: index)
        {
            throw LogError.corrupt(problem + "; valid records follow, so this is not a torn tail", path: path,
                                   offset: recordOffset)
        }
        self.logger.warning(
            "zeroing torn tail",
            metadata: ["path": "\(path)", "offset": "\(recordOffset)", "reason": "\(problem)",
                       "droppedBytes": "\(dirtyEnd - recordOffset)"]
        )
        // Overwrite with zeros rather than truncate: the segment keeps its preallocated blocks, and what follows the
        // last record reads as the clean end again.
        var offset = recordOffset
        while offset < dirtyEnd {
            let count = min(ZeroBytes.bufferBytes, dirtyEnd - offset)
            try self.fileSystem.write(handle, ZeroBytes.prefix(count),
                                      at: offset)
            offset += count
        }
        do {
            try self.fileSystem.synchronize(handle)
        } catch {
            throw LogError.wrapping(error, "fsync zeroed torn tail").asFsyncFailure()
        }
        return ScanResult(validEnd: recordOffset, nextIndex: index)
    }

    /// The end (exclusive) of the last non-zero byte in `offset..<fileSize`, or nil if every byte there is zero.
    /// Reads the range once through `scratch` (recovery's buffer, whose contents it discards).
    private func nonZeroEnd(_ handle: FileSystemHandle, from offset: Int, fileSize: Int,
                            scratch: inout RecoveryBuffer) throws -> Int?
    {
        var lastEnd: Int? = nil
        var position = offset
        while position < fileSize {
            let want = min(scratch.capacity, fileSize - position)
            let read = try self.fileSystem.read(
                handle, into: UnsafeMutableRawBufferPointer(start: scratch.base, count: want), at: position
            )
            if read == 0 { break }
            if let last = ZeroBytes.lastNonZero(UnsafeRawBufferPointer(start: scratch.base, count: read)) {
                lastEnd = position + last + 1
            }
            position += read
        }
        scratch.reset(fileOffset: position)
        return lastEnd
    }

    /// Whether any checksum-valid record with index `>= expected` starts after `offset` and before `startsBefore`
    /// (the end of the last non-zero byte: a record header is never all zeros, so none starts in the zero remainder).
    /// Scans every byte offset in that range (the tail after a crash is at most one batch; after real corruption we
    /// want the certainty).
    private func validRecordFollows(handle: FileSystemHandle, after offset: Int, startsBefore: Int, fileSize: Int,
                                    expected: UInt64) throws -> Bool
    {
        let maxRecordBytes = self.configuration.maxRecordBytes
        let remaining = fileSize - offset
        guard remaining > RecordFormat.headerBytes else { return false }
        let highestIndex = expected + UInt64(remaining / RecordFormat.headerBytes) + 1
        let window = max(self.configuration.recoveryChunkBytes, 4096)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: window + RecordFormat.headerBytes,
                                                             alignment: 16)
        defer { scratch.deallocate() }
        var windowStart = offset + 1
        while windowStart + RecordFormat.headerBytes <= fileSize && windowStart < startsBefore {
            let want = min(window + RecordFormat.headerBytes, fileSize - windowStart)
            let read = try self.fileSystem.read(handle, into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<want]),
                                                at: windowStart)
            guard read >= RecordFormat.headerBytes else { return false }
            for start in 0...(read - RecordFormat.headerBytes) {
                let length = UInt32(littleEndian: scratch.loadUnaligned(fromByteOffset: start + 4, as: UInt32.self))
                let index = UInt64(littleEndian: scratch.loadUnaligned(fromByteOffset: start + 8, as: UInt64.self))
                let recordStart = windowStart + start
                guard recordStart < startsBefore && index >= expected && index <= highestIndex && length <= maxRecordBytes
                    && recordStart + RecordFormat.headerBytes + Int(length) <= fileSize
                else { continue }
                let storedCRC = UInt32(littleEndian: scratch.loadUnaligned(fromByteOffset: start, as: UInt32.self))
                var payload = [UInt8](repeating: 0, count: Int(length))
                let got = try payload.withUnsafeMutableBytes {
                    try self.fileSystem.read(handle, into: $0, at: recordStart + RecordFormat.headerBytes)
                }
                guard got == Int(length) else { continue }
                let computed = payload.withUnsafeBytes {
                    RecordFormat.checksum(payloadCRC: CRC32C.checksum($0), length: length, index: index)
                }
                if computed == storedCRC {
                    return true
                }
            }
            windowStart += window
        }
        return false
    }

    // MARK: Snapshots

    private func readSnapshot(path: String, index: UInt64) throws -> (payload: [UInt8], fileBytes: Int) {
        let handle = try self.fileSystem.openFile(atPath: path, mode: .read)
        defer { self.fileSystem.close(handle) }
        let size = try self.fileSystem.size(of: handle)
        var header = [UInt8](repeating: 0, count: SnapshotFormat.headerBytes)
        let headerRead = try header.withUnsafeMutableBytes { try self.fileSystem.read(handle, into: $0, at: 0) }
        guard headerRead == SnapshotFormat.headerBytes else {
            throw LogError.corrupt("snapshot shorter than its header", path: path, offset: 0)
        }
        try header.withUnsafeBytes { raw in
            let crc = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 24, as: UInt32.self))
            guard crc == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<24])) else {
                throw LogError.corrupt("snapshot header checksum mismatch", path: path, offset: 0)
            }
            guard UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) == SnapshotFormat.magic,
                UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) == SnapshotFormat.version,
                UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self)) == index,
                UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
                    == SnapshotFormat.headerBytes,
                raw.loadUnaligned(fromByteOffset: 28, as: UInt32.self) == 0
            else {
                throw LogError.corrupt("snapshot header has a bad magic, version, length, index or reserved field", path: path, offset: 0)
            }
        }
        var payload: [UInt8] = []
        payload.reserveCapacity(max(0, size - SnapshotFormat.headerBytes - SnapshotFormat.endFrameBytes))
        var offset = SnapshotFormat.headerBytes
        var frame = [UInt8](repeating: 0, count: SnapshotFormat.endFrameBytes)
        while true {
            guard offset + SnapshotFormat.frameHeaderBytes <= size else {
                throw LogError.corrupt("snapshot ends without its end frame", path: path, offset: offset)
            }
            _ = try frame.withUnsafeMutableBytes {
                try self.fileSystem.read(handle, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<8]), at: offset)
            }
            let length = frame.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
            let storedCRC = frame.withUnsafeBytes {
                UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            }
            if length == SnapshotFormat.endMarker {
                guard offset + SnapshotFormat.endFrameBytes == size else {
                    throw LogError.corrupt("snapshot end frame is not at the end of the file", path: path,
                                           offset: offset)
                }
                _ = try frame.withUnsafeMutableBytes {
                    try self.fileSystem.read(handle, into: UnsafeMutableRawBufferPointer(rebasing: $0[8..<16]),
                                             at: offset + 8)
                }
                let total = frame.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 8,
                                                                                           as: UInt64.self)) }
                guard storedCRC == SnapshotFormat.endCRC(total: total), total == UInt64(payload.count) else {
                    throw LogError.corrupt("snapshot end frame is invalid", path: path, offset: offset)
                }
                return (payload, size)
            }
            guard length > 0, offset + SnapshotFormat.frameHeaderBytes + Int(length) <= size else {
                throw LogError.corrupt("snapshot chunk length \(length) is invalid", path: path, offset: offset)
            }
            let start = payload.count
            payload.append(contentsOf: repeatElement(0, count: Int(length)))
            let read = try payload.withUnsafeMutableBytes {
                try self.fileSystem.read(handle, into: UnsafeMutableRawBufferPointer(rebasing: $0[start...]),
                                         at: offset + SnapshotFormat.frameHeaderBytes)
            }
            let computed = payload.withUnsafeBytes {
                SnapshotFormat.chunkCRC(UnsafeRawBufferPointer(rebasing: $0[start...]), payloadOffset: UInt64(start))
            }
            guard read == Int(length), computed == storedCRC else {
                throw LogError.corrupt("snapshot chunk checksum mismatch", path: path, offset: offset)
            }
            offset += SnapshotFormat.frameHeaderBytes + Int(length)
        }
    }
}

/// Recovery's read buffer: `[cursor, filled)` holds unparsed bytes; `fileOffset` is the file offset of byte 0.
struct RecoveryBuffer {
    let base: UnsafeMutableRawPointer
    let capacity: Int
    var filled = 0
    var cursor = 0
    var fileOffset = 0

    init(capacity: Int) {
        self.capacity = capacity
        self.base = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    func deallocate() {
        self.base.deallocate()
    }

    mutating func reset(fileOffset: Int) {
        self.filled = 0
        self.cursor = 0
        self.fileOffset = fileOffset
    }

    /// Moves the unparsed bytes to the front and reads more; returns the count read.
    mutating func refill(_ fileSystem: any FileSystem, _ handle: FileSystemHandle, at offset: Int, limit: Int) throws
        -> Int
    {
        let unparsed = self.filled - self.cursor
        if self.cursor > 0 {
            if unparsed > 0 {
                self.base.copyMemory(from: self.base + self.cursor, byteCount: unparsed)
            }
            self.fileOffset += self.cursor
            self.cursor = 0
            self.filled = unparsed
        }
        let want = min(self.capacity - self.filled, limit)
        precondition(want > 0, "recovery buffer cannot hold one record")
        let read = try fileSystem.read(
            handle, into: UnsafeMutableRawBufferPointer(start: self.base + self.filled, count: want), at: offset
        )
        self.filled += read
        return read
    }
}

private func hex(_ value: UInt32) -> String {
    "0x" + String(value, radix: 16)
}
