"""kill -9 never loses an acknowledged write (durability fsync, the default, and os)."""
import random
import threading
import time

import grpc
import pytest

from conftest import Node, kv_pb2, kv_pb2_grpc

KV = kv_pb2
ROUNDS = 5


def writer(target, prefix, acked, stop):
    """Puts sequential keys until the node dies; records each Put whose response arrived."""
    with grpc.insecure_channel(target) as ch:
        kv = kv_pb2_grpc.KVStub(ch)
        i = 0
        while not stop.is_set():
            key = b"%s/%06d" % (prefix, i)
            value = b"value-%d-" % i + b"x" * (i % 200)
            try:
                response = kv.Put(KV.PutRequest(key=key, value=value), timeout=5)
            except grpc.RpcError:
                return
            acked.append((key, value, response.revision))
            i += 1


@pytest.mark.parametrize("durability", ["fsync", "os"])
def test_acknowledged_writes_survive_sigkill_mid_stream(data_dir, durability):
    """fsync: the default. os: acknowledged after write(2), which the event loops issue themselves at the end of
    each read burst (no log thread in between); both must survive a process kill."""
    rng = random.Random(20261123)
    all_acked = []
    extra = ["--durability", durability]
    for round_number in range(ROUNDS):
        node = Node(data_dir, extra, segment_bytes=None).start()
        try:
            acked, stop = [], threading.Event()
            threads = [
                threading.Thread(target=writer, args=(node.target, b"r%d-w%d" % (round_number, w), acked, stop))
                for w in range(4)
            ]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.3, 1.2))
            node.kill()  # SIGKILL while writers are mid-stream
            stop.set()
            for t in threads:
                t.join(timeout=10)
            assert acked, "no write was acknowledged before the kill"
            all_acked += acked
        finally:
            node.stop()

        restarted = Node(data_dir, extra, segment_bytes=None).start()
        try:
            with restarted.channel() as ch:
                kv = kv_pb2_grpc.KVStub(ch)
                missing = []
                for key, value, revision in all_acked:
                    got = kv.Get(KV.GetRequest(key=key), timeout=10)
                    if not got.found or got.kv.value != value or got.kv.mod_revision != revision:
                        missing.append(key)
                assert not missing, f"round {round_number}: {len(missing)} acknowledged writes lost, e.g. {missing[:3]}"
        finally:
            restarted.stop()
