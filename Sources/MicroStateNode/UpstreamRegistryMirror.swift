import Foundation
import Logging
import MicroStateRPC
import MicroStateSchema
import MicroStateServices
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// `--upstream-registry` settings (docs/schemas.md "Upstream registry mirror").
public struct UpstreamRegistryConfiguration: Sendable, Equatable {
    /// The upstream Confluent-compatible registry.
    public var url: RegistryURL
    /// Time between two syncs. Default 30 s.
    public var interval: TimeAmount = .seconds(30)
    /// Send registrations made on this node upstream first (`--upstream-registry-forward`). Default off.
    public var forward = false

    public init(url: RegistryURL) {
        self.url = url
    }
}

/// One version as the upstream registry describes it (`GET /subjects/{s}/versions/{v}`).
public struct UpstreamSchemaVersion: Sendable, Hashable {
    public var subject: String
    public var version: Int
    public var id: Int
    public var schema: RegisteredSchema

    public init(subject: String, version: Int, id: Int, schema: RegisteredSchema) {
        self.subject = subject
        self.version = version
        self.id = id
        self.schema = schema
    }
}

/// What the mirror needs from an upstream registry; `HTTPUpstreamRegistry` over the Confluent REST API, a fake in
/// tests. Errors: `RPCError` from the outbound destination (its cause a `RegistryHTTPError`), or any error in tests.
public protocol UpstreamRegistry: Sendable {
    /// Where it is, for logs and error messages.
    var name: String { get }
    /// `GET /subjects`.
    func subjects() async throws -> [String]
    /// `GET /subjects/{s}/versions`.
    func versions(subject: String) async throws -> [Int]
    /// `GET /subjects/{s}/versions/{v}`.
    func version(subject: String, _ version: Int) async throws -> UpstreamSchemaVersion
    /// `POST /subjects/{s}/versions`: answers the id, and the version when the response has it.
    func register(subject: String, schema: RegisteredSchema, normalize: Bool, deadline: NIODeadline)
        async throws -> (id: Int, version: Int?)
    /// `POST /subjects/{s}`: the version of `subject` holding `schema`.
    func lookup(subject: String, schema: RegisteredSchema, normalize: Bool, deadline: NIODeadline)
        async throws -> UpstreamSchemaVersion
}

/// The Confluent REST API through the `schema_registry` outbound destination (bulkhead, breaker, retries).
public struct HTTPUpstreamRegistry: UpstreamRegistry {
    public let client: RegistryHTTPClient
    public let destination: OutboundDestination

    public init(client: RegistryHTTPClient, destination: OutboundDestination) {
        self.client = client
        self.destination = destination
    }

    public var name: String { self.client.url.description }

    public func subjects() async throws -> [String] {
        try Self.parseSubjects(try await self.call(.GET, "/subjects", idempotent: true))
    }

    public func versions(subject: String) async throws -> [Int] {
        let path = "/subjects/\(RegistryHTTPClient.segment(subject))/versions"
        return try Self.parseVersions(try await self.call(.GET, path, idempotent: true))
    }

    public func version(subject: String, _ version: Int) async throws -> UpstreamSchemaVersion {
        let path = "/subjects/\(RegistryHTTPClient.segment(subject))/versions/\(version)"
        return try Self.parseVersion(try await self.call(.GET, path, idempotent: true), subject: subject)
    }

    public func register(subject: String, schema: RegisteredSchema, normalize: Bool, deadline: NIODeadline)
        async throws -> (id: Int, version: Int?)
    {
        let path = "/subjects/\(RegistryHTTPClient.segment(subject))/versions" + (normalize ? "?normalize=true" : "")
        // Registering equal content again answers the same id (Confluent), so a retry is safe.
        let json = try await self.call(.POST, path, body: Self.body(schema), idempotent: true, deadline: deadline)
        guard let object = json.value as? [String: Any], let id = Self.int(object["id"]) else {
            throw RegistryHTTPError(code: .malformedResponse, message: "POST \(path): no id in the answer")
        }
        return (id, Self.int(object["version"]))
    }

    public func lookup(subject: String, schema: RegisteredSchema, normalize: Bool, deadline: NIODeadline)
        async throws -> UpstreamSchemaVersion
    {
        let path = "/subjects/\(RegistryHTTPClient.segment(subject))" + (normalize ? "?normalize=true" : "")
        let json = try await self.call(.POST, path, body: Self.body(schema), idempotent: true, deadline: deadline)
        return try Self.parseVersion(json, subject: subject)
    }

    private func call(
        _ method: HTTPMethod,
        _ path: String,
        body: Any? = nil,
        idempotent: Bool,
        deadline: NIODeadline? = nil
    ) async throws(RPCError) -> JSONBox {
        let client = self.client
        let request = body.map(JSONBox.init)
        return try await self.destination.call(path: "\(method) \(path)", idempotent: idempotent, deadline: deadline) {
            (timeout: TimeAmount) throws(RPCError) -> JSONBox in
            do throws(RegistryHTTPError) {
                return JSONBox(try await client.request(method, path, body: request?.value, timeout: timeout))
            } catch {
                throw error.rpcError
            }
        }
    }

    // MARK: - Confluent JSON shapes

    /// The body of a registration or lookup: `{"schema", "schemaType", "references"}` (schemaType omitted for AVRO,
    /// as Confluent's clients do).
    static func body(_ schema: RegisteredSchema) -> [String: Any] {
        var body: [String: Any] = ["schema": schema.text]
        if schema.type != .avro {
            body["schemaType"] = schema.type.rawValue
        }
        if !schema.references.isEmpty {
            body["references"] = schema.references.map {
                ["name": $0.name, "subject": $0.subject, "version": $0.version] as [String: Any]
            }
        }
        return body
    }

    static func parseSubjects(_ json: JSONBox) throws(RegistryHTTPError) -> [String] {
        guard let list = json.value as? [Any], let names = list as? [String] else {
            throw RegistryHTTPError(code: .malformedResponse, message: "GET /subjects: expected an array of strings")
        }
        return names
    }

    static func parseVersions(_ json: JSONBox) throws(RegistryHTTPError) -> [Int] {
        guard let list = json.value as? [Any] else {
            throw RegistryHTTPError(code: .malformedResponse, message: "GET versions: expected an array of integers")
        }
        var versions: [Int] = []
        for item in list {
            guard let version = Self.int(item), version >= 1 else {
                let message = "GET versions: \(item) is not a version number"
                throw RegistryHTTPError(code: .malformedResponse, message: message)
            }
            versions.append(version)
        }
        return versions
    }

    /// `{"subject","version","id","schemaType"?,"schema","references"?}`; a missing schemaType is AVRO (Confluent).
    static func parseVersion(_ json: JSONBox, subject: String) throws(RegistryHTTPError) -> UpstreamSchemaVersion {
        func malformed(_ why: String) -> RegistryHTTPError {
            RegistryHTTPError(code: .malformedResponse, message: "version of '\(subject)': \(why)")
        }
        guard let object = json.value as? [String: Any] else { throw malformed("expected an object") }
        guard let version = Self.int(object["version"]), version >= 1 else { throw malformed("no valid version") }
        guard let id = Self.int(object["id"]), id >= 0 else { throw malformed("no valid id") }
        guard let text = object["schema"] as? String else { throw malformed("no schema text") }
        let typeName = (object["schemaType"] as? String) ?? SchemaType.avro.rawValue
        guard let type = SchemaType(rawValue: typeName.uppercased()) else {
            throw malformed("unknown schemaType \(typeName)")
        }
        var references: [SchemaReference] = []
        if let list = object["references"], !(list is NSNull) {
            guard let items = list as? [[String: Any]] else {
                throw malformed("references must be an array of objects")
            }
            for item in items {
                guard let name = item["name"] as? String, let refSubject = item["subject"] as? String,
                    let refVersion = Self.int(item["version"])
                else {
                    throw malformed("a reference needs name, subject and version")
                }
                references.append(SchemaReference(name: name, subject: refSubject, version: refVersion))
            }
        }
        let answered = (object["subject"] as? String) ?? subject
        return UpstreamSchemaVersion(
            subject: answered, version: version, id: id,
            schema: RegisteredSchema(type: type, text: text, references: references)
        )
    }

    /// An integer JSON number (not a fraction).
    static func int(_ value: Any?) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        let double = number.doubleValue
        guard double == double.rounded(), abs(double) < 9e15 else { return nil }
        return number.intValue
    }
}

/// A decoded JSON value crossing a `Sendable` boundary. JSONSerialization's results are immutable Foundation
/// values (NSArray, NSDictionary, NSString, NSNumber) that nothing here mutates.
struct JSONBox: @unchecked Sendable {
    let value: Any?
    init(_ value: Any?) { self.value = value }
}

/// Which upstream versions a sync imports, and in which order (pure, for tests).
public enum MirrorPlan {
    /// Most versions one sync fetches and imports; the rest follow on the next sync. Bounds a cycle's work and
    /// memory (each version can hold a 1 MiB schema) when a node first mirrors a large registry.
    public static let maxVersionsPerSync = 10_000

    /// The upstream versions not known to be here already, in subject then version order, at most
    /// `maxVersionsPerSync`.
    ///
    /// - Parameter isLocal: whether `subject` is known to have `version` locally with the upstream's id.
    public static func missing(
        upstream: [(subject: String, versions: [Int])],
        isLocal: (String, Int) -> Bool
    ) -> [(subject: String, version: Int)] {
        var result: [(subject: String, version: Int)] = []
        for (subject, versions) in upstream.sorted(by: { $0.subject < $1.subject }) {
            for version in Set(versions).sorted() where !isLocal(subject, version) {
                guard result.count < Self.maxVersionsPerSync else { return result }
                result.append((subject, version))
            }
        }
        return result
    }

    /// Orders `fetched` so every version comes after the fetched versions it references (Kahn's algorithm; no
    /// recursion). References to versions not in `fetched` are assumed present locally. Versions caught in a
    /// reference cycle (impossible in a sound registry) come back in `unordered`, not imported.
    public static func order(
        _ fetched: [UpstreamSchemaVersion]
    ) -> (ordered: [UpstreamSchemaVersion], unordered: [UpstreamSchemaVersion]) {
        struct Key: Hashable {
            var subject: String
            var version: Int
        }
        var index: [Key: Int] = [:]
        for (position, item) in fetched.enumerated() {
            index[Key(subject: item.subject, version: item.version)] = position
        }
        var waitingOn = [Int](repeating: 0, count: fetched.count)
        var referrers = [[Int]](repeating: [], count: fetched.count)
        for (position, item) in fetched.enumerated() {
            for reference in Set(item.schema.references.map { Key(subject: $0.subject, version: $0.version) }) {
                if let target = index[reference], target != position {
                    waitingOn[position] += 1
                    referrers[target].append(position)
                }
            }
        }
        var ready = fetched.indices.filter { waitingOn[$0] == 0 }
        var ordered: [UpstreamSchemaVersion] = []
        var next = 0
        while next < ready.count {
            let position = ready[next]
            next += 1
            ordered.append(fetched[position])
            for referrer in referrers[position] {
                waitingOn[referrer] -= 1
                if waitingOn[referrer] == 0 {
                    ready.append(referrer)
                }
            }
        }
        let unordered = fetched.indices.filter { waitingOn[$0] > 0 }.map { fetched[$0] }
        assert(ordered.count + unordered.count == fetched.count)
        return (ordered, unordered)
    }
}

/// Mirrors an upstream Confluent-compatible registry into this node's registry (issue #5; docs/schemas.md "Upstream registry mirror"):
/// on start and every `interval`, imports the upstream's versions that are missing here with the upstream's ids
/// and version numbers, each mirrored subject in IMPORT mode. With forwarding on it is also the engine's
/// `RegistrationForwarder`: registrations go upstream first.
///
/// The local registry keeps serving whatever the upstream does: a sync runs in its own task, and only a forwarded
/// registration waits on the upstream (bounded by the destination's timeout; UNAVAILABLE / 50003 when it is down).
///
/// - Important: call `start()` once and `stop()` once before the node's event loops stop.
public final class UpstreamRegistryMirror: RegistrationForwarder, Sendable {
    /// How a version fared in a sync.
    public enum ImportResult: String, Sendable, Equatable {
        /// Imported with the upstream's id and version.
        case imported
        /// Already here with the same id.
        case present
        /// Here with another id, or its id is taken by a different schema: logged, counted, skipped.
        case conflict
        /// Refused by the local registry for another reason (a missing reference, an invalid schema, ...).
        case failed
    }

    /// What one sync did.
    public struct SyncReport: Sendable, Equatable {
        public var imported = 0
        public var present = 0
        public var conflicts = 0
        public var failed = 0
    }

    /// Counters for `/metrics` and `/status`.
    public struct Counters: Sendable {
        public var syncSuccesses = 0
        public var syncFailures = 0
        public var importedVersions = 0
        public var conflicts = 0
        public var failedImports = 0
        public var forwardedOK = 0
        public var forwardedFailed = 0
        public var consecutiveFailures = 0
        public var lastSuccess: Date?
        public var lastError: String?
        public var nextAttempt: Date?
    }

    /// Longest wait after a failed sync before the next try grows from 1 s, doubling per consecutive failure, up to
    /// the interval (so an upstream that comes back is noticed quickly without hammering one that stays down).
    static let firstRetryDelay: TimeAmount = .seconds(1)

    public let configuration: UpstreamRegistryConfiguration
    public let upstream: any UpstreamRegistry
    private let engine: SchemaRegistryEngine
    private let logger: Logger
    /// Bounds a forwarded registration (all attempts): the destination's per-attempt timeout.
    private let forwardTimeout: TimeAmount
    private let counters = NIOLockedValueBox(Counters())
    /// Versions (`subject/version`) this process has seen here with the upstream's id: later syncs skip them without
    /// fetching. A version present locally but not in this set is fetched once, so a local version with another id is
    /// found as a conflict after every start. Grows with the registry (bounded by its limits).
    private let verified = NIOLockedValueBox(Set<String>())
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    public init(
        configuration: UpstreamRegistryConfiguration,
        upstream: any UpstreamRegistry,
        engine: SchemaRegistryEngine,
        logger: Logger,
        forwardTimeout: TimeAmount = .seconds(10)
    ) {
        self.configuration = configuration
        self.upstream = upstream
        self.engine = engine
        self.logger = logger
        self.forwardTimeout = forwardTimeout
    }

    /// The counters now.
    public var snapshot: Counters {
        self.counters.withLockedValue { $0 }
    }

    /// Starts syncing now and every interval, in the background; with forwarding on, installs the forwarder.
    public func start() {
        if self.configuration.forward {
            self.engine.registrationForwarder = self
        }
        let task = Task { [self] in
            await self.run()
        }
        self.task.withLockedValue { $0 = task }
        self.logger.info("schema registry mirror started", metadata: [
            "upstream": "\(self.upstream.name)",
            "interval_seconds": "\(self.configuration.interval.nanoseconds / 1_000_000_000)",
            "forward": "\(self.configuration.forward)",
        ])
    }

    /// Stops syncing (a sync in flight is cancelled) and waits for the loop to end.
    public func stop() async {
        let task = self.task.withLockedValue { task in
            defer { task = nil }
            return task
        }
        task?.cancel()
        await task?.value
    }

    private func run() async {
        while !Task.isCancelled {
            let delay: TimeAmount
            do {
                let report = try await self.syncOnce()
                delay = self.configuration.interval
                let (recovered, failures) = self.counters.withLockedValue { c -> (Bool, Int) in
                    let failures = c.consecutiveFailures
                    c.syncSuccesses += 1
                    c.consecutiveFailures = 0
                    c.lastSuccess = Date()
                    c.lastError = nil
                    c.nextAttempt = Date().addingTimeInterval(Self.seconds(delay))
                    return (failures > 0, failures)
                }
                if recovered {
                    self.logger.notice("schema registry mirror: upstream reachable again", metadata: [
                        "upstream": "\(self.upstream.name)", "failed_syncs": "\(failures)",
                    ])
                }
                if report.imported > 0 || report.conflicts > 0 || report.failed > 0 {
                    self.logger.info("schema registry mirror synced", metadata: [
                        "upstream": "\(self.upstream.name)", "imported": "\(report.imported)",
                        "conflicts": "\(report.conflicts)", "failed": "\(report.failed)",
                    ])
                }
            } catch {
                if Task.isCancelled { return }
                let failures = self.counters.withLockedValue { c -> Int in
                    c.syncFailures += 1
                    c.consecutiveFailures += 1
                    c.lastError = Self.describe(error)
                    return c.consecutiveFailures
                }
                delay = Self.retryDelay(afterFailures: failures, interval: self.configuration.interval)
                let next = Date().addingTimeInterval(Self.seconds(delay))
                self.counters.withLockedValue { $0.nextAttempt = next }
                // One line per failed sync (the destination's retries inside it log at debug only).
                self.logger.error("schema registry mirror: sync failed; serving the local copy", metadata: [
                    "upstream": "\(self.upstream.name)", "error": "\(Self.describe(error))",
                    "consecutive_failures": "\(failures)",
                    "next_attempt": "\(ISO8601DateFormatter().string(from: next))",
                ])
            }
            do {
                try await Task.sleep(nanoseconds: UInt64(max(0, delay.nanoseconds)))
            } catch {
                return
            }
        }
    }

    /// An error for a log line: an outbound `RPCError` without its cause repeated (its message already says it).
    static func describe(_ error: any Error) -> String {
        if let error = error as? RPCError {
            return "\(error.code): \(error.message)"
        }
        return "\(error)"
    }

    /// Wait before the next sync after `failures` consecutive failed ones: 1 s, 2 s, 4 s, ... capped by `interval`.
    static func retryDelay(afterFailures failures: Int, interval: TimeAmount) -> TimeAmount {
        let exponent = min(max(failures - 1, 0), 20)
        let delay = Self.firstRetryDelay.nanoseconds << Int64(exponent)
        return .nanoseconds(min(delay, interval.nanoseconds))
    }

    private static func seconds(_ amount: TimeAmount) -> TimeInterval {
        TimeInterval(amount.nanoseconds) / 1e9
    }

    /// One sync: lists the upstream, fetches the versions missing here, imports them references first. Throws when
    /// the upstream cannot be listed or read (what was imported before stays); a version the local registry refuses
    /// is counted in the report and does not fail the sync.
    @discardableResult
    public func syncOnce() async throws -> SyncReport {
        let subjects = try await self.upstream.subjects()
        var listing: [(subject: String, versions: [Int])] = []
        for subject in subjects.prefix(SchemaRegistryState.maxSubjects) {
            try Task.checkCancellation()
            listing.append((subject, try await self.upstream.versions(subject: subject)))
        }
        let verified = self.verified.withLockedValue { $0 }
        let missing = MirrorPlan.missing(upstream: listing) { subject, version in
            verified.contains("\(subject)/\(version)")
        }
        var fetched: [UpstreamSchemaVersion] = []
        for (subject, version) in missing {
            try Task.checkCancellation()
            var item = try await self.upstream.version(subject: subject, version)
            // The listing is authoritative for where the version goes.
            item.subject = subject
            item.version = version
            fetched.append(item)
        }
        let plan = MirrorPlan.order(fetched)
        var report = SyncReport()
        for item in plan.ordered {
            let result = await self.importVersion(item)
            if result == .imported || result == .present {
                self.verified.withLockedValue { _ = $0.insert("\(item.subject)/\(item.version)") }
            }
            switch result {
            case .imported: report.imported += 1
            case .present: report.present += 1
            case .conflict: report.conflicts += 1
            case .failed: report.failed += 1
            }
        }
        for item in plan.unordered {
            self.logger.error("schema registry mirror: reference cycle, version not imported", metadata: [
                "subject": "\(item.subject)", "version": "\(item.version)", "id": "\(item.id)",
            ])
            report.failed += 1
        }
        self.counters.withLockedValue {
            $0.importedVersions += report.imported
            $0.conflicts += report.conflicts
            $0.failedImports += report.failed
        }
        return report
    }

    /// Imports one upstream version with its id and version number (its subject put in IMPORT mode first).
    public func importVersion(_ item: UpstreamSchemaVersion) async -> ImportResult {
        if let local = try? self.engine.version(subject: item.subject, item.version, includeDeleted: true) {
            if local.id == item.id {
                return .present
            }
            self.logConflict(item, "the local version has id \(local.id)")
            return .conflict
        }
        do {
            if self.engine.mode(subject: item.subject) != .import {
                try await self.engine.setMode(.import, subject: item.subject, force: true)
            }
            _ = try await self.engine.register(
                subject: item.subject,
                schema: item.schema,
                importing: (item.id, item.version)
            )
            return .imported
        } catch let error as RegistryError where error.code == 42205 {
            self.logConflict(item, error.message)
            return .conflict
        } catch {
            self.logger.error("schema registry mirror: version not imported", metadata: [
                "subject": "\(item.subject)", "version": "\(item.version)", "id": "\(item.id)", "error": "\(error)",
            ])
            return .failed
        }
    }

    private func logConflict(_ item: UpstreamSchemaVersion, _ why: String) {
        self.logger.error("schema registry mirror: conflict, upstream version not imported", metadata: [
            "subject": "\(item.subject)", "version": "\(item.version)", "upstream_id": "\(item.id)", "reason": "\(why)",
        ])
    }

    // MARK: - Forwarding

    /// The 50003 error a forwarded registration fails with when the upstream cannot be reached.
    static let upstreamUnavailableCode = 50003

    public func forward(
        subject: String,
        schema: RegisteredSchema,
        normalize: Bool
    ) async throws -> (id: Int, version: Int) {
        let deadline = NIODeadline.now() + self.forwardTimeout
        do {
            let registered = try await self.upstream.register(
                subject: subject, schema: schema, normalize: normalize, deadline: deadline
            )
            let stored = try await self.upstreamVersion(
                subject: subject, schema: schema, normalize: normalize, id: registered.id, version: registered.version,
                deadline: deadline
            )
            switch await self.importVersion(stored) {
            case .imported, .present:
                self.counters.withLockedValue { $0.forwardedOK += 1 }
                return (stored.id, stored.version)
            case .conflict:
                throw RegistryError.operationNotPermitted(
                    "registered upstream (\(self.upstream.name)) as id \(stored.id) version \(stored.version) of "
                        + "'\(subject)', but that conflicts with this node's registry"
                )
            case .failed:
                throw RegistryError(
                    code: 50001,
                    message: "registered upstream as id \(stored.id) version \(stored.version) of '\(subject)', "
                        + "but the local import failed (see the node's log); the next sync retries it"
                )
            }
        } catch {
            self.counters.withLockedValue { $0.forwardedFailed += 1 }
            throw Self.registryError(error, upstream: self.upstream.name)
        }
    }

    /// The upstream's stored version for a registration: its lookup answer, or (upstreams without lookup) the
    /// newest of the subject's versions with the registered id.
    private func upstreamVersion(
        subject: String,
        schema: RegisteredSchema,
        normalize: Bool,
        id: Int,
        version: Int?,
        deadline: NIODeadline
    ) async throws -> UpstreamSchemaVersion {
        if let version {
            return try await self.upstream.version(subject: subject, version)
        }
        let found = try? await self.upstream.lookup(
            subject: subject, schema: schema, normalize: normalize, deadline: deadline
        )
        if let found, found.id == id {
            return found
        }
        let versions = try await self.upstream.versions(subject: subject).sorted(by: >)
        for candidate in versions.prefix(Self.maxVersionsScanned) {
            let item = try await self.upstream.version(subject: subject, candidate)
            if item.id == id {
                return item
            }
        }
        throw RegistryError(
            code: 50001,
            message: "upstream \(self.upstream.name) answered id \(id) but no version of '\(subject)' has it"
        )
    }

    /// Versions checked, newest first, to find a registration's version on an upstream without lookup.
    static let maxVersionsScanned = 20

    /// The error a forwarded registration fails with: the upstream's own registry error (incompatible, invalid, ...)
    /// as is, anything else (no connection, timeout, open breaker, 5xx) as 50003 naming the upstream.
    static func registryError(_ error: any Error, upstream: String) -> any Error {
        if let error = error as? RegistryError {
            return error
        }
        var cause: (any Error)? = error
        if let rpc = error as? RPCError {
            cause = rpc.cause ?? rpc
        }
        if let http = cause as? RegistryHTTPError, let registry = http.registryError, let status = http.status,
            (400..<500).contains(status)
        {
            return registry
        }
        return RegistryError(
            code: Self.upstreamUnavailableCode,
            message: "upstream schema registry \(upstream) is unavailable: \(Self.describe(error))"
        )
    }

    // MARK: - Observability

    /// Prometheus samples.
    func samples() -> String {
        let c = self.snapshot
        let last = c.lastSuccess.map { String($0.timeIntervalSince1970) } ?? "0"
        return """
            # HELP microstatedb_schema_mirror_syncs_total Syncs from the upstream schema registry, by result.
            # TYPE microstatedb_schema_mirror_syncs_total counter
            microstatedb_schema_mirror_syncs_total{result="success"} \(c.syncSuccesses)
            microstatedb_schema_mirror_syncs_total{result="failure"} \(c.syncFailures)
            # HELP microstatedb_schema_mirror_imported_versions_total Upstream versions imported with their id.
            # TYPE microstatedb_schema_mirror_imported_versions_total counter
            microstatedb_schema_mirror_imported_versions_total \(c.importedVersions)
            # HELP microstatedb_schema_mirror_conflicts_total Upstream versions not imported: a local version or id differs.
            # TYPE microstatedb_schema_mirror_conflicts_total counter
            microstatedb_schema_mirror_conflicts_total \(c.conflicts)
            # HELP microstatedb_schema_mirror_failed_imports_total Upstream versions the local registry refused.
            # TYPE microstatedb_schema_mirror_failed_imports_total counter
            microstatedb_schema_mirror_failed_imports_total \(c.failedImports)
            # HELP microstatedb_schema_mirror_forwarded_registrations_total Registrations forwarded upstream, by result.
            # TYPE microstatedb_schema_mirror_forwarded_registrations_total counter
            microstatedb_schema_mirror_forwarded_registrations_total{result="success"} \(c.forwardedOK)
            microstatedb_schema_mirror_forwarded_registrations_total{result="failure"} \(c.forwardedFailed)
            # HELP microstatedb_schema_mirror_last_success_timestamp_seconds Unix time of the last good sync (0: none).
            # TYPE microstatedb_schema_mirror_last_success_timestamp_seconds gauge
            microstatedb_schema_mirror_last_success_timestamp_seconds \(last)

            """
    }

    /// The `/status` section.
    var status: [String: any Sendable] {
        let c = self.snapshot
        let formatter = ISO8601DateFormatter()
        var section: [String: any Sendable] = [
            "upstream": self.upstream.name,
            "interval_seconds": Double(self.configuration.interval.nanoseconds) / 1e9,
            "forward": self.configuration.forward,
            "syncs_succeeded": c.syncSuccesses,
            "syncs_failed": c.syncFailures,
            "consecutive_failures": c.consecutiveFailures,
            "imported_versions": c.importedVersions,
            "conflicts": c.conflicts,
            "failed_imports": c.failedImports,
        ]
        if let last = c.lastSuccess { section["last_success"] = formatter.string(from: last) }
        if let error = c.lastError { section["last_error"] = error }
        if let next = c.nextAttempt { section["next_attempt"] = formatter.string(from: next) }
        return section
    }
}
