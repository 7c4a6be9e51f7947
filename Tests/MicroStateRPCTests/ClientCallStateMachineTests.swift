@testable import MicroStateRPC
import MicroStateHTTP2
import NIOCore
import Testing

@Suite("Client call response handling")
struct ClientCallStateMachineTests {
    private static let okHeaders = [HTTP2ClientHeader(":status", "200"), HTTP2ClientHeader("content-type", "application/grpc")]

    private static func trailers(_ status: String, _ message: String? = nil) -> [HTTP2ClientHeader] {
        var block = [HTTP2ClientHeader("grpc-status", status)]
        if let message {
            block.append(HTTP2ClientHeader("grpc-message", message))
        }
        return block
    }

    @Test("HTTP statuses map per gRPC's http-grpc-status-mapping table", arguments: [
        (400, Status.Code.internalError), (401, .unauthenticated), (403, .permissionDenied), (404, .unimplemented),
        (429, .unavailable), (502, .unavailable), (503, .unavailable), (504, .unavailable), (415, .unknown),
        (500, .unknown), (302, .unknown),
    ])
    func httpStatusMapping(status: Int, code: Status.Code) {
        #expect(ClientResponseHeaders.code(forHTTPStatus: status) == code)
        guard case .failed(let error) = ClientResponseHeaders.validate([HTTP2ClientHeader(":status", String(status))]) else {
            Issue.record("status \(status) accepted")
            return
        }
        #expect(error.code == code)
    }

    @Test("Response header validation", arguments: [
        ([(":status", "200"), ("content-type", "application/grpc")], "valid"),
        ([(":status", "200"), ("content-type", "application/grpc+proto")], "valid"),
        ([(":status", "200"), ("content-type", "application/grpc; charset=utf-8")], "valid"),
        ([(":status", "200"), ("content-type", "application/grpcx")], "UNKNOWN"),
        ([(":status", "200"), ("content-type", "text/html")], "UNKNOWN"),
        ([(":status", "200")], "UNKNOWN"),
        ([(":status", "100")], "informational"),
        ([("content-type", "application/grpc")], "INTERNAL"),
        ([(":status", "abc")], "INTERNAL"),
    ] as [([(String, String)], String)])
    func validation(headers: [(String, String)], expected: String) {
        let result: String
        switch ClientResponseHeaders.validate(headers.map { HTTP2ClientHeader($0.0, $0.1) }) {
        case .valid: result = "valid"
        case .informational: result = "informational"
        case .failed(let error): result = error.code.description
        }
        #expect(result == expected, "headers \(headers)")
    }

    @Test("grpc-message is percent-decoded; malformed escapes are kept", arguments: [
        ("plain", "plain"), ("100%25", "100%"), ("%C3%BC%E2%9C%93", "ü✓"), ("bad %zz escape", "bad %zz escape"),
        ("trailing %4", "trailing %4"), ("%", "%"), ("%FF", "\u{FFFD}"),
    ])
    func percentDecoding(encoded: String, decoded: String) {
        #expect(ClientResponseHeaders.percentDecode(encoded) == decoded)
    }

    @Test("Trailers give the outcome; a missing or malformed grpc-status is UNKNOWN")
    func trailerOutcome() {
        #expect((try? ClientResponseHeaders.outcome(fromTrailers: Self.trailers("0")).get()) != nil)
        let failure = ClientResponseHeaders.outcome(fromTrailers: Self.trailers("5", "no%20such%20key"))
        #expect(failure.error?.code == .notFound && failure.error?.message == "no such key")
        #expect(ClientResponseHeaders.outcome(fromTrailers: []).error?.code == .unknown)
        #expect(ClientResponseHeaders.outcome(fromTrailers: Self.trailers("x")).error?.code == .unknown)
    }

    @Test("A failure keeps the trailing metadata (grpc-retry-pushback-ms) and drops the status fields")
    func trailingMetadata() {
        let trailers = Self.trailers("14", "overloaded") + [
            HTTP2ClientHeader("grpc-retry-pushback-ms", "250"), HTTP2ClientHeader("x-served-by", "node-2"),
        ]
        let error = ClientResponseHeaders.outcome(fromTrailers: trailers).error
        #expect(error?.code == .unavailable)
        #expect(error?.trailers.first("grpc-retry-pushback-ms") == "250")
        #expect(error?.trailers.first("x-served-by") == "node-2")
        #expect(error?.trailers.first("grpc-status") == nil && error?.trailers.first("grpc-message") == nil)
    }

    @Test("RST_STREAM codes map per the gRPC spec", arguments: [
        (HTTP2ClientErrorCode.refusedStream, Status.Code.unavailable), (HTTP2ClientErrorCode.cancel, .cancelled),
        (HTTP2ClientErrorCode.enhanceYourCalm, .resourceExhausted), (HTTP2ClientErrorCode.inadequateSecurity, .permissionDenied),
        (HTTP2ClientErrorCode.noError, .internalError), (HTTP2ClientErrorCode.protocolError, .internalError),
    ])
    func resetMapping(errorCode: UInt32, code: Status.Code) {
        #expect(ClientResponseHeaders.code(forResetCode: errorCode) == code)
    }

    @Test("A normal response: headers, messages split across DATA frames, OK trailers")
    func normalResponse() {
        var machine = ClientCallStateMachine(maxMessageBytes: 100)
        #expect(machine.receive(.headers([HTTP2ClientHeader(":status", "100")], endStream: false)).outcome == nil)
        #expect(machine.receive(.headers(Self.okHeaders, endStream: false)).outcome == nil)
        var framed = ByteBuffer()
        GRPCMessageFramer.frame([1, 2, 3], into: &framed)
        GRPCMessageFramer.frame([4], into: &framed)
        let first = machine.receive(.data(framed.readSlice(length: 6)!))
        #expect(first.messages.map { Array($0.readableBytesView) } == [])
        let second = machine.receive(.data(framed))
        #expect(second.messages.map { Array($0.readableBytesView) } == [[1, 2, 3], [4]])
        let end = machine.receive(.headers(Self.trailers("0"), endStream: true))
        #expect(end.outcome.map { (try? $0.get()) != nil } == true)
        #expect(machine.state == .finished)
        #expect(machine.receive(.closed(.finished)).outcome == nil)
    }

    @Test("Trailers-only responses carry the status")
    func trailersOnly() {
        var machine = ClientCallStateMachine(maxMessageBytes: 100)
        let output = machine.receive(.headers(Self.okHeaders + Self.trailers("12", "unknown method"), endStream: true))
        #expect(output.outcome?.error?.code == .unimplemented)
        #expect(output.outcome?.error?.message == "unknown method")
        #expect(!output.resetStream)
    }

    @Test("Protocol violations end the call with INTERNAL", arguments: [
        "data before headers", "end without trailers", "truncated message", "headers without end",
    ])
    func violations(kind: String) {
        var machine = ClientCallStateMachine(maxMessageBytes: 100)
        var output: ClientCallStateMachine.Output
        switch kind {
        case "data before headers":
            output = machine.receive(.data(ByteBuffer(bytes: [0, 0, 0, 0, 0])))
        case "end without trailers":
            _ = machine.receive(.headers(Self.okHeaders, endStream: false))
            output = machine.receive(.endStream)
        case "truncated message":
            _ = machine.receive(.headers(Self.okHeaders, endStream: false))
            _ = machine.receive(.data(ByteBuffer(bytes: [0, 0, 0, 0, 9, 1])))
            output = machine.receive(.headers(Self.trailers("0"), endStream: true))
        default:
            _ = machine.receive(.headers(Self.okHeaders, endStream: false))
            output = machine.receive(.headers(Self.okHeaders, endStream: false))
        }
        #expect(output.outcome?.error?.code == .internalError, "\(kind)")
    }

    @Test("An oversize message is RESOURCE_EXHAUSTED and resets the stream")
    func oversize() {
        var machine = ClientCallStateMachine(maxMessageBytes: 4)
        _ = machine.receive(.headers(Self.okHeaders, endStream: false))
        let output = machine.receive(.data(ByteBuffer(bytes: [0, 0, 0, 0, 5])))
        #expect(output.outcome?.error?.code == .resourceExhausted)
        #expect(output.resetStream)
    }

    @Test("Streams that close early map to UNAVAILABLE (retryable) or CANCELLED", arguments: [
        (HTTP2ClientStreamCloseReason.refused("goaway"), Status.Code.unavailable),
        (.connectionFailed("gone"), .unavailable), (.resetLocally, .cancelled),
        (.resetByPeer(errorCode: HTTP2ClientErrorCode.cancel), .cancelled), (.protocolError("big"), .internalError),
        (.finished, .internalError),
    ])
    func earlyClose(reason: HTTP2ClientStreamCloseReason, code: Status.Code) {
        var machine = ClientCallStateMachine(maxMessageBytes: 4)
        #expect(machine.receive(.closed(reason)).outcome?.error?.code == code)
    }
}

extension Result {
    fileprivate var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
