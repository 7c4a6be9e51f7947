import Atomics

/// A snapshot of an `RPCServer`'s counters.
public struct RPCServerMetrics: Sendable, Equatable {
    /// Connections open now.
    public var connectionsOpen: Int
    /// Connections accepted since start (rejected ones excluded).
    public var connectionsTotal: Int
    /// Connections closed on accept because `maxConnections` were open.
    public var connectionsRejected: Int
    /// Calls in progress (started, not finished): open gRPC streams.
    public var streamsActive: Int
    /// Calls started (every gRPC request that passed the HTTP checks, including unknown methods).
    public var callsStarted: Int
    /// Calls finished, with any status.
    public var callsFinished: Int
    /// Calls finished with a status other than OK (including cancelled ones).
    public var callsFailed: Int
}

/// The live counters (relaxed atomics: each is exact, a snapshot across them is not).
final class RPCServerCounters: Sendable {
    let connectionsOpen = ManagedAtomic<Int>(0)
    let connectionsTotal = ManagedAtomic<Int>(0)
    let connectionsRejected = ManagedAtomic<Int>(0)
    let callsStarted = ManagedAtomic<Int>(0)
    let callsFinished = ManagedAtomic<Int>(0)
    let callsFailed = ManagedAtomic<Int>(0)

    var snapshot: RPCServerMetrics {
        let finished = self.callsFinished.load(ordering: .relaxed)
        let started = self.callsStarted.load(ordering: .relaxed)
        return RPCServerMetrics(
            connectionsOpen: self.connectionsOpen.load(ordering: .relaxed),
            connectionsTotal: self.connectionsTotal.load(ordering: .relaxed),
            connectionsRejected: self.connectionsRejected.load(ordering: .relaxed),
            streamsActive: max(started - finished, 0),
            callsStarted: started,
            callsFinished: finished,
            callsFailed: self.callsFailed.load(ordering: .relaxed)
        )
    }
}
