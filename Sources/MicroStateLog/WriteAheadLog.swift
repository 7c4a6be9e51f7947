import Foundation
import Logging

/// What recovery hands to the caller of `WriteAheadLog.open`, in order: at most one snapshot, then records.
public enum RecoveryItem {
    /// The newest snapshot; it covers every record up to and including `index`.
    case snapshot(index: UInt64, payload: [UInt8])
    /// One record after the snapshot. `payload` points into recovery's read buffer and is valid only during the
    /// callback (no allocation per record keeps replay fast): copy what you keep.
    case record(index: UInt64, payload: UnsafeRawBufferPointer)
}

/// The node's durable log of opaque records: segment files of CRC32C-checked records, group commit on one writer
/// thread, snapshots with compaction, and recovery that repairs a torn tail and refuses anything else corrupt.
/// Segments are created at full size and zero-filled before records go in (docs/adr/0003), so appends overwrite
/// allocated blocks and fdatasync commits no size change; a spare next segment is prepared ahead of each roll.
///
/// Lock discipline (why `@unchecked Sendable` is sound): every property under "Shared" is read and written only
/// with `mutex` held. Properties under "Writer" are touched only by the writer thread while it runs, by `open`
/// before it starts, and by `close` after it has exited (observed under `mutex` through `writerRunning`).
/// `snapshotMutex` serialises `writeSnapshot` calls and is never taken while holding `mutex`.
///
/// - Important: call `close()` when done; the writer thread keeps the log alive until then.
public final class WriteAheadLog: @unchecked Sendable {
    let configuration: LogConfiguration
    let fileSystem: any FileSystem
    private var logger: Logger { self.configuration.logger }
    /// The next segment, prepared ahead of the roll that needs it. Has its own lock (taken inside `mutex`).
    private let spareSegment: SpareSegment

    // MARK: Shared (guarded by `mutex`)
    private let mutex = PThreadMutex()
    /// Signalled to wake an idle writer.
    private let writerWake = PThreadCondition()
    /// Broadcast when queue space frees up, records become durable, or the writer exits.
    private let progress = PThreadCondition()
    private var lifecycle = LogLifecycle()
    private var nextIndex: UInt64
    private var durableIndexValue: UInt64
    private var pending: PendingBuffer
    private var pendingEntries: [PendingEntry] = []
    private var writerIdle = false
    private var writerRunning = false
    /// Someone owns the writer-only state below (the writer thread, or a caller inside `flushPending`): nobody else
    /// may take a batch or roll until it is cleared.
    private var writing = false
    private var progressWaiters = 0
    /// With `callerFlushes`: when the writer thread may next sweep up unflushed records (uptime nanoseconds).
    private var nextSweep: UInt64 = 0
    private var fatalHandler: (@Sendable (LogError) -> Void)?
    private var counters = LogMetrics()
    private var segments: [SegmentInfo]
    private var snapshots: [SnapshotInfo]
    /// `rollSegment` calls so far, and how many of them the writer has served (it serves every pending one at once).
    private var rollsRequested: UInt64 = 0
    private var rollsServed: UInt64 = 0

    // MARK: Writer (whoever set `writing`: the writer thread, or a caller in `flushPending`)
    private var spare: PendingBuffer
    private var spareEntries: [PendingEntry] = []
    private var active: FileSystemHandle?
    private var activeBytes: Int
    private var writerFsyncs: UInt64 = 0
    private var writerFsyncSeconds: Double = 0
    private var writerBatches: UInt64 = 0
    /// Index of the last record written to a segment (the recovered last index at open).
    private var writtenThrough: UInt64

    private let snapshotMutex = PThreadMutex()

    private init(configuration: LogConfiguration, fileSystem: any FileSystem, recovered: RecoveredLog) {
        self.configuration = configuration
        self.fileSystem = fileSystem
        self.nextIndex = recovered.lastIndex + 1
        self.durableIndexValue = recovered.lastIndex
        self.writtenThrough = recovered.lastIndex
        self.segments = recovered.segments
        self.snapshots = recovered.snapshots
        self.active = recovered.activeHandle
        self.activeBytes = recovered.segments.last?.bytes ?? 0
        self.spareSegment = SpareSegment(configuration: configuration, fileSystem: fileSystem,
                                         recoveredReady: recovered.spareReady)
        let initialCapacity = min(configuration.maxPendingBytes, 1 << 20)
        self.pending = PendingBuffer(capacity: initialCapacity)
        self.spare = PendingBuffer(capacity: initialCapacity)
        self.pendingEntries.reserveCapacity(1024)
        self.spareEntries.reserveCapacity(1024)
        self.counters.lastSnapshotIndex = recovered.snapshots.last?.index ?? 0
    }

    /// Opens the log in `configuration.directory` (creating it if needed) and replays it.
    ///
    /// `recover` is called first for the newest snapshot (at most once), then for every record after it, in index
    /// order. Zero bytes after a segment's last record are its unused preallocated remainder (the clean end). A torn
    /// tail (an incomplete or checksum-failing record at the end of the last segment with nothing valid after it) is
    /// overwritten with zeros and synced, keeping the preallocation; a last segment without a complete header is
    /// removed. Any other damage throws `.corrupt` naming the file and byte offset; nothing is ever skipped silently.
    /// The next record goes right after the last valid one. On a first start the segment is zero-filled here (~30 ms
    /// for 64 MiB). With `.memory` durability no file is touched and nothing is recovered. Errors thrown by `recover`
    /// abort the open and are rethrown.
    public static func open(
        _ configuration: LogConfiguration,
        fileSystem: any FileSystem = PosixFileSystem(),
        recover: (RecoveryItem) throws -> Void
    ) throws -> WriteAheadLog {
        try configuration.validate()
        if configuration.durability == .memory {
            return WriteAheadLog(configuration: configuration, fileSystem: fileSystem, recovered: RecoveredLog())
        }
        var recovery = LogRecovery(configuration: configuration, fileSystem: fileSystem)
        let recovered = try recovery.run(recover)
        let log = WriteAheadLog(configuration: configuration, fileSystem: fileSystem, recovered: recovered)
        log.spareSegment.prepare()
        log.startWriter()
        return log
    }

    private func startWriter() {
        self.mutex.withLock {
            self.writerRunning = true
            self.nextSweep = DispatchTime.now().uptimeNanoseconds &+ UInt64(self.configuration.callerFlushIntervalNanoseconds)
        }
        let thread = Thread { [self] in
            self.writerLoop()
        }
        thread.name = "microstate-log-writer"
        thread.start()
    }

    // MARK: Public surface

    /// Index of the last record queued (0 if none, or the recovered last index).
    public var lastIndex: UInt64 {
        self.mutex.withLock { self.nextIndex - 1 }
    }

    /// Index of the last record acknowledged as durable per the durability mode.
    public var durableIndex: UInt64 {
        self.mutex.withLock { self.durableIndexValue }
    }

    /// Counters and sizes; a consistent snapshot taken under the log's lock.
    public var metrics: LogMetrics {
        self.mutex.withLock {
            var metrics = self.counters
            metrics.segmentCount = self.segments.count
            metrics.diskBytes = self.segments.reduce(0) { $0 + $1.fileBytes }
                + self.snapshots.reduce(0) { $0 + $1.bytes } + self.spareSegment.diskBytes
            metrics.sparePreparationFailures = self.spareSegment.failureCount
            return metrics
        }
    }

    /// Called once, on the writer thread, after the first failed write or sync, once the failed records' completions
    /// have run. If set after the failure, it is called at once. The node logs the error and exits.
    public var onFatalError: (@Sendable (LogError) -> Void)? {
        get { self.mutex.withLock { self.fatalHandler } }
        set {
            self.mutex.lock()
            self.fatalHandler = newValue
            let report = newValue == nil ? nil : self.lifecycle.handlerInstalled()
            self.mutex.unlock()
            if let report, let newValue {
                newValue(report)
            }
        }
    }

    /// Queues one record and returns its index (1, 2, 3, … continuing after recovery; contiguous, in call order).
    ///
    /// `completion` runs exactly once: in `.fsync` mode after the `fdatasync` of the batch holding the record, in
    /// `.os` mode after its `write(2)`, both on the writer thread in index order; in `.memory` mode on the calling
    /// thread before `append` returns. A refused append (payload over `maxRecordBytes`, log closed, log failed) gets
    /// no index: it returns 0 and its completion runs with the error on the calling thread before `append` returns.
    ///
    /// The payload is checksummed on the calling thread, then copied into the queue under a short lock; no system
    /// call is made here unless the writer is asleep (one futex wake). When `maxPendingBytes` are already queued the
    /// call blocks until the writer takes the queue (back-pressure).
    ///
    /// - Important: do not call `close()` from a completion (it waits for the writer thread that runs it).
    @discardableResult
    public func append(
        _ payload: UnsafeRawBufferPointer,
        completion: @escaping @Sendable (Result<UInt64, LogError>) -> Void
    ) -> UInt64 {
        guard payload.count <= self.configuration.maxRecordBytes else {
            completion(.failure(LogError(
                code: .recordTooLarge,
                message: "record of \(payload.count) bytes exceeds maxRecordBytes \(self.configuration.maxRecordBytes)"
            )))
            return 0
        }
        if self.configuration.durability == .memory {
            return self.appendInMemory(payloadBytes: payload.count, completion: completion)
        }
        let payloadCRC = CRC32C.checksum(payload)
        let frameBytes = RecordFormat.headerBytes + payload.count
        let limit = self.configuration.maxPendingBytes

        self.mutex.lock()
        while self.lifecycle.append() == nil && self.pending.count > 0 && self.pending.count + frameBytes > limit {
            if self.writerIdle {
                self.writerIdle = false
                self.writerWake.signal()
            }
            self.progressWaiters += 1
            self.progress.wait(self.mutex)
            self.progressWaiters -= 1
        }
        if let error = self.lifecycle.append() {
            self.mutex.unlock()
            completion(.failure(error))
            return 0
        }
        let index = self.nextIndex
        self.nextIndex += 1
        let crc = RecordFormat.checksum(payloadCRC: payloadCRC, length: UInt32(payload.count), index: index)
        self.pending.appendRecord(crc: crc, index: index, payload: payload, limit: limit)
        self.pendingEntries.append(PendingEntry(index: index, end: self.pending.count, completion: completion))
        self.counters.appendedRecords += 1
        self.counters.appendedBytes += UInt64(payload.count)
        let wake = self.writerIdle && !self.callerFlushes
        if wake {
            self.writerIdle = false
        }
        self.mutex.unlock()
        if wake {
            self.writerWake.signal()
        }
        return index
    }

    /// Queues one record; see `append(_:completion:)` for the contract.
    @discardableResult
    public func append(
        _ payload: [UInt8],
        completion: @escaping @Sendable (Result<UInt64, LogError>) -> Void
    ) -> UInt64 {
        payload.withUnsafeBytes { self.append($0, completion: completion) }
    }

    private func appendInMemory(
        payloadBytes: Int,
        completion: @escaping @Sendable (Result<UInt64, LogError>) -> Void
    ) -> UInt64 {
        self.mutex.lock()
        if let error = self.lifecycle.append() {
            self.mutex.unlock()
            completion(.failure(error))
            return 0
        }
        let index = self.nextIndex
        self.nextIndex += 1
        self.durableIndexValue = index
        self.counters.appendedRecords += 1
        self.counters.appendedBytes += UInt64(payloadBytes)
        self.mutex.unlock()
        completion(.success(index))
        return index
    }

    /// Finishes every queued append, stops the writer thread and closes the files. Later appends complete with
    /// `.closed`. Idempotent.
    public func close() {
        self.mutex.lock()
        _ = self.lifecycle.closeRequested()
        if self.writerIdle {
            self.writerIdle = false
            self.writerWake.signal()
        }
        while self.writerRunning {
            self.progressWaiters += 1
            self.progress.wait(self.mutex)
            self.progressWaiters -= 1
        }
        self.lifecycle.writerExited()
        let handle = self.active
        self.active = nil
        self.mutex.unlock()
        if let handle {
            self.fileSystem.close(handle)
        }
        self.spareSegment.close()
    }

    /// Starts a new segment now, so that the next snapshot can compact every record written so far away; returns the
    /// first index of the segment records go to from now on (every record below it is in an older segment).
    ///
    /// Segments are otherwise only rolled when full, and compaction never deletes the active segment: erasing data
    /// physically (event retention, ADR 0004 §7) rolls, snapshots, and so deletes the segments that held it. Every
    /// record already written (in particular every durable one) stays in the old segment; records queued but not yet
    /// written go to the new one. A segment without records is not rolled (it is already new). Waits for the writer
    /// thread; with `.memory` durability returns at once.
    ///
    /// Throws the log's failure, or `.closed` once `close()` was called. A failed roll (creating the new segment)
    /// fails the log like a failed write.
    @discardableResult
    public func rollSegment() throws -> UInt64 {
        self.mutex.lock()
        defer { self.mutex.unlock() }
        if self.configuration.durability == .memory {
            return self.nextIndex
        }
        if let error = self.lifecycle.append() {
            throw error
        }
        self.rollsRequested += 1
        let requested = self.rollsRequested
        if self.writerIdle {
            self.writerIdle = false
            self.writerWake.signal()
        }
        while self.rollsServed < requested {
            if let error = self.lifecycle.append() {
                throw error
            }
            self.progressWaiters += 1
            self.progress.wait(self.mutex)
            self.progressWaiters -= 1
        }
        return self.segments.last?.firstIndex ?? self.nextIndex
    }

    // MARK: Writer thread

    private func writerLoop() {
        while true {
            self.mutex.lock()
            var action = self.lifecycle.writerPoll(pendingIsEmpty: self.pendingEntries.isEmpty)
            var untilSweep = self.untilSweep(action)
            while (action == .wait && self.rollsServed == self.rollsRequested) || self.writing || untilSweep > 0 {
                self.writerIdle = true
                if self.callerFlushes {
                    // Callers write their own bursts; this thread only sweeps up, once per interval, what nobody
                    // flushed.
                    let timeout = untilSweep > 0 ? untilSweep : self.configuration.callerFlushIntervalNanoseconds
                    self.writerWake.wait(self.mutex, timeoutNanoseconds: timeout)
                } else {
                    self.writerWake.wait(self.mutex)
                }
                action = self.lifecycle.writerPoll(pendingIsEmpty: self.pendingEntries.isEmpty)
                untilSweep = self.untilSweep(action)
            }
            if self.callerFlushes && action == .takeBatch {
                self.nextSweep = DispatchTime.now().uptimeNanoseconds &+ UInt64(self.configuration.callerFlushIntervalNanoseconds)
            }
            self.writerIdle = false
            if action == .exit {
                self.writerRunning = false
                self.progress.broadcast()
                self.mutex.unlock()
                return
            }
            if self.rollsServed != self.rollsRequested {
                // Between batches: every record written so far is in the old segment, every queued one goes to the
                // new one (under continuous load too, so a requested roll never starves).
                let requested = self.rollsRequested
                self.writing = true
                self.mutex.unlock()
                self.serveRequestedRoll(requested)
                self.mutex.withLock { self.writing = false }
                continue
            }
            self.takeBatch()
            self.mutex.unlock()
            self.writeTakenBatchAndRelease()
        }
    }

    /// Moves the queue into `spare` and claims the writer role; `mutex` held.
    private func takeBatch() {
        self.writing = true
        swap(&self.pending, &self.spare)
        swap(&self.pendingEntries, &self.spareEntries)
        self.pending.count = 0
        if self.progressWaiters > 0 {
            self.progress.broadcast()
        }
    }

    /// Writes the taken batch (completing its records), then gives the writer role back; `mutex` not held.
    private func writeTakenBatchAndRelease() {
        self.writeTakenBatch()
        self.spare.count = 0
        self.spareEntries.removeAll(keepingCapacity: true)
        self.mutex.withLock {
            self.writing = false
            if self.callerFlushes && self.writerIdle && self.lifecycle.writerPoll(pendingIsEmpty: true) != .wait {
                self.writerWake.signal()  // closing or failed: let the writer thread see it now
            }
        }
    }

    /// With `callerFlushes`: nanoseconds until the writer thread's next sweep may write `action`'s queued records, or
    /// 0 when it may write now — always while closing, for a roll, or when an appender waits for queue space. Without
    /// this, records appended just before the thread's first wait (or after a spurious wake-up) were written by it
    /// at once instead of by the caller's flush. `mutex` held.
    private func untilSweep(_ action: LogLifecycle.WriterAction) -> Int {
        guard self.callerFlushes, action == .takeBatch, !self.writing, self.rollsServed == self.rollsRequested,
            self.progressWaiters == 0, case .running = self.lifecycle.state
        else {
            return 0
        }
        let now = DispatchTime.now().uptimeNanoseconds
        return self.nextSweep > now ? Int(self.nextSweep - now) : 0
    }

    private var callerFlushes: Bool {
        self.configuration.callerFlushes && self.configuration.durability == .os
    }

    /// Writes every queued record now, on the calling thread, and runs their completions here (`callerFlushes`,
    /// `.os` durability only; otherwise does nothing). Returns at once when the queue is empty or another thread is
    /// writing (that thread, or the writer thread's next sweep, writes what is queued).
    ///
    /// The node calls this when a connection's read burst is handled: the burst's writes reach the file in one
    /// `write(2)` and their completions run on the event loop that will send the responses, with no thread hop.
    public func flushPending() {
        guard self.callerFlushes else {
            return
        }
        self.mutex.lock()
        guard !self.writing, !self.pendingEntries.isEmpty, self.rollsServed == self.rollsRequested,
            self.lifecycle.writerPoll(pendingIsEmpty: false) == .takeBatch
        else {
            self.mutex.unlock()
            return
        }
        self.takeBatch()
        self.mutex.unlock()
        self.writeTakenBatchAndRelease()
    }

    /// Writes `spare` in slices of at most `maxBatchBytes` (whole records), each one write(s) + one fdatasync, and
    /// completes each slice before starting the next.
    private func writeTakenBatch() {
        let entries = self.spareEntries
        var sliceStart = 0
        var sliceStartByte = 0
        while sliceStart < entries.count {
            var sliceEnd = sliceStart + 1
            while sliceEnd < entries.count
                && entries[sliceEnd].end - sliceStartByte <= self.configuration.maxBatchBytes
            {
                sliceEnd += 1
            }
            do {
                try self.writeSlice(entries[sliceStart..<sliceEnd], startByte: sliceStartByte)
            } catch {
                self.fail(LogError.wrapping(error, "write"), unfinished: entries[sliceStart...])
                return
            }
            let lastIndex = entries[sliceEnd - 1].index
            self.writtenThrough = lastIndex
            self.writerBatches += 1
            self.mutex.withLock {
                self.durableIndexValue = lastIndex
                self.counters.batches = self.writerBatches
                self.counters.fsyncs = self.writerFsyncs
                self.counters.fsyncSecondsTotal = self.writerFsyncSeconds
                self.segments[self.segments.count - 1].bytes = self.activeBytes
                self.segments[self.segments.count - 1].fileBytes = max(
                    self.segments[self.segments.count - 1].fileBytes, self.activeBytes
                )
                if self.progressWaiters > 0 {
                    self.progress.broadcast()
                }
            }
            for entry in entries[sliceStart..<sliceEnd] {
                entry.completion(.success(entry.index))
            }
            sliceStartByte = entries[sliceEnd - 1].end
            sliceStart = sliceEnd
        }
    }

    /// Rolls to a new segment for `rollSegment` (unless the active segment holds no record yet: it is as new as a
    /// roll would make it), then tells the waiting callers. A failed roll fails the log like a failed write.
    private func serveRequestedRoll(_ requested: UInt64) {
        if self.activeBytes > SegmentFormat.headerBytes {
            do {
                try self.roll(firstIndex: self.writtenThrough + 1)
            } catch {
                self.fail(LogError.wrapping(error, "roll"), unfinished: [])
                return
            }
        }
        self.mutex.withLock {
            self.rollsServed = requested
            self.counters.requestedRolls += 1
            self.progress.broadcast()
        }
    }

    private func writeSlice(_ entries: ArraySlice<PendingEntry>, startByte: Int) throws {
        let segmentBytes = self.configuration.segmentBytes
        var runStart = startByte
        var position = startByte
        for entry in entries {
            let frameBytes = entry.end - position
            let segmentSoFar = self.activeBytes + (position - runStart)
            if segmentSoFar + frameBytes > segmentBytes && segmentSoFar > SegmentFormat.headerBytes {
                try self.writeRun(runStart..<position)
                try self.roll(firstIndex: entry.index)
                runStart = position
            }
            position = entry.end
        }
        try self.writeRun(runStart..<position)
        if self.configuration.durability == .fsync, let active = self.active {
            try self.timedSync(active)
        }
    }

    private func writeRun(_ range: Range<Int>) throws {
        guard !range.isEmpty else { return }
        guard let active = self.active else {
            throw LogError(code: .ioFailed, message: "no active segment")
        }
        try self.fileSystem.write(active, self.spare.bytes(range), at: self.activeBytes)
        self.activeBytes += range.count
    }

    private func timedSync(_ handle: FileSystemHandle) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            try self.fileSystem.synchronize(handle)
        } catch {
            throw LogError.wrapping(error, "fdatasync").asFsyncFailure()
        }
        self.writerFsyncs += 1
        self.writerFsyncSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Starts a new segment at `firstIndex`. The old segment is synced first in every mode, and the new one's header
    /// and directory entry before any record goes into it: so if a later segment exists, every earlier one is
    /// complete on disk, and a torn record can only be at the end of the last segment.
    ///
    /// The new segment is the prepared spare when one is ready; otherwise it is created here, preallocated if the
    /// disk allows (never waiting for a spare in preparation). Then the next spare is requested.
    private func roll(firstIndex: UInt64) throws {
        if let old = self.active {
            try self.timedSync(old)
            self.fileSystem.close(old)
            self.active = nil
        }
        let directory = self.configuration.directory
        let segment: (handle: FileSystemHandle, info: SegmentInfo)
        var usedSpare = false
        switch self.spareSegment.take() {
        case .ready(let sparePath):
            segment = try Self.activateSpare(at: sparePath, firstIndex: firstIndex, directory: directory,
                                             fileSystem: self.fileSystem)
            usedSpare = true
        case .notReady:
            segment = try Self.createSegment(firstIndex: firstIndex, directory: directory, fileSystem: self.fileSystem,
                                             preallocateBytes: self.configuration.segmentBytes, zeroFill: false,
                                             logger: self.logger)
        case .failed(let error):
            self.logger.warning(
                "no spare log segment (its preparation failed); creating the next segment in place",
                metadata: ["firstIndex": "\(firstIndex)", "error": "\(error)"]
            )
            segment = try Self.createSegment(firstIndex: firstIndex, directory: directory, fileSystem: self.fileSystem,
                                             preallocateBytes: self.configuration.segmentBytes, zeroFill: false,
                                             logger: self.logger)
        }
        self.writerFsyncs += 1
        self.active = segment.handle
        self.activeBytes = segment.info.bytes
        self.mutex.withLock {
            self.segments.append(segment.info)
            if !usedSpare {
                self.counters.rollsWithoutSpare += 1
            }
        }
        self.spareSegment.prepare()
    }

    /// Creates segment `firstIndex`: header, then `preallocateBytes` allocated with `FileSystem.allocate`, then
    /// (if `zeroFill`) written with zeros, then file and directory synced.
    ///
    /// Zero-filled blocks make the fastest fdatasyncs (ADR 0003: ~0.11 ms against ~0.2 ms for allocated-only blocks
    /// and ~0.25 ms for a growing file, measured) but take ~50 ms per 64 MiB to prepare: `open` zero-fills the first
    /// segment, a roll that finds no ready spare only allocates (instant) so the batch waiting on it is not delayed.
    /// If the allocation fails (a full disk) the segment is still created and grows with its records, with a warning:
    /// a write that needs no new space still succeeds, and refusing writes over a missing optimisation would be worse.
    static func createSegment(
        firstIndex: UInt64,
        directory: String,
        fileSystem: any FileSystem,
        preallocateBytes: Int,
        zeroFill: Bool,
        logger: Logger
    ) throws -> (handle: FileSystemHandle, info: SegmentInfo) {
        let path = directory + "/" + SegmentFormat.fileName(firstIndex: firstIndex)
        let handle = try fileSystem.openFile(atPath: path, mode: .create)
        var fileBytes = SegmentFormat.headerBytes
        do {
            // The header goes first: a crash that keeps the allocation but not the header leaves an all-zero file,
            // which recovery removes as a segment that never held a record.
            let header = SegmentFormat.header(firstIndex: firstIndex)
            try header.withUnsafeBytes { try fileSystem.write(handle, $0, at: 0) }
            if preallocateBytes > SegmentFormat.headerBytes {
                do {
                    try fileSystem.allocate(handle, offset: 0, length: preallocateBytes)
                    fileBytes = preallocateBytes
                    var offset = SegmentFormat.headerBytes
                    while zeroFill && offset < preallocateBytes {
                        let count = min(ZeroBytes.bufferBytes, preallocateBytes - offset)
                        try fileSystem.write(handle, ZeroBytes.prefix(count), at: offset)
                        offset += count
                    }
                } catch {
                    fileBytes = (try? fileSystem.size(of: handle)) ?? SegmentFormat.headerBytes
                    logger.warning(
                        "could not preallocate log segment; it grows as records are appended (slower fsyncs)",
                        metadata: ["path": "\(path)", "error": "\(error)"]
                    )
                }
            }
            do {
                try fileSystem.synchronize(handle)
                try fileSystem.synchronizeDirectory(atPath: directory)
            } catch {
                throw LogError.wrapping(error, "sync new segment").asFsyncFailure()
            }
        } catch {
            fileSystem.close(handle)
            throw error
        }
        return (handle, SegmentInfo(firstIndex: firstIndex, path: path, bytes: SegmentFormat.headerBytes,
                                    fileBytes: fileBytes))
    }

    /// Turns the prepared spare into segment `firstIndex`: header written and synced, then renamed to the segment's
    /// name and the directory synced, all before any record goes in. A crash before the rename leaves a spare with a
    /// header, which is reused (the header is rewritten); after it, a segment with a header and zeros.
    static func activateSpare(
        at sparePath: String,
        firstIndex: UInt64,
        directory: String,
        fileSystem: any FileSystem
    ) throws -> (handle: FileSystemHandle, info: SegmentInfo) {
        let path = directory + "/" + SegmentFormat.fileName(firstIndex: firstIndex)
        let handle = try fileSystem.openFile(atPath: sparePath, mode: .readWrite)
        do {
            let fileBytes = try fileSystem.size(of: handle)
            let header = SegmentFormat.header(firstIndex: firstIndex)
            try header.withUnsafeBytes { try fileSystem.write(handle, $0, at: 0) }
            do {
                try fileSystem.synchronize(handle)
            } catch {
                throw LogError.wrapping(error, "sync new segment").asFsyncFailure()
            }
            try fileSystem.rename(atPath: sparePath, toPath: path)
            do {
                try fileSystem.synchronizeDirectory(atPath: directory)
            } catch {
                throw LogError.wrapping(error, "sync new segment").asFsyncFailure()
            }
            return (handle, SegmentInfo(firstIndex: firstIndex, path: path, bytes: SegmentFormat.headerBytes,
                                        fileBytes: fileBytes))
        } catch {
            fileSystem.close(handle)
            throw error
        }
    }

    /// The log is failed: complete the unfinished batch and everything queued with `error`, then report it once.
    private func fail(_ error: LogError, unfinished: ArraySlice<PendingEntry>) {
        self.mutex.lock()
        let report = self.lifecycle.batchFailed(error)
        let handler = self.fatalHandler
        if report && handler == nil {
            self.lifecycle.fatalUnreported()
        }
        let queued = self.pendingEntries
        self.pendingEntries = []
        self.pending.count = 0
        self.progress.broadcast()
        self.mutex.unlock()

        self.logger.critical("log failed; no further writes", metadata: ["error": "\(error)"])
        for entry in unfinished {
            entry.completion(.failure(error))
        }
        for entry in queued {
            entry.completion(.failure(error))
        }
        if report, let handler {
            handler(error)
        }
    }

    // MARK: Snapshots

    /// Durably writes a snapshot covering every record up to and including `index`, then compacts: deletes segments
    /// whose records are all `<= index` (never the active one) and snapshots older than the previous one.
    ///
    /// Waits until record `index` is durable first, so a snapshot never covers records the log could lose. `produce`
    /// streams the payload into the sink in pieces of any size. The file is written as a temporary, fsynced, renamed,
    /// and the directory fsynced, before anything is deleted. A failure here (including a failed fsync of the
    /// snapshot file, which is then discarded) throws and leaves the log and the previous snapshot in use.
    /// With `.memory` durability this does nothing and `produce` is not called.
    ///
    /// With `discardingOlder`, every older snapshot is deleted instead of keeping the previous one, and `index` may
    /// equal the last snapshot's (the new file replaces it atomically under the same name): physical erase (ADR 0004
    /// §7) needs every snapshot that may still hold erased data gone, also when no record was written since the last
    /// one.
    ///
    /// Throws `.invalidArgument` if `index` is 0, beyond `lastIndex`, or not newer than the last snapshot (not older,
    /// with `discardingOlder`).
    public func writeSnapshot(
        index: UInt64,
        discardingOlder: Bool = false,
        produce: (inout SnapshotSink) throws -> Void
    ) throws {
        if self.configuration.durability == .memory {
            return
        }
        self.snapshotMutex.lock()
        defer { self.snapshotMutex.unlock() }

        try self.waitUntilDurable(index, allowingLast: discardingOlder)

        let directory = self.configuration.directory
        let finalPath = directory + "/" + SnapshotFormat.fileName(index: index)
        let temporaryPath = finalPath + ".tmp"
        let handle = try self.fileSystem.openFile(atPath: temporaryPath, mode: .create)
        let fileBytes: Int
        do {
            var sink = try SnapshotSink(
                fileSystem: self.fileSystem,
                handle: handle,
                chunkBytes: self.configuration.snapshotChunkBytes,
                index: index
            )
            try produce(&sink)
            try sink.finish()
            fileBytes = sink.fileBytes
            do {
                try self.fileSystem.synchronize(handle)
            } catch {
                throw LogError.wrapping(error, "fsync snapshot").asFsyncFailure()
            }
            self.fileSystem.close(handle)
        } catch {
            self.fileSystem.close(handle)
            try? self.fileSystem.removeFile(atPath: temporaryPath)
            throw error
        }
        try self.fileSystem.rename(atPath: temporaryPath, toPath: finalPath)
        try self.fileSystem.synchronizeDirectory(atPath: directory)

        let (segmentsToDelete, snapshotsToDelete) = self.mutex.withLock {
            // A snapshot replacing one at the same index took over its file name: it is not deleted below.
            self.snapshots.removeAll { $0.index == index }
            self.snapshots.append(SnapshotInfo(index: index, path: finalPath, bytes: fileBytes))
            self.counters.lastSnapshotIndex = index
            var segmentsToDelete: [SegmentInfo] = []
            while self.segments.count > 1 && self.segments[1].firstIndex <= index + 1 {
                segmentsToDelete.append(self.segments.removeFirst())
            }
            let snapshotsToDelete = Array(self.snapshots.dropLast(discardingOlder ? 1 : 2))
            self.snapshots.removeFirst(snapshotsToDelete.count)
            return (segmentsToDelete, snapshotsToDelete)
        }
        if segmentsToDelete.isEmpty && snapshotsToDelete.isEmpty {
            return
        }
        for path in segmentsToDelete.map(\.path) + snapshotsToDelete.map(\.path) {
            try self.fileSystem.removeFile(atPath: path)
        }
        try self.fileSystem.synchronizeDirectory(atPath: directory)
    }

    private func waitUntilDurable(_ index: UInt64, allowingLast: Bool) throws {
        self.mutex.lock()
        defer { self.mutex.unlock() }
        guard index >= 1 && index < self.nextIndex else {
            throw LogError(code: .invalidArgument,
                           message: "snapshot index \(index) is outside 1...\(self.nextIndex - 1)")
        }
        guard index > self.counters.lastSnapshotIndex || (allowingLast && index == self.counters.lastSnapshotIndex)
        else {
            throw LogError(code: .invalidArgument, message:
                "snapshot index \(index) is not newer than the last snapshot \(self.counters.lastSnapshotIndex)")
        }
        while self.durableIndexValue < index {
            if let error = self.lifecycle.append() {
                throw error
            }
            self.progressWaiters += 1
            self.progress.wait(self.mutex)
            self.progressWaiters -= 1
        }
    }
}
