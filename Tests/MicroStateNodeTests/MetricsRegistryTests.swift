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
