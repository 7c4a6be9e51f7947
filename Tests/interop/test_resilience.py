"""Resilience as a client sees it: load shedding with pushback, and the node's own outbound calls behind a
circuit breaker configured from the YAML file, visible on /metrics and /status."""
import json
import socket
import time
import urllib.request

import grpc
import pytest

from conftest import Node, kv_pb2, kv_pb2_grpc


def http_get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return response.read().decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_flood_of_writes_is_shed_with_pushback_and_admitted_calls_keep_their_latency(data_dir):
    node = Node(data_dir, ["--threads", "1", "--max-in-flight-calls", "2", "--max-queued-calls", "4",
                           "--max-queue-wait-ms", "50"]).start()
    try:
        with node.channel() as ch:
            kv = kv_pb2_grpc.KVStub(ch)
            kv.Put(kv_pb2.PutRequest(key=b"warm", value=b"x"), timeout=10)
            started = time.monotonic()
            futures = [(time.monotonic(), kv.Put.future(kv_pb2.PutRequest(key=b"k%d" % i, value=b"v" * 100),
                                                        timeout=30)) for i in range(300)]
            ok, shed, latencies = 0, [], []
            for sent, future in futures:
                try:
                    future.result()
                    ok += 1
                    latencies.append(time.monotonic() - sent)
                except grpc.RpcError as error:
                    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error
                    trailers = dict(error.trailing_metadata() or ())
                    assert "grpc-retry-pushback-ms" in trailers, trailers
                    assert 10 <= int(trailers["grpc-retry-pushback-ms"]) <= 1000
                    assert "overloaded" in error.details()
                    shed.append(error)
            assert ok >= 2 and shed, f"{ok} admitted, {len(shed)} shed"
            # An admitted call waited at most the queue time (50 ms) before it ran: no unbounded queueing.
            assert max(latencies) < 2.0, sorted(latencies)[-5:]
            assert time.monotonic() - started < 20
            # The node is fine afterwards, and says what it did.
            assert kv.Put(kv_pb2.PutRequest(key=b"after", value=b"x"), timeout=10).revision > 0
        metrics = http_get(node.admin_port, "/metrics")
        rejected = [line for line in metrics.splitlines() if line.startswith("microstatedb_load_shed_calls_total")]
        assert sum(float(line.split()[-1]) for line in rejected) == len(shed)
        status = json.loads(http_get(node.admin_port, "/status"))
        assert status["load_shedding"]["rejected_total"] + status["load_shedding"]["timed_out_total"] == len(shed)
        assert status["load_shedding"]["running"] == 0 and status["load_shedding"]["waiting"] == 0
    finally:
        node.stop()


def test_load_shedding_off_admits_everything(data_dir):
    node = Node(data_dir, ["--threads", "1", "--max-in-flight-calls", "0"]).start()
    try:
        with node.channel() as ch:
            kv = kv_pb2_grpc.KVStub(ch)
            futures = [kv.Put.future(kv_pb2.PutRequest(key=b"k%d" % i, value=b"v"), timeout=30) for i in range(300)]
            assert all(f.result().revision > 0 for f in futures)
        assert "load_shedding" not in json.loads(http_get(node.admin_port, "/status"))
    finally:
        node.stop()


def test_the_otlp_destination_breaker_opens_per_the_config_file_and_shows_on_metrics_and_status(data_dir, tmp_path):
    config = tmp_path / "node.yaml"
    config.write_text("""
destinations:
  otlp:
    timeout_ms: 500
    circuit_breaker:
      sliding_window_size: 2
      minimum_number_of_calls: 2
      wait_duration_in_open_state_ms: 600000
    retry:
      max_attempts: 1
""")
    dead = free_port()  # nothing listens: every export fails with UNAVAILABLE
    node = Node(data_dir, ["--config", str(config), "--otlp-endpoint", f"http://127.0.0.1:{dead}",
                           "--trace-sampler", "always_on", "--trace-batch-delay-ms", "50"]).start()
    try:
        with node.channel() as ch:
            kv = kv_pb2_grpc.KVStub(ch)
            deadline = time.time() + 20
            state = None
            while time.time() < deadline:
                kv.Put(kv_pb2.PutRequest(key=b"t", value=b"x"), timeout=10)  # a span to export
                state = json.loads(http_get(node.admin_port, "/status"))["destinations"]["otlp"]
                if state["circuit_breaker"]["state"] == "OPEN":
                    break
                time.sleep(0.1)
            assert state["circuit_breaker"]["state"] == "OPEN", state
            # Serving is unaffected by the exporter's breaker.
            assert kv.Put(kv_pb2.PutRequest(key=b"still", value=b"x"), timeout=10).revision > 0
        metrics = http_get(node.admin_port, "/metrics")
        assert 'microstatedb_circuit_breaker_state{destination="otlp",state="OPEN"} 1' in metrics
        assert 'microstatedb_circuit_breaker_state{destination="otlp",state="CLOSED"} 0' in metrics
        assert 'grpc_client_handled_total{grpc_code="UNAVAILABLE",grpc_method="Export",' \
               'grpc_service="opentelemetry.proto.collector.trace.v1.TraceService",grpc_type="unary"}' in metrics
    finally:
        node.stop()


def test_a_bad_config_file_stops_startup_naming_the_key(tmp_path):
    from conftest import BIN
    import subprocess
    config = tmp_path / "node.yaml"
    config.write_text("server:\n  load_shedding:\n    max_in_flight_calls: -3\n")
    run = subprocess.run([BIN, "serve", "--config", str(config), "--data-dir", str(tmp_path / "d")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "server.load_shedding.max_in_flight_calls: must be in 1...1000000, got -3" in run.stderr
