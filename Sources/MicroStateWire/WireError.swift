/// A failure to decode protobuf bytes into a wire message.
///
/// Decoding never traps on hostile input: every byte sequence either decodes or throws this error, so the RPC layer
/// can map it to `INVALID_ARGUMENT` (or `INTERNAL` for a response) without taking the process down.
public struct WireError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is; extensible, so switch over it with a `default`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Wrapped: Sendable, Hashable {
            case malformed
        }

        private let wrapped: Wrapped

        private init(_ wrapped: Wrapped) {
            self.wrapped = wrapped
        }

        /// The bytes are not a valid encoding of the expected message (truncated, bad varint, wrong wire type,
        /// length past the end, ...).
        public static let malformed = Code(.malformed)

        /// The code's name, for logs.
        public var description: String {
            switch self.wrapped {
            case .malformed:
                return "malformed"
            }
        }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A human-readable explanation, naming the message type that failed to decode.
    public var message: String

    /// Creates an error with a code and an explanation.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// Creates an error from a code and an optional explanation, as in `throw WireError(.malformed)`.
    public init(_ code: Code, _ message: String = "") {
        self.init(code: code, message: message)
    }

    /// `code: message`, for logs and `grpc-message`.
    public var description: String {
        self.message.isEmpty ? "\(self.code)" : "\(self.code): \(self.message)"
    }
}
