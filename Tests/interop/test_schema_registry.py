"""microstate.v1.SchemaRegistry through stock grpcio stubs generated from proto/ (a client nobody here wrote)."""
import grpc
import pytest

from conftest import Node
from microstate.v1 import schema_pb2 as S, schema_pb2_grpc

USER_V1 = '{"type":"record","name":"User","fields":[{"name":"id","type":"long"}]}'
USER_V2 = ('{"type":"record","name":"User","fields":[{"name":"id","type":"long"},'
           '{"name":"email","type":"string","default":""}]}')
USER_BREAKING = ('{"type":"record","name":"User","fields":[{"name":"id","type":"long"},'
                 '{"name":"age","type":"int"}]}')
ORDER_JSON = '{"type":"object","properties":{"id":{"type":"integer"}},"additionalProperties":false}'
MONEY_PROTO = 'syntax = "proto3";\npackage c;\nmessage Money { int64 cents = 1; }\n'
ORDER_PROTO = 'syntax = "proto3";\npackage o;\nimport "money.proto";\nmessage Order { c.Money total = 1; }\n'


def avro(text):
    return S.Schema(schema_type=S.SCHEMA_TYPE_AVRO, schema=text)


@pytest.fixture
def registry(channel):
    return schema_pb2_grpc.SchemaRegistryStub(channel)


def fails(call, request, code):
    with pytest.raises(grpc.RpcError) as error:
        call(request, timeout=10)
    assert error.value.code() == code, error.value.details()
    return error.value.details()


def test_register_every_schema_type_with_a_protobuf_reference(registry):
    avro_id = registry.Register(S.RegisterRequest(subject="users", schema=avro(USER_V1)), timeout=10)
    assert (avro_id.id, avro_id.version) == (1, 1) and avro_id.header.revision > 0
    json_id = registry.Register(S.RegisterRequest(
        subject="orders-json", schema=S.Schema(schema_type=S.SCHEMA_TYPE_JSON, schema=ORDER_JSON)), timeout=10)
    assert (json_id.id, json_id.version) == (2, 1)
    money = registry.Register(S.RegisterRequest(
        subject="money", schema=S.Schema(schema_type=S.SCHEMA_TYPE_PROTOBUF, schema=MONEY_PROTO)), timeout=10)
    order = registry.Register(S.RegisterRequest(subject="orders-proto", schema=S.Schema(
        schema_type=S.SCHEMA_TYPE_PROTOBUF, schema=ORDER_PROTO,
        references=[S.SchemaReference(name="money.proto", subject="money", version=-1)])), timeout=10)
    assert (money.id, order.id) == (3, 4)
    got = registry.GetVersion(S.GetVersionRequest(subject="orders-proto", latest=True), timeout=10)
    assert got.id == 4 and got.schema.schema_type == S.SCHEMA_TYPE_PROTOBUF
    # -1 resolved to the referenced subject's latest version at registration.
    assert [(r.name, r.subject, r.version) for r in got.schema.references] == [("money.proto", "money", 1)]
    # An import nobody provides is an invalid schema.
    details = fails(registry.Register, S.RegisterRequest(subject="broken", schema=S.Schema(
        schema_type=S.SCHEMA_TYPE_PROTOBUF, schema=ORDER_PROTO)), grpc.StatusCode.INVALID_ARGUMENT)
    assert "42201" in details
    # UNSPECIFIED is Avro.
    unspecified = registry.Register(S.RegisterRequest(subject="users", schema=S.Schema(schema=USER_V1)), timeout=10)
    assert (unspecified.id, unspecified.version) == (1, 1)
    assert list(registry.ListSubjects(S.ListSubjectsRequest(), timeout=10).subjects) == [
        "money", "orders-json", "orders-proto", "users"]


def test_ids_are_content_addressed_across_subjects(registry):
    a = registry.Register(S.RegisterRequest(subject="a", schema=avro(USER_V1)), timeout=10)
    b = registry.Register(S.RegisterRequest(subject="b", schema=avro(USER_V1)), timeout=10)
    assert a.id == b.id and (a.version, b.version) == (1, 1)
    uses = registry.GetSchema(S.GetSchemaRequest(id=a.id), timeout=10).subject_versions
    assert [(u.subject, u.version) for u in uses] == [("a", 1), ("b", 1)]
    # normalize: two layouts of one schema (whitespace, key order) share an id; without it they do not.
    spaced = '{ "name": "User", "type": "record", "fields": [ { "type": "long", "name": "id" } ] }'
    c = registry.Register(S.RegisterRequest(subject="c", schema=avro(spaced), normalize=True), timeout=10)
    d = registry.Register(S.RegisterRequest(subject="d", schema=avro(USER_V1), normalize=True), timeout=10)
    assert c.id == d.id != a.id


def test_verbose_check_names_rule_and_path(registry):
    registry.Register(S.RegisterRequest(subject="users", schema=avro(USER_V1)), timeout=10)
    ok = registry.CheckCompatibility(S.CheckCompatibilityRequest(subject="users", schema=avro(USER_V2)), timeout=10)
    assert ok.compatible and not ok.messages
    quiet = registry.CheckCompatibility(S.CheckCompatibilityRequest(
        subject="users", schema=avro(USER_BREAKING), latest=True), timeout=10)
    assert not quiet.compatible and not quiet.messages
    verbose = registry.CheckCompatibility(S.CheckCompatibilityRequest(
        subject="users", schema=avro(USER_BREAKING), all=True, verbose=True), timeout=10)
    assert not verbose.compatible
    assert [(m.rule, "age" in m.path) for m in verbose.messages] == [("READER_FIELD_MISSING_DEFAULT_VALUE", True)]
    details = fails(registry.Register, S.RegisterRequest(subject="users", schema=avro(USER_BREAKING)),
                    grpc.StatusCode.FAILED_PRECONDITION)
    assert "409" in details and "READER_FIELD_MISSING_DEFAULT_VALUE" in details
    # NONE on the subject: the level decides when no target is given.
    registry.SetConfig(S.SetConfigRequest(subject="users", level=S.COMPATIBILITY_LEVEL_NONE), timeout=10)
    assert registry.CheckCompatibility(S.CheckCompatibilityRequest(
        subject="users", schema=avro(USER_BREAKING)), timeout=10).compatible
    fails(registry.CheckCompatibility, S.CheckCompatibilityRequest(subject="users", schema=avro(USER_V2), version=0),
          grpc.StatusCode.INVALID_ARGUMENT)


def test_soft_then_hard_delete(registry):
    registry.Register(S.RegisterRequest(subject="users", schema=avro(USER_V1)), timeout=10)
    v2 = registry.Register(S.RegisterRequest(subject="users", schema=avro(USER_V2)), timeout=10)
    assert registry.DeleteVersion(S.DeleteVersionRequest(subject="users", version=-1), timeout=10).version == 2
    # A soft-deleted version's id still resolves; the listing hides it unless asked.
    assert registry.GetSchema(S.GetSchemaRequest(id=v2.id), timeout=10).schema.schema == USER_V2
    assert list(registry.ListVersions(S.ListVersionsRequest(subject="users"), timeout=10).versions) == [1]
    assert list(registry.ListVersions(S.ListVersionsRequest(subject="users", include_deleted=True),
                                      timeout=10).versions) == [1, 2]
    assert list(registry.DeleteSubject(S.DeleteSubjectRequest(subject="users"), timeout=10).versions) == [1]
    assert "40401" in fails(registry.GetVersion, S.GetVersionRequest(subject="users", version=1),
                            grpc.StatusCode.NOT_FOUND)
    assert list(registry.DeleteSubject(S.DeleteSubjectRequest(subject="users", permanent=True),
                                       timeout=10).versions) == [1, 2]
    assert "users" not in registry.ListSubjects(S.ListSubjectsRequest(include_deleted=True), timeout=10).subjects


def test_referenced_version_cannot_be_deleted(registry):
    registry.Register(S.RegisterRequest(subject="money", schema=S.Schema(
        schema_type=S.SCHEMA_TYPE_PROTOBUF, schema=MONEY_PROTO)), timeout=10)
    registry.Register(S.RegisterRequest(subject="orders", schema=S.Schema(
        schema_type=S.SCHEMA_TYPE_PROTOBUF, schema=ORDER_PROTO,
        references=[S.SchemaReference(name="money.proto", subject="money", version=1)])), timeout=10)
    details = fails(registry.DeleteVersion, S.DeleteVersionRequest(subject="money", version=1),
                    grpc.StatusCode.FAILED_PRECONDITION)
    assert "42206" in details


def test_readonly_refuses_and_import_keeps_ids(registry):
    registry.SetMode(S.SetModeRequest(mode=S.REGISTRY_MODE_READONLY), timeout=10)
    assert "42205" in fails(registry.Register, S.RegisterRequest(subject="users", schema=avro(USER_V1)),
                            grpc.StatusCode.FAILED_PRECONDITION)
    assert registry.SetMode(S.SetModeRequest(mode=S.REGISTRY_MODE_IMPORT), timeout=10).mode == S.REGISTRY_MODE_IMPORT
    imported = registry.Register(S.RegisterRequest(subject="users", schema=avro(USER_V1), id=1000, version=5),
                                 timeout=10)
    assert (imported.id, imported.version) == (1000, 5)
    got = registry.GetVersion(S.GetVersionRequest(subject="users", version=5), timeout=10)
    assert got.id == 1000 and got.schema.schema == USER_V1
    assert registry.GetMode(S.GetModeRequest(), timeout=10).mode == S.REGISTRY_MODE_IMPORT
    assert registry.SetMode(S.SetModeRequest(), timeout=10).mode == S.REGISTRY_MODE_READWRITE


def test_config_defaults_and_bindings(registry):
    assert registry.GetConfig(S.GetConfigRequest(), timeout=10).level == S.COMPATIBILITY_LEVEL_BACKWARD
    assert registry.GetConfig(S.GetConfigRequest(subject="x"), timeout=10).level == S.COMPATIBILITY_LEVEL_UNSPECIFIED
    assert registry.GetConfig(S.GetConfigRequest(subject="x", default_to_global=True),
                              timeout=10).level == S.COMPATIBILITY_LEVEL_BACKWARD
    registry.Register(S.RegisterRequest(subject="users", schema=avro(USER_V1)), timeout=10)
    registry.Bind(S.BindRequest(subject="users", key_prefix=b"users/"), timeout=10)
    registry.Bind(S.BindRequest(subject="users", stream_pattern="user-*", mode=S.BINDING_MODE_WARN), timeout=10)
    listed = registry.ListBindings(S.ListBindingsRequest(), timeout=10).bindings
    assert [(b.subject, b.WhichOneof("target"), b.mode) for b in listed] == [
        ("users", "key_prefix", S.BINDING_MODE_VALIDATE), ("users", "stream_pattern", S.BINDING_MODE_WARN)]
    fails(registry.Bind, S.BindRequest(subject="users"), grpc.StatusCode.INVALID_ARGUMENT)
    registry.Unbind(S.UnbindRequest(key_prefix=b"users/"), timeout=10)
    assert len(registry.ListBindings(S.ListBindingsRequest(subject="users"), timeout=10).bindings) == 1


def test_restart_keeps_ids(data_dir):
    first = Node(data_dir).start()
    try:
        with first.channel() as ch:
            registry = schema_pb2_grpc.SchemaRegistryStub(ch)
            registry.Register(S.RegisterRequest(subject="a", schema=avro(USER_V1)), timeout=10)
            registry.Register(S.RegisterRequest(subject="a", schema=avro(USER_V2)), timeout=10)
            registry.SetConfig(S.SetConfigRequest(subject="a", level=S.COMPATIBILITY_LEVEL_FULL), timeout=10)
            registry.Bind(S.BindRequest(subject="a", stream_pattern="a-*"), timeout=10)
    finally:
        first.kill()  # SIGKILL: acknowledged registry changes are durable, no clean shutdown needed.
    second = Node(data_dir).start()
    try:
        with second.channel() as ch:
            registry = schema_pb2_grpc.SchemaRegistryStub(ch)
            got = registry.GetVersion(S.GetVersionRequest(subject="a", version=2), timeout=10)
            assert got.id == 2 and got.schema.schema == USER_V2
            assert registry.GetConfig(S.GetConfigRequest(subject="a"), timeout=10).level == S.COMPATIBILITY_LEVEL_FULL
            assert len(registry.ListBindings(S.ListBindingsRequest(), timeout=10).bindings) == 1
            nxt = registry.Register(S.RegisterRequest(subject="b", schema=avro('{"type":"string"}')), timeout=10)
            assert (nxt.id, nxt.version) == (3, 1)
    finally:
        second.stop()


def test_import_on_a_populated_registry_needs_force(registry):
    registry.Register(S.RegisterRequest(subject="users", schema=avro(USER_V1)), timeout=10)
    assert "42205" in fails(registry.SetMode, S.SetModeRequest(mode=S.REGISTRY_MODE_IMPORT),
                            grpc.StatusCode.FAILED_PRECONDITION)
    assert registry.GetMode(S.GetModeRequest(), timeout=10).mode == S.REGISTRY_MODE_READWRITE
    forced = registry.SetMode(S.SetModeRequest(mode=S.REGISTRY_MODE_IMPORT, force=True), timeout=10)
    assert forced.mode == S.REGISTRY_MODE_IMPORT
