import Logging
import MicroStateServices
import NIOCore

extension Node {
    /// With `--upstream-registry`: the `schema_registry` destination (its policy from `destinations.schema_registry`
    /// in `--config`), the HTTP client and the mirror over `registry`, its metrics and `/status` section; started.
    /// Without: nil.
    static func startSchemaMirror(
        configuration: NodeConfiguration,
        registry: SchemaRegistryEngine,
        group: any EventLoopGroup,
        logger: Logger,
        metrics: MetricsRegistry,
        status: StatusPage,
        addDestination: (OutboundDestination) -> Void
    ) -> UpstreamRegistryMirror? {
        guard let upstream = configuration.upstreamRegistry else {
            return nil
        }
        let policy = OutboundPolicy(configuration.configFile.destinations["schema_registry"])
        let destination = OutboundDestination(name: "schema_registry", policy: policy, client: nil, logger: logger)
        addDestination(destination)
        let client = RegistryHTTPClient(url: upstream.url, group: group)
        let mirror = UpstreamRegistryMirror(
            configuration: upstream,
            upstream: HTTPUpstreamRegistry(client: client, destination: destination),
            engine: registry,
            logger: logger,
            forwardTimeout: policy.timeout
        )
        metrics.addRenderer { mirror.samples() }
        status.addSection("schema_mirror") { mirror.status }
        mirror.start()
        return mirror
    }
}
