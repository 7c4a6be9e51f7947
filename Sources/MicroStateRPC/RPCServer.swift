import Logging
import MicroStateHTTP2
import NIOCore
import NIOPosix

/// A gRPC server over h2c (HTTP/2 with prior knowledge, as service-mesh sidecars and every gRPC client speak
/// it on plaintext ports), serving the methods of an `RPCRouter`.
///
/// - Important: call `shutdown()` before dropping the server or its event loop group.
public final class RPCServer: Sendable {
    private final class State {
        var channel: (any Channel)?
        var connections: [ObjectIdentifier: (handler: HTTP2ServerConnectionHandler, channel: any Channel)] = [:]
        var shuttingDown = false
    }

    public let configuration: RPCServerConfiguration
    private let router: RPCRouter
    private let group: any EventLoopGroup
    private let logger: Logger
    private let counters = RPCServerCounters()
    private let admissions: CallAdmissions?
    /// Server-wide state lives on one loop; connections register there (once per connection, not per call).
    private let stateLoop: any EventLoop
    private let state: NIOLoopBoundBox<State>

    public init(configuration: RPCServerConfiguration, router: RPCRouter, group: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.router = router
        self.group = group
        self.logger = logger
        self.stateLoop = group.next()
        self.state = NIOLoopBoundBox.makeBoxSendingValue(State(), eventLoop: self.stateLoop)
        self.admissions = configuration.loadShedding.map {
            CallAdmissions(configuration: $0, loops: Array(group.makeIterator()).count)
        }
    }

    /// Load shedding counters now; nil when shedding is off.
    public var loadShedding: LoadSheddingMetrics? { self.admissions?.counters.snapshot }

    /// The server's counters now.
    public var metrics: RPCServerMetrics { self.counters.snapshot }

    /// Binds and starts accepting connections; returns the bound address (port 0 gets an OS-chosen port).
    public func start() async throws -> SocketAddress {
        let bootstrap = ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                self.initializeConnection(channel)
            }
        let channel = try await bootstrap.bind(host: self.configuration.host, port: self.configuration.port).get()
        try await self.stateLoop.submit { self.state.value.channel = channel }.get()
        self.logger.info("gRPC server listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
        return channel.localAddress!
    }

    private func initializeConnection(_ channel: any Channel) -> EventLoopFuture<Void> {
        let open = self.counters.connectionsOpen.loadThenWrappingIncrement(ordering: .relaxed)
        if open >= self.configuration.maxConnections {
            self.counters.connectionsOpen.wrappingDecrement(ordering: .relaxed)
            self.counters.connectionsRejected.wrappingIncrement(ordering: .relaxed)
            self.logger.debug("connection limit reached, closing new connection")
            return channel.close()
        }
        self.counters.connectionsTotal.wrappingIncrement(ordering: .relaxed)
        let counters = self.counters
        channel.closeFuture.whenComplete { _ in
            counters.connectionsOpen.wrappingDecrement(ordering: .relaxed)
        }
        return channel.eventLoop.makeCompletedFuture {
            let connection = RPCServerConnection(
                configuration: self.configuration, router: self.router, counters: self.counters,
                eventLoop: channel.eventLoop, remoteAddress: channel.remoteAddress,
                localAddress: channel.localAddress,
                admission: self.admissions?.admission(for: channel.eventLoop)
            )
            let handler = HTTP2ServerConnectionHandler(
                configuration: self.configuration.http2Configuration, eventLoop: channel.eventLoop,
                delegate: connection, logger: self.logger
            )
            try channel.pipeline.syncOperations.addHandler(handler)
            self.register(handler, channel)
        }
    }

    private func register(_ handler: HTTP2ServerConnectionHandler, _ channel: any Channel) {
        let id = ObjectIdentifier(handler)
        let grace = self.configuration.shutdownGracePeriod
        self.stateLoop.execute {
            let state = self.state.value
            state.connections[id] = (handler, channel)
            if state.shuttingDown {
                channel.eventLoop.execute { handler.initiateGracefulShutdown(gracePeriod: grace) }
            }
        }
        channel.closeFuture.whenComplete { _ in
            self.stateLoop.execute { self.state.value.connections[id] = nil }
        }
    }

    /// Stops accepting, sends GOAWAY, lets in-flight calls finish (up to shutdownGracePeriod, then cancels them),
    /// closes.
    public func shutdown() async {
        let (listener, connections) = try! await self.stateLoop.submit {
            let state = self.state.value
            state.shuttingDown = true
            let listener = state.channel
            state.channel = nil
            return (listener, Array(state.connections.values))
        }.get()
        try? await listener?.close()
        let grace = self.configuration.shutdownGracePeriod
        for connection in connections {
            connection.channel.eventLoop.execute {
                connection.handler.initiateGracefulShutdown(gracePeriod: grace)
            }
        }
        for connection in connections {
            try? await connection.channel.closeFuture.get()
        }
        // Connections accepted while the listener was closing registered after the snapshot; they were told to
        // shut down at registration. Wait for those too.
        let late = try! await self.stateLoop.submit { Array(self.state.value.connections.values) }.get()
        for connection in late {
            try? await connection.channel.closeFuture.get()
        }
        self.logger.info("gRPC server stopped")
    }
}
