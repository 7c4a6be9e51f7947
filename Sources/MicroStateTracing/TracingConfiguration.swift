import NIOCore

/// A tracing setting that cannot be used (a bad endpoint, sampler or number).
public struct TracingConfigurationError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(message: String) {
        self.message = message
    }

    public var description: String { self.message }
}

/// Everything tracing can be told. Tracing is on exactly when `endpoint` is set.
///
/// Filled from the standard OpenTelemetry environment variables (``fromEnvironment(_:)``), then overridden by
/// flags.
public struct TracingConfiguration: Sendable, Hashable {
    /// Where spans go; nil turns tracing off (no interceptor, no per-call cost).
    public var endpoint: OTLPEndpoint?
    /// Which spans are recorded. Default `parentbased_always_on`, the OpenTelemetry default.
    public var sampler: Sampler = .parentBasedAlwaysOn
    /// `service.name` of the resource. Default `microstatedb`.
    public var serviceName = "microstatedb"
    /// The batch processor's limits (OpenTelemetry defaults).
    public var batch = BatchSpanProcessor.Configuration()

    public init() {}

    /// Whether spans are exported.
    public var isEnabled: Bool { self.endpoint != nil }

    /// The environment variables read, in the order documented in docs/tracing.md.
    public static let environmentVariables = [
        "OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_SERVICE_NAME", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "OTEL_BSP_SCHEDULE_DELAY",
        "OTEL_BSP_EXPORT_TIMEOUT", "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
    ]

    /// Reads the OpenTelemetry SDK environment variables:
    /// - `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT`: the collector (`http://host:port`).
    /// - `OTEL_TRACES_EXPORTER=none` or `OTEL_SDK_DISABLED=true`: tracing off whatever the endpoint.
    /// - `OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`.
    /// - `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_BSP_EXPORT_TIMEOUT` (milliseconds), `OTEL_BSP_MAX_QUEUE_SIZE`,
    ///   `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`.
    ///
    /// - Throws: ``TracingConfigurationError`` for a value that is set but unusable: we refuse to start rather than
    ///   silently trace differently from what the operator asked.
    public static func fromEnvironment(
        _ environment: [String: String]
    ) throws(TracingConfigurationError) -> TracingConfiguration {
        var configuration = TracingConfiguration()
        func value(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingCharacters(in: " \t"), !value.isEmpty else { return nil }
            return String(value)
        }
        func milliseconds(_ name: String) throws(TracingConfigurationError) -> TimeAmount? {
            guard let text = value(name) else { return nil }
            guard let ms = Int(text), ms > 0 else {
                throw TracingConfigurationError(message: "\(name)=\(text): expected a positive number of milliseconds")
            }
            return .milliseconds(Int64(ms))
        }
        func count(_ name: String) throws(TracingConfigurationError) -> Int? {
            guard let text = value(name) else { return nil }
            guard let count = Int(text), count > 0 else {
                throw TracingConfigurationError(message: "\(name)=\(text): expected a positive integer")
            }
            return count
        }
        if let endpoint = value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") ?? value("OTEL_EXPORTER_OTLP_ENDPOINT") {
            configuration.endpoint = try OTLPEndpoint.parse(endpoint)
        }
        if value("OTEL_SDK_DISABLED")?.lowercased() == "true" || value("OTEL_TRACES_EXPORTER")?.lowercased() == "none" {
            configuration.endpoint = nil
        }
        if let name = value("OTEL_SERVICE_NAME") {
            configuration.serviceName = name
        }
        if let sampler = value("OTEL_TRACES_SAMPLER") {
            do {
                configuration.sampler = try Sampler.parse(name: sampler, argument: value("OTEL_TRACES_SAMPLER_ARG"))
            } catch {
                throw TracingConfigurationError(message: "OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG: \(error)")
            }
        }
        if let delay = try milliseconds("OTEL_BSP_SCHEDULE_DELAY") {
            configuration.batch.scheduleDelay = delay
        }
        if let timeout = try milliseconds("OTEL_BSP_EXPORT_TIMEOUT") {
            configuration.batch.exportTimeout = timeout
        }
        if let size = try count("OTEL_BSP_MAX_QUEUE_SIZE") {
            configuration.batch.maxQueueSize = size
        }
        if let size = try count("OTEL_BSP_MAX_EXPORT_BATCH_SIZE") {
            configuration.batch.maxExportBatchSize = size
        }
        return configuration
    }
}
