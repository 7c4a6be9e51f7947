import MicroStateRPC
import MicroStateStore
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing

@testable import MicroStateServices

/// Counts how often a wake-up ran it.
private final class CountingTarget: PumpWakeups.Target, @unchecked Sendable {
    var runs = 0
    func run() {
        self.runs += 1
    }
}

@Suite("Live delivery: wake-up moderation and shared framing")
struct LiveDeliveryTests {
    @Test("A wake-up on an idle loop runs at once")
    func idleRunsAtOnce() {
        let loop = EmbeddedEventLoop()
        let wakeups = PumpWakeups(loop: loop, interval: .milliseconds(2), now: { loop.now })
        let target = CountingTarget()
        wakeups.wake(target)
        loop.run()
        #expect(target.runs == 1)
        loop.advanceTime(by: .milliseconds(5))  // idle for longer than the interval
        wakeups.wake(target)
        loop.run()
        #expect(target.runs == 2)
    }

    @Test("Wake-ups within the interval of the last round wait for its end and then run once together")
    func closeWakeupsShareOneRound() {
        let loop = EmbeddedEventLoop()
        let wakeups = PumpWakeups(loop: loop, interval: .milliseconds(2), now: { loop.now })
        let first = CountingTarget()
        let second = CountingTarget()
        wakeups.wake(first)
        loop.run()
        #expect(first.runs == 1)

        loop.advanceTime(by: .microseconds(500))
        wakeups.wake(first)  // a second commit, 0.5 ms after the first round
        wakeups.wake(second)
        loop.run()
        #expect(first.runs == 1 && second.runs == 0)
        loop.advanceTime(by: .microseconds(1400))  // 1.9 ms after the round: still waiting
        #expect(first.runs == 1 && second.runs == 0)
        loop.advanceTime(by: .microseconds(100))  // 2 ms: one round runs both
        #expect(first.runs == 2 && second.runs == 1)
    }

    @Test("Interval 0 runs every wake-up's round at once")
    func zeroIntervalNeverWaits() {
        let loop = EmbeddedEventLoop()
        let wakeups = PumpWakeups(loop: loop, interval: .zero, now: { loop.now })
        let target = CountingTarget()
        for expected in 1...3 {
            wakeups.wake(target)
            loop.run()
            #expect(target.runs == expected)
        }
    }

    @Test("Equal batches share one framed buffer; a different batch with the same ends does not")
    func framedBatchesAreSharedByPositions() {
        let encoded = EncodedEventCache()
        let cache = FramedBatchCache()
        func event(_ position: Int64, _ type: String = "t") -> StoreRecordedEvent {
            StoreRecordedEvent(
                stream: "s", revision: position, position: position, id: "id-\(position)", type: type, data: [1, 2, 3],
                metadata: [:], contentType: "", recordedAtMilliseconds: 0
            )
        }
        let batch = [event(10), event(11), event(12)]
        let first = cache.framed(batch, encoded)
        let again = cache.framed(batch, encoded)
        #expect(first.count == 3)
        #expect(again.buffer == first.buffer)
        // A filtered batch: same first and last position and count, different middle event.
        let other = cache.framed([event(10), event(15), event(12)], encoded)
        #expect(other.buffer != first.buffer)
        // Each message is a gRPC frame holding the event's SubscribeResponse.
        var buffer = first.buffer
        for position in [Int64(10), 11, 12] {
            #expect(buffer.readInteger(as: UInt8.self) == 0)
            let length = Int(buffer.readInteger(as: UInt32.self)!)
            let message = buffer.readBytes(length: length)!
            #expect(message == encoded.message(for: event(position)))
        }
        #expect(buffer.readableBytes == 0)
    }
}
