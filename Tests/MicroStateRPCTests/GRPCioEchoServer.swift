import Foundation
import Testing

/// A Python grpcio server (Fixtures/echo_server.py) run as a child process: a peer nobody here wrote.
///
/// The interpreter is `$MICROSTATE_PYTHON`, else the repository's `.venv/bin/python`; tests that need it are
/// skipped (with `GRPCioEchoServer.skipReason`) when neither exists with grpcio importable.
final class GRPCioEchoServer: @unchecked Sendable {
    let port: Int
    private let process: Process
    private let stdin: Pipe

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/echo_server.py").path

    /// The interpreter with grpcio, or nil.
    static let python: String? = {
        var candidates: [String] = []
        if let fromEnvironment = ProcessInfo.processInfo.environment["MICROSTATE_PYTHON"], !fromEnvironment.isEmpty {
            candidates.append(fromEnvironment)
        }
        candidates.append(repositoryRoot.appendingPathComponent(".venv/bin/python").path)
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            let probe = Process()
            probe.executableURL = URL(fileURLWithPath: candidate)
            probe.arguments = ["-c", "import grpc"]
            probe.standardOutput = FileHandle.nullDevice
            probe.standardError = FileHandle.nullDevice
            guard (try? probe.run()) != nil else { continue }
            probe.waitUntilExit()
            if probe.terminationStatus == 0 {
                return candidate
            }
        }
        return nil
    }()

    static var isAvailable: Bool { python != nil }

    static let skipReason: Comment =
        "needs Python with grpcio: set MICROSTATE_PYTHON or run `python3 -m venv .venv && .venv/bin/pip install grpcio`"

    /// Starts the server (on `port`, or one the OS picks) and waits for it to print its port.
    init(port requestedPort: Int = 0) throws {
        guard let python = Self.python else {
            throw ServerError("no python with grpcio")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.script, "--port", String(requestedPort)]
        let stdout = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardInput = stdin
        try process.run()
        // Read the first line (the port); bounded by the pipe closing.
        var line = Data()
        while true {
            let byte = stdout.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data([UInt8(ascii: "\n")]) {
                break
            }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw ServerError("echo_server.py did not print a port (got '\(String(decoding: line, as: UTF8.self))')")
        }
        self.port = port
        self.process = process
        self.stdin = stdin
    }

    /// Stops the server (SIGKILL: like a crash, no GOAWAY) and waits for it to exit.
    func kill() {
        guard self.process.isRunning else { return }
        Foundation.kill(self.process.processIdentifier, SIGKILL)
        self.process.waitUntilExit()
    }

    deinit {
        self.kill()
    }

    struct ServerError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
