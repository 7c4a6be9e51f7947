"""Tracing: a SERVER span per RPC exported over OTLP/gRPC to a test collector (grpcio + the opentelemetry-proto
package, code nobody here wrote), with W3C and B3 context continued, and spans dropped and counted when the
collector is down."""
import socket
import threading
import time
import urllib.request
from concurrent import futures

import grpc
import pytest

from conftest import Node, kv_pb2, kv_pb2_grpc

trace_service_pb2 = pytest.importorskip("opentelemetry.proto.collector.trace.v1.trace_service_pb2")
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc  # noqa: E402
from opentelemetry.proto.trace.v1 import trace_pb2  # noqa: E402

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"


class Collector(trace_service_pb2_grpc.TraceServiceServicer):
    """Keeps every span it receives, with the resource attributes of its batch."""

    def __init__(self):
        self.spans = []
        self.resources = []
        self.metadata = []
        self.cond = threading.Condition()

    def Export(self, request, context):
        with self.cond:
            self.metadata.append(dict(context.invocation_metadata()))
            for resource_spans in request.resource_spans:
                attrs = {kv.key: kv.value for kv in resource_spans.resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        self.spans.append(span)
                        self.resources.append(attrs)
            self.cond.notify_all()
        return trace_service_pb2.ExportTraceServiceResponse()

    def wait_for(self, predicate, timeout=15):
        deadline = time.time() + timeout
        with self.cond:
            while True:
                found = [s for s in self.spans if predicate(s)]
                if found:
                    return found
                remaining = deadline - time.time()
                if remaining <= 0:
                    return []
                self.cond.wait(remaining)


@pytest.fixture
def collector():
    servicer = Collector()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    servicer.port = port
    yield servicer
    server.stop(grace=None)


def traced_node(data_dir, endpoint, *extra, sampler="always_on"):
    return Node(data_dir, [
        "--otlp-endpoint", endpoint, "--trace-sampler", sampler, "--trace-batch-delay-ms", "100",
        "--service-name", "microstatedb-test", "--node-id", "7", *extra,
    ]).start()


@pytest.fixture
def traced(data_dir, collector):
    node = traced_node(data_dir, f"http://127.0.0.1:{collector.port}")
    with node.channel() as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield node, kv_pb2_grpc.KVStub(channel), collector
    node.stop()


def attributes(span):
    result = {}
    for kv in span.attributes:
        kind = kv.value.WhichOneof("value")
        value = getattr(kv.value, kind)
        if kind == "array_value":
            value = [v.string_value for v in value.values]
        result[kv.key] = value
    return result


def metric(admin_port, name):
    with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/metrics", timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise AssertionError(f"{name} not on /metrics")


def test_w3c_traceparent_continues_the_trace_in_a_server_span(traced):
    node, kv, collector = traced
    kv.Put(kv_pb2.PutRequest(key=b"k", value=b"v"), timeout=10, metadata=[
        ("traceparent", f"00-{TRACE_ID}-{CLIENT_SPAN}-01"),
        ("tracestate", "vendor=opaque,other=x"),
        ("x-request-id", "req-42"),
    ])
    spans = collector.wait_for(lambda s: s.trace_id.hex() == TRACE_ID and s.kind == trace_pb2.Span.SPAN_KIND_SERVER)
    assert len(spans) == 1, spans
    span = spans[0]
    # The wait for the write to become durable is a child span of the call's.
    steps = collector.wait_for(lambda s: s.trace_id.hex() == TRACE_ID and s.kind == trace_pb2.Span.SPAN_KIND_INTERNAL)
    assert [(s.name, s.parent_span_id) for s in steps] == [("microstatedb.wal.durable_write", span.span_id)]
    assert span.start_time_unix_nano <= steps[0].start_time_unix_nano <= steps[0].end_time_unix_nano
    assert steps[0].end_time_unix_nano <= span.end_time_unix_nano
    assert span.name == "microstate.v1.KV/Put"
    assert span.kind == trace_pb2.Span.SPAN_KIND_SERVER
    assert span.parent_span_id.hex() == CLIENT_SPAN
    assert len(span.span_id) == 8 and span.span_id.hex() != CLIENT_SPAN
    assert span.trace_state == "vendor=opaque,other=x"
    assert span.flags & 0xFF == 0x01 and span.flags & 0x300 == 0x300  # sampled; parent is remote
    assert 0 < span.start_time_unix_nano <= span.end_time_unix_nano
    assert abs(span.start_time_unix_nano / 1e9 - time.time()) < 60
    attrs = attributes(span)
    assert attrs["rpc.system"] == "grpc"
    assert attrs["rpc.service"] == "microstate.v1.KV"
    assert attrs["rpc.method"] == "Put"
    assert attrs["rpc.grpc.status_code"] == 0
    assert attrs["server.port"] == node.port
    assert attrs["network.peer.address"] == "127.0.0.1"
    assert attrs["rpc.grpc.request.metadata.x-request-id"] == ["req-42"]
    assert span.status.code == trace_pb2.Status.STATUS_CODE_UNSET
    resource = collector.resources[collector.spans.index(span)]
    assert resource["service.name"].string_value == "microstatedb-test"
    assert resource["service.instance.id"].string_value == "7"
    # Export calls carry no trace context of their own (they are never traced).
    assert all("traceparent" not in m for m in collector.metadata)


def test_failed_call_span_has_error_status_per_semconv(traced):
    node, kv, collector = traced
    # Empty key: INVALID_ARGUMENT, the client's fault: status stays UNSET on a server span.
    with pytest.raises(grpc.RpcError) as err:
        kv.Put(kv_pb2.PutRequest(key=b"", value=b"v"), timeout=10, metadata=[
            ("traceparent", f"00-{TRACE_ID}-{CLIENT_SPAN}-01")])
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    span = collector.wait_for(lambda s: s.trace_id.hex() == TRACE_ID and s.kind == trace_pb2.Span.SPAN_KIND_SERVER)[0]
    assert attributes(span)["rpc.grpc.status_code"] == 3
    assert span.status.code == trace_pb2.Status.STATUS_CODE_UNSET


def test_invalid_traceparent_starts_a_new_trace(traced):
    node, kv, collector = traced
    kv.Put(kv_pb2.PutRequest(key=b"k", value=b"v"), timeout=10, metadata=[
        ("traceparent", f"00-{TRACE_ID.upper()}-{CLIENT_SPAN}-01"), ("x-request-id", "new-trace")])
    span = collector.wait_for(
        lambda s: attributes(s).get("rpc.grpc.request.metadata.x-request-id") == ["new-trace"])[0]
    assert span.trace_id.hex() != TRACE_ID.lower() and span.trace_id != bytes(16)
    assert span.parent_span_id == b""


@pytest.mark.parametrize("headers", [
    [("b3", f"{TRACE_ID}-{CLIENT_SPAN}-1")],
    [("x-b3-traceid", TRACE_ID), ("x-b3-spanid", CLIENT_SPAN), ("x-b3-sampled", "1")],
], ids=["b3-single", "b3-multi"])
def test_b3_context_is_continued(traced, headers):
    node, kv, collector = traced
    kv.Put(kv_pb2.PutRequest(key=b"b3", value=b"v"), timeout=10, metadata=headers)
    span = collector.wait_for(lambda s: s.trace_id.hex() == TRACE_ID and s.kind == trace_pb2.Span.SPAN_KIND_SERVER)[0]
    assert span.parent_span_id.hex() == CLIENT_SPAN
    assert span.name == "microstate.v1.KV/Put"


def test_w3c_wins_over_b3(traced):
    node, kv, collector = traced
    other = "a" * 32
    kv.Put(kv_pb2.PutRequest(key=b"both", value=b"v"), timeout=10, metadata=[
        ("b3", f"{other}-{'b' * 16}-1"), ("traceparent", f"00-{TRACE_ID}-{CLIENT_SPAN}-01")])
    span = collector.wait_for(lambda s: s.trace_id.hex() in (TRACE_ID, other)
                              and s.kind == trace_pb2.Span.SPAN_KIND_SERVER)[0]
    assert span.trace_id.hex() == TRACE_ID


def test_parent_based_sampler_follows_the_callers_decision(data_dir, collector):
    node = traced_node(data_dir, f"http://127.0.0.1:{collector.port}", sampler="parentbased_always_on")
    try:
        with node.channel() as channel:
            kv = kv_pb2_grpc.KVStub(channel)
            put = lambda key, metadata: kv.Put(kv_pb2.PutRequest(key=key, value=b"v"), timeout=10, metadata=metadata)
            put(b"deny", [("b3", "0"), ("x-request-id", "b3-deny")])
            put(b"unsampled", [("traceparent", f"00-{'c' * 32}-{CLIENT_SPAN}-00"), ("x-request-id", "w3c-00")])
            put(b"debug", [("b3", f"{'d' * 32}-{CLIENT_SPAN}-d"), ("x-request-id", "b3-debug")])
            put(b"root", [("x-request-id", "root")])
            request_id = lambda s: attributes(s).get("rpc.grpc.request.metadata.x-request-id")
            assert collector.wait_for(lambda s: request_id(s) == ["root"])
            assert collector.wait_for(lambda s: request_id(s) == ["b3-debug"])
            assert not [s for s in collector.spans if request_id(s) in (["b3-deny"], ["w3c-00"])]
    finally:
        node.stop()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_collector_down_spans_are_dropped_and_counted(data_dir):
    node = traced_node(data_dir, f"http://127.0.0.1:{free_port()}")
    try:
        with node.channel() as channel:
            kv = kv_pb2_grpc.KVStub(channel)
            for i in range(20):
                kv.Put(kv_pb2.PutRequest(key=b"k%d" % i, value=b"v"), timeout=10)
            deadline = time.time() + 15
            while time.time() < deadline and metric(node.admin_port, "microstatedb_trace_spans_dropped_total") < 1:
                time.sleep(0.1)
            assert metric(node.admin_port, "microstatedb_trace_spans_dropped_total") >= 1
            assert metric(node.admin_port, "microstatedb_trace_export_failures_total") >= 1
            assert metric(node.admin_port, "microstatedb_trace_spans_exported_total") == 0
            # Still serving.
            assert kv.Put(kv_pb2.PutRequest(key=b"still", value=b"up"), timeout=10).header.revision > 0
    finally:
        node.stop()


def test_tracing_counters_are_zero_without_an_endpoint(node):
    assert metric(node.admin_port, "microstatedb_trace_spans_exported_total") == 0


def test_https_endpoint_is_refused_with_a_clear_error(data_dir):
    with pytest.raises(RuntimeError) as err:
        Node(data_dir, ["--otlp-endpoint", "https://127.0.0.1:4317"]).start()
    assert "https is not supported" in str(err.value)
