"""Bad input at the public entry point: each gets a clear status and the node keeps serving."""
import socket

import grpc
import h2.config
import h2.connection
import h2.events
import pytest

from conftest import kv_pb2

KV = kv_pb2


def raw_unary(channel, path, payload, timeout=10, **kw):
    call = channel.unary_unary(path, request_serializer=None, response_deserializer=None)
    return call(payload, timeout=timeout, **kw)


def assert_still_serving(kv):
    r = kv.Put(KV.PutRequest(key=b"alive", value=b"yes"), timeout=10)
    assert kv.Get(KV.GetRequest(key=b"alive"), timeout=10).kv.mod_revision == r.revision


@pytest.mark.parametrize("payload", [b"\xff\xff\xff", b"\x0a\x05ab", b"\x0a", b"\x08" + b"\xff" * 11])
def test_malformed_protobuf_is_invalid_argument(channel, kv, payload):
    with pytest.raises(grpc.RpcError) as err:
        raw_unary(channel, "/microstate.v1.KV/Put", payload)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "PutRequest" in err.value.details()
    assert_still_serving(kv)


@pytest.mark.parametrize("path", ["/microstate.v1.KV/Nope", "/no.such.Service/Get", "/bogus"])
def test_unknown_method_is_unimplemented(channel, kv, path):
    with pytest.raises(grpc.RpcError) as err:
        raw_unary(channel, path, b"")
    assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert_still_serving(kv)


def test_message_over_max_size_is_resource_exhausted(channel, kv):
    with pytest.raises(grpc.RpcError) as err:
        kv.Put(KV.PutRequest(key=b"huge", value=b"x" * (5 * 1024 * 1024)), timeout=30)
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert_still_serving(kv)


@pytest.mark.parametrize(
    "request_kwargs, needle",
    [
        ({"key": b"", "value": b"v"}, "empty"),
        ({"key": b"k" * 5000, "value": b"v"}, "4096"),
        ({"key": b"k", "value": b"v" * (3 * 1024 * 1024 + 1)}, "3145728"),
    ],
)
def test_bad_keys_and_values_are_invalid_argument_naming_the_limit(kv, request_kwargs, needle):
    with pytest.raises(grpc.RpcError) as err:
        kv.Put(KV.PutRequest(**request_kwargs), timeout=30)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert needle in err.value.details()
    assert_still_serving(kv)


def test_gzip_compressed_request_is_unimplemented(kv):
    with pytest.raises(grpc.RpcError) as err:
        kv.Put(KV.PutRequest(key=b"z", value=b"v" * 1000), timeout=10, compression=grpc.Compression.Gzip)
    assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert_still_serving(kv)


def test_deadline_is_enforced_on_a_long_call(kv):
    stream = kv.Watch(KV.WatchRequest(key=b"never"), timeout=0.5)
    with pytest.raises(grpc.RpcError) as err:
        for _ in stream:
            pass
    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert_still_serving(kv)


def test_two_request_messages_on_a_unary_method_are_rejected(channel, kv):
    call = channel.stream_unary("/microstate.v1.KV/Get", request_serializer=None, response_deserializer=None)
    message = KV.GetRequest(key=b"a").SerializeToString()
    with pytest.raises(grpc.RpcError) as err:
        call(iter([message, message]), timeout=10)
    assert err.value.code() in (grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.INTERNAL)
    assert_still_serving(kv)


def test_zero_request_messages_on_a_unary_method_are_rejected(channel, kv):
    call = channel.stream_unary("/microstate.v1.KV/Get", request_serializer=None, response_deserializer=None)
    with pytest.raises(grpc.RpcError) as err:
        call(iter([]), timeout=10)
    assert err.value.code() in (grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.INTERNAL)
    assert_still_serving(kv)


def h2_request(port, headers, body=b""):
    """Sends one HTTP/2 request with the given headers over h2c prior knowledge; returns (headers, body), the
    header blocks merged."""
    blocks, data = h2_response_frames(port, headers, body)
    merged = {}
    for block in blocks:
        merged.update(block)
    return merged, data


def base_headers(node, path="/microstate.v1.KV/Get", content_type="application/grpc", method="POST"):
    return [
        (":method", method), (":scheme", "http"), (":authority", node.target), (":path", path),
        ("content-type", content_type), ("te", "trailers"),
    ]


def test_non_grpc_content_type_is_http_415_with_text(node, kv):
    headers, body = h2_request(node.port, base_headers(node, content_type="application/json"), b"{}")
    assert headers[":status"] == "415"
    assert body and b"grpc" in body.lower()
    assert_still_serving(kv)


def test_get_method_is_http_405(node, kv):
    headers, _ = h2_request(node.port, base_headers(node, method="GET"))
    assert headers[":status"] == "405"
    assert_still_serving(kv)


def test_errors_before_any_message_are_trailers_only(node):
    # Unknown method: one HEADERS frame carrying :status 200 and grpc-status (what Envoy/Istio read).
    headers, body = h2_request(node.port, base_headers(node, path="/microstate.v1.KV/Nope"), b"\x00\x00\x00\x00\x00")
    assert headers[":status"] == "200" and headers["grpc-status"] == "12" and body == b""


def test_truncated_message_at_end_of_stream_is_an_error(node, kv):
    headers, _ = h2_request(node.port, base_headers(node), b"\x00\x00\x00\x00\x09\x0a\x01")
    assert headers.get("grpc-status") not in (None, "0")
    assert_still_serving(kv)


def h2_response_frames(port, headers, body=b""):
    """(header blocks, body) of one request over h2c prior knowledge: each header block as a dict, in order."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    stream_id = conn.get_next_available_stream_id()
    conn.send_headers(stream_id, headers, end_stream=not body)
    if body:
        conn.send_data(stream_id, body, end_stream=True)
    sock.sendall(conn.data_to_send())
    blocks, data, done = [], b"", False
    while not done:
        chunk = sock.recv(65536)
        if not chunk:
            break
        for event in conn.receive_data(chunk):
            if isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
                blocks.append({k.decode(): v.decode() for k, v in event.headers})
            elif isinstance(event, h2.events.DataReceived):
                data += event.data
                conn.acknowledge_received_data(event.flow_controlled_length, stream_id)
            elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                done = True
        sock.sendall(conn.data_to_send())
    sock.close()
    return blocks, data


def grpc_frame(message):
    return b"\x00" + len(message).to_bytes(4, "big") + message


@pytest.mark.parametrize("path,message,code", [
    # PutRequest{key: "", value: "v"}: empty key.
    ("/microstate.v1.KV/Put", b"\x12\x01v", "3"),
    # PutRequest{key: "k", value: "v", expected_revision: 99}: the key does not exist.
    ("/microstate.v1.KV/Put", b"\x0a\x01k\x12\x01v\x18\x63", "10"),
    # ReadRequest{stream: "$bad"} (server streaming, fails before any message).
    ("/microstate.v1.EventStream/Read", b"\x0a\x04$bad", "3"),
    # SubscribeRequest{stream: "$bad"}.
    ("/microstate.v1.EventStream/Subscribe", b"\x0a\x04$bad", "3"),
    # A message that is not valid protobuf.
    ("/microstate.v1.KV/Get", b"\xff\xff\xff", "3"),
])
def test_handler_errors_before_any_message_are_trailers_only(node, kv, path, message, code):
    """Envoy and Istio read a gRPC error from one HEADERS frame with :status 200, grpc-status and END_STREAM
    (PROTOCOL-HTTP2.md Trailers-Only); a separate header block before the trailers would be a different shape."""
    blocks, data = h2_response_frames(node.port, base_headers(node, path=path), grpc_frame(message))
    assert len(blocks) == 1, f"expected one header block, got {blocks}"
    assert blocks[0][":status"] == "200" and blocks[0]["content-type"] == "application/grpc"
    assert blocks[0]["grpc-status"] == code and data == b""
    assert_still_serving(kv)
