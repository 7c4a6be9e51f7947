import Foundation
import MicroStateLog
import Testing

@Suite("WriteAheadLog")
struct WriteAheadLogTests {
    @Test("Appended records are recovered in order after close and reopen")
    func appendAndRecover() throws {
        let fileSystem = SimulatedFileSystem()
        let configuration = simulatedConfiguration(segmentBytes: 1000)
        let (log, first) = try openLog(configuration, fileSystem)
        #expect(first.records.isEmpty)
        let acks = Acknowledgements()
        for index in 1...50 {
            let assigned = log.append(payload(index: UInt64(index), size: index * 3)) { acks.record($0) }
            #expect(assigned == UInt64(index))
        }
        log.close()
        #expect(acks.acknowledged == Array(1...50))
        #expect(log.metrics.segmentCount > 1, "1000-byte segments must roll")

        let (reopened, recovered) = try openLog(configuration, fileSystem)
        #expect(recovered.records.map(\.index) == Array(1...50))
        for record in recovered.records {
            #expect(record.payload == payload(index: record.index, size: Int(record.index) * 3))
        }
        #expect(reopened.lastIndex == 50)
        #expect(reopened.append([1, 2, 3]) { _ in } == 51)
        reopened.close()
    }

    @Test("A record over maxRecordBytes is refused with recordTooLarge and gets no index")
    func recordTooLarge() throws {
        var configuration = simulatedConfiguration()
        configuration.maxRecordBytes = 10
        let (log, _) = try openLog(configuration, SimulatedFileSystem())
        defer { log.close() }
        let acks = Acknowledgements()
        #expect(log.append([UInt8](repeating: 0, count: 11)) { acks.record($0) } == 0)
        #expect(acks.failures.map(\.code) == [.recordTooLarge])
        #expect(log.append([UInt8](repeating: 0, count: 10)) { acks.record($0) } == 1)
    }

    @Test("A failed fsync fails the batch and every later append, and reports a fatal error once")
    func failedFsync() throws {
        let fileSystem = SimulatedFileSystem()
        let (log, _) = try openLog(simulatedConfiguration(), fileSystem)
        let fatal = Acknowledgements()
        log.onFatalError = { error in fatal.record(.failure(error)) }
        let acks = Acknowledgements()
        log.append([1]) { acks.record($0) }
        #expect(acks.wait(for: 1))
        fileSystem.failSyncs = true
        log.append([2]) { acks.record($0) }
        log.append([3]) { acks.record($0) }
        #expect(acks.wait(for: 3))
        fileSystem.failSyncs = false
        #expect(log.append([4]) { acks.record($0) } == 0, "a failed log assigns no more indexes")
        #expect(acks.wait(for: 4))
        log.close()
        let results = acks.all
        #expect(try results[0].get() == 1)
        #expect(acks.failures.count == 3)
        #expect(acks.failures.allSatisfy { $0.code == .fsyncFailed }, "\(acks.failures)")
        #expect(fatal.failures.map(\.code) == [.fsyncFailed])
    }

    @Test("A failed write fails the log with ioFailed")
    func failedWrite() throws {
        let fileSystem = SimulatedFileSystem()
        let (log, _) = try openLog(simulatedConfiguration(), fileSystem)
        let acks = Acknowledgements()
        fileSystem.failWrites = true
        log.append([2]) { acks.record($0) }
        #expect(acks.wait(for: 1))
        let fatal = Acknowledgements()
        log.onFatalError = { error in fatal.record(.failure(error)) }
        #expect(fatal.failures.map(\.code) == [.ioFailed], "a handler installed after the failure hears it")
        log.onFatalError = { error in fatal.record(.failure(error)) }
        #expect(fatal.count == 1, "reported once")
        log.close()
        #expect(acks.failures.map(\.code) == [.ioFailed])
    }

    @Test("os durability acknowledges without fsync")
    func osDurability() throws {
        let fileSystem = SimulatedFileSystem()
        let (log, _) = try openLog(simulatedConfiguration(.os), fileSystem)
        let fsyncsAfterOpen = log.metrics.fsyncs
        let acks = Acknowledgements()
        for index in 1...20 {
            log.append(payload(index: UInt64(index), size: 10)) { acks.record($0) }
        }
        #expect(acks.wait(for: 20))
        #expect(log.metrics.fsyncs == fsyncsAfterOpen)
        log.close()
        // A process crash keeps what was written.
        fileSystem.restartProcess()
        let (reopened, recovered) = try openLog(simulatedConfiguration(.os), fileSystem)
        #expect(recovered.records.map(\.index) == Array(1...20))
        reopened.close()
    }

    @Test("memory durability writes no files and completes before append returns")
    func memoryDurability() throws {
        let fileSystem = SimulatedFileSystem()
        let (log, recovered) = try openLog(simulatedConfiguration(.memory), fileSystem)
        #expect(recovered.records.isEmpty)
        let acks = Acknowledgements()
        for index in 1...5 {
            #expect(log.append([UInt8(index)]) { acks.record($0) } == UInt64(index))
            #expect(acks.count == index)
        }
        try log.writeSnapshot(index: 5) { sink in try sink.write([1, 2, 3]) }
        log.close()
        #expect(fileSystem.allFiles.isEmpty)
        #expect(fileSystem.mutatingOperations == 0)
        #expect(log.append([9]) { acks.record($0) } == 0)
        #expect(acks.failures.map(\.code) == [.closed])
    }

    @Test("Appends after close complete with closed")
    func appendAfterClose() throws {
        let (log, _) = try openLog(simulatedConfiguration(), SimulatedFileSystem())
        let acks = Acknowledgements()
        log.append([1]) { acks.record($0) }
        log.close()
        log.close()
        #expect(acks.acknowledged == [1], "close finishes queued appends")
        #expect(log.append([2]) { acks.record($0) } == 0)
        #expect(acks.failures.map(\.code) == [.closed])
    }

    @Test("Many threads appending get contiguous indexes and completions arrive in index order")
    func concurrentAppends() throws {
        let (log, _) = try openLog(simulatedConfiguration(segmentBytes: 16 << 10), SimulatedFileSystem())
        let acks = Acknowledgements()
        let threads = 8
        let perThread = 500
        let assigned = Acknowledgements()
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for item in 0..<perThread {
                let index = log.append(payload(index: UInt64(thread * perThread + item), size: item % 200)) {
                    acks.record($0)
                }
                assigned.record(.success(index))
            }
        }
        #expect(acks.wait(for: threads * perThread))
        log.close()
        #expect(assigned.acknowledged.sorted() == Array(1...UInt64(threads * perThread)))
        #expect(acks.acknowledged == Array(1...UInt64(threads * perThread)))
        #expect(log.metrics.batches <= UInt64(threads * perThread))
    }

    @Test("Real files: PosixFileSystem round-trips records through a temporary directory")
    func realFiles() throws {
        let directory = NSTemporaryDirectory() + "microstate-log-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = LogConfiguration(directory: directory)
        configuration.segmentBytes = 64 << 10
        let (log, _) = try openLog(configuration, PosixFileSystem())
        let acks = Acknowledgements()
        for index in 1...300 {
            log.append(payload(index: UInt64(index), size: 500)) { acks.record($0) }
        }
        #expect(acks.wait(for: 300))
        try log.writeSnapshot(index: 200) { sink in try sink.write([7, 7, 7]) }
        log.close()
        #expect(acks.acknowledged == Array(1...300))
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(names.contains("00000000000000000200.snap"), "\(names)")

        let (reopened, recovered) = try openLog(configuration, PosixFileSystem())
        #expect(recovered.snapshot?.index == 200)
        #expect(recovered.snapshot?.payload == [7, 7, 7])
        #expect(recovered.records.map(\.index) == Array(201...300))
        #expect(recovered.records.allSatisfy { $0.payload == payload(index: $0.index, size: 500) })
        reopened.close()
    }
}
