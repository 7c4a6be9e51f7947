import Foundation
import MicroStateLog
import Testing

/// A deterministic payload for record `index` of `size` bytes, so recovered records can be checked exactly.
/// Memoised: the crash matrix compares megabyte payloads thousands of times in debug builds.
func payload(index: UInt64, size: Int) -> [UInt8] {
    payloadCache.lock.lock()
    defer { payloadCache.lock.unlock() }
    let key = PayloadKey(index: index, size: size)
    if let cached = payloadCache.values[key] {
        return cached
    }
    let value = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
        var byte = UInt8(truncatingIfNeeded: index &* 31)
        for position in 0..<size {
            buffer[position] = byte
            byte &+= 7
        }
        count = size
    }
    payloadCache.values[key] = value
    return value
}

private struct PayloadKey: Hashable {
    var index: UInt64
    var size: Int
}

private final class PayloadCache: @unchecked Sendable {
    let lock = NSLock()
    var values: [PayloadKey: [UInt8]] = [:]
}

private let payloadCache = PayloadCache()

/// Thread-safe collector for completions.
final class Acknowledgements: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<UInt64, LogError>] = []
    private var threads: Set<String> = []

    func record(_ result: Result<UInt64, LogError>) {
        self.lock.lock()
        self.results.append(result)
        self.lock.unlock()
    }

    var all: [Result<UInt64, LogError>] {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.results
    }

    var acknowledged: [UInt64] {
        self.all.compactMap { try? $0.get() }
    }

    var failures: [LogError] {
        self.all.compactMap {
            if case .failure(let error) = $0 { return error }
            return nil
        }
    }

    var count: Int { self.all.count }

    /// Waits (bounded) until `count` completions have arrived.
    func wait(for count: Int, seconds: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while self.count < count {
            if Date() > deadline { return false }
            usleep(200)
        }
        return true
    }
}

struct Recovered {
    var snapshot: (index: UInt64, payload: [UInt8])?
    var records: [(index: UInt64, payload: [UInt8])] = []
}

/// Opens a log and collects what recovery delivers.
func openLog(
    _ configuration: LogConfiguration,
    _ fileSystem: any FileSystem
) throws -> (WriteAheadLog, Recovered) {
    var recovered = Recovered()
    let log = try WriteAheadLog.open(configuration, fileSystem: fileSystem) { item in
        switch item {
        case .snapshot(let index, let payload):
            #expect(recovered.snapshot == nil && recovered.records.isEmpty, "snapshot must come first, once")
            recovered.snapshot = (index, payload)
        case .record(let index, let payload):
            recovered.records.append((index, Array(payload)))
        }
    }
    return (log, recovered)
}

/// A log in `/data` with small segments (the simulated file system holds whole preallocated segments in memory) and
/// spare segments prepared inline, so every run performs the same file-system operations in the same order.
func simulatedConfiguration(_ durability: Durability = .fsync, segmentBytes: Int = 64 << 10) -> LogConfiguration {
    var configuration = LogConfiguration(directory: "/data", durability: durability)
    configuration.segmentBytes = segmentBytes
    configuration.segmentPreparation = .inline
    configuration.recoveryChunkBytes = 4096
    return configuration
}
