import MicroStateRPC
import Testing

@Suite("Status codes")
struct StatusTests {
    @Test("Codes have their wire values and canonical names")
    func wireValues() {
        #expect(Status.Code.aborted.rawValue == 10)
        #expect(Status.Code.unauthenticated.rawValue == 16)
        #expect(Status.Code.resourceExhausted.description == "RESOURCE_EXHAUSTED")
        #expect(Status.Code(rawValue: 42).description == "CODE_42")
    }

    @Test("grpc-status values parse; junk does not", arguments: [
        ("0", 0), ("14", 14), ("", nil), ("-1", nil), ("abc", nil), ("99999", nil),
    ] as [(String, Int?)])
    func parsesHeader(text: String, value: Int?) {
        #expect(Status.Code(headerValue: text)?.rawValue == value)
    }

    @Test("Metadata lookups ignore case and keep order")
    func metadata() {
        var metadata: Metadata = ["X-Trace": "a"]
        metadata.add("x-trace", "b")
        #expect(metadata.first("x-TRACE") == "a")
        #expect(metadata.values("x-trace") == ["a", "b"])
        #expect(Metadata.isReserved("grpc-timeout") && Metadata.isReserved(":path") && !Metadata.isReserved("x-id"))
    }
}
