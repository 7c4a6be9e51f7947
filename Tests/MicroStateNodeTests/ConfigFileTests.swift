import Testing

@testable import MicroStateNode

@Suite("The YAML configuration file")
struct ConfigFileTests {
    @Test("A complete file is read into every field")
    func complete() throws {
        let file = try ConfigFile.parse("""
            server:
              load_shedding:
                max_in_flight_calls: 512
                max_queued_calls: 64
                max_queue_wait_ms: 20
            destinations:
              otlp:
                timeout_ms: 5000
                max_concurrent_calls: 2
                circuit_breaker:
                  failure_rate_threshold: 25
                  slow_call_rate_threshold: 80.5
                  slow_call_duration_threshold_ms: 2000
                  sliding_window_type: time_based
                  sliding_window_size: 30
                  minimum_number_of_calls: 10
                  wait_duration_in_open_state_ms: 1000
                  wait_duration_multiplier: 2
                  max_wait_duration_in_open_state_ms: 60000
                  randomization_factor: 0.5
                  permitted_number_of_calls_in_half_open_state: 3
                  max_wait_duration_in_half_open_state_ms: 10000
                  record_codes: [UNAVAILABLE, DEADLINE_EXCEEDED]
                  ignore_codes: [CANCELLED]
                retry:
                  max_attempts: 4
                  initial_backoff_ms: 50
                  max_backoff_ms: 2000
                  backoff_multiplier: 1.5
                  retryable_codes: [UNAVAILABLE]
                retry_throttling:
                  max_tokens: 10
                  token_ratio: 0.1
            """)
        #expect(file.loadShedding == ConfigFile.LoadShedding(maxInFlightCalls: 512, maxQueuedCalls: 64, maxQueueWaitMilliseconds: 20))
        let otlp = try #require(file.destinations["otlp"])
        #expect(otlp.timeoutMilliseconds == 5000 && otlp.maxConcurrentCalls == 2)
        #expect(otlp.circuitBreaker.failureRateThreshold == 25 && otlp.circuitBreaker.slowCallRateThreshold == 80.5)
        #expect(otlp.circuitBreaker.slidingWindowType == "time_based" && otlp.circuitBreaker.slidingWindowSize == 30)
        #expect(otlp.circuitBreaker.recordCodes == ["UNAVAILABLE", "DEADLINE_EXCEEDED"])
        #expect(otlp.circuitBreaker.ignoreCodes == ["CANCELLED"])
        #expect(otlp.circuitBreaker.maxWaitDurationInHalfOpenStateMilliseconds == 10000)
        #expect(otlp.retry.maxAttempts == 4 && otlp.retry.backoffMultiplier == 1.5 && otlp.retry.retryableCodes == ["UNAVAILABLE"])
        #expect(otlp.retryThrottling.maxTokens == 10 && otlp.retryThrottling.tokenRatio == 0.1)
    }

    @Test("An empty file configures nothing")
    func empty() throws {
        #expect(try ConfigFile.parse("") == ConfigFile())
        #expect(try ConfigFile.parse("# only a comment\n") == ConfigFile())
    }

    @Test("Mistakes name the key path and what is wrong", arguments: [
        ("servr: {}", "servr: unknown key; expected one of destinations, server"),
        ("server: {load_shedding: {max_inflight_calls: 3}}", "server.load_shedding.max_inflight_calls: unknown key"),
        ("server: {load_shedding: {max_in_flight_calls: 0}}", "server.load_shedding.max_in_flight_calls: must be in 1...1000000, got 0"),
        ("server: {load_shedding: {max_in_flight_calls: many}}", "server.load_shedding.max_in_flight_calls: must be an integer"),
        ("destinations: {otlp: {circuit_breaker: {failure_rate_threshold: 150}}}", "destinations.otlp.circuit_breaker.failure_rate_threshold: must be in 1.0...100.0, got 150.0"),
        ("destinations: {otlp: {circuit_breaker: {sliding_window_type: sliding}}}", "destinations.otlp.circuit_breaker.sliding_window_type: must be one of count_based, time_based"),
        ("destinations: {otlp: {circuit_breaker: {record_codes: [UNAVAILBLE]}}}", "destinations.otlp.circuit_breaker.record_codes: unknown gRPC status code UNAVAILBLE"),
        ("destinations: {otlp: {retry: {max_attempts: 6}}}", "destinations.otlp.retry.max_attempts: must be in 1...5, got 6"),
        ("destinations: {otlp: {circuit_breaker: {enabled: yes please}}}", "destinations.otlp.circuit_breaker.enabled: must be true or false"),
        ("destinations: [otlp]", "destinations: must be a mapping"),
        ("server: [", "not valid YAML"),
    ])
    func mistakes(text: String, expected: String) {
        #expect(throws: ConfigFileError.self) { try ConfigFile.parse(text, path: "node.yaml") }
        do {
            _ = try ConfigFile.parse(text, path: "node.yaml")
        } catch {
            #expect(error.description.hasPrefix("node.yaml: "), "\(error)")
            #expect(error.description.contains(expected), "\(error) should contain \(expected)")
        }
    }

    @Test("A missing file is an error naming it")
    func missing() {
        #expect(throws: ConfigFileError.self) { try ConfigFile.load(path: "/nonexistent/microstatedb.yaml") }
    }
}
