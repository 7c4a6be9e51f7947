import MicroStateWire
import Testing

@Suite("reflection.proto: grpc.reflection.v1 / v1alpha messages")
struct ReflectionWireTests {
    @Test("list_services with empty content is still encoded (field 7, length 0), so the server knows the question")
    func listServicesGolden() throws {
        let request = ServerReflectionRequest(messageRequest: .listServices(""))
        #expect(request.wireBytes() == hex("3a 00"))
        #expect(try ServerReflectionRequest(wireBytes: hex("3a 00")) == request)
        #expect(try ServerReflectionRequest(wireBytes: []) == ServerReflectionRequest())
    }

    @Test("file_containing_symbol and host use fields 4 and 1")
    func symbolGolden() throws {
        let request = ServerReflectionRequest(host: "h", messageRequest: .fileContainingSymbol("a.B"))
        #expect(request.wireBytes() == hex("0a 01 68 22 03 61 2e 42"))
    }

    @Test("Every request kind survives a round trip", arguments: [
        ServerReflectionRequest.MessageRequest.fileByFilename("microstate/v1/kv.proto"),
        .fileContainingSymbol("microstate.v1.KV.Put"),
        .fileContainingExtension(containingType: "microstate.v1.PutRequest", extensionNumber: 100),
        .fileContainingExtension(containingType: "", extensionNumber: 0),
        .allExtensionNumbersOfType("microstate.v1.PutRequest"),
        .listServices("*"),
    ])
    func requestRoundTrip(kind: ServerReflectionRequest.MessageRequest) throws {
        let request = ServerReflectionRequest(host: "localhost", messageRequest: kind)
        #expect(try roundTripped(request) == request)
    }

    @Test("Every response kind survives a round trip with the original request echoed", arguments: [
        ServerReflectionResponse.MessageResponse.fileDescriptors([[1, 2, 3], [], [0xFF]]),
        .fileDescriptors([]),
        .allExtensionNumbers(baseTypeName: "a.B", extensionNumbers: [100, -1, Int32.max]),
        .services(["grpc.health.v1.Health", "microstate.v1.KV"]),
        .services([]),
        .error(code: 5, message: "symbol \"x\" not found"),
    ])
    func responseRoundTrip(kind: ServerReflectionResponse.MessageResponse) throws {
        let response = ServerReflectionResponse(
            validHost: "h",
            originalRequest: ServerReflectionRequest(messageRequest: .listServices("")),
            messageResponse: kind
        )
        let decoded = try roundTripped(response)
        // An empty file in a repeated bytes field is kept as present-and-empty.
        #expect(decoded == response)
    }

    @Test("An error response is field 7 holding code (1) and message (2)")
    func errorGolden() {
        let response = ServerReflectionResponse(messageResponse: .error(code: 5, message: "x"))
        #expect(response.wireBytes() == hex("3a 05 08 05 12 01 78"))
    }

    @Test("Truncated input is malformed, not a crash")
    func truncated() {
        #expect(decodeError(as: ServerReflectionRequest(), hex("22 ff")) != nil)
        #expect(decodeError(as: ServerReflectionResponse(), hex("3a 05 08")) != nil)
    }
}
