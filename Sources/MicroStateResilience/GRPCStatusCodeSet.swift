/// A set of gRPC status codes (0 `OK` … 16 `UNAUTHENTICATED`, per `google/rpc/code.proto`) stored as one bit mask.
///
/// Membership is one shift and one `and`, so classifying an outcome never allocates. This module deliberately
/// does not depend on MicroStateRPC's `Status`: codes are plain integers, and any value outside 0…16 is
/// never a member.
public struct GRPCStatusCodeSet: Hashable, Sendable, ExpressibleByArrayLiteral {
    /// The bit mask: bit `n` set means code `n` is a member.
    public var rawValue: UInt32

    /// The largest gRPC status code (`UNAUTHENTICATED`).
    public static let maxCode = 16

    /// Creates a set from its bit mask; bits above `maxCode` are dropped.
    public init(rawValue: UInt32) {
        self.rawValue = rawValue & ((1 << (UInt32(Self.maxCode) + 1)) - 1)
    }

    /// Creates a set holding `codes`; codes outside 0…16 are a programmer error.
    public init(_ codes: some Sequence<Int>) {
        self.rawValue = 0
        for code in codes {
            precondition(code >= 0 && code <= Self.maxCode, "gRPC status code \(code) is outside 0...16")
            self.rawValue |= 1 << UInt32(code)
        }
    }

    /// Creates a set from a literal list of codes.
    public init(arrayLiteral codes: Int...) {
        self.init(codes)
    }

    /// The empty set.
    public static let empty = GRPCStatusCodeSet(rawValue: 0)

    /// Whether `code` is a member; false for any value outside 0…16.
    @inlinable
    public func contains(_ code: Int) -> Bool {
        guard code >= 0 && code <= 16 else {
            return false
        }
        return self.rawValue & (1 << UInt32(code)) != 0
    }

    /// Adds `code` (0…16).
    public mutating func insert(_ code: Int) {
        precondition(code >= 0 && code <= Self.maxCode, "gRPC status code \(code) is outside 0...16")
        self.rawValue |= 1 << UInt32(code)
    }

    /// Removes `code`.
    public mutating func remove(_ code: Int) {
        guard code >= 0 && code <= Self.maxCode else {
            return
        }
        self.rawValue &= ~(1 << UInt32(code))
    }
}

/// gRPC status code numbers used by this module's defaults (`google/rpc/code.proto`).
public enum GRPCStatusCodeNumber {
    /// `OK`.
    public static let ok = 0
    /// `CANCELLED`.
    public static let cancelled = 1
    /// `UNKNOWN`.
    public static let unknown = 2
    /// `INVALID_ARGUMENT`.
    public static let invalidArgument = 3
    /// `DEADLINE_EXCEEDED`.
    public static let deadlineExceeded = 4
    /// `NOT_FOUND`.
    public static let notFound = 5
    /// `RESOURCE_EXHAUSTED`.
    public static let resourceExhausted = 8
    /// `FAILED_PRECONDITION`.
    public static let failedPrecondition = 9
    /// `ABORTED`.
    public static let aborted = 10
    /// `INTERNAL`.
    public static let `internal` = 13
    /// `UNAVAILABLE`.
    public static let unavailable = 14
    /// `DATA_LOSS`.
    public static let dataLoss = 15
}
