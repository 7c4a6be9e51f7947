import MicroStateNode
import Testing

@Suite("Prometheus text rendering")
struct MetricsRegistryTests {
    @Test("Counters render with escaped labels")
    func counters() {
        let registry = MetricsRegistry()
        registry.declareCounter("calls_total", help: "Calls.", labels: ["method"])
        registry.increment("calls_total", labels: ["a\"b\\c\nd"])
        registry.increment("calls_total", labels: ["a\"b\\c\nd"], by: 2)
        let text = registry.render()
        #expect(text.contains("# TYPE calls_total counter"))
        #expect(text.contains("calls_total{method=\"a\\\"b\\\\c\\nd\"} 3"))
    }

    @Test("Histogram buckets are cumulative with +Inf, sum and count")
    func histogram() {
        let registry = MetricsRegistry()
        registry.declareHistogram("latency_seconds", help: "Latency.", buckets: [0.1, 1])
        registry.observe("latency_seconds", 0.05)
        registry.observe("latency_seconds", 0.5)
        registry.observe("latency_seconds", 5)
        let text = registry.render()
        #expect(text.contains("latency_seconds_bucket{le=\"0.1\"} 1"))
        #expect(text.contains("latency_seconds_bucket{le=\"1\"} 2"))
        #expect(text.contains("latency_seconds_bucket{le=\"+Inf\"} 3"))
        #expect(text.contains("latency_seconds_sum 5.55"))
        #expect(text.contains("latency_seconds_count 3"))
    }

    @Test("Label sets beyond the series limit fold into one overflow series")
    func seriesBound() {
        let registry = MetricsRegistry()
        registry.declareCounter("c", help: "C.", labels: ["k"])
        for index in 0..<(MetricsRegistry.maxSeriesPerMetric + 50) {
            registry.increment("c", labels: ["\(index)"])
        }
        let text = registry.render()
        #expect(text.contains("c{k=\"overflow\"} 50"))
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("c{") }.count == MetricsRegistry.maxSeriesPerMetric + 1)
    }
}

@Suite("gRPC call metrics")
struct GRPCCallMetricsTests {
    @Test("Calls count per served method and code; any other path counts as unknown")
    func countsAndUnknown() {
        let metrics = GRPCCallMetrics(methods: ["/s/A"], buckets: [0.001, 0.01])
        metrics.record(path: "/s/A", code: .ok, duration: 500_000)
        metrics.record(path: "/s/A", code: .ok, duration: 5_000_000)
        metrics.record(path: "/s/A", code: .aborted, duration: 50_000_000)
        for index in 0..<100 {
            metrics.record(path: "/random/\(index)", code: .unimplemented, duration: 1)
        }
        let text = metrics.render()
        #expect(text.contains("microstatedb_grpc_server_handled_total{grpc_method=\"/s/A\",grpc_code=\"OK\"} 2"))
        #expect(text.contains("microstatedb_grpc_server_handled_total{grpc_method=\"/s/A\",grpc_code=\"ABORTED\"} 1"))
        #expect(text.contains("grpc_method=\"unknown\",grpc_code=\"UNIMPLEMENTED\"} 100"))
        #expect(!text.contains("/random/"))
        #expect(text.contains("microstatedb_grpc_server_handling_seconds_bucket{grpc_method=\"/s/A\",le=\"0.001\"} 1"))
        #expect(text.contains("microstatedb_grpc_server_handling_seconds_bucket{grpc_method=\"/s/A\",le=\"0.01\"} 2"))
        #expect(text.contains("microstatedb_grpc_server_handling_seconds_bucket{grpc_method=\"/s/A\",le=\"+Inf\"} 3"))
        #expect(text.contains("microstatedb_grpc_server_handling_seconds_sum{grpc_method=\"/s/A\"} 0.0555"))
    }
}
