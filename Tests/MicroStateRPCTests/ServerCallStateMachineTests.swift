@testable import MicroStateRPC
import NIOCore
import Testing

/// The events of a bidirectional-streaming call, as `ServerCall` feeds them, and the actions that come out.
@Suite("Server call state machine: bidirectional streaming")
struct ServerCallStateMachineTests {
    private static func message(_ byte: UInt8) -> ByteBuffer { ByteBuffer(bytes: [byte]) }

    /// A short name for an action, so expectations read as a table.
    private static func name(_ action: ServerCallStateMachine.Action) -> String {
        switch action {
        case .none: return "none"
        case .drop: return "drop"
        case .invokeHandler: return "invokeHandler"
        case .invokeStreamingHandler: return "invokeStreamingHandler"
        case .deliverMessage(let message): return "deliver \(Array(message.readableBytesView))"
        case .deliverEnd: return "deliverEnd"
        case .sendMessage(let withHeaders): return withHeaders ? "send+headers" : "send"
        case .sendStatus(let status, let trailersOnly, let cancel):
            return "status \(status.code.rawValue)\(trailersOnly ? " trailers-only" : "")\(cancel ? " cancel" : "")"
        case .cancel(let code): return "cancel \(code.rawValue)"
        }
    }

    enum Event: CustomStringConvertible {
        case start, message(UInt8), end, receiveFailed(Status.Code), send, finish, deadline, closed

        var description: String {
            switch self {
            case .start: "start"
            case .message(let byte): "message \(byte)"
            case .end: "end"
            case .receiveFailed(let code): "receiveFailed \(code.rawValue)"
            case .send: "send"
            case .finish: "finish"
            case .deadline: "deadline"
            case .closed: "closed"
            }
        }
    }

    private static func run(_ events: [Event], requestStreaming: Bool = true) -> [String] {
        var machine = ServerCallStateMachine(requestStreaming: requestStreaming)
        return events.map { event in
            let action: ServerCallStateMachine.Action
            switch event {
            case .start: action = machine.start()
            case .message(let byte): action = machine.receivedMessage(Self.message(byte))
            case .end: action = machine.receivedEnd()
            case .receiveFailed(let code): action = machine.receiveFailed(RPCError(code: code, message: "x"))
            case .send: action = machine.sendMessage()
            case .finish: action = machine.finish(.ok)
            case .deadline: action = machine.deadlineExceeded()
            case .closed: action = machine.streamClosed(errorCode: 0)
            }
            return Self.name(action)
        }
    }

    @Test(
        "Event sequences of a bidirectional call produce the documented actions",
        arguments: [
            ("ping-pong then half-close then finish",
             [.start, .message(1), .send, .message(2), .send, .end, .send, .finish, .closed] as [Event],
             ["invokeStreamingHandler", "deliver [1]", "send+headers", "deliver [2]", "send", "deliverEnd", "send", "status 0", "none"]),
            ("finish with nothing sent is Trailers-Only", [.start, .end, .finish],
             ["invokeStreamingHandler", "deliverEnd", "status 0 trailers-only"]),
            ("finish before the half-close drops later messages", [.start, .message(1), .finish, .message(2), .end, .send],
             ["invokeStreamingHandler", "deliver [1]", "status 0 trailers-only", "drop", "drop", "drop"]),
            ("a malformed message cancels the running handler", [.start, .send, .receiveFailed(.resourceExhausted), .send],
             ["invokeStreamingHandler", "send+headers", "status 8 cancel", "drop"]),
            ("the deadline after responses keeps the headers", [.start, .send, .deadline, .deadline],
             ["invokeStreamingHandler", "send+headers", "status 4 cancel", "none"]),
            ("the deadline after the half-close still ends the call", [.start, .end, .deadline],
             ["invokeStreamingHandler", "deliverEnd", "status 4 trailers-only cancel"]),
            ("client reset cancels", [.start, .message(1), .closed, .message(2), .finish],
             ["invokeStreamingHandler", "deliver [1]", "cancel 1", "drop", "drop"]),
            ("a second start does nothing", [.start, .start], ["invokeStreamingHandler", "none"]),
        ] as [(String, [Event], [String])]
    )
    func sequences(name: String, events: [Event], expected: [String]) {
        #expect(Self.run(events) == expected, "\(name)")
    }

    @Test("A call with one request message ignores start and waits for the request's end")
    func singleRequestIgnoresStart() {
        #expect(Self.run([.start, .message(1), .end], requestStreaming: false) == ["none", "none", "invokeHandler"])
    }
}
