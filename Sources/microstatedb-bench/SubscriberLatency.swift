// `microstatedb-bench subscribers HOST:PORT [SUBSCRIBERS] [EVENTS_PER_SECOND] [SECONDS]`: live-delivery latency
// over gRPC (issue #3: 100 live subscribers at 10,000 events/s, delivery p99 < 5 ms).
//
// SUBSCRIBERS live subscriptions (live only, one HTTP/2 connection each) follow one stream while an appender
// writes EVENTS_PER_SECOND events/s to it in appends of 10 events every millisecond tick. Each event carries its
// append's send time; latency = receive time − send time, measured on the same monotonic clock, for every
// (event, subscriber) pair. So the node delivers SUBSCRIBERS × EVENTS_PER_SECOND events per second.
//
// By default subscribers and appender are the minimal HTTP/2 clients of RawSubscriber.swift on one event-loop
// thread, so the harness takes little of the two cores it shares with the node; BENCH_SUBSCRIBER_CLIENT=rpc uses
// the project's RPCClient instead (BENCH_CLIENT_THREADS sets the loop threads). BENCH_SERIES=1 also prints
// p50/p99/max per second of the run, which shows whether a tail comes from steady load or from a few stalls.
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

/// The first 8 bytes of `SubscribeResponse.event.data` (field 1 → field 6) in `bytes[from..<to]`, or nil (a
/// CaughtUp, or malformed).
func sentStamp(_ bytes: [UInt8], from: Int = 0, to: Int? = nil) -> UInt64? {
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
    let limit = min(to ?? bytes.count, bytes.count)
    guard from + 1 < limit, bytes[from] == 0x0A else { return nil }  // field 1 (event), length-delimited
    var index = from + 1
    guard let length = varint(bytes, &index, limit) else { return nil }
    let end = min(limit, index + Int(length))
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
    // BENCH_SUBSCRIBER_CLIENT=rpc receives with the project's RPCClient instead of the raw client (RawSubscriber.swift).
    let useRPCClient = ProcessInfo.processInfo.environment["BENCH_SUBSCRIBER_CLIENT"] == "rpc"
    let stream = "latency-\(UUID().uuidString.prefix(8))"
    let group = MultiThreadedEventLoopGroup(
        numberOfThreads: Int(ProcessInfo.processInfo.environment["BENCH_CLIENT_THREADS"] ?? "") ?? (useRPCClient ? System.coreCount : 1)
    )
    let recorder = LatencyRecorder()
    let expected = Int(Double(rate) * duration) + 1024
    let request = SubscribeRequest(stream: stream, fromRevision: -1).wireBytes()
    let path = "/microstate.v1.EventStream/Subscribe"

    // One connection per subscriber, as separate service instances would have.
    var clients: [RPCClient] = []
    var tasks: [Task<Void, Never>] = []
    var raw: [(Channel, RawSubscriberHandler)] = []
    if useRPCClient {
        for index in 0..<subscribers {
            let client = RPCClient(configuration: RPCClientConfiguration(host: host, port: port), group: group)
            clients.append(client)
            tasks.append(Task.detached {
                var signalled = false
                var latencies: [UInt64] = []
                latencies.reserveCapacity(expected)
                do {
                    for try await batch in client.serverStreamingBatches(path: path, request: request, timeout: .hours(1)) {
                        let now = monotonicNanoseconds()
                        for bytes in batch {
                            // Pull the 8-byte stamp out of SubscribeResponse.event.data without decoding the message.
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
    } else {
        let opening = RawFrame.opening(authority: endpoint, path: path, request: request)
        for _ in 0..<subscribers {
            let handler = RawSubscriberHandler(opening: opening, expected: expected) { recorder.subscribed() }
            let channel = try await ClientBootstrap(group: group)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) } }
                .connect(host: host, port: port).get()
            raw.append((channel, handler))
        }
    }
    // The raw appender shares the subscribers' loop; the RPCClient one pipelines Tasks (the stamp is taken
    // before the task runs, so task scheduling delays count as delivery latency there).
    let appender = useRPCClient ? RPCClient(configuration: RPCClientConfiguration(host: host, port: port), group: group) : nil
    let rawAppender = RawAppenderHandler(authority: endpoint, stream: stream, perTick: max(1, rate / 1000))
    var appenderChannel: Channel?
    if appender == nil {
        appenderChannel = try await ClientBootstrap(group: group)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(rawAppender) } }
            .connect(host: host, port: port).get()
    }
    while recorder.subscribedCount < subscribers {
        try await Task.sleep(nanoseconds: 10_000_000)
    }

    // Appender: every millisecond, enough events to keep `rate` per second (10 per tick at 10,000/s).
    let perTick = max(1, rate / 1000)
    let ticks = Int(duration * 1000)
    let start = monotonicNanoseconds() + 1_000_000
    var appended = 0
    var skippedTicks = 0
    if let channel = appenderChannel {
        try await channel.eventLoop.flatSubmit {
            let promise = channel.eventLoop.makePromise(of: Void.self)
            do {
                let context = try channel.pipeline.syncOperations.context(handler: rawAppender)
                rawAppender.run(ticks: ticks, start: start, context: context, done: promise)
            } catch {
                promise.fail(error)
            }
            return promise.futureResult
        }.get()
        (appended, skippedTicks) = try await channel.eventLoop.submit { (rawAppender.sentEvents, rawAppender.skippedTicks) }.get()
    } else if let appender {
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
    }
    let elapsed = Double(monotonicNanoseconds() - start) / 1e9
    try await Task.sleep(nanoseconds: 2_000_000_000)  // let the last deliveries arrive
    for task in tasks {
        task.cancel()
    }
    for client in clients {
        await client.close()
    }
    var failures: [String] = []
    var series: [Int: [UInt64]] = [:]  // second of the run → latencies received in it
    let printSeries = ProcessInfo.processInfo.environment["BENCH_SERIES"] != nil
    for (index, (channel, handler)) in raw.enumerated() {
        let (latencies, received, ended) = try await channel.eventLoop.submit {
            (handler.latencies, handler.received, handler.ended)
        }.get()
        recorder.record(subscriber: index, latencies)
        if printSeries {
            for (latency, at) in zip(latencies, received) where at >= start {
                series[Int((at - start) / 1_000_000_000), default: []].append(latency)
            }
        }
        if let ended {
            failures.append(ended)
        }
        try? await channel.close()
    }
    await appender?.close()
    try? await appenderChannel?.close()
    try? await group.shutdownGracefully()

    let (samples, perSubscriber) = recorder.snapshot
    let sorted = samples.sorted()
    func percentile(_ q: Double) -> Double {
        sorted.isEmpty ? .nan : Double(sorted[min(sorted.count - 1, Int(q * Double(sorted.count)))]) / 1e6
    }
    for (second, latencies) in series.sorted(by: { $0.key < $1.key }) {
        let sorted = latencies.sorted()
        print(String(format: "    second %2d: %7d deliveries, p50 %.2f ms, p99 %.2f ms, max %.2f ms", second, sorted.count,
                     Double(sorted[sorted.count / 2]) / 1e6, Double(sorted[Int(0.99 * Double(sorted.count))]) / 1e6,
                     Double(sorted[sorted.count - 1]) / 1e6))
    }
    let complete = perSubscriber.values.filter { $0 == appended }.count
    line(
        "live delivery, \(subscribers) subs × \(Int(Double(appended) / elapsed)) events/s",
        String(format: " p50 %.2f ms, p99 %.2f ms, max %.2f ms; %d/%d subscribers got all %d events",
               percentile(0.50), percentile(0.99), percentile(1.0), complete, subscribers, appended)
            + (failures.isEmpty ? "" : "; streams ended early: \(Set(failures).sorted().joined(separator: ", "))")
            + (skippedTicks == 0 ? "" : "; \(skippedTicks) ticks skipped (no HTTP/2 window or stream slot)"),
        "p99 < 5 ms"
    )
}
