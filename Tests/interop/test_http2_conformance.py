"""HTTP/2 conformance: h2spec's `http2` and `hpack` sections, case by case, as raw-frame pytest cases.

Each case sends what h2spec sends and asserts what h2spec asserts (see h2conformance.py for the
verifiers: "connection error X" = GOAWAY(X) or close; "stream error X" = RST_STREAM(X), GOAWAY(X) or
close; a timeout fails). Section numbers in test names are h2spec's (RFC 7540 numbering); docstrings
also give the RFC 9113 / RFC 7541 section. A last group covers the DoS hardening that nghttp2 ships
(rapid reset, CONTINUATION flood, SETTINGS/PING ACK floods, oversized SETTINGS) and asserts what
Debian's nghttp2 1.52.0-1+deb12u3 actually does.

Target: the `h2_target` fixture below. By default it starts a microstatedb node and every case sends a
real gRPC call (POST /microstate.v1.KV/Get). H2_REFERENCE=nghttpd runs the same cases against
`nghttpd --no-tls` (Debian's nghttp2-server) serving a 16-byte file — the reference the suite was
validated against. With H2_TARGET=host:port (and optionally H2_PATH, default "/") the cases run against
that server with `GET <H2_PATH>`.
To run against a gRPC server, make `h2_target` yield a `Target` built with `grpc_request_headers()`
and `body=grpc_message(...)`: every case sends its requests through H2Conn.request_headers() /
send_request(), so the valid request is the target's.

Environment: H2_TARGET=host:port, H2_PATH (with H2_TARGET), H2_TIMEOUT (seconds per wait, default 2),
H2_TRACE=1 (print every frame each case received; use with -s).
"""
import os
import shutil
import socket
import struct
import subprocess
import time

import pytest

from h2conformance import (
    grpc_message,
    grpc_request_headers,
    CANCEL,
    COMPRESSION_ERROR,
    CONTINUATION,
    DATA,
    DEFAULT_WINDOW,
    ENHANCE_YOUR_CALM,
    FLAG_ACK,
    FLAG_END_HEADERS,
    FLAG_END_STREAM,
    FLAG_PADDED,
    FLOW_CONTROL_ERROR,
    FRAME_SIZE_ERROR,
    GOAWAY,
    HEADERS,
    INTERNAL_ERROR,
    MAX_HEADER_LEN,
    PING,
    PRIORITY,
    PROTOCOL_ERROR,
    REFUSED_STREAM,
    RST_STREAM,
    SETTINGS,
    SETTINGS_ENABLE_PUSH,
    SETTINGS_HEADER_TABLE_SIZE,
    SETTINGS_INITIAL_WINDOW_SIZE,
    SETTINGS_MAX_CONCURRENT_STREAMS,
    SETTINGS_MAX_FRAME_SIZE,
    STREAM_CLOSED,
    WINDOW_UPDATE,
    CLOSED,
    TIMEOUT,
    DataFrame,
    GoAwayFrame,
    H2Conn,
    HeadersFrame,
    SettingsFrame,
    RstStreamFrame,
    Target,
    describe,
    http_request_headers,
    raw_frame,
)

# ---------------------------------------------------------------------------------------------- target


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(host: str, port: int, proc: subprocess.Popen, log_path: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            with open(log_path, "rb") as f:
                raise RuntimeError(f"nghttpd exited early with {proc.returncode}: {f.read()[-2000:]!r}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nghttpd did not start listening in time")


@pytest.fixture(scope="session")
def h2_target(tmp_path_factory):
    """(host, port, path, headers_for_request) of the server under test, as a Target.

    H2_TARGET=host:port selects a running server (request: GET $H2_PATH, default "/"); otherwise a
    reference nghttpd is started on a free port, serving /file16 (16 bytes).
    """
    env = os.environ.get("H2_TARGET")
    if env:
        host, _, port = env.rpartition(":")
        host = host.strip("[]") or "127.0.0.1"
        path = os.environ.get("H2_PATH", "/")
        yield Target(host, int(port), path, http_request_headers(host, int(port), path))
        return
    if os.environ.get("H2_REFERENCE") != "nghttpd":
        from conftest import Node  # the node under test, on OS-chosen ports

        node = Node(tmp_path_factory.mktemp("h2node")).start()
        try:
            path = "/microstate.v1.KV/Get"
            body = grpc_message(b"\x0a\x01k")  # GetRequest{key: "k"}
            yield Target("127.0.0.1", node.port, path, grpc_request_headers("127.0.0.1", node.port, path),
                         body=body, pid=node.proc.pid)
        finally:
            node.stop()
        return
    nghttpd = shutil.which("nghttpd")
    if nghttpd is None:
        pytest.skip("nghttpd not installed (Debian package nghttp2-server) and H2_TARGET not set")
    docroot = tmp_path_factory.mktemp("h2docs")
    (docroot / "file16").write_bytes(b"0123456789abcdef")
    host, port = "127.0.0.1", _free_port()
    log = open(tmp_path_factory.mktemp("h2log") / "nghttpd.log", "wb")  # a file: a full pipe would stall nghttpd
    proc = subprocess.Popen([nghttpd, "--no-tls", "-a", host, "-d", str(docroot), str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_listening(host, port, proc, log.name)
        yield Target(host, port, "/file16", http_request_headers(host, port, "/file16"), pid=proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def conn(h2_target):
    """A fresh TCP connection to the target; the case does the handshake itself (3.5 must not)."""
    c = H2Conn(h2_target)
    yield c
    if os.environ.get("H2_TRACE"):
        print(c.format_trace(limit=None))
    c.close()


@pytest.fixture
def h2(conn):
    """A connection after the HTTP/2 handshake (preface, SETTINGS exchanged and ACKed both ways)."""
    conn.handshake()
    return conn


@pytest.fixture(scope="session")
def response_body_length(h2_target):
    """Bytes of DATA in the response to the valid request (h2spec's ServerDataLength)."""
    with H2Conn(h2_target) as c:
        c.handshake()
        c.send_request(1)
        total = 0
        while True:
            ev = c.read_event()
            if ev is CLOSED or ev is TIMEOUT:
                raise AssertionError(f"the valid request got no complete response; {c.format_trace()}")
            if isinstance(ev, DataFrame) and ev.stream_id == 1:
                total += len(ev.data)
            if isinstance(ev, (DataFrame, HeadersFrame)) and ev.stream_id == 1 and "END_STREAM" in ev.flags:
                return total


def _insert_after_pseudo(headers, fields):
    """Insert `fields` right after the last pseudo-header (so only the intended fault is present)."""
    i = max((n for n, (name, _) in enumerate(headers) if name.startswith(":")), default=-1) + 1
    return list(headers[:i]) + list(fields) + list(headers[i:])


def _rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


PING_PAYLOAD = b"h2spec\x00\x00"
DUMMY1 = H2Conn.dummy_headers(1)


# ---------------------------------------------------------------------------------------------- 3.5


def test_3_5_sends_client_connection_preface(conn):
    """RFC 9113 §3.4 (h2spec 3.5/1): the server preface is a non-ACK SETTINGS, the first frame it sends."""
    conn.send_preface()
    conn.write_settings((SETTINGS_INITIAL_WINDOW_SIZE, DEFAULT_WINDOW))
    first = conn.read_event()
    assert isinstance(first, SettingsFrame) and "ACK" not in first.flags, conn.format_trace()


def test_3_5_sends_invalid_connection_preface(conn):
    """RFC 9113 §3.4 (h2spec 3.5/2): an invalid client preface -> the server closes the connection."""
    conn.send(b"INVALID CONNECTION PREFACE\r\n\r\n")
    conn.expect_connection_close()


# ---------------------------------------------------------------------------------------------- 4.1


@pytest.mark.parametrize(
    "frames",
    [
        pytest.param(lambda p: raw_frame(0x16, 0, 0, b"\x00" * 8) + raw_frame(PING, 0, 0, p), id="unknown-type"),
        pytest.param(lambda p: raw_frame(PING, 0x16, 0, p), id="undefined-flags"),
        pytest.param(lambda p: raw_frame(PING, 0x16, 0x80000000, p), id="reserved-bit"),
    ],
)
def test_4_1_frame_format_ignored_fields(h2, frames):
    """RFC 9113 §4.1 (h2spec 4.1/1-3): unknown frame types, undefined flags and the reserved bit are ignored."""
    h2.send(frames(PING_PAYLOAD))
    h2.expect_ping_ack(PING_PAYLOAD)


# ---------------------------------------------------------------------------------------------- 4.2


def test_4_2_data_frame_of_2_14_octets(h2):
    """RFC 9113 §4.2 (h2spec 4.2/1): a DATA frame of 2^14 octets is accepted (a response follows)."""
    h2.write_headers(1, h2.encode(h2.body_method_headers()), end_stream=False)
    h2.write_data(1, b"x" * 16384, end_stream=True)
    h2.expect_frame(HeadersFrame, lambda f: f.stream_id == 1, what="HEADERS on stream 1")


def test_4_2_data_frame_exceeding_max_frame_size(h2):
    """RFC 9113 §4.2 (h2spec 4.2/2): DATA larger than SETTINGS_MAX_FRAME_SIZE -> FRAME_SIZE_ERROR."""
    if h2.max_frame_size >= DEFAULT_WINDOW:
        pytest.skip("server's SETTINGS_MAX_FRAME_SIZE is larger than a stream window")
    h2.write_headers(1, h2.encode(h2.body_method_headers()), end_stream=False)
    h2.write_data(1, b"x" * (h2.max_frame_size + 1), end_stream=True)
    h2.expect_stream_error(FRAME_SIZE_ERROR)


def test_4_2_headers_frame_exceeding_max_frame_size(h2):
    """RFC 9113 §4.2 (h2spec 4.2/3): a HEADERS frame larger than SETTINGS_MAX_FRAME_SIZE -> connection FRAME_SIZE_ERROR."""
    if h2.max_frame_size > 1 << 20:
        pytest.skip("server's SETTINGS_MAX_FRAME_SIZE is too large to exceed sensibly")
    count = h2.max_frame_size // MAX_HEADER_LEN + 2
    block = h2.encode(h2.request_headers() + H2Conn.dummy_headers(count))
    assert len(block) > h2.max_frame_size
    h2.write_headers(1, block, end_stream=True)
    h2.expect_connection_error(FRAME_SIZE_ERROR)


# ---------------------------------------------------------------------------------------------- 4.3


def test_4_3_invalid_header_block_fragment(h2):
    """RFC 9113 §4.3 (h2spec 4.3/1): an undecodable header block -> connection COMPRESSION_ERROR."""
    # Literal Header Field with Incremental Indexing, without the name length and string.
    h2.write_raw(HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS, 1, b"\x40")
    h2.expect_connection_error(COMPRESSION_ERROR)


def test_4_3_priority_frame_inside_header_block(h2):
    """RFC 9113 §4.3 (h2spec 4.3/2): a PRIORITY frame between HEADERS and CONTINUATION -> connection PROTOCOL_ERROR."""
    h2.write_headers(1, h2.encode(h2.request_headers()), end_stream=False, end_headers=False)
    h2.write_priority(1, depends_on=0, weight=256)
    h2.write_continuation(1, h2.encode(DUMMY1), end_headers=True)
    h2.expect_connection_error(PROTOCOL_ERROR)


def test_4_3_headers_to_another_stream_inside_header_block(h2):
    """RFC 9113 §4.3 (h2spec 4.3/3): HEADERS for another stream inside a header block -> connection PROTOCOL_ERROR."""
    h2.write_headers(1, h2.encode(h2.request_headers()), end_stream=False, end_headers=False)
    h2.write_headers(3, h2.encode(h2.request_headers()), end_stream=True)
    h2.write_continuation(1, h2.encode(DUMMY1), end_headers=True)
    h2.expect_connection_error(PROTOCOL_ERROR)


# ---------------------------------------------------------------------------------------------- 5.1


def _idle_continuation(c):
    c.write_continuation(1, c.encode(c.request_headers()), end_headers=True)


@pytest.mark.parametrize(
    "send",
    [
        pytest.param(lambda c: c.write_data(1, b"test", end_stream=True), id="data"),
        pytest.param(lambda c: c.write_rst_stream(1, CANCEL), id="rst_stream"),
        pytest.param(lambda c: c.write_window_update(1, 100), id="window_update"),
        pytest.param(_idle_continuation, id="continuation"),
    ],
)
def test_5_1_idle_stream(h2, send):
    """RFC 9113 §5.1 (h2spec 5.1/1-4): a frame other than HEADERS/PRIORITY on an idle stream -> connection PROTOCOL_ERROR."""
    send(h2)
    h2.expect_connection_error(PROTOCOL_ERROR)


def _half_closed_data(c):
    c.write_data(1, b"test", end_stream=True)
    return (STREAM_CLOSED,)


def _half_closed_headers(c):
    c.write_headers(1, c.encode(c.request_headers()), end_stream=True)
    return (STREAM_CLOSED,)


def _half_closed_continuation(c):
    c.write_continuation(1, c.encode(DUMMY1), end_headers=True)
    return (STREAM_CLOSED, PROTOCOL_ERROR)


@pytest.mark.parametrize(
    "send",
    [
        pytest.param(_half_closed_data, id="data"),
        pytest.param(_half_closed_headers, id="headers"),
        pytest.param(_half_closed_continuation, id="continuation"),
    ],
)
def test_5_1_half_closed_remote(h2, send):
    """RFC 9113 §5.1 (h2spec 5.1/5-7): DATA/HEADERS/CONTINUATION after the client's END_STREAM -> stream error STREAM_CLOSED."""
    h2.send_request(1)
    codes = send(h2)
    h2.expect_stream_error(*codes)


@pytest.mark.parametrize(
    "send",
    [
        pytest.param(_half_closed_data, id="data"),
        pytest.param(_half_closed_headers, id="headers"),
        pytest.param(_half_closed_continuation, id="continuation"),
    ],
)
def test_5_1_closed_after_rst_stream(h2, send):
    """RFC 9113 §5.1 (h2spec 5.1/8-10): a frame after the client's RST_STREAM -> stream error STREAM_CLOSED."""
    h2.send_request(1, end_stream=False)
    h2.write_rst_stream(1, CANCEL)
    codes = send(h2)
    h2.expect_stream_error(*codes)


@pytest.mark.parametrize(
    "send, kind",
    [
        # h2spec accepts a stream error here: RFC 9113 only says an endpoint MAY make it a connection error.
        pytest.param(_half_closed_data, "stream", id="data"),
        pytest.param(_half_closed_headers, "connection", id="headers"),
        pytest.param(_half_closed_continuation, "connection", id="continuation"),
    ],
)
def test_5_1_closed_after_end_stream(h2, send, kind):
    """RFC 9113 §5.1 (h2spec 5.1/11-13): a frame on a stream closed by END_STREAM both ways -> STREAM_CLOSED
    (DATA: stream or connection error; HEADERS/CONTINUATION: connection error)."""
    h2.send_request(1)
    h2.expect_stream_close(1)
    codes = send(h2)
    if kind == "stream":
        h2.expect_stream_error(*codes)
    else:
        h2.expect_connection_error(*codes)


# ---------------------------------------------------------------------------------------------- 5.1.1


def test_5_1_1_even_numbered_stream_identifier(h2):
    """RFC 9113 §5.1.1 (h2spec 5.1.1/1): a client-initiated even stream id -> connection PROTOCOL_ERROR."""
    h2.write_headers(2, h2.encode(h2.request_headers()), end_stream=True)
    h2.expect_connection_error(PROTOCOL_ERROR)


@pytest.mark.xfail(strict=True, reason="libnghttp2 deliberately ignores a HEADERS whose new stream id is lower than "
                   "the last one instead of a PROTOCOL_ERROR (nghttp2 issues #1300, #2233; nghttpd fails this h2spec case)")
def test_5_1_1_stream_identifier_smaller_than_previous(h2):
    """RFC 9113 §5.1.1 (h2spec 5.1.1/2): a new stream id lower than a previous one -> connection PROTOCOL_ERROR."""
    h2.send_request(5)
    h2.send_request(3)
    h2.expect_connection_error(PROTOCOL_ERROR)


def test_5_1_1_headers_on_half_closed_remote_stream(h2):
    """RFC 9113 §5.1/§5.4.2 (h2spec 5.1.1/3): a second request HEADERS on stream 5 -> stream error STREAM_CLOSED."""
    h2.send_request(5)
    h2.write_headers(5, h2.encode(h2.request_headers()), end_stream=True)
    h2.expect_stream_error(STREAM_CLOSED)


# ---------------------------------------------------------------------------------------------- 5.1.2


def test_5_1_2_exceeding_max_concurrent_streams(h2):
    """RFC 9113 §5.1.2 (h2spec 5.1.2/1): one stream over SETTINGS_MAX_CONCURRENT_STREAMS -> stream error PROTOCOL_ERROR or REFUSED_STREAM."""
    limit = h2.server_settings.get(SETTINGS_MAX_CONCURRENT_STREAMS)
    if limit is None:
        pytest.skip("server does not limit SETTINGS_MAX_CONCURRENT_STREAMS")
    if limit > 10000:
        pytest.skip(f"SETTINGS_MAX_CONCURRENT_STREAMS={limit} is too many to open here")
    # A zero window keeps the server from finishing its responses, so the streams stay open.
    h2.write_settings((SETTINGS_INITIAL_WINDOW_SIZE, 0))
    for i in range(limit + 1):
        h2.send_request(1 + 2 * i)
    h2.expect_stream_error(PROTOCOL_ERROR, REFUSED_STREAM)


# ---------------------------------------------------------------------------------------------- 5.3.1


def test_5_3_1_headers_depending_on_itself(h2):
    """RFC 7540 §5.3.1 (h2spec 5.3.1/1; RFC 9113 §5.3 deprecates these priorities but h2spec checks it):
    HEADERS whose priority depends on itself -> stream error PROTOCOL_ERROR."""
    h2.write_headers(1, h2.encode(h2.request_headers()), end_stream=True, priority=(1, 256, False))
    h2.expect_stream_error(PROTOCOL_ERROR)


def test_5_3_1_priority_depending_on_itself(h2):
    """RFC 7540 §5.3.1 (h2spec 5.3.1/2; see above): a PRIORITY frame that depends on itself -> stream error PROTOCOL_ERROR."""
    h2.write_priority(1, depends_on=1, weight=256)
    h2.expect_stream_error(PROTOCOL_ERROR)


# ---------------------------------------------------------------------------------------------- 5.4.1


def test_5_4_1_connection_error_closes_tcp(h2):
    """RFC 9113 §5.4.1 (h2spec 5.4.1/1): after a connection error the endpoint closes the TCP connection."""
    h2.write_raw(PING, 0, 3, b"\x00" * 8)  # PING with a stream id
    h2.expect_connection_close()


def test_5_4_1_connection_error_sends_goaway(h2):
    """RFC 9113 §5.4.1 (h2spec 5.4.1/2, strict): a connection error is announced with GOAWAY (here PROTOCOL_ERROR)."""
    h2.write_raw(PING, 0, 3, b"\x00" * 8)
    ev = h2.expect_connection_error(PROTOCOL_ERROR)
    assert isinstance(ev, GoAwayFrame), f"closed without GOAWAY; {h2.format_trace()}"


# ---------------------------------------------------------------------------------------------- 5.5


def test_5_5_unknown_extension_frame(h2):
    """RFC 9113 §5.5 (h2spec 5.5/1): an unknown extension frame is ignored."""
    h2.write_raw(0x16, 0, 0, b"\x00" * 8)
    h2.write_ping(PING_PAYLOAD)
    h2.expect_ping_ack(PING_PAYLOAD)


def test_5_5_unknown_extension_frame_inside_header_block(h2):
    """RFC 9113 §5.5 (h2spec 5.5/2): an extension frame in the middle of a header block -> connection PROTOCOL_ERROR."""
    h2.write_headers(1, h2.encode(h2.request_headers()), end_stream=True, end_headers=False)
    h2.write_raw(0x16, 0, 0, b"\x00" * 8)
    h2.expect_connection_error(PROTOCOL_ERROR)


# ---------------------------------------------------------------------------------------------- 6.1 DATA


def test_6_1_data_on_stream_0(h2):
    """RFC 9113 §6.1 (h2spec 6.1/1): DATA on stream 0 -> connection PROTOCOL_ERROR."""
    h2.write_data(0, b"test", end_stream=True)
    h2.expect_connection_error(PROTOCOL_ERROR)


def test_6_1_data_on_stream_not_open(h2):
    """RFC 9113 §6.1 (h2spec 6.1/2): DATA on a stream not "open"/"half-closed (local)" -> stream error STREAM_CLOSED."""
    h2.send_request(1, headers=h2.body_method_headers())
    h2.write_data(1, b"test", end_stream=True)
    h2.expect_stream_error(STREAM_CLOSED)


def test_6_1_data_with_invalid_pad_length(h2):
    """RFC 9113 §6.1 (h2spec 6.1/3): padding as long as the payload -> connection PROTOCOL_ERROR."""
    h2.write_headers(1, h2.encode(h2.body_method_headers(extra=[("content-length", "4")])), end_stream=False)
    # length 5, END_STREAM|PADDED, pad length 6
    h2.write_raw(DATA, FLAG_END_STREAM | FLAG_PADDED, 1, b"\x06Test")
    h2.expect_connection_error(PROTOCOL_ERROR)


# ---------------------------------------------------------------------------------------------- 6.2 HEADERS


def test_6_2_headers_without_end_headers_then_priority(h2):
    """RFC 9113 §6.2 (h2spec 6.2/1): HEADERS without END_HEADERS followed by PRIORITY -> connection PROTOCOL_ERROR."""
    h2.write_headers(1, h2.encode(h2.request_headers()), end_stream=False, end_headers=False)
    h2.write_priority(1, depends_on=0, weight=256)
    h2.write_continuation(1, h2.encode(DUMMY1), end_headers=True)
    h2.expect_connection_error(PROTOCOL_ERROR)


def test_6_2_headers_to_another_stream_while_sending_headers(h2):
    """RFC 9113 §6.2 (h2spec 6.2/2): HEADERS on stream 3 before stream 1's CONTINUATION -> connection PROTOCOL_ERROR."""
    h2.write_headers(1, h2.encode(h2.request_headers()), end_stream=False, end_headers=False)
    h2.write_headers(3, h2.encode(h2.request_headers()), end_stream=True)
    h2.write_continuation(1, h2.encode(DUMMY1), end_headers=True)
    h2.expect_connection_error(PROTOCOL_ERROR)


def test_6_2_headers_on_stream_0(h2):
    """RFC 9113 §6.2 (h2spec 6.2/3): HEADERS on stream 0 -> connection PROTOCOL_ERROR."""
    h2.write_headers(0, h2.encode(h2.request_headers()), end_stream=True)
    h2.expect_connection_error(PROTOCOL_ERROR)


def test_6_2_headers_with_invalid_pad_length(h2):
    """RFC 9113 §6.2 (h2spec 6.2/4): padding longer than the rest of the HEADERS payload -> PROTOCOL_ERROR."""
    block = h2.encode(h2.request_headers())
    h2.write_raw(HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS | FLAG_PADDED, 1, bytes([len(block) + 2]) + block)
    h2.expect_stream_error(PROTOCOL_ERROR)


# ---------------------------------------------------------------------------------------------- 6.3 PRIORITY


def test_6_3_priority_on_stream_0(h2):
    """RFC 9113 §6.3 (h2spec 6.3/1): PRIORITY on stream 0 -> connection PROTOCOL_ERROR."""
    h2.write_priority(0, depends_on=0, weight=256)
    h2.expect_connection_error(PROTOCOL_ERROR)


def test_6_3_priority_with_length_other_than_5(h2):
    """RFC 9113 §6.3 (h2spec 6.3/2): a 4-octet PRIORITY -> stream error FRAME_SIZE_ERROR."""
    h2.send_request(1)
    h2.write_raw(PRIORITY, 0, 1, b"\x80\x00\x00\x01")
    h2.expect_stream_error(FRAME_SIZE_ERROR)


def test_6_3_priority_for_idle_stream_then_lower_headers(h2):
    """RFC 9113 §6.3 (h2spec 6.3/3, strict): PRIORITY on idle stream 3, then a request on stream 1 is answered."""
    h2.write_priority(3, depends_on=0, weight=256)
    h2.send_request(1)
    h2.expect_frame(HeadersFrame, lambda f: f.stream_id == 1, what="HEADERS on stream 1")


# ---------------------------------------------------------------------------------------------- 6.4 RST_STREAM


def test_6_4_rst_stream_on_stream_0(h2):
    """RFC 9113 §6.4 (h2spec 6.4/1): RST_STREAM on stream 0 -> connection PROTOCOL_ERROR."""
    h2.write_rst_stream(0, CANCEL)
    h2.expect_connection_error(PROTOCOL_ERROR)


def test_6_4_rst_stream_on_idle_stream(h2):
    """RFC 9113 §6.4 (h2spec 6.4/2): RST_STREAM on an idle stream -> connection PROTOCOL_ERROR."""
    h2.write_rst_stream(1, CANCEL)
    h2.expect_connection_error(PROTOCOL_ERROR)


def test_6_4_rst_stream_with_length_other_than_4(h2):
    """RFC 9113 §6.4 (h2spec 6.4/3): a 3-octet RST_STREAM -> FRAME_SIZE_ERROR."""
    h2.send_request(1)
    h2.write_raw(RST_STREAM, 0, 1, b"\x00\x00\x00")
    h2.expect_stream_error(FRAME_SIZE_ERROR)


# ---------------------------------------------------------------------------------------------- 6.5 SETTINGS


@pytest.mark.parametrize(
    "frame, codes",
    [
        pytest.param(raw_frame(SETTINGS, FLAG_ACK, 0, b"\x00"), (FRAME_SIZE_ERROR,), id="ack-with-payload"),
        pytest.param(raw_frame(SETTINGS, 0, 1, b"\x00\x03\x00\x00\x00\x64"), (PROTOCOL_ERROR,), id="stream-id-1"),
        pytest.param(raw_frame(SETTINGS, 0, 0, b"\x00\x03\x00\x00\x00\x64\x00\x02", length=8),
                     (PROTOCOL_ERROR, FRAME_SIZE_ERROR), id="length-not-multiple-of-6"),
    ],
)
def test_6_5_settings_frame_errors(h2, frame, codes):
    """RFC 9113 §6.5 (h2spec 6.5/1-3): SETTINGS ACK with payload -> FRAME_SIZE_ERROR; on a stream -> PROTOCOL_ERROR;
    length not a multiple of 6 -> FRAME_SIZE_ERROR (connection errors)."""
    h2.send(frame)
    h2.expect_connection_error(*codes)


# ---------------------------------------------------------------------------------------------- 6.5.2


@pytest.mark.parametrize(
    "setting, code",
    [
        pytest.param((SETTINGS_ENABLE_PUSH, 2), PROTOCOL_ERROR, id="enable_push-2"),
        pytest.param((SETTINGS_INITIAL_WINDOW_SIZE, 2**31), FLOW_CONTROL_ERROR, id="initial_window_size-2^31"),
        pytest.param((SETTINGS_MAX_FRAME_SIZE, 16383), PROTOCOL_ERROR, id="max_frame_size-below-2^14"),
        pytest.param((SETTINGS_MAX_FRAME_SIZE, 2**24), PROTOCOL_ERROR, id="max_frame_size-above-2^24-1"),
    ],
)
def test_6_5_2_invalid_settings_values(h2, setting, code):
    """RFC 9113 §6.5.2 (h2spec 6.5.2/1-4): out-of-range SETTINGS values are connection errors."""
    h2.write_settings(setting)
    h2.expect_connection_error(code)


def test_6_5_2_unknown_setting_identifier(h2):
    """RFC 9113 §6.5.2 (h2spec 6.5.2/5): an unknown setting is ignored."""
    h2.write_settings((0xFF, 1))
    h2.write_ping(PING_PAYLOAD)
    h2.expect_ping_ack(PING_PAYLOAD)


# ---------------------------------------------------------------------------------------------- 6.5.3


def test_6_5_3_multiple_initial_window_size_values(h2, response_body_length):
    """RFC 9113 §6.5.3 (h2spec 6.5.3/1): values are processed in order: INITIAL_WINDOW_SIZE 100 then 1 -> 1-byte DATA."""
    if response_body_length < 1:
        pytest.skip("the response has no body")
    h2.write_settings((SETTINGS_INITIAL_WINDOW_SIZE, 100), (SETTINGS_INITIAL_WINDOW_SIZE, 1))
    h2.expect_frame(SettingsFrame, what="SETTINGS ACK")
    h2.send_request(1)
    h2.expect_frame(DataFrame, lambda f: len(f.data) == 1, what="DATA of length 1")


def test_6_5_3_settings_ack_is_sent(h2):
    """RFC 9113 §6.5.3 (h2spec 6.5.3/2): a SETTINGS frame is answered with SETTINGS ACK."""
    h2.write_settings((SETTINGS_ENABLE_PUSH, 0))
    h2.expect_frame(SettingsFrame, lambda f: "ACK" in f.flags and not f.settings, what="SETTINGS with ACK")


# ---------------------------------------------------------------------------------------------- 6.7 PING


def test_6_7_ping_is_acked_with_same_payload(h2):
    """RFC 9113 §6.7 (h2spec 6.7/1): PING -> PING ACK with the identical payload."""
    h2.write_ping(PING_PAYLOAD)
    h2.expect_ping_ack(PING_PAYLOAD)


def test_6_7_ping_ack_is_not_answered(h2):
    """RFC 9113 §6.7 (h2spec 6.7/2): a PING with ACK is not answered (the following PING is)."""
    unexpected = b"invalid\x00"
    h2.write_ping(unexpected, ack=True)
    h2.write_ping(PING_PAYLOAD)
    h2.expect_ping_ack(PING_PAYLOAD)
    answered = [e for e in h2.trace if getattr(e, "opaque_data", None) == unexpected]
    assert not answered, f"the PING ACK was answered; {h2.format_trace()}"


@pytest.mark.parametrize(
    "frame, code",
    [
        pytest.param(raw_frame(PING, 0, 1, b"\x00" * 8), PROTOCOL_ERROR, id="stream-id-1"),
        pytest.param(raw_frame(PING, 0, 0, b"\x00" * 6), FRAME_SIZE_ERROR, id="length-6"),
    ],
)
def test_6_7_ping_frame_errors(h2, frame, code):
    """RFC 9113 §6.7 (h2spec 6.7/3-4): PING on a stream -> PROTOCOL_ERROR; length other than 8 -> FRAME_SIZE_ERROR."""
    h2.send(frame)
    h2.expect_connection_error(code)


# ---------------------------------------------------------------------------------------------- 6.8 GOAWAY


def test_6_8_goaway_on_stream(h2):
    """RFC 9113 §6.8 (h2spec 6.8/1): GOAWAY with a stream id -> connection PROTOCOL_ERROR."""
    h2.write_raw(GOAWAY, 0, 1, b"\x00" * 8)
    h2.expect_connection_error(PROTOCOL_ERROR)


# ---------------------------------------------------------------------------------------------- 6.9 WINDOW_UPDATE


def test_6_9_window_update_zero_increment_on_connection(h2):
    """RFC 9113 §6.9 (h2spec 6.9/1): WINDOW_UPDATE 0 on the connection -> connection PROTOCOL_ERROR."""
    h2.write_window_update(0, 0)
    h2.expect_connection_error(PROTOCOL_ERROR)


def test_6_9_window_update_zero_increment_on_stream(h2):
    """RFC 9113 §6.9 (h2spec 6.9/2): WINDOW_UPDATE 0 on a stream -> stream error PROTOCOL_ERROR."""
    h2.send_request(1, end_stream=False)
    h2.write_window_update(1, 0)
    h2.expect_stream_error(PROTOCOL_ERROR)


def test_6_9_window_update_with_length_other_than_4(h2):
    """RFC 9113 §6.9 (h2spec 6.9/3): a 3-octet WINDOW_UPDATE -> connection FRAME_SIZE_ERROR."""
    h2.write_raw(WINDOW_UPDATE, 0, 0, b"\x00\x00\x01")
    h2.expect_connection_error(FRAME_SIZE_ERROR)


# ---------------------------------------------------------------------------------------------- 6.9.1


def test_6_9_1_server_respects_one_byte_window(h2, response_body_length):
    """RFC 9113 §6.9.1 (h2spec 6.9.1/1): with SETTINGS_INITIAL_WINDOW_SIZE=1 the server sends 1-byte DATA."""
    if response_body_length < 1:
        pytest.skip("the response has no body")
    h2.write_settings((SETTINGS_INITIAL_WINDOW_SIZE, 1))
    h2.expect_frame(SettingsFrame, what="SETTINGS ACK")
    h2.send_request(1)
    h2.expect_frame(DataFrame, lambda f: len(f.data) == 1, what="DATA of length 1")


def test_6_9_1_connection_window_overflow(h2):
    """RFC 9113 §6.9.1 (h2spec 6.9.1/2): connection window above 2^31-1 -> GOAWAY FLOW_CONTROL_ERROR (a GOAWAY is required)."""
    h2.write_window_update(0, 2**31 - 1)
    h2.write_window_update(0, 2**31 - 1)
    h2.expect_frame(GoAwayFrame, lambda f: f.error_code == FLOW_CONTROL_ERROR, what="GOAWAY FLOW_CONTROL_ERROR")


def test_6_9_1_stream_window_overflow(h2):
    """RFC 9113 §6.9.1 (h2spec 6.9.1/3): stream window above 2^31-1 -> RST_STREAM FLOW_CONTROL_ERROR (required)."""
    h2.send_request(1, end_stream=False)
    h2.write_window_update(1, 2**31 - 1)
    h2.write_window_update(1, 2**31 - 1)
    h2.expect_frame(RstStreamFrame, lambda f: f.stream_id == 1 and f.error_code == FLOW_CONTROL_ERROR,
                    what="RST_STREAM FLOW_CONTROL_ERROR on stream 1")


# ---------------------------------------------------------------------------------------------- 6.9.2


def test_6_9_2_initial_window_size_change_applies_to_open_streams(h2, response_body_length):
    """RFC 9113 §6.9.2 (h2spec 6.9.2/1): INITIAL_WINDOW_SIZE 0, request, then 1 -> the open stream gets 1-byte DATA."""
    if response_body_length < 1:
        pytest.skip("the response has no body")
    h2.write_settings((SETTINGS_INITIAL_WINDOW_SIZE, 0))
    h2.expect_frame(SettingsFrame, what="SETTINGS ACK")
    h2.send_request(1)
    h2.write_settings((SETTINGS_INITIAL_WINDOW_SIZE, 1))
    h2.expect_frame(SettingsFrame, what="SETTINGS ACK")
    h2.expect_frame(DataFrame, lambda f: len(f.data) == 1, what="DATA of length 1")


def test_6_9_2_negative_window(h2, response_body_length):
    """RFC 9113 §6.9.2 (h2spec 6.9.2/2): window 3, 3 bytes sent, window set to 2 (-1), +2 -> exactly 1 more byte."""
    if response_body_length < 5:
        pytest.skip("the response body is shorter than 5 bytes")
    h2.write_settings((SETTINGS_INITIAL_WINDOW_SIZE, 3))
    h2.expect_frame(SettingsFrame, what="SETTINGS ACK")
    h2.send_request(1)
    h2.expect_frame(DataFrame, what="DATA")
    h2.write_settings((SETTINGS_INITIAL_WINDOW_SIZE, 2))
    h2.expect_frame(SettingsFrame, what="SETTINGS ACK")
    h2.write_window_update(1, 2)
    h2.expect_frame(DataFrame, lambda f: len(f.data) == 1, what="DATA of length 1")


def test_6_9_2_initial_window_size_above_maximum(h2):
    """RFC 9113 §6.9.2 (h2spec 6.9.2/3): SETTINGS_INITIAL_WINDOW_SIZE 2^31 -> connection FLOW_CONTROL_ERROR."""
    h2.write_raw(SETTINGS, 0, 0, b"\x00\x04\x80\x00\x00\x00")
    h2.expect_connection_error(FLOW_CONTROL_ERROR)


# ---------------------------------------------------------------------------------------------- 6.10 CONTINUATION


def test_6_10_multiple_continuation_frames(h2):
    """RFC 9113 §6.10 (h2spec 6.10/1): HEADERS + two CONTINUATION frames form one header block (a response follows)."""
    h2.write_headers(1, h2.encode(h2.request_headers()), end_stream=not h2.has_body, end_headers=False)
    h2.write_continuation(1, h2.encode(DUMMY1), end_headers=False)
    h2.write_continuation(1, h2.encode(DUMMY1), end_headers=True)
    if h2.has_body:
        h2.finish_request(1)
    h2.expect_frame(HeadersFrame, lambda f: f.stream_id == 1, what="HEADERS on stream 1")


def _cont_then_data(c):
    c.write_headers(1, c.encode(c.body_method_headers()), end_stream=False, end_headers=False)
    c.write_continuation(1, c.encode(DUMMY1), end_headers=False)
    c.write_data(1, b"test", end_stream=True)


def _cont_on_stream_0(c):
    c.write_headers(1, c.encode(c.request_headers()), end_stream=True, end_headers=False)
    c.write_continuation(0, c.encode(DUMMY1), end_headers=True)


def _cont_after_end_headers(c):
    c.write_headers(1, c.encode(c.request_headers()), end_stream=True, end_headers=True)
    c.write_continuation(1, c.encode(DUMMY1), end_headers=True)


def _cont_after_cont_with_end_headers(c):
    c.write_headers(1, c.encode(c.request_headers()), end_stream=True, end_headers=False)
    c.write_continuation(1, c.encode(DUMMY1), end_headers=True)
    c.write_continuation(1, c.encode(DUMMY1), end_headers=True)


def _cont_after_data(c):
    c.write_headers(1, c.encode(c.body_method_headers()), end_stream=False, end_headers=False)
    c.write_data(1, b"test", end_stream=True)
    c.write_continuation(1, c.encode(DUMMY1), end_headers=False)
    c.write_continuation(0, c.encode(DUMMY1), end_headers=True)


@pytest.mark.parametrize(
    "send",
    [
        pytest.param(_cont_then_data, id="continuation-followed-by-data"),
        pytest.param(_cont_on_stream_0, id="continuation-on-stream-0"),
        pytest.param(_cont_after_end_headers, id="after-headers-with-end_headers"),
        pytest.param(_cont_after_cont_with_end_headers, id="after-continuation-with-end_headers"),
        pytest.param(_cont_after_data, id="after-data"),
    ],
)
def test_6_10_continuation_errors(h2, send):
    """RFC 9113 §6.10 (h2spec 6.10/2-6): a CONTINUATION not directly continuing an open header block (or a header
    block interrupted by another frame) -> connection PROTOCOL_ERROR."""
    send(h2)
    h2.expect_connection_error(PROTOCOL_ERROR)


# ---------------------------------------------------------------------------------------------- 7


def test_7_goaway_with_unknown_error_code(h2):
    """RFC 9113 §7 (h2spec 7/1): GOAWAY with an unknown error code triggers nothing special: the server closes."""
    h2.write_goaway(0, 0xFF)
    h2.expect_connection_close()


def test_7_rst_stream_with_unknown_error_code(h2):
    """RFC 9113 §7 (h2spec 7/2): RST_STREAM with an unknown error code triggers nothing special: PING still answered."""
    h2.write_headers(1, h2.encode(h2.body_method_headers()), end_stream=False)
    h2.write_rst_stream(1, 0xFF)
    h2.write_ping(PING_PAYLOAD)
    h2.expect_ping_ack(PING_PAYLOAD)


# ---------------------------------------------------------------------------------------------- 8.1


def test_8_1_second_headers_without_end_stream(h2):
    """RFC 9113 §8.1 (h2spec 8.1/1): trailers without END_STREAM -> stream error PROTOCOL_ERROR."""
    h2.write_headers(1, h2.encode(h2.body_method_headers()), end_stream=False)
    h2.write_data(1, h2.target.body or b"test", end_stream=False)
    h2.write_headers(1, h2.encode([("x-test", "ok")]), end_stream=False)
    h2.expect_stream_error(PROTOCOL_ERROR)


# ---------------------------------------------------------------------------------------------- 8.1.2 (malformed header sections)


def _upper(c):
    return c.request_headers(extra=[("X-TEST", "ok")])


def _unknown_pseudo(c):
    return _insert_after_pseudo(c.request_headers(), [(":test", "ok")])


def _response_pseudo(c):
    return _insert_after_pseudo(c.request_headers(), [(":status", "200")])


def _pseudo_after_regular(c):
    return [("x-test", "ok")] + c.request_headers()


def _connection_header(c):
    return c.request_headers(extra=[("connection", "keep-alive")])


def _te_not_trailers(c):
    return c.request_headers(extra=[("trailers", "test"), ("te", "trailers, deflate")])


def _empty_path(c):
    return c.request_headers(path="")


def _omit(name):
    return lambda c: c.request_headers(drop=[name])


def _duplicate(name):
    return lambda c: _insert_after_pseudo(c.request_headers(), [(name, dict(c.request_headers())[name])])


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(_upper, id="8.1.2-uppercase-field-name"),
        pytest.param(_unknown_pseudo, id="8.1.2.1-unknown-pseudo-header"),
        pytest.param(_response_pseudo, id="8.1.2.1-response-pseudo-header"),
        pytest.param(_pseudo_after_regular, id="8.1.2.1-pseudo-header-after-regular"),
        pytest.param(_connection_header, id="8.1.2.2-connection-specific-field"),
        pytest.param(_te_not_trailers, id="8.1.2.2-te-other-than-trailers"),
        pytest.param(_empty_path, id="8.1.2.3-empty-path"),
        pytest.param(_omit(":method"), id="8.1.2.3-omit-method"),
        pytest.param(_omit(":scheme"), id="8.1.2.3-omit-scheme"),
        pytest.param(_omit(":path"), id="8.1.2.3-omit-path"),
        pytest.param(_duplicate(":method"), id="8.1.2.3-duplicate-method"),
        pytest.param(_duplicate(":scheme"), id="8.1.2.3-duplicate-scheme"),
        pytest.param(_duplicate(":path"), id="8.1.2.3-duplicate-path"),
        # RFC 9113 §8.2.1 field validity (not in h2spec, checked by RFC 9113 implementations).
        pytest.param(lambda c: c.request_headers(extra=[("x-test", "a\r\nb")]), id="9113-8.2.1-crlf-in-value"),
        pytest.param(lambda c: c.request_headers(extra=[("x-test", "a\x00b")]), id="9113-8.2.1-nul-in-value"),
        pytest.param(lambda c: c.request_headers(extra=[("x-test", " ok")]), id="9113-8.2.1-leading-space-in-value"),
        pytest.param(lambda c: c.request_headers(extra=[("x test", "ok")]), id="9113-8.2.1-space-in-name"),
        pytest.param(lambda c: c.request_headers(extra=[("x:test", "ok")]), id="9113-8.2.1-colon-in-name"),
    ],
)
def test_8_1_2_malformed_request_headers(h2, headers):
    """RFC 9113 §8.1.1/§8.2/§8.3 (h2spec 8.1.2, 8.1.2.1-8.1.2.3; RFC 7540 §8.1.2.x): a malformed request header
    section -> stream error PROTOCOL_ERROR."""
    block = h2.encode(headers(h2))
    h2.write_headers(1, block, end_stream=True)
    h2.expect_stream_error(PROTOCOL_ERROR)


def test_8_1_2_1_pseudo_header_in_trailers(h2):
    """RFC 9113 §8.3 (h2spec 8.1.2.1/3): a pseudo-header in trailers -> stream error PROTOCOL_ERROR."""
    h2.write_headers(1, h2.encode(h2.body_method_headers()), end_stream=False)
    h2.write_data(1, h2.target.body or b"test", end_stream=False)
    h2.write_headers(1, h2.encode([(":method", "POST")]), end_stream=True)
    h2.expect_stream_error(PROTOCOL_ERROR)


@pytest.mark.parametrize(
    "content_length, chunks",
    [
        pytest.param("1", [b"test"], id="single-data-frame"),
        pytest.param("1", [b"test", b"test"], id="multiple-data-frames"),
        pytest.param("10", [b"test"], id="shorter-body-than-content-length"),
    ],
)
def test_8_1_2_6_content_length_mismatch(h2, content_length, chunks):
    """RFC 9113 §8.1.1 (h2spec 8.1.2.6/1-2): content-length not equal to the DATA payload -> stream error PROTOCOL_ERROR."""
    h2.write_headers(1, h2.encode(h2.body_method_headers(extra=[("content-length", content_length)])), end_stream=False)
    for i, chunk in enumerate(chunks):
        h2.write_data(1, chunk, end_stream=i == len(chunks) - 1)
    h2.expect_stream_error(PROTOCOL_ERROR)


# ---------------------------------------------------------------------------------------------- 8.2


def test_8_2_push_promise_from_client(h2):
    """RFC 9113 §8.4 (h2spec 8.2/1): a client's PUSH_PROMISE -> connection PROTOCOL_ERROR."""
    h2.write_push_promise(1, 3, h2.encode(h2.request_headers()))
    h2.expect_connection_error(PROTOCOL_ERROR)


# ---------------------------------------------------------------------------------------------- HPACK (RFC 7541)


def _size_update(value: int) -> bytes:
    """Dynamic Table Size Update (RFC 7541 §6.3), 5-bit prefix integer."""
    if value < 31:
        return bytes([0x20 | value])
    out = bytearray([0x20 | 31])
    value -= 31
    while value >= 128:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


@pytest.mark.parametrize(
    "suffix",
    [
        pytest.param(b"\xFE", id="2.3.3-index-126-out-of-range"),
        pytest.param(b"\x21", id="4.2-table-size-update-at-end-of-block"),
        pytest.param(b"\x00\x85\xf2\xb2\x4a\x84\xff\x84\x49\x50\x9f\xff", id="5.2-huffman-padding-over-7-bits"),
        pytest.param(b"\x00\x85\xf2\xb2\x4a\x84\xff\x83\x49\x50\x90", id="5.2-huffman-padded-by-zero"),
        pytest.param(b"\x00\x85\xf2\xb2\x4a\x87\xff\xff\xff\xfd\x25\x42\x7f", id="5.2-huffman-containing-eos"),
        pytest.param(b"\x80", id="6.1-indexed-field-index-0"),
    ],
)
def test_hpack_decoding_errors(h2, suffix):
    """RFC 7541 §2.3.3/§4.2/§5.2/§6.1 (h2spec hpack): a decoding error after a valid field section ->
    connection COMPRESSION_ERROR (RFC 9113 §4.3)."""
    block = h2.encode(h2.request_headers()) + suffix
    h2.write_headers(1, block, end_stream=True)
    h2.expect_connection_error(COMPRESSION_ERROR)


def test_hpack_6_3_table_size_update_above_settings(h2):
    """RFC 7541 §6.3 (h2spec hpack 6.3/1): a table size update above SETTINGS_HEADER_TABLE_SIZE -> COMPRESSION_ERROR."""
    limit = h2.server_settings.get(SETTINGS_HEADER_TABLE_SIZE, 4096)
    block = _size_update(limit + 1) + h2.encode(h2.request_headers())
    h2.write_headers(1, block, end_stream=True)
    h2.expect_connection_error(COMPRESSION_ERROR)


# ---------------------------------------------------------------------------------------------- DoS hardening (nghttp2)
#
# What Debian's nghttp2 1.52.0-1+deb12u3 does (the fixes for CVE-2023-44487 and CVE-2024-28182 are
# backported there), measured against nghttpd:
#   rapid reset   : token bucket of 1000 RST_STREAM, +33/s -> GOAWAY(INTERNAL_ERROR), then close
#   CONTINUATION  : more than 8 CONTINUATION frames in one header block -> NGHTTP2_ERR_TOO_MANY_CONTINUATIONS,
#                   a fatal error: the application drops the connection, no GOAWAY
#   SETTINGS/PING : more than 1000 queued SETTINGS/PING ACKs (max_outbound_ack) -> NGHTTP2_ERR_FLOODED,
#                   fatal: the connection is dropped (a reset, since the flood is still unread), no GOAWAY
#   big SETTINGS  : more than 32 entries in one SETTINGS frame -> GOAWAY(ENHANCE_YOUR_CALM)

FLOOD_SEND_TIMEOUT = 0.5


def _flood(c: H2Conn, frame_bytes: bytes, max_frames: int, per_chunk: int = 1000) -> int:
    """Write `frame_bytes` up to `max_frames` times without reading; stop when the peer resets or stops reading."""
    c.sock.settimeout(FLOOD_SEND_TIMEOUT)
    chunk = frame_bytes * per_chunk
    sent = 0
    while sent < max_frames:
        try:
            c.sock.sendall(chunk)
        except socket.timeout:
            break  # the peer stopped reading: that is fine, it will be judged below
        except OSError:
            break  # reset by the peer
        sent += per_chunk
    c.sock.settimeout(c.timeout)
    return sent


def test_dos_rapid_reset(h2):
    """CVE-2023-44487 (RFC 9113 §5.4.1, §10.5): a flood of HEADERS+RST_STREAM pairs ends in GOAWAY (nghttp2:
    INTERNAL_ERROR after 1000 resets), or, if the server tolerates it, it keeps working without memory growth."""
    pid = h2.target.pid
    rss_before = _rss_kib(pid) if pid else None
    pairs = 3000
    buf = bytearray()
    for i in range(pairs):
        sid = 1 + 2 * i
        block = h2.encode(h2.request_headers())
        if h2.has_body:
            buf += raw_frame(HEADERS, FLAG_END_HEADERS, sid, block)
            buf += raw_frame(DATA, FLAG_END_STREAM, sid, h2.target.body)
        else:
            buf += raw_frame(HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS, sid, block)
        buf += raw_frame(RST_STREAM, 0, sid, struct.pack(">I", CANCEL))
        if len(buf) >= 1 << 15:
            if not h2.send(bytes(buf)):
                break
            buf.clear()
    if buf:
        h2.send(bytes(buf))
    ended = None
    for ev in h2._events(3.0):
        if isinstance(ev, GoAwayFrame) or ev is CLOSED:
            ended = ev
            break
        if ev is TIMEOUT:
            break
    if ended is not None:
        if isinstance(ended, GoAwayFrame):
            assert ended.error_code in (INTERNAL_ERROR, ENHANCE_YOUR_CALM), describe(ended)
            # The limit cut the flood short (nghttp2: last_stream_id 2001 = the 1001st stream).
            assert ended.last_stream_id < 1 + 2 * (pairs - 1), describe(ended)
        return
    # Tolerated: the connection must still work and the server must not have grown.
    h2.expect_alive()
    if pid:
        growth = _rss_kib(pid) - rss_before
        assert growth < 32 * 1024, f"server RSS grew by {growth} KiB during the rapid-reset flood"


def test_dos_continuation_flood(h2):
    """CVE-2024-28182 (RFC 9113 §6.10, §10.5): endless CONTINUATION frames without END_HEADERS are cut off:
    the connection is closed (nghttp2: after 8 CONTINUATIONs, no GOAWAY), not read forever."""
    h2.write_headers(1, h2.encode(h2.request_headers()), end_stream=not h2.has_body, end_headers=False)
    # Each CONTINUATION: one "literal without indexing, new name" field x-flood: a (no table change).
    frame = raw_frame(CONTINUATION, 0, 1, b"\x00\x07x-flood\x01a")
    _flood(h2, frame, max_frames=20000, per_chunk=100)
    h2.expect_connection_error(ENHANCE_YOUR_CALM, PROTOCOL_ERROR, INTERNAL_ERROR, FRAME_SIZE_ERROR, COMPRESSION_ERROR)
    assert not any(isinstance(e, HeadersFrame) and e.stream_id == 1 for e in h2.trace), \
        f"the unterminated header block was answered; {h2.format_trace()}"


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(raw_frame(SETTINGS, 0, 0, b""), id="settings"),
        pytest.param(raw_frame(PING, 0, 0, b"flooding"), id="ping"),
    ],
)
def test_dos_ack_flood_without_reading(h2_target, frame):
    """RFC 9113 §10.5: SETTINGS/PING frames sent without reading the ACKs: the server bounds its ACK queue and
    drops the connection (nghttp2: max_outbound_ack 1000 -> NGHTTP2_ERR_FLOODED, no GOAWAY; a GOAWAY, if any,
    must be ENHANCE_YOUR_CALM)."""
    with H2Conn(h2_target, rcvbuf=4096) as c:
        c.handshake()
        pid = h2_target.pid
        rss_before = _rss_kib(pid) if pid else None
        sent = _flood(c, frame, max_frames=3_000_000)
        c.expect_connection_error(ENHANCE_YOUR_CALM, timeout=3.0)
        if pid:
            growth = _rss_kib(pid) - rss_before
            assert growth < 64 * 1024, f"server RSS grew by {growth} KiB after {sent} frames"


def test_dos_settings_with_too_many_entries(h2):
    """RFC 9113 §10.5 (nghttp2 max_settings=32): a SETTINGS frame with 40 entries -> GOAWAY ENHANCE_YOUR_CALM
    (nghttp2 hardening; RFC-wise unknown settings are only ignored)."""
    h2.write_settings(*[(0x100 + i, 1) for i in range(40)])
    ev = h2.expect_connection_error(ENHANCE_YOUR_CALM)
    assert isinstance(ev, GoAwayFrame), f"closed without GOAWAY; {h2.format_trace()}"

