"""Server reflection (grpc.reflection.v1 and v1alpha ServerReflectionInfo, bidirectional streaming) through
clients nobody here wrote: grpcio-reflection's ProtoReflectionDescriptorDatabase (v1alpha) feeding protobuf's
DescriptorPool, and a v1 stub compiled by grpc_tools from the committed proto/grpc/reflection/v1/reflection.proto."""
import queue
import sys

import grpc
import pytest
from google.protobuf import descriptor_pb2
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_reflection.v1alpha import reflection_pb2 as v1alpha_pb2
from grpc_reflection.v1alpha import reflection_pb2_grpc as v1alpha_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from conftest import ROOT, STUBS

EXPECTED_SERVICES = {
    "microstate.v1.KV",
    "microstate.v1.EventStream",
    "microstate.v1.SchemaRegistry",
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
}


def _v1_stubs():
    """grpcio-reflection packages only v1alpha: compile v1 from our proto file. Its own directory as the include
    root, so the module is `reflection_pb2` and does not shadow the `grpc` package."""
    from grpc_tools import protoc

    out = STUBS / "reflection_v1"
    out.mkdir(parents=True, exist_ok=True)
    source = ROOT / "proto" / "grpc" / "reflection" / "v1"
    args = ["protoc", f"-I{source}", f"--python_out={out}", f"--grpc_python_out={out}", str(source / "reflection.proto")]
    if protoc.main(args) != 0:
        raise RuntimeError("grpc_tools.protoc failed on reflection v1")
    sys.path.insert(0, str(out))
    import reflection_pb2
    import reflection_pb2_grpc

    return reflection_pb2, reflection_pb2_grpc


v1_pb2, v1_grpc = _v1_stubs()


@pytest.fixture
def database(channel):
    return ProtoReflectionDescriptorDatabase(channel)


@pytest.fixture
def pool(database):
    return DescriptorPool(database)


def test_list_services(database):
    assert set(database.get_services()) == EXPECTED_SERVICES


def test_describe_kv_service(pool):
    kv = pool.FindServiceByName("microstate.v1.KV")
    methods = {m.name: m for m in kv.methods}
    assert set(methods) == {"Put", "Get", "Delete", "Range", "Txn", "Watch"}
    assert methods["Put"].input_type.full_name == "microstate.v1.PutRequest"
    assert methods["Put"].output_type.full_name == "microstate.v1.PutResponse"
    assert methods["Watch"].server_streaming and not methods["Watch"].client_streaming
    assert kv.file.name == "microstate/v1/kv.proto"


def test_every_listed_service_resolves(database, pool):
    # grpcurl's `describe` of each listed name: every service must come with its file and imports.
    for name in database.get_services():
        service = pool.FindServiceByName(name)
        assert service.full_name == name and len(service.methods) > 0


def test_resolve_message_symbol(pool):
    message = pool.FindMessageTypeByName("microstate.v1.PutRequest")
    assert "key" in message.fields_by_name
    # A type from an imported file (common.proto) resolves too: dependencies come with the file.
    assert message.file.name == "microstate/v1/kv.proto"


def test_reflection_describes_itself_bidi(pool):
    method = pool.FindMethodByName("grpc.reflection.v1.ServerReflection.ServerReflectionInfo")
    assert method.client_streaming and method.server_streaming


def test_file_by_filename_includes_dependencies(database):
    proto = database.FindFileByName("microstate/v1/kv.proto")
    assert proto.package == "microstate.v1"
    assert set(proto.dependency) == {"microstate/v1/common.proto", "microstate/v1/events.proto"}
    # The imports arrived in the same response: found without asking again.
    assert database.FindFileByName("microstate/v1/common.proto").name == "microstate/v1/common.proto"


def test_unknown_symbol_is_not_found_and_stream_continues(channel):
    stub = v1alpha_grpc.ServerReflectionStub(channel)
    requests = [
        v1alpha_pb2.ServerReflectionRequest(host="h1", file_containing_symbol="no.such.Symbol"),
        v1alpha_pb2.ServerReflectionRequest(file_by_filename="no/such/file.proto"),
        v1alpha_pb2.ServerReflectionRequest(
            file_containing_extension=v1alpha_pb2.ExtensionRequest(containing_type="microstate.v1.PutRequest", extension_number=100)
        ),
        v1alpha_pb2.ServerReflectionRequest(all_extension_numbers_of_type="no.such.Type"),
        v1alpha_pb2.ServerReflectionRequest(list_services=""),
    ]
    responses = list(stub.ServerReflectionInfo(iter(requests), timeout=10))
    assert len(responses) == len(requests)
    for request, response in zip(requests[:4], responses[:4]):
        assert response.WhichOneof("message_response") == "error_response"
        assert response.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]
        assert response.original_request == request
    assert responses[0].valid_host == "h1"
    assert "no.such.Symbol" in responses[0].error_response.error_message
    assert {s.name for s in responses[4].list_services_response.service} == EXPECTED_SERVICES


def test_all_extension_numbers_of_known_type_is_empty(channel):
    stub = v1alpha_grpc.ServerReflectionStub(channel)
    request = v1alpha_pb2.ServerReflectionRequest(all_extension_numbers_of_type="microstate.v1.PutRequest")
    (response,) = list(stub.ServerReflectionInfo(iter([request]), timeout=10))
    assert response.all_extension_numbers_response.base_type_name == "microstate.v1.PutRequest"
    assert list(response.all_extension_numbers_response.extension_number) == []


def test_v1_list_and_symbol(channel):
    stub = v1_grpc.ServerReflectionStub(channel)
    requests = [
        v1_pb2.ServerReflectionRequest(list_services=""),
        v1_pb2.ServerReflectionRequest(file_containing_symbol="microstate.v1.KV.Put"),
        v1_pb2.ServerReflectionRequest(file_containing_symbol="grpc.health.v1.HealthCheckResponse.ServingStatus"),
        v1_pb2.ServerReflectionRequest(file_containing_symbol="microstate.v1.Nope"),
    ]
    responses = list(stub.ServerReflectionInfo(iter(requests), timeout=10))
    assert {s.name for s in responses[0].list_services_response.service} == EXPECTED_SERVICES
    files = [descriptor_pb2.FileDescriptorProto.FromString(b) for b in responses[1].file_descriptor_response.file_descriptor_proto]
    assert files[0].name == "microstate/v1/kv.proto"
    assert {f.name for f in files} == {"microstate/v1/kv.proto", "microstate/v1/common.proto", "microstate/v1/events.proto"}
    kv = next(s for s in files[0].service if s.name == "KV")
    put = next(m for m in kv.method if m.name == "Put")
    assert (put.input_type, put.output_type) == (".microstate.v1.PutRequest", ".microstate.v1.PutResponse")
    health = [descriptor_pb2.FileDescriptorProto.FromString(b) for b in responses[2].file_descriptor_response.file_descriptor_proto]
    assert [f.name for f in health] == ["grpc/health/v1/health.proto"]
    assert responses[3].error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]


def test_v1_requests_answered_one_by_one_before_half_close(channel):
    # A real bidirectional exchange: each answer arrives while the request side is still open.
    outgoing = queue.Queue()

    def requests():
        while True:
            item = outgoing.get()
            if item is None:
                return
            yield item

    stub = v1_grpc.ServerReflectionStub(channel)
    call = stub.ServerReflectionInfo(requests(), timeout=10)
    for filename in ["grpc/health/v1/health.proto", "microstate/v1/common.proto", "grpc/reflection/v1/reflection.proto"]:
        outgoing.put(v1_pb2.ServerReflectionRequest(file_by_filename=filename))
        response = next(call)
        first = descriptor_pb2.FileDescriptorProto.FromString(response.file_descriptor_response.file_descriptor_proto[0])
        assert first.name == filename
    outgoing.put(None)
    assert list(call) == []
    assert call.code() == grpc.StatusCode.OK


def test_malformed_request_fails_the_call(node):
    with grpc.insecure_channel(node.target) as channel:
        raw = channel.stream_stream(
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            request_serializer=lambda b: b,
            response_deserializer=lambda b: b,
        )
        with pytest.raises(grpc.RpcError) as err:
            list(raw(iter([b"\x22\xff"]), timeout=10))  # field 4, length 255, nothing after
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
