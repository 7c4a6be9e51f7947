import MicroStateRPC
import MicroStateStore
import MicroStateWire

/// The one table that maps domain errors to gRPC status codes.
///
/// Anything not listed here becomes `INTERNAL` and is logged by the caller: an unmapped error is a bug in
/// this table, not something a client can act on.
public enum StatusMapping {
    /// Store error code → gRPC code. etcd answers compacted and future revisions with `OUT_OF_RANGE`
    /// (`mvcc: required revision has been compacted` / `is a future revision`); clients already handle that.
    static let storeCodes: [StoreError.Code: Status.Code] = [
        .invalidArgument: .invalidArgument,
        .aborted: .aborted,
        .compacted: .outOfRange,
        .futureRevision: .outOfRange,
        .resourceExhausted: .resourceExhausted,
        .unavailable: .unavailable,
        .internal: .internalError,
        .notFound: .notFound,
        .alreadyExists: .alreadyExists,
        .failedPrecondition: .failedPrecondition,
    ]

    /// Maps any error raised while serving a call to the `RPCError` the client sees.
    public static func rpcError(_ error: any Error, while action: @autoclosure () -> String = "") -> RPCError {
        switch error {
        case let error as RPCError:
            return error
        case let error as StoreError:
            let code = Self.storeCodes[error.code] ?? .internalError
            return RPCError(code: code, message: error.message, cause: error)
        case let error as WireError:
            let what = action()
            return RPCError(
                code: .invalidArgument,
                message: what.isEmpty ? "malformed request: \(error.message)" : "malformed \(what): \(error.message)",
                cause: error
            )
        default:
            return RPCError(code: .internalError, message: "internal error: \(error)", cause: error)
        }
    }
}
