import ArgumentParser

/// `microstatedb`: the node (`serve`) and a client for it (`put`, `get`, `del`, `range`, `txn`, `watch`, `append`,
/// `read`, `subscribe`, `stream-meta`).
@main
struct MicroStateDB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "microstatedb",
        abstract: "A resilient, event-sourced, in-memory database for microservices, spoken to over gRPC.",
        discussion: """
            Run a node with `microstatedb serve`; talk to it with the client subcommands or any gRPC client
            (services microstate.v1.KV, microstate.v1.EventStream and microstate.v1.SchemaRegistry, see proto/microstate/v1/).
            """,
        subcommands: [
            Serve.self, Put.self, Get.self, Del.self, RangeCommand.self, Txn.self, Watch.self,
            Append.self, ReadCommand.self, Subscribe.self, StreamMeta.self, SchemaCommand.self,
        ]
    )
}
