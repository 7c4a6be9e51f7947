// swift-tools-version:6.0
//
// MicroStateDB: layers point one way (see docs/architecture.md). Only three Swift modules touch C:
// MicroStateHTTP2 (nghttp2), MicroStateWire (protobuf-c and the protoc-c output in Generated/) and
// MicroStateCompression (zstd, for the event archive; ADR 0004). The bench alone links CMallocCounter, a malloc
// counting shim for its allocation figures.
import PackageDescription

let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
]
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let atomics: Target.Dependency = .product(name: "Atomics", package: "swift-atomics")

/// protoc-c names a service struct's function pointers after the RPCs without escaping C keywords:
/// `SchemaRegistry.Register` becomes the member `void (*register)(...)`, which no C parser accepts. The generated
/// files stay exactly as protoc-c writes them (CI compares them); the keyword is renamed around them instead: for
/// Swift importers by the module's header (Generated/MicroStateProtos.h, from scripts/gen-proto.sh), for the C
/// target's own files here. Nothing uses the service structs.
let protoKeywordFix: [CSetting] = [.define("register", to: "protoc_c_register_")]

/// Exclusivity checks cost ~5% of server CPU per request on the hot path (measured, see
/// ../shared/notes); the hot-path modules are written without overlapping accesses.
let hotPath: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "MicroStateDB",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "microstatedb", targets: ["microstatedb"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // C at the edge.
        .systemLibrary(
            name: "CNGHTTP2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        .systemLibrary(
            name: "CProtobufC",
            pkgConfig: "libprotobuf-c",
            providers: [.apt(["libprotobuf-c-dev"])]
        ),
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        // protoc-c output, committed; regenerate with `make proto`.
        .target(
            name: "MicroStateProtos",
            dependencies: ["CProtobufC"],
            path: "Generated",
            // Only its bytes are compiled in, as Generated/descriptor_set.c (scripts/gen-proto.sh).
            exclude: ["descriptors.binpb"],
            publicHeadersPath: ".",
            cSettings: protoKeywordFix
        ),

        // Wire mapping: Swift value types <-> protobuf-c. The only Swift module importing Generated/.
        .target(
            name: "MicroStateWire",
            dependencies: ["MicroStateProtos", "CProtobufC"],
            swiftSettings: hotPath
        ),

        // zstd behind one small API (Zstd.compress/decompress). The only Swift module importing libzstd.
        .target(name: "MicroStateCompression", dependencies: ["CZstd"]),

        // Engine: durable log (segments, CRC32C, group commit, snapshots, event archive) and the MVCC store on top.
        .target(name: "MicroStateLog", dependencies: ["MicroStateCompression", atomics, logging]),
        .target(
            name: "MicroStateStore",
            dependencies: ["MicroStateLog", atomics, .product(name: "DequeModule", package: "swift-collections")],
            swiftSettings: hotPath
        ),

        // Schema registry's pure parts: compatibility levels and the per-type checkers (issue #5). No I/O.
        .target(name: "MicroStateSchema"),

        // HTTP/2 transport over nghttp2 + NIO. The only Swift module importing nghttp2.
        .target(name: "MicroStateHTTP2", dependencies: ["CNGHTTP2", logging, atomics] + nio, swiftSettings: hotPath),
        // gRPC protocol: framing, status, metadata, deadlines, router, server and client. No HTTP/2 here.
        .target(
            name: "MicroStateRPC",
            dependencies: [
                "MicroStateHTTP2", "MicroStateResilience", logging, atomics,
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ] + nio,
            swiftSettings: hotPath
        ),

        // Tracing: W3C/B3 propagation, sampling, span per RPC (a ServerInterceptor), batched OTLP/gRPC export.
        .target(
            name: "MicroStateTracing",
            dependencies: [
                "MicroStateRPC", "MicroStateWire", logging, atomics,
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // Client and server resilience as pure state machines (circuit breaker, retry, throttle, deadlines,
        // bulkhead, load shedding); stdlib only, driven by the RPC layer with its own clock.
        .target(name: "MicroStateResilience", swiftSettings: hotPath),

        // Thin service adapters: KV and Health.
        .target(
            name: "MicroStateServices",
            dependencies: [
                "MicroStateRPC", "MicroStateWire", "MicroStateStore", logging,
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ] + nio,
            swiftSettings: hotPath
        ),
        // Composition root as a library, so tests can start a real node on port 0.
        .target(
            name: "MicroStateNode",
            dependencies: [
                "MicroStateServices", "MicroStateRPC", "MicroStateStore", "MicroStateLog", "MicroStateWire",
                "MicroStateResilience", "MicroStateTracing", logging, atomics,
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ] + nio,
            swiftSettings: hotPath
        ),
        .executableTarget(
            name: "microstatedb",
            dependencies: [
                "MicroStateNode", "MicroStateRPC", "MicroStateWire", "MicroStateTracing", logging,
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ] + nio
        ),
        // In-process figures for `make bench` (store, WAL, recovery, RSS); not a test.
        .executableTarget(
            name: "microstatedb-bench",
            dependencies: [
                "MicroStateNode", "MicroStateStore", "MicroStateLog", "MicroStateRPC", "MicroStateWire",
                "MicroStateResilience", "CMallocCounter", "MicroStateSchema",
            ] + nio
        ),
        // Counts malloc calls for the bench's allocations-per-decision figures (interposes malloc in the bench only).
        .target(name: "CMallocCounter"),

        .testTarget(name: "MicroStateWireTests", dependencies: ["MicroStateWire"]),
        .testTarget(
            name: "MicroStateTracingTests",
            dependencies: ["MicroStateTracing", "MicroStateRPC", "MicroStateWire", "MicroStateProtos", "CProtobufC"] + nio
                + [.product(name: "NIOEmbedded", package: "swift-nio")]
        ),
        .testTarget(name: "MicroStateCompressionTests", dependencies: ["MicroStateCompression"]),
        .testTarget(name: "MicroStateSchemaTests", dependencies: ["MicroStateSchema"]),
        .testTarget(name: "MicroStateLogTests", dependencies: ["MicroStateLog", "MicroStateCompression"]),
        .testTarget(name: "MicroStateStoreTests", dependencies: ["MicroStateStore", "MicroStateLog"]),
        .testTarget(name: "MicroStateResilienceTests", dependencies: ["MicroStateResilience"]),
        .testTarget(name: "MicroStateHTTP2Tests", dependencies: ["MicroStateHTTP2"] + nio),
        .testTarget(
            name: "MicroStateRPCTests",
            dependencies: ["MicroStateRPC", "MicroStateHTTP2"] + nio,
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "MicroStateNodeTests",
            dependencies: [
                "MicroStateNode", "MicroStateServices", "MicroStateRPC", "MicroStateWire", "MicroStateStore",
                "MicroStateResilience", "MicroStateTracing",
            ] + nio
        ),
    ]
)
