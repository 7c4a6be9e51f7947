import MicroStateRPC
import MicroStateWire
import NIOCore
import NIOConcurrencyHelpers

/// `grpc.health.v1.Health` (https://github.com/grpc/grpc/blob/master/doc/health-checking.md).
///
/// Knows the empty service name (the whole node) and every served service. `Check` on an unknown name is
/// `NOT_FOUND`; `Watch` on one streams `SERVICE_UNKNOWN` and keeps the call open, as the spec asks, so a
/// service registered later would be reported. On shutdown the node sets everything to `NOT_SERVING`
/// before it sends GOAWAY, so load balancers drain it first.
public final class HealthService: Sendable {
    public static let serviceName = "grpc.health.v1.Health"

    /// Most Watch calls open at once; each holds a small closure, this bounds that memory.
    public static let maxWatchers = 10_000

    private struct State {
        var statuses: [String: HealthCheckResponse.ServingStatus]
        var watchers: [UInt64: Watcher] = [:]
        var nextWatcherID: UInt64 = 0
    }

    private struct Watcher {
        var service: String
        var writer: ServerStreamWriter
    }

    private let state: NIOLockedValueBox<State>

    /// - Parameter services: the served services; each starts `SERVING`, as does `""`.
    public init(services: [String]) {
        var statuses: [String: HealthCheckResponse.ServingStatus] = ["": .serving]
        for service in services {
            statuses[service] = .serving
        }
        self.state = NIOLockedValueBox(State(statuses: statuses))
    }

    /// Sets every known service (and `""`) to `status` and notifies watchers.
    public func setAll(_ status: HealthCheckResponse.ServingStatus) {
        let notify: [(ServerStreamWriter, HealthCheckResponse.ServingStatus)] = self.state.withLockedValue { state in
            for key in state.statuses.keys {
                state.statuses[key] = status
            }
            // Watchers of names the node does not serve keep seeing SERVICE_UNKNOWN.
            return state.watchers.values.filter { state.statuses[$0.service] != nil }.map { ($0.writer, status) }
        }
        for (writer, status) in notify {
            writer.send(HealthCheckResponse(status: status).wireBytes())
        }
    }

    /// The status of `service`, nil when unknown.
    public func status(of service: String) -> HealthCheckResponse.ServingStatus? {
        self.state.withLockedValue { $0.statuses[service] }
    }

    public func register(with router: RPCRouter) {
        router.registerUnary("/\(Self.serviceName)/Check") { buffer, _, responder in
            do {
                let request = try decodeRequest(HealthCheckRequest.self, from: buffer)
                guard let status = self.status(of: request.service) else {
                    return responder.fail(
                        RPCError(code: .notFound, message: "unknown service \"\(request.service)\"")
                    )
                }
                responder.succeed(HealthCheckResponse(status: status).wireBytes())
            } catch {
                responder.fail(StatusMapping.rpcError(error))
            }
        }
        router.registerServerStreaming("/\(Self.serviceName)/Watch") { buffer, context, writer in
            self.watch(buffer, context, writer)
        }
    }

    private func watch(_ buffer: ByteBuffer, _ context: ServerContext, _ writer: ServerStreamWriter) {
        let request: HealthCheckRequest
        do {
            request = try decodeRequest(HealthCheckRequest.self, from: buffer)
        } catch {
            return writer.finish(StatusMapping.rpcError(error).status)
        }
        let registered: (UInt64, HealthCheckResponse.ServingStatus)? = self.state.withLockedValue { state in
            guard state.watchers.count < Self.maxWatchers else {
                return nil
            }
            let id = state.nextWatcherID
            state.nextWatcherID += 1
            state.watchers[id] = Watcher(service: request.service, writer: writer)
            return (id, state.statuses[request.service] ?? .serviceUnknown)
        }
        guard let (id, status) = registered else {
            return writer.finish(
                Status(code: .resourceExhausted, message: "too many health watchers (limit \(Self.maxWatchers))")
            )
        }
        context.onCancel {
            _ = self.state.withLockedValue { $0.watchers.removeValue(forKey: id) }
        }
        writer.send(HealthCheckResponse(status: status).wireBytes())
    }

    /// Ends every Watch call with OK (used at the very end of shutdown, after `setAll(.notServing)`).
    public func finishWatchers() {
        let writers = self.state.withLockedValue { state in
            defer { state.watchers.removeAll() }
            return state.watchers.values.map(\.writer)
        }
        for writer in writers {
            writer.finish(.ok)
        }
    }
}
