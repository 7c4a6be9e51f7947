/// Receives a snapshot's payload in pieces of any size, so a snapshot of hundreds of MB never has to exist in one
/// array. It frames the bytes into CRC-checked chunks of `LogConfiguration.snapshotChunkBytes` and writes each chunk
/// with one `pwrite`.
///
/// - Important: only valid inside the `produce` closure of `WriteAheadLog.writeSnapshot`.
public struct SnapshotSink {
    private let fileSystem: any FileSystem
    private let handle: FileSystemHandle
    private let chunkBytes: Int
    /// Frame header space (8 bytes) followed by up to `chunkBytes` of data.
    private var frame: [UInt8]
    private var fileOffset: Int
    /// Payload bytes accepted so far.
    public private(set) var payloadBytes: UInt64 = 0

    init(fileSystem: any FileSystem, handle: FileSystemHandle, chunkBytes: Int, index: UInt64) throws {
        self.fileSystem = fileSystem
        self.handle = handle
        self.chunkBytes = chunkBytes
        self.frame = []
        self.frame.reserveCapacity(SnapshotFormat.frameHeaderBytes + chunkBytes)
        self.frame.append(contentsOf: repeatElement(0, count: SnapshotFormat.frameHeaderBytes))
        let header = SnapshotFormat.header(index: index)
        try header.withUnsafeBytes { try fileSystem.write(handle, $0, at: 0) }
        self.fileOffset = header.count
    }

    /// Bytes in the file so far.
    var fileBytes: Int { self.fileOffset }

    /// Appends bytes to the snapshot payload.
    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        var start = 0
        while start < bytes.count {
            let room = self.chunkBytes - (self.frame.count - SnapshotFormat.frameHeaderBytes)
            let take = min(room, bytes.count - start)
            self.frame.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + take)]))
            start += take
            if self.frame.count - SnapshotFormat.frameHeaderBytes == self.chunkBytes {
                try self.flushChunk()
            }
        }
    }

    /// Appends bytes to the snapshot payload.
    public mutating func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try self.write($0) }
    }

    private mutating func flushChunk() throws {
        let dataBytes = self.frame.count - SnapshotFormat.frameHeaderBytes
        guard dataBytes > 0 else { return }
        let payloadOffset = self.payloadBytes
        let fileSystem = self.fileSystem
        let handle = self.handle
        let fileOffset = self.fileOffset
        try self.frame.withUnsafeMutableBytes { raw in
            let data = UnsafeRawBufferPointer(rebasing: raw[SnapshotFormat.frameHeaderBytes...])
            let crc = SnapshotFormat.chunkCRC(data, payloadOffset: payloadOffset)
            raw.storeBytes(of: UInt32(dataBytes).littleEndian, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: crc.littleEndian, toByteOffset: 4, as: UInt32.self)
            try fileSystem.write(handle, UnsafeRawBufferPointer(raw), at: fileOffset)
        }
        self.fileOffset += self.frame.count
        self.payloadBytes += UInt64(dataBytes)
        self.frame.removeSubrange(SnapshotFormat.frameHeaderBytes...)
    }

    /// Writes the last chunk and the end frame.
    mutating func finish() throws {
        try self.flushChunk()
        var end = [UInt8](repeating: 0, count: SnapshotFormat.endFrameBytes)
        let total = self.payloadBytes
        end.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: SnapshotFormat.endMarker.littleEndian, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: SnapshotFormat.endCRC(total: total).littleEndian, toByteOffset: 4, as: UInt32.self)
            raw.storeBytes(of: total.littleEndian, toByteOffset: 8, as: UInt64.self)
        }
        try end.withUnsafeBytes { try self.fileSystem.write(self.handle, $0, at: self.fileOffset) }
        self.fileOffset += end.count
    }
}
