/// A protobuf message of the MicroStateDB API as a plain Swift value.
///
/// Conforming types are the only way the rest of the code base sees the wire format: they hide protobuf-c and
/// the protoc-c output in `Generated/` entirely. Proto3 semantics apply: fields at their default value are not
/// encoded, unknown fields are skipped on decode, unknown enum values are kept as `.unrecognized(n)`.
///
/// - Important: decoding allocates in proportion to the input, and for hostile input (thousands of empty
///   submessages, 2 bytes each on the wire) the decoded value can be ~30× the input size. Bound the input first with
///   the RPC layer's maximum message size; limits such as ops per transaction apply only after decoding.
public protocol WireMessage: Sendable, Equatable {
    /// Decodes protobuf bytes. Malformed input throws WireError(.malformed) — never crashes.
    init(wireBytes: UnsafeRawBufferPointer) throws(WireError)
    /// Encodes to protobuf bytes.
    func wireBytes() -> [UInt8]
}

extension WireMessage {
    /// Decodes protobuf bytes held in an array; malformed input throws ``WireError/Code/malformed``.
    ///
    /// Inlinable so callers specialise it: unspecialised, the `Result<Self, WireError>` metadata lookup cost more
    /// than a third of a small message's decode.
    @inlinable
    public init(wireBytes bytes: [UInt8]) throws(WireError) {
        // `withUnsafeBytes` is not typed-throws, so carry the error out as a value.
        let result: Result<Self, WireError> = bytes.withUnsafeBytes { buffer in
            do throws(WireError) {
                return .success(try Self(wireBytes: buffer))
            } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }
}
