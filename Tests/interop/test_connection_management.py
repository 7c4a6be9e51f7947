"""Connection management a mesh relies on: gRFC A8 ping enforcement, A9 max connection age, drain on SIGTERM."""
import signal
import threading
import time

import grpc
import pytest
from hyperframe.frame import GoAwayFrame, PingFrame

from conftest import Node, health_pb2, health_pb2_grpc, kv_pb2, kv_pb2_grpc
from h2conformance import ENHANCE_YOUR_CALM, NO_ERROR, H2Conn, Target, grpc_message, grpc_request_headers

PUT_PATH = "/microstate.v1.KV/Put"


def target(node, path=PUT_PATH, body=grpc_message(b"\x0a\x01k\x12\x01v")):  # PutRequest{key: "k", value: "v"}
    return Target("127.0.0.1", node.port, path, grpc_request_headers("127.0.0.1", node.port, path), body=body,
                  pid=node.proc.pid)


@pytest.fixture
def started(data_dir, request):
    node = Node(data_dir, getattr(request, "param", [])).start()
    yield node
    node.stop()


def test_pings_on_an_idle_connection_get_too_many_pings_after_two_strikes(started):
    with H2Conn(target(started)) as c:
        c.handshake()
        for i in range(3):  # the first sets the clock; the next two are strikes 1 and 2: still tolerated
            c.write_ping(bytes([i]) * 8)
            c.expect_ping_ack(bytes([i]) * 8)
        c.write_ping(b"\x03" * 8)  # strike 3 > MAX_PING_STRIKES (2)
        ev = c.expect_connection_error(ENHANCE_YOUR_CALM)
        assert isinstance(ev, GoAwayFrame), f"closed without GOAWAY; {c.format_trace()}"
        assert bytes(ev.additional_data) == b"too_many_pings"
        c.expect_connection_close()


@pytest.mark.parametrize("started", [["--keepalive-permit-without-calls", "--keepalive-min-ping-interval-seconds",
                                      "1"]], indirect=True)
def test_pings_spaced_by_the_permitted_interval_are_never_strikes(started):
    with H2Conn(target(started)) as c:
        c.handshake()
        for i in range(5):
            c.write_ping(bytes([i]) * 8)
            c.expect_ping_ack(bytes([i]) * 8)
            time.sleep(1.1)
        c.expect_alive()


def test_sending_data_clears_the_strikes(started):
    """gRFC A8: HEADERS or DATA sent by the server reset the ping enforcement, so a client pinging along with its
    calls is never cut off."""
    with H2Conn(target(started)) as c:
        c.handshake()
        stream = 1
        for i in range(8):
            c.write_ping(bytes([i]) * 8)
            c.expect_ping_ack(bytes([i]) * 8)
            c.send_request(stream)  # the response's HEADERS and DATA clear the strikes
            c.expect_stream_close(stream)
            stream += 2
        c.expect_alive()


@pytest.mark.parametrize("started", [["--max-connection-age-seconds", "1", "--max-connection-age-grace-seconds", "1"]],
                         indirect=True)
def test_max_connection_age_drains_with_a_double_goaway_then_resets_calls_after_the_grace(started):
    with H2Conn(target(started, "/microstate.v1.KV/Watch", grpc_message(b"\x0a\x01w")), timeout=10) as c:
        c.handshake()
        c.send_request(1, end_stream=True)  # a Watch: open until the server ends it
        opened = time.time()
        notice = ping = None
        while notice is None or ping is None:  # nghttp2 sends PINGs ahead of other frames: either order
            ev = c.read_event(timeout=5)
            assert not isinstance(ev, type(None)) and ev is not None, c.format_trace()
            if isinstance(ev, GoAwayFrame):
                notice = ev
            elif isinstance(ev, PingFrame) and "ACK" not in ev.flags:
                ping = ev
            elif not hasattr(ev, "stream_id"):
                raise AssertionError(f"connection ended before the drain notice; {c.format_trace()}")
        assert notice.last_stream_id == 2**31 - 1 and notice.error_code == NO_ERROR
        assert 0.85 <= time.time() - opened <= 2.5, "age 1 s with ±10 % jitter"
        c.write_ping(bytes(ping.opaque_data), ack=True)
        final = c.expect_frame(GoAwayFrame, timeout=5, what="the final GOAWAY")
        assert final.last_stream_id == 1 and final.error_code == NO_ERROR
        # The Watch is still open: after the 1 s grace it is reset and the connection closes.
        c.expect_connection_close(timeout=5)
        assert time.time() - opened < 6


@pytest.mark.parametrize("started", [["--drain-delay-seconds", "2"]], indirect=True)
def test_sigterm_turns_health_not_serving_and_keeps_serving_for_the_drain_delay(started):
    with started.channel() as ch:
        health = health_pb2_grpc.HealthStub(ch)
        kv = kv_pb2_grpc.KVStub(ch)
        assert health.Check(health_pb2.HealthCheckRequest(), timeout=5).status == 1  # SERVING
        signalled = time.time()
        started.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        assert health.Check(health_pb2.HealthCheckRequest(), timeout=5).status == 2  # NOT_SERVING
        # Still serving writes while load balancers catch up.
        assert kv.Put(kv_pb2.PutRequest(key=b"during-drain", value=b"x"), timeout=5).revision > 0
        time.sleep(1.0)
        assert kv.Put(kv_pb2.PutRequest(key=b"still", value=b"x"), timeout=5).revision > 0
        assert started.proc.wait(timeout=30) == 0
        assert time.time() - signalled >= 2.0


@pytest.mark.parametrize("started", [["--log-format", "json"]], indirect=True)
def test_json_log_format_writes_one_json_object_per_line(started):
    import json
    started.terminate()
    lines = [line for line in started.stderr_lines if line.strip()]
    assert lines, "the node logged nothing"
    parsed = [json.loads(line) for line in lines]
    assert all({"ts", "level", "logger", "msg"} <= set(entry) for entry in parsed)
    assert any(entry["msg"] == "gRPC server listening" and "address" in entry for entry in parsed)


@pytest.mark.parametrize("started", [["--log-format", "json", "--log-level", "debug"]], indirect=True)
def test_a_failed_call_is_logged_with_its_request_id_and_trace_id(started):
    import json
    with started.channel() as ch:
        kv = kv_pb2_grpc.KVStub(ch)
        with pytest.raises(grpc.RpcError) as error:
            kv.Put(kv_pb2.PutRequest(key=b"", value=b"v"), timeout=10, metadata=[
                ("x-request-id", "req-7"),
                ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")])
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    started.terminate()
    lines = [json.loads(line) for line in started.stderr_lines if line.strip()]
    failed = [entry for entry in lines if entry["msg"] == "call failed"]
    assert len(failed) == 1, failed
    entry = failed[0]
    assert entry["level"] == "debug"  # the caller's fault; server faults are warnings
    assert entry["path"] == "/microstate.v1.KV/Put" and entry["code"] == "INVALID_ARGUMENT"
    assert entry["request_id"] == "req-7" and entry["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
