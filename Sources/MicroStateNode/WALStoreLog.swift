import MicroStateLog
import MicroStateStore

/// Adapts the write-ahead log to the store's log protocol. The store never imports the log module's
/// file handling; this is the only place the two meet.
///
/// The store must exist before the log is opened (recovery replays into it) and the store takes its log at
/// init, so `wal` is attached right after `WriteAheadLog.open` returns, before the store appends anything.
public final class WALStoreLog: StoreLog, @unchecked Sendable {
    // Written once by `attach` before any append; read-only after (the node starts serving only then).
    private var attached: WriteAheadLog?

    public init() {}

    public func attach(_ wal: WriteAheadLog) {
        precondition(self.attached == nil, "log attached twice")
        self.attached = wal
    }

    private var wal: WriteAheadLog {
        guard let wal = self.attached else {
            preconditionFailure("the store appended before the log finished recovery")
        }
        return wal
    }

    public func append(_ payload: [UInt8], completion: @escaping @Sendable (Result<UInt64, any Error>) -> Void) -> UInt64 {
        self.wal.append(payload) { result in
            completion(result.mapError { $0 })
        }
    }

    public func writeSnapshot(index: UInt64, produce: (_ emit: ([UInt8]) throws -> Void) throws -> Void) throws {
        try self.writeSnapshot(index: index, discardingOlder: false, produce: produce)
    }

    public func writeSnapshot(
        index: UInt64,
        discardingOlder: Bool,
        produce: (_ emit: ([UInt8]) throws -> Void) throws -> Void
    ) throws {
        try self.wal.writeSnapshot(index: index, discardingOlder: discardingOlder) { sink in
            try produce { chunk in try sink.write(chunk) }
        }
    }

    public func rollSegment() throws -> UInt64 {
        try self.wal.rollSegment()
    }
}
