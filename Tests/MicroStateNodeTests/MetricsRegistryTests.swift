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
    @Test("Calls count per method and code with go-grpc-prometheus names and labels; other paths count as unknown")
    func countsAndUnknown() {
        let metrics = GRPCCallMetrics(methods: [("/pkg.S/A", .unary), ("/pkg.S/W", .serverStream)], buckets: [0.001, 0.01])
        let a = "grpc_method=\"A\",grpc_service=\"pkg.S\",grpc_type=\"unary\""
        metrics.recordStarted(path: "/pkg.S/A")
        metrics.recordStarted(path: "/pkg.S/A")
        metrics.recordStarted(path: "/pkg.S/A")
        metrics.record(path: "/pkg.S/A", code: .ok, duration: 500_000)
        metrics.record(path: "/pkg.S/A", code: .ok, duration: 5_000_000)
        metrics.record(path: "/pkg.S/A", code: .aborted, duration: 50_000_000)
        for index in 0..<100 {
            metrics.recordStarted(path: "/random/\(index)")
            metrics.record(path: "/random/\(index)", code: .unimplemented, duration: 1)
        }
        let text = metrics.render()
        #expect(text.contains("# TYPE grpc_server_started_total counter"))
        #expect(text.contains("grpc_server_started_total{\(a)} 3"))
        #expect(text.contains("grpc_server_started_total{grpc_method=\"W\",grpc_service=\"pkg.S\",grpc_type=\"server_stream\"} 0"))
        #expect(text.contains("grpc_server_handled_total{grpc_code=\"OK\",\(a)} 2"))
        #expect(text.contains("grpc_server_handled_total{grpc_code=\"ABORTED\",\(a)} 1"))
        #expect(text.contains("grpc_server_handled_total{grpc_code=\"UNIMPLEMENTED\",grpc_method=\"unknown\",grpc_service=\"unknown\",grpc_type=\"unknown\"} 100"))
        #expect(!text.contains("/random/"))
        #expect(text.contains("grpc_server_handling_seconds_bucket{\(a),le=\"0.001\"} 1"))
        #expect(text.contains("grpc_server_handling_seconds_bucket{\(a),le=\"0.01\"} 2"))
        #expect(text.contains("grpc_server_handling_seconds_bucket{\(a),le=\"+Inf\"} 3"))
        #expect(text.contains("grpc_server_handling_seconds_sum{\(a)} 0.0555"))
        #expect(text.contains("grpc_server_handling_seconds_count{\(a)} 3"))
    }

    @Test("The client side uses grpc_client_ names")
    func clientSide() {
        let metrics = GRPCCallMetrics(side: .client, methods: [("/pkg.S/A", .unary)])
        metrics.recordStarted(path: "/pkg.S/A")
        metrics.record(path: "/pkg.S/A", code: .unavailable, duration: 1000)
        let text = metrics.render()
        #expect(text.contains("grpc_client_started_total{grpc_method=\"A\",grpc_service=\"pkg.S\",grpc_type=\"unary\"} 1"))
        #expect(text.contains("grpc_client_handled_total{grpc_code=\"UNAVAILABLE\",grpc_method=\"A\""))
        #expect(!text.contains("grpc_server_"))
    }
}
