import MicroStateRPC
import MicroStateSchema
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

    /// Schema registry error code (Confluent's, `RegistryError`) → gRPC code. Codes not listed map by class:
    /// 404xx NOT_FOUND, 409 FAILED_PRECONDITION, 422xx INVALID_ARGUMENT, anything else INTERNAL.
    static let registryCodes: [Int: Status.Code] = [
        40404: .failedPrecondition,  // subject soft-deleted (delete it permanently, or re-register)
        40405: .failedPrecondition,  // subject not soft-deleted before a permanent delete
        40406: .failedPrecondition,  // version soft-deleted
        40407: .failedPrecondition,  // version not soft-deleted before a permanent delete
        409: .failedPrecondition,  // incompatible with earlier versions
        42205: .failedPrecondition,  // operation not permitted (mode)
        42206: .failedPrecondition,  // a reference to the version exists
        50003: .unavailable,  // the upstream registry a registration is forwarded to cannot be reached
    ]

    /// The gRPC code for a registry error code.
    public static func registryCode(_ code: Int) -> Status.Code {
        if let mapped = Self.registryCodes[code] {
            return mapped
        }
        switch code / 100 {
        case 404: return .notFound
        case 422: return .invalidArgument
        default: return code == 409 ? .failedPrecondition : .internalError
        }
    }

    /// Maps any error raised while serving a call to the `RPCError` the client sees.
    public static func rpcError(_ error: any Error, while action: @autoclosure () -> String = "") -> RPCError {
        switch error {
        case let error as RPCError:
            return error
        case let error as StoreError:
            let code = Self.storeCodes[error.code] ?? .internalError
            return RPCError(code: code, message: error.message, cause: error)
        case let error as RegistryError:
            return RPCError(code: Self.registryCode(error.code), message: "\(error.code): \(error.message)", cause: error)
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
