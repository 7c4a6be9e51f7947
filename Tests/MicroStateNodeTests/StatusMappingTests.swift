import MicroStateRPC
import MicroStateServices
import MicroStateStore
import MicroStateWire
import Testing

@Suite("The error → gRPC status table")
struct StatusMappingTests {
    @Test("Every store error code maps to its documented status", arguments: [
        (StoreError.Code.invalidArgument, Status.Code.invalidArgument), (.aborted, .aborted), (.compacted, .outOfRange),
        (.futureRevision, .outOfRange), (.resourceExhausted, .resourceExhausted), (.unavailable, .unavailable),
        (.internal, .internalError), (.notFound, .notFound), (.alreadyExists, .alreadyExists),
        (.failedPrecondition, .failedPrecondition),
    ])
    func storeCodes(storeCode: StoreError.Code, status: Status.Code) {
        let error = StatusMapping.rpcError(StoreError(code: storeCode, message: "m"))
        #expect(error.code == status)
        #expect(error.message == "m")
    }

    @Test("Malformed wire bytes are INVALID_ARGUMENT naming the message; anything else is INTERNAL")
    func wireAndUnknown() {
        struct Unexpected: Error {}
        let wire = StatusMapping.rpcError(WireError(.malformed, "truncated"), while: "PutRequest")
        #expect(wire.code == .invalidArgument && wire.message == "malformed PutRequest: truncated")
        #expect(StatusMapping.rpcError(Unexpected()).code == .internalError)
    }
}
