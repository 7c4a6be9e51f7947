import MicroStateLog
import MicroStateResilience
import MicroStateRPC
import MicroStateServices
import MicroStateStore
import MicroStateTracing
import NIOCore

/// Everything `microstatedb serve` can be told, with the defaults DESIGN.md names.
///
/// The CLI fills it from flags; tests build it directly (port 0, a temp data dir).
public struct NodeConfiguration: Sendable {
    /// gRPC listen address; port 0 lets the OS pick (the chosen port is logged and returned by `start`).
    public var listenHost = "127.0.0.1"
    public var listenPort = 50051
    /// HTTP/1.1 admin address (`/healthz`, `/readyz`, `/metrics`); nil disables it.
    public var adminHost: String? = "127.0.0.1"
    public var adminPort = 9464
    /// Where the log segments and snapshots live.
    public var dataDirectory = "./data"
    /// fsync (default): acknowledged after fdatasync. os: after write(2). memory: no log at all.
    public var durability: Durability = .fsync
    /// Identifies this node in every ResponseHeader.
    public var nodeID: UInt64 = 1
    /// Write a snapshot and compact the log after this many records since the last snapshot.
    public var compactAfterRecords = 100_000
    /// The gRPC server's limits and timeouts (message size, streams, idle and handshake timeouts).
    public var server: RPCServerConfiguration = {
        var server = RPCServerConfiguration()
        server.loadShedding = NodeConfiguration.defaultLoadShedding
        return server
    }()

    /// Load shedding defaults: 4096 unary calls running, 1024 waiting up to 100 ms (whole node). A unary call
    /// here runs for microseconds (a durable write for about one fsync), so reaching these means the node is far
    /// behind; refusing with a pushback then keeps the admitted calls' latency instead of queueing without bound.
    public static let defaultLoadShedding: LoadShedderConfiguration = {
        var configuration = LoadShedderConfiguration()
        configuration.maxInFlight = 4096
        configuration.maxQueueLength = 1024
        configuration.maxQueueTime = 100_000_000
        return configuration
    }()
    /// The store's limits (key and value sizes, txn ops, watchers, history retention, idempotency window).
    public var limits = StoreLimits()
    /// Log segment size.
    public var segmentBytes = 64 << 20
    /// How often expired TTL keys are swept (each expiry is a logged delete).
    public var ttlSweepInterval: TimeAmount = .milliseconds(100)
    /// Event-loop threads; 0 = one per core.
    public var threads = 0
    /// Archive chunks (`<data-dir>/events/`): events per chunk, raw bytes per chunk, decoded chunks cached, zstd
    /// level. Not used with `.memory` durability.
    public var archive = ArchiveConfiguration()
    /// How often the node checks for events hidden by `max_count` / `max_age` (which hide more as time passes and
    /// streams grow) and scavenges them from disk. Deletes and retention changes scavenge on their own
    /// `scavengeDelay` after they are durable.
    public var scavengeInterval: TimeAmount = .seconds(60)
    /// How long after a stream delete or retention change is durable the node scavenges (erases the hidden events
    /// from disk); deletes in a burst share one scavenge.
    public var scavengeDelay: TimeAmount = .seconds(1)
    /// Live subscribers served by one event loop are written at most once per this interval: commits closer
    /// together than it reach a subscriber in one write (0 = a write per commit). See `EventStreamService`.
    /// Per-call gRPC metrics (`grpc_server_*`): two clock reads and a few atomic increments per call. Default true.
    public var callMetrics = true
    /// On shutdown, how long the node keeps serving after turning health NOT_SERVING and `/readyz` 503, before it
    /// sends GOAWAY: time for load balancers and Kubernetes endpoints to stop sending new calls. Default 0.
    public var drainDelay: TimeAmount = .zero
    public var liveDeliveryInterval: TimeAmount = EventStreamService.defaultLiveDeliveryInterval

    /// Span per RPC exported over OTLP/gRPC; off (and free) unless `tracing.endpoint` is set. docs/tracing.md.
    public var tracing = TracingConfiguration()
    /// The `--config` file: outbound destinations' resilience (`destinations.otlp`, ...); its load-shedding
    /// section is already applied to `server.loadShedding` by whoever built this configuration.
    public var configFile = ConfigFile()
    /// `--upstream-registry`: mirror an upstream Confluent-compatible schema registry (and optionally forward
    /// registrations to it); nil = no mirror. docs/schemas.md "Upstream registry mirror".
    public var upstreamRegistry: UpstreamRegistryConfiguration?

    public init() {}
}
