import MicroStateRPC
import MicroStateServices
import MicroStateWire
import Testing

@Suite("ReflectionService answers")
struct ReflectionServiceTests {
    private let service = ReflectionService(services: ["microstate.v1.KV", "grpc.health.v1.Health"])

    private func answer(_ request: ServerReflectionRequest.MessageRequest?) -> ServerReflectionResponse {
        self.service.answer(ServerReflectionRequest(host: "node-1", messageRequest: request))
    }

    @Test("list_services lists the given services, sorted, whatever the content")
    func listServices() {
        for content in ["", "*", "anything"] {
            #expect(self.answer(.listServices(content)).messageResponse == .services(["grpc.health.v1.Health", "microstate.v1.KV"]))
        }
    }

    @Test("Every answer echoes the request and its host")
    func echoes() {
        let request = ServerReflectionRequest(host: "node-1", messageRequest: .fileContainingSymbol("microstate.v1.KV"))
        let response = self.service.answer(request)
        #expect(response.originalRequest == request && response.validHost == "node-1")
    }

    @Test("A symbol's answer is its file first, then the file's imports")
    func fileContainingSymbol() throws {
        guard case .fileDescriptors(let files) = self.answer(.fileContainingSymbol("microstate.v1.KV.Watch")).messageResponse else {
            Issue.record("not a file descriptor response")
            return
        }
        let kv = try #require(DescriptorIndex.embedded.file(named: "microstate/v1/kv.proto"))
        #expect(files.first == kv.serialized)
        #expect(files.count == 3)
    }

    @Test("Unanswerable questions are NOT_FOUND error responses naming what was asked", arguments: [
        (ServerReflectionRequest.MessageRequest.fileContainingSymbol("no.Such"), "no.Such"),
        (.fileByFilename("no/such.proto"), "no/such.proto"),
        (.fileContainingExtension(containingType: "microstate.v1.PutRequest", extensionNumber: 1000), "microstate.v1.PutRequest"),
        (.allExtensionNumbersOfType("no.Such"), "no.Such"),
    ])
    func notFound(request: ServerReflectionRequest.MessageRequest, named: String) {
        guard case .error(let code, let message) = self.answer(request).messageResponse else {
            Issue.record("not an error response for \(request)")
            return
        }
        #expect(code == Int32(Status.Code.notFound.rawValue))
        #expect(message.contains(named))
    }

    @Test("A request with no question is an INVALID_ARGUMENT error response")
    func noQuestion() {
        #expect(self.answer(nil).messageResponse == .error(
            code: Int32(Status.Code.invalidArgument.rawValue), message: "the request sets none of the message_request fields"
        ))
    }

    @Test("A known message without extensions has an empty extension list")
    func extensionNumbers() {
        #expect(self.answer(.allExtensionNumbersOfType("microstate.v1.PutRequest")).messageResponse
            == .allExtensionNumbers(baseTypeName: "microstate.v1.PutRequest", extensionNumbers: []))
    }
}
