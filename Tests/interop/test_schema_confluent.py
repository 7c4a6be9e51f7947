"""Confluent's own Python client (confluent-kafka's SchemaRegistryClient, JSON and Protobuf serializers) against the
node's Confluent-compatible REST façade on the admin port, unchanged: `schema.registry.url=http://node:ADMIN_PORT`."""
import base64
import json
import struct
import subprocess
import sys

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

RECORD_V1 = json.dumps({"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"}]})
RECORD_V2 = json.dumps(
    {"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"}, {"name": "c", "type": "int", "default": 0}]}
)
RECORD_BREAKING = json.dumps(
    {"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"}, {"name": "b", "type": "int"}]}
)
ORDER_SCHEMA = json.dumps(
    {
        "type": "object",
        "title": "Order",
        "properties": {"id": {"type": "integer"}, "item": {"type": "string"}},
        "required": ["id"],
    }
)
ORDER_PROTO = """syntax = "proto3";
package interop;

message Order {
  int64 id = 1;
  string item = 2;
}
"""


@pytest.fixture
def registry_url(node):
    assert node.admin_port, "the node must serve its admin port"
    return f"http://127.0.0.1:{node.admin_port}"


@pytest.fixture
def client(registry_url):
    return SchemaRegistryClient({"url": registry_url})


def framed_id(data):
    """The schema id of Confluent's wire format: magic byte 0x00, then a 4-byte big-endian id."""
    assert data[0] == 0
    return struct.unpack(">I", data[1:5])[0]


def test_register_read_lookup_and_delete(client):
    schema_id = client.register_schema("orders-value", Schema(RECORD_V1, "AVRO"))
    assert schema_id > 0
    assert client.register_schema("orders-value", Schema(RECORD_V1, "AVRO")) == schema_id

    assert json.loads(client.get_schema(schema_id).schema_str) == json.loads(RECORD_V1)
    latest = client.get_latest_version("orders-value")
    assert (latest.schema_id, latest.version, latest.subject) == (schema_id, 1, "orders-value")
    assert client.get_version("orders-value", 1).schema_id == schema_id

    v2_id = client.register_schema("orders-value", Schema(RECORD_V2, "AVRO"))
    assert v2_id != schema_id
    assert client.get_versions("orders-value") == [1, 2]
    found = client.lookup_schema("orders-value", Schema(RECORD_V1, "AVRO"))
    assert (found.schema_id, found.version) == (schema_id, 1)
    assert client.get_subjects() == ["orders-value"]

    with pytest.raises(SchemaRegistryError) as err:
        client.lookup_schema("orders-value", Schema(RECORD_BREAKING, "AVRO"))
    assert (err.value.http_status_code, err.value.error_code) == (404, 40403)
    with pytest.raises(SchemaRegistryError) as err:
        client.get_latest_version("no-such-subject")
    assert (err.value.http_status_code, err.value.error_code) == (404, 40401)
    with pytest.raises(SchemaRegistryError) as err:
        client.get_version("orders-value", 9)
    assert (err.value.http_status_code, err.value.error_code) == (404, 40402)

    assert client.delete_subject("orders-value") == [1, 2]
    assert client.get_subjects() == []
    assert client.delete_subject("orders-value", permanent=True) == [1, 2]


def test_compatibility_and_config(client):
    client.register_schema("c-value", Schema(RECORD_V1, "AVRO"))
    assert client.get_compatibility() == "BACKWARD"
    assert client.test_compatibility("c-value", Schema(RECORD_V2, "AVRO")) is True
    assert client.test_compatibility("c-value", Schema(RECORD_BREAKING, "AVRO")) is False
    with pytest.raises(SchemaRegistryError) as err:
        client.register_schema("c-value", Schema(RECORD_BREAKING, "AVRO"))
    assert (err.value.http_status_code, err.value.error_code) == (409, 409)

    client.set_compatibility("c-value", "NONE")
    assert client.get_compatibility("c-value") == "NONE"
    assert client.test_compatibility("c-value", Schema(RECORD_BREAKING, "AVRO")) is True
    assert client.register_schema("c-value", Schema(RECORD_BREAKING, "AVRO")) > 0
    client.set_compatibility(level="FULL")
    assert client.get_compatibility() == "FULL"


def test_invalid_schema_is_42201(client):
    with pytest.raises(SchemaRegistryError) as err:
        client.register_schema("bad-value", Schema("{not json", "JSON"))
    assert (err.value.http_status_code, err.value.error_code) == (422, 42201)


def test_protobuf_text_schema_registers_and_reads_back(client):
    schema_id = client.register_schema("proto-value", Schema(ORDER_PROTO, "PROTOBUF"))
    fetched = SchemaRegistryClient({"url": client._rest_client.base_urls[0]}).get_schema(schema_id)
    assert fetched.schema_type == "PROTOBUF"
    assert "message Order" in fetched.schema_str


def test_json_serializer_round_trip(registry_url):
    producer_client = SchemaRegistryClient({"url": registry_url})
    serializer = JSONSerializer(ORDER_SCHEMA, producer_client, conf={"auto.register.schemas": True})
    ctx = SerializationContext("orders", MessageField.VALUE)
    order = {"id": 7, "item": "tea"}
    data = serializer(order, ctx)

    registered = producer_client.get_latest_version("orders-value")
    assert framed_id(data) == registered.schema_id
    assert registered.schema.schema_type == "JSON"

    # A fresh client has no cache: the deserializer fetches the writer schema by id from the node.
    consumer_client = SchemaRegistryClient({"url": registry_url})
    deserializer = JSONDeserializer(None, schema_registry_client=consumer_client)
    assert deserializer(data, ctx) == order


@pytest.fixture
def order_pb2(tmp_path):
    (tmp_path / "order.proto").write_text(ORDER_PROTO)
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{tmp_path}", f"--python_out={tmp_path}", "order.proto"],
        check=True,
    )
    sys.path.insert(0, str(tmp_path))
    try:
        import order_pb2

        yield order_pb2
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("order_pb2", None)


def test_protobuf_serializer_round_trip(registry_url, order_pb2):
    from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer

    serializer = ProtobufSerializer(
        order_pb2.Order, SchemaRegistryClient({"url": registry_url}), conf={"auto.register.schemas": True}
    )
    ctx = SerializationContext("pb-orders", MessageField.VALUE)
    data = serializer(order_pb2.Order(id=7, item="tea"), ctx)
    registered = SchemaRegistryClient({"url": registry_url}).get_latest_version("pb-orders-value")
    assert framed_id(data) == registered.schema_id
    assert data[5] == 0, "message index [0] is the single byte 0x00"

    deserializer = ProtobufDeserializer(
        order_pb2.Order, {"use.deprecated.format": False}, schema_registry_client=SchemaRegistryClient({"url": registry_url})
    )
    assert deserializer(data, ctx) == order_pb2.Order(id=7, item="tea")


# A unique file name and package: the protobuf default descriptor pool is shared by every test in the process.
STAMPED_PROTO = """syntax = "proto3";
package interop_wkt;

import "google/protobuf/timestamp.proto";
import "google/protobuf/duration.proto";

message StampedOrder {
  int64 id = 1;
  google.protobuf.Timestamp created = 2;
  google.protobuf.Duration ttl = 3;
}
"""


@pytest.fixture
def stamped_pb2(tmp_path):
    (tmp_path / "interop_wkt_stamped.proto").write_text(STAMPED_PROTO)
    # grpc_tools.protoc adds its bundled include directory, which holds the well-known types.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{tmp_path}",
            f"--python_out={tmp_path}",
            "interop_wkt_stamped.proto",
        ],
        check=True,
    )
    sys.path.insert(0, str(tmp_path))
    try:
        import interop_wkt_stamped_pb2

        yield interop_wkt_stamped_pb2
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("interop_wkt_stamped_pb2", None)


def test_protobuf_well_known_types_need_no_references(registry_url, stamped_pb2):
    """confluent-kafka skips google/protobuf/*.proto when registering (skip.known.types) and its deserializer takes
    them from protobuf's default pool: the node must accept the import with no reference and serve a descriptor
    that lists it as a dependency."""
    from google.protobuf.descriptor_pb2 import FileDescriptorProto
    from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer

    client = SchemaRegistryClient({"url": registry_url})
    serializer = ProtobufSerializer(stamped_pb2.StampedOrder, client, conf={"auto.register.schemas": True})
    ctx = SerializationContext("pb-stamped", MessageField.VALUE)
    order = stamped_pb2.StampedOrder(id=9)
    order.created.seconds, order.created.nanos = 1_700_000_000, 123
    order.ttl.seconds = 90
    data = serializer(order, ctx)

    registered = SchemaRegistryClient({"url": registry_url}).get_latest_version("pb-stamped-value")
    assert framed_id(data) == registered.schema_id
    assert not registered.schema.references, "well-known imports are not registered as references"
    assert 'import "google/protobuf/timestamp.proto"' in registered.schema.schema_str

    serialized = client.get_version("pb-stamped-value", registered.version, False, "serialized")
    descriptor = FileDescriptorProto.FromString(base64.b64decode(serialized.schema.schema_str))
    assert set(descriptor.dependency) == {"google/protobuf/timestamp.proto", "google/protobuf/duration.proto"}
    created = next(f for f in descriptor.message_type[0].field if f.name == "created")
    assert created.type_name == ".google.protobuf.Timestamp"

    deserializer = ProtobufDeserializer(
        stamped_pb2.StampedOrder,
        {"use.deprecated.format": False},
        schema_registry_client=SchemaRegistryClient({"url": registry_url}),
    )
    decoded = deserializer(data, ctx)
    assert decoded == order
    assert decoded.created.ToNanoseconds() == 1_700_000_000_000_000_123

    # Changing the Timestamp to a Duration is refused under the default BACKWARD level (FIELD_NAMED_TYPE_CHANGED).
    changed = STAMPED_PROTO.replace("google.protobuf.Timestamp created", "google.protobuf.Duration created")
    assert not client.test_compatibility("pb-stamped-value", Schema(changed, "PROTOBUF"))
