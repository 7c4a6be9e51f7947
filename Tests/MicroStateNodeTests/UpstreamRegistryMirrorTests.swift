import Foundation
import Logging
import MicroStateRPC
import MicroStateSchema
import MicroStateServices
import MicroStateStore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import MicroStateNode

/// An upstream registry in memory (no network): Confluent's rules for ids and versions, ids from 1000 so a kept id
/// cannot be the local registry's own numbering.
final class FakeUpstream: UpstreamRegistry {
    struct State {
        var subjects: [String: [(version: Int, id: Int)]] = [:]
        var schemas: [Int: RegisteredSchema] = [:]
        var nextID = 1000
        var down = false
        var registrations = 0
        var registerError: RegistryHTTPError?
    }

    let state = NIOLockedValueBox(State())
    var name: String { "fake://upstream" }

    @discardableResult
    func add(_ subject: String, _ schema: RegisteredSchema) -> (id: Int, version: Int) {
        self.state.withLockedValue { s in
            if let existing = s.subjects[subject]?.first(where: { s.schemas[$0.id] == schema }) {
                return (existing.id, existing.version)
            }
            let id = s.schemas.first(where: { $0.value == schema })?.key ?? s.nextID
            if id == s.nextID { s.nextID += 1 }
            s.schemas[id] = schema
            let version = (s.subjects[subject]?.last?.version ?? 0) + 1
            s.subjects[subject, default: []].append((version, id))
            return (id, version)
        }
    }

    private func check() throws {
        if self.state.withLockedValue({ $0.down }) {
            throw RPCError(code: .unavailable, message: "schema_registry: connection refused")
        }
    }

    func subjects() async throws -> [String] {
        try self.check()
        return self.state.withLockedValue { $0.subjects.keys.sorted() }
    }

    func versions(subject: String) async throws -> [Int] {
        try self.check()
        return self.state.withLockedValue { $0.subjects[subject]?.map(\.version) ?? [] }
    }

    func version(subject: String, _ version: Int) async throws -> UpstreamSchemaVersion {
        try self.check()
        return try self.state.withLockedValue { s in
            guard let entry = s.subjects[subject]?.first(where: { $0.version == version }) else {
                throw RegistryHTTPError(code: .httpStatus, message: "404", status: 404,
                                        registryError: .versionNotFound(subject, version)).rpcError
            }
            return UpstreamSchemaVersion(subject: subject, version: version, id: entry.id, schema: s.schemas[entry.id]!)
        }
    }

    func register(subject: String, schema: RegisteredSchema, normalize: Bool, deadline: NIODeadline)
        async throws -> (id: Int, version: Int?)
    {
        try self.check()
        if let error = self.state.withLockedValue({ $0.registerError }) {
            throw error.rpcError
        }
        self.state.withLockedValue { $0.registrations += 1 }
        return (self.add(subject, schema).id, nil)  // Confluent answers only the id
    }

    func lookup(subject: String, schema: RegisteredSchema, normalize: Bool, deadline: NIODeadline)
        async throws -> UpstreamSchemaVersion
    {
        try self.check()
        let found = self.state.withLockedValue { s in s.subjects[subject]?.first(where: { s.schemas[$0.id] == schema }) }
        guard let found else {
            throw RegistryHTTPError(code: .httpStatus, message: "404", status: 404, registryError: .schemaNotFound(0)).rpcError
        }
        return UpstreamSchemaVersion(subject: subject, version: found.version, id: found.id, schema: schema)
    }
}

@Suite("Upstream registry mirror")
struct UpstreamRegistryMirrorTests {
    static let user = RegisteredSchema(type: .avro, text: #"{"type":"record","name":"User","fields":[{"name":"id","type":"long"}]}"#)
    static let user2 = RegisteredSchema(
        type: .avro,
        text: #"{"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"e","type":"string","default":""}]}"#
    )
    // Protobuf, because the local checker resolves references for Protobuf imports (not Avro named types).
    static let address = RegisteredSchema(
        type: .protobuf, text: "syntax = \"proto3\";\npackage shop;\nmessage Address { string city = 1; }\n"
    )
    static let order = RegisteredSchema(
        type: .protobuf,
        text: "syntax = \"proto3\";\npackage shop;\nimport \"address.proto\";\nmessage Order { shop.Address to = 1; }\n",
        references: [SchemaReference(name: "address.proto", subject: "shop.Address", version: 1)]
    )

    func makeMirror(forward: Bool = false) -> (UpstreamRegistryMirror, FakeUpstream, SchemaRegistryEngine) {
        let store = KVStore(configuration: StoreConfiguration(), log: nil, clock: SystemClock())
        let engine = SchemaRegistryEngine(store: store)
        let upstream = FakeUpstream()
        var configuration = UpstreamRegistryConfiguration(url: RegistryURL(host: "127.0.0.1", port: 8081))
        configuration.forward = forward
        var logger = Logger(label: "mirror-test")
        logger.logLevel = .critical
        let mirror = UpstreamRegistryMirror(configuration: configuration, upstream: upstream, engine: engine, logger: logger)
        return (mirror, upstream, engine)
    }

    // MARK: - URL

    @Test("Upstream URLs: http with host, port and base path; https and junk refused with the reason", arguments: [
        ("http://registry:8081", "registry", 8081, ""),
        ("http://registry:8081/", "registry", 8081, ""),
        ("http://127.0.0.1:9464/base/", "127.0.0.1", 9464, "/base"),
        ("http://registry", "registry", 80, ""),
        ("HTTP://[::1]:8081/x", "::1", 8081, "/x"),
    ])
    func parsesURLs(text: String, host: String, port: Int, base: String) throws {
        #expect(try RegistryURL.parse(text) == RegistryURL(host: host, port: port, basePath: base), "\(text)")
    }

    @Test("Unusable upstream URLs are refused naming why", arguments: [
        ("https://registry:8081", "https is not supported"),
        ("registry:8081", "must start with http://"),
        ("http://", "needs a host"),
        ("http://registry:0", "port must be"),
        ("http://registry:abc", "bad port"),
        ("http://user@registry:8081", "user info"),
        ("http://registry:8081/?x=1", "query"),
    ])
    func refusesURLs(text: String, why: String) {
        do {
            _ = try RegistryURL.parse(text)
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.code == .invalidURL)
            #expect(error.message.contains(why), "\(text): \(error.message)")
        }
    }

    // MARK: - Client parsing

    @Test("A Confluent error body becomes the registry error; other statuses keep their text")
    func decodesErrors() {
        let body = Array(#"{"error_code":40401,"message":"Subject 'x' not found."}"#.utf8)
        do {
            _ = try RegistryHTTPClient.decode(status: 404, body: body, what: "GET /subjects/x/versions")
            Issue.record("404 accepted")
        } catch {
            #expect(error.registryError == RegistryError(code: 40401, message: "Subject 'x' not found."))
            #expect(error.status == 404)
            #expect(error.grpcCode == .notFound)
        }
        do {
            _ = try RegistryHTTPClient.decode(status: 503, body: Array("busy".utf8), what: "GET /subjects")
            Issue.record("503 accepted")
        } catch {
            #expect(error.registryError == nil)
            #expect(error.message.contains("HTTP 503") && error.message.contains("busy"))
            #expect(error.grpcCode == .unavailable)
        }
        #expect(throws: RegistryHTTPError.self) {
            try RegistryHTTPClient.decode(status: 200, body: Array("<html>".utf8), what: "GET /subjects")
        }
        #expect(RegistryHTTPError(code: .timedOut, message: "").grpcCode == .deadlineExceeded)
        #expect(RegistryHTTPError(code: .connectionFailed, message: "").grpcCode == .unavailable)
    }

    @Test("A version answer without schemaType is AVRO; references and ids are read")
    func parsesVersions() throws {
        let json = try JSONSerialization.jsonObject(with: Data(#"""
            {"subject":"o","version":3,"id":1004,"schemaType":"PROTOBUF","schema":"syntax = \"proto3\";",
             "references":[{"name":"a.proto","subject":"a","version":2}]}
            """#.utf8))
        let version = try HTTPUpstreamRegistry.parseVersion(JSONBox(json), subject: "o")
        #expect(version == UpstreamSchemaVersion(
            subject: "o", version: 3, id: 1004,
            schema: RegisteredSchema(type: .protobuf, text: #"syntax = "proto3";"#,
                                     references: [SchemaReference(name: "a.proto", subject: "a", version: 2)])
        ))
        let avro = try JSONSerialization.jsonObject(with: Data(#"{"version":1,"id":7,"schema":"\"string\""}"#.utf8))
        #expect(try HTTPUpstreamRegistry.parseVersion(JSONBox(avro), subject: "s").schema.type == .avro)
        for bad in [#"{"version":1,"schema":"x"}"#, #"{"version":0,"id":1,"schema":"x"}"#, #"{"version":1,"id":1}"#,
                    #"{"version":1,"id":1,"schema":"x","schemaType":"XML"}"#, #"[1]"#]
        {
            let value = try JSONSerialization.jsonObject(with: Data(bad.utf8), options: .fragmentsAllowed)
            #expect(throws: RegistryHTTPError.self, "\(bad)") {
                try HTTPUpstreamRegistry.parseVersion(JSONBox(value), subject: "s")
            }
        }
        #expect(try HTTPUpstreamRegistry.parseVersions(JSONBox([1, 2, 5])) == [1, 2, 5])
        #expect(throws: RegistryHTTPError.self) { try HTTPUpstreamRegistry.parseVersions(JSONBox([0])) }
        #expect(throws: RegistryHTTPError.self) { try HTTPUpstreamRegistry.parseSubjects(JSONBox(["a", 1])) }
    }

    @Test("Registration bodies follow Confluent: schemaType omitted for AVRO, references listed")
    func encodesBodies() {
        #expect(HTTPUpstreamRegistry.body(Self.user)["schemaType"] == nil)
        let body = HTTPUpstreamRegistry.body(Self.order)
        #expect((body["references"] as? [[String: Any]])?.first?["subject"] as? String == "shop.Address")
        #expect(HTTPUpstreamRegistry.body(RegisteredSchema(type: .json, text: "{}"))["schemaType"] as? String == "JSON")
    }

    // MARK: - Planning

    @Test("Only versions missing locally are planned, subject then version order")
    func plansMissingVersions() {
        let local: Set<String> = ["a/1", "b/2"]
        let missing = MirrorPlan.missing(upstream: [("b", [1, 2, 3]), ("a", [2, 1])]) { local.contains("\($0)/\($1)") }
        #expect(missing.map { "\($0.subject)/\($0.version)" } == ["a/2", "b/1", "b/3"])
    }

    @Test("References are imported before their referrers, whatever order they were fetched in")
    func ordersReferencesFirst() {
        let order = UpstreamSchemaVersion(subject: "orders", version: 1, id: 3, schema: Self.order)
        let address = UpstreamSchemaVersion(subject: "shop.Address", version: 1, id: 2, schema: Self.address)
        var top = Self.user
        top.references = [SchemaReference(name: "o", subject: "orders", version: 1)]
        let user = UpstreamSchemaVersion(subject: "users", version: 1, id: 4, schema: top)
        let plan = MirrorPlan.order([user, order, address])
        #expect(plan.ordered.map(\.id) == [2, 3, 4])
        #expect(plan.unordered.isEmpty)
    }

    @Test("A reference cycle is left unordered instead of looping")
    func leavesCyclesOut() {
        var a = Self.user
        a.references = [SchemaReference(name: "b", subject: "b", version: 1)]
        var b = Self.user2
        b.references = [SchemaReference(name: "a", subject: "a", version: 1)]
        let plan = MirrorPlan.order([
            UpstreamSchemaVersion(subject: "a", version: 1, id: 1, schema: a),
            UpstreamSchemaVersion(subject: "b", version: 1, id: 2, schema: b),
            UpstreamSchemaVersion(subject: "c", version: 1, id: 3, schema: Self.address),
        ])
        #expect(plan.ordered.map(\.id) == [3])
        #expect(Set(plan.unordered.map(\.id)) == [1, 2])
    }

    @Test("Failed syncs retry after 1 s doubling, never later than the interval")
    func backsOff() {
        let interval = TimeAmount.seconds(30)
        let delays = (1...7).map { UpstreamRegistryMirror.retryDelay(afterFailures: $0, interval: interval).nanoseconds / 1_000_000_000 }
        #expect(delays == [1, 2, 4, 8, 16, 30, 30])
    }

    // MARK: - Sync against a fake upstream

    @Test("A sync imports every version with the upstream's id and version, references first, in IMPORT mode")
    func syncKeepsIDs() async throws {
        let (mirror, upstream, engine) = self.makeMirror()
        upstream.add("users", Self.user)
        upstream.add("users", Self.user2)
        let address = upstream.add("shop.Address", Self.address)
        let order = upstream.add("orders", Self.order)  // "orders" sorts before "shop.Address": fetched first
        let report = try await mirror.syncOnce()
        #expect(report == UpstreamRegistryMirror.SyncReport(imported: 4, present: 0, conflicts: 0, failed: 0))
        #expect(try engine.version(subject: "users", 2).id == 1001)
        #expect(try engine.version(subject: "orders", 1).id == order.id)
        #expect(try engine.version(subject: "shop.Address", 1).id == address.id)
        #expect(engine.mode(subject: "users", defaultToGlobal: false) == .import)
        #expect(engine.mode(subject: nil) == .readWrite)
        // Idempotent: nothing left to fetch or import.
        #expect(try await mirror.syncOnce() == UpstreamRegistryMirror.SyncReport())
        // A restarted mirror checks what is here once, and imports nothing.
        let restarted = UpstreamRegistryMirror(
            configuration: mirror.configuration, upstream: upstream, engine: engine, logger: Logger(label: "t")
        )
        #expect(try await restarted.syncOnce() == UpstreamRegistryMirror.SyncReport(present: 4))
        // A new upstream version comes with the next sync.
        upstream.add("users", RegisteredSchema(type: .avro, text: #""string""#))
        #expect(try await mirror.syncOnce().imported == 1)
        #expect(try engine.version(subject: "users", nil).version == 3)
        #expect(mirror.snapshot.importedVersions == 5)
    }

    @Test("Avro schemas using another subject's named type are imported after it, with their ids")
    func avroReferencesImport() async throws {
        let (mirror, upstream, engine) = self.makeMirror()
        let money = upstream.add("money", RegisteredSchema(
            type: .avro, text: #"{"type":"record","name":"Money","namespace":"com.acme","fields":[{"name":"cents","type":"long"}]}"#))
        let invoice = upstream.add("invoices", RegisteredSchema(
            type: .avro,
            text: #"{"type":"record","name":"Invoice","fields":[{"name":"total","type":"com.acme.Money"}]}"#,
            references: [SchemaReference(name: "com.acme.Money", subject: "money", version: 1)]))
        let report = try await mirror.syncOnce()
        #expect(report == UpstreamRegistryMirror.SyncReport(imported: 2, present: 0, conflicts: 0, failed: 0))
        #expect(try engine.version(subject: "money", 1).id == money.id)
        #expect(try engine.version(subject: "invoices", 1).id == invoice.id)
    }

    @Test("A local version with another id, or an id taken by another schema, is a counted conflict, not a crash")
    func conflictsAreCounted() async throws {
        let (mirror, upstream, engine) = self.makeMirror()
        _ = try await engine.register(subject: "users", schema: Self.user2)  // local users v1, id 1
        upstream.add("users", Self.user)  // upstream users v1, id 1000
        try await engine.setMode(.import, subject: "other", force: true)
        _ = try await engine.register(subject: "other", schema: Self.user2, importing: (1001, 1))
        upstream.add("taken", Self.address)  // id 1001 upstream, a different schema
        let report = try await mirror.syncOnce()
        #expect(report.conflicts == 2)
        #expect(report.imported == 0)
        #expect(try engine.version(subject: "users", 1).id == 1)
        #expect(mirror.snapshot.conflicts == 2)
        // Conflicts do not fail the sync; they are reported again each time (nothing imported).
        #expect(try await mirror.syncOnce().conflicts == 2)
    }

    @Test("An unreachable upstream fails the sync and leaves the local copy readable")
    func downUpstreamKeepsLocalCopy() async throws {
        let (mirror, upstream, engine) = self.makeMirror()
        upstream.add("users", Self.user)
        try await mirror.syncOnce()
        upstream.state.withLockedValue { $0.down = true }
        await #expect(throws: RPCError.self) { try await mirror.syncOnce() }
        #expect(try engine.version(subject: "users", 1).id == 1000)
    }

    // MARK: - Forwarding

    @Test("A forwarded registration goes upstream and is kept locally with the upstream's id and version")
    func forwardsRegistrations() async throws {
        let (mirror, upstream, engine) = self.makeMirror(forward: true)
        engine.registrationForwarder = mirror
        upstream.add("other", Self.address)  // takes id 1000
        let result = try await engine.register(subject: "users", schema: Self.user)
        #expect(result.id == 1001 && result.version == 1)
        #expect(upstream.state.withLockedValue { $0.registrations } == 1)
        #expect(try engine.version(subject: "users", 1).id == 1001)
        // Registering it again answers the same id and version.
        let again = try await engine.register(subject: "users", schema: Self.user)
        #expect(again.id == 1001 && again.version == 1)
        // Imports (the mirror's own path) are never forwarded.
        #expect(upstream.state.withLockedValue { $0.registrations } == 2)
        #expect(mirror.snapshot.forwardedOK == 2)
    }

    @Test("With the upstream down a forwarded registration fails with 50003 naming it, mapped to UNAVAILABLE")
    func forwardingFailsWhenUpstreamIsDown() async throws {
        let (mirror, upstream, engine) = self.makeMirror(forward: true)
        engine.registrationForwarder = mirror
        upstream.state.withLockedValue { $0.down = true }
        do {
            _ = try await engine.register(subject: "users", schema: Self.user)
            Issue.record("registered with the upstream down")
        } catch let error as RegistryError {
            #expect(error.code == 50003)
            #expect(error.message.contains("fake://upstream"))
            #expect(StatusMapping.rpcError(error).code == .unavailable)
        }
        #expect((try? engine.versions(subject: "users")) == nil)
        #expect(mirror.snapshot.forwardedFailed == 1)
    }

    @Test("The upstream's own refusal (incompatible, invalid) is passed through as is")
    func forwardingPassesUpstreamErrors() async throws {
        let (mirror, upstream, engine) = self.makeMirror(forward: true)
        engine.registrationForwarder = mirror
        let refusal = RegistryError(code: 409, message: "Schema being registered is incompatible")
        upstream.state.withLockedValue {
            $0.registerError = RegistryHTTPError(code: .httpStatus, message: "409", status: 409, registryError: refusal)
        }
        await #expect(throws: refusal) { try await engine.register(subject: "users", schema: Self.user) }
    }
}

/// The HTTP client against raw servers on a loopback port chosen by the OS: answers it must refuse and time limits.
@Suite("Registry HTTP client")
struct RegistryHTTPClientTests {
    /// Writes `response` (raw bytes, nil = nothing) to each connection and leaves it open.
    final class RawResponder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let response: String?
        init(_ response: String?) { self.response = response }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if let response = self.response {
                context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: response)), promise: nil)
            }
        }
    }

    func withServer(_ response: String?, _ body: (RegistryHTTPClient) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(RawResponder(response)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let url = RegistryURL(host: "127.0.0.1", port: server.localAddress!.port!)
        do {
            try await body(RegistryHTTPClient(url: url, group: group, maxResponseBytes: 64))
        } catch {
            try? await server.close()
            try? await group.shutdownGracefully()
            throw error
        }
        try await server.close()
        try await group.shutdownGracefully()
    }

    @Test("A 200 with a JSON body is decoded")
    func decodesAnswers() async throws {
        try await self.withServer("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n[\"a\",\"b\"]") { client in
            let json = try await client.request(.GET, "/subjects", timeout: .seconds(5))
            #expect(json as? [String] == ["a", "b"])
        }
    }

    @Test("A server that never answers fails the request at its timeout")
    func timesOut() async throws {
        try await self.withServer(nil) { client in
            let started = ContinuousClock.now
            do throws(RegistryHTTPError) {
                _ = try await client.request(.GET, "/subjects", timeout: .milliseconds(200))
                Issue.record("answered")
            } catch {
                #expect(error.code == .timedOut)
            }
            #expect(ContinuousClock.now - started < .seconds(3))
        }
    }

    @Test("A body over the response limit is refused")
    func refusesLargeBodies() async throws {
        let body = String(repeating: "x", count: 100)
        try await self.withServer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n\(body)") { client in
            await #expect(throws: RegistryHTTPError.self) { _ = try await client.request(.GET, "/subjects", timeout: .seconds(5)) }
        }
        try await self.withServer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n\(body)\r\n0\r\n\r\n") { client in
            do throws(RegistryHTTPError) {
                _ = try await client.request(.GET, "/subjects", timeout: .seconds(5))
                Issue.record("accepted")
            } catch {
                #expect(error.code == .responseTooLarge)
            }
        }
    }

    @Test("Nobody listening fails with connection_failed, which the breaker counts as UNAVAILABLE")
    func refusedConnection() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let probe = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = probe.localAddress!.port!
        try await probe.close()
        let client = RegistryHTTPClient(url: RegistryURL(host: "127.0.0.1", port: port), group: group)
        do throws(RegistryHTTPError) {
            _ = try await client.request(.GET, "/subjects", timeout: .seconds(5))
            Issue.record("connected")
        } catch {
            #expect(error.code == .connectionFailed)
            #expect(error.grpcCode == .unavailable)
        }
        try await group.shutdownGracefully()
    }
}
