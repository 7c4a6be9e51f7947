import Logging
import MicroStateRPC
import MicroStateSchema
import MicroStateStore
import NIOConcurrencyHelpers

/// Validation on write (issue #5, ADR 0008 §3): KV Puts under a bound key prefix and Appends to streams matching a
/// bound pattern are checked against the bound subject's schema before they reach the store.
///
/// - A payload that starts with byte 0 and has at least 5 bytes, whose 4-byte id is one of the subject's live
///   versions, is Confluent-framed: it is checked against that version (Protobuf message indexes pick the
///   message). Any other payload is checked against the subject's latest live version. (An Avro payload can start
///   with byte 0; it is read as framed only when the id matches one of the subject's, so unframed Avro still
///   validates against the latest version.)
/// - A failing payload under a VALIDATE binding is refused with INVALID_ARGUMENT naming the key or stream, the
///   subject, version and id, and the failing path; under WARN it is accepted, counted and logged.
/// - Writes that start before a Bind returns may go unchecked; writes that start after it are checked.
/// - Events that were checked carry the schema id in their metadata under `schemaIDMetadataKey`; KV values keep it
///   beside the key's latest version (`KeyValue.schema_id`, recorded in the log with the put).
///
/// Compiled validators are cached by schema id (ids never change meaning), so a write pays a lookup and the check,
/// never a parse; the cache is rebuilt when the store's registry changes. When nothing is bound, a write pays one
/// relaxed atomic load.
public final class SchemaWriteValidator: Sendable {
    /// The event metadata key that records the id of the schema an event was validated against.
    public static let schemaIDMetadataKey = "schema-id"
    /// Most compiled validators kept; beyond, the cache is cleared and rebuilt on demand.
    public static let maxCachedValidators = 1_024

    /// Counts by outcome, for /metrics.
    public struct Counts: Sendable, Hashable {
        public var valid = 0
        public var invalid = 0
        public var warned = 0
    }

    struct Cache {
        var changeCount = -1
        var state = SchemaRegistryState()
        var index = BindingIndex(SchemaRegistryState())
        var validators: [Int: PayloadValidator] = [:]
        var counts = Counts()
    }

    /// A resolved check: which schema version a payload is checked against.
    struct Target {
        var version: Int
        var id: Int
    }

    let store: KVStore
    let logger: Logger
    let cache = NIOLockedValueBox(Cache())

    public init(store: KVStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Outcome counts so far.
    public var counts: Counts {
        self.cache.withLockedValue { $0.counts }
    }

    /// Checks a Put; nil = go ahead (valid, unbound, or warned).
    @inline(__always)
    public func checkPut(key: [UInt8], value: [UInt8]) -> RPCError? {
        self.validatePut(key: key, value: value).error
    }

    /// Checks a Put: the error to fail it with (VALIDATE), else the schema id it was validated against for the
    /// store to record with it (0 = not validated: unbound, or failed under WARN).
    @inline(__always)
    public func validatePut(key: [UInt8], value: [UInt8]) -> (error: RPCError?, schemaID: Int64) {
        guard self.store.hasSchemaBindings else { return (nil, 0) }
        return self.checkBoundPut(key: key, value: value)
    }

    /// Checks every event of an Append and records the schema id in each checked event's metadata; nil = go ahead.
    @inline(__always)
    public func checkAppend(stream: String, events: inout [StoreEventData]) -> RPCError? {
        guard self.store.hasSchemaBindings else { return nil }
        return self.checkBoundAppend(stream: stream, events: &events)
    }

    // MARK: - Bound writes

    func checkBoundPut(key: [UInt8], value: [UInt8]) -> (error: RPCError?, schemaID: Int64) {
        let (state, index) = self.currentState()
        guard let binding = index.binding(forKey: key) else { return (nil, 0) }
        let what = "value of key '\(String(decoding: key.prefix(256), as: UTF8.self))'"
        let outcome = self.check(value, binding: binding, state: state, what: what)
        return (outcome.error, outcome.id.map(Int64.init) ?? 0)
    }

    func checkBoundAppend(stream: String, events: inout [StoreEventData]) -> RPCError? {
        let (state, index) = self.currentState()
        guard let binding = index.binding(forStream: stream) else { return nil }
        for index in events.indices {
            let what = "event \(index) (\(events[index].type)) of stream '\(stream)'"
            let outcome = self.check(events[index].data, binding: binding, state: state, what: what)
            if let error = outcome.error {
                return error
            }
            if let id = outcome.id {
                var metadata = events[index].metadata
                metadata[Self.schemaIDMetadataKey] = String(id)
                events[index] = StoreEventData(
                    id: events[index].id,
                    type: events[index].type,
                    data: events[index].data,
                    metadata: metadata,
                    contentType: events[index].contentType
                )
            }
        }
        return nil
    }

    /// Checks one payload: answers the error to fail the write with (VALIDATE), and the id it was checked against
    /// (nil when it did not validate, so WARN writes carry no id).
    func check(
        _ payload: [UInt8],
        binding: SchemaBinding,
        state: SchemaRegistryState,
        what: @autoclosure () -> String
    ) -> (error: RPCError?, id: Int?) {
        let target: Target
        var framed = false
        do {
            (target, framed) = try self.target(for: payload, binding: binding, state: state)
        } catch {
            return (self.fail(binding, what(), "subject '\(binding.subject)': \(error.message)"), nil)
        }
        let validator: PayloadValidator
        do {
            validator = try self.validator(id: target.id, state: state)
        } catch {
            return (self.fail(binding, what(), "schema id \(target.id) does not compile: \(error.message)"), nil)
        }
        let violation = framed
            ? validator.validateConfluentFramed(payload) { Int($0) == target.id }
            : validator.validate(payload)
        guard let violation else {
            self.cache.withLockedValue { $0.counts.valid += 1 }
            return (nil, target.id)
        }
        let at = violation.path.isEmpty ? "" : " at \(violation.path)"
        return (
            self.fail(
                binding,
                what(),
                "does not match subject '\(binding.subject)' version \(target.version) (id \(target.id))\(at): \(violation.message)"
            ),
            nil
        )
    }

    /// Counts a failure; answers INVALID_ARGUMENT for VALIDATE bindings, nil (after logging) for WARN ones.
    func fail(_ binding: SchemaBinding, _ what: String, _ why: String) -> RPCError? {
        let message = "\(what) \(why)"
        switch binding.mode {
        case .validate:
            self.cache.withLockedValue { $0.counts.invalid += 1 }
            return RPCError(code: .invalidArgument, message: message)
        case .warn:
            let warned = self.cache.withLockedValue { cache -> Int in
                cache.counts.warned += 1
                return cache.counts.warned
            }
            // The first failure and then one in a thousand: a misbehaving writer must not flood the log.
            if warned == 1 || warned % 1_000 == 0 {
                self.logger.warning(
                    "schema validation failed (binding mode WARN, write accepted)",
                    metadata: ["binding": "\(binding.target)", "failure": "\(message)", "warned_total": "\(warned)"]
                )
            }
            return nil
        }
    }

    /// The version a payload is checked against: the framed id when it is one of the subject's live versions,
    /// else the latest live version.
    func target(
        for payload: [UInt8],
        binding: SchemaBinding,
        state: SchemaRegistryState
    ) throws(RegistryError) -> (Target, framed: Bool) {
        if payload.count >= 5 && payload[0] == ConfluentWireFormat.magic {
            let id = Int(payload[1]) << 24 | Int(payload[2]) << 16 | Int(payload[3]) << 8 | Int(payload[4])
            for pair in state.subjectVersions(id: id) where pair.subject == binding.subject {
                if (try? state.version(subject: pair.subject, pair.version)) != nil {
                    return (Target(version: pair.version, id: id), true)
                }
            }
        }
        let latest = try state.version(subject: binding.subject, nil)
        return (Target(version: latest.version, id: latest.id), false)
    }

    /// The registry state validation uses and its binding index, refreshed when the store's registry changed.
    func currentState() -> (SchemaRegistryState, BindingIndex) {
        let count = self.store.registryChangeCount
        if let cached = self.cache.withLockedValue({ $0.changeCount == count ? ($0.state, $0.index) : nil }) {
            return cached
        }
        let state = self.store.registryState()
        let index = BindingIndex(state)
        self.cache.withLockedValue { cache in
            cache.changeCount = count
            cache.state = state
            cache.index = index
        }
        return (state, index)
    }

    /// The compiled validator for schema `id`, compiling it (outside the lock) on first use.
    func validator(id: Int, state: SchemaRegistryState) throws(RegistryError) -> PayloadValidator {
        if let cached = self.cache.withLockedValue({ $0.validators[id] }) {
            return cached
        }
        let schema = try state.schema(id: id)
        let compiled = try PayloadValidator(schema: schema) { reference in
            try? state.version(subject: reference.subject, reference.version, includeDeleted: true).schema
        }
        self.cache.withLockedValue { cache in
            if cache.validators.count >= Self.maxCachedValidators {
                cache.validators.removeAll()
            }
            cache.validators[id] = compiled
        }
        return compiled
    }
}

/// Bindings by target for the write path: a hash lookup per distinct prefix length instead of a scan of every
/// binding (up to `SchemaRegistryState.maxBindings`), with the same answers as `SchemaRegistryState.binding(forKey:)`
/// and `binding(forStream:)` — the longest bound key prefix; an exact stream pattern, else the longest `*` prefix.
struct BindingIndex: Sendable {
    /// Up to this many key prefixes (or `*` patterns) are scanned, longest first, without building slices: cheaper
    /// than hashing a copy of the key's prefix for each length.
    static let scanLimit = 16

    /// Key prefixes, longest first (used when there are at most `scanLimit`).
    private var keyList: [(prefix: [UInt8], binding: SchemaBinding)] = []
    private var streamList: [(prefix: [UInt8], binding: SchemaBinding)] = []
    private var keyPrefixes: [[UInt8]: SchemaBinding] = [:]
    /// Distinct key-prefix lengths, longest first.
    private var keyLengths: [Int] = []
    private var exactStreams: [String: SchemaBinding] = [:]
    /// `*` patterns by their prefix (the pattern without the `*`), as UTF-8.
    private var streamPrefixes: [[UInt8]: SchemaBinding] = [:]
    private var streamLengths: [Int] = []

    init(_ state: SchemaRegistryState) {
        for binding in state.bindings.values {
            switch binding.target {
            case .keyPrefix(let prefix):
                self.keyPrefixes[prefix] = binding
            case .streamPattern(let pattern) where pattern.hasSuffix("*"):
                self.streamPrefixes[Array(pattern.utf8.dropLast())] = binding
            case .streamPattern(let pattern):
                self.exactStreams[pattern] = binding
            }
        }
        self.keyLengths = Set(self.keyPrefixes.keys.map(\.count)).sorted(by: >)
        self.streamLengths = Set(self.streamPrefixes.keys.map(\.count)).sorted(by: >)
        if self.keyPrefixes.count <= Self.scanLimit {
            self.keyList = self.keyPrefixes.map { ($0.key, $0.value) }.sorted { $0.prefix.count > $1.prefix.count }
        }
        if self.streamPrefixes.count <= Self.scanLimit {
            self.streamList = self.streamPrefixes.map { ($0.key, $0.value) }.sorted { $0.prefix.count > $1.prefix.count }
        }
    }

    func binding(forKey key: [UInt8]) -> SchemaBinding? {
        if self.keyPrefixes.count <= Self.scanLimit {
            return self.keyList.first { key.starts(with: $0.prefix) }?.binding
        }
        for length in self.keyLengths where length <= key.count {
            if let binding = self.keyPrefixes[Array(key[0..<length])] {
                return binding
            }
        }
        return nil
    }

    func binding(forStream stream: String) -> SchemaBinding? {
        if let exact = self.exactStreams[stream] {
            return exact
        }
        guard !self.streamLengths.isEmpty else { return nil }
        if self.streamPrefixes.count <= Self.scanLimit {
            return self.streamList.first { stream.utf8.starts(with: $0.prefix) }?.binding
        }
        let bytes = Array(stream.utf8)
        for length in self.streamLengths where length <= bytes.count {
            if let binding = self.streamPrefixes[Array(bytes[0..<length])] {
                return binding
            }
        }
        return nil
    }
}
