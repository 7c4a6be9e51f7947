import Atomics
import Logging
import MicroStateNode
import MicroStateResilience
import MicroStateRPC
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

/// A gRPC server whose `/t.S/Flaky` fails with UNAVAILABLE for its first `failures` calls, and `/t.S/Slow` answers
/// after `delay`.
private final class FlakyServer: Sendable {
    let calls = ManagedAtomic<Int>(0)
    let failures: Int
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let server: RPCServer

    init(failures: Int, delay: TimeAmount = .milliseconds(300)) {
        self.failures = failures
        let router = RPCRouter()
        let calls = self.calls
        router.registerUnary("/t.S/Flaky") { request, _, responder in
            if calls.loadThenWrappingIncrement(ordering: .relaxed) < failures {
                responder.fail(RPCError(code: .unavailable, message: "not yet"))
            } else {
                responder.succeed(Array(buffer: request))
            }
        }
        router.registerUnary("/t.S/Slow") { request, context, responder in
            calls.wrappingIncrement(ordering: .relaxed)
            context.eventLoop.scheduleTask(in: delay) { responder.succeed(Array(buffer: request)) }
        }
        var configuration = RPCServerConfiguration()
        configuration.port = 0
        self.server = RPCServer(configuration: configuration, router: router, group: self.group, logger: Logger(label: "t"))
    }

    func start() async throws -> Int {
        try await self.server.start().port!
    }

    func stop() async {
        await self.server.shutdown()
        try? await self.group.shutdownGracefully()
    }
}

@Suite("Outbound calls through a destination's resilience policy", .serialized)
struct OutboundDestinationTests {
    private static func clock(_ clock: ManagedAtomic<UInt64>?) -> @Sendable () -> UInt64 {
        if let clock {
            return { clock.load(ordering: .relaxed) }
        }
        return { NIODeadline.now().uptimeNanoseconds }
    }

    private func withDestination(
        failures: Int,
        policy: OutboundPolicy,
        clock: ManagedAtomic<UInt64>? = nil,
        _ body: (OutboundDestination, FlakyServer) async throws -> Void
    ) async throws {
        let server = FlakyServer(failures: failures)
        let port = try await server.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = RPCClient(configuration: RPCClientConfiguration(host: "127.0.0.1", port: port), group: group)
        let destination = OutboundDestination(
            name: "test", policy: policy, client: client, logger: Logger(label: "t"),
            now: Self.clock(clock),
            random: { 0.5 },
            sleep: { _ in }
        )
        try await body(destination, server)
        await client.close()
        try? await group.shutdownGracefully()
        await server.stop()
    }

    @Test("An idempotent call is retried on UNAVAILABLE until it succeeds")
    func retriesIdempotent() async throws {
        try await self.withDestination(failures: 2, policy: OutboundPolicy()) { destination, server in
            let reply = try await destination.unary(path: "/t.S/Flaky", request: [7], idempotent: true)
            #expect(reply == [7])
            #expect(server.calls.load(ordering: .relaxed) == 3)
        }
    }

    @Test("A call not marked idempotent is never retried")
    func noRetryWhenNotIdempotent() async throws {
        try await self.withDestination(failures: 2, policy: OutboundPolicy()) { destination, server in
            await #expect(throws: RPCError.self) {
                _ = try await destination.unary(path: "/t.S/Flaky", request: [7], idempotent: false)
            }
            #expect(server.calls.load(ordering: .relaxed) == 1)
        }
    }

    @Test("After enough failures the breaker opens and calls fail fast without reaching the server; after the wait a trial goes through")
    func breakerOpens() async throws {
        var policy = OutboundPolicy()
        policy.retry = nil
        policy.breaker.slidingWindow = .countBased(size: 4)
        policy.breaker.minimumNumberOfCalls = 4
        policy.breaker.permittedNumberOfCallsInHalfOpenState = 1
        policy.breaker.waitDurationInOpenState = .fixed(nanoseconds: 5_000_000_000)
        let clock = ManagedAtomic<UInt64>(1_000_000_000)
        try await self.withDestination(failures: 4, policy: policy, clock: clock) { destination, server in
            for _ in 0..<4 {
                _ = try? await destination.unary(path: "/t.S/Flaky", request: [1], idempotent: true)
            }
            #expect(destination.state == .open)
            let error = await #expect(throws: RPCError.self) {
                _ = try await destination.unary(path: "/t.S/Flaky", request: [1], idempotent: true)
            }
            #expect(error?.code == .unavailable && error?.message.contains("circuit breaker OPEN") == true)
            #expect(server.calls.load(ordering: .relaxed) == 4, "refused calls never reach the server")
            clock.wrappingIncrement(by: 6_000_000_000, ordering: .relaxed)
            let trial = try await destination.unary(path: "/t.S/Flaky", request: [2], idempotent: true)
            #expect(trial == [2])
            #expect(destination.state == .closed)
            let status = destination.status
            #expect((status["circuit_breaker"] as? [String: any Sendable])?["state"] as? String == "CLOSED")
        }
    }

    @Test("Beyond maxConcurrentCalls a call fails fast with RESOURCE_EXHAUSTED")
    func bulkhead() async throws {
        var policy = OutboundPolicy()
        policy.maxConcurrentCalls = 1
        try await self.withDestination(failures: 0, policy: policy) { destination, _ in
            async let slow = destination.unary(path: "/t.S/Slow", request: [1], idempotent: true)
            try await Task.sleep(nanoseconds: 50_000_000)
            let error = await #expect(throws: RPCError.self) {
                _ = try await destination.unary(path: "/t.S/Slow", request: [2], idempotent: true)
            }
            #expect(error?.code == .resourceExhausted)
            let first = try await slow
            #expect(first == [1])
        }
    }

    @Test("The outbound timeout is what is left of the caller's deadline")
    func deadlinePropagation() async throws {
        try await self.withDestination(failures: 0, policy: OutboundPolicy()) { destination, _ in
            let started = NIODeadline.now()
            let error = await #expect(throws: RPCError.self) {
                _ = try await destination.unary(
                    path: "/t.S/Slow", request: [1], idempotent: false, deadline: .now() + .milliseconds(80)
                )
            }
            #expect(error?.code == .deadlineExceeded)
            #expect(NIODeadline.now() - started < .milliseconds(280), "did not wait for the 300 ms reply")
        }
    }

    @Test("The file's settings reach the policy")
    func policyFromFile() throws {
        let file = try ConfigFile.parse("""
            destinations:
              otlp:
                timeout_ms: 1500
                max_concurrent_calls: 3
                circuit_breaker: {sliding_window_type: time_based, sliding_window_size: 30, minimum_number_of_calls: 5,
                                  wait_duration_in_open_state_ms: 2000, record_codes: [UNAVAILABLE], enabled: true}
                retry: {max_attempts: 1}
            """)
        let policy = OutboundPolicy(file.destinations["otlp"])
        #expect(policy.timeout == .milliseconds(1500) && policy.maxConcurrentCalls == 3)
        #expect(policy.breaker.slidingWindow == .timeBased(seconds: 30) && policy.breaker.minimumNumberOfCalls == 5)
        #expect(policy.breaker.waitDurationInOpenState == .fixed(nanoseconds: 2_000_000_000))
        #expect(policy.breaker.failureCodes == [14])
        #expect(policy.retry == nil)
    }
}
