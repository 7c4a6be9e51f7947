import MicroStateWire
import Testing

@Suite("WireMessage: the entry points every message type shares")
struct WireMessageTests {
    @Test("Decoding from an array and from a raw buffer give the same value")
    func arrayAndBuffer() throws {
        let bytes = putRequest.wireBytes()
        let fromArray = try PutRequest(wireBytes: bytes)
        let fromBuffer = try bytes.withUnsafeBytes { try PutRequest(wireBytes: $0) }
        #expect(fromArray == putRequest)
        #expect(fromBuffer == putRequest)
        // An empty buffer may have no base address at all; it is the empty message.
        #expect(try PutRequest(wireBytes: UnsafeRawBufferPointer(start: nil, count: 0)) == PutRequest())
    }

    @Test("WireError reads as its code and message")
    func wireErrorDescription() {
        #expect(WireError(.malformed).description == "malformed")
        #expect(WireError(.malformed, "bad tag").description == "malformed: bad tag")
        #expect(WireError(code: .malformed, message: "x") == WireError(.malformed, "x"))
        #expect(WireError.Code.malformed.description == "malformed")
    }

    @Test("Messages encode and decode concurrently from many tasks")
    func concurrentUse() async {
        // Each call owns its arena and protobuf-c only reads its descriptors: no shared mutable state.
        let results = await withTaskGroup(of: Bool.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<500 {
                        let request = HealthCheckRequest(service: "svc-\(task)-\(index)")
                        let response = HealthCheckResponse(status: .unrecognized(Int32(index)))
                        let sample = richSamples[index % richSamples.count]
                        let sampleSurvives = survivesRoundTrip(sample)
                        guard (try? roundTripped(request)) == request, (try? roundTripped(response)) == response,
                              sampleSurvives
                        else {
                            return false
                        }
                    }
                    return true
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: true, count: 8))
    }
}
