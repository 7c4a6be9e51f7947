import Atomics
import MicroStateRPC

/// Per-method call counters and latency histograms for the gRPC server, updated on every call.
///
/// The hot path is one dictionary lookup in an immutable table (no lock) and two or three relaxed atomic
/// increments. Methods are fixed at startup; calls to any other path count under `grpc_method="unknown"`,
/// so a client sending random paths cannot grow the series without bound.
public final class GRPCCallMetrics: Sendable {
    /// The label used for every path that is not a served method.
    public static let unknownMethod = "unknown"

    private let methods: [String]
    private let index: [String: Int]
    private let buckets: [Double]
    private let bucketNanos: [Int64]
    /// `[method][code]`, codes 0...16 plus one slot for codes outside that range.
    private let counts: [ManagedAtomic<UInt64>]
    /// `[method][bucket]`, the last slot of each method being +Inf. Not cumulative; made so at render.
    private let histogram: [ManagedAtomic<UInt64>]
    private let sumNanos: [ManagedAtomic<UInt64>]

    private static let codeSlots = 18

    public init(methods: [String], buckets: [Double] = MetricsRegistry.latencyBuckets) {
        self.methods = methods + [Self.unknownMethod]
        self.index = Dictionary(uniqueKeysWithValues: self.methods.enumerated().map { ($1, $0) })
        self.buckets = buckets
        self.bucketNanos = buckets.map { Int64(($0 * 1e9).rounded()) }
        self.counts = (0..<(self.methods.count * Self.codeSlots)).map { _ in ManagedAtomic(0) }
        self.histogram = (0..<(self.methods.count * (buckets.count + 1))).map { _ in ManagedAtomic(0) }
        self.sumNanos = self.methods.map { _ in ManagedAtomic(0) }
    }

    /// Records one finished call.
    @inline(__always)
    public func record(path: String, code: Status.Code, duration: Int64) {
        let method = self.index[path] ?? (self.methods.count - 1)
        let codeSlot = (0..<(Self.codeSlots - 1)).contains(code.rawValue) ? code.rawValue : Self.codeSlots - 1
        self.counts[method * Self.codeSlots + codeSlot].wrappingIncrement(ordering: .relaxed)
        var bucket = 0
        while bucket < self.bucketNanos.count, duration > self.bucketNanos[bucket] {
            bucket += 1
        }
        self.histogram[method * (self.buckets.count + 1) + bucket].wrappingIncrement(ordering: .relaxed)
        self.sumNanos[method].wrappingIncrement(by: UInt64(max(duration, 0)), ordering: .relaxed)
    }

    /// Calls counted for `path` (or `unknown`) with `code`; for tests and the admin page.
    public func count(path: String, code: Status.Code) -> UInt64 {
        let method = self.index[path] ?? (self.methods.count - 1)
        let slot = (0..<(Self.codeSlots - 1)).contains(code.rawValue) ? code.rawValue : Self.codeSlots - 1
        return self.counts[method * Self.codeSlots + slot].load(ordering: .relaxed)
    }

    /// Prometheus text for `microstatedb_grpc_server_handled_total` and `..._handling_seconds`.
    public func render() -> String {
        var out = "# HELP microstatedb_grpc_server_handled_total gRPC calls completed, by method and status code.\n"
        out += "# TYPE microstatedb_grpc_server_handled_total counter\n"
        for (method, name) in self.methods.enumerated() {
            for slot in 0..<Self.codeSlots {
                let value = self.counts[method * Self.codeSlots + slot].load(ordering: .relaxed)
                guard value > 0 else {
                    continue
                }
                let code = slot == Self.codeSlots - 1 ? "OTHER" : Status.Code(rawValue: slot).description
                out += "microstatedb_grpc_server_handled_total{grpc_method=\"\(name)\",grpc_code=\"\(code)\"} \(value)\n"
            }
        }
        out += "# HELP microstatedb_grpc_server_handling_seconds Time from a call's headers to its status.\n"
        out += "# TYPE microstatedb_grpc_server_handling_seconds histogram\n"
        let width = self.buckets.count + 1
        for (method, name) in self.methods.enumerated() {
            let counts = (0..<width).map { self.histogram[method * width + $0].load(ordering: .relaxed) }
            let total = counts.reduce(0, +)
            guard total > 0 else {
                continue
            }
            var cumulative: UInt64 = 0
            for (bound, count) in zip(self.buckets, counts) {
                cumulative += count
                out += "microstatedb_grpc_server_handling_seconds_bucket{grpc_method=\"\(name)\",le=\"\(MetricsRegistry.format(bound))\"} \(cumulative)\n"
            }
            out += "microstatedb_grpc_server_handling_seconds_bucket{grpc_method=\"\(name)\",le=\"+Inf\"} \(total)\n"
            let seconds = Double(self.sumNanos[method].load(ordering: .relaxed)) / 1e9
            out += "microstatedb_grpc_server_handling_seconds_sum{grpc_method=\"\(name)\"} \(MetricsRegistry.format(seconds))\n"
            out += "microstatedb_grpc_server_handling_seconds_count{grpc_method=\"\(name)\"} \(total)\n"
        }
        return out
    }
}
