/// The queue of framed records waiting for the writer: one contiguous byte buffer, so the writer can hand a whole
/// batch to a single `pwrite`. Two of them alternate (appenders fill one while the writer writes the other), so in
/// steady state appends allocate nothing. Guarded by the log's mutex while appenders use it; owned by the writer
/// thread after the swap.
final class PendingBuffer {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int
    var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        self.base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit {
        self.base.deallocate()
    }

    /// Appends one framed record: header then payload.
    @inline(__always)
    func appendRecord(crc: UInt32, index: UInt64, payload: UnsafeRawBufferPointer, limit: Int) {
        let frameBytes = RecordFormat.headerBytes + payload.count
        if self.count + frameBytes > self.capacity {
            self.grow(minimum: self.count + frameBytes, limit: limit)
        }
        let destination = self.base + self.count
        RecordFormat.storeHeader(destination, crc: crc, length: UInt32(payload.count), index: index)
        if let source = payload.baseAddress, payload.count > 0 {
            (destination + RecordFormat.headerBytes).copyMemory(from: source, byteCount: payload.count)
        }
        self.count += frameBytes
    }

    private func grow(minimum: Int, limit: Int) {
        let newCapacity = max(minimum, min(self.capacity * 2, limit))
        let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        newBase.copyMemory(from: self.base, byteCount: self.count)
        self.base.deallocate()
        self.base = newBase
        self.capacity = newCapacity
    }

    func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.lowerBound >= 0 && range.upperBound <= self.count)
        return UnsafeRawBufferPointer(start: self.base + range.lowerBound, count: range.count)
    }
}

/// One queued record: its index, where its frame ends in the `PendingBuffer`, and whom to tell.
struct PendingEntry {
    var index: UInt64
    var end: Int
    var completion: @Sendable (Result<UInt64, LogError>) -> Void
}

/// A segment file the log knows about. The last one is the active segment, written by the writer thread.
struct SegmentInfo: Sendable {
    var firstIndex: UInt64
    var path: String
    /// End of the valid records: where the next record goes.
    var bytes: Int
    /// The file's length on disk: the preallocated size, or `bytes` if it grew past it (or was never preallocated).
    var fileBytes: Int
}

/// A snapshot file the log knows about.
struct SnapshotInfo: Sendable {
    var index: UInt64
    var path: String
    var bytes: Int
}
