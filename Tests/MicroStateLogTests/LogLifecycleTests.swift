@testable import MicroStateLog
import Testing

@Suite("LogLifecycle")
struct LogLifecycleTests {
    static let failure = LogError(code: .fsyncFailed, message: "test")

    @Test("Running accepts appends; closing drains then exits; closed refuses")
    func closeDrains() {
        var machine = LogLifecycle()
        #expect(machine.append() == nil)
        #expect(machine.writerPoll(pendingIsEmpty: true) == .wait)
        #expect(machine.writerPoll(pendingIsEmpty: false) == .takeBatch)
        let first = machine.closeRequested()
        #expect(first)
        let second = machine.closeRequested()
        #expect(!second, "second close is a no-op")
        #expect(machine.append()?.code == .closed)
        #expect(machine.writerPoll(pendingIsEmpty: false) == .takeBatch)
        #expect(machine.writerPoll(pendingIsEmpty: true) == .exit)
        machine.writerExited()
        #expect(machine.state == .closed)
    }

    @Test("A failure is final, is reported once, and outlives close")
    func failureIsFinal() {
        var machine = LogLifecycle()
        let report = machine.batchFailed(Self.failure)
        let again = machine.batchFailed(Self.failure)
        #expect(report)
        #expect(!again, "reported once")
        #expect(machine.append() == Self.failure)
        #expect(machine.writerPoll(pendingIsEmpty: false) == .exit, "never write after a failure")
        let late = machine.handlerInstalled()
        #expect(late == nil)
        _ = machine.closeRequested()
        machine.writerExited()
        #expect(machine.append() == Self.failure)
    }

    @Test("A failure with no handler is reported when a handler is installed")
    func lateHandler() {
        var machine = LogLifecycle()
        _ = machine.batchFailed(Self.failure)
        machine.fatalUnreported()
        let first = machine.handlerInstalled()
        let second = machine.handlerInstalled()
        #expect(first == Self.failure)
        #expect(second == nil)
    }
}
