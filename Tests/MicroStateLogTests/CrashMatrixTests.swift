import Foundation
import MicroStateLog
import Testing

/// Every crash point × record size: the process dies at each mutating file-system operation (writes torn at several
/// byte counts), then the machine loses power keeping none, a torn prefix, or all of the unsynced bytes. Recovery
/// must return every acknowledged record, in order and intact, and nothing after the first missing one.
@Suite("Crash matrix")
struct CrashMatrixTests {
    struct Workload: CustomStringConvertible, Sendable {
        var name: String
        var recordBytes: Int
        var records: Int
        /// Appends queued together before waiting, so batches hold several records.
        var group: Int
        var durability: Durability = .fsync

        /// Two and a half records per segment: every workload rolls, and groups straddle rolls.
        var segmentBytes: Int {
            32 + (16 + self.recordBytes) * 5 / 2
        }

        var description: String { self.name }
    }

    static let workloads: [Workload] = [
        Workload(name: "0 B records", recordBytes: 0, records: 8, group: 2),
        Workload(name: "1 B records", recordBytes: 1, records: 8, group: 2),
        Workload(name: "100 B records", recordBytes: 100, records: 8, group: 3),
        Workload(name: "4 KiB records", recordBytes: 4096, records: 6, group: 2),
        Workload(name: "1 MiB records", recordBytes: 1 << 20, records: 3, group: 1),
        Workload(name: "700 B records, batches of 5 spanning rolls", recordBytes: 700, records: 10, group: 5),
        Workload(name: "100 B records, os durability", recordBytes: 100, records: 6, group: 2, durability: .os),
    ]

    /// Runs the workload on `fileSystem`; returns the acknowledged indexes (possibly none if open failed).
    static func run(_ workload: Workload, on fileSystem: SimulatedFileSystem) -> [UInt64] {
        var configuration = simulatedConfiguration(workload.durability, segmentBytes: workload.segmentBytes)
        configuration.maxRecordBytes = max(workload.recordBytes, 16)
        configuration.maxPendingBytes = 8 << 20
        guard let log = try? WriteAheadLog.open(configuration, fileSystem: fileSystem, recover: { _ in }) else {
            return []
        }
        let acks = Acknowledgements()
        var queued = 0
        while queued < workload.records {
            let groupEnd = min(queued + workload.group, workload.records)
            while queued < groupEnd {
                queued += 1
                log.append(payload(index: UInt64(queued), size: workload.recordBytes)) { acks.record($0) }
            }
            _ = acks.wait(for: queued)
        }
        log.close()
        return acks.acknowledged
    }

    enum Aftermath: CustomStringConvertible {
        case powerLoss(keepingUnsyncedBytes: Int)
        case processCrash

        var description: String {
            switch self {
            case .powerLoss(let keep): return "power loss keeping \(keep) unsynced bytes"
            case .processCrash: return "process crash"
            }
        }
    }

    @Test("Every acknowledged record survives a crash at every operation and torn offset", arguments: Self.workloads)
    func crashMatrix(_ workload: Workload) throws {
        let reference = SimulatedFileSystem()
        let all = Self.run(workload, on: reference)
        #expect(all == Array(1...UInt64(workload.records)), "reference run of \(workload)")
        let operations = reference.mutatingOperations
        let frame = 16 + workload.recordBytes
        let tornWrites = Array(Set([0, 1, 17, frame / 2, frame + 3, 1 << 30])).sorted()
        let kinds = reference.operationKinds

        var cases = 0
        for operation in 1...(operations + 1) {
            // Only a write can be torn; other operations either happened or did not.
            let isWrite = operation <= kinds.count && kinds[operation - 1] == "write"
            for torn in isWrite ? tornWrites : [0] {
                let fileSystem = SimulatedFileSystem()
                fileSystem.halt(atOperation: operation, tornBytes: torn)
                let acknowledged = Self.run(workload, on: fileSystem)
                let unsynced = fileSystem.unsyncedBytes
                var aftermaths: [Aftermath] = [.processCrash]
                if workload.durability == .fsync {
                    // `.os` promises nothing across power loss, so only `.fsync` is held to it.
                    aftermaths.append(.powerLoss(keepingUnsyncedBytes: 0))
                    for keep in Set([1, 17, frame / 2, unsynced - 1]) where keep > 0 && keep < unsynced {
                        aftermaths.append(.powerLoss(keepingUnsyncedBytes: keep))
                    }
                }
                for aftermath in aftermaths {
                    cases += 1
                    let label = "\(workload), halt at operation \(operation) of \(operations) keeping \(torn) bytes "
                        + "of that write, then \(aftermath)"
                    let copy = fileSystem.copy()
                    switch aftermath {
                    case .processCrash: copy.restartProcess()
                    case .powerLoss(let keep): copy.crash(keepingUnsyncedBytes: keep)
                    }
                    try Self.verifyRecovery(workload, copy, acknowledged: acknowledged, label: label)
                }
            }
        }
        print("crash matrix \(workload): \(operations) operations, \(cases) crash cases")
    }

    static func verifyRecovery(
        _ workload: Workload,
        _ fileSystem: SimulatedFileSystem,
        acknowledged: [UInt64],
        label: String
    ) throws {
        var configuration = simulatedConfiguration(workload.durability, segmentBytes: workload.segmentBytes)
        configuration.maxRecordBytes = max(workload.recordBytes, 16)
        configuration.maxPendingBytes = 8 << 20
        let log: WriteAheadLog
        let recovered: Recovered
        do {
            (log, recovered) = try openLog(configuration, fileSystem)
        } catch {
            Issue.record("recovery failed: \(error) — \(label)")
            return
        }
        let indexes = recovered.records.map(\.index)
        let count = UInt64(indexes.count)
        #expect(indexes == Array(stride(from: UInt64(1), through: count, by: 1)), "not contiguous — \(label)")
        #expect(count >= (acknowledged.last ?? 0), "lost acknowledged records \(acknowledged) — \(label)")
        #expect(count <= UInt64(workload.records), "invented records — \(label)")
        for record in recovered.records where record.payload != payload(index: record.index, size: workload.recordBytes) {
            Issue.record("record \(record.index) damaged — \(label)")
        }
        // The log continues after the recovered tail, and that survives another recovery.
        let acks = Acknowledgements()
        let next = log.append([0xAB]) { acks.record($0) }
        #expect(next == count + 1, "next index — \(label)")
        log.close()
        #expect(acks.acknowledged == [count + 1], "append after recovery — \(label)")
        let (again, second) = try openLog(configuration, fileSystem)
        again.close()
        #expect(second.records.map(\.index) == Array(stride(from: UInt64(1), through: count + 1, by: 1)),
                "second recovery — \(label)")
    }
}
