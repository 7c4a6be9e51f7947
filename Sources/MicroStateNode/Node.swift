import Foundation
import Logging
import MicroStateLog
import MicroStateResilience
import MicroStateRPC
import MicroStateServices
import MicroStateStore
import MicroStateTracing
import MicroStateWire
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// One MicroStateDB node: recovers its store from the log, then serves gRPC and the admin port.
///
/// - Important: call `shutdown()` exactly once after a successful `start()`; it drains calls, closes the log
///   (finishing queued appends) and stops the event loops.
public final class Node: Sendable {
    /// Where the node ended up listening.
    public struct Addresses: Sendable {
        public var grpc: SocketAddress
        public var admin: SocketAddress?
    }

    public let configuration: NodeConfiguration
    private let logger: Logger
    private let group: MultiThreadedEventLoopGroup
    public let metrics = MetricsRegistry()
    /// The admin port's `/status` document; components add their sections.
    public let status = StatusPage()
    /// Outbound destinations (each with its breaker), for `/metrics` and `/status`.
    private let destinations = NIOLockedValueBox<[OutboundDestination]>([])
    private let state = NIOLockedValueBox(State())
    /// Called once if the log fails (write or fsync error). The node can no longer make writes durable;
    /// the executable logs and exits non-zero rather than serve with silently lost durability.
    private let onFatalError: @Sendable (String) -> Void
    /// Where the log lives: the real file system, or a simulated one in tests (fault injection).
    private let fileSystem: any FileSystem

    private struct State {
        var ready = false
        var store: KVStore?
        var wal: WriteAheadLog?
        var server: RPCServer?
        var admin: AdminServer?
        var health: HealthService?
        var kv: KVService?
        var events: EventStreamService?
        var schemaRegistry: SchemaRegistryEngine?
        var sweeper: RepeatedTask?
        var scavenger: RepeatedTask?
        var archive: EventArchive?
        var spanProcessor: BatchSpanProcessor?
        var spanExporter: OTLPTraceExporter?
        var schemaMirror: UpstreamRegistryMirror?
    }

    public init(
        configuration: NodeConfiguration,
        logger: Logger,
        fileSystem: any FileSystem = PosixFileSystem(),
        onFatalError: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.fileSystem = fileSystem
        self.onFatalError = onFatalError
        let threads = configuration.threads > 0 ? configuration.threads : System.coreCount
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    /// The store, once started (tests and the benchmark read it directly).
    public var store: KVStore? {
        self.state.withLockedValue { $0.store }
    }

    /// The schema registry's engine, once started: the one instance the gRPC service, the REST façade and the CLI
    /// share, so they see the same registry.
    public var schemaRegistry: SchemaRegistryEngine? {
        self.state.withLockedValue { $0.schemaRegistry }
    }

    /// Recovers state from the data directory, then starts serving.
    public func start() async throws -> Addresses {
        let config = self.configuration
        let started = ContinuousClock.now
        var storeConfig = StoreConfiguration()
        storeConfig.limits = config.limits
        storeConfig.compactAfterRecords = config.compactAfterRecords
        storeConfig.nodeID = config.nodeID
        storeConfig.scavengeDelayMilliseconds = Int(config.scavengeDelay.nanoseconds / 1_000_000)

        let store: KVStore
        var wal: WriteAheadLog?
        var archive: EventArchive?
        if config.durability == .memory {
            store = KVStore(configuration: storeConfig, log: nil, clock: SystemClock())
        } else {
            // The archive first: recovery needs its chunk list (events a chunk holds are not taken back into memory
            // from the log).
            try self.fileSystem.createDirectory(atPath: config.dataDirectory)
            let openedArchive = try EventArchive.open(
                directory: config.dataDirectory + "/events",
                fileSystem: self.fileSystem,
                configuration: config.archive
            )
            archive = openedArchive
            let adapter = WALStoreLog()
            store = KVStore(
                configuration: storeConfig,
                log: adapter,
                archive: EventArchiveAdapter(openedArchive),
                clock: SystemClock()
            )
            var logConfig = LogConfiguration(directory: config.dataDirectory, durability: config.durability)
            logConfig.segmentBytes = config.segmentBytes
            // `os`: each event loop writes its read burst's records itself (serverConfig.afterReadBurst below).
            logConfig.callerFlushes = config.durability == .os
            var replayed = 0
            let opened = try WriteAheadLog.open(logConfig, fileSystem: self.fileSystem) { item in
                switch item {
                case .snapshot(let index, let payload):
                    try store.restore(snapshot: payload, index: index)
                case .record(let index, let payload):
                    try store.replay(record: payload, index: index)
                    replayed += 1
                }
            }
            let fatal = self.onFatalError
            let logger = self.logger
            opened.onFatalError = { error in
                logger.critical("write-ahead log failed; no further write can be made durable", metadata: [
                    "error": "\(error)"
                ])
                fatal("\(error)")
            }
            adapter.attach(opened)
            wal = opened
            // In os durability a power loss can keep archived chunks the log lost: the archive loses them too.
            let trimmed = try store.finishRecovery(trimmingArchive: config.durability == .os)
            if trimmed > 0 {
                self.logger.warning("dropped archived events the log lost (os durability, power loss)", metadata: [
                    "events": "\(trimmed)", "revision": "\(store.durableRevision)",
                ])
            }
            self.logger.info("recovered", metadata: [
                "records": "\(replayed)", "revision": "\(store.durableRevision)",
                "seconds": "\(ContinuousClock.now - started)", "data_dir": "\(config.dataDirectory)",
            ])
        }

        let served = [
            KVService.serviceName, EventStreamService.serviceName, SchemaRegistryService.serviceName,
            HealthService.serviceName,
            ReflectionService.serviceName, ReflectionService.v1alphaServiceName,
        ]
        let health = HealthService(services: served.filter { $0 != HealthService.serviceName })
        let router = RPCRouter()
        // One validator for KV and events: one cache of compiled schemas and one set of counts.
        let schemaValidator = SchemaWriteValidator(store: store, logger: self.logger)
        self.metrics.addRenderer { Self.renderValidationCounts(schemaValidator.counts) }
        let kv = KVService(store: store, nodeID: config.nodeID, logger: self.logger, schemaValidator: schemaValidator)
        kv.register(with: router)
        let events = EventStreamService(
            store: store,
            nodeID: config.nodeID,
            logger: self.logger,
            liveDeliveryInterval: config.liveDeliveryInterval,
            schemaValidator: schemaValidator
        )
        events.register(with: router)
        let schemaRegistry = SchemaRegistryEngine(store: store)
        SchemaRegistryService(engine: schemaRegistry, nodeID: config.nodeID, logger: self.logger).register(with: router)
        health.register(with: router)
        ReflectionService(services: served).register(with: router)
        // Every served method must be describable by reflection: a proto/ change without `make proto` fails here.
        for path in router.paths {
            let symbol = path.split(separator: "/").joined(separator: ".")
            precondition(
                DescriptorIndex.embedded.file(containingSymbol: symbol) != nil,
                "\(path) is served but not in Generated/descriptor_set.c: run `make proto`"
            )
        }

        self.declareMetrics(store: store, wal: wal, archive: archive)
        var serverConfig = config.server
        serverConfig.host = config.listenHost
        serverConfig.port = config.listenPort
        if config.durability == .os, let wal {
            // One write(2) per read burst, on the loop that answers it: no hand-off to the log's thread (ADR 0005).
            let previous = serverConfig.afterReadBurst
            serverConfig.afterReadBurst = {
                previous?()
                wal.flushPending()
            }
        }
        serverConfig.onCallFailed = { [logger = self.logger] context, status, duration in
            Self.logFailedCall(logger, context, status, duration)
        }
        if config.callMetrics {
            let callMetrics = GRPCCallMetrics(side: .server, methods: router.methodKinds)
            let previousStartHook = serverConfig.onCallStarted
            serverConfig.onCallStarted = { path in
                callMetrics.recordStarted(path: path)
                previousStartHook?(path)
            }
            let previousHook = serverConfig.onCallFinished
            serverConfig.onCallFinished = { path, code, duration in
                callMetrics.record(path: path, code: code, duration: duration.nanoseconds)
                previousHook?(path, code, duration)
            }
            self.metrics.addRenderer { callMetrics.render() }
        }
        let (spanProcessor, spanExporter) = self.startTracing(&serverConfig)
        // Before serving: with --upstream-registry-forward, no registration may slip past the forwarder.
        let schemaMirror = Self.startSchemaMirror(
            configuration: config, registry: schemaRegistry, group: self.group, logger: self.logger,
            metrics: self.metrics, status: self.status, addDestination: { self.addDestination($0) }
        )
        let server = RPCServer(configuration: serverConfig, router: router, group: self.group, logger: self.logger)
        let grpcAddress = try await server.start()
        self.addStatusSections(server: server, store: store, grpcAddress: grpcAddress, startedAt: Date())

        var adminAddress: SocketAddress?
        var admin: AdminServer?
        if let adminHost = config.adminHost {
            let routes = AdminServer.Routes(
                isReady: { [state = self.state] in state.withLockedValue { $0.ready } },
                metrics: { [metrics] in metrics.render() },
                status: { [status] in status.render() },
                compact: { Self.describe(try store.scavenge()) },
                schemaREST: SchemaRESTFacade(engine: schemaRegistry)
            )
            let server = AdminServer(routes: routes, group: self.group, logger: self.logger)
            adminAddress = try await server.start(host: adminHost, port: config.adminPort)
            admin = server
        }

        let sweeper = self.group.next().scheduleRepeatedTask(
            initialDelay: config.ttlSweepInterval,
            delay: config.ttlSweepInterval
        ) { _ in
            store.expireDue(nowMilliseconds: SystemClock().nowMilliseconds())
        }
        let scavenger = self.group.next().scheduleRepeatedTask(
            initialDelay: config.scavengeInterval,
            delay: config.scavengeInterval
        ) { _ in
            store.schedulePeriodicScavenge()
        }

        self.state.withLockedValue {
            $0.store = store
            $0.wal = wal
            $0.server = server
            $0.admin = admin
            $0.health = health
            $0.kv = kv
            $0.events = events
            $0.schemaRegistry = schemaRegistry
            $0.sweeper = sweeper
            $0.scavenger = scavenger
            $0.archive = archive
            $0.spanProcessor = spanProcessor
            $0.spanExporter = spanExporter
            $0.schemaMirror = schemaMirror
            $0.ready = true
        }
        return Addresses(grpc: grpcAddress, admin: adminAddress)
    }

    /// One log line per failed call, naming the request (`x-request-id`) and trace (`traceparent`'s trace id) so a
    /// client's report can be found at 3 a.m.: warning for the server's faults (UNKNOWN, INTERNAL, DATA_LOSS,
    /// UNAVAILABLE), debug for the caller's (invalid arguments, not found, aborted, cancelled, ...).
    private static let serverFaults: Set<Status.Code> = [.unknown, .internalError, .dataLoss, .unavailable]

    static func logFailedCall(_ logger: Logger, _ context: ServerContext, _ status: Status, _ duration: TimeAmount) {
        let level: Logger.Level = Self.serverFaults.contains(status.code) ? .warning : .debug
        guard logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = [
            "path": "\(context.path)", "code": "\(status.code)", "message": "\(status.message)",
            "duration_ms": "\(Double(duration.nanoseconds) / 1e6)",
        ]
        if let requestID = context.metadata.first("x-request-id") {
            metadata["request_id"] = "\(requestID)"
        }
        // W3C traceparent: version-traceid-parentid-flags; the trace id is the second field.
        if let traceparent = context.metadata.first("traceparent"), traceparent.utf8.count >= 55 {
            let fields = traceparent.split(separator: "-")
            if fields.count >= 4, fields[1].utf8.count == 32 {
                metadata["trace_id"] = "\(fields[1])"
            }
        } else if let b3 = context.metadata.first("b3") ?? context.metadata.first("x-b3-traceid") {
            metadata["trace_id"] = "\(b3.split(separator: "-").first ?? "")"
        }
        if let peer = context.remoteAddress {
            metadata["peer"] = "\(peer)"
        }
        logger.log(level: level, "call failed", metadata: metadata)
    }

    /// Registers an outbound destination's breaker metrics and its `/status` entry.
    private func addDestination(_ destination: OutboundDestination) {
        self.metrics.addRenderer { destination.samples() }
        self.destinations.withLockedValue { $0.append(destination) }
        self.status.addSection("destinations") { [destinations = self.destinations] in
            var section: [String: any Sendable] = [:]
            for destination in destinations.withLockedValue({ $0 }) {
                section[destination.name] = destination.status
            }
            return section
        }
    }

    private func addStatusSections(server: RPCServer, store: KVStore, grpcAddress: SocketAddress, startedAt: Date) {
        let config = self.configuration
        self.status.addSection("node") { [state = self.state] in
            [
                "node_id": config.nodeID,
                "ready": state.withLockedValue { $0.ready },
                "durability": "\(config.durability)",
                "data_dir": config.dataDirectory,
                "uptime_seconds": Date().timeIntervalSince(startedAt),
                "revision": store.durableRevision,
            ]
        }
        if server.loadShedding != nil {
            self.status.addSection("load_shedding") {
                guard let shedding = server.loadShedding else { return [:] }
                return [
                    "running": shedding.running, "waiting": shedding.waiting, "queued_total": shedding.queuedTotal,
                    "rejected_total": shedding.rejectedTotal, "timed_out_total": shedding.timedOutTotal,
                ]
            }
            self.metrics.addRenderer {
                guard let shedding = server.loadShedding else { return "" }
                return """
                    # HELP microstatedb_load_shed_calls_total Unary calls refused with RESOURCE_EXHAUSTED and a pushback.
                    # TYPE microstatedb_load_shed_calls_total counter
                    microstatedb_load_shed_calls_total{reason="queue_full"} \(shedding.rejectedTotal)
                    microstatedb_load_shed_calls_total{reason="queue_timeout"} \(shedding.timedOutTotal)
                    # HELP microstatedb_load_queued_calls_total Unary calls that waited for a slot.
                    # TYPE microstatedb_load_queued_calls_total counter
                    microstatedb_load_queued_calls_total \(shedding.queuedTotal)
                    # HELP microstatedb_load_running_calls Unary calls running now (load shedding's in-flight count).
                    # TYPE microstatedb_load_running_calls gauge
                    microstatedb_load_running_calls \(shedding.running)
                    # HELP microstatedb_load_waiting_calls Unary calls waiting for a slot now.
                    # TYPE microstatedb_load_waiting_calls gauge
                    microstatedb_load_waiting_calls \(shedding.waiting)

                    """
            }
        }
        self.status.addSection("grpc") {
            let metrics = server.metrics
            return [
                "address": "\(grpcAddress)",
                "connections_open": metrics.connectionsOpen,
                "connections_rejected": metrics.connectionsRejected,
                "calls_active": metrics.streamsActive,
                "calls_started": metrics.callsStarted,
                "calls_failed": metrics.callsFailed,
            ]
        }
    }

    /// Graceful stop: not ready, health NOT_SERVING, watches ended, GOAWAY and in-flight calls finish (up to
    /// the grace period), then the log is closed after its queued appends and the loops stop.
    public func shutdown() async {
        let state = self.state.withLockedValue { state -> State in
            state.ready = false
            return state
        }
        state.health?.setAll(.notServing)
        if self.configuration.drainDelay > .zero {
            // Keep serving while endpoints are removed: a GOAWAY now would fail the calls that balancers still
            // route here (gRFC A9's recommended pod shutdown: NOT_SERVING, wait, double GOAWAY, drain).
            self.logger.info("draining: health NOT_SERVING, still serving for the drain delay", metadata: [
                "drain_delay_seconds": "\(Double(self.configuration.drainDelay.nanoseconds) / 1e9)",
            ])
            try? await Task.sleep(nanoseconds: UInt64(self.configuration.drainDelay.nanoseconds))
        }
        state.sweeper?.cancel()
        state.scavenger?.cancel()
        await state.schemaMirror?.stop()
        // Streaming calls never end by themselves: end them now so the grace period is spent only on
        // unary calls in flight. Health watchers have just been sent NOT_SERVING.
        state.health?.finishWatchers()
        state.kv?.finishWatches(
            Status(code: .unavailable, message: "node is shutting down; resume the watch from the last revision seen + 1")
        )
        state.events?.finishStreams(
            Status(code: .unavailable, message: "node is shutting down; resume from the last revision seen + 1")
        )
        await state.server?.shutdown()
        // Export the spans of the calls that just finished; bounded, a dead collector must not hold shutdown.
        if let processor = state.spanProcessor {
            try? await processor.shutdown(deadline: .now() + Self.spanFlushTimeout).get()
        }
        await state.spanExporter?.close()
        state.wal?.close()
        await state.admin?.stop()
        try? await self.group.shutdownGracefully()
    }

    /// Longest a shutdown waits for the last span exports.
    static let spanFlushTimeout: TimeAmount = .seconds(5)

    /// With an OTLP endpoint configured: the exporter, the batch processor and the tracing interceptor (added to
    /// `serverConfig`). Without one: nothing, so calls pay nothing. The span counters are on `/metrics` either way.
    private func startTracing(
        _ serverConfig: inout RPCServerConfiguration
    ) -> (BatchSpanProcessor?, OTLPTraceExporter?) {
        let tracing = self.configuration.tracing
        guard let endpoint = tracing.endpoint else {
            self.metrics.addCollector { Self.traceSamples(nil) }
            return (nil, nil)
        }
        // The export goes through the `otlp` destination's resilience policy (breaker, retries, bulkhead) and is
        // counted in the grpc_client_* metrics.
        let clientMetrics = GRPCCallMetrics(side: .client, methods: [(OTLPTraceExporter.exportPath, .unary)])
        self.metrics.addRenderer { clientMetrics.render() }
        var clientConfig = RPCClientConfiguration(host: endpoint.host, port: endpoint.port)
        clientConfig.onCallStarted = { path in clientMetrics.recordStarted(path: path) }
        clientConfig.onCallFinished = { path, code, duration in
            clientMetrics.record(path: path, code: code, duration: duration.nanoseconds)
        }
        let client = RPCClient(configuration: clientConfig, group: self.group)
        var policy = OutboundPolicy(self.configuration.configFile.destinations["otlp"])
        if self.configuration.configFile.destinations["otlp"]?.timeoutMilliseconds == nil {
            policy.timeout = tracing.batch.exportTimeout
        }
        if self.configuration.configFile.destinations["otlp"]?.retry.retryableCodes == nil, var retry = policy.retry {
            // OTLP/gRPC's retryable codes (OTLP specification, "Failures").
            retry.retryableStatusCodes = [1, 4, 10, 11, 14, 15]
            policy.retry = retry
        }
        let destination = OutboundDestination(name: "otlp", policy: policy, client: client, logger: self.logger)
        self.addDestination(destination)
        let exporter = OTLPTraceExporter(
            resource: [
                SpanAttribute("service.name", .string(tracing.serviceName)),
                SpanAttribute("service.instance.id", .string(String(self.configuration.nodeID))),
                SpanAttribute("telemetry.sdk.name", .string("microstatedb")),
                SpanAttribute("telemetry.sdk.language", .string("swift")),
            ],
            timeout: policy.timeout,
            transport: { path, request, _ in
                try await destination.unary(path: path, request: request, idempotent: true)
            },
            close: { await client.close() }
        )
        let processor = BatchSpanProcessor(
            configuration: tracing.batch, exporter: exporter, eventLoop: self.group.next(), logger: self.logger
        )
        let tracer = Tracer(sampler: tracing.sampler, processor: processor, logger: self.logger)
        serverConfig.interceptors.append(TracingInterceptor(tracer: tracer))
        self.metrics.addCollector { Self.traceSamples(processor.counters) }
        self.logger.info("tracing on", metadata: [
            "otlp_endpoint": "\(endpoint)", "sampler": "\(tracing.sampler)", "service_name": "\(tracing.serviceName)",
        ])
        return (processor, exporter)
    }

    static func traceSamples(_ counters: BatchSpanProcessor.Counters?) -> [MetricsRegistry.Sample] {
        [
            .init(name: "microstatedb_trace_spans_exported_total", help: "Spans the OTLP collector accepted.",
                  type: "counter", value: Double(counters?.exported ?? 0)),
            .init(name: "microstatedb_trace_spans_dropped_total",
                  help: "Spans lost: export queue full, failed or timed-out exports, spans the collector rejected.",
                  type: "counter", value: Double(counters?.dropped ?? 0)),
            .init(name: "microstatedb_trace_export_failures_total", help: "OTLP exports that failed or timed out.",
                  type: "counter", value: Double(counters?.exportFailures ?? 0)),
        ]
    }

    /// Erases the events hidden by retention and deletes from disk now (ADR 0004 §7; `KVStore.scavenge`), waiting
    /// for it; `POST /admin/compact` on the admin port does the same.
    @discardableResult
    public func scavenge() throws -> StoreScavengeResult {
        guard let store = self.store else {
            throw StoreError(code: .unavailable, message: "the node is not started")
        }
        return try store.scavenge()
    }

    static func describe(_ result: StoreScavengeResult) -> String {
        "scavenged: \(result.erasedFromMemory) events erased from memory, \(result.erasedFromArchive) from archive "
            + "chunks (\(result.chunksRewritten) chunks rewritten, \(result.chunksRemoved) removed), log compacted: "
            + "\(result.compactedLog)\n"
    }

    /// `microstatedb_schema_validations_total{result}`: writes checked against a bound schema subject.
    static func renderValidationCounts(_ counts: SchemaWriteValidator.Counts) -> String {
        let name = "microstatedb_schema_validations_total"
        return "# HELP \(name) Payloads of Puts and Appends checked against a bound schema subject, by outcome "
            + "(invalid = refused, warned = accepted under a WARN binding).\n# TYPE \(name) counter\n"
            + "\(name){result=\"valid\"} \(counts.valid)\n\(name){result=\"invalid\"} \(counts.invalid)\n"
            + "\(name){result=\"warned\"} \(counts.warned)\n"
    }

    /// The event-stream, archive and scavenge gauges and counters of the store (ADR 0004 §7).
    static func eventSamples(_ metrics: StoreMetrics) -> [MetricsRegistry.Sample] {
        let gauges: [(String, String, Int)] = [
            ("events_streams", "Event streams known, hard-deleted tombstones included.", metrics.streams),
            ("events_in_memory", "Events held in memory (the recent window, not archived yet).", metrics.events),
            ("events_in_memory_bytes", "Bytes of the events held in memory.", metrics.eventBytesInMemory),
            ("events_archived", "Events in archive chunks.", metrics.eventsArchived),
            ("events_subscriptions", "Live event subscriptions.", metrics.subscriptions),
            ("events_groups", "Consumer groups with a checkpoint or a live member.", metrics.groups),
            ("events_id_window", "Event ids remembered for idempotent appends.", metrics.eventIDs),
            ("archive_chunks", "Archive chunk files.", metrics.archiveChunks),
            ("archive_index_runs", "Entries of the in-memory archive index (one per stream and chunk).",
             metrics.archiveIndexRuns),
        ]
        let counters: [(String, String, Int)] = [
            ("archive_failures_total", "Archive seals that failed (retried; the events stay in memory and the log).",
             metrics.archiveFailures),
            ("archive_backpressure_waits_total", "Appends that waited for the archiver to catch up.",
             metrics.archiveBackpressureWaits),
            ("scavenges_total", "Scavenges run (physical erase of hidden events).", metrics.scavenges),
            ("scavenge_failures_total", "Scavenges that failed part way (the next one finishes).",
             metrics.scavengeFailures),
            ("scavenged_events_total", "Events erased by scavenges, deletes and truncations.", metrics.scavengedEvents),
        ]
        return gauges.map { .init(name: "microstatedb_" + $0.0, help: $0.1, value: Double($0.2)) }
            + counters.map { .init(name: "microstatedb_" + $0.0, help: $0.1, type: "counter", value: Double($0.2)) }
    }

    private func declareMetrics(store: KVStore, wal: WriteAheadLog?, archive: EventArchive?) {
        let nodeID = self.configuration.nodeID
        self.metrics.addCollector {
            let storeMetrics = store.metrics
            var samples = [
                MetricsRegistry.Sample(name: "microstatedb_node_info", help: "Node identity.", value: Double(nodeID)),
                .init(name: "microstatedb_store_revision", help: "Latest durable revision.", value: Double(store.durableRevision)),
                .init(name: "microstatedb_store_compact_revision", help: "Oldest readable revision.", value: Double(store.compactRevision)),
                .init(name: "microstatedb_store_keys", help: "Live keys.", value: Double(storeMetrics.keys)),
                .init(name: "microstatedb_store_watchers", help: "Open watchers.", value: Double(storeMetrics.watchers)),
            ]
            samples += Self.eventSamples(storeMetrics)
            if let archive {
                samples.append(
                    .init(
                        name: "microstatedb_archive_disk_bytes",
                        help: "Bytes of the archive chunk files.",
                        value: Double(archive.diskBytes)
                    )
                )
            }
            if let wal {
                let log = wal.metrics
                samples += [
                    .init(name: "microstatedb_wal_appended_records_total", help: "Records appended to the log.", type: "counter", value: Double(log.appendedRecords)),
                    .init(name: "microstatedb_wal_appended_bytes_total", help: "Bytes appended to the log.", type: "counter", value: Double(log.appendedBytes)),
                    .init(name: "microstatedb_wal_fsyncs_total", help: "fdatasync calls (group commits).", type: "counter", value: Double(log.fsyncs)),
                    .init(name: "microstatedb_wal_fsync_seconds_total", help: "Time spent in fdatasync.", type: "counter", value: log.fsyncSecondsTotal),
                    .init(name: "microstatedb_wal_segments", help: "Segment files on disk.", value: Double(log.segmentCount)),
                ]
            }
            return samples
        }
    }
}

