import MicroStateHTTP2
import NIOCore

/// The response side of one client call, as a value-type state machine: HTTP/2 stream events in, response
/// messages and the final outcome out. No I/O; `ClientCall` drives it.
///
/// States (gRPC PROTOCOL-HTTP2.md, "Responses"):
/// - `awaitingHeaders`: nothing received yet. 1xx headers are skipped. A non-200 `:status` ends the call with
///   the code from gRPC's HTTP-to-status table; a `content-type` that is not `application/grpc[+…|;…]` ends it with
///   UNKNOWN; a header block with END_STREAM is a trailers-only response and carries the status.
/// - `receivingMessages`: DATA is deframed into messages (each at most `maxMessageBytes`, else RESOURCE_EXHAUSTED);
///   a header block here must be the trailers (END_STREAM), which carry `grpc-status`/`grpc-message`.
/// - `finished`: the outcome is known; later events are ignored.
///
/// An invalid transition (DATA before headers, END_STREAM without trailers, a second non-final header block) is the
/// peer's protocol error and ends the call with INTERNAL.
struct ClientCallStateMachine {
    enum State: Equatable {
        case awaitingHeaders
        case receivingMessages
        case finished
    }

    /// What the driver must do after an event.
    struct Output {
        /// Complete response messages, in order.
        var messages: [ByteBuffer] = []
        /// The call's outcome, once known (delivered after `messages`).
        var outcome: Result<Void, RPCError>? = nil
        /// Whether the stream must be reset because we end it before the peer did.
        var resetStream = false
    }

    private(set) var state: State = .awaitingHeaders
    private var deframer: GRPCMessageDeframer

    init(maxMessageBytes: Int) {
        self.deframer = GRPCMessageDeframer(maxMessageBytes: maxMessageBytes)
    }

    mutating func receive(_ event: HTTP2ClientStreamEvent) -> Output {
        switch (self.state, event) {
        case (.finished, _):
            return Output()

        case (.awaitingHeaders, .headers(let headers, let endStream)):
            switch ClientResponseHeaders.validate(headers) {
            case .informational:
                if !endStream {
                    return Output()
                }
                return self.finish(
                    .failure(RPCError(code: .internalError, message: "informational (1xx) response ended the stream")),
                    reset: false
                )
            case .failed(let error):
                return self.finish(.failure(error), reset: !endStream)
            case .valid:
                if endStream {
                    // Trailers-only: the status rides on the only header block.
                    return self.finish(ClientResponseHeaders.outcome(fromTrailers: headers), reset: false)
                }
                self.state = .receivingMessages
                return Output()
            }

        case (.receivingMessages, .headers(let trailers, let endStream)):
            guard endStream else {
                return self.finish(
                    .failure(RPCError(code: .internalError, message: "second header block without END_STREAM")),
                    reset: true
                )
            }
            if self.deframer.pendingBytes > 0 {
                return self.finish(
                    .failure(
                        RPCError(
                            code: .internalError,
                            message: "stream ended inside a message (\(self.deframer.pendingBytes) bytes left over)"
                        )
                    ),
                    reset: false
                )
            }
            return self.finish(ClientResponseHeaders.outcome(fromTrailers: trailers), reset: false)

        case (.awaitingHeaders, .data):
            return self.finish(
                .failure(RPCError(code: .internalError, message: "DATA received before response headers")),
                reset: true
            )

        case (.receivingMessages, .data(let bytes)):
            var output = Output()
            self.deframer.append(bytes)
            // Bounded: each iteration consumes at least the 5-byte prefix of the bytes just appended.
            while true {
                do {
                    guard let message = try self.deframer.next() else {
                        break
                    }
                    output.messages.append(message)
                } catch {
                    self.state = .finished
                    output.outcome = .failure(error)
                    output.resetStream = true
                    break
                }
            }
            return output

        case (.awaitingHeaders, .endStream), (.receivingMessages, .endStream):
            return self.finish(
                .failure(RPCError(code: .internalError, message: "the server ended the stream without trailers")),
                reset: false
            )

        case (_, .closed(let reason)):
            // Closed before an outcome was known.
            return self.finish(.failure(ClientResponseHeaders.error(for: reason)), reset: false)
        }
    }

    private mutating func finish(_ outcome: Result<Void, RPCError>, reset: Bool) -> Output {
        self.state = .finished
        return Output(messages: [], outcome: outcome, resetStream: reset)
    }
}

/// Pure checks and mappings of response headers, trailers and stream failures to gRPC statuses.
enum ClientResponseHeaders {
    enum Validation {
        case valid
        case informational
        case failed(RPCError)
    }

    /// Checks `:status` and `content-type` of the first header block.
    static func validate(_ headers: [HTTP2ClientHeader]) -> Validation {
        guard let statusText = headers.first(where: { $0.name == ":status" })?.value, let status = Int(statusText) else {
            return .failed(RPCError(code: .internalError, message: "response without a valid :status"))
        }
        if (100..<200).contains(status) {
            return .informational
        }
        guard status == 200 else {
            let code = self.code(forHTTPStatus: status)
            return .failed(RPCError(code: code, message: "unexpected HTTP status \(status) (mapped to \(code))"))
        }
        let contentType = headers.first(where: { $0.name == "content-type" })?.value ?? ""
        guard self.isGRPCContentType(contentType) else {
            return .failed(
                RPCError(code: .unknown, message: "response content-type '\(contentType)' is not application/grpc")
            )
        }
        return .valid
    }

    /// `application/grpc`, optionally followed by `+format` or `;parameters` (PROTOCOL-HTTP2.md, "Content-Type").
    static func isGRPCContentType(_ value: String) -> Bool {
        let lower = value.lowercased()
        guard lower.hasPrefix("application/grpc") else {
            return false
        }
        let rest = lower.dropFirst("application/grpc".count)
        return rest.isEmpty || rest.hasPrefix("+") || rest.hasPrefix(";")
    }

    /// gRPC's HTTP-to-status table (doc/http-grpc-status-mapping.md), for responses that are not gRPC.
    static func code(forHTTPStatus status: Int) -> Status.Code {
        switch status {
        case 400: return .internalError
        case 401: return .unauthenticated
        case 403: return .permissionDenied
        case 404: return .unimplemented
        case 429, 502, 503, 504: return .unavailable
        default: return .unknown
        }
    }

    /// The outcome carried by trailers (or a trailers-only response): `grpc-status` and the percent-decoded
    /// `grpc-message`. A missing or malformed `grpc-status` is UNKNOWN (as grpc-java reports it).
    static func outcome(fromTrailers trailers: [HTTP2ClientHeader]) -> Result<Void, RPCError> {
        let message = trailers.first(where: { $0.name == "grpc-message" }).map { self.percentDecode($0.value) } ?? ""
        guard let statusText = trailers.first(where: { $0.name == "grpc-status" })?.value else {
            return .failure(RPCError(code: .unknown, message: "response trailers without grpc-status"))
        }
        switch self.statusOutcome(statusText, message) {
        case .success:
            return .success(())
        case .failure(var error):
            for field in trailers where !field.name.hasPrefix(":") && field.name != "grpc-status"
                && field.name != "grpc-message" && field.name != "content-type"
            {
                error.trailers.appendLowercased(field.name, field.value)
            }
            return .failure(error)
        }
    }

    private static func statusOutcome(_ statusText: String, _ message: String) -> Result<Void, RPCError> {
        guard let code = Status.Code(headerValue: statusText) else {
            return .failure(RPCError(code: .unknown, message: "malformed grpc-status '\(statusText)'"))
        }
        if code == .ok {
            return .success(())
        }
        return .failure(RPCError(code: code, message: message))
    }

    /// Decodes `%XX` sequences (PROTOCOL-HTTP2.md: grpc-message is percent-encoded UTF-8). Malformed escapes are
    /// kept as they are and invalid UTF-8 is replaced, as the spec asks clients to be lenient here.
    static func percentDecode(_ value: String) -> String {
        guard value.utf8.contains(UInt8(ascii: "%")) else {
            return value
        }
        let input = Array(value.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "%"), index + 2 < input.count,
                let high = self.hexValue(input[index + 1]), let low = self.hexValue(input[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(input[index])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// A stream that closed before its outcome was known, as a gRPC error (PROTOCOL-HTTP2.md, "Errors").
    static func error(for reason: HTTP2ClientStreamCloseReason) -> RPCError {
        switch reason {
        case .finished:
            return RPCError(code: .internalError, message: "the stream closed without a status")
        case .resetByPeer(let errorCode):
            let code = self.code(forResetCode: errorCode)
            return RPCError(code: code, message: "the server reset the stream (HTTP/2 error code \(errorCode))")
        case .resetLocally:
            return RPCError(code: .cancelled, message: "the call was cancelled")
        case .refused(let why):
            return RPCError(code: .unavailable, message: "\(why) (not processed; safe to retry)")
        case .connectionFailed(let why):
            return RPCError(code: .unavailable, message: why)
        case .protocolError(let why):
            return RPCError(code: .internalError, message: why)
        }
    }

    /// RST_STREAM error code to gRPC status (PROTOCOL-HTTP2.md, "Errors").
    static func code(forResetCode errorCode: UInt32) -> Status.Code {
        switch errorCode {
        case HTTP2ClientErrorCode.refusedStream: return .unavailable
        case HTTP2ClientErrorCode.cancel: return .cancelled
        case HTTP2ClientErrorCode.enhanceYourCalm: return .resourceExhausted
        case HTTP2ClientErrorCode.inadequateSecurity: return .permissionDenied
        default: return .internalError
        }
    }
}
