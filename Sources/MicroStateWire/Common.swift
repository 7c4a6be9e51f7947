// Types shared by every MicroStateDB service (proto/microstate/v1/common.proto).

/// `microstate.v1.ResponseHeader`: which node answered, and at which revision of its log.
public struct ResponseHeader: WireMessage, Hashable {
    /// The answering node's id.
    public var nodeId: UInt64
    /// The node's latest durable revision when the response was produced.
    public var revision: Int64
    /// Opaque token for SESSION reads (read-your-writes); empty until sessions exist.
    public var sessionToken: String

    /// Creates a header; every field defaults to its proto3 zero value.
    public init(nodeId: UInt64 = 0, revision: Int64 = 0, sessionToken: String = "") {
        self.nodeId = nodeId
        self.revision = revision
        self.sessionToken = sessionToken
    }
}

/// `microstate.v1.ReadConsistency`: how fresh a read must be.
///
/// Proto3 enums are open: a value this build does not know decodes to ``unrecognized(_:)`` and re-encodes unchanged.
public enum ReadConsistency: Sendable, Hashable, RawRepresentable {
    /// `READ_CONSISTENCY_UNSPECIFIED` (0): the namespace default.
    case unspecified
    /// `LINEARIZABLE` (1).
    case linearizable
    /// `BOUNDED_STALENESS` (2).
    case boundedStaleness
    /// `SESSION` (3).
    case session
    /// `CONSISTENT_PREFIX` (4).
    case consistentPrefix
    /// `EVENTUAL` (5).
    case eventual
    /// A value this build does not know; never holds one of the known values when made by `init(rawValue:)`.
    case unrecognized(Int32)

    /// The case for a wire value; unknown values become ``unrecognized(_:)``.
    public init(rawValue: Int32) {
        switch rawValue {
        case 0: self = .unspecified
        case 1: self = .linearizable
        case 2: self = .boundedStaleness
        case 3: self = .session
        case 4: self = .consistentPrefix
        case 5: self = .eventual
        default: self = .unrecognized(rawValue)
        }
    }

    /// The wire value.
    public var rawValue: Int32 {
        switch self {
        case .unspecified: return 0
        case .linearizable: return 1
        case .boundedStaleness: return 2
        case .session: return 3
        case .consistentPrefix: return 4
        case .eventual: return 5
        case .unrecognized(let value): return value
        }
    }
}
