#!/usr/bin/env python3
"""A grpcio test peer for the Swift RPCClient tests (raw bytes, no protos).

Listens on 127.0.0.1 (port from --port, default 0 = chosen by the OS) and prints the port on its first line.
Methods of service /test.Echo/:
  Echo      unary: returns the request.
  Fail      unary: request is JSON {"code": int, "message": str}; aborts with that status.
  Sleep     unary: request is JSON {"id": str, "seconds": float}; sleeps, polling context.is_active(), and
            records whether the call was cancelled (or timed out) before the sleep ended; returns b"done".
  WasCancelled unary: request is an id; returns b"1" if that Sleep call saw its RPC end early, b"0" if it
            finished, b"?" if unknown (not finished yet).
  Metadata  unary: returns the invocation metadata as JSON [[name, value], ...].
  Progress  unary: how many messages the last Stream call has handed to grpcio so far.
  Shutdown  unary: request is the grace in seconds; stops the server gracefully (GOAWAY, running calls finish).
  Peers     unary: returns the number of distinct client peers (ip:port) seen so far.
  Stream    server-streaming: request is JSON {"count": int, "size": int, "sleep": float}; yields `count`
            messages of `size` bytes (each starts with its index as 4 big-endian bytes), optionally sleeping
            between them; records in WasCancelled under id "stream" whether the consumer went away early.
"""
import argparse
import json
import struct
import sys
import threading
import time
from concurrent import futures

import grpc

lock = threading.Lock()
server = None
cancelled = {}
progress = {}
peers = set()


def note_peer(context):
    with lock:
        peers.add(context.peer())


def echo(request, context):
    note_peer(context)
    return request


def fail(request, context):
    note_peer(context)
    spec = json.loads(request.decode())
    context.abort(grpc.StatusCode(_code(spec["code"])), spec["message"])


def _code(number):
    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code.value
    raise ValueError(number)


def sleep(request, context):
    note_peer(context)
    spec = json.loads(request.decode())
    end = time.monotonic() + spec["seconds"]
    while time.monotonic() < end:
        if not context.is_active():
            with lock:
                cancelled[spec["id"]] = True
            return b""
        time.sleep(0.01)
    with lock:
        cancelled[spec["id"]] = False
    return b"done"


def was_cancelled(request, context):
    with lock:
        value = cancelled.get(request.decode())
    return b"?" if value is None else (b"1" if value else b"0")


def stream_progress(request, context):
    with lock:
        return str(progress.get("stream", 0)).encode()


def metadata(request, context):
    note_peer(context)
    return json.dumps([[k, v if isinstance(v, str) else v.decode("latin-1")]
                       for k, v in context.invocation_metadata()]).encode()


def shutdown(request, context):
    # Graceful stop: GOAWAY now, running calls get `grace` seconds to finish.
    threading.Thread(target=lambda: server.stop(float(request.decode() or "3")), daemon=True).start()
    return b""


def count_peers(request, context):
    with lock:
        return str(len(peers)).encode()


def stream(request, context):
    note_peer(context)
    spec = json.loads(request.decode())
    size = max(spec["size"], 4)
    finished = []

    def on_termination():
        # grpcio runs this when the RPC ends for any reason; after a client reset it need not resume the
        # generator at all, so the checks inside the loop below cannot be relied on to see the cancellation.
        if not finished:
            with lock:
                cancelled["stream"] = True

    context.add_callback(on_termination)
    for index in range(spec["count"]):
        if not context.is_active():
            with lock:
                cancelled["stream"] = True
            return
        yield struct.pack(">I", index) + b"x" * (size - 4)
        with lock:
            progress["stream"] = index + 1
        if spec.get("sleep"):
            time.sleep(spec["sleep"])
    finished.append(True)
    with lock:
        cancelled["stream"] = not context.is_active()


def main():
    global server
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    unary = lambda f: grpc.unary_unary_rpc_method_handler(f, request_deserializer=None, response_serializer=None)
    handlers = grpc.method_handlers_generic_handler("test.Echo", {
        "Echo": unary(echo),
        "Fail": unary(fail),
        "Sleep": unary(sleep),
        "WasCancelled": unary(was_cancelled),
        "Metadata": unary(metadata),
        "Peers": unary(count_peers),
        "Shutdown": unary(shutdown),
        "Progress": unary(stream_progress),
        "Stream": grpc.unary_stream_rpc_method_handler(stream),
    })
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=32),
        options=[("grpc.max_receive_message_length", 8 << 20), ("grpc.max_send_message_length", 8 << 20)],
    )
    server.add_generic_rpc_handlers((handlers,))
    port = server.add_insecure_port(f"127.0.0.1:{args.port}")
    if port == 0:
        print("bind failed", file=sys.stderr)
        sys.exit(1)
    server.start()
    print(port, flush=True)
    # Exit when the parent closes our stdin (so a crashed test run leaves no server behind).
    try:
        sys.stdin.read()
    finally:
        server.stop(0)


if __name__ == "__main__":
    main()
