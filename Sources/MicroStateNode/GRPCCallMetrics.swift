import Atomics
import MicroStateRPC

/// Per-method gRPC call counters and latency histograms, named and labelled as go-grpc-prometheus does, so the
/// dashboards and alerts written for it work unchanged:
///
/// - `grpc_server_started_total{grpc_type,grpc_service,grpc_method}`
/// - `grpc_server_handled_total{grpc_type,grpc_service,grpc_method,grpc_code}`
/// - `grpc_server_handling_seconds{grpc_type,grpc_service,grpc_method}` (histogram)
///
/// and the same with `grpc_client_` for the node's own outbound calls (`side: .client`).
///
/// The hot path is one dictionary lookup in an immutable table (no lock) and a few relaxed atomic increments.
/// Methods are fixed at startup; calls to any other path count under `grpc_service="unknown",
/// grpc_method="unknown"`, so a client sending random paths cannot grow the series without bound.
public final class GRPCCallMetrics: Sendable {
    /// Which side of the calls these count.
    public enum Side: String, Sendable {
        case server = "grpc_server"
        case client = "grpc_client"
    }

    /// The label used for every path that is not a known method.
    public static let unknownMethod = "unknown"

    private let side: Side
    private let labels: [String]
    private let index: [String: Int]
    private let buckets: [Double]
    private let bucketNanos: [Int64]
    private let started: [ManagedAtomic<UInt64>]
    /// `[method][code]`, codes 0...16 plus one slot for codes outside that range.
    private let counts: [ManagedAtomic<UInt64>]
    /// `[method][bucket]`, the last slot of each method being +Inf. Not cumulative; made so at render.
    private let histogram: [ManagedAtomic<UInt64>]
    private let sumNanos: [ManagedAtomic<UInt64>]

    private static let codeSlots = 18

    /// - Parameter methods: every path (`/package.Service/Method`) with its kind; others count as unknown.
    public init(
        side: Side = .server,
        methods: [(path: String, kind: RPCMethodKind)],
        buckets: [Double] = MetricsRegistry.latencyBuckets
    ) {
        self.side = side
        var labels: [String] = []
        var index: [String: Int] = [:]
        for (path, kind) in methods {
            index[path] = labels.count
            labels.append(Self.labels(path: path, kind: kind))
        }
        labels.append("grpc_method=\"unknown\",grpc_service=\"unknown\",grpc_type=\"unknown\"")
        self.labels = labels
        self.index = index
        self.buckets = buckets
        self.bucketNanos = buckets.map { Int64(($0 * 1e9).rounded()) }
        self.started = labels.map { _ in ManagedAtomic(0) }
        self.counts = (0..<(labels.count * Self.codeSlots)).map { _ in ManagedAtomic(0) }
        self.histogram = (0..<(labels.count * (buckets.count + 1))).map { _ in ManagedAtomic(0) }
        self.sumNanos = labels.map { _ in ManagedAtomic(0) }
    }

    /// `grpc_method="Put",grpc_service="microstate.v1.KV",grpc_type="unary"` for `/microstate.v1.KV/Put`.
    static func labels(path: String, kind: RPCMethodKind) -> String {
        let trimmed = path.hasPrefix("/") ? path.dropFirst() : Substring(path)
        let slash = trimmed.lastIndex(of: "/")
        let service = slash.map { String(trimmed[..<$0]) } ?? ""
        let method = slash.map { String(trimmed[trimmed.index(after: $0)...]) } ?? String(trimmed)
        return "grpc_method=\"\(MetricsRegistry.escape(method))\",grpc_service=\"\(MetricsRegistry.escape(service))\","
            + "grpc_type=\"\(kind.rawValue)\""
    }

    @inline(__always)
    private func slot(_ path: String) -> Int {
        self.index[path] ?? (self.labels.count - 1)
    }

    /// Records a call's start.
    @inline(__always)
    public func recordStarted(path: String) {
        self.started[self.slot(path)].wrappingIncrement(ordering: .relaxed)
    }

    /// Records one finished call.
    @inline(__always)
    public func record(path: String, code: Status.Code, duration: Int64) {
        let method = self.slot(path)
        let codeSlot = (0..<(Self.codeSlots - 1)).contains(code.rawValue) ? code.rawValue : Self.codeSlots - 1
        self.counts[method * Self.codeSlots + codeSlot].wrappingIncrement(ordering: .relaxed)
        var bucket = 0
        while bucket < self.bucketNanos.count, duration > self.bucketNanos[bucket] {
            bucket += 1
        }
        self.histogram[method * (self.buckets.count + 1) + bucket].wrappingIncrement(ordering: .relaxed)
        self.sumNanos[method].wrappingIncrement(by: UInt64(max(duration, 0)), ordering: .relaxed)
    }

    /// Calls counted for `path` (or unknown) with `code`; for tests and the admin page.
    public func count(path: String, code: Status.Code) -> UInt64 {
        let slot = (0..<(Self.codeSlots - 1)).contains(code.rawValue) ? code.rawValue : Self.codeSlots - 1
        return self.counts[self.slot(path) * Self.codeSlots + slot].load(ordering: .relaxed)
    }

    /// Prometheus text for the three families. Started counts are written for every known method (0 included, so
    /// rates exist from the first scrape); handled counts and histograms only once a method has finished calls.
    public func render() -> String {
        let prefix = self.side.rawValue
        let what = self.side == .server ? "received" : "made"
        var out = "# HELP \(prefix)_started_total RPCs \(what) and started, by method.\n"
        out += "# TYPE \(prefix)_started_total counter\n"
        for (method, labels) in self.labels.enumerated() {
            let value = self.started[method].load(ordering: .relaxed)
            if value > 0 || method < self.labels.count - 1 {
                out += "\(prefix)_started_total{\(labels)} \(value)\n"
            }
        }
        out += "# HELP \(prefix)_handled_total RPCs completed, by method and gRPC status code.\n"
        out += "# TYPE \(prefix)_handled_total counter\n"
        for (method, labels) in self.labels.enumerated() {
            for slot in 0..<Self.codeSlots {
                let value = self.counts[method * Self.codeSlots + slot].load(ordering: .relaxed)
                guard value > 0 else {
                    continue
                }
                let code = slot == Self.codeSlots - 1 ? "OTHER" : Status.Code(rawValue: slot).description
                out += "\(prefix)_handled_total{grpc_code=\"\(code)\",\(labels)} \(value)\n"
            }
        }
        out += "# HELP \(prefix)_handling_seconds Time from an RPC's start to its status.\n"
        out += "# TYPE \(prefix)_handling_seconds histogram\n"
        let width = self.buckets.count + 1
        for (method, labels) in self.labels.enumerated() {
            let counts = (0..<width).map { self.histogram[method * width + $0].load(ordering: .relaxed) }
            let total = counts.reduce(0, +)
            guard total > 0 else {
                continue
            }
            var cumulative: UInt64 = 0
            for (bound, count) in zip(self.buckets, counts) {
                cumulative += count
                out += "\(prefix)_handling_seconds_bucket{\(labels),le=\"\(MetricsRegistry.format(bound))\"} \(cumulative)\n"
            }
            out += "\(prefix)_handling_seconds_bucket{\(labels),le=\"+Inf\"} \(total)\n"
            let seconds = Double(self.sumNanos[method].load(ordering: .relaxed)) / 1e9
            out += "\(prefix)_handling_seconds_sum{\(labels)} \(MetricsRegistry.format(seconds))\n"
            out += "\(prefix)_handling_seconds_count{\(labels)} \(total)\n"
        }
        return out
    }
}
