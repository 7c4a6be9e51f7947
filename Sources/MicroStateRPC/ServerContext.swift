import Atomics
import NIOCore

/// What a handler knows about its call. One per call.
///
/// `isCancelled` and `onCancel` may be used from any thread; everything else is immutable.
///
/// Not `final` only so the module's `ServerCall` can be one (one allocation per call instead of two); it is not
/// `open`, so no other module can subclass it.
public class ServerContext: @unchecked Sendable {
    /// The method path, e.g. `/microstate.v1.KV/Put`.
    public let path: String
    /// Request metadata: the non-reserved headers.
    public let metadata: Metadata
    /// The call's deadline, from `grpc-timeout`; nil when the client set none.
    public let deadline: NIODeadline?
    /// The connection's event loop (handlers are called on it).
    public let eventLoop: any EventLoop
    /// The client's address.
    public let remoteAddress: SocketAddress?
    /// The observers the server's interceptors attached to this call, in interceptor order (empty without
    /// interceptors). A handler finds its own, e.g. its trace span, with
    /// `context.observers.lazy.compactMap { $0 as? ServerSpan }.first`.
    public internal(set) var observers: [any ServerCallObserver] = []

    /// Bit 0: the call ended (response finished or cancelled). Bit 1: cancelled.
    let flags = ManagedAtomic<UInt8>(0)
    static let endedFlag: UInt8 = 1
    static let cancelledFlag: UInt8 = 2

    /// Loop-only.
    private var cancelHandlers: [@Sendable () -> Void] = []

    init(path: String, metadata: Metadata, deadline: NIODeadline?, eventLoop: any EventLoop, remoteAddress: SocketAddress?) {
        self.path = path
        self.metadata = metadata
        self.deadline = deadline
        self.eventLoop = eventLoop
        self.remoteAddress = remoteAddress
    }

    /// Whether the call was cancelled: client RST_STREAM, deadline passed, connection closed, or server shutdown
    /// grace period over. Thread-safe.
    public var isCancelled: Bool {
        self.flags.load(ordering: .acquiring) & Self.cancelledFlag != 0
    }

    /// Runs `handler` once when the call is cancelled (client RST_STREAM, deadline, connection closed, server
    /// shutdown deadline); immediately if already cancelled. On the event loop. Handlers of a call that
    /// completes normally are released without running.
    public func onCancel(_ handler: @escaping @Sendable () -> Void) {
        if self.eventLoop.inEventLoop {
            self.addCancelHandler(handler)
        } else {
            self.eventLoop.execute { self.addCancelHandler(handler) }
        }
    }

    private func addCancelHandler(_ handler: @escaping @Sendable () -> Void) {
        let flags = self.flags.load(ordering: .relaxed)
        if flags & Self.cancelledFlag != 0 {
            handler()
        } else if flags & Self.endedFlag == 0 {
            self.cancelHandlers.append(handler)
        }
    }

    /// Marks the call cancelled and runs the cancel handlers. Loop-only.
    func cancel() {
        self.flags.store(Self.endedFlag | Self.cancelledFlag, ordering: .releasing)
        let handlers = self.cancelHandlers
        self.cancelHandlers = []
        for handler in handlers {
            handler()
        }
    }

    /// Marks the call ended normally and drops the cancel handlers. Loop-only.
    func end() {
        _ = self.flags.loadThenBitwiseOr(with: Self.endedFlag, ordering: .releasing)
        self.cancelHandlers = []
    }

    /// Atomically claims the right to complete the call (first of succeed/fail/finish wins).
    func claimCompletion() -> Bool {
        self.flags.compareExchange(expected: 0, desired: Self.endedFlag, ordering: .acquiringAndReleasing).exchanged
    }

    var hasEnded: Bool {
        self.flags.load(ordering: .acquiring) & Self.endedFlag != 0
    }
}
