import MicroStateWire
import Testing

@Suite("health.proto: grpc.health.v1 messages")
struct HealthWireTests {
    @Test("HealthCheckRequest encodes the service name as field 1")
    func requestGolden() throws {
        let request = HealthCheckRequest(service: "microstate.v1.KV")
        let golden = [0x0A, 0x10] + Array("microstate.v1.KV".utf8)
        #expect(request.wireBytes() == golden)
        #expect(try HealthCheckRequest(wireBytes: golden) == request)
        #expect(HealthCheckRequest().wireBytes() == [])
        #expect(try HealthCheckRequest(wireBytes: []) == HealthCheckRequest(service: ""))
    }

    @Test("HealthCheckResponse encodes each serving status as field 1")
    func responseGolden() throws {
        let cases: [(HealthCheckResponse.ServingStatus, [UInt8])] = [
            (.unknown, []), (.serving, hex("08 01")), (.notServing, hex("08 02")), (.serviceUnknown, hex("08 03")),
        ]
        for (status, golden) in cases {
            #expect(HealthCheckResponse(status: status).wireBytes() == golden, "\(status)")
            #expect(try HealthCheckResponse(wireBytes: golden).status == status, "\(status)")
        }
    }

    @Test("An unknown serving status, even a negative one, survives a round trip")
    func unknownStatus() throws {
        let seven = try HealthCheckResponse(wireBytes: hex("08 07"))
        #expect(seven.status == .unrecognized(7))
        #expect(seven.wireBytes() == hex("08 07"))
        // Negative enum values are sign-extended to ten bytes, as for int32.
        let negative = hex("08 ff ff ff ff ff ff ff ff ff 01")
        let minusOne = try HealthCheckResponse(wireBytes: negative)
        #expect(minusOne.status == .unrecognized(-1))
        #expect(minusOne.wireBytes() == negative)
    }

    @Test("A health check service name round-trips unicode")
    func unicodeService() throws {
        let request = HealthCheckRequest(service: unicode)
        #expect(try roundTripped(request) == request)
    }

    @Test("Invalid UTF-8 in a string field decodes with replacement characters instead of failing")
    func invalidUTF8() throws {
        // protobuf-c does not validate UTF-8; the Swift String repairs it, so the value re-encodes as valid UTF-8.
        let request = try HealthCheckRequest(wireBytes: hex("0a 03 61 ff 62"))
        #expect(request.service == "a\u{FFFD}b")
        #expect(try roundTripped(request) == request)
    }
}
