import Foundation
import MicroStateNode
import MicroStateRPC
import MicroStateWire
import Testing

/// `microstate.v1.SchemaRegistry` through a real node on a loopback port and the project's own client.
@Suite("SchemaRegistryService")
struct SchemaRegistryServiceTests {
    static let recordV1 = #"{"type":"record","name":"User","fields":[{"name":"id","type":"long"}]}"#
    static let recordV2 = #"{"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"email","type":"string","default":""}]}"#
    static let recordBreaking = #"{"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"age","type":"int"}]}"#

    static func avro(_ text: String) -> MicroStateWire.Schema {
        MicroStateWire.Schema(schemaType: .avro, schema: text)
    }

    @Test("Register, get by id and version, list subjects and versions round-trip")
    func roundTrip() async throws {
        let running = try await RunningNode.start()
        let first = try await running.registry("Register", RegisterRequest(subject: "users-value", schema: Self.avro(Self.recordV1)), as: RegisterResponse.self)
        #expect(first.id == 1 && first.version == 1)
        #expect(first.header?.revision ?? 0 > 0)
        let again = try await running.registry("Register", RegisterRequest(subject: "users-value", schema: Self.avro(Self.recordV1)), as: RegisterResponse.self)
        #expect(again.id == 1 && again.version == 1)
        // Content-addressed: the same schema under another subject keeps its id.
        let other = try await running.registry("Register", RegisterRequest(subject: "other", schema: MicroStateWire.Schema(schemaType: .unspecified, schema: Self.recordV1)), as: RegisterResponse.self)
        #expect(other.id == 1 && other.version == 1)
        let second = try await running.registry("Register", RegisterRequest(subject: "users-value", schema: Self.avro(Self.recordV2)), as: RegisterResponse.self)
        #expect(second.id == 2 && second.version == 2)

        let byID = try await running.registry("GetSchema", GetSchemaRequest(id: 1), as: GetSchemaResponse.self)
        #expect(byID.schema?.schema == Self.recordV1 && byID.schema?.schemaType == .avro)
        #expect(byID.subjectVersions == [SubjectVersion(subject: "other", version: 1), SubjectVersion(subject: "users-value", version: 1)])
        let latest = try await running.registry("GetVersion", GetVersionRequest(subject: "users-value", selector: .latest(true)), as: GetVersionResponse.self)
        #expect(latest.version == 2 && latest.id == 2 && latest.schema?.schema == Self.recordV2)
        let v1 = try await running.registry("GetVersion", GetVersionRequest(subject: "users-value", selector: .version(1)), as: GetVersionResponse.self)
        #expect(v1.id == 1)
        let subjects = try await running.registry("ListSubjects", ListSubjectsRequest(), as: ListSubjectsResponse.self)
        #expect(subjects.subjects == ["other", "users-value"])
        let prefixed = try await running.registry("ListSubjects", ListSubjectsRequest(prefix: "us"), as: ListSubjectsResponse.self)
        #expect(prefixed.subjects == ["users-value"])
        let versions = try await running.registry("ListVersions", ListVersionsRequest(subject: "users-value"), as: ListVersionsResponse.self)
        #expect(versions.versions == [1, 2])
        await running.stop()
    }

    @Test("CheckCompatibility answers compatible always and explains only when verbose")
    func check() async throws {
        let running = try await RunningNode.start()
        _ = try await running.registry("Register", RegisterRequest(subject: "s", schema: Self.avro(Self.recordV1)), as: RegisterResponse.self)
        let ok = try await running.registry("CheckCompatibility", CheckCompatibilityRequest(subject: "s", schema: Self.avro(Self.recordV2), against: .latest(true)), as: CheckCompatibilityResponse.self)
        #expect(ok.compatible && ok.messages.isEmpty)
        let quiet = try await running.registry("CheckCompatibility", CheckCompatibilityRequest(subject: "s", schema: Self.avro(Self.recordBreaking)), as: CheckCompatibilityResponse.self)
        #expect(!quiet.compatible && quiet.messages.isEmpty)
        let verbose = try await running.registry("CheckCompatibility", CheckCompatibilityRequest(subject: "s", schema: Self.avro(Self.recordBreaking), against: .all(true), verbose: true), as: CheckCompatibilityResponse.self)
        #expect(!verbose.compatible && !verbose.messages.isEmpty)
        #expect(verbose.messages.allSatisfy { !$0.rule.isEmpty && !$0.path.isEmpty })
        // Registering it fails with the rule's name in the status message.
        let rule = verbose.messages[0].rule
        let error = await running.registryError("Register", RegisterRequest(subject: "s", schema: Self.avro(Self.recordBreaking)))
        #expect(error?.code == .failedPrecondition)
        #expect(error?.message.contains("409") == true && error?.message.contains(rule) == true)
        let missing = await running.registryError("CheckCompatibility", CheckCompatibilityRequest(subject: "s", schema: Self.avro(Self.recordV2), against: .version(7)))
        #expect(missing?.code == .notFound)
        await running.stop()
    }

    @Test("SetConfig and SetMode: UNSPECIFIED removes a subject's own setting and resets the global one")
    func configAndMode() async throws {
        let running = try await RunningNode.start()
        let set = try await running.registry("SetConfig", SetConfigRequest(subject: "s", level: .full), as: SetConfigResponse.self)
        #expect(set.level == .full)
        #expect(try await running.registry("GetConfig", GetConfigRequest(subject: "s"), as: GetConfigResponse.self).level == .full)
        _ = try await running.registry("SetConfig", SetConfigRequest(subject: "s", level: .unspecified), as: SetConfigResponse.self)
        #expect(try await running.registry("GetConfig", GetConfigRequest(subject: "s"), as: GetConfigResponse.self).level == .unspecified)
        #expect(try await running.registry("GetConfig", GetConfigRequest(subject: "s", defaultToGlobal: true), as: GetConfigResponse.self).level == .backward)
        _ = try await running.registry("SetConfig", SetConfigRequest(level: .none), as: SetConfigResponse.self)
        #expect(try await running.registry("GetConfig", GetConfigRequest(), as: GetConfigResponse.self).level == MicroStateWire.CompatibilityLevel.none)
        let reset = try await running.registry("SetConfig", SetConfigRequest(level: .unspecified), as: SetConfigResponse.self)
        #expect(reset.level == .backward)

        _ = try await running.registry("SetMode", SetModeRequest(mode: .readOnly), as: SetModeResponse.self)
        let refused = await running.registryError("Register", RegisterRequest(subject: "s", schema: Self.avro(Self.recordV1)))
        #expect(refused?.code == .failedPrecondition && refused?.message.contains("42205") == true)
        let readWrite = try await running.registry("SetMode", SetModeRequest(mode: .unspecified), as: SetModeResponse.self)
        #expect(readWrite.mode == .readWrite)
        #expect(try await running.registry("GetMode", GetModeRequest(subject: "s"), as: GetModeResponse.self).mode == .unspecified)
        #expect(try await running.registry("GetMode", GetModeRequest(subject: "s", defaultToGlobal: true), as: GetModeResponse.self).mode == .readWrite)
        await running.stop()
    }

    @Test("IMPORT mode keeps the given id and version")
    func importMode() async throws {
        let running = try await RunningNode.start()
        _ = try await running.registry("SetMode", SetModeRequest(mode: .import), as: SetModeResponse.self)
        let imported = try await running.registry("Register", RegisterRequest(subject: "s", schema: Self.avro(Self.recordV1), id: 42, version: 3), as: RegisterResponse.self)
        #expect(imported.id == 42 && imported.version == 3)
        let half = await running.registryError("Register", RegisterRequest(subject: "s", schema: Self.avro(Self.recordV2), id: 43))
        #expect(half?.code == .invalidArgument)
        await running.stop()
    }

    @Test("Soft then hard delete; DeleteVersion -1 is the latest; soft-deleted ids still resolve")
    func delete() async throws {
        let running = try await RunningNode.start()
        _ = try await running.registry("Register", RegisterRequest(subject: "s", schema: Self.avro(Self.recordV1)), as: RegisterResponse.self)
        _ = try await running.registry("Register", RegisterRequest(subject: "s", schema: Self.avro(Self.recordV2)), as: RegisterResponse.self)
        let latest = try await running.registry("DeleteVersion", DeleteVersionRequest(subject: "s", version: -1), as: DeleteVersionResponse.self)
        #expect(latest.version == 2)
        #expect(try await running.registry("GetSchema", GetSchemaRequest(id: 2), as: GetSchemaResponse.self).schema?.schema == Self.recordV2)
        #expect(try await running.registry("ListVersions", ListVersionsRequest(subject: "s", includeDeleted: true), as: ListVersionsResponse.self).versions == [1, 2])
        let notSoft = await running.registryError("DeleteSubject", DeleteSubjectRequest(subject: "s", permanent: true))
        #expect(notSoft?.code == .failedPrecondition && notSoft?.message.contains("40405") == true)
        let soft = try await running.registry("DeleteSubject", DeleteSubjectRequest(subject: "s"), as: DeleteSubjectResponse.self)
        #expect(soft.versions == [1])
        _ = try await running.registry("DeleteSubject", DeleteSubjectRequest(subject: "s", permanent: true), as: DeleteSubjectResponse.self)
        let gone = await running.registryError("ListVersions", ListVersionsRequest(subject: "s"))
        #expect(gone?.code == .notFound && gone?.message.contains("40401") == true)
        await running.stop()
    }

    @Test("Bind, list and unbind key prefixes and stream patterns")
    func bindings() async throws {
        let running = try await RunningNode.start()
        _ = try await running.registry("Register", RegisterRequest(subject: "s", schema: Self.avro(Self.recordV1)), as: RegisterResponse.self)
        _ = try await running.registry("Bind", BindRequest(subject: "s", target: .keyPrefix(Array("users/".utf8))), as: BindResponse.self)
        _ = try await running.registry("Bind", BindRequest(subject: "s", target: .streamPattern("orders-*"), mode: .warn), as: BindResponse.self)
        let listed = try await running.registry("ListBindings", ListBindingsRequest(), as: ListBindingsResponse.self)
        #expect(listed.bindings == [
            Binding(subject: "s", target: .keyPrefix(Array("users/".utf8)), mode: .validate),
            Binding(subject: "s", target: .streamPattern("orders-*"), mode: .warn),
        ])
        _ = try await running.registry("Unbind", UnbindRequest(target: .streamPattern("orders-*")), as: UnbindResponse.self)
        #expect(try await running.registry("ListBindings", ListBindingsRequest(subject: "s"), as: ListBindingsResponse.self).bindings.count == 1)
        let noTarget = await running.registryError("Bind", BindRequest(subject: "s"))
        #expect(noTarget?.code == .invalidArgument)
        let unknown = await running.registryError("Bind", BindRequest(subject: "nope", target: .keyPrefix([1])))
        #expect(unknown?.code == .notFound)
        await running.stop()
    }

    @Test("Malformed requests are INVALID_ARGUMENT with a reason")
    func invalidArguments() async throws {
        let running = try await RunningNode.start()
        let cases: [(String, any WireMessage, String)] = [
            ("Register", RegisterRequest(subject: "", schema: Self.avro(Self.recordV1)), "subject"),
            ("Register", RegisterRequest(subject: "s"), "schema"),
            ("Register", RegisterRequest(subject: "s", schema: Self.avro("{not json")), "42201"),
            ("Register", RegisterRequest(subject: "s", schema: Self.avro(Self.recordV1), id: -1, version: 1), "id"),
            ("GetSchema", GetSchemaRequest(id: -3), "id"),
            ("GetVersion", GetVersionRequest(subject: "s", selector: .version(0)), "version"),
            ("ListVersions", ListVersionsRequest(subject: ""), "subject"),
            ("DeleteVersion", DeleteVersionRequest(subject: "s", version: 0), "version"),
            ("Unbind", UnbindRequest(), "key_prefix"),
            ("SetConfig", SetConfigRequest(subject: "s", level: .unrecognized(99)), "level"),
        ]
        for (method, request, reason) in cases {
            let error = await running.registryError(method, request)
            #expect(error?.code == .invalidArgument, "\(method) \(request)")
            #expect(error?.message.contains(reason) == true, "\(method) \(request): \(error?.message ?? "-")")
        }
        await running.stop()
    }

    @Test("A restart keeps ids, versions, levels and bindings, and numbering continues")
    func restart() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configure: (inout NodeConfiguration) -> Void = {
            $0.durability = .fsync
            $0.dataDirectory = directory
        }
        let first = try await RunningNode.start(configure)
        _ = try await first.registry("Register", RegisterRequest(subject: "a", schema: Self.avro(Self.recordV1)), as: RegisterResponse.self)
        _ = try await first.registry("Register", RegisterRequest(subject: "a", schema: Self.avro(Self.recordV2)), as: RegisterResponse.self)
        _ = try await first.registry("SetConfig", SetConfigRequest(subject: "a", level: .fullTransitive), as: SetConfigResponse.self)
        _ = try await first.registry("Bind", BindRequest(subject: "a", target: .streamPattern("a-*")), as: BindResponse.self)
        #expect(first.node.schemaRegistry != nil)
        await first.stop()

        let second = try await RunningNode.start(configure)
        let v2 = try await second.registry("GetVersion", GetVersionRequest(subject: "a", selector: .version(2)), as: GetVersionResponse.self)
        #expect(v2.id == 2 && v2.schema?.schema == Self.recordV2)
        #expect(try await second.registry("GetConfig", GetConfigRequest(subject: "a"), as: GetConfigResponse.self).level == .fullTransitive)
        #expect(try await second.registry("ListBindings", ListBindingsRequest(), as: ListBindingsResponse.self).bindings.count == 1)
        _ = try await second.registry("SetConfig", SetConfigRequest(subject: "b", level: .none), as: SetConfigResponse.self)
        let next = try await second.registry("Register", RegisterRequest(subject: "b", schema: Self.avro(#"{"type":"string"}"#)), as: RegisterResponse.self)
        #expect(next.id == 3 && next.version == 1)
        await second.stop()
    }
}

extension RunningNode {
    func registry<Response: WireMessage>(
        _ method: String,
        _ request: some WireMessage,
        as: Response.Type
    ) async throws -> Response {
        let bytes = try await self.client.unary(
            path: "/microstate.v1.SchemaRegistry/\(method)",
            request: request.wireBytes(),
            timeout: .seconds(10)
        )
        return try Response(wireBytes: bytes)
    }

    /// The error a call fails with, or nil (recorded as an issue) when it succeeds.
    func registryError(_ method: String, _ request: any WireMessage) async -> RPCError? {
        do {
            _ = try await self.client.unary(
                path: "/microstate.v1.SchemaRegistry/\(method)",
                request: request.wireBytes(),
                timeout: .seconds(10)
            )
            Issue.record("\(method) succeeded; expected an error")
            return nil
        } catch {
            return error
        }
    }
}
