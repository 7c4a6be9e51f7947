/// The outcome of an RPC: a gRPC status code and a human-readable message.
///
/// Codes and their meanings follow https://github.com/grpc/grpc/blob/master/doc/statuscodes.md; the
/// numeric values are part of the wire protocol (`grpc-status` trailer) and never change.
public struct Status: Sendable, Hashable, CustomStringConvertible {
    /// A gRPC status code. Extensible: values outside the known set (from a newer peer) are kept as is.
    public struct Code: Sendable, Hashable, RawRepresentable, CustomStringConvertible {
        public var rawValue: Int

        public init(rawValue: Int) {
            self.rawValue = rawValue
        }

        public static let ok = Code(rawValue: 0)
        public static let cancelled = Code(rawValue: 1)
        public static let unknown = Code(rawValue: 2)
        public static let invalidArgument = Code(rawValue: 3)
        public static let deadlineExceeded = Code(rawValue: 4)
        public static let notFound = Code(rawValue: 5)
        public static let alreadyExists = Code(rawValue: 6)
        public static let permissionDenied = Code(rawValue: 7)
        public static let resourceExhausted = Code(rawValue: 8)
        public static let failedPrecondition = Code(rawValue: 9)
        public static let aborted = Code(rawValue: 10)
        public static let outOfRange = Code(rawValue: 11)
        public static let unimplemented = Code(rawValue: 12)
        public static let internalError = Code(rawValue: 13)
        public static let unavailable = Code(rawValue: 14)
        public static let dataLoss = Code(rawValue: 15)
        public static let unauthenticated = Code(rawValue: 16)

        private static let names = [
            "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
            "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
            "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
        ]

        /// The canonical upper-case name (`NOT_FOUND`), or `CODE_<n>` for a value outside the known set.
        public var description: String {
            Code.names.indices.contains(self.rawValue) ? Code.names[self.rawValue] : "CODE_\(self.rawValue)"
        }

        /// The value of the `grpc-status` trailer for this code.
        public var headerValue: String {
            String(self.rawValue)
        }

        /// Parses a `grpc-status` value; nil when it is not a non-negative decimal integer.
        public init?(headerValue: some StringProtocol) {
            guard !headerValue.isEmpty, headerValue.utf8.count <= 4, let value = Int(headerValue), value >= 0 else {
                return nil
            }
            self.rawValue = value
        }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String = "") {
        self.code = code
        self.message = message
    }

    /// Success with no message.
    public static let ok = Status(code: .ok)

    public var description: String {
        self.message.isEmpty ? self.code.description : "\(self.code): \(self.message)"
    }
}
