/// A failure of one store operation (a per-request failure, never a store-level one).
///
/// The KV service maps `code` to a gRPC status with its one table; `message` becomes `grpc-message`, so it
/// names the limit or the revision involved.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as an extensible set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case invalidArgument, aborted, compacted, futureRevision, resourceExhausted, unavailable, `internal`
            case notFound, alreadyExists, failedPrecondition
        }

        private let wrapped: Wrapped

        private init(_ wrapped: Wrapped) {
            self.wrapped = wrapped
        }

        /// The request is malformed or exceeds a limit of `StoreLimits`; retrying it unchanged fails again.
        public static let invalidArgument = Code(.invalidArgument)
        /// An expected revision did not match; `StoreError.currentRevision` holds the key's mod revision (0 =
        /// absent), or for a stream its last revision (-1 = no events).
        public static let aborted = Code(.aborted)
        /// The requested revision is older than the retained history; see `StoreError.compactRevision`.
        public static let compacted = Code(.compacted)
        /// The requested revision is newer than the store's durable revision.
        public static let futureRevision = Code(.futureRevision)
        /// A bound of the store (watchers, pending state) is reached; retry later.
        public static let resourceExhausted = Code(.resourceExhausted)
        /// The log failed or the store was closed: writes cannot be made durable any more.
        public static let unavailable = Code(.unavailable)
        /// A broken invariant or a log record / snapshot that does not decode.
        public static let `internal` = Code(.internal)
        /// What a read names does not exist: a stream never written (or hard-deleted).
        public static let notFound = Code(.notFound)
        /// Some, but not all, of an append's event ids were already written (or written elsewhere, or in
        /// another order): retrying cannot succeed and nothing was written.
        public static let alreadyExists = Code(.alreadyExists)
        /// The request is well-formed but the state refuses it: the stream is hard-deleted, an ack is not above
        /// the group's checkpoint or names a revision the stream does not have, or an aggregate snapshot names
        /// a revision that is not a visible revision of the stream.
        public static let failedPrecondition = Code(.failedPrecondition)

        /// The code's name, as used in messages and logs.
        public var description: String {
            switch self.wrapped {
            case .invalidArgument: return "invalidArgument"
            case .aborted: return "aborted"
            case .compacted: return "compacted"
            case .futureRevision: return "futureRevision"
            case .resourceExhausted: return "resourceExhausted"
            case .unavailable: return "unavailable"
            case .internal: return "internal"
            case .notFound: return "notFound"
            case .alreadyExists: return "alreadyExists"
            case .failedPrecondition: return "failedPrecondition"
            }
        }
    }

    /// What went wrong.
    public var code: Code
    /// A human-readable explanation naming the limit, key or revision involved.
    public var message: String
    /// For `aborted`: the key's current mod revision (0 = the key is absent), or the stream's last revision (-1 =
    /// no events).
    public var currentRevision: Int64?
    /// For `compacted`: the store's compact revision (the oldest revision still readable).
    public var compactRevision: Int64?
    /// The underlying error, for example the log's failure behind `unavailable`.
    public var cause: (any Error & Sendable)?

    /// Creates an error; prefer the static constructors, which format the message consistently.
    public init(
        code: Code,
        message: String,
        currentRevision: Int64? = nil,
        compactRevision: Int64? = nil,
        cause: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.currentRevision = currentRevision
        self.compactRevision = compactRevision
        self.cause = cause
    }

    /// `code: message`, plus the cause if any.
    public var description: String {
        if let cause = self.cause {
            return "\(self.code): \(self.message) (cause: \(cause))"
        }
        return "\(self.code): \(self.message)"
    }
}

extension StoreError {
    static func invalidArgument(_ message: String) -> StoreError {
        StoreError(code: .invalidArgument, message: message)
    }

    static func limit(_ what: String, _ actual: Int, limit name: String, _ value: Int) -> StoreError {
        StoreError(code: .invalidArgument, message: "\(what) is \(actual) bytes, over the limit \(name) = \(value)")
    }

    static func aborted(key: [UInt8], expected: Int64, current: Int64) -> StoreError {
        let state = current == 0 ? "does not exist" : "is at revision \(current)"
        let expectation =
            expected == 0 ? "expected key \(Self.quote(key)) to be absent" : "expected revision \(expected)"
        let message =
            expected == 0
            ? "\(expectation) but it \(state)"
            : "\(expectation) but key \(Self.quote(key)) \(state)"
        return StoreError(code: .aborted, message: message, currentRevision: current)
    }

    static func compacted(requested: Int64, compactRevision: Int64) -> StoreError {
        StoreError(
            code: .compacted,
            message: "revision \(requested) is compacted; the oldest readable revision is \(compactRevision)",
            compactRevision: compactRevision
        )
    }

    static func future(requested: Int64, durable: Int64) -> StoreError {
        StoreError(
            code: .futureRevision,
            message: "revision \(requested) is in the future; the latest durable revision is \(durable)"
        )
    }

    /// An invalidArgument naming the limit: "stream name of 300 bytes exceeds maxStreamNameBytes 256".
    /// For counts pass the unit: "append of 10001 events exceeds maxEventsPerAppend 10000".
    static func exceeds(
        _ what: String,
        _ actual: Int,
        _ unit: String = "bytes",
        limit name: String,
        _ value: Int
    ) -> StoreError {
        StoreError(code: .invalidArgument, message: "\(what) of \(actual) \(unit) exceeds \(name) \(value)")
    }

    static func notFound(_ message: String) -> StoreError {
        StoreError(code: .notFound, message: message)
    }

    static func failedPrecondition(_ message: String) -> StoreError {
        StoreError(code: .failedPrecondition, message: message)
    }

    static func unavailable(_ message: String, cause: (any Error & Sendable)? = nil) -> StoreError {
        StoreError(code: .unavailable, message: message, cause: cause)
    }

    static func corrupt(_ message: String) -> StoreError {
        StoreError(code: .internal, message: message)
    }

    /// Renders a stream, group or event id for a message: quoted, control characters escaped, cut at 64
    /// characters.
    static func quote(_ name: String) -> String {
        guard name.count > 64 else {
            return String(reflecting: name)
        }
        return String(reflecting: String(name.prefix(64))) + "…(\(name.utf8.count) bytes)"
    }

    /// Renders a key for a message: printable ASCII as is, anything else as hex, cut at 64 bytes.
    static func quote(_ key: [UInt8]) -> String {
        let shown = key.prefix(64)
        let printable = shown.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }
        var text: String
        if printable {
            text = "\"" + String(decoding: shown, as: UTF8.self) + "\""
        } else {
            text =
                "0x"
                + shown.map { byte in
                    let digits = String(byte, radix: 16)
                    return byte < 16 ? "0" + digits : digits
                }.joined()
        }
        if key.count > 64 {
            text += "…(\(key.count) bytes)"
        }
        return text
    }
}
