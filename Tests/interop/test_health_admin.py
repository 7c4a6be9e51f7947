"""grpc.health.v1 through grpcio's own health package, the admin HTTP port, and graceful shutdown."""
import signal
import threading
import time
import urllib.request

import grpc
import pytest

from conftest import Node, health_pb2, health_pb2_grpc, kv_pb2, kv_pb2_grpc

H = health_pb2


@pytest.mark.parametrize("service", ["", "microstate.v1.KV", "microstate.v1.EventStream", "microstate.v1.SchemaRegistry"])
def test_check_known_services_serving(health, service):
    assert health.Check(H.HealthCheckRequest(service=service), timeout=10).status == H.HealthCheckResponse.SERVING


def test_check_unknown_service_is_not_found(health):
    with pytest.raises(grpc.RpcError) as err:
        health.Check(H.HealthCheckRequest(service="no.such.Service"), timeout=10)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_watch_unknown_service_reports_service_unknown(health):
    stream = health.Watch(H.HealthCheckRequest(service="no.such.Service"), timeout=10)
    assert next(stream).status == H.HealthCheckResponse.SERVICE_UNKNOWN
    stream.cancel()


def http_get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.headers.get("content-type"), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("content-type"), error.read().decode()


def test_admin_endpoints(node, kv):
    kv.Put(kv_pb2.PutRequest(key=b"m", value=b"v"), timeout=10)
    kv.Get(kv_pb2.GetRequest(key=b"m"), timeout=10)
    assert http_get(node.admin_port, "/healthz")[0] == 200
    assert http_get(node.admin_port, "/readyz")[0] == 200
    status, content_type, text = http_get(node.admin_port, "/metrics")
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4")
    assert ('grpc_server_handled_total{grpc_code="OK",grpc_method="Put",grpc_service="microstate.v1.KV",'
            'grpc_type="unary"} 1') in text
    assert "# TYPE grpc_server_handling_seconds histogram" in text
    assert "microstatedb_store_revision" in text and "microstatedb_wal_fsyncs_total" in text
    assert http_get(node.admin_port, "/nope")[0] == 404


def test_metrics_parse_as_prometheus_text(node, kv):
    kv.Put(kv_pb2.PutRequest(key=b"m", value=b"v"), timeout=10)
    _, _, text = http_get(node.admin_port, "/metrics")
    from prometheus_client.parser import text_string_to_metric_families

    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert "microstatedb_store_keys" in families
    # go-grpc-prometheus names and labels, so its dashboards work as they are.
    started = {(s.labels["grpc_service"], s.labels["grpc_method"], s.labels["grpc_type"]): s.value
               for s in families["grpc_server_started"].samples}
    assert started[("microstate.v1.KV", "Put", "unary")] == 1
    assert started[("microstate.v1.EventStream", "Subscribe", "server_stream")] == 0
    handled = [s for s in families["grpc_server_handled"].samples
               if s.labels["grpc_method"] == "Put" and s.labels["grpc_code"] == "OK"]
    assert [s.value for s in handled] == [1]
    histogram = families["grpc_server_handling_seconds"]
    assert histogram.type == "histogram"
    assert any(s.name == "grpc_server_handling_seconds_count" and s.labels["grpc_method"] == "Put" and s.value == 1
               for s in histogram.samples)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stop_signal_drains_health_goes_not_serving_and_exits_zero(data_dir, stop_signal):
    node = Node(data_dir).start()
    try:
        with node.channel() as ch:
            health = health_pb2_grpc.HealthStub(ch)
            kv = kv_pb2_grpc.KVStub(ch)
            kv.Put(kv_pb2.PutRequest(key=b"before", value=b"v"), timeout=10)
            stream = health.Watch(H.HealthCheckRequest(service=""), timeout=30)
            assert next(stream).status == H.HealthCheckResponse.SERVING
            watch = kv.Watch(kv_pb2.WatchRequest(key=b"w"), timeout=30)
            next(watch)  # registered
            statuses, watch_errors = [], []

            def read_health():
                statuses.extend(r.status for r in stream)

            def read_watch():
                try:
                    for _ in watch:
                        pass
                except grpc.RpcError as error:
                    watch_errors.append(error)

            readers = [threading.Thread(target=t, daemon=True) for t in (read_health, read_watch)]
            for reader in readers:
                reader.start()
            started = time.monotonic()
            assert node.terminate(timeout=30, sig=stop_signal) == 0
            # Open streams are ended at once, not waited on for the grace period (10 s).
            assert time.monotonic() - started < 5
            for reader in readers:
                reader.join(timeout=10)
            assert H.HealthCheckResponse.NOT_SERVING in statuses
            assert watch_errors and watch_errors[0].code() == grpc.StatusCode.UNAVAILABLE
            assert "resume" in watch_errors[0].details()
    finally:
        node.stop()
    # The acknowledged write survives the restart.
    again = Node(data_dir).start()
    try:
        with again.channel() as ch:
            got = kv_pb2_grpc.KVStub(ch).Get(kv_pb2.GetRequest(key=b"before"), timeout=10)
            assert got.found
    finally:
        again.stop()


def test_disabled_call_metrics_leave_the_node_gauges(data_dir):
    node = Node(data_dir, ["--disable-call-metrics"]).start()
    try:
        with node.channel() as ch:
            kv_pb2_grpc.KVStub(ch).Put(kv_pb2.PutRequest(key=b"m", value=b"v"), timeout=10)
        _, _, text = http_get(node.admin_port, "/metrics")
        assert "grpc_server_started_total" not in text and "grpc_server_handled_total" not in text
        assert "microstatedb_store_keys 1" in text
    finally:
        node.stop()


def test_status_page_is_json_naming_the_node_and_its_server(node, kv):
    import json
    kv.Put(kv_pb2.PutRequest(key=b"s", value=b"v"), timeout=10)
    status, content_type, text = http_get(node.admin_port, "/status")
    assert status == 200 and content_type.startswith("application/json")
    page = json.loads(text)
    assert page["node"]["ready"] is True and page["node"]["node_id"] == 1
    assert page["node"]["revision"] >= 1 and page["node"]["durability"] == "fsync"
    assert page["grpc"]["connections_open"] >= 1 and page["grpc"]["calls_started"] >= 1
