import Foundation
import Logging
import MicroStateLog
import MicroStateNode
import MicroStateRPC
import MicroStateWire
import NIOCore
import NIOPosix

/// A node on loopback with OS-chosen ports and a client connected to it.
struct RunningNode {
    let node: Node
    let addresses: Node.Addresses
    let client: RPCClient
    let group: MultiThreadedEventLoopGroup

    static func start(
        fileSystem: any FileSystem = PosixFileSystem(),
        onFatalError: @escaping @Sendable (String) -> Void = { _ in },
        _ configure: (inout NodeConfiguration) -> Void = { _ in }
    ) async throws -> RunningNode {
        var config = NodeConfiguration()
        config.listenPort = 0
        config.adminPort = 0
        config.durability = .memory
        config.threads = 1
        configure(&config)
        var logger = Logger(label: "test-node")
        logger.logLevel = .warning
        let node = Node(configuration: config, logger: logger, fileSystem: fileSystem, onFatalError: onFatalError)
        let addresses = try await node.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = RPCClient(
            configuration: RPCClientConfiguration(host: "127.0.0.1", port: addresses.grpc.port!),
            group: group
        )
        return RunningNode(node: node, addresses: addresses, client: client, group: group)
    }

    func stop() async {
        await self.client.close()
        try? await self.group.shutdownGracefully()
        await self.node.shutdown()
    }

    func call<Request: WireMessage, Response: WireMessage>(
        _ method: String,
        _ request: Request,
        as: Response.Type = Response.self
    ) async throws -> Response {
        let bytes = try await self.client.unary(
            path: "/microstate.v1.KV/\(method)",
            request: request.wireBytes(),
            timeout: .seconds(10)
        )
        return try Response(wireBytes: bytes)
    }

    func put(_ key: String, _ value: String, expectedRevision: Int64? = nil) async throws -> PutResponse {
        try await self.call(
            "Put",
            PutRequest(key: Array(key.utf8), value: Array(value.utf8), expectedRevision: expectedRevision)
        )
    }

    func get(_ key: String, revision: Int64 = 0) async throws -> GetResponse {
        try await self.call("Get", GetRequest(key: Array(key.utf8), revision: revision))
    }

    /// POST (without a body) on the admin port; returns (status line, body).
    func post(_ path: String) throws -> (String, String) {
        try self.admin(path, method: "POST")
    }

    /// GET on the admin port over a plain socket; returns (status line, body).
    func admin(_ path: String, method: String = "GET") throws -> (String, String) {
        let port = self.addresses.admin!.port!
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        precondition(connected == 0, "cannot connect to the admin port")
        let request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 {
                break
            }
            response += buffer[0..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        let statusLine = parts.first?.components(separatedBy: "\r\n").first ?? ""
        return (statusLine, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }
}

func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "microstatedb-node-test-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
