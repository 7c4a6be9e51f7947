/// The log's lifecycle as a value-type state machine; the log holds it under its mutex and performs the actions.
///
/// States:
/// - `running`: appends are queued; the writer writes batches.
/// - `closing`: `close()` was called; new appends are refused with `.closed`, the writer drains what is queued and
///   exits.
/// - `failed`: a write or sync failed. Nothing is ever written again (fsyncgate): queued and later appends complete
///   with the failure. The fatal-error handler fires once.
/// - `closed`: the writer has exited and the files are closed; appends complete with `.closed`.
///
/// Invalid transitions (closing twice, failing after close) are ignored where harmless and trap where they would
/// mean a bug in the log (a batch failing while no writer runs).
struct LogLifecycle: Sendable {
    enum State: Sendable, Equatable {
        case running
        case closing
        case failed(LogError)
        case closed
    }

    private(set) var state: State = .running
    private var fatalReported = false

    /// An append arrived: queue it, or refuse it with an error.
    func append() -> LogError? {
        switch self.state {
        case .running:
            return nil
        case .failed(let error):
            return error
        case .closing, .closed:
            return LogError(code: .closed, message: "the log is closed")
        }
    }

    enum WriterAction: Equatable {
        /// Take the queue and write it.
        case takeBatch
        /// Sleep until signalled.
        case wait
        /// Leave the writer loop.
        case exit
    }

    /// The writer looks for work with `pendingIsEmpty` records queued.
    func writerPoll(pendingIsEmpty: Bool) -> WriterAction {
        switch self.state {
        case .running:
            return pendingIsEmpty ? .wait : .takeBatch
        case .closing:
            return pendingIsEmpty ? .exit : .takeBatch
        case .failed, .closed:
            return .exit
        }
    }

    /// A write or sync failed. Returns true when the fatal-error handler must fire now (exactly once per log).
    mutating func batchFailed(_ error: LogError) -> Bool {
        switch self.state {
        case .running, .closing:
            self.state = .failed(error)
        case .failed:
            break
        case .closed:
            preconditionFailure("a batch failed after the writer exited")
        }
        return self.takeFatalReport()
    }

    /// A fatal-error handler was installed; returns the error to report now if the log already failed unreported.
    mutating func handlerInstalled() -> LogError? {
        if case .failed(let error) = self.state, self.takeFatalReport() {
            return error
        }
        return nil
    }

    private mutating func takeFatalReport() -> Bool {
        if self.fatalReported { return false }
        self.fatalReported = true
        return true
    }

    /// `close()` was called. Returns false if it already had been.
    mutating func closeRequested() -> Bool {
        switch self.state {
        case .running:
            self.state = .closing
            return true
        case .failed:
            // The writer has exited or is exiting; `writerExited` finishes the job.
            return true
        case .closing, .closed:
            return false
        }
    }

    /// The writer thread is gone (or never existed) and the files are closed.
    mutating func writerExited() {
        if case .failed = self.state {
            // Keep reporting the failure to later appends: it says more than "closed".
            return
        }
        self.state = .closed
    }

    /// Undoes the fatal report bookkeeping for a failure with no handler installed (so installing one reports it).
    mutating func fatalUnreported() {
        self.fatalReported = false
    }
}

/// Counters describing the log since it was opened (sizes describe the files now).
public struct LogMetrics: Sendable, Equatable {
    /// Records queued by `append` since open.
    public var appendedRecords: UInt64 = 0
    /// Payload bytes queued by `append` since open.
    public var appendedBytes: UInt64 = 0
    /// `fdatasync` calls on segments (rolls included).
    public var fsyncs: UInt64 = 0
    /// Seconds spent in those `fdatasync` calls.
    public var fsyncSecondsTotal: Double = 0
    /// Group-commit batches written (each one write+fdatasync in `.fsync` mode).
    public var batches: UInt64 = 0
    /// Index covered by the newest snapshot (0 if none).
    public var lastSnapshotIndex: UInt64 = 0
    /// Segment files on disk.
    public var segmentCount: Int = 0
    /// Bytes allocated on disk for segment files (whole preallocated segments, including the spare next segment)
    /// and snapshot files. An idle log uses up to two segments (`LogConfiguration.segmentBytes`) plus snapshots.
    public var diskBytes: Int = 0
    /// Spare-segment preparations that failed (for example `ENOSPC`). The log then creates the next segment when it
    /// rolls, preallocated if it can, growing with its records if not, and logs a warning naming the error.
    public var sparePreparationFailures: UInt64 = 0
    /// Rolls that found no ready spare and created the segment in place (the spare was still being prepared, or its
    /// preparation failed).
    public var rollsWithoutSpare: UInt64 = 0
    /// Rolls made on request (`WriteAheadLog.rollSegment`) rather than because the segment was full.
    public var requestedRolls: UInt64 = 0

    /// Creates zeroed metrics.
    public init() {}
}
