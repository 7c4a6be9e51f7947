import Testing

@testable import MicroStateResilience

private let millisecond: UInt64 = 1_000_000

private func small() -> LoadShedderConfiguration {
    var configuration = LoadShedderConfiguration()
    configuration.maxInFlight = 4
    configuration.maxQueueLength = 8
    configuration.maxQueueTime = 100 * millisecond
    return configuration
}

@Suite("Load shedder")
struct LoadShedderTests {
    @Test("A flood is admitted up to the limit, queued up to the bound and the rest shed with pushback")
    func flood() {
        var shedder = LoadShedder(configuration: small())
        var admissions: [LoadShedderAdmission] = []
        for _ in 0..<20 {
            admissions.append(shedder.arrive(now: 0))
        }
        #expect(admissions.prefix(4).allSatisfy { $0 == .admit })
        let tickets = (1...8).map { LoadShedderAdmission.queue(LoadShedderTicket(id: UInt64($0))) }
        #expect(Array(admissions[4..<12]) == tickets)
        // No service time yet: maxQueueTime · (8 queued + 1) / 4 in flight = 225 ms.
        #expect(admissions.suffix(8).allSatisfy { $0 == .reject(pushbackMilliseconds: 225) })
        #expect(shedder.admitted == 4)
        #expect(shedder.queued == 8)
        #expect(shedder.shed == 8)
        #expect(shedder.inFlight == 4)
        #expect(shedder.queueLength == 8)
        #expect(shedder.nextAction(now: 0) == nil)  // no free slot, nothing expired
    }

    @Test("A finished call starts the oldest queued call; queued calls time out in FIFO order")
    func startAndTimeOut() {
        var shedder = LoadShedder(configuration: small())
        for _ in 0..<12 {
            _ = shedder.arrive(now: 0)
        }
        shedder.finish(serviceTime: 20 * millisecond)
        #expect(shedder.nextAction(now: 10 * millisecond) == .start(LoadShedderTicket(id: 1)))
        #expect(shedder.nextAction(now: 10 * millisecond) == nil)
        #expect(shedder.nextExpiry == 100 * millisecond)
        #expect(shedder.nextAction(now: 100 * millisecond - 1) == nil)
        var timedOut: [UInt64] = []
        while case .timeOut(let ticket)? = shedder.nextAction(now: 100 * millisecond) {
            timedOut.append(ticket.id)
        }
        #expect(timedOut == Array(2...8))
        #expect(shedder.timedOut == 7)
        #expect(shedder.startedFromQueue == 1)
        #expect(shedder.queueLength == 0)
        #expect(shedder.nextExpiry == nil)
    }

    @Test("A newcomer never overtakes a queued call, even with a free slot")
    func fifo() {
        var shedder = LoadShedder(configuration: small())
        for _ in 0..<5 {
            _ = shedder.arrive(now: 0)
        }
        shedder.finish(serviceTime: millisecond)
        #expect(shedder.arrive(now: 1) == .queue(LoadShedderTicket(id: 2)))
        #expect(shedder.nextAction(now: 1) == .start(LoadShedderTicket(id: 1)))
    }

    @Test("The pushback follows the observed service time and the queue length, within its bounds")
    func pushback() {
        var shedder = LoadShedder(configuration: small())
        for _ in 0..<12 {
            _ = shedder.arrive(now: 0)
        }
        shedder.finish(serviceTime: 40 * millisecond)
        _ = shedder.nextAction(now: 0)  // queue 7 → start one
        _ = shedder.arrive(now: 0)  // queue back to 8
        // 40 ms · (8 + 1) / 4 = 90 ms.
        #expect(shedder.arrive(now: 0) == .reject(pushbackMilliseconds: 90))
        // Smoothed: 40 + (200 − 40) / 8 = 60 ms → 135 ms.
        shedder.finish(serviceTime: 200 * millisecond)
        _ = shedder.nextAction(now: 0)
        _ = shedder.arrive(now: 0)
        #expect(shedder.serviceTimeEstimate == 60 * millisecond)
        #expect(shedder.arrive(now: 0) == .reject(pushbackMilliseconds: 135))
        // Clamped to [min, max].
        var fast = small()
        fast.maxQueueLength = 0
        var quick = LoadShedder(configuration: fast)
        for _ in 0..<4 {
            _ = quick.arrive(now: 0)
        }
        quick.finish(serviceTime: 1000)
        _ = quick.arrive(now: 0)
        #expect(quick.arrive(now: 0) == .reject(pushbackMilliseconds: 10))
        quick.finish(serviceTime: 1_000_000 * millisecond)
        quick.finish(serviceTime: 1_000_000 * millisecond)
        _ = quick.arrive(now: 0)
        _ = quick.arrive(now: 0)
        #expect(quick.arrive(now: 0) == .reject(pushbackMilliseconds: 1000))
    }

    @Test("Without a queue every call beyond the limit is shed at once")
    func noQueue() {
        var configuration = small()
        configuration.maxQueueLength = 0
        var shedder = LoadShedder(configuration: configuration)
        let admissions = (0..<6).map { _ in shedder.arrive(now: 0) }
        #expect(admissions.filter { $0 == .admit }.count == 4)
        #expect(shedder.shed == 2)
        #expect(shedder.queued == 0)
    }

    @Test("A cancelled queued call leaves the queue and keeps the others in order")
    func cancel() {
        var shedder = LoadShedder(configuration: small())
        for _ in 0..<8 {
            _ = shedder.arrive(now: 0)
        }
        #expect(shedder.cancel(LoadShedderTicket(id: 2)) == true)
        #expect(shedder.cancel(LoadShedderTicket(id: 2)) == false)
        #expect(shedder.cancel(LoadShedderTicket(id: 99)) == false)
        #expect(shedder.queueLength == 3)
        #expect(shedder.cancelled == 1)
        var started: [UInt64] = []
        for _ in 0..<4 {
            shedder.finish(serviceTime: 1)
            if case .start(let ticket)? = shedder.nextAction(now: 1) {
                started.append(ticket.id)
            }
        }
        #expect(started == [1, 3, 4])
        #expect(shedder.nextAction(now: 1) == nil)
    }

    @Test("The queue ring wraps around without losing order")
    func wraparound() {
        var configuration = small()
        configuration.maxInFlight = 1
        configuration.maxQueueLength = 3
        var shedder = LoadShedder(configuration: configuration)
        _ = shedder.arrive(now: 0)
        var expected: UInt64 = 1
        for round in 0..<10 {
            while case .queue = shedder.arrive(now: 0) {}
            for _ in 0..<3 {
                shedder.finish(serviceTime: 1)
                #expect(shedder.nextAction(now: 0) == .start(LoadShedderTicket(id: expected)), "round \(round)")
                expected += 1
            }
        }
        #expect(shedder.shed == 10)
    }
}
