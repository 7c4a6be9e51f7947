"""Fixtures for the grpcio interop suite: a real microstatedb node on OS-chosen ports, stock grpcio stubs.

Stubs are generated from proto/ at test time (into .venv/microstate_stubs) so the suite always speaks the
committed contract. The node binary is $MICROSTATEDB_BIN (the Makefile points it at the debug build).
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import grpc
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("MICROSTATEDB_BIN", str(ROOT / ".build" / "debug" / "microstatedb"))
STUBS = ROOT / ".venv" / "microstate_stubs"


def _generate_stubs():
    from grpc_tools import protoc

    STUBS.mkdir(parents=True, exist_ok=True)
    protos = sorted(str(p.relative_to(ROOT / "proto")) for p in (ROOT / "proto" / "microstate").rglob("*.proto"))
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    args = ["protoc", f"-I{ROOT / 'proto'}", f"-I{include}", f"--python_out={STUBS}", f"--grpc_python_out={STUBS}"]
    if protoc.main(args + protos) != 0:
        raise RuntimeError("grpc_tools.protoc failed on proto/")
    for package in ["microstate", "microstate/v1"]:
        (STUBS / package / "__init__.py").touch()


_generate_stubs()
sys.path.insert(0, str(STUBS))
from microstate.v1 import kv_pb2, kv_pb2_grpc, common_pb2, events_pb2, events_pb2_grpc  # noqa: E402,F401
# Health uses grpcio's own package (the standard proto, compiled by the gRPC project): a client nobody here wrote.
from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402,F401

SERVING_LINE = re.compile(r"serving grpc on ([\d.]+):(\d+), (?:admin on ([\d.]+):(\d+)|admin off)")


class Node:
    """A microstatedb process. start() waits for its 'serving' line; kill()/terminate() stop it."""

    # Test nodes use 8 MiB log segments: each node preallocates (zero-fills) its segment and a spare, and the
    # suite starts dozens of nodes. The kill test passes segment_bytes=None to run the production default.
    TEST_SEGMENT_BYTES = 8 * 1024 * 1024

    def __init__(self, data_dir, extra_args=(), segment_bytes=TEST_SEGMENT_BYTES):
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        if segment_bytes is not None:
            self.extra_args += ["--segment-bytes", str(segment_bytes)]
        self.proc = None
        self.port = None
        self.admin_port = None
        self.stderr_lines = []

    def start(self, timeout=60):
        args = [BIN, "serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--data-dir", str(self.data_dir)]
        self.proc = subprocess.Popen(
            args + self.extra_args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
        )
        threading.Thread(target=self._drain_stderr, args=(self.proc,), daemon=True).start()
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"node exited early ({self.proc.wait()}): {''.join(self.stderr_lines)[-2000:]}")
            match = SERVING_LINE.search(line)
            if match:
                self.port = int(match.group(2))
                self.admin_port = int(match.group(4)) if match.group(4) else None
                return self
        raise RuntimeError("node did not report its address in time")

    def _drain_stderr(self, proc):
        for line in proc.stderr:
            self.stderr_lines.append(line)

    @property
    def target(self):
        return f"127.0.0.1:{self.port}"

    def channel(self, **options):
        return grpc.insecure_channel(self.target, options=list(options.items()))

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def terminate(self, timeout=30, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)


@pytest.fixture
def data_dir():
    with tempfile.TemporaryDirectory(prefix="microstatedb-test-") as path:
        yield Path(path)


@pytest.fixture
def node(data_dir):
    n = Node(data_dir).start()
    yield n
    n.stop()


@pytest.fixture
def channel(node):
    with node.channel() as ch:
        grpc.channel_ready_future(ch).result(timeout=10)
        yield ch


@pytest.fixture
def kv(channel):
    return kv_pb2_grpc.KVStub(channel)


@pytest.fixture
def events(channel):
    return events_pb2_grpc.EventStreamStub(channel)


@pytest.fixture
def health(channel):
    return health_pb2_grpc.HealthStub(channel)


@pytest.fixture
def node_small_history(data_dir):
    """A node that keeps only 5 revisions of history, to reach compaction quickly."""
    n = Node(data_dir, ["--history-revisions", "5"]).start()
    with n.channel() as ch:
        yield n, kv_pb2_grpc.KVStub(ch)
    n.stop()
