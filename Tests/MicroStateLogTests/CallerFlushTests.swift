import Foundation
import MicroStateLog
import Testing

@Suite("WriteAheadLog with callers flushing (--durability os)")
struct CallerFlushTests {
    func configuration(interval: Int = 1_000_000, segmentBytes: Int = 4096) -> LogConfiguration {
        var configuration = simulatedConfiguration(.os, segmentBytes: segmentBytes)
        configuration.callerFlushes = true
        configuration.callerFlushIntervalNanoseconds = interval
        return configuration
    }

    @Test("flushPending writes the queue on the calling thread and runs its completions there, before returning")
    func flushRunsOnCaller() throws {
        // A one-minute sweep interval: only the caller's flush can have written these records.
        let (log, _) = try openLog(self.configuration(interval: 60_000_000_000), SimulatedFileSystem())
        defer { log.close() }
        let caller = pthread_self()
        let acks = Acknowledgements()
        let onCaller = Acknowledgements()
        for index in 1...20 {
            log.append(payload(index: UInt64(index), size: 10)) { result in
                acks.record(result)
                if pthread_equal(pthread_self(), caller) != 0 { onCaller.record(result) }
            }
        }
        usleep(20_000)
        #expect(acks.count == 0, "appends alone do not wake the writer thread")
        log.flushPending()
        #expect(acks.acknowledged == Array(1...20))
        #expect(onCaller.count == 20)
        #expect(log.durableIndex == 20)
    }

    @Test("Records nobody flushes are written by the writer thread within the interval")
    func writerSweeps() throws {
        let (log, _) = try openLog(self.configuration(interval: 2_000_000), SimulatedFileSystem())
        defer { log.close() }
        let acks = Acknowledgements()
        log.append([1, 2, 3]) { acks.record($0) }
        #expect(acks.wait(for: 1, seconds: 5))
        #expect(acks.acknowledged == [1])
    }

    @Test("Many threads appending and flushing at once: every record acknowledged once, recovered in index order")
    func concurrentFlushers() throws {
        let fileSystem = SimulatedFileSystem()
        let configuration = self.configuration(interval: 500_000, segmentBytes: 8192)
        let (log, _) = try openLog(configuration, fileSystem)
        let acks = Acknowledgements()
        let threads = 4
        let perThread = 500
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for step in 0..<perThread {
                log.append(payload(index: UInt64(thread * perThread + step), size: 24)) { acks.record($0) }
                if step % 7 == 0 {
                    log.flushPending()
                }
            }
            log.flushPending()
        }
        #expect(acks.wait(for: threads * perThread))
        log.close()
        let acknowledged = acks.acknowledged
        #expect(acknowledged.count == threads * perThread)
        #expect(Set(acknowledged).count == threads * perThread)
        #expect(log.metrics.segmentCount > 1, "8 KiB segments must roll under the caller-written batches")
        let (reopened, recovered) = try openLog(configuration, fileSystem)
        defer { reopened.close() }
        #expect(recovered.records.map(\.index) == Array(1...UInt64(threads * perThread)))
    }

    @Test("With fsync durability flushPending does nothing: the writer thread owns every fdatasync")
    func fsyncIgnoresCallers() throws {
        var configuration = simulatedConfiguration(.fsync)
        configuration.callerFlushes = true
        let (log, _) = try openLog(configuration, SimulatedFileSystem())
        defer { log.close() }
        let acks = Acknowledgements()
        log.append([9]) { acks.record($0) }
        log.flushPending()
        #expect(acks.wait(for: 1))
        #expect(acks.acknowledged == [1])
    }

    @Test("close() writes what is still queued, and a flush after close does nothing")
    func closeWritesQueue() throws {
        let fileSystem = SimulatedFileSystem()
        let configuration = self.configuration(interval: 60_000_000_000)
        let (log, _) = try openLog(configuration, fileSystem)
        let acks = Acknowledgements()
        for index in 1...5 {
            log.append([UInt8(index)]) { acks.record($0) }
        }
        log.close()
        #expect(acks.acknowledged == Array(1...5))
        log.flushPending()
        let (reopened, recovered) = try openLog(configuration, fileSystem)
        defer { reopened.close() }
        #expect(recovered.records.map(\.index) == Array(1...5))
    }
}
