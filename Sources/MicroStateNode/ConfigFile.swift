import Foundation
import Yams

/// The node's YAML configuration file (`serve --config FILE`): outbound destinations' resilience policies and the
/// server's load shedding. Flags given on the command line override what the file says.
///
/// Strict on purpose: an unknown key, a wrong type or an out-of-range value is an error naming its path
/// (`destinations.otlp.circuit_breaker.failure_rate_threshold: must be in 1...100, got 150`), because a typo that
/// silently falls back to a default is found only in an outage. docs/operations.md shows a complete file.
public struct ConfigFile: Sendable, Equatable {
    /// Largest configuration file read (it is a few hundred bytes in practice).
    public static let maxBytes = 1 << 20

    /// Server-side admission control.
    public struct LoadShedding: Sendable, Equatable {
        /// Calls running at once; beyond it calls wait in the queue. nil = the flag's or built-in default.
        public var maxInFlightCalls: Int?
        /// Calls waiting for a slot; beyond it calls are refused with RESOURCE_EXHAUSTED and a pushback.
        public var maxQueuedCalls: Int?
        /// Longest a call waits in the queue before it is refused.
        public var maxQueueWaitMilliseconds: Int?
    }

    /// resilience4j's circuit-breaker settings (docs/resilience.md); nil fields keep the defaults.
    public struct CircuitBreaker: Sendable, Equatable {
        public var enabled: Bool?
        public var failureRateThreshold: Double?
        public var slowCallRateThreshold: Double?
        public var slowCallDurationThresholdMilliseconds: Int?
        public var slidingWindowType: String?
        public var slidingWindowSize: Int?
        public var minimumNumberOfCalls: Int?
        public var waitDurationInOpenStateMilliseconds: Int?
        public var waitDurationMultiplier: Double?
        public var maxWaitDurationInOpenStateMilliseconds: Int?
        public var randomizationFactor: Double?
        public var permittedNumberOfCallsInHalfOpenState: Int?
        public var maxWaitDurationInHalfOpenStateMilliseconds: Int?
        public var recordCodes: [String]?
        public var ignoreCodes: [String]?
    }

    /// gRFC A6 retry policy.
    public struct Retry: Sendable, Equatable {
        public var maxAttempts: Int?
        public var initialBackoffMilliseconds: Int?
        public var maxBackoffMilliseconds: Int?
        public var backoffMultiplier: Double?
        public var retryableCodes: [String]?
    }

    /// gRFC A6 retry throttling (token bucket).
    public struct RetryThrottling: Sendable, Equatable {
        public var maxTokens: Double?
        public var tokenRatio: Double?
    }

    /// One outbound destination (`otlp`, later `schema_registry` and peer nodes).
    public struct Destination: Sendable, Equatable {
        public var timeoutMilliseconds: Int?
        public var maxConcurrentCalls: Int?
        public var circuitBreaker = CircuitBreaker()
        public var retry = Retry()
        public var retryThrottling = RetryThrottling()
    }

    public var loadShedding = LoadShedding()
    public var destinations: [String: Destination] = [:]

    public init() {}

    /// gRPC status code names accepted in code lists.
    static let codeNames = [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
        "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ]

    /// The numeric code of a status code name (as in `codeNames`).
    public static func code(named name: String) -> Int? {
        self.codeNames.firstIndex(of: name)
    }

    /// Reads and validates `path`.
    public static func load(path: String) throws(ConfigFileError) -> ConfigFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigFileError(path: path, key: "", message: "cannot read the file")
        }
        guard data.count <= Self.maxBytes else {
            throw ConfigFileError(path: path, key: "", message: "larger than \(Self.maxBytes) bytes")
        }
        return try self.parse(String(decoding: data, as: UTF8.self), path: path)
    }

    /// Parses and validates YAML text (`path` only names it in errors).
    public static func parse(_ text: String, path: String = "<config>") throws(ConfigFileError) -> ConfigFile {
        let root: Any?
        do {
            root = try Yams.load(yaml: text)
        } catch {
            throw ConfigFileError(path: path, key: "", message: "not valid YAML: \(error)")
        }
        let reader = Reader(path: path)
        var file = ConfigFile()
        guard let root else {
            return file  // an empty file configures nothing
        }
        let top = try reader.mapping(root, "", keys: ["server", "destinations"])
        if let server = top["server"] {
            let server = try reader.mapping(server, "server", keys: ["load_shedding"])
            if let shedding = server["load_shedding"] {
                let key = "server.load_shedding"
                let map = try reader.mapping(
                    shedding, key, keys: ["max_in_flight_calls", "max_queued_calls", "max_queue_wait_ms"]
                )
                file.loadShedding.maxInFlightCalls = try reader.int(map, key, "max_in_flight_calls", 1...1_000_000)
                file.loadShedding.maxQueuedCalls = try reader.int(map, key, "max_queued_calls", 0...1_000_000)
                file.loadShedding.maxQueueWaitMilliseconds = try reader.int(map, key, "max_queue_wait_ms", 0...3_600_000)
            }
        }
        if let destinations = top["destinations"] {
            let map = try reader.mapping(destinations, "destinations", keys: nil)
            for (name, value) in map {
                file.destinations[name] = try reader.destination(value, "destinations.\(name)")
            }
        }
        return file
    }

    /// Walks the loaded YAML, checking keys, types and ranges.
    private struct Reader {
        let path: String

        func fail(_ key: String, _ message: String) -> ConfigFileError {
            ConfigFileError(path: self.path, key: key, message: message)
        }

        /// A mapping with string keys, each one of `keys` (nil: any key).
        func mapping(_ value: Any, _ key: String, keys: Set<String>?) throws(ConfigFileError) -> [String: Any] {
            guard let map = value as? [String: Any] else {
                throw self.fail(key, "must be a mapping")
            }
            if let keys {
                for name in map.keys.sorted() where !keys.contains(name) {
                    let prefix = key.isEmpty ? "" : key + "."
                    throw self.fail(prefix + name, "unknown key; expected one of \(keys.sorted().joined(separator: ", "))")
                }
            }
            return map
        }

        func int(_ map: [String: Any], _ key: String, _ name: String, _ range: ClosedRange<Int>) throws(ConfigFileError) -> Int? {
            guard let value = map[name] else {
                return nil
            }
            guard let number = value as? Int, !(value is Bool) else {
                throw self.fail("\(key).\(name)", "must be an integer")
            }
            guard range.contains(number) else {
                throw self.fail("\(key).\(name)", "must be in \(range.lowerBound)...\(range.upperBound), got \(number)")
            }
            return number
        }

        func double(_ map: [String: Any], _ key: String, _ name: String, _ range: ClosedRange<Double>) throws(ConfigFileError) -> Double? {
            guard let value = map[name] else {
                return nil
            }
            let number: Double
            if let double = value as? Double {
                number = double
            } else if let int = value as? Int, !(value is Bool) {
                number = Double(int)
            } else {
                throw self.fail("\(key).\(name)", "must be a number")
            }
            guard range.contains(number) else {
                throw self.fail("\(key).\(name)", "must be in \(range.lowerBound)...\(range.upperBound), got \(number)")
            }
            return number
        }

        func bool(_ map: [String: Any], _ key: String, _ name: String) throws(ConfigFileError) -> Bool? {
            guard let value = map[name] else {
                return nil
            }
            guard let flag = value as? Bool else {
                throw self.fail("\(key).\(name)", "must be true or false")
            }
            return flag
        }

        func string(_ map: [String: Any], _ key: String, _ name: String, oneOf: [String]) throws(ConfigFileError) -> String? {
            guard let value = map[name] else {
                return nil
            }
            guard let text = value as? String, oneOf.contains(text) else {
                throw self.fail("\(key).\(name)", "must be one of \(oneOf.joined(separator: ", "))")
            }
            return text
        }

        func codes(_ map: [String: Any], _ key: String, _ name: String) throws(ConfigFileError) -> [String]? {
            guard let value = map[name] else {
                return nil
            }
            guard let list = value as? [Any] else {
                throw self.fail("\(key).\(name)", "must be a list of gRPC status code names")
            }
            var codes: [String] = []
            for item in list {
                guard let code = item as? String, ConfigFile.codeNames.contains(code) else {
                    throw self.fail("\(key).\(name)", "unknown gRPC status code \(item); use names such as UNAVAILABLE")
                }
                codes.append(code)
            }
            return codes
        }

        func destination(_ value: Any, _ key: String) throws(ConfigFileError) -> Destination {
            let map = try self.mapping(
                value, key, keys: ["timeout_ms", "max_concurrent_calls", "circuit_breaker", "retry", "retry_throttling"]
            )
            var destination = Destination()
            destination.timeoutMilliseconds = try self.int(map, key, "timeout_ms", 1...3_600_000)
            destination.maxConcurrentCalls = try self.int(map, key, "max_concurrent_calls", 1...1_000_000)
            if let breaker = map["circuit_breaker"] {
                let key = key + ".circuit_breaker"
                let map = try self.mapping(breaker, key, keys: [
                    "enabled", "failure_rate_threshold", "slow_call_rate_threshold", "slow_call_duration_threshold_ms",
                    "sliding_window_type", "sliding_window_size", "minimum_number_of_calls",
                    "wait_duration_in_open_state_ms", "wait_duration_multiplier", "max_wait_duration_in_open_state_ms",
                    "randomization_factor", "permitted_number_of_calls_in_half_open_state",
                    "max_wait_duration_in_half_open_state_ms", "record_codes", "ignore_codes",
                ])
                var c = CircuitBreaker()
                c.enabled = try self.bool(map, key, "enabled")
                c.failureRateThreshold = try self.double(map, key, "failure_rate_threshold", 1...100)
                c.slowCallRateThreshold = try self.double(map, key, "slow_call_rate_threshold", 1...100)
                c.slowCallDurationThresholdMilliseconds = try self.int(map, key, "slow_call_duration_threshold_ms", 1...86_400_000)
                c.slidingWindowType = try self.string(map, key, "sliding_window_type", oneOf: ["count_based", "time_based"])
                c.slidingWindowSize = try self.int(map, key, "sliding_window_size", 1...10_000)
                c.minimumNumberOfCalls = try self.int(map, key, "minimum_number_of_calls", 1...10_000)
                c.waitDurationInOpenStateMilliseconds = try self.int(map, key, "wait_duration_in_open_state_ms", 1...86_400_000)
                c.waitDurationMultiplier = try self.double(map, key, "wait_duration_multiplier", 1...100)
                c.maxWaitDurationInOpenStateMilliseconds = try self.int(map, key, "max_wait_duration_in_open_state_ms", 1...86_400_000)
                c.randomizationFactor = try self.double(map, key, "randomization_factor", 0...1)
                c.permittedNumberOfCallsInHalfOpenState = try self.int(map, key, "permitted_number_of_calls_in_half_open_state", 1...10_000)
                c.maxWaitDurationInHalfOpenStateMilliseconds = try self.int(map, key, "max_wait_duration_in_half_open_state_ms", 0...86_400_000)
                c.recordCodes = try self.codes(map, key, "record_codes")
                c.ignoreCodes = try self.codes(map, key, "ignore_codes")
                destination.circuitBreaker = c
            }
            if let retry = map["retry"] {
                let key = key + ".retry"
                let map = try self.mapping(retry, key, keys: [
                    "max_attempts", "initial_backoff_ms", "max_backoff_ms", "backoff_multiplier", "retryable_codes",
                ])
                var r = Retry()
                r.maxAttempts = try self.int(map, key, "max_attempts", 1...5)  // gRFC A6 caps attempts at 5
                r.initialBackoffMilliseconds = try self.int(map, key, "initial_backoff_ms", 1...3_600_000)
                r.maxBackoffMilliseconds = try self.int(map, key, "max_backoff_ms", 1...3_600_000)
                r.backoffMultiplier = try self.double(map, key, "backoff_multiplier", 1...100)
                r.retryableCodes = try self.codes(map, key, "retryable_codes")
                destination.retry = r
            }
            if let throttling = map["retry_throttling"] {
                let key = key + ".retry_throttling"
                let map = try self.mapping(throttling, key, keys: ["max_tokens", "token_ratio"])
                var t = RetryThrottling()
                t.maxTokens = try self.double(map, key, "max_tokens", 1...1000)  // gRFC A6: (0, 1000]
                t.tokenRatio = try self.double(map, key, "token_ratio", 0.001...1000)
                destination.retryThrottling = t
            }
            return destination
        }
    }
}

/// A configuration file that cannot be used: which file, which key, what is wrong.
public struct ConfigFileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    /// Dotted key path (`destinations.otlp.retry.max_attempts`); empty for the file as a whole.
    public var key: String
    public var message: String

    public var description: String {
        self.key.isEmpty ? "\(self.path): \(self.message)" : "\(self.path): \(self.key): \(self.message)"
    }
}
