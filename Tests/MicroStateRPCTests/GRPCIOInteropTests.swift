import Foundation
import Testing

/// The interop check with a client nobody here wrote: Python `grpcio` from the worktree's `.venv`
/// (`python3 -m venv .venv && .venv/bin/pip install grpcio`). Skipped when the venv is missing; the lead's pytest
/// suite covers grpcio in CI.
@Suite("grpcio interop", .serialized)
struct GRPCIOInteropTests {
    static var python: String? {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(".venv/bin/python").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return nil
    }

    @Test("A stock grpcio client passes every check against the server", .enabled(if: python != nil))
    func grpcioClient() async throws {
        try await withEchoServer { _, port, _ in
            let scriptURL = FileManager.default.temporaryDirectory.appendingPathComponent("grpcio_client_\(port).py")
            try Self.script.write(to: scriptURL, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: scriptURL) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.python!)
            process.arguments = [scriptURL.path, String(port)]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            // Read while it runs (a full pipe would block it), off the cooperative pool.
            let text = await Task.detached { String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }.value
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(text)")
            #expect(text.contains("grpcio: 0 failed"), "\(text)")
        }
    }

    static let script = #"""
"""Stock grpcio client against the test echo service; prints one line per check, exits non-zero on failure.

Usage: grpcio_client.py PORT
"""
import struct
import sys

import grpc

port = sys.argv[1]
failures = 0


def check(name, ok, detail=""):
    global failures
    print(("PASS " if ok else "FAIL ") + name + (" " + detail if detail else ""), flush=True)
    if not ok:
        failures += 1


with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
    unary = channel.unary_unary("/test.Echo/Unary")
    check("unary echo", unary(b"hello grpcio", timeout=5) == b"hello grpcio")
    check("unary empty message", unary(b"", timeout=5) == b"")
    big = bytes(range(256)) * 4096  # 1 MiB
    check("unary 1 MiB echo", unary(big, timeout=10) == big)
    offloop = channel.unary_unary("/test.Echo/OffLoop")
    check("unary completed off the loop", offloop(b"x" * 100, timeout=5) == b"x" * 100)
    futures = [unary.future(str(i).encode(), timeout=10) for i in range(200)]
    check("200 concurrent unary calls", all(f.result() == str(i).encode() for i, f in enumerate(futures)))

    fail = channel.unary_unary("/test.Echo/Fail")
    try:
        fail(bytes([5]), timeout=5)
        check("failure status", False, "no error")
    except grpc.RpcError as e:
        check("failure status", e.code() == grpc.StatusCode.NOT_FOUND and e.details() == "bad ∂ thing\n100%",
              f"{e.code()} {e.details()!r}")

    try:
        channel.unary_unary("/test.Echo/Nope")(b"", timeout=5)
        check("unknown method", False)
    except grpc.RpcError as e:
        check("unknown method", e.code() == grpc.StatusCode.UNIMPLEMENTED, f"{e.code()}")

    try:
        channel.unary_unary("/test.Echo/Never")(b"", timeout=0.3)
        check("deadline", False)
    except grpc.RpcError as e:
        check("deadline", e.code() == grpc.StatusCode.DEADLINE_EXCEEDED, f"{e.code()}")

    try:
        channel.unary_unary("/test.Echo/Unary")(b"x" * (5 * 1024 * 1024), timeout=10)
        check("oversize request", False)
    except grpc.RpcError as e:
        check("oversize request", e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, f"{e.code()} {e.details()}")

    try:
        channel.unary_unary("/test.Echo/Big")(struct.pack(">I", 5 * 1024 * 1024), timeout=10)
        check("oversize response", False)
    except grpc.RpcError as e:
        check("oversize response", e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, f"{e.code()} {e.details()}")

    stream = channel.unary_stream("/test.Echo/Stream")
    messages = list(stream(struct.pack(">II", 500, 1000), timeout=10))
    check("server streaming 500 messages", len(messages) == 500 and all(len(m) == 1000 for m in messages)
          and messages[3][0] == 3, f"{len(messages)}")
    check("server streaming zero messages", list(stream(struct.pack(">II", 0, 10), timeout=5)) == [])

    forever = channel.unary_stream("/test.Echo/StreamForever")(struct.pack(">II", 0, 100), timeout=10)
    got = 0
    for _ in forever:
        got += 1
        if got == 50:
            forever.cancel()
            break
    check("client cancels a stream", got == 50)

print(f"grpcio: {failures} failed", flush=True)
sys.exit(1 if failures else 0)
"""#
}
