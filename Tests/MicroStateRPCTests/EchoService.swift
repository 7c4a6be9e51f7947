import Atomics
import Dispatch
import Foundation
import Logging
import MicroStateRPC
import NIOCore
import NIOPosix

/// Counters the echo service's handlers update, for tests to assert on.
final class EchoProbe: Sendable {
    let handlerCalls = ManagedAtomic<Int>(0)
    let cancellations = ManagedAtomic<Int>(0)
    let lateSendsRejected = ManagedAtomic<Int>(0)
    let maxQueuedBytes = ManagedAtomic<Int>(0)
    let streamMessagesSent = ManagedAtomic<Int>(0)
    private let lock = NSLock()
    nonisolated(unsafe) private var finished: [(path: String, code: Status.Code)] = []

    /// The `onCallFinished` hook.
    func callFinished(_ path: String, _ code: Status.Code) {
        self.lock.withLock { self.finished.append((path, code)) }
    }

    /// Codes of finished calls, in order.
    var finishedCodes: [Status.Code] {
        self.lock.withLock { self.finished.map(\.code) }
    }
}

/// The test service, `/test.Echo/*`:
/// - `Unary`: echoes the request.
/// - `OffLoop`: echoes the request from another thread.
/// - `Fail`: fails with code = first request byte and a message needing percent-encoding.
/// - `Never`: never answers; counts cancellations; after cancel, tries succeed (must be dropped).
/// - `Big`: answers with a message of the UInt32 size in the request.
/// - `Stream`: request = UInt32 count, UInt32 size; sends count messages of size bytes, paced by
///   `whenQueued(atMost: 64 KiB)`, then OK. Records the largest queuedBytes seen.
/// - `StreamForever`: like Stream but never finishes on its own (until cancelled).
/// - `Bidi` (bidirectional): echoes each request message as it arrives; at the client's half-close sends one
///   message holding the count of requests (UInt32), then OK. Counts cancellations.
/// - `BidiFirst` (bidirectional): echoes the first request message and finishes OK at once, without waiting for
///   the client's half-close.
/// - `BidiSilent` (bidirectional): finishes OK at the half-close, sending nothing.
func makeEchoRouter(probe: EchoProbe) -> RPCRouter {
    let router = RPCRouter()
    router.registerUnary("/test.Echo/Unary") { request, _, responder in
        probe.handlerCalls.wrappingIncrement(ordering: .relaxed)
        responder.succeed(Array(request.readableBytesView))
    }
    router.registerUnary("/test.Echo/OffLoop") { request, _, responder in
        probe.handlerCalls.wrappingIncrement(ordering: .relaxed)
        let bytes = Array(request.readableBytesView)
        DispatchQueue.global().async { responder.succeed(bytes) }
    }
    router.registerUnary("/test.Echo/Fail") { request, _, responder in
        probe.handlerCalls.wrappingIncrement(ordering: .relaxed)
        let code = Int(request.readableBytesView.first ?? 2)
        responder.fail(RPCError(code: Status.Code(rawValue: code), message: "bad ∂ thing\n100%"))
    }
    router.registerUnary("/test.Echo/Never") { _, context, responder in
        probe.handlerCalls.wrappingIncrement(ordering: .relaxed)
        context.onCancel {
            probe.cancellations.wrappingIncrement(ordering: .relaxed)
            responder.succeed([1, 2, 3])  // dropped: the call is over
        }
    }
    router.registerUnary("/test.Echo/Metadata") { _, context, responder in
        // "name=value;..." of every metadata pair, plus the deadline's presence.
        let text = context.metadata.map { "\($0.name)=\($0.value)" }.joined(separator: ";")
        responder.succeed(Array(text.utf8))
    }
    router.registerUnary("/test.Echo/Slow") { request, context, responder in
        probe.handlerCalls.wrappingIncrement(ordering: .relaxed)
        let bytes = Array(request.readableBytesView)
        context.eventLoop.scheduleTask(in: .milliseconds(300)) { responder.succeed(bytes) }
    }
    router.registerUnary("/test.Echo/Big") { request, _, responder in
        probe.handlerCalls.wrappingIncrement(ordering: .relaxed)
        let size = Int(request.getInteger(at: request.readerIndex, as: UInt32.self) ?? 0)
        responder.succeed([UInt8](repeating: 7, count: size))
    }
    let stream: @Sendable (ByteBuffer, ServerContext, ServerStreamWriter, Bool) -> Void = { request, context, writer, forever in
        probe.handlerCalls.wrappingIncrement(ordering: .relaxed)
        let count = Int(request.getInteger(at: request.readerIndex, as: UInt32.self) ?? 0)
        let size = Int(request.getInteger(at: request.readerIndex + 4, as: UInt32.self) ?? 0)
        context.onCancel { probe.cancellations.wrappingIncrement(ordering: .relaxed) }
        let sent = ManagedAtomic<Int>(0)
        @Sendable func pump() {
            while forever || sent.load(ordering: .relaxed) < count {
                if writer.queuedBytes > 64 * 1024 {
                    writer.whenQueued(atMost: 16 * 1024) { pump() }
                    return
                }
                guard writer.send([UInt8](repeating: UInt8(truncatingIfNeeded: sent.load(ordering: .relaxed)), count: size)) else {
                    probe.lateSendsRejected.wrappingIncrement(ordering: .relaxed)
                    return
                }
                probe.streamMessagesSent.wrappingIncrement(ordering: .relaxed)
                sent.wrappingIncrement(ordering: .relaxed)
                let queued = writer.queuedBytes
                var seen = probe.maxQueuedBytes.load(ordering: .relaxed)
                while queued > seen {
                    let (done, original) = probe.maxQueuedBytes.compareExchange(expected: seen, desired: queued, ordering: .relaxed)
                    if done { break }
                    seen = original
                }
            }
            writer.finish(.ok)
        }
        pump()
    }
    router.registerServerStreaming("/test.Echo/StreamBatch") { request, _, writer in
        // count u32, size u32: `count` messages of `size` bytes (byte i = message index), sent in one call.
        probe.handlerCalls.wrappingIncrement(ordering: .relaxed)
        let count = Int(request.getInteger(at: request.readerIndex, as: UInt32.self) ?? 0)
        let size = Int(request.getInteger(at: request.readerIndex + 4, as: UInt32.self) ?? 0)
        if writer.send(contentsOf: (0..<count).map { [UInt8](repeating: UInt8(truncatingIfNeeded: $0), count: size) }) {
            writer.finish(.ok)
        }
    }
    router.registerBidirectionalStreaming("/test.Echo/Bidi") { context, writer in
        probe.handlerCalls.wrappingIncrement(ordering: .relaxed)
        context.onCancel { probe.cancellations.wrappingIncrement(ordering: .relaxed) }
        var count: UInt32 = 0  // loop-only: both closures run on the call's event loop
        return RequestStreamHandler(
            onMessage: { message in
                count += 1
                writer.send(Array(message.readableBytesView))
            },
            onEnd: {
                writer.send([UInt8(truncatingIfNeeded: count >> 24), UInt8(truncatingIfNeeded: count >> 16), UInt8(truncatingIfNeeded: count >> 8), UInt8(truncatingIfNeeded: count)])
                writer.finish(.ok)
            }
        )
    }
    router.registerBidirectionalStreaming("/test.Echo/BidiFirst") { _, writer in
        probe.handlerCalls.wrappingIncrement(ordering: .relaxed)
        return RequestStreamHandler(
            onMessage: { message in
                writer.send(Array(message.readableBytesView))
                writer.finish(.ok)
            },
            onEnd: { writer.finish(Status(code: .internalError, message: "half-close after finish")) }
        )
    }
    router.registerBidirectionalStreaming("/test.Echo/BidiSilent") { _, writer in
        probe.handlerCalls.wrappingIncrement(ordering: .relaxed)
        return RequestStreamHandler(onMessage: { _ in }, onEnd: { writer.finish(.ok) })
    }
    router.registerServerStreaming("/test.Echo/Stream") { request, context, writer in stream(request, context, writer, false) }
    router.registerServerStreaming("/test.Echo/StreamForever") { request, context, writer in stream(request, context, writer, true) }
    return router
}

/// Runs `body` against a started server on 127.0.0.1 with an OS-chosen port; always shuts it down.
func withEchoServer<T>(
    configure: (inout RPCServerConfiguration) -> Void = { _ in },
    probe: EchoProbe = EchoProbe(),
    _ body: (RPCServer, Int, EchoProbe) async throws -> T
) async throws -> T {
    var configuration = RPCServerConfiguration()
    configuration.port = 0
    configuration.onCallFinished = { path, code, _ in probe.callFinished(path, code) }
    configure(&configuration)
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    var logger = Logger(label: "test.rpc-server")
    logger.logLevel = .warning
    let server = RPCServer(configuration: configuration, router: makeEchoRouter(probe: probe), group: group, logger: logger)
    let address = try await server.start()
    do {
        let result = try await body(server, address.port!, probe)
        await server.shutdown()
        try await group.shutdownGracefully()
        return result
    } catch {
        await server.shutdown()
        try await group.shutdownGracefully()
        throw error
    }
}
