import NIOConcurrencyHelpers
import NIOCore

/// Unary results completed off the event loop, handed to the loop in bursts.
///
/// The log's writer thread completes a whole group commit of Puts at once (tens of calls). One `execute` per call
/// cost a task allocation, the loop's task lock and often a wake-up each; here only the call that finds the inbox
/// empty schedules a drain, and the drain completes everything queued by then, so the loop wakes once per burst and
/// its responses leave in one flush. Order per connection is kept (FIFO).
///
/// Thread-safe: `enqueue` from any thread; the drain runs on the connection's event loop.
final class ServerCompletionInbox: @unchecked Sendable {
    typealias Item = (call: ServerCall, result: Result<[UInt8], RPCError>)

    private let eventLoop: any EventLoop
    private let lock = NIOLock()
    /// Guarded by `lock`.
    private var queued: [Item] = []
    /// Loop-only: the batch being completed; swapped with `queued` so both keep their capacity.
    private var draining: [Item] = []

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Queues `result` for `call`; schedules a drain if none is pending.
    func enqueue(_ call: ServerCall, _ result: Result<[UInt8], RPCError>) {
        let first = self.lock.withLock {
            self.queued.append((call, result))
            return self.queued.count == 1
        }
        if first {
            self.eventLoop.execute { self.drain() }
        }
    }

    private func drain() {
        self.lock.withLock {
            swap(&self.queued, &self.draining)
        }
        for item in self.draining {
            item.call.completeUnary(item.result)
        }
        self.draining.removeAll(keepingCapacity: true)
    }
}
