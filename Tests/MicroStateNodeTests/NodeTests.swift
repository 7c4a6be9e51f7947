import Foundation
import MicroStateLog
import MicroStateNode
import MicroStateRPC
import MicroStateWire
import Testing

final class FatalRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []

    func record(_ message: String) {
        self.lock.lock()
        self.recorded.append(message)
        self.lock.unlock()
    }

    var messages: [String] {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.recorded
    }
}

@Suite("A real node through the project's own client", .serialized)
struct NodeTests {
    @Test("Put then Get returns the value with its MVCC fields and a response header")
    func putGet() async throws {
        let running = try await RunningNode.start()
        let put = try await running.put("alpha", "one")
        #expect(put.revision == 1)
        #expect(put.header?.nodeId == 1)
        let got = try await running.get("alpha")
        #expect(got.found)
        #expect(got.kv == KeyValue(key: Array("alpha".utf8), value: Array("one".utf8), createRevision: 1, modRevision: 1, version: 1))
        #expect(got.header?.revision == 1)
        await running.stop()
    }

    @Test("A stale expected revision is ABORTED naming the current revision")
    func aborted() async throws {
        let running = try await RunningNode.start()
        _ = try await running.put("k", "v1")
        _ = try await running.put("k", "v2")
        do {
            _ = try await running.put("k", "v3", expectedRevision: 1)
            Issue.record("expected ABORTED")
        } catch let error as RPCError {
            #expect(error.code == .aborted)
            #expect(error.message.contains("revision 2"))
        }
        await running.stop()
    }

    @Test("Malformed request bytes are INVALID_ARGUMENT and the node keeps serving")
    func malformed() async throws {
        let running = try await RunningNode.start()
        do {
            _ = try await running.client.unary(path: "/microstate.v1.KV/Put", request: [0xFF, 0xFF, 0xFF])
            Issue.record("expected INVALID_ARGUMENT")
        } catch {
            // `unary` throws RPCError (typed throws); `catch let e as RPCError` here crashes swiftc 6.3.1.
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("PutRequest"))
        }
        #expect(try await running.put("after", "ok").revision == 1)
        await running.stop()
    }

    @Test("Txn applies its success branch atomically at one revision")
    func txn() async throws {
        let running = try await RunningNode.start()
        let first = try await running.put("a", "1")
        let request = TxnRequest(
            compares: [Compare(key: Array("a".utf8), result: .equal, target: .modRevision(first.revision))],
            success: [
                RequestOp(request: .put(PutRequest(key: Array("a".utf8), value: Array("2".utf8)))),
                RequestOp(request: .put(PutRequest(key: Array("b".utf8), value: Array("2".utf8)))),
            ]
        )
        let response: TxnResponse = try await running.call("Txn", request)
        #expect(response.succeeded)
        #expect(try await running.get("a").kv?.modRevision == response.revision)
        #expect(try await running.get("b").kv?.modRevision == response.revision)
        await running.stop()
    }

    @Test("A Txn op carrying expected_revision is INVALID_ARGUMENT, not silently ignored")
    func txnOpWithExpectation() async throws {
        let running = try await RunningNode.start()
        let request = TxnRequest(success: [
            RequestOp(request: .put(PutRequest(key: Array("a".utf8), value: [], expectedRevision: 3)))
        ])
        do {
            let _: TxnResponse = try await running.call("Txn", request)
            Issue.record("expected INVALID_ARGUMENT")
        } catch let error as RPCError {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("Compare"))
        }
        await running.stop()
    }

    @Test("Watch confirms registration, then replays and streams events in revision order")
    func watch() async throws {
        let running = try await RunningNode.start()
        let first = try await running.put("w/a", "1")
        let stream = running.client.serverStreaming(
            path: "/microstate.v1.KV/Watch",
            request: WatchRequest(key: Array("w/".utf8), prefix: true, startRevision: first.revision).wireBytes(),
            timeout: .seconds(10)
        )
        var iterator = stream.makeAsyncIterator()
        var events: [WatchEvent] = []
        var sawRegistration = false
        var wroteLive = false
        while events.count < 2, let bytes = try await iterator.next() {
            let response = try WatchResponse(wireBytes: bytes)
            if response.events.isEmpty {
                sawRegistration = true
            }
            events += response.events
            if sawRegistration, !wroteLive {
                wroteLive = true
                _ = try await running.put("w/b", "2")
            }
        }
        #expect(sawRegistration)
        #expect(events.map { String(decoding: $0.kv?.key ?? [], as: UTF8.self) } == ["w/a", "w/b"])
        await running.stop()
    }

    @Test("Acknowledged writes survive a restart, through snapshots and the log tail")
    func restart() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configure: (inout NodeConfiguration) -> Void = {
            $0.durability = .fsync
            $0.dataDirectory = directory
            $0.compactAfterRecords = 7  // several snapshots plus a tail
        }
        let first = try await RunningNode.start(configure)
        var revisions: [String: Int64] = [:]
        for index in 0..<25 {
            revisions["key-\(index % 10)"] = try await first.put("key-\(index % 10)", "value-\(index)").revision
        }
        await first.stop()

        let second = try await RunningNode.start(configure)
        for (key, revision) in revisions {
            let got = try await second.get(key)
            #expect(got.kv?.modRevision == revision, "\(key)")
        }
        #expect(try await second.put("after", "restart").revision == 26)
        await second.stop()
    }

    @Test("A corrupt log before its tail refuses to start, naming the file and offset")
    func corruptLog() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configure: (inout NodeConfiguration) -> Void = {
            $0.durability = .fsync
            $0.dataDirectory = directory
            $0.compactAfterRecords = 0
        }
        let first = try await RunningNode.start(configure)
        for index in 0..<20 {
            _ = try await first.put("key-\(index)", String(repeating: "v", count: 100))
        }
        await first.stop()
        let segment = try #require(
            try FileManager.default.contentsOfDirectory(atPath: directory).first { $0.hasSuffix(".wal") }
        )
        let path = directory + "/" + segment
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[200] ^= 0x01  // inside an early record, with valid records after it
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        var config = NodeConfiguration()
        config.listenPort = 0
        config.adminHost = nil
        configure(&config)
        let node = Node(configuration: config, logger: .init(label: "corrupt"))
        do {
            _ = try await node.start()
            Issue.record("a corrupt log must refuse to start")
            await node.shutdown()
        } catch {
            let text = "\(error)"
            #expect(text.contains(segment))
            #expect(text.contains("offset"))
        }
    }

    @Test("A failed fsync fails the write with UNAVAILABLE, stops further writes, keeps reads, and is fatal")
    func failedFsync() async throws {
        let fileSystem = SimulatedFileSystem()
        let fatal = FatalRecorder()
        let running = try await RunningNode.start(fileSystem: fileSystem, onFatalError: { fatal.record($0) }) {
            $0.durability = .fsync
            $0.dataDirectory = "/data"
        }
        _ = try await running.put("before", "ok")
        fileSystem.failSyncs = true
        for key in ["during", "after"] {
            do {
                _ = try await running.put(key, "lost")
                Issue.record("a write whose fsync failed must not be acknowledged")
            } catch let error as RPCError {
                #expect(error.code == .unavailable)
            }
        }
        // The fatal handler runs on the log's thread right after it fails the batch: give it a moment.
        for _ in 0..<100 where fatal.messages.isEmpty {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(fatal.messages.count == 1)
        #expect(try await running.get("before").found)
        #expect(try await running.get("during").found == false)
        await running.stop()
    }

    @Test("Admin port serves healthz, readyz and Prometheus metrics that count calls")
    func admin() async throws {
        let running = try await RunningNode.start()
        _ = try await running.put("m", "v")
        _ = try await running.get("m")
        #expect(try running.admin("/healthz").0.contains("200"))
        #expect(try running.admin("/readyz").0.contains("200"))
        let (status, metrics) = try running.admin("/metrics")
        #expect(status.contains("200"))
        #expect(metrics.contains("grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Get\",grpc_service=\"microstate.v1.KV\",grpc_type=\"unary\"} 1"))
        #expect(metrics.contains("microstatedb_store_keys 1"))
        #expect(try running.admin("/nope").0.contains("404"))
        await running.stop()
    }
}
