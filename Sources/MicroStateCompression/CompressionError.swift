/// Why `Zstd.decompress` refused its input: an extensible code and a message naming what was wrong.
///
/// Decompression never returns partial or unchecked output: every failure is one of these errors.
public struct CompressionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added; switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case corrupt, tooLarge
        }

        private let value: Value

        private init(_ value: Value) {
            self.value = value
        }

        /// The input is not exactly one valid zstd frame: truncated, damaged, garbage, or followed by other bytes.
        public static let corrupt = Code(.corrupt)
        /// The frame declares, or would produce, more than the caller's `maxOutputBytes` (a decompression bomb, or
        /// a limit too small for honest data). Nothing larger than the limit was allocated.
        public static let tooLarge = Code(.tooLarge)

        public var description: String {
            switch self.value {
            case .corrupt: return "corrupt"
            case .tooLarge: return "tooLarge"
            }
        }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A message for operators, including zstd's own error name when zstd reported one.
    public var message: String

    /// Creates an error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String {
        "CompressionError(\(self.code)): \(self.message)"
    }
}
