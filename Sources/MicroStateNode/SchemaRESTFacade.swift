import Foundation
import MicroStateSchema
import MicroStateServices
import MicroStateStore

/// Confluent Schema Registry's REST API (paths, JSON shapes, error codes) over `SchemaRegistryEngine`, so stock
/// Kafka serializers (`schema.registry.url=http://node:ADMIN_PORT`) work against a node unchanged (issue #5).
///
/// Independent of NIO: the admin server hands it (method, path, query, body) and writes back the answer, which
/// keeps every route unit-testable without sockets. Errors are Confluent's body `{"error_code": N, "message": ...}`
/// with the HTTP status taken from the code's first three digits (40401 → 404, 42201 → 422, 50001 → 500).
public final class SchemaRESTFacade: Sendable {
    /// Largest request body accepted, in bytes. A schema text is at most `SchemaRegistryState.maxSchemaBytes`
    /// (1 MiB); JSON escaping can double it, so 2 MiB admits every valid schema and bounds what one request buffers.
    public static let maxBodyBytes = 2 << 20
    /// The content type of every answer (Confluent's v1 media type).
    public static let contentType = "application/vnd.schemaregistry.v1+json"
    /// Request media types accepted (Confluent's `@Consumes`); parameters such as `charset` are ignored.
    static let acceptedContentTypes: Set<String> = [
        "application/vnd.schemaregistry.v1+json", "application/vnd.schemaregistry+json", "application/json",
        "application/octet-stream",
    ]
    /// Path roots served by the façade (the admin server forwards these).
    static let roots: Set<String> = ["subjects", "schemas", "compatibility", "config", "mode"]

    /// One answer: an HTTP status and a JSON document.
    public struct Response: Sendable, Equatable {
        public var status: Int
        public var body: String
        public var contentType: String { SchemaRESTFacade.contentType }

        /// The body parsed back (tests).
        public var json: Any? {
            try? JSONSerialization.jsonObject(with: Data(self.body.utf8), options: [.fragmentsAllowed])
        }
    }

    /// A failure answered as Confluent's error body.
    struct Failure: Error {
        var code: Int
        var message: String

        /// HTTP status: Confluent's five-digit codes carry it in their first three digits.
        var status: Int { self.code >= 1000 ? self.code / 100 : self.code }
    }

    public let engine: SchemaRegistryEngine

    public init(engine: SchemaRegistryEngine) {
        self.engine = engine
    }

    /// Whether `path` (without query) is one of the façade's: `/` (Confluent answers `{}` there) and everything
    /// under `subjects`, `schemas`, `compatibility`, `config`, `mode`.
    public static func handles(path: String) -> Bool {
        guard let first = path.split(separator: "/", omittingEmptySubsequences: true).first else {
            return path == "/"
        }
        return Self.roots.contains(String(first))
    }

    /// Answers one request. `uri` is the request target (path and optional query); `contentType` the request's
    /// `Content-Type` header, if any.
    public func respond(method: String, uri: String, contentType: String? = nil, body: [UInt8] = []) async -> Response {
        do {
            if body.count > Self.maxBodyBytes {
                throw Failure(code: 413, message: "request body exceeds \(Self.maxBodyBytes) bytes")
            }
            let (segments, query) = try Self.parse(uri: uri)
            return try await self.route(
                method: method.uppercased(), segments, Query(query), body: body, contentType: contentType
            )
        } catch let failure as Failure {
            return Self.error(failure.code, failure.message)
        } catch let error as RegistryError {
            return Self.error(error.code, error.message)
        } catch let error as StoreError {
            return Self.error(error.code == .unavailable ? 50003 : 50001, "Error in the backend data store: \(error.message)")
        } catch {
            return Self.error(50001, "Error in the backend data store: \(error)")
        }
    }

    // MARK: - Routing

    private func route(
        method: String,
        _ segments: [String],
        _ query: Query,
        body: [UInt8],
        contentType: String?
    ) async throws -> Response {
        if !body.isEmpty || method == "POST" || method == "PUT" {
            try Self.checkContentType(contentType)
        }
        let bodyObject = { () throws -> [String: Any] in try Self.object(body) }
        switch (segments.first ?? "", segments.count) {
        case ("", 0):
            try Self.allow(method, ["GET"])
            return Self.ok([String: Any]())
        case ("subjects", _):
            return try await self.subjects(method, Array(segments.dropFirst()), query, bodyObject)
        case ("schemas", _):
            return try self.schemas(method, Array(segments.dropFirst()), query)
        case ("compatibility", 4), ("compatibility", 5):
            guard segments[1] == "subjects", segments[3] == "versions" else { break }
            try Self.allow(method, ["POST"])
            let against: SchemaRegistryEngine.Against? =
                segments.count == 5 ? try Self.version(segments[4]).map { .version($0) } ?? .latest : nil
            let schema = try Self.schema(from: try bodyObject())
            let messages = try self.engine.checkCompatibility(
                subject: segments[2], schema: schema, against: against, normalize: query.flag("normalize")
            )
            var answer: [String: Any] = ["is_compatible": messages.isEmpty]
            if query.flag("verbose") {
                answer["messages"] = messages.map(\.description)
            }
            return Self.ok(answer)
        case ("config", 1), ("config", 2):
            return try await self.config(method, segments.count == 2 ? segments[1] : nil, query, bodyObject)
        case ("mode", 1), ("mode", 2):
            return try await self.mode(method, segments.count == 2 ? segments[1] : nil, query, bodyObject)
        default:
            break
        }
        throw Failure(code: 404, message: "HTTP 404 Not Found")
    }

    private func subjects(
        _ method: String,
        _ rest: [String],
        _ query: Query,
        _ body: () throws -> [String: Any]
    ) async throws -> Response {
        let engine = self.engine
        let deleted = query.flag("deleted")
        switch rest.count {
        case 0:
            try Self.allow(method, ["GET"])
            let prefix = query["subjectPrefix"] ?? ""
            if query.flag("deletedOnly") || query.flag("deleted_only") {
                let live = Set(engine.subjects(prefix: prefix))
                return Self.ok(engine.subjects(includeDeleted: true, prefix: prefix).filter { !live.contains($0) })
            }
            return Self.ok(engine.subjects(includeDeleted: deleted, prefix: prefix))
        case 1:
            let subject = rest[0]
            try Self.allow(method, ["POST", "DELETE"])
            if method == "DELETE" {
                return Self.ok(try await engine.deleteSubject(subject, permanent: query.flag("permanent")))
            }
            let schema = try Self.schema(from: try body())
            let found = try engine.lookup(
                subject: subject, schema: schema, normalize: query.flag("normalize"), includeDeleted: deleted
            )
            return Self.ok(Self.versionObject(subject: subject, found))
        case 2 where rest[1] == "versions":
            let subject = rest[0]
            try Self.allow(method, ["GET", "POST"])
            if method == "GET" {
                return Self.ok(try engine.versions(subject: subject, includeDeleted: deleted))
            }
            let object = try body()
            let schema = try Self.schema(from: object)
            var importing: (id: Int, version: Int)?
            if let id = try Self.int(object, "id"), id > 0 {
                let explicit = try Self.int(object, "version").flatMap { $0 > 0 ? $0 : nil }
                let next = ((try? engine.versions(subject: subject, includeDeleted: true))?.max() ?? 0) + 1
                importing = (id, explicit ?? next)
            }
            let result = try await engine.register(
                subject: subject, schema: schema, importing: importing, normalize: query.flag("normalize")
            )
            let stored = (try? engine.schema(id: result.id)) ?? schema
            var answer = Self.schemaObject(stored)
            answer["id"] = result.id
            answer["version"] = result.version
            answer["subject"] = subject
            return Self.ok(answer)
        case 3 where rest[1] == "versions", 4 where rest[1] == "versions":
            let subject = rest[0]
            let number = try Self.version(rest[2])
            if rest.count == 3 {
                try Self.allow(method, ["GET", "DELETE"])
                if method == "DELETE" {
                    let permanent = query.flag("permanent")
                    return Self.ok(try await engine.deleteVersion(subject: subject, version: number, permanent: permanent))
                }
                var found = try engine.version(subject: subject, number, includeDeleted: deleted)
                found.schema = try self.formatted(found.schema, query)
                return Self.ok(Self.versionObject(subject: subject, found))
            }
            try Self.allow(method, ["GET"])
            var found = try engine.version(subject: subject, number, includeDeleted: deleted)
            found.schema = try self.formatted(found.schema, query)
            switch rest[3] {
            case "schema":
                return Response(status: 200, body: found.schema.text)
            case "referencedby":
                return Self.ok(self.referencedBy(subject: subject, version: found.version))
            default:
                break
            }
        default:
            break
        }
        throw Failure(code: 404, message: "HTTP 404 Not Found")
    }

    private func schemas(_ method: String, _ rest: [String], _ query: Query) throws -> Response {
        try Self.allow(method, ["GET"])
        if rest == ["types"] {
            return Self.ok(["JSON", "PROTOBUF", "AVRO"])
        }
        guard rest.count == 2 || rest.count == 3, rest[0] == "ids" else {
            throw Failure(code: 404, message: "HTTP 404 Not Found")
        }
        guard let id = Int(rest[1]) else {
            throw Failure(code: 404, message: "HTTP 404 Not Found")
        }
        // `subject` (a context hint in Confluent) is accepted and ignored: ids are global here.
        let schema = try self.formatted(try self.engine.schema(id: id), query)
        guard rest.count == 3 else {
            return Self.ok(Self.schemaObject(schema))
        }
        let deleted = query.flag("deleted")
        switch rest[2] {
        case "schema":
            return Response(status: 200, body: schema.text)
        case "versions":
            let pairs = try self.engine.subjectVersions(id: id, includeDeleted: deleted)
            return Self.ok(pairs.map { ["subject": $0.subject, "version": $0.version] as [String: Any] })
        case "subjects":
            let pairs = try self.engine.subjectVersions(id: id, includeDeleted: deleted)
            var seen = Set<String>()
            return Self.ok(pairs.map(\.subject).filter { seen.insert($0).inserted })
        default:
            throw Failure(code: 404, message: "HTTP 404 Not Found")
        }
    }

    /// `format=serialized` (Confluent): a Protobuf schema answered as base64 of its FileDescriptorProto, what
    /// confluent-kafka's `ProtobufDeserializer` asks for; other types and formats are answered as stored. Imports
    /// are collected as the checker collects them (bounded by `SchemaChecker.maxReferencedSchemas`).
    private func formatted(_ schema: RegisteredSchema, _ query: Query) throws -> RegisteredSchema {
        guard query["format"] == "serialized", schema.type == .protobuf else { return schema }
        let engine = self.engine
        let imports = try SchemaChecker.referencedTexts(schema) { reference in
            try? engine.version(subject: reference.subject, reference.version, includeDeleted: true).schema
        }
        do {
            let bytes = try ProtobufDescriptorCodec.encodeFileDescriptor(
                text: schema.text, name: "schema.proto", imports: imports)
            var serialized = schema
            serialized.text = ProtobufDescriptorCodec.base64Encode(bytes)
            return serialized
        } catch {
            throw Failure(code: 42201, message: "Invalid schema: cannot serialize as a FileDescriptorProto: \(error)")
        }
    }

    private func config(
        _ method: String,
        _ subject: String?,
        _ query: Query,
        _ body: () throws -> [String: Any]
    ) async throws -> Response {
        try Self.allow(method, ["GET", "PUT", "DELETE"])
        switch method {
        case "GET":
            let defaultToGlobal = subject == nil || query.flag("defaultToGlobal")
            guard let level = self.engine.level(subject: subject, defaultToGlobal: defaultToGlobal) else {
                throw Failure(code: 40408, message: "Subject '\(subject ?? "")' does not have subject-level compatibility configured")
            }
            return Self.ok(["compatibilityLevel": level.rawValue])
        case "PUT":
            let object = try body()
            let text = try Self.string(object, "compatibility") ?? Self.string(object, "compatibilityLevel")
            guard let text, let level = CompatibilityLevel(rawValue: text.uppercased()) else {
                throw Failure(code: 42203, message: "Invalid compatibility level. Valid values are none, backward, "
                    + "forward, full, backward_transitive, forward_transitive, and full_transitive")
            }
            try await self.engine.setLevel(level, subject: subject)
            return Self.ok(["compatibility": level.rawValue])
        default:
            guard let previous = self.engine.level(subject: subject, defaultToGlobal: subject == nil) else {
                throw Failure(code: 40408, message: "Subject '\(subject ?? "")' does not have subject-level compatibility configured")
            }
            try await self.engine.setLevel(nil, subject: subject)
            return Self.ok(["compatibilityLevel": previous.rawValue])
        }
    }

    private func mode(
        _ method: String,
        _ subject: String?,
        _ query: Query,
        _ body: () throws -> [String: Any]
    ) async throws -> Response {
        try Self.allow(method, ["GET", "PUT", "DELETE"])
        switch method {
        case "GET":
            let defaultToGlobal = subject == nil || query.flag("defaultToGlobal")
            guard let mode = self.engine.mode(subject: subject, defaultToGlobal: defaultToGlobal) else {
                throw Failure(code: 40409, message: "Subject '\(subject ?? "")' does not have subject-level mode configured")
            }
            return Self.ok(["mode": mode.rawValue])
        case "PUT":
            let text = try Self.string(try body(), "mode")
            guard let text, let mode = RegistryMode(rawValue: text.uppercased()) else {
                throw Failure(code: 42204, message: "Invalid mode. Valid values are READWRITE, READONLY and IMPORT")
            }
            try await self.engine.setMode(mode, subject: subject, force: query.flag("force"))
            return Self.ok(["mode": mode.rawValue])
        default:
            guard let previous = self.engine.mode(subject: subject, defaultToGlobal: subject == nil) else {
                throw Failure(code: 40409, message: "Subject '\(subject ?? "")' does not have subject-level mode configured")
            }
            try await self.engine.setMode(nil, subject: subject)
            return Self.ok(["mode": previous.rawValue])
        }
    }

    /// Ids of live schemas that reference `subject` `version` (Confluent's `referencedby`), ascending.
    private func referencedBy(subject: String, version: Int) -> [Int] {
        let state = self.engine.state
        var ids = Set<Int>()
        for name in state.subjectNames() {
            for number in (try? state.versions(subject: name)) ?? [] {
                guard let found = try? state.version(subject: name, number) else { continue }
                if found.schema.references.contains(where: { $0.subject == subject && $0.version == version }) {
                    ids.insert(found.id)
                }
            }
        }
        return ids.sorted()
    }

    // MARK: - Request parsing

    /// Splits `uri` into percent-decoded path segments (decoded after splitting, so `%2F` stays inside a subject)
    /// and query parameters (`+` is a space).
    static func parse(uri: String) throws -> ([String], [String: String]) {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var segments: [String] = []
        for raw in parts[0].split(separator: "/", omittingEmptySubsequences: true) {
            guard let decoded = String(raw).removingPercentEncoding else {
                throw Failure(code: 404, message: "HTTP 404 Not Found: malformed percent-encoding in the path")
            }
            segments.append(decoded)
        }
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let decode = { (text: Substring) in
                    String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
                }
                query[decode(keyValue[0])] = keyValue.count == 2 ? decode(keyValue[1]) : ""
            }
        }
        return (segments, query)
    }

    struct Query {
        var values: [String: String]

        init(_ values: [String: String]) {
            self.values = values
        }

        subscript(_ name: String) -> String? { self.values[name] }

        /// Booleans as Confluent (Jersey) reads them: `true` in any case; Python clients send `True`.
        func flag(_ name: String) -> Bool { self.values[name]?.lowercased() == "true" }
    }

    static func checkContentType(_ contentType: String?) throws {
        guard let contentType else { return }
        let mediaType = contentType.split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        guard mediaType.isEmpty || Self.acceptedContentTypes.contains(mediaType) else {
            throw Failure(code: 415, message: "HTTP 415 Unsupported Media Type: \(contentType)")
        }
    }

    static func allow(_ method: String, _ allowed: Set<String>) throws {
        guard allowed.contains(method) else {
            throw Failure(code: 405, message: "HTTP 405 Method Not Allowed")
        }
    }

    /// The body as a JSON object. Malformed JSON is HTTP 400 with error_code 400 (Confluent's rest-utils
    /// `JsonParseExceptionMapper`); JSON that is not an object is 422 (its `JsonMappingExceptionMapper`).
    static func object(_ body: [UInt8]) throws -> [String: Any] {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        } catch {
            throw Failure(code: 400, message: "Unexpected character or end of input: the request body is not JSON")
        }
        guard let object = value as? [String: Any] else {
            throw Failure(code: 422, message: "Unrecognized request body: expected a JSON object")
        }
        return object
    }

    static func string(_ object: [String: Any], _ key: String) throws -> String? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let text = value as? String else {
            throw Failure(code: 422, message: "Field '\(key)' must be a string")
        }
        return text
    }

    static func int(_ object: [String: Any], _ key: String) throws -> Int? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        // Foundation on Linux bridges JSON 0 and 1 to Bool too, so booleans cannot be told apart here.
        guard let number = value as? NSNumber, let int = Int(exactly: number.doubleValue) else {
            throw Failure(code: 422, message: "Field '\(key)' must be an integer")
        }
        return int
    }

    /// The schema of a register, lookup or compatibility body: `schema`, `schemaType` (absent = AVRO) and
    /// `references`.
    static func schema(from object: [String: Any]) throws -> RegisteredSchema {
        guard let text = try Self.string(object, "schema"), !text.isEmpty else {
            throw Failure(code: 42201, message: "Invalid schema: Empty schema")
        }
        let typeName = try Self.string(object, "schemaType") ?? "AVRO"
        guard let type = SchemaType(rawValue: typeName.uppercased()) else {
            throw Failure(code: 42201, message: "Invalid schema: unknown schemaType \(typeName)")
        }
        var references: [SchemaReference] = []
        if let list = object["references"], !(list is NSNull) {
            guard let items = list as? [Any] else {
                throw Failure(code: 422, message: "Field 'references' must be a list")
            }
            for item in items {
                guard let reference = item as? [String: Any], let name = try Self.string(reference, "name"),
                    let subject = try Self.string(reference, "subject"), let version = try Self.int(reference, "version")
                else {
                    throw Failure(code: 42201, message: "Invalid schema: a reference needs name, subject and version")
                }
                references.append(SchemaReference(name: name, subject: subject, version: version))
            }
        }
        return RegisteredSchema(type: type, text: text, references: references)
    }

    /// A version path segment: a number from 1 to 2^31-1, or `latest` / `-1` (nil: the latest).
    static func version(_ text: String) throws -> Int? {
        if text == "latest" || text == "-1" {
            return nil
        }
        guard let number = Int(text), number >= 1, number <= Int(Int32.max) else {
            throw Failure(
                code: 42202,
                message: "The specified version '\(text)' is not a valid version id. Allowed values are between "
                    + "[1, 2^31-1] and the string \"latest\""
            )
        }
        return number
    }

    // MARK: - Answers

    static func schemaObject(_ schema: RegisteredSchema) -> [String: Any] {
        var object: [String: Any] = ["schema": schema.text]
        if schema.type != .avro {
            object["schemaType"] = schema.type.rawValue
        }
        if !schema.references.isEmpty {
            object["references"] = schema.references.map {
                ["name": $0.name, "subject": $0.subject, "version": $0.version] as [String: Any]
            }
        }
        return object
    }

    static func versionObject(
        subject: String,
        _ found: (version: Int, id: Int, schema: RegisteredSchema)
    ) -> [String: Any] {
        var object = Self.schemaObject(found.schema)
        object["subject"] = subject
        object["version"] = found.version
        object["id"] = found.id
        return object
    }

    static func ok(_ value: Any) -> Response {
        Response(status: 200, body: Self.encode(value))
    }

    static func error(_ code: Int, _ message: String) -> Response {
        Response(
            status: Failure(code: code, message: message).status,
            body: Self.encode(["error_code": code, "message": message] as [String: Any])
        )
    }

    static func encode(_ value: Any) -> String {
        let options: JSONSerialization.WritingOptions = [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: options) else {
            preconditionFailure("the façade only encodes JSON-representable values")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
