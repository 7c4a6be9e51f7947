/// An error from the durable log: an extensible code, a human-readable message, and for `.corrupt` the file and
/// byte offset of the damage.
public struct LogError: Error, Sendable, CustomStringConvertible, Hashable {
    /// What kind of failure this is. New codes may be added; switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case corrupt, recordTooLarge, ioFailed, fsyncFailed, closed, invalidArgument
        }

        private let value: Value

        private init(_ value: Value) {
            self.value = value
        }

        /// On-disk data failed validation (checksum, length, index gap, header, snapshot) before the torn tail.
        /// The node must not start: an operator has to look at `LogError.path` and `LogError.offset`.
        public static let corrupt = Code(.corrupt)
        /// The payload is larger than `LogConfiguration.maxRecordBytes`.
        public static let recordTooLarge = Code(.recordTooLarge)
        /// A read, write, open, rename or unlink failed.
        public static let ioFailed = Code(.ioFailed)
        /// `fdatasync`/`fsync` failed. The log is failed for good: the kernel may have dropped the dirty pages, so
        /// retrying could report success for data that is gone (PostgreSQL's "fsyncgate", 2018).
        public static let fsyncFailed = Code(.fsyncFailed)
        /// The log was closed before the record was queued.
        public static let closed = Code(.closed)
        /// The caller passed an argument the log cannot accept (for example a snapshot index beyond `lastIndex`).
        public static let invalidArgument = Code(.invalidArgument)

        public var description: String {
            switch self.value {
            case .corrupt: return "corrupt"
            case .recordTooLarge: return "recordTooLarge"
            case .ioFailed: return "ioFailed"
            case .fsyncFailed: return "fsyncFailed"
            case .closed: return "closed"
            case .invalidArgument: return "invalidArgument"
            }
        }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A message for operators. For `.corrupt` it names the file path and the byte offset.
    public var message: String
    /// The file concerned, when there is one.
    public var path: String?
    /// The byte offset in `path` where the damage starts, for `.corrupt`.
    public var offset: Int?
    /// The operating system's `errno`, for I/O failures.
    public var errno: Int32?

    /// Creates an error.
    public init(code: Code, message: String, path: String? = nil, offset: Int? = nil, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.offset = offset
        self.errno = errno
    }

    public var description: String {
        "LogError(\(self.code)): \(self.message)"
    }

    static func corrupt(_ what: String, path: String, offset: Int) -> LogError {
        LogError(code: .corrupt, message: "corrupt log data in \(path) at byte offset \(offset): \(what)",
                 path: path, offset: offset)
    }

    /// Re-labels an I/O failure of a sync call as `.fsyncFailed`, keeping the message and errno.
    func asFsyncFailure() -> LogError {
        var copy = self
        copy.code = .fsyncFailed
        return copy
    }
}

extension LogError {
    /// Wraps any error thrown by a `FileSystem` as a `LogError`, keeping a `LogError` as it is.
    static func wrapping(_ error: any Error, _ what: String) -> LogError {
        if let error = error as? LogError {
            return error
        }
        return LogError(code: .ioFailed, message: "\(what): \(error)")
    }
}
