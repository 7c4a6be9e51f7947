import ArgumentParser
import Foundation
import Logging
import MicroStateLog
import MicroStateNode
import MicroStateTracing
import NIOCore

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a node: recover from --data-dir, then serve gRPC on --listen and HTTP on --admin.",
        discussion: """
            The node logs one line naming its addresses once it serves. SIGTERM or SIGINT stop it gracefully:
            health turns NOT_SERVING, GOAWAY is sent, calls in flight finish (up to --shutdown-grace-seconds),
            queued log writes complete, and it exits 0. A failed write or fsync of the log stops it with exit
            code 70: it never keeps serving writes it cannot make durable.
            """
    )

    @Option(help: "gRPC listen address host:port (port 0 = any free port).")
    var listen = "127.0.0.1:50051"

    @Option(help: "Admin HTTP/1.1 address host:port for /healthz, /readyz, /metrics, /status and the Confluent-compatible schema registry REST API (docs/schemas.md); 'off' disables it.")
    var admin = "127.0.0.1:9464"

    @Option(help: "Directory for log segments and snapshots (created if missing).")
    var dataDir = "./data"

    @Option(help: "fsync: ack after fdatasync (survives power loss). os: ack after write(2) (survives a process crash). memory: no log, state is lost on exit.")
    var durability: Durability = .fsync

    @Option(help: "Node identifier reported in every response header.")
    var nodeId: UInt64 = 1

    @Option(help: "Largest gRPC message accepted or sent, in bytes; larger ones fail with RESOURCE_EXHAUSTED.")
    var maxMessageBytes = 4 * 1024 * 1024

    @Option(help: "Largest key in bytes (INVALID_ARGUMENT beyond it).")
    var maxKeyBytes = 4096

    @Option(help: "Largest value in bytes (INVALID_ARGUMENT beyond it); keep it below --max-message-bytes.")
    var maxValueBytes = 3 * 1024 * 1024

    @Option(help: "Most operations in one Txn (compares + success + failure ops).")
    var maxTxnOps = 128

    @Option(help: "Largest event in bytes (data + metadata + type + id + content type; INVALID_ARGUMENT beyond it).")
    var maxEventBytes = 1024 * 1024

    @Option(help: "Most live event subscriptions on the node (RESOURCE_EXHAUSTED beyond it).")
    var maxSubscriptions = 10_000

    @Option(help: "Event ids remembered for idempotent appends (the window also ends after 24 h); the oldest go first.")
    var maxEventIds = 1_000_000

    @Option(help: "Newest events kept in memory; older ones are read back from the compressed archive on demand.")
    var eventMemoryWindow = 65_536

    @Option(help: "Bytes of newest events kept in memory (the window ends at whichever bound comes first).")
    var eventMemoryWindowBytes = 64 * 1024 * 1024

    @Option(help: "Seconds between scavenges that erase events retention (max_count, max_age_ms) hid since the last one.")
    var scavengeIntervalSeconds = 60

    @Option(help: ArgumentHelp(
        "Microseconds between writes to one live subscriber (0 = write after every commit).",
        discussion: "Commits closer together than this reach a subscriber in one write: fewer, larger writes when many subscribers follow busy streams, at most this much added delay. An idle node writes at once."
    ))
    var liveDeliveryIntervalUs = Int(NodeConfiguration().liveDeliveryInterval.nanoseconds / 1000)

    @Option(help: "Concurrent HTTP/2 streams allowed per connection (SETTINGS_MAX_CONCURRENT_STREAMS).")
    var maxConcurrentStreams = 1024

    @Option(help: "Revisions of history kept for reads at past revisions and Watch replay; older ones are compacted.")
    var historyRevisions = 100_000

    @Option(help: "Snapshot the store and compact the log after this many records since the last snapshot.")
    var compactAfter = 100_000

    @Option(help: "Log segment file size in bytes before rolling to a new segment.")
    var segmentBytes = 64 << 20

    @Option(help: "Close a connection with no open streams after this many seconds.")
    var idleTimeoutSeconds = 300

    @Option(help: "Close a connection that has not completed the HTTP/2 preface after this many seconds.")
    var handshakeTimeoutSeconds = 10

    @Option(help: "On SIGTERM, wait this long for calls in flight before cancelling them.")
    var shutdownGraceSeconds = 10

    @Option(help: ArgumentHelp(
        "On SIGTERM, keep serving this many seconds after health turns NOT_SERVING, before GOAWAY.",
        discussion: "Gives load balancers and Kubernetes endpoints time to stop routing here (set it to about the readiness probe period × failure threshold). terminationGracePeriodSeconds must exceed this plus --shutdown-grace-seconds."
    ))
    var drainDelaySeconds = 0

    @Option(help: ArgumentHelp(
        "Close connections gracefully after this many seconds, ±10% jitter (0 = never).",
        discussion: "gRFC A9 MAX_CONNECTION_AGE: clients reconnect, so load spreads over replicas added behind an L4 load balancer such as a Kubernetes Service."
    ))
    var maxConnectionAgeSeconds = 0

    @Option(help: "Seconds calls still open at --max-connection-age-seconds may continue before they are reset.")
    var maxConnectionAgeGraceSeconds = 30

    @Option(help: ArgumentHelp(
        "Least seconds between client keepalive PINGs (gRFC A8 PERMIT_KEEPALIVE_TIME).",
        discussion: "A PING sooner than this after the previous one is a strike (2 h when no call is open, unless --keepalive-permit-without-calls); the third strike gets GOAWAY ENHANCE_YOUR_CALM \"too_many_pings\". Sending data clears the strikes."
    ))
    var keepaliveMinPingIntervalSeconds = 300

    @Flag(help: "Allow client keepalive PINGs on connections with no open call (gRFC A8 PERMIT_KEEPALIVE_WITHOUT_CALLS).")
    var keepalivePermitWithoutCalls = false

    @Flag(
        inversion: .prefixedEnableDisable,
        help: "Per-call gRPC metrics (grpc_server_started_total, _handled_total, _handling_seconds) at /metrics."
    )
    var callMetrics = true

    @Option(help: ArgumentHelp(
        "YAML configuration file: outbound destinations' resilience and load shedding (flags override it).",
        discussion: "Keys: server.load_shedding.{max_in_flight_calls,max_queued_calls,max_queue_wait_ms}; destinations.<name>.{timeout_ms,max_concurrent_calls,circuit_breaker,retry,retry_throttling} with <name> otlp or schema_registry. An unknown key or bad value stops startup naming the key. See docs/resilience.md."
    ))
    var config: String?

    @Option(help: ArgumentHelp(
        "Unary calls running at once before calls queue (load shedding; 0 = off). Default 4096.",
        discussion: "Beyond --max-queued-calls waiting (default 1024) or after --max-queue-wait-ms (default 100) a call is refused with RESOURCE_EXHAUSTED and grpc-retry-pushback-ms. Streaming calls are not counted."
    ))
    var maxInFlightCalls: Int?

    @Option(help: "Unary calls waiting for a slot before further ones are refused. Default 1024.")
    var maxQueuedCalls: Int?

    @Option(help: "Longest a unary call waits for a slot before it is refused, in ms. Default 100.")
    var maxQueueWaitMs: Int?

    @Option(help: "Log line format: text (human) or json (one JSON object per line, for log collectors).")
    var logFormat: LogFormat = .text

    @Option(help: "Event-loop threads (0 = one per core).")
    var threads = 0

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(help: ArgumentHelp(
        "OTLP/gRPC collector for trace export, http://host:port (h2c; https is refused). Tracing is off without one.",
        discussion: "Overrides OTEL_EXPORTER_OTLP_TRACES_ENDPOINT and OTEL_EXPORTER_OTLP_ENDPOINT. "
            + "'off' turns tracing off whatever the environment says. See docs/tracing.md."
    ))
    var otlpEndpoint: String?

    @Option(help: ArgumentHelp(
        "Trace sampler: \(Sampler.names.joined(separator: ", ")).",
        discussion: "Overrides OTEL_TRACES_SAMPLER; default parentbased_always_on."
    ))
    var traceSampler: String?

    @Option(help: ArgumentHelp(
        "Ratio in [0, 1] for the traceidratio samplers.",
        discussion: "Overrides OTEL_TRACES_SAMPLER_ARG; default 1.0."
    ))
    var traceSamplerArg: String?

    @Option(help: ArgumentHelp(
        "service.name reported with exported spans.",
        discussion: "Overrides OTEL_SERVICE_NAME; default microstatedb. service.instance.id is the --node-id."
    ))
    var serviceName: String?

    @Option(help: ArgumentHelp(
        "Milliseconds between span exports (batch schedule delay).",
        discussion: "Overrides OTEL_BSP_SCHEDULE_DELAY; default 5000."
    ))
    var traceBatchDelayMs: Int?

    @Option(help: ArgumentHelp(
        "Upstream Confluent-compatible schema registry to mirror, http://host:port[/base] (https is refused).",
        discussion: "Subjects, versions and ids are imported on start and every --upstream-registry-interval-seconds, "
            + "each mirrored subject in IMPORT mode so ids are kept; the node serves its local copy while the upstream "
            + "is down. Calls go through the schema_registry destination (--config destinations.schema_registry). "
            + "See docs/schemas.md."
    ))
    var upstreamRegistry: String?

    @Option(help: "Seconds between two syncs from --upstream-registry (failed syncs retry sooner, 1 s doubling).")
    var upstreamRegistryIntervalSeconds = 30

    @Flag(help: ArgumentHelp(
        "Send registrations made on this node to --upstream-registry first and keep the upstream's id and version.",
        discussion: "While the upstream is down such registrations fail with UNAVAILABLE (gRPC) / 50003 (REST); reads "
            + "and compatibility checks never wait on it."
    ))
    var upstreamRegistryForward = false

    func validate() throws {
        let positive: [(String, Int)] = [
            ("--max-message-bytes", self.maxMessageBytes), ("--max-key-bytes", self.maxKeyBytes),
            ("--max-txn-ops", self.maxTxnOps), ("--max-event-bytes", self.maxEventBytes),
            ("--max-subscriptions", self.maxSubscriptions), ("--max-event-ids", self.maxEventIds),
            ("--max-concurrent-streams", self.maxConcurrentStreams), ("--event-memory-window", self.eventMemoryWindow),
            ("--event-memory-window-bytes", self.eventMemoryWindowBytes),
            ("--scavenge-interval-seconds", self.scavengeIntervalSeconds),
            ("--max-connection-age-grace-seconds", self.maxConnectionAgeGraceSeconds),
            ("--keepalive-min-ping-interval-seconds", self.keepaliveMinPingIntervalSeconds),
        ]
        for (flag, value) in positive where value <= 0 {
            throw ValidationError("\(flag) must be positive, got \(value)")
        }
        if self.maxKeyBytes > 65_535 {
            throw ValidationError("--max-key-bytes must be at most 65535 (keys are stored with a 16-bit length)")
        }
        if self.maxValueBytes < 0 || self.historyRevisions < 0 {
            throw ValidationError("--max-value-bytes and --history-revisions must not be negative")
        }
        if self.drainDelaySeconds < 0 || self.maxConnectionAgeSeconds < 0 {
            throw ValidationError("--drain-delay-seconds and --max-connection-age-seconds must not be negative")
        }
        if let delay = self.traceBatchDelayMs, delay <= 0 {
            throw ValidationError("--trace-batch-delay-ms must be positive, got \(delay)")
        }
        for (flag, value) in [("--max-in-flight-calls", self.maxInFlightCalls), ("--max-queued-calls", self.maxQueuedCalls),
                              ("--max-queue-wait-ms", self.maxQueueWaitMs)] {
            if let value, !(0...1_000_000).contains(value) {
                throw ValidationError("\(flag) must be between 0 and 1000000, got \(value)")
            }
        }
        if self.upstreamRegistryIntervalSeconds < 1 {
            throw ValidationError("--upstream-registry-interval-seconds must be positive, got \(self.upstreamRegistryIntervalSeconds)")
        }
        if self.upstreamRegistryForward && self.upstreamRegistry == nil {
            throw ValidationError("--upstream-registry-forward needs --upstream-registry")
        }
        if let url = self.upstreamRegistry {
            do {
                _ = try RegistryURL.parse(url)
            } catch {
                throw ValidationError("--upstream-registry: \(error.message)")
            }
        }
        if !(0...1_000_000).contains(self.liveDeliveryIntervalUs) {
            throw ValidationError("--live-delivery-interval-us must be between 0 and 1000000, got \(self.liveDeliveryIntervalUs)")
        }
    }

    func run() async throws {
        var config = NodeConfiguration()
        (config.listenHost, config.listenPort) = try parseAddress(self.listen, flag: "--listen")
        if self.admin.lowercased() == "off" {
            config.adminHost = nil
        } else {
            let (host, port) = try parseAddress(self.admin, flag: "--admin")
            config.adminHost = host
            config.adminPort = port
        }
        config.dataDirectory = self.dataDir
        config.durability = self.durability
        config.nodeID = self.nodeId
        config.server.maxReceiveMessageBytes = self.maxMessageBytes
        config.server.maxSendMessageBytes = self.maxMessageBytes
        config.server.maxConcurrentStreams = self.maxConcurrentStreams
        config.server.idleTimeout = .seconds(Int64(self.idleTimeoutSeconds))
        config.server.handshakeTimeout = .seconds(Int64(self.handshakeTimeoutSeconds))
        config.server.shutdownGracePeriod = .seconds(Int64(self.shutdownGraceSeconds))
        config.drainDelay = .seconds(Int64(self.drainDelaySeconds))
        config.callMetrics = self.callMetrics
        if let path = self.config {
            do {
                config.configFile = try ConfigFile.load(path: path)
            } catch {
                throw ValidationError("--config \(error)")
            }
        }
        let shedding = config.configFile.loadShedding
        let inFlight = self.maxInFlightCalls ?? shedding.maxInFlightCalls ?? NodeConfiguration.defaultLoadShedding.maxInFlight
        if inFlight == 0 {
            config.server.loadShedding = nil
        } else {
            var load = NodeConfiguration.defaultLoadShedding
            load.maxInFlight = inFlight
            load.maxQueueLength = self.maxQueuedCalls ?? shedding.maxQueuedCalls ?? load.maxQueueLength
            let wait = self.maxQueueWaitMs ?? shedding.maxQueueWaitMilliseconds
            load.maxQueueTime = wait.map { UInt64($0) * 1_000_000 } ?? load.maxQueueTime
            config.server.loadShedding = load
        }
        config.server.maxConnectionAge = self.maxConnectionAgeSeconds > 0 ? .seconds(Int64(self.maxConnectionAgeSeconds)) : nil
        config.server.maxConnectionAgeGrace = .seconds(Int64(self.maxConnectionAgeGraceSeconds))
        config.server.minPingInterval = .seconds(Int64(self.keepaliveMinPingIntervalSeconds))
        config.server.permitPingsWithoutCalls = self.keepalivePermitWithoutCalls
        config.limits.maxKeyBytes = self.maxKeyBytes
        config.limits.maxValueBytes = self.maxValueBytes
        config.limits.maxTxnOps = self.maxTxnOps
        config.limits.maxEventBytes = self.maxEventBytes
        config.limits.maxSubscriptions = self.maxSubscriptions
        config.limits.maxEventIDs = self.maxEventIds
        config.limits.memoryWindowEvents = self.eventMemoryWindow
        config.limits.memoryWindowBytes = self.eventMemoryWindowBytes
        config.scavengeInterval = .seconds(Int64(self.scavengeIntervalSeconds))
        config.liveDeliveryInterval = .microseconds(Int64(self.liveDeliveryIntervalUs))
        config.limits.historyRetentionRevisions = Int64(self.historyRevisions)
        config.compactAfterRecords = self.compactAfter
        config.segmentBytes = self.segmentBytes
        config.threads = self.threads
        config.tracing = try self.tracingConfiguration(environment: ProcessInfo.processInfo.environment)
        if let url = self.upstreamRegistry {
            var upstream = UpstreamRegistryConfiguration(url: try RegistryURL.parse(url))
            upstream.interval = .seconds(Int64(self.upstreamRegistryIntervalSeconds))
            upstream.forward = self.upstreamRegistryForward
            config.upstreamRegistry = upstream
        }

        let level = self.logLevel
        let format = self.logFormat
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
        let logger = Logger(label: "microstatedb")
        // Before anything that takes time: a SIGTERM during startup or right after the "serving" line must count.
        let termination = TerminationSignals()

        let node = Node(configuration: config, logger: logger) { _ in
            // The log already said why; exit without a graceful shutdown, which would need the log.
            Foundation.exit(70)
        }
        let addresses: Node.Addresses
        do {
            addresses = try await node.start()
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        let adminText = addresses.admin.map { "admin on \(describe($0))" } ?? "admin off"
        // One stable line on stdout that scripts and tests parse.
        // write(2) directly: stdout may be a pipe, where print() would sit in a buffer.
        FileHandle.standardOutput.write(Data((
            "microstatedb serving grpc on \(describe(addresses.grpc)), \(adminText), "
                + "data in \(config.dataDirectory) (durability \(config.durability.rawValue))\n"
        ).utf8))

        await termination.wait()
        logger.info("shutting down: draining calls")
        await node.shutdown()
        logger.info("stopped")
    }
}

extension Serve {
    /// The OpenTelemetry environment variables, then the flags over them.
    func tracingConfiguration(environment: [String: String]) throws -> TracingConfiguration {
        do {
            var tracing = try TracingConfiguration.fromEnvironment(environment)
            if let endpoint = self.otlpEndpoint {
                tracing.endpoint = endpoint.lowercased() == "off" ? nil : try OTLPEndpoint.parse(endpoint)
            }
            if let name = self.traceSampler {
                let argument = self.traceSamplerArg ?? environment["OTEL_TRACES_SAMPLER_ARG"]
                tracing.sampler = try Sampler.parse(name: name, argument: argument)
            } else if let argument = self.traceSamplerArg {
                guard case .traceIDRatio = tracing.sampler.root else {
                    throw ValidationError("--trace-sampler-arg needs a traceidratio sampler (--trace-sampler)")
                }
                tracing.sampler.root = .traceIDRatio(try Sampler.parse(name: "traceidratio", argument: argument).ratio)
            }
            if let name = self.serviceName {
                tracing.serviceName = name
            }
            if let delay = self.traceBatchDelayMs {
                tracing.batch.scheduleDelay = .milliseconds(Int64(delay))
            }
            return tracing
        } catch let error as TracingConfigurationError {
            throw ValidationError(error.message)
        } catch let error as SamplerConfigurationError {
            throw ValidationError(error.message)
        }
    }
}

extension Durability: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}

func parseAddress(_ text: String, flag: String) throws -> (String, Int) {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
        (0...65535).contains(port)
    else {
        throw ValidationError("\(flag) must be host:port with a port from 0 to 65535, got '\(text)'")
    }
    var host = String(text[..<colon])
    if host.hasPrefix("["), host.hasSuffix("]") {
        host = String(host.dropFirst().dropLast())
    }
    return (host.isEmpty ? "0.0.0.0" : host, port)
}

func describe(_ address: SocketAddress) -> String {
    let host = address.ipAddress ?? "?"
    let port = address.port ?? 0
    return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
}

/// SIGTERM and SIGINT, caught from the moment this is created: a signal that arrives before `wait()` is kept, not
/// lost. (Installing the handler only after printing the "serving" line lost a SIGTERM sent right after that line:
/// with SIG_IGN set and the dispatch source not yet resumed, the node ignored it and never stopped.)
final class TerminationSignals: @unchecked Sendable {
    private let lock = NSLock()
    private var received = false
    private var waiter: CheckedContinuation<Void, Never>?
    private var sources: [any DispatchSourceSignal] = []

    init() {
        let queue = DispatchQueue(label: "microstatedb.signals")
        for signalNumber in [SIGTERM, SIGINT] {
            // The source needs the default action off; it is created and resumed right after, on this thread,
            // before anything can send the signal on purpose (the node has not said it serves yet).
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { [weak self] in self?.fire() }
            source.resume()
            self.sources.append(source)
        }
    }

    private func fire() {
        self.lock.lock()
        guard !self.received else {
            self.lock.unlock()
            return
        }
        self.received = true
        let waiter = self.waiter
        self.waiter = nil
        self.lock.unlock()
        waiter?.resume()
    }

    /// Suspends until SIGTERM or SIGINT arrived (at once if one already did).
    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            self.lock.lock()
            if self.received {
                self.lock.unlock()
                continuation.resume()
                return
            }
            self.waiter = continuation
            self.lock.unlock()
        }
    }
}

/// `--log-format`.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}
