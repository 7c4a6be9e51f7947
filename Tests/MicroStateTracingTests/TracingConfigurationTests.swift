import MicroStateTracing
import NIOCore
import Testing

@Suite("Tracing configuration: OTLP endpoint and environment variables")
struct TracingConfigurationTests {
    @Test("Endpoints: http host:port, IPv6, default port 4317, trailing slash")
    func endpoints() throws {
        #expect(try OTLPEndpoint.parse("http://collector:4317") == OTLPEndpoint(host: "collector", port: 4317))
        #expect(try OTLPEndpoint.parse("http://127.0.0.1:9999/") == OTLPEndpoint(host: "127.0.0.1", port: 9999))
        #expect(try OTLPEndpoint.parse("HTTP://otel") == OTLPEndpoint(host: "otel", port: 4317))
        #expect(try OTLPEndpoint.parse("http://[::1]:4317") == OTLPEndpoint(host: "::1", port: 4317))
    }

    @Test("https is refused with a clear error, and other malformed endpoints too")
    func badEndpoints() {
        #expect {
            try OTLPEndpoint.parse("https://collector:4317")
        } throws: { error in
            "\(error)".contains("https is not supported")
        }
        for bad in ["collector:4317", "grpc://c:1", "http://", "http://c:0", "http://c:70000", "http://c:x", "http://c:1/v1/traces"] {
            #expect(throws: TracingConfigurationError.self, "\(bad)") { try OTLPEndpoint.parse(bad) }
        }
    }

    @Test("Environment: the traces endpoint wins over the generic one; the OTel defaults otherwise")
    func environment() throws {
        let none = try TracingConfiguration.fromEnvironment([:])
        #expect(!none.isEnabled)
        #expect(none.sampler == .parentBasedAlwaysOn && none.serviceName == "microstatedb")
        let configured = try TracingConfiguration.fromEnvironment([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://generic:4317",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://traces:4317",
            "OTEL_SERVICE_NAME": "db",
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "0.25",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "OTEL_BSP_EXPORT_TIMEOUT": "2000",
            "OTEL_BSP_MAX_QUEUE_SIZE": "100",
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "10",
        ])
        #expect(configured.endpoint == OTLPEndpoint(host: "traces", port: 4317))
        #expect(configured.serviceName == "db")
        #expect(configured.sampler == Sampler(root: .traceIDRatio(0.25), parentBased: true))
        #expect(configured.batch.scheduleDelay == .milliseconds(100))
        #expect(configured.batch.exportTimeout == .milliseconds(2000))
        #expect(configured.batch.maxQueueSize == 100 && configured.batch.maxExportBatchSize == 10)
        let generic = try TracingConfiguration.fromEnvironment(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://generic:4317"])
        #expect(generic.endpoint?.host == "generic")
        let disabled = try TracingConfiguration.fromEnvironment([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://generic:4317", "OTEL_TRACES_EXPORTER": "none",
        ])
        #expect(!disabled.isEnabled)
    }

    @Test("Unusable environment values stop startup rather than trace differently")
    func badEnvironment() {
        for environment in [
            ["OTEL_TRACES_SAMPLER": "nope"], ["OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"],
            ["OTEL_BSP_SCHEDULE_DELAY": "-5"], ["OTEL_BSP_MAX_QUEUE_SIZE": "lots"],
            ["OTEL_EXPORTER_OTLP_ENDPOINT": "https://secure:4317"],
        ] {
            #expect(throws: TracingConfigurationError.self, "\(environment)") {
                try TracingConfiguration.fromEnvironment(environment)
            }
        }
    }
}
