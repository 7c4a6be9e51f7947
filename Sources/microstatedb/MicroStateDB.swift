import ArgumentParser

/// `microstatedb`: the node (`serve`) and a client for it (`put`, `get`, `del`, `range`, `txn`, `watch`).
@main
struct MicroStateDB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "microstatedb",
        abstract: "A resilient, event-sourced, in-memory database for microservices, spoken to over gRPC.",
        discussion: """
            Run a node with `microstatedb serve`; talk to it with the client subcommands or any gRPC client
            (service microstate.v1.KV, see proto/microstate/v1/kv.proto).
            """,
        subcommands: [Serve.self, Put.self, Get.self, Del.self, RangeCommand.self, Txn.self, Watch.self]
    )
}
