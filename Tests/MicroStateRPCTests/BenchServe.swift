import Foundation
import Logging
import MicroStateRPC
import NIOPosix
import Testing

/// Not a test: with `MICROSTATE_BENCH_SERVE=<port>` set, serves the echo service on that port for
/// `MICROSTATE_BENCH_SECONDS` (default 60) so h2load / grpcio can be pointed at it by hand (release build).
@Test("Serves the echo service for manual benchmarks when MICROSTATE_BENCH_SERVE is set")
func benchServe() async throws {
    guard let portText = ProcessInfo.processInfo.environment["MICROSTATE_BENCH_SERVE"], let port = Int(portText) else {
        return
    }
    let seconds = Int(ProcessInfo.processInfo.environment["MICROSTATE_BENCH_SECONDS"] ?? "60") ?? 60
    var configuration = RPCServerConfiguration()
    configuration.port = port
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let server = RPCServer(
        configuration: configuration, router: makeEchoRouter(probe: EchoProbe()), group: group,
        logger: Logger(label: "bench")
    )
    _ = try await server.start()
    print("BENCH pid \(ProcessInfo.processInfo.processIdentifier) serving on \(port)")
    try await Task.sleep(for: .seconds(seconds))
    print("BENCH metrics \(server.metrics)")
    await server.shutdown()
    try await group.shutdownGracefully()
}
