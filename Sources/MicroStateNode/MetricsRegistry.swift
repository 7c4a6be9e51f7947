import NIOConcurrencyHelpers

/// A small Prometheus registry: counters and histograms keyed by label values, rendered in the text
/// exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
///
/// Gauges are not stored: they are read from their owners (store, log, server) at scrape time by the
/// `collect` closures, so a scrape always sees current values and the hot path updates nothing for them.
public final class MetricsRegistry: Sendable {
    /// Most distinct label sets per metric; past it new sets fold into one `overflow` series so a client
    /// sending random method names cannot grow memory without bound.
    public static let maxSeriesPerMetric = 1_000

    /// Latency buckets in seconds, from 50 µs (an in-memory Get) to 5 s (a stuck fsync).
    public static let latencyBuckets: [Double] = [
        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
    ]

    private struct Counter {
        var help: String
        var labelNames: [String]
        var values: [[String]: Double] = [:]
    }

    private struct Histogram {
        var help: String
        var labelNames: [String]
        var buckets: [Double]
        var series: [[String]: Series] = [:]

        struct Series {
            var counts: [UInt64]
            var sum: Double = 0
            var count: UInt64 = 0
        }
    }

    /// A gauge read at scrape time.
    public struct Sample: Sendable {
        public var name: String
        public var help: String
        public var type: String
        public var value: Double

        public init(name: String, help: String, type: String = "gauge", value: Double) {
            self.name = name
            self.help = help
            self.type = type
            self.value = value
        }
    }

    private struct State {
        var counters: [String: Counter] = [:]
        var histograms: [String: Histogram] = [:]
        var collectors: [@Sendable () -> [Sample]] = []
        var renderers: [@Sendable () -> String] = []
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// Declares a counter; adding to an undeclared one is a programmer error.
    public func declareCounter(_ name: String, help: String, labels: [String] = []) {
        self.state.withLockedValue { $0.counters[name] = Counter(help: help, labelNames: labels) }
    }

    /// Declares a histogram with the given bucket upper bounds (ascending).
    public func declareHistogram(_ name: String, help: String, labels: [String] = [], buckets: [Double]) {
        precondition(buckets == buckets.sorted(), "histogram buckets must ascend")
        self.state.withLockedValue {
            $0.histograms[name] = Histogram(help: help, labelNames: labels, buckets: buckets)
        }
    }

    /// Adds a collector called at every scrape for current values.
    public func addCollector(_ collect: @escaping @Sendable () -> [Sample]) {
        self.state.withLockedValue { $0.collectors.append(collect) }
    }

    /// Adds a component that renders its own families (already in exposition format) at every scrape.
    public func addRenderer(_ render: @escaping @Sendable () -> String) {
        self.state.withLockedValue { $0.renderers.append(render) }
    }

    public func increment(_ name: String, labels: [String] = [], by amount: Double = 1) {
        self.state.withLockedValue { state in
            guard var counter = state.counters[name] else {
                preconditionFailure("counter \(name) was not declared")
            }
            state.counters[name] = nil
            let key = Self.boundedKey(labels, existing: counter.values.count, contains: counter.values[labels] != nil)
            counter.values[key, default: 0] += amount
            state.counters[name] = counter
        }
    }

    public func observe(_ name: String, labels: [String] = [], _ value: Double) {
        self.state.withLockedValue { state in
            guard var histogram = state.histograms[name] else {
                preconditionFailure("histogram \(name) was not declared")
            }
            state.histograms[name] = nil
            let key = Self.boundedKey(labels, existing: histogram.series.count, contains: histogram.series[labels] != nil)
            var series = histogram.series[key] ?? .init(counts: Array(repeating: 0, count: histogram.buckets.count))
            if let index = histogram.buckets.firstIndex(where: { value <= $0 }) {
                series.counts[index] += 1
            }
            series.sum += value
            series.count += 1
            histogram.series[key] = series
            state.histograms[name] = histogram
        }
    }

    private static func boundedKey(_ labels: [String], existing: Int, contains: Bool) -> [String] {
        if contains || existing < Self.maxSeriesPerMetric {
            return labels
        }
        return labels.map { _ in "overflow" }
    }

    /// The whole registry in Prometheus text format.
    public func render() -> String {
        let (counters, histograms, collectors, renderers) = self.state.withLockedValue {
            ($0.counters, $0.histograms, $0.collectors, $0.renderers)
        }
        var out = renderers.map { $0() }.joined()
        for sample in collectors.flatMap({ $0() }) {
            out += "# HELP \(sample.name) \(sample.help)\n# TYPE \(sample.name) \(sample.type)\n"
            out += "\(sample.name) \(Self.format(sample.value))\n"
        }
        for (name, counter) in counters.sorted(by: { $0.key < $1.key }) {
            out += "# HELP \(name) \(counter.help)\n# TYPE \(name) counter\n"
            for (labels, value) in counter.values.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                out += "\(name)\(Self.labelText(counter.labelNames, labels)) \(Self.format(value))\n"
            }
        }
        for (name, histogram) in histograms.sorted(by: { $0.key < $1.key }) {
            out += "# HELP \(name) \(histogram.help)\n# TYPE \(name) histogram\n"
            for (labels, series) in histogram.series.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                var cumulative: UInt64 = 0
                for (bound, count) in zip(histogram.buckets, series.counts) {
                    cumulative += count
                    let text = Self.labelText(histogram.labelNames + ["le"], labels + [Self.format(bound)])
                    out += "\(name)_bucket\(text) \(cumulative)\n"
                }
                out += "\(name)_bucket\(Self.labelText(histogram.labelNames + ["le"], labels + ["+Inf"])) \(series.count)\n"
                out += "\(name)_sum\(Self.labelText(histogram.labelNames, labels)) \(Self.format(series.sum))\n"
                out += "\(name)_count\(Self.labelText(histogram.labelNames, labels)) \(series.count)\n"
            }
        }
        return out
    }

    private static func labelText(_ names: [String], _ values: [String]) -> String {
        guard !names.isEmpty else {
            return ""
        }
        let pairs = zip(names, values).map { name, value in "\(name)=\"\(Self.escape(value))\"" }
        return "{" + pairs.joined(separator: ",") + "}"
    }

    /// Label values escape backslash, double quote and newline (exposition format rules).
    static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    public static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 {
            return String(Int64(value))
        }
        return String(value)
    }
}
