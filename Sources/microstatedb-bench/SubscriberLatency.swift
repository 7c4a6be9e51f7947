// `microstatedb-bench subscribers HOST:PORT [SUBSCRIBERS] [EVENTS_PER_SECOND] [SECONDS]`: live-delivery latency
// over gRPC (issue #3: 100 live subscribers at 10,000 events/s, delivery p99 < 5 ms).
//
// SUBSCRIBERS live subscriptions (live only, one HTTP/2 connection each, the project's own client) follow one
// stream while an appender writes EVENTS_PER_SECOND events/s to it in appends of 10 events every millisecond
// tick. Each event carries its append's send time; latency = receive time − send time, measured on the same
// monotonic clock, for every (event, subscriber) pair. So the node delivers SUBSCRIBERS × EVENTS_PER_SECOND
// events per second.
import Dispatch
import Foundation
import MicroStateRPC
import MicroStateWire
import NIOCore
import NIOPosix

func monotonicNanoseconds() -> UInt64 {
    DispatchTime.now().uptimeNanoseconds
}

final class LatencyRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var samples: [UInt64] = []
    private var counts: [Int: Int] = [:]
    private var ready = 0

    func subscribed() {
        self.lock.lock()
        self.ready += 1
        self.lock.unlock()
    }

    var subscribedCount: Int {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.ready
    }

    func record(subscriber: Int, _ latencies: [UInt64]) {
        self.lock.lock()
        self.samples.append(contentsOf: latencies)
        self.counts[subscriber, default: 0] += latencies.count
        self.lock.unlock()
    }

    var snapshot: (samples: [UInt64], perSubscriber: [Int: Int]) {
        self.lock.lock()
        defer { self.lock.unlock() }
        return (self.samples, self.counts)
    }
}

/// The first 8 bytes of `SubscribeResponse.event.data` (field 1 → field 6), or nil (a CaughtUp, or malformed).
func sentStamp(_ bytes: [UInt8]) -> UInt64? {
    func varint(_ bytes: [UInt8], _ index: inout Int, _ end: Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < end, shift < 64 {
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                return value
            }
            shift += 7
        }
        return nil
    }
    var index = 0
    guard bytes.first == 0x0A, bytes.count > 1 else { return nil }  // field 1 (event), length-delimited
    index = 1
    guard let length = varint(bytes, &index, bytes.count) else { return nil }
    let end = min(bytes.count, index + Int(length))
    while index < end {
        guard let key = varint(bytes, &index, end) else { return nil }
        switch key & 7 {
        case 0:
            guard varint(bytes, &index, end) != nil else { return nil }
        case 2:
            guard let size = varint(bytes, &index, end) else { return nil }
            if key >> 3 == 6, size >= 8, index + 8 <= end {
                return bytes[index..<(index + 8)].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            }
            index += Int(size)
        case 1:
            index += 8
        case 5:
            index += 4
        default:
            return nil
        }
    }
    return nil
}

func subscriberFigure(arguments: [String]) async throws {
    guard let endpoint = arguments.first, let colon = endpoint.lastIndex(of: ":"), let port = Int(endpoint[endpoint.index(after: colon)...]) else {
        FileHandle.standardError.write(Data("usage: microstatedb-bench subscribers HOST:PORT [SUBSCRIBERS] [EVENTS_PER_SECOND] [SECONDS]\n".utf8))
        exit(64)
    }
    let host = String(endpoint[..<colon])
    let subscribers = arguments.count > 1 ? Int(arguments[1]) ?? 100 : 100
    let rate = arguments.count > 2 ? Int(arguments[2]) ?? 10_000 : 10_000
    let duration = arguments.count > 3 ? Double(arguments[3]) ?? 10 : 10
    let stream = "latency-\(UUID().uuidString.prefix(8))"
    let group = MultiThreadedEventLoopGroup(
        numberOfThreads: Int(ProcessInfo.processInfo.environment["BENCH_CLIENT_THREADS"] ?? "") ?? System.coreCount
    )
    let recorder = LatencyRecorder()

    // One connection per subscriber, as separate service instances would have.
    var clients: [RPCClient] = []
    for _ in 0..<subscribers {
        clients.append(RPCClient(configuration: RPCClientConfiguration(host: host, port: port), group: group))
    }
    let appender = RPCClient(configuration: RPCClientConfiguration(host: host, port: port), group: group)
    var tasks: [Task<Void, Never>] = []
    for (index, client) in clients.enumerated() {
        tasks.append(Task.detached {
            let request = SubscribeRequest(stream: stream, fromRevision: -1)
            var signalled = false
            var latencies: [UInt64] = []
            latencies.reserveCapacity(Int(Double(rate) * duration) + 1024)
            do {
                for try await batch in client.serverStreamingBatches(
                    path: "/microstate.v1.EventStream/Subscribe", request: request.wireBytes(), timeout: .hours(1)
                ) {
                    let now = monotonicNanoseconds()
                    for bytes in batch {
                        // The harness must not be the bottleneck at 1M deliveries/s: pull the 8-byte stamp out of
                        // SubscribeResponse.event.data without decoding the whole message.
                        if let sent = sentStamp(bytes) {
                            latencies.append(now &- sent)
                        } else if !signalled {
                            signalled = true  // CaughtUp
                            recorder.subscribed()
                        }
                    }
                }
                recorder.record(subscriber: index, latencies)
            } catch {
                recorder.record(subscriber: index, latencies)
                if !signalled {
                    recorder.subscribed()  // failed: do not wait for it
                }
            }
        })
    }
    while recorder.subscribedCount < subscribers {
        try await Task.sleep(nanoseconds: 10_000_000)
    }

    // Appender: every millisecond, enough events to keep `rate` per second (10 per tick at 10,000/s).
    let perTick = max(1, rate / 1000)
    let ticks = Int(duration * 1000)
    let start = monotonicNanoseconds()
    var appended = 0
    // Appends are pipelined (a producer does not wait for one append's fsync before the next tick's).
    try await withThrowingTaskGroup(of: Void.self) { appends in
        for tick in 0..<ticks {
            let due = start + UInt64(tick) * 1_000_000
            let now = monotonicNanoseconds()
            if due > now {
                try await Task.sleep(nanoseconds: due - now)
            }
            var stamp = monotonicNanoseconds()
            let data = withUnsafeBytes(of: &stamp) { Array($0) }
            let events = (0..<perTick).map { _ in EventData(type: "latency.Tick", data: data) }
            let request = AppendRequest(stream: stream, events: events).wireBytes()
            appends.addTask {
                _ = try await appender.unary(path: "/microstate.v1.EventStream/Append", request: request, timeout: .seconds(10))
            }
            appended += perTick
        }
        try await appends.waitForAll()
    }
    let elapsed = Double(monotonicNanoseconds() - start) / 1e9
    try await Task.sleep(nanoseconds: 2_000_000_000)  // let the last deliveries arrive
    for task in tasks {
        task.cancel()
    }
    for client in clients {
        await client.close()
    }
    await appender.close()
    try? await group.shutdownGracefully()

    let (samples, perSubscriber) = recorder.snapshot
    let sorted = samples.sorted()
    func percentile(_ q: Double) -> Double {
        sorted.isEmpty ? .nan : Double(sorted[min(sorted.count - 1, Int(q * Double(sorted.count)))]) / 1e6
    }
    let complete = perSubscriber.values.filter { $0 == appended }.count
    line(
        "live delivery, \(subscribers) subscribers × \(Int(Double(appended) / elapsed)) events/s",
        String(format: "p50 %.2f ms, p99 %.2f ms, max %.2f ms; %d/%d subscribers got all %d events",
               percentile(0.50), percentile(0.99), percentile(1.0), complete, subscribers, appended),
        "p99 < 5 ms"
    )
}
