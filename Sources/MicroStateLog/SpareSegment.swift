import Foundation
import Logging

/// The next segment file, prepared before the log needs it: allocated at `segmentBytes`, filled with zeros and
/// synced, so that once it is the active segment every append overwrites blocks that were already written and
/// `fdatasync` has no size or extent change to commit (docs/adr/0003: ~0.1 ms instead of ~0.2–2 ms on ext4).
///
/// Lifecycle of the file: created as `next-segment.spare.tmp`, allocated, zero-filled, fdatasync'ed, then renamed to
/// `next-segment.spare` (a spare under that name is complete). The writer takes it when it rolls, writes the segment
/// header, syncs, renames it to its `.wal` name and syncs the directory. Recovery deletes a `.tmp` spare and keeps a
/// complete one of the configured size.
///
/// States: `absent` → `preparing` → `ready` (→ taken: `absent`) or `failed` (kept until the next `prepare`, so
/// the roll that finds no spare can say why). `close` cancels a preparation in progress and waits for it.
///
/// Lock discipline: every `var` is guarded by `mutex`, which is never held while doing I/O and is taken inside the
/// log's mutex (for `diskBytes`) but never the other way round.
final class SpareSegment: @unchecked Sendable {
    enum State {
        case absent
        case preparing
        case ready
        case failed(LogError)
    }

    /// What `take()` found.
    enum Taken {
        /// A complete spare at this path; the caller owns it now.
        case ready(path: String)
        /// Still being prepared (or never requested): the caller makes the segment itself.
        case notReady
        /// The last preparation failed with this error.
        case failed(LogError)
    }

    private let fileSystem: any FileSystem
    private let directory: String
    private let segmentBytes: Int
    private let inline: Bool
    private let logger: Logger
    private let mutex = PThreadMutex()
    private let finished = PThreadCondition()
    private var state: State
    private var closing = false
    private var failures: UInt64 = 0

    var path: String { self.directory + "/" + SegmentFormat.spareFileName }
    private var temporaryPath: String { self.directory + "/" + SegmentFormat.spareTemporaryFileName }

    /// Bytes written per zero-fill call: large enough that the fill is a few dozen system calls, small enough that
    /// `close` cancels it promptly.
    static let fillChunkBytes = ZeroBytes.bufferBytes

    init(configuration: LogConfiguration, fileSystem: any FileSystem, recoveredReady: Bool) {
        self.fileSystem = fileSystem
        self.directory = configuration.directory
        self.segmentBytes = configuration.segmentBytes
        self.inline = configuration.segmentPreparation == .inline
        self.logger = configuration.logger
        self.state = recoveredReady ? .ready : .absent
    }

    /// Bytes the spare occupies on disk (counted while it is being prepared too).
    var diskBytes: Int {
        self.mutex.withLock {
            switch self.state {
            case .preparing, .ready: return self.segmentBytes
            case .absent, .failed: return 0
            }
        }
    }

    /// Preparations that failed since open.
    var failureCount: UInt64 {
        self.mutex.withLock { self.failures }
    }

    /// Starts preparing a spare unless one is ready or in preparation. With `.inline` preparation this returns when
    /// it is done; otherwise a helper thread does it.
    func prepare() {
        let start: Bool = self.mutex.withLock {
            switch self.state {
            case .preparing, .ready:
                return false
            case .absent, .failed:
                guard !self.closing else { return false }
                self.state = .preparing
                return true
            }
        }
        guard start else { return }
        if self.inline {
            self.run()
        } else {
            let thread = Thread { [self] in self.run() }
            thread.name = "microstate-log-spare"
            thread.start()
        }
    }

    /// Takes the spare if it is ready; never waits for a preparation in progress.
    func take() -> Taken {
        self.mutex.withLock {
            switch self.state {
            case .ready:
                self.state = .absent
                return .ready(path: self.path)
            case .failed(let error):
                return .failed(error)
            case .absent, .preparing:
                return .notReady
            }
        }
    }

    /// Cancels a preparation in progress and waits until it has stopped. A ready spare stays on disk for the next
    /// open. Idempotent.
    func close() {
        self.mutex.lock()
        self.closing = true
        while case .preparing = self.state {
            self.finished.wait(self.mutex)
        }
        self.mutex.unlock()
    }

    private func run() {
        let outcome: State
        do {
            try self.build()
            outcome = .ready
        } catch let error as SpareCancelled {
            _ = error
            try? self.fileSystem.removeFile(atPath: self.temporaryPath)
            outcome = .absent
        } catch {
            let error = LogError.wrapping(error, "prepare spare segment")
            try? self.fileSystem.removeFile(atPath: self.temporaryPath)
            self.logger.warning(
                "could not prepare the next log segment; the log will create it when it rolls",
                metadata: ["path": "\(self.temporaryPath)", "error": "\(error)"]
            )
            outcome = .failed(error)
        }
        self.mutex.withLock {
            if case .failed = outcome {
                self.failures += 1
            }
            self.state = outcome
            self.finished.broadcast()
        }
    }

    private struct SpareCancelled: Error {}

    private func build() throws {
        let handle = try self.fileSystem.openFile(atPath: self.temporaryPath, mode: .create)
        defer { self.fileSystem.close(handle) }
        // Allocate first: a full disk fails here at once, and the extent is laid out in one piece.
        try self.fileSystem.allocate(handle, offset: 0, length: self.segmentBytes)
        var offset = 0
        while offset < self.segmentBytes {
            if self.mutex.withLock({ self.closing }) {
                throw SpareCancelled()
            }
            let count = min(Self.fillChunkBytes, self.segmentBytes - offset)
            try self.fileSystem.write(handle, ZeroBytes.prefix(count), at: offset)
            offset += count
        }
        try self.fileSystem.synchronize(handle)
        try self.fileSystem.rename(atPath: self.temporaryPath, toPath: self.path)
    }
}
