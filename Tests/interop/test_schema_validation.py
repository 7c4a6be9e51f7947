"""Validation on write (issue #5) through stock grpcio clients: a subject bound to a KV key prefix or a stream
pattern makes Puts, Txn puts and Appends whose payload does not match its schema fail INVALID_ARGUMENT naming the
failing path; Confluent-framed payloads are checked against the version their id names; bindings survive kill -9.
"""
import json
import sys
import tempfile
from pathlib import Path

import grpc
import pytest

from conftest import Node
from microstate.v1 import events_pb2, kv_pb2, kv_pb2_grpc, events_pb2_grpc, schema_pb2, schema_pb2_grpc

PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "address": {
            "type": "object",
            "properties": {"zip": {"type": "string", "pattern": "^[0-9]{5}$"}},
            "required": ["zip"],
        },
    },
    "required": ["name"],
}

ORDER_PROTO = """syntax = "proto3";
package validation.shop;
message Order {
  string sku = 1;
  int32 quantity = 2;
  repeated Line lines = 3;
  message Line { string item = 1; int64 cents = 2; }
}
"""


def register(registry, subject, schema_type, text):
    response = registry.Register(
        schema_pb2.RegisterRequest(subject=subject, schema=schema_pb2.Schema(schema_type=schema_type, schema=text))
    )
    return response.id, response.version


@pytest.fixture
def stubs(node):
    with node.channel() as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield (
            schema_pb2_grpc.SchemaRegistryStub(channel),
            kv_pb2_grpc.KVStub(channel),
            events_pb2_grpc.EventStreamStub(channel),
        )


@pytest.fixture(scope="module")
def order_module():
    """A Python class for ORDER_PROTO, compiled by grpc_tools' protoc: a payload producer nobody here wrote."""
    from grpc_tools import protoc

    # A file name and package of its own: other tests load their order.proto into the same default pool.
    out = Path(tempfile.mkdtemp(prefix="validation-proto-"))
    (out / "validation_order.proto").write_text(ORDER_PROTO)
    assert protoc.main(["protoc", f"-I{out}", f"--python_out={out}", str(out / "validation_order.proto")]) == 0
    sys.path.insert(0, str(out))
    import validation_order_pb2

    return validation_order_pb2


def test_put_validated_against_json_schema(stubs):
    registry, kv, _ = stubs
    schema_id, _ = register(registry, "people", schema_pb2.SCHEMA_TYPE_JSON, json.dumps(PERSON))
    registry.Bind(schema_pb2.BindRequest(subject="people", key_prefix=b"people/", mode=schema_pb2.BINDING_MODE_VALIDATE))

    kv.Put(kv_pb2.PutRequest(key=b"people/1", value=json.dumps({"name": "Ada", "address": {"zip": "12345"}}).encode()))
    # The stored value carries the id it was validated against; an unvalidated one carries none.
    assert kv.Get(kv_pb2.GetRequest(key=b"people/1")).kv.schema_id == schema_id
    with pytest.raises(grpc.RpcError) as failed:
        kv.Put(kv_pb2.PutRequest(key=b"people/2", value=json.dumps({"name": "Bob", "address": {"zip": "12"}}).encode()))
    assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    message = failed.value.details()
    assert "address.zip" in message and "people/2" in message and f"id {schema_id}" in message, message
    assert kv.Get(kv_pb2.GetRequest(key=b"people/2")).found is False

    with pytest.raises(grpc.RpcError) as missing:
        kv.Put(kv_pb2.PutRequest(key=b"people/3", value=b'{"address":{"zip":"12345"}}'))
    assert missing.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "name" in missing.value.details()

    # A Txn whose put would break the schema fails as a whole.
    txn = kv_pb2.TxnRequest(
        success=[
            kv_pb2.RequestOp(put=kv_pb2.PutRequest(key=b"other/1", value=b"x")),
            kv_pb2.RequestOp(put=kv_pb2.PutRequest(key=b"people/4", value=b"[]")),
        ]
    )
    with pytest.raises(grpc.RpcError) as txn_failed:
        kv.Txn(txn)
    assert txn_failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert kv.Get(kv_pb2.GetRequest(key=b"other/1")).found is False

    # Unbound keys are not checked; after Unbind the prefix is free again.
    kv.Put(kv_pb2.PutRequest(key=b"other/2", value=b"not json"))
    assert kv.Get(kv_pb2.GetRequest(key=b"other/2")).kv.schema_id == 0
    registry.Unbind(schema_pb2.UnbindRequest(key_prefix=b"people/"))
    kv.Put(kv_pb2.PutRequest(key=b"people/5", value=b"not json"))
    # Overwriting a validated key without validation drops its id.
    kv.Put(kv_pb2.PutRequest(key=b"people/1", value=b"not json either"))
    assert kv.Get(kv_pb2.GetRequest(key=b"people/1")).kv.schema_id == 0


def test_protobuf_payloads_and_confluent_framing(stubs, order_module):
    registry, kv, _ = stubs
    schema_id, _ = register(registry, "orders-value", schema_pb2.SCHEMA_TYPE_PROTOBUF, ORDER_PROTO)
    registry.Bind(schema_pb2.BindRequest(subject="orders-value", key_prefix=b"orders/"))

    order = order_module.Order(sku="A-1", quantity=2, lines=[order_module.Order.Line(item="pen", cents=150)])
    kv.Put(kv_pb2.PutRequest(key=b"orders/1", value=order.SerializeToString()))

    # Field 3 (lines) is a message; a varint there is a wire-type error at a named field.
    bad = order.SerializeToString() + bytes([0x18, 0x05])
    with pytest.raises(grpc.RpcError) as failed:
        kv.Put(kv_pb2.PutRequest(key=b"orders/2", value=bad))
    assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "lines" in failed.value.details(), failed.value.details()

    # Confluent framing: magic 0, the 4-byte id, message indexes [0] (one 0 byte), then the message.
    framed = b"\x00" + schema_id.to_bytes(4, "big") + b"\x00" + order.SerializeToString()
    kv.Put(kv_pb2.PutRequest(key=b"orders/3", value=framed))
    ranged = kv.Range(kv_pb2.RangeRequest(prefix=b"orders/"))
    assert [(item.key, item.schema_id) for item in ranged.kvs] == [(b"orders/1", schema_id), (b"orders/3", schema_id)]
    # Indexes naming a second top-level message that does not exist.
    wrong_index = b"\x00" + schema_id.to_bytes(4, "big") + b"\x02\x02" + order.SerializeToString()
    with pytest.raises(grpc.RpcError) as indexed:
        kv.Put(kv_pb2.PutRequest(key=b"orders/4", value=wrong_index))
    assert indexed.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_append_validated_and_events_carry_schema_id(stubs):
    registry, _, events = stubs
    schema_id, _ = register(registry, "people", schema_pb2.SCHEMA_TYPE_JSON, json.dumps(PERSON))
    registry.Bind(schema_pb2.BindRequest(subject="people", stream_pattern="person-*"))

    good = events_pb2.EventData(type="Created", data=b'{"name":"Ada"}')
    events.Append(events_pb2.AppendRequest(stream="person-1", events=[good]))
    bad = events_pb2.EventData(type="Renamed", data=b'{"name":7}')
    with pytest.raises(grpc.RpcError) as failed:
        events.Append(events_pb2.AppendRequest(stream="person-1", events=[good, bad]))
    assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "event 1 (Renamed)" in failed.value.details() and "name" in failed.value.details()

    read = list(events.Read(events_pb2.ReadRequest(stream="person-1", from_revision=0)))
    recorded = [item.event for item in read]
    assert len(recorded) == 1
    assert recorded[0].metadata["schema-id"] == str(schema_id)


def test_bindings_survive_kill(data_dir):
    node = Node(data_dir).start()
    try:
        with node.channel() as channel:
            registry = schema_pb2_grpc.SchemaRegistryStub(channel)
            register(registry, "people", schema_pb2.SCHEMA_TYPE_JSON, json.dumps(PERSON))
            registry.Bind(schema_pb2.BindRequest(subject="people", key_prefix=b"people/"))
            kv_pb2_grpc.KVStub(channel).Put(kv_pb2.PutRequest(key=b"people/0", value=b'{"name":"Ada"}'))
        node.kill()
        node = Node(data_dir).start()
        with node.channel() as channel:
            kv = kv_pb2_grpc.KVStub(channel)
            assert kv.Get(kv_pb2.GetRequest(key=b"people/0")).kv.schema_id == 1
            with pytest.raises(grpc.RpcError) as failed:
                kv.Put(kv_pb2.PutRequest(key=b"people/1", value=b"{}"))
            assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            listed = schema_pb2_grpc.SchemaRegistryStub(channel).ListBindings(schema_pb2.ListBindingsRequest())
            assert [b.subject for b in listed.bindings] == ["people"]
    finally:
        node.stop()
