"""A small raw-frame HTTP/2 client for the conformance suite (test_http2_conformance.py).

It plays the part of h2spec's `spec.Conn`: a plain TCP socket (prior-knowledge h2c), frames built by
hand or with hyperframe (so invalid frames can be sent on purpose), header blocks from one hpack Encoder
that keeps its context for the whole connection, and verifiers with h2spec's meaning:

  connection error X  -> a GOAWAY carrying X, or the connection closes (h2spec accepts a close too);
  stream error X      -> a RST_STREAM carrying X, or a GOAWAY carrying X, or the connection closes;
  a timeout           -> failure (the peer ignored what it had to answer).

Stricter than h2spec in one way: the first GOAWAY decides a connection/stream error; a GOAWAY with
another error code fails the case instead of being skipped over until the close.

The server under test is a `Target`: where to connect and what one valid request looks like there
(a GET of a small file for nghttpd, a unary gRPC POST with a body for a gRPC server). Every case sends
its requests through `H2Conn.request_headers()` / `H2Conn.send_request()`, so the same cases run against
both kinds of server.
"""
from __future__ import annotations

import os
import socket
import struct
import time
from typing import Callable, Iterable, NamedTuple, Optional, Sequence

import hpack
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    ExtensionFrame,
    Frame,
    GoAwayFrame,
    HeadersFrame,
    PingFrame,
    PriorityFrame,
    RstStreamFrame,
    SettingsFrame,
    WindowUpdateFrame,
)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DEFAULT_WINDOW = 65535
DEFAULT_MAX_FRAME_SIZE = 16384
DEFAULT_TIMEOUT = float(os.environ.get("H2_TIMEOUT", "2.0"))
MAX_HEADER_LEN = 4000  # h2spec's default --max-header-length, used by its dummy headers

# Frame types (RFC 9113 section 6).
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)

# Flags.
FLAG_END_STREAM = 0x1
FLAG_ACK = 0x1
FLAG_END_HEADERS = 0x4
FLAG_PADDED = 0x8
FLAG_PRIORITY = 0x20

# SETTINGS identifiers.
SETTINGS_HEADER_TABLE_SIZE = 0x1
SETTINGS_ENABLE_PUSH = 0x2
SETTINGS_MAX_CONCURRENT_STREAMS = 0x3
SETTINGS_INITIAL_WINDOW_SIZE = 0x4
SETTINGS_MAX_FRAME_SIZE = 0x5
SETTINGS_MAX_HEADER_LIST_SIZE = 0x6

# Error codes (RFC 9113 section 7).
NO_ERROR = 0x0
PROTOCOL_ERROR = 0x1
INTERNAL_ERROR = 0x2
FLOW_CONTROL_ERROR = 0x3
SETTINGS_TIMEOUT = 0x4
STREAM_CLOSED = 0x5
FRAME_SIZE_ERROR = 0x6
REFUSED_STREAM = 0x7
CANCEL = 0x8
COMPRESSION_ERROR = 0x9
CONNECT_ERROR = 0xA
ENHANCE_YOUR_CALM = 0xB
INADEQUATE_SECURITY = 0xC
HTTP_1_1_REQUIRED = 0xD

ERROR_NAMES = {
    NO_ERROR: "NO_ERROR",
    PROTOCOL_ERROR: "PROTOCOL_ERROR",
    INTERNAL_ERROR: "INTERNAL_ERROR",
    FLOW_CONTROL_ERROR: "FLOW_CONTROL_ERROR",
    SETTINGS_TIMEOUT: "SETTINGS_TIMEOUT",
    STREAM_CLOSED: "STREAM_CLOSED",
    FRAME_SIZE_ERROR: "FRAME_SIZE_ERROR",
    REFUSED_STREAM: "REFUSED_STREAM",
    CANCEL: "CANCEL",
    COMPRESSION_ERROR: "COMPRESSION_ERROR",
    CONNECT_ERROR: "CONNECT_ERROR",
    ENHANCE_YOUR_CALM: "ENHANCE_YOUR_CALM",
    INADEQUATE_SECURITY: "INADEQUATE_SECURITY",
    HTTP_1_1_REQUIRED: "HTTP_1_1_REQUIRED",
}


def error_name(code: int) -> str:
    return ERROR_NAMES.get(code, f"0x{code:x}")


class Target(NamedTuple):
    """The server under test and its one valid request.

    The first four items are (host, port, path, headers_for_request). `headers` is the complete header
    list of a valid request, pseudo-headers first, e.g. [(":method", "GET"), (":scheme", "http"),
    (":path", "/file16"), (":authority", "127.0.0.1:8080")]. `body`, if given, is sent as the request's
    DATA (a gRPC call's length-prefixed message). `pid`, if known, lets the DoS cases watch the server's
    memory.
    """

    host: str
    port: int
    path: str
    headers: tuple
    body: Optional[bytes] = None
    pid: Optional[int] = None


def http_request_headers(host: str, port: int, path: str = "/", method: str = "GET") -> tuple:
    """A plain HTTP request (what h2spec's CommonHeaders sends)."""
    authority = host if port == 80 else f"{host}:{port}"
    return ((":method", method), (":scheme", "http"), (":path", path), (":authority", authority))


def grpc_request_headers(host: str, port: int, path: str, extra: Iterable = ()) -> tuple:
    """Headers of a unary gRPC call over h2c, for a Target pointing at a gRPC server."""
    return (
        (":method", "POST"),
        (":scheme", "http"),
        (":path", path),
        (":authority", f"{host}:{port}"),
        ("content-type", "application/grpc"),
        ("te", "trailers"),
    ) + tuple(extra)


def grpc_message(payload: bytes) -> bytes:
    """A gRPC length-prefixed message (uncompressed)."""
    return b"\x00" + struct.pack(">I", len(payload)) + payload


def raw_frame(ftype: int, flags: int, stream_id: int, payload: bytes = b"", length: Optional[int] = None) -> bytes:
    """Serialize a frame by hand; nothing is validated. `length` overrides the length field.

    `stream_id` is written as-is, so a value with bit 31 set sets the reserved bit.
    """
    if length is None:
        length = len(payload)
    return struct.pack(">I", length)[1:] + struct.pack(">BBI", ftype, flags, stream_id) + payload


class ConnectionClosed:
    def __repr__(self) -> str:
        return "<connection closed>"


class Timeout:
    def __repr__(self) -> str:
        return "<timeout>"


CLOSED = ConnectionClosed()
TIMEOUT = Timeout()


def describe(event) -> str:
    """A one-line, readable description of an event for failure messages."""
    if event is CLOSED or event is TIMEOUT:
        return repr(event)
    f = event
    name = type(f).__name__.replace("Frame", "").upper()
    flags = ",".join(sorted(f.flags)) if getattr(f, "flags", None) else ""
    base = f"{name}(stream={f.stream_id}{', flags=' + flags if flags else ''}"
    if isinstance(f, GoAwayFrame):
        base += f", last_stream={f.last_stream_id}, code={error_name(f.error_code)}, debug={bytes(f.additional_data)!r}"
    elif isinstance(f, RstStreamFrame):
        base += f", code={error_name(f.error_code)}"
    elif isinstance(f, DataFrame):
        base += f", len={len(f.data)}"
    elif isinstance(f, SettingsFrame):
        base += f", settings={dict(f.settings)}"
    elif isinstance(f, PingFrame):
        base += f", data={bytes(f.opaque_data)!r}"
    elif isinstance(f, WindowUpdateFrame):
        base += f", increment={f.window_increment}"
    elif isinstance(f, ExtensionFrame):
        base += f", type={f.type}"
    return base + ")"


class H2Conn:
    """One client connection to the target; see the module docstring."""

    def __init__(self, target: Target, timeout: float = DEFAULT_TIMEOUT, rcvbuf: Optional[int] = None,
                 auto_window_update: bool = True):
        self.target = target
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_INET6 if ":" in target.host else socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((target.host, target.port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.encoder = hpack.Encoder()
        self.server_settings: dict = {}
        self.closed = False  # the peer closed (or reset) the connection
        self.write_failed = False
        self.trace: list = []  # every event read, for failure messages
        self._buf = bytearray()
        self.auto_window_update = auto_window_update
        self._recv_window = {0: DEFAULT_WINDOW}

    # ------------------------------------------------------------------ plumbing

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> "H2Conn":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send(self, data: bytes) -> bool:
        """Write bytes; a peer that already closed is not an error here (the verifiers judge)."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.write_failed = True
            return False
        except socket.timeout:
            self.write_failed = True
            return False

    # ------------------------------------------------------------------ frame writers

    def write_raw(self, ftype: int, flags: int, stream_id: int, payload: bytes = b"", length: Optional[int] = None) -> bool:
        return self.send(raw_frame(ftype, flags, stream_id, payload, length))

    def write_settings(self, *pairs: tuple) -> bool:
        payload = b"".join(struct.pack(">HI", k, v) for k, v in pairs)
        return self.write_raw(SETTINGS, 0, 0, payload)

    def write_settings_ack(self) -> bool:
        return self.write_raw(SETTINGS, FLAG_ACK, 0)

    def write_headers(self, stream_id: int, block: bytes, end_stream: bool = False, end_headers: bool = True,
                      priority: Optional[tuple] = None, pad_length: Optional[int] = None) -> bool:
        """HEADERS; `priority` is (depends_on, weight 1..256, exclusive) as RFC 9113 section 5.3.1 reads it."""
        flags = (FLAG_END_STREAM if end_stream else 0) | (FLAG_END_HEADERS if end_headers else 0)
        payload = b""
        if pad_length is not None:
            flags |= FLAG_PADDED
            payload += bytes([pad_length])
        if priority is not None:
            flags |= FLAG_PRIORITY
            dep, weight, exclusive = priority
            payload += struct.pack(">IB", dep | (0x80000000 if exclusive else 0), weight - 1)
        payload += block
        if pad_length is not None:
            payload += b"\x00" * pad_length
        return self.write_raw(HEADERS, flags, stream_id, payload)

    def write_continuation(self, stream_id: int, block: bytes, end_headers: bool = True) -> bool:
        return self.write_raw(CONTINUATION, FLAG_END_HEADERS if end_headers else 0, stream_id, block)

    def write_data(self, stream_id: int, data: bytes, end_stream: bool = False, pad_length: Optional[int] = None) -> bool:
        flags = FLAG_END_STREAM if end_stream else 0
        payload = data
        if pad_length is not None:
            flags |= FLAG_PADDED
            payload = bytes([pad_length]) + data + b"\x00" * pad_length
        return self.write_raw(DATA, flags, stream_id, payload)

    def write_priority(self, stream_id: int, depends_on: int = 0, weight: int = 256, exclusive: bool = False) -> bool:
        payload = struct.pack(">IB", depends_on | (0x80000000 if exclusive else 0), weight - 1)
        return self.write_raw(PRIORITY, 0, stream_id, payload)

    def write_rst_stream(self, stream_id: int, error_code: int) -> bool:
        return self.write_raw(RST_STREAM, 0, stream_id, struct.pack(">I", error_code))

    def write_ping(self, data: bytes = b"\x00" * 8, ack: bool = False) -> bool:
        return self.write_raw(PING, FLAG_ACK if ack else 0, 0, data)

    def write_goaway(self, last_stream_id: int, error_code: int, debug: bytes = b"") -> bool:
        return self.write_raw(GOAWAY, 0, 0, struct.pack(">II", last_stream_id, error_code) + debug)

    def write_window_update(self, stream_id: int, increment: int) -> bool:
        return self.write_raw(WINDOW_UPDATE, 0, stream_id, struct.pack(">I", increment))

    def write_push_promise(self, stream_id: int, promised_stream_id: int, block: bytes, end_headers: bool = True) -> bool:
        return self.write_raw(PUSH_PROMISE, FLAG_END_HEADERS if end_headers else 0, stream_id,
                              struct.pack(">I", promised_stream_id) + block)

    # ------------------------------------------------------------------ header blocks and requests

    def encode(self, headers: Sequence[tuple]) -> bytes:
        """HPACK-encode with the connection's encoder (its dynamic table follows the server's decoder,
        so every block encoded here must also be sent)."""
        return self.encoder.encode(list(headers))

    @property
    def has_body(self) -> bool:
        return bool(self.target.body)

    def request_headers(self, method: Optional[str] = None, drop: Iterable[str] = (), extra: Iterable[tuple] = (),
                        path: Optional[str] = None) -> list:
        """The target's valid request headers, optionally with :method/:path replaced, some names dropped,
        and `extra` fields appended (after everything, in the order given)."""
        drop = set(drop)
        out = []
        for name, value in self.target.headers:
            if name in drop:
                continue
            if name == ":method" and method is not None:
                value = method
            if name == ":path" and path is not None:
                value = path
            out.append((name, value))
        out.extend(extra)
        return out

    def body_method_headers(self, extra: Iterable[tuple] = ()) -> list:
        """Headers of a request that may carry DATA frames (h2spec switches its GET to POST for that)."""
        method = dict(self.target.headers).get(":method")
        return self.request_headers(method="POST" if method in ("GET", "HEAD") else None, extra=extra)

    def send_request(self, stream_id: int, headers: Optional[Sequence[tuple]] = None, end_stream: bool = True,
                     body: Optional[bytes] = None) -> None:
        """Send the target's valid request (HEADERS, then the body as one DATA frame if there is one).

        end_stream=False leaves the stream open after the request (no END_STREAM anywhere).
        """
        headers = self.request_headers() if headers is None else headers
        body = self.target.body if body is None else body
        block = self.encode(headers)
        if body:
            self.write_headers(stream_id, block, end_stream=False)
            self.write_data(stream_id, body, end_stream=end_stream)
        else:
            self.write_headers(stream_id, block, end_stream=end_stream)

    def finish_request(self, stream_id: int) -> None:
        """After a header block that had no END_STREAM: send the body (if any) and END_STREAM."""
        self.write_data(stream_id, self.target.body or b"", end_stream=True)

    @staticmethod
    def dummy_headers(count: int, length: int = MAX_HEADER_LEN) -> list:
        return [(f"x-dummy{i}", "x" * length) for i in range(count)]

    # ------------------------------------------------------------------ handshake

    def send_preface(self) -> None:
        self.send(PREFACE)

    def handshake(self, settings: Sequence[tuple] = ((SETTINGS_INITIAL_WINDOW_SIZE, DEFAULT_WINDOW),)) -> None:
        """Preface + our SETTINGS; read until the server's SETTINGS (which we ACK) and its ACK of ours."""
        self.send_preface()
        self.write_settings(*settings)
        got_settings = got_ack = False
        deadline = time.monotonic() + self.timeout
        while not (got_settings and got_ack):
            ev = self.read_event(deadline - time.monotonic())
            if ev is CLOSED or ev is TIMEOUT:
                raise AssertionError(f"handshake failed: {self.format_trace()}")
            if isinstance(ev, SettingsFrame):
                if "ACK" in ev.flags:
                    got_ack = True
                else:
                    got_settings = True
                    self.server_settings.update(ev.settings)
                    self.write_settings_ack()

    @property
    def max_frame_size(self) -> int:
        return self.server_settings.get(SETTINGS_MAX_FRAME_SIZE, DEFAULT_MAX_FRAME_SIZE)

    # ------------------------------------------------------------------ reading

    def _fill(self, n: int, deadline: float):
        while len(self._buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return TIMEOUT
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(1 << 16)
            except socket.timeout:
                return TIMEOUT
            except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
                self.closed = True
                return CLOSED
            if not chunk:
                self.closed = True
                return CLOSED
            self._buf += chunk
        return None

    def read_event(self, timeout: Optional[float] = None):
        """The next frame, or CLOSED, or TIMEOUT (after `timeout` seconds, default the connection's)."""
        if self.closed:
            return CLOSED
        deadline = time.monotonic() + (self.timeout if timeout is None else max(timeout, 0))
        bad = self._fill(9, deadline)
        if bad is not None:
            self.trace.append(bad)
            return bad
        frame, length = Frame.parse_frame_header(memoryview(bytes(self._buf[:9])))
        bad = self._fill(9 + length, deadline)
        if bad is not None:
            self.trace.append(bad)
            return bad
        body = bytes(self._buf[9:9 + length])
        del self._buf[:9 + length]
        frame.parse_body(memoryview(body))
        self.trace.append(frame)
        if isinstance(frame, DataFrame) and self.auto_window_update:
            self._consume_window(frame.stream_id, length)
        return frame

    def _consume_window(self, stream_id: int, length: int) -> None:
        """What h2spec's Conn does: replenish a receive window once it is used up."""
        for sid in (stream_id, 0):
            window = self._recv_window.get(sid, DEFAULT_WINDOW) - length
            if window <= 0:
                incr = DEFAULT_WINDOW - window
                self.write_window_update(sid, incr)
                window += incr
            self._recv_window[sid] = window

    def format_trace(self, limit: Optional[int] = 20) -> str:
        events = self.trace if limit is None else self.trace[-limit:]
        return "received: [" + ", ".join(describe(e) for e in events) + "]"

    # ------------------------------------------------------------------ verifiers (h2spec's spec/verifier.go)

    def _events(self, timeout: Optional[float]):
        """Events until the deadline; ends with CLOSED or TIMEOUT."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            ev = self.read_event(deadline - time.monotonic())
            yield ev
            if ev is CLOSED or ev is TIMEOUT:
                return

    def expect_connection_error(self, *codes: int, timeout: Optional[float] = None) -> object:
        """h2spec VerifyConnectionError: GOAWAY with one of `codes`, or the connection closes."""
        names = "/".join(error_name(c) for c in codes)
        for ev in self._events(timeout):
            if ev is CLOSED:
                return ev
            if ev is TIMEOUT:
                raise AssertionError(f"expected connection error {names} (GOAWAY or close), got a timeout; {self.format_trace()}")
            if isinstance(ev, GoAwayFrame):
                if ev.error_code in codes:
                    return ev
                raise AssertionError(f"expected GOAWAY {names}, got {describe(ev)}; {self.format_trace()}")

    def expect_stream_error(self, *codes: int, stream_id: Optional[int] = None, timeout: Optional[float] = None) -> object:
        """h2spec VerifyStreamError: RST_STREAM or GOAWAY with one of `codes`, or the connection closes."""
        names = "/".join(error_name(c) for c in codes)
        for ev in self._events(timeout):
            if ev is CLOSED:
                return ev
            if ev is TIMEOUT:
                raise AssertionError(f"expected stream error {names} (RST_STREAM, GOAWAY or close), got a timeout; {self.format_trace()}")
            if isinstance(ev, GoAwayFrame):
                if ev.error_code in codes:
                    return ev
                raise AssertionError(f"expected RST_STREAM/GOAWAY {names}, got {describe(ev)}; {self.format_trace()}")
            if isinstance(ev, RstStreamFrame) and ev.error_code in codes:
                if stream_id is None or ev.stream_id == stream_id:
                    return ev

    def expect_connection_close(self, timeout: Optional[float] = None) -> None:
        """h2spec VerifyConnectionClose: frames are read past until the peer closes."""
        for ev in self._events(timeout):
            if ev is CLOSED:
                return
            if ev is TIMEOUT:
                raise AssertionError(f"expected the connection to close; {self.format_trace()}")

    def expect_stream_close(self, stream_id: Optional[int] = None, timeout: Optional[float] = None):
        """h2spec VerifyStreamClose: a DATA or HEADERS frame with END_STREAM."""
        for ev in self._events(timeout):
            if isinstance(ev, (DataFrame, HeadersFrame)) and "END_STREAM" in ev.flags:
                if stream_id is None or ev.stream_id == stream_id:
                    return ev
            if ev is CLOSED or ev is TIMEOUT:
                raise AssertionError(f"expected the response on stream {stream_id} to end; {self.format_trace()}")

    def expect_frame(self, frame_type: type, predicate: Optional[Callable] = None, timeout: Optional[float] = None,
                     what: str = ""):
        """h2spec VerifyEventType (WaitEventByType): the first frame of that type must satisfy `predicate`."""
        for ev in self._events(timeout):
            if isinstance(ev, frame_type):
                if predicate is None or predicate(ev):
                    return ev
                raise AssertionError(f"expected {what or frame_type.__name__}, got {describe(ev)}; {self.format_trace()}")
            if ev is CLOSED or ev is TIMEOUT:
                raise AssertionError(f"expected {what or frame_type.__name__}, got {describe(ev)}; {self.format_trace()}")

    def expect_ping_ack(self, data: bytes, timeout: Optional[float] = None) -> PingFrame:
        """A PING with ACK and this payload (other frames, including other PINGs, are read past)."""
        for ev in self._events(timeout):
            if isinstance(ev, PingFrame) and "ACK" in ev.flags and bytes(ev.opaque_data) == data:
                return ev
            if ev is CLOSED or ev is TIMEOUT:
                raise AssertionError(f"expected PING ACK {data!r}, got {describe(ev)}; {self.format_trace()}")

    def expect_alive(self, timeout: Optional[float] = None) -> None:
        """The connection still works: a PING is answered."""
        payload = b"alive?" + os.urandom(2)
        self.write_ping(payload)
        self.expect_ping_ack(payload, timeout)
