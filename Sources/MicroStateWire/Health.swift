// The standard gRPC health checking protocol (proto/grpc/health/v1/health.proto).

/// `grpc.health.v1.HealthCheckRequest`.
public struct HealthCheckRequest: WireMessage, Hashable {
    /// The service to check: "" for the whole node, or a fully qualified name such as `microstate.v1.KV`.
    public var service: String

    /// Creates a health check request.
    public init(service: String = "") {
        self.service = service
    }
}

/// `grpc.health.v1.HealthCheckResponse`.
public struct HealthCheckResponse: WireMessage, Hashable {
    /// `grpc.health.v1.HealthCheckResponse.ServingStatus`. Open like every proto3 enum.
    public enum ServingStatus: Sendable, Hashable, RawRepresentable {
        /// `UNKNOWN` (0).
        case unknown
        /// `SERVING` (1).
        case serving
        /// `NOT_SERVING` (2).
        case notServing
        /// `SERVICE_UNKNOWN` (3): used only by the Watch method.
        case serviceUnknown
        /// A value this build does not know; kept so it re-encodes unchanged.
        case unrecognized(Int32)

        /// The case for a wire value; unknown values become ``unrecognized(_:)``.
        public init(rawValue: Int32) {
            switch rawValue {
            case 0: self = .unknown
            case 1: self = .serving
            case 2: self = .notServing
            case 3: self = .serviceUnknown
            default: self = .unrecognized(rawValue)
            }
        }

        /// The wire value.
        public var rawValue: Int32 {
            switch self {
            case .unknown: return 0
            case .serving: return 1
            case .notServing: return 2
            case .serviceUnknown: return 3
            case .unrecognized(let value): return value
            }
        }
    }

    /// The serving status.
    public var status: ServingStatus

    /// Creates a health check response.
    public init(status: ServingStatus = .unknown) {
        self.status = status
    }
}
