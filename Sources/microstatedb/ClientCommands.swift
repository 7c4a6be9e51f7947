import ArgumentParser
import Foundation
import MicroStateRPC
import MicroStateWire
import NIOCore
import NIOPosix

/// Options every client subcommand shares.
struct ClientOptions: ParsableArguments {
    @Option(help: "Node gRPC address host:port (or set MICROSTATEDB_ENDPOINT).")
    var endpoint = ProcessInfo.processInfo.environment["MICROSTATEDB_ENDPOINT"] ?? "127.0.0.1:50051"

    @Option(help: "Deadline for the call in seconds (sent as grpc-timeout). For watch: 0 = none.")
    var timeout: Double = 5

    @Flag(help: "Print JSON (one object per line) instead of text.")
    var json = false

    /// Runs `body` with a connected client; maps RPC errors to a message on stderr and exit code 2 (NOT_FOUND to
    /// exit code 1 when `notFoundExitsOne`, as `get` does for a missing key).
    func withClient<R>(notFoundExitsOne: Bool = false, _ body: (RPCClient, TimeAmount?) async throws -> R) async throws -> R {
        let (host, port) = try parseAddress(self.endpoint, flag: "--endpoint")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = RPCClient(configuration: RPCClientConfiguration(host: host, port: port), group: group)
        let timeout: TimeAmount? = self.timeout > 0 ? .nanoseconds(Int64(self.timeout * 1e9)) : nil
        do {
            let result = try await body(client, timeout)
            await client.close()
            try? await group.shutdownGracefully()
            return result
        } catch let error as RPCError {
            await client.close()
            try? await group.shutdownGracefully()
            if notFoundExitsOne && error.code == .notFound {
                FileHandle.standardError.write(Data("not found: \(error.message)\n".utf8))
                throw ExitCode(1)
            }
            FileHandle.standardError.write(Data("error: \(error.code): \(error.message)\n".utf8))
            throw ExitCode(2)
        } catch {
            await client.close()
            try? await group.shutdownGracefully()
            throw error
        }
    }
}

enum KVMethod {
    static let put = "/microstate.v1.KV/Put"
    static let get = "/microstate.v1.KV/Get"
    static let delete = "/microstate.v1.KV/Delete"
    static let range = "/microstate.v1.KV/Range"
    static let txn = "/microstate.v1.KV/Txn"
    static let watch = "/microstate.v1.KV/Watch"
}

extension RPCClient {
    func call<Request: WireMessage, Response: WireMessage>(
        _ path: String,
        _ request: Request,
        as: Response.Type,
        timeout: TimeAmount?
    ) async throws -> Response {
        let bytes = try await self.unary(path: path, request: request.wireBytes(), timeout: timeout)
        return try bytes.withUnsafeBytes { try Response(wireBytes: $0) }
    }
}

struct Put: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a key.")

    @OptionGroup var options: ClientOptions
    @Argument(help: "The key (UTF-8).") var key: String
    @Argument(help: "The value (UTF-8).") var value: String
    @Option(help: "Succeed only if the key's mod_revision equals this (0 = the key must not exist).")
    var expectedRevision: Int64?
    @Option(help: "Expire the key after this many milliseconds.") var ttlMs: Int64 = 0
    @Option(help: "Retries with the same idempotency key return the first result without writing again.")
    var idempotencyKey = ""

    func run() async throws {
        let request = PutRequest(
            key: Array(self.key.utf8),
            value: Array(self.value.utf8),
            expectedRevision: self.expectedRevision,
            ttlMs: self.ttlMs,
            idempotencyKey: self.idempotencyKey
        )
        let response = try await self.options.withClient { client, timeout in
            try await client.call(KVMethod.put, request, as: PutResponse.self, timeout: timeout)
        }
        Output.emit(json: self.options.json, ["revision": response.revision]) { "OK revision=\(response.revision)" }
    }
}

struct Get: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read a key.",
        discussion: "Exits 1 (with a message on stderr) when the key does not exist."
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "The key (UTF-8).") var key: String
    @Option(help: "Read at this past revision (0 = latest).") var revision: Int64 = 0

    func run() async throws {
        let request = GetRequest(key: Array(self.key.utf8), revision: self.revision)
        let response = try await self.options.withClient { client, timeout in
            try await client.call(KVMethod.get, request, as: GetResponse.self, timeout: timeout)
        }
        guard response.found, let kv = response.kv else {
            FileHandle.standardError.write(Data("not found: \(self.key)\n".utf8))
            throw ExitCode(1)
        }
        Output.emit(json: self.options.json, Output.object(kv)) { Output.line(kv) }
    }
}

struct Del: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Delete a key.")

    @OptionGroup var options: ClientOptions
    @Argument(help: "The key (UTF-8).") var key: String
    @Option(help: "Succeed only if the key's mod_revision equals this.") var expectedRevision: Int64?

    func run() async throws {
        let request = DeleteRequest(key: Array(self.key.utf8), expectedRevision: self.expectedRevision)
        let response = try await self.options.withClient { client, timeout in
            try await client.call(KVMethod.delete, request, as: DeleteResponse.self, timeout: timeout)
        }
        Output.emit(json: self.options.json, ["deleted": response.deleted, "revision": response.revision]) {
            response.deleted ? "deleted revision=\(response.revision)" : "not found (nothing deleted)"
        }
    }
}

struct RangeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "range",
        abstract: "List keys in [start, end) in key order, or every key with --prefix."
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "First key (inclusive); omitted = from the beginning.") var start: String = ""
    @Argument(help: "End key (exclusive); omitted = to the end.") var end: String = ""
    @Option(help: "Every key starting with this (overrides start and end).") var prefix: String?
    @Option(help: "Most keys returned (0 = the server's maximum).") var limit: Int64 = 0
    @Option(help: "Read at this past revision (0 = latest).") var revision: Int64 = 0
    @Flag(help: "Omit values.") var keysOnly = false

    func run() async throws {
        let request = RangeRequest(
            start: Array(self.start.utf8),
            end: Array(self.end.utf8),
            prefix: Array((self.prefix ?? "").utf8),
            limit: self.limit,
            revision: self.revision,
            keysOnly: self.keysOnly
        )
        let response = try await self.options.withClient { client, timeout in
            try await client.call(KVMethod.range, request, as: RangeResponse.self, timeout: timeout)
        }
        if self.options.json {
            Output.emit(json: true, [
                "kvs": response.kvs.map(Output.object), "more": response.more, "count": response.count,
            ]) { "" }
            return
        }
        for kv in response.kvs {
            print(self.keysOnly ? Output.text(kv.key) : Output.line(kv))
        }
        print("(\(response.kvs.count) of \(response.count) keys\(response.more ? ", more" : ""))")
    }
}

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stream changes to a key (or a prefix) until interrupted.",
        discussion: "With --start-revision, first replays every change since that revision."
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "The key (or prefix with --prefix).") var key: String
    @Flag(help: "Watch every key starting with KEY.") var prefix = false
    @Option(help: "Replay from this revision (0 = only new changes).") var startRevision: Int64 = 0
    @Option(help: "Exit after this many events (0 = never).") var count = 0

    func run() async throws {
        var options = self.options
        if options.timeout == 5 {
            options.timeout = 0  // a watch lives until interrupted unless a deadline was asked for
        }
        let request = WatchRequest(key: Array(self.key.utf8), prefix: self.prefix, startRevision: self.startRevision)
        let json = self.options.json
        let limit = self.count
        try await options.withClient { client, timeout in
            var seen = 0
            for try await bytes in client.serverStreaming(path: KVMethod.watch, request: request.wireBytes(), timeout: timeout) {
                let response = try bytes.withUnsafeBytes { try WatchResponse(wireBytes: $0) }
                if response.compacted {
                    FileHandle.standardError.write(
                        Data("history compacted: start from revision \(response.compactRevision) or later\n".utf8)
                    )
                    throw ExitCode(3)
                }
                for event in response.events {
                    let kv = event.kv ?? KeyValue()
                    let type = event.type == .delete ? "DELETE" : "PUT"
                    var object = Output.object(kv)
                    object["type"] = type
                    Output.emit(json: json, object) { "\(type) \(Output.line(kv))" }
                    seen += 1
                    if limit > 0, seen >= limit {
                        return
                    }
                }
            }
        }
    }
}

/// Text and JSON rendering shared by the client subcommands.
enum Output {
    static func text(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    static func line(_ kv: KeyValue) -> String {
        "\(self.text(kv.key)) = \(self.text(kv.value))  "
            + "(create_revision=\(kv.createRevision) mod_revision=\(kv.modRevision) version=\(kv.version))"
    }

    static func object(_ kv: KeyValue) -> [String: Any] {
        [
            "key": self.text(kv.key), "value": self.text(kv.value), "create_revision": kv.createRevision,
            "mod_revision": kv.modRevision, "version": kv.version,
        ]
    }

    static func emit(json: Bool, _ object: [String: Any], text: () -> String) {
        var line: Data
        if json {
            line = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        } else {
            line = Data(text().utf8)
        }
        line.append(UInt8(ascii: "\n"))
        // Unbuffered: a watch's lines must reach a pipe as they happen.
        FileHandle.standardOutput.write(line)
    }
}
