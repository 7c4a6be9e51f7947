"""Retention and deletes erase event bytes from disk (ADR 0004 §7), through stock grpcio.

Each test writes random, incompressible payloads (os.urandom), checks that they ARE somewhere under the data
directory (so the test can fail), then deletes or hides them and checks that no file under the data directory
holds them any more, while the other streams still read back. The node erases on its own within seconds of a
delete or retention change becoming durable (docs/events-engine.md, "Retention and deletes"); `POST /admin/compact`
on the admin port does it at once.
"""
import os
import re
import shutil
import subprocess
import time
import urllib.request
import uuid

import grpc
import pytest

from conftest import Node, events_pb2, events_pb2_grpc

EV = events_pb2

# The node's memory window (StoreLimits.memoryWindowEvents) plus a chunk: appending more than this moves the oldest
# events into archive chunks under <data-dir>/events.
WINDOW_EVENTS = 65_536 + 4_096
# How long the node may take to erase on its own (a 1 s debounce, then a roll, a snapshot and chunk rewrites).
ERASE_TIMEOUT_S = 30
# Secrets written in a row: more than a zstd block (128 KiB), so that chunks hold some verbatim.
SECRET_BYTES = 16 * 1024
ZSTD = shutil.which("zstd")


def event(data, type_="Secret"):
    return EV.EventData(id=str(uuid.uuid4()), type=type_, data=data, content_type="application/octet-stream")


def append(stub, stream, events):
    return stub.Append(EV.AppendRequest(stream=stream, events=events), timeout=30)


def read(stub, stream):
    return [r.event for r in stub.Read(EV.ReadRequest(stream=stream, from_revision=0), timeout=60)]


def fill_archive(stub, stream="filler"):
    """Appends enough small events to push every earlier event out of memory into archive chunks."""
    for batch in range(WINDOW_EVENTS // 1000 + 8):
        append(stub, stream, [EV.EventData(id="", type="Filler", data=b"%08d" % batch) for _ in range(1000)])


def decompressed(content):
    """A chunk file's body (one zstd frame after the 80-byte header), decompressed with the zstd tool if present."""
    if ZSTD is None:
        return b""
    result = subprocess.run([ZSTD, "-d", "-c"], input=content[80:], capture_output=True)
    return result.stdout  # zstd stops at the footer after the frame and complains; the frame is out


def files_holding(data_dir, secrets):
    """The files under data_dir that hold any secret (searched by a 64-byte slice of each).

    Archive chunks are zstd-compressed: a secret is there verbatim when its bytes fill a whole zstd block (random
    data is stored raw, so each test writes more than a block, 128 KiB, of them in a row); with the zstd tool
    installed, chunk bodies are searched decompressed as well.
    """
    needles = [secret[len(secret) // 2 - 32: len(secret) // 2 + 32] for secret in secrets]
    found = []
    for root, _, names in os.walk(data_dir):
        for name in names:
            path = os.path.join(root, name)
            try:
                with open(path, "rb") as f:
                    content = f.read()
            except FileNotFoundError:
                continue  # removed while we walked (a compaction)
            if name.endswith(".chunk"):
                content += decompressed(content)
            if any(needle in content for needle in needles):
                found.append(os.path.relpath(path, data_dir))
    return found


def wait_until_erased(data_dir, secrets, timeout=ERASE_TIMEOUT_S):
    deadline = time.time() + timeout
    while True:
        holding = files_holding(data_dir, secrets)
        if not holding or time.time() > deadline:
            return holding
        time.sleep(0.2)


def metric(node, name):
    with urllib.request.urlopen(f"http://127.0.0.1:{node.admin_port}/metrics", timeout=10) as response:
        text = response.read().decode()
    match = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert match, f"{name} not in /metrics"
    return float(match.group(1))


def compact(node):
    request = urllib.request.Request(f"http://127.0.0.1:{node.admin_port}/admin/compact", method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, response.read().decode()


@pytest.fixture
def retention_node(data_dir):
    n = Node(data_dir).start()
    yield n
    n.stop()


def test_hard_delete_erases_the_bytes_from_every_file_on_its_own(retention_node, data_dir):
    node = retention_node
    with node.channel() as channel:
        stub = events_pb2_grpc.EventStreamStub(channel)
        secrets = [os.urandom(SECRET_BYTES) for _ in range(20)]
        append(stub, "secret", [event(s) for s in secrets])
        kept = [event(b"kept-%d" % i, type_="Kept") for i in range(20)]
        append(stub, "kept", kept)
        fill_archive(stub)
        # Memory stays bounded: the secrets and the oldest filler moved to archive chunks. Sealing runs in the
        # background chunk by chunk, so wait for both (the first chunk alone may leave more than the window).
        deadline = time.time() + 30
        while time.time() < deadline and (
            metric(node, "microstatedb_events_archived") == 0
            or metric(node, "microstatedb_events_in_memory") > WINDOW_EVENTS
        ):
            time.sleep(0.1)
        assert metric(node, "microstatedb_events_archived") > 0
        assert metric(node, "microstatedb_events_in_memory") <= WINDOW_EVENTS
        holding = files_holding(data_dir, secrets)
        assert any(path.endswith(".wal") for path in holding), holding
        assert any(path.startswith("events/") for path in holding), holding

        stub.DeleteStream(EV.DeleteStreamRequest(stream="secret", hard=True), timeout=10)
        assert wait_until_erased(data_dir, secrets) == []
        assert [e.data for e in read(stub, "kept")] == [e.data for e in kept]
        with pytest.raises(grpc.RpcError) as info:
            read(stub, "secret")
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        assert metric(node, "microstatedb_scavenges_total") >= 1

    # After a restart the state is the same and the bytes stay gone.
    node.terminate()
    restarted = Node(data_dir).start()
    try:
        with restarted.channel() as channel:
            stub = events_pb2_grpc.EventStreamStub(channel)
            assert [e.data for e in read(stub, "kept")] == [e.data for e in kept]
            with pytest.raises(grpc.RpcError) as info:
                read(stub, "secret")
            assert info.value.code() == grpc.StatusCode.NOT_FOUND
        assert files_holding(data_dir, secrets) == []
    finally:
        restarted.stop()


def test_soft_delete_erases_the_bytes_and_the_stream_continues(retention_node, data_dir):
    node = retention_node
    with node.channel() as channel:
        stub = events_pb2_grpc.EventStreamStub(channel)
        secrets = [os.urandom(SECRET_BYTES) for _ in range(10)]
        append(stub, "soft", [event(s) for s in secrets])
        append(stub, "other", [event(b"other", type_="Kept")])
        assert files_holding(data_dir, secrets)
        stub.DeleteStream(EV.DeleteStreamRequest(stream="soft"), timeout=10)
        assert wait_until_erased(data_dir, secrets) == []
        assert read(stub, "soft") == []
        response = append(stub, "soft", [event(b"again", type_="Kept")])
        assert response.first_revision == 10
        assert [e.data for e in read(stub, "soft")] == [b"again"]
        assert [e.data for e in read(stub, "other")] == [b"other"]


def test_max_count_and_truncate_before_erase_hidden_bytes_on_admin_compact(retention_node, data_dir):
    node = retention_node
    with node.channel() as channel:
        stub = events_pb2_grpc.EventStreamStub(channel)
        counted = [os.urandom(SECRET_BYTES) for _ in range(24)]
        truncated = [os.urandom(SECRET_BYTES) for _ in range(24)]
        append(stub, "counted", [event(s) for s in counted])
        append(stub, "truncated", [event(s) for s in truncated])
        fill_archive(stub)
        hidden = counted[:16] + truncated[:12]
        visible = counted[16:] + truncated[12:]
        holding = files_holding(data_dir, hidden)
        assert any(path.endswith(".wal") for path in holding), holding
        assert any(path.startswith("events/") for path in holding), holding
        stub.SetStreamMetadata(EV.SetStreamMetadataRequest(
            stream="counted", metadata=EV.StreamMetadata(max_count=8)), timeout=10)
        stub.SetStreamMetadata(EV.SetStreamMetadataRequest(
            stream="truncated", metadata=EV.StreamMetadata(truncate_before=12)), timeout=10)
        status, body = compact(node)
        assert status == 200 and "scavenged" in body, body
        assert files_holding(data_dir, hidden) == []
        assert len(files_holding(data_dir, visible)) > 0
        assert [e.data for e in read(stub, "counted")] == counted[16:]
        assert [e.data for e in read(stub, "truncated")] == truncated[12:]
        assert len(read(stub, "filler")) == (WINDOW_EVENTS // 1000 + 8) * 1000
