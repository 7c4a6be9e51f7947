// `microstatedb-bench breaker`: the cost of one circuit-breaker decision (tryAcquirePermission + onResult) on a
// CLOSED breaker, with a count window and with a time window, and the allocations it makes.
//
// Allocations are counted, not estimated: the CMallocCounter target interposes malloc and friends in this binary
// and counts every call in the process (frees are not counted). A self-check allocates a fresh array between two
// readings and prints whether the counter saw it, so a silent 0 cannot pass for "allocation-free".
import CMallocCounter
import Dispatch
import Foundation
import MicroStateResilience

/// Drives `iterations` decisions: one acquire and one result each, a failure (UNAVAILABLE) every 8th call (12.5 %,
/// below the 50 % threshold, so the breaker stays CLOSED and every event takes the full recording path), the clock
/// advancing 1 µs per call (a time window rolls a bucket every 10^6 calls).
@inline(never)
func runBreakerDecisions(_ breaker: inout CircuitBreaker, iterations: Int, start: UInt64) -> (Int, Int) {
    var permitted = 0
    var actions = 0
    var now = start
    for index in 0..<iterations {
        let decision = breaker.tryAcquirePermission(now: now)
        if decision.isPermitted {
            permitted &+= 1
        }
        let code = index & 7 == 0 ? 14 : 0
        if breaker.onResult(code: code, duration: 50_000, now: now &+ 500) != .none {
            actions &+= 1
        }
        now &+= 1_000
    }
    return (permitted, actions)
}

@inline(never)
func runSharedBreakerDecisions(_ breaker: SharedCircuitBreaker, iterations: Int, start: UInt64) -> Int {
    var permitted = 0
    var now = start
    for index in 0..<iterations {
        if breaker.tryAcquirePermission(now: now).isPermitted {
            permitted &+= 1
        }
        _ = breaker.onResult(code: index & 7 == 0 ? 14 : 0, duration: 50_000, now: now &+ 500)
        now &+= 1_000
    }
    return permitted
}

func breakerFigures() {
    let iterations = Int(ProcessInfo.processInfo.environment["BENCH_BREAKER_ITERATIONS"] ?? "") ?? 10_000_000

    // Counter self-check: 1000 fresh heap arrays must be seen.
    let probeBefore = microstate_malloc_count()
    var probes: [[Int]] = []
    probes.reserveCapacity(1000)
    for index in 0..<1000 {
        probes.append([Int](repeating: index, count: 16 + index & 7))
    }
    let counterWorks = microstate_malloc_count() - probeBefore >= 1000
    withExtendedLifetime(probes) {}

    let windows: [(String, CircuitBreakerSlidingWindow)] = [
        ("count window 100", .countBased(size: 100)),
        ("time window 60 s", .timeBased(seconds: 60)),
    ]
    for (name, window) in windows {
        var configuration = CircuitBreakerConfiguration()
        configuration.slidingWindow = window
        var breaker = CircuitBreaker(configuration: configuration, now: 0, random: { 0.5 })
        _ = runBreakerDecisions(&breaker, iterations: 100_000, start: 0)  // warm-up
        let mallocsBefore = microstate_malloc_count()
        let startTime = DispatchTime.now().uptimeNanoseconds
        let (permitted, actions) = runBreakerDecisions(&breaker, iterations: iterations, start: 1_000_000_000_000)
        let elapsed = DispatchTime.now().uptimeNanoseconds - startTime
        let mallocs = microstate_malloc_count() - mallocsBefore
        precondition(permitted == iterations && actions == 0 && breaker.state == .closed, "breaker left CLOSED")
        line(
            "breaker decision, \(name)",
            String(format: "%.1f ns (acquire + onResult, %d M decisions)",
                   Double(elapsed) / Double(iterations), iterations / 1_000_000),
            "<= 100 ns"
        )
        line(
            "breaker allocations/decision, \(name.prefix(12))",
            counterWorks
                ? String(format: "%.6f (%llu mallocs in %d decisions)",
                         Double(mallocs) / Double(iterations), mallocs, iterations)
                : "not measured (malloc counter unavailable on this platform)",
            "0"
        )
    }

    // The same decisions through the mutex of SharedCircuitBreaker (uncontended: one thread).
    var configuration = CircuitBreakerConfiguration()
    configuration.slidingWindow = .countBased(size: 100)
    let shared = SharedCircuitBreaker(CircuitBreaker(configuration: configuration, now: 0, random: { 0.5 }))
    _ = runSharedBreakerDecisions(shared, iterations: 100_000, start: 0)
    let mallocsBefore = microstate_malloc_count()
    let startTime = DispatchTime.now().uptimeNanoseconds
    let permitted = runSharedBreakerDecisions(shared, iterations: iterations, start: 1_000_000_000_000)
    let elapsed = DispatchTime.now().uptimeNanoseconds - startTime
    let mallocs = microstate_malloc_count() - mallocsBefore
    precondition(permitted == iterations && shared.state == .closed, "shared breaker left CLOSED")
    line(
        "breaker decision, shared (mutex, 1 thread)",
        String(format: "%.1f ns, %.6f allocations/decision", Double(elapsed) / Double(iterations),
               Double(mallocs) / Double(iterations))
    )
}
