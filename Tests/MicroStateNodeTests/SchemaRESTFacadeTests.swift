import Foundation
import MicroStateNode
import MicroStateSchema
import MicroStateServices
import MicroStateStore
import Testing

@Suite("The Confluent-compatible schema registry REST façade")
struct SchemaRESTFacadeTests {
    static let recordV1 = #"{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}"#
    /// Adds a field without a default: not BACKWARD compatible with v1.
    static let recordBreaking = #"{"type":"record","name":"R","fields":[{"name":"a","type":"string"},{"name":"b","type":"int"}]}"#
    /// Adds a field with a default: BACKWARD compatible with v1.
    static let recordV2 = #"{"type":"record","name":"R","fields":[{"name":"a","type":"string"},{"name":"c","type":"int","default":0}]}"#
    static let jsonSchema = #"{"type":"object","properties":{"name":{"type":"string"}}}"#

    let facade = SchemaRESTFacade(
        engine: SchemaRegistryEngine(store: KVStore(configuration: StoreConfiguration(), log: nil, clock: SystemClock()))
    )

    func call(
        _ method: String,
        _ uri: String,
        _ body: Any? = nil,
        contentType: String? = "application/vnd.schemaregistry.v1+json"
    ) async -> SchemaRESTFacade.Response {
        let bytes = body.map { value -> [UInt8] in
            if let text = value as? String { return Array(text.utf8) }
            return Array(try! JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]))
        } ?? []
        return await self.facade.respond(method: method, uri: uri, contentType: body == nil ? nil : contentType, body: bytes)
    }

    func object(_ response: SchemaRESTFacade.Response) -> [String: Any] {
        (response.json as? [String: Any]) ?? [:]
    }

    /// Expects Confluent's error body with `code` and HTTP status `status`.
    func expectError(_ response: SchemaRESTFacade.Response, _ code: Int, _ status: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == status, "\(response.body)", sourceLocation: sourceLocation)
        #expect(self.object(response)["error_code"] as? Int == code, "\(response.body)", sourceLocation: sourceLocation)
        #expect(self.object(response)["message"] is String, sourceLocation: sourceLocation)
    }

    @discardableResult
    func register(_ subject: String, _ schema: String, type: String? = nil) async -> [String: Any] {
        var body: [String: Any] = ["schema": schema]
        body["schemaType"] = type
        let response = await self.call("POST", "/subjects/\(subject)/versions", body)
        #expect(response.status == 200, "\(response.body)")
        return self.object(response)
    }

    @Test("Registering answers the id and version; the same schema again answers the same id")
    func registerAndReregister() async {
        let first = await self.register("orders-value", Self.recordV1)
        #expect(first["id"] as? Int == 1)
        #expect(first["version"] as? Int == 1)
        #expect(first["subject"] as? String == "orders-value")
        #expect(first["schemaType"] == nil, "AVRO omits schemaType")
        let again = await self.register("orders-value", Self.recordV1)
        #expect(again["id"] as? Int == 1 && again["version"] as? Int == 1)
        let other = await self.register("other-value", Self.recordV1)
        #expect(other["id"] as? Int == 1, "ids are content-addressed across subjects")
        #expect(other["version"] as? Int == 1)
    }

    @Test("Subjects and versions list, and a version reads back with Confluent's fields")
    func listAndGet() async {
        await self.register("a", Self.recordV1)
        await self.register("a", Self.recordV2)
        await self.register("b", Self.jsonSchema, type: "JSON")
        #expect(await self.call("GET", "/subjects").json as? [String] == ["a", "b"])
        #expect(await self.call("GET", "/subjects?subjectPrefix=b").json as? [String] == ["b"])
        #expect(await self.call("GET", "/subjects/a/versions").json as? [Int] == [1, 2])
        let latest = self.object(await self.call("GET", "/subjects/a/versions/latest"))
        #expect(latest["version"] as? Int == 2 && latest["id"] as? Int == 2 && latest["subject"] as? String == "a")
        #expect(latest["schema"] as? String == Self.recordV2)
        let json = self.object(await self.call("GET", "/subjects/b/versions/1"))
        #expect(json["schemaType"] as? String == "JSON")
        let raw = await self.call("GET", "/subjects/a/versions/1/schema")
        #expect(raw.status == 200 && raw.body == Self.recordV1)
        #expect(await self.call("GET", "/subjects/a/versions/-1").json.map { ($0 as? [String: Any])?["version"] as? Int } == 2)
    }

    @Test("Unknown subject, version and schema id are 40401, 40402 and 40403 with HTTP 404")
    func notFound() async {
        await self.register("a", Self.recordV1)
        self.expectError(await self.call("GET", "/subjects/nope/versions"), 40401, 404)
        self.expectError(await self.call("GET", "/subjects/nope/versions/latest"), 40401, 404)
        self.expectError(await self.call("GET", "/subjects/a/versions/7"), 40402, 404)
        self.expectError(await self.call("GET", "/schemas/ids/99"), 40403, 404)
        self.expectError(await self.call("POST", "/subjects/a", ["schema": Self.recordV2]), 40403, 404)
        self.expectError(await self.call("POST", "/subjects/nope", ["schema": Self.recordV1]), 40401, 404)
    }

    @Test("Invalid versions are 42202 with HTTP 422", arguments: ["0", "x", "-2", "2147483648"])
    func invalidVersion(version: String) async {
        await self.register("a", Self.recordV1)
        self.expectError(await self.call("GET", "/subjects/a/versions/\(version)"), 42202, 422)
    }

    @Test("An invalid schema is 42201, an incompatible one 409, both with the HTTP status of the code")
    func invalidAndIncompatible() async {
        self.expectError(await self.call("POST", "/subjects/a/versions", ["schema": "{not json"]), 42201, 422)
        self.expectError(await self.call("POST", "/subjects/a/versions", ["schema": ""]), 42201, 422)
        self.expectError(
            await self.call("POST", "/subjects/a/versions", ["schema": Self.recordV1, "schemaType": "XML"]), 42201, 422
        )
        await self.register("a", Self.recordV1)
        self.expectError(await self.call("POST", "/subjects/a/versions", ["schema": Self.recordBreaking]), 409, 409)
    }

    @Test("Lookup answers subject, version, id and schema")
    func lookup() async {
        await self.register("a", Self.recordV1)
        let found = self.object(await self.call("POST", "/subjects/a?normalize=False&deleted=False", ["schema": Self.recordV1]))
        #expect(found["subject"] as? String == "a" && found["version"] as? Int == 1 && found["id"] as? Int == 1)
        #expect(found["schema"] as? String == Self.recordV1)
    }

    @Test("Schemas by id: the schema, its raw text, its versions and subjects; the types")
    func schemasByID() async {
        await self.register("a", Self.jsonSchema, type: "JSON")
        await self.register("b", Self.jsonSchema, type: "JSON")
        let schema = self.object(await self.call("GET", "/schemas/ids/1?subject=a"))
        #expect(schema["schema"] as? String == Self.jsonSchema && schema["schemaType"] as? String == "JSON")
        #expect(await self.call("GET", "/schemas/ids/1/schema").body == Self.jsonSchema)
        let versions = await self.call("GET", "/schemas/ids/1/versions").json as? [[String: Any]] ?? []
        #expect(versions.map { "\($0["subject"]!)@\($0["version"]!)" } == ["a@1", "b@1"])
        #expect(await self.call("GET", "/schemas/ids/1/subjects").json as? [String] == ["a", "b"])
        #expect(await self.call("GET", "/schemas/types").json as? [String] == ["JSON", "PROTOBUF", "AVRO"])
    }

    @Test("Soft delete hides a subject but keeps its id; permanent delete needs a soft delete first")
    func deletes() async {
        await self.register("a", Self.recordV1)
        await self.register("a", Self.recordV2)
        self.expectError(await self.call("DELETE", "/subjects/a/versions/1?permanent=true"), 40407, 404)
        #expect(await self.call("DELETE", "/subjects/a/versions/1").json as? Int == 1)
        #expect(await self.call("GET", "/subjects/a/versions").json as? [Int] == [2])
        #expect(await self.call("GET", "/subjects/a/versions?deleted=true").json as? [Int] == [1, 2])
        #expect(await self.call("DELETE", "/subjects/a").json as? [Int] == [2])
        #expect(await self.call("GET", "/subjects").json as? [String] == [])
        #expect(await self.call("GET", "/subjects?deleted=true").json as? [String] == ["a"])
        #expect(await self.call("GET", "/schemas/ids/1").status == 200, "a soft-deleted schema's id still resolves")
        #expect(await self.call("DELETE", "/subjects/a?permanent=true").json as? [Int] == [1, 2])
        #expect(await self.call("GET", "/subjects?deleted=true").json as? [String] == [])
    }

    @Test("A referenced version lists its referrer and cannot be deleted (42206)")
    func references() async {
        await self.register("base", #"syntax = "proto3"; package t; message Base { string x = 1; }"#, type: "PROTOBUF")
        let body: [String: Any] = [
            "schema": #"syntax = "proto3"; package t; import "base.proto"; message Top { Base b = 1; }"#,
            "schemaType": "PROTOBUF",
            "references": [["name": "base.proto", "subject": "base", "version": 1]],
        ]
        let response = await self.call("POST", "/subjects/top/versions", body)
        #expect(response.status == 200, "\(response.body)")
        let id = self.object(response)["id"] as? Int
        #expect(await self.call("GET", "/subjects/base/versions/1/referencedby").json as? [Int] == id.map { [$0] })
        self.expectError(await self.call("DELETE", "/subjects/base/versions/1"), 42206, 422)
        let references = self.object(await self.call("GET", "/subjects/top/versions/1"))["references"] as? [[String: Any]]
        #expect(references?.first?["name"] as? String == "base.proto")
    }

    @Test("Compatibility answers is_compatible, with messages when verbose")
    func compatibility() async {
        await self.register("a", Self.recordV1)
        let ok = self.object(await self.call("POST", "/compatibility/subjects/a/versions/latest", ["schema": Self.recordV2]))
        #expect(ok["is_compatible"] as? Bool == true)
        let bad = self.object(
            await self.call("POST", "/compatibility/subjects/a/versions/1?verbose=true", ["schema": Self.recordBreaking])
        )
        #expect(bad["is_compatible"] as? Bool == false)
        #expect((bad["messages"] as? [String])?.isEmpty == false)
        let all = self.object(await self.call("POST", "/compatibility/subjects/a/versions", ["schema": Self.recordBreaking]))
        #expect(all["is_compatible"] as? Bool == false && all["messages"] == nil)
        let fresh = self.object(await self.call("POST", "/compatibility/subjects/new/versions/latest", ["schema": Self.recordV1]))
        #expect(fresh["is_compatible"] as? Bool == true, "an unknown subject is compatible")
        self.expectError(
            await self.call("POST", "/compatibility/subjects/a/versions/9", ["schema": Self.recordV2]), 40402, 404
        )
    }

    @Test("Config: global and subject levels, defaultToGlobal, 40408, invalid level 42203")
    func config() async {
        #expect(self.object(await self.call("GET", "/config"))["compatibilityLevel"] as? String == "BACKWARD")
        let put = await self.call("PUT", "/config/a", ["compatibility": "NONE"])
        #expect(self.object(put)["compatibility"] as? String == "NONE")
        #expect(self.object(await self.call("GET", "/config/a"))["compatibilityLevel"] as? String == "NONE")
        self.expectError(await self.call("GET", "/config/b"), 40408, 404)
        #expect(self.object(await self.call("GET", "/config/b?defaultToGlobal=true"))["compatibilityLevel"] as? String == "BACKWARD")
        self.expectError(await self.call("PUT", "/config", ["compatibility": "SIDEWAYS"]), 42203, 422)
        #expect(self.object(await self.call("DELETE", "/config/a"))["compatibilityLevel"] as? String == "NONE")
        self.expectError(await self.call("GET", "/config/a"), 40408, 404)
        #expect(self.object(await self.call("PUT", "/config", ["compatibility": "full"]))["compatibility"] as? String == "FULL")
        #expect(self.object(await self.call("GET", "/config"))["compatibilityLevel"] as? String == "FULL")
    }

    @Test("Mode: READONLY refuses registration (42205); IMPORT needs force on a populated registry")
    func mode() async {
        #expect(self.object(await self.call("GET", "/mode"))["mode"] as? String == "READWRITE")
        await self.register("a", Self.recordV1)
        self.expectError(await self.call("PUT", "/mode", ["mode": "IMPORT"]), 42205, 422)
        #expect(self.object(await self.call("PUT", "/mode/b?force=true", ["mode": "IMPORT"]))["mode"] as? String == "IMPORT")
        #expect(self.object(await self.call("GET", "/mode/b"))["mode"] as? String == "IMPORT")
        self.expectError(await self.call("GET", "/mode/c"), 40409, 404)
        let imported = await self.call("POST", "/subjects/b/versions", ["schema": Self.recordV2, "id": 100, "version": 5])
        #expect(self.object(imported)["id"] as? Int == 100 && self.object(imported)["version"] as? Int == 5, "\(imported.body)")
        #expect(self.object(await self.call("PUT", "/mode/a", ["mode": "READONLY"]))["mode"] as? String == "READONLY")
        self.expectError(await self.call("POST", "/subjects/a/versions", ["schema": Self.recordV2]), 42205, 422)
        self.expectError(await self.call("PUT", "/mode", ["mode": "SOMETIMES"]), 42204, 422)
    }

    @Test("Subjects with reserved characters are percent-decoded per segment")
    func encodedSubjects() async {
        let subject = "team:orders/v1.value"
        let encoded = "team%3Aorders%2Fv1.value"
        let registered = await self.call("POST", "/subjects/\(encoded)/versions", ["schema": Self.recordV1])
        #expect(registered.status == 200, "\(registered.body)")
        #expect(await self.call("GET", "/subjects").json as? [String] == [subject])
        #expect(self.object(await self.call("GET", "/subjects/\(encoded)/versions/1"))["subject"] as? String == subject)
    }

    @Test("Malformed requests", arguments: [
        // (method, uri, body, content type, error code, HTTP status)
        ("POST", "/subjects/a/versions", "{\"schema\": ", "application/json", 400, 400),
        ("POST", "/subjects/a/versions", "[1, 2]", "application/json", 422, 422),
        ("POST", "/subjects/a/versions", "{\"schema\": 5}", "application/json", 422, 422),
        ("POST", "/subjects/a/versions", "{\"schema\": \"x\"}", "text/plain", 415, 415),
        ("GET", "/nowhere", "", "application/json", 404, 404),
        ("GET", "/subjects/a/whatever", "", "application/json", 404, 404),
        ("DELETE", "/schemas/types", "", "application/json", 405, 405),
        ("PUT", "/subjects", "{}", "application/json", 405, 405),
    ])
    func malformed(method: String, uri: String, body: String, type: String, code: Int, status: Int) async {
        let response = await self.call(method, uri, body.isEmpty ? nil : body, contentType: type)
        self.expectError(response, code, status)
        #expect(response.contentType == "application/vnd.schemaregistry.v1+json")
    }

    @Test("Every accepted request content type works", arguments: [
        "application/vnd.schemaregistry.v1+json", "application/vnd.schemaregistry+json", "application/json",
        "application/json; charset=utf-8",
    ])
    func contentTypes(type: String) async {
        let response = await self.call("POST", "/subjects/a/versions", ["schema": Self.recordV1], contentType: type)
        #expect(response.status == 200, "\(response.body)")
    }

    @Test("A body over the limit is 413")
    func bodyLimit() async {
        let body = [UInt8](repeating: 0x20, count: SchemaRESTFacade.maxBodyBytes + 1)
        let response = await self.facade.respond(method: "POST", uri: "/subjects/a/versions", contentType: "application/json", body: body)
        self.expectError(response, 413, 413)
    }

    @Test("The root answers an empty object; the façade claims only its paths and the root")
    func rootAndClaims() async {
        #expect(SchemaRESTFacade.handles(path: "/subjects/a/versions"))
        #expect(SchemaRESTFacade.handles(path: "/config"))
        #expect(!SchemaRESTFacade.handles(path: "/metrics"))
        #expect(SchemaRESTFacade.handles(path: "/"))
        #expect(await self.call("GET", "/").body == "{}")
    }
}
