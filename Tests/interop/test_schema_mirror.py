"""--upstream-registry: a node mirrors an upstream Confluent-compatible schema registry (issue #5).

The upstream is either FakeRegistry (a small http.server speaking Confluent's REST JSON shapes, written from
Confluent's API reference, not from our façade) or a second microstatedb node serving the REST façade on its admin
port (test_mirror_from_second_node; skipped while that node answers GET /subjects with 404).

Local state of the mirroring node is checked through /metrics and /status (schema_mirror section), and through its
own REST façade when it has one (the checks that need it skip on a 404).
"""
import json
import os
import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import Node

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"

AVRO_USER = json.dumps({"type": "record", "name": "User", "fields": [{"name": "id", "type": "long"}]})
AVRO_USER_V2 = json.dumps({
    "type": "record", "name": "User",
    "fields": [{"name": "id", "type": "long"}, {"name": "email", "type": ["null", "string"], "default": None}],
})
# References as Protobuf imports (the local checker resolves Protobuf references; Avro named-type references are
# refused locally and would be counted as failed imports).
PROTO_ADDRESS = 'syntax = "proto3";\npackage shop;\nmessage Address { string city = 1; }\n'
PROTO_ORDER = 'syntax = "proto3";\npackage shop;\nimport "address.proto";\nmessage Order { shop.Address ship_to = 1; }\n'
ORDER_REFS = [{"name": "address.proto", "subject": "shop.Address", "version": 1}]


# --------------------------------------------------------------------------------------------------------------
# A fake Confluent schema registry


class FakeRegistry:
    """Confluent's REST shapes for the routes the mirror uses. Ids start at 1000 so that an id kept by the mirror
    cannot be a coincidence of the local registry's own numbering (which starts at 1)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.subjects = {}  # subject -> [(version, id)]
        self.schemas = {}  # id -> {"schema", "schemaType", "references"}
        self.next_id = 1000
        self.requests = []
        self.server = None
        self.port = None

    # state ------------------------------------------------------------------------------------------------
    def register(self, subject, schema, schema_type="AVRO", references=()):
        content = {"schema": schema, "schemaType": schema_type, "references": list(references)}
        with self.lock:
            versions = self.subjects.setdefault(subject, [])
            for version, id_ in versions:
                if self.schemas[id_] == content:
                    return id_, version
            id_ = next((i for i, c in self.schemas.items() if c == content), None)
            if id_ is None:
                id_ = self.next_id
                self.next_id += 1
                self.schemas[id_] = content
            version = versions[-1][0] + 1 if versions else 1
            versions.append((version, id_))
            return id_, version

    def version_body(self, subject, version, id_):
        c = self.schemas[id_]
        body = {"subject": subject, "version": version, "id": id_, "schema": c["schema"]}
        if c["schemaType"] != "AVRO":
            body["schemaType"] = c["schemaType"]
        if c["references"]:
            body["references"] = c["references"]
        return body

    # HTTP -------------------------------------------------------------------------------------------------
    def start(self, port=0):
        registry = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def error(self, status, code, message):
                self.reply(status, {"error_code": code, "message": message})

            def do_GET(self):
                registry.requests.append(("GET", self.path))
                parts = [urllib.request.unquote(p) for p in self.path.split("?")[0].strip("/").split("/")]
                with registry.lock:
                    if parts == ["subjects"]:
                        return self.reply(200, sorted(registry.subjects))
                    if len(parts) >= 3 and parts[0] == "subjects" and parts[2] == "versions":
                        subject = parts[1]
                        if subject not in registry.subjects:
                            return self.error(404, 40401, f"Subject '{subject}' not found.")
                        versions = registry.subjects[subject]
                        if len(parts) == 3:
                            return self.reply(200, [v for v, _ in versions])
                        wanted = versions[-1][0] if parts[3] == "latest" else int(parts[3])
                        for version, id_ in versions:
                            if version == wanted:
                                return self.reply(200, registry.version_body(subject, version, id_))
                        return self.error(404, 40402, f"Version {wanted} not found.")
                    if len(parts) == 3 and parts[:2] == ["schemas", "ids"] and int(parts[2]) in registry.schemas:
                        c = registry.schemas[int(parts[2])]
                        return self.reply(200, {k: v for k, v in c.items() if v})
                return self.error(404, 404, "HTTP 404 Not Found")

            def do_POST(self):
                registry.requests.append(("POST", self.path))
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                parts = [urllib.request.unquote(p) for p in self.path.split("?")[0].strip("/").split("/")]
                schema_type = body.get("schemaType", "AVRO")
                references = body.get("references") or []
                if len(parts) == 3 and parts[0] == "subjects" and parts[2] == "versions":
                    if schema_type in ("AVRO", "JSON"):
                        try:
                            json.loads(body["schema"])
                        except ValueError:
                            return self.error(422, 42201, "Invalid schema")
                    id_, _ = registry.register(parts[1], body["schema"], schema_type, references)
                    return self.reply(200, {"id": id_})
                if len(parts) == 2 and parts[0] == "subjects":
                    content = {"schema": body["schema"], "schemaType": schema_type, "references": references}
                    with registry.lock:
                        for version, id_ in registry.subjects.get(parts[1], []):
                            if registry.schemas[id_] == content:
                                return self.reply(200, registry.version_body(parts[1], version, id_))
                    return self.error(404, 40403, "Schema not found")
                return self.error(404, 404, "HTTP 404 Not Found")

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"


# --------------------------------------------------------------------------------------------------------------
# helpers


def http(method, url, body=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": CONTENT_TYPE})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            return response.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw.decode(errors="replace")


def admin(node, path):
    return f"http://127.0.0.1:{node.admin_port}{path}"


def metric(node, name, labels=""):
    with urllib.request.urlopen(admin(node, "/metrics"), timeout=5) as response:
        text = response.read().decode()
    pattern = re.compile(r"^" + re.escape(name + labels) + r" ([0-9.e+-]+)$", re.M)
    match = pattern.search(text)
    return float(match.group(1)) if match else None


def status(node):
    with urllib.request.urlopen(admin(node, "/status"), timeout=5) as response:
        return json.loads(response.read())


def wait_for(predicate, timeout=20, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def has_facade(node):
    try:
        code, _ = http("GET", admin(node, "/subjects"), timeout=5)
    except OSError:
        return False
    return code == 200


BREAKER_CONFIG = """
destinations:
  schema_registry:
    timeout_ms: 1000
    circuit_breaker:
      sliding_window_size: 4
      minimum_number_of_calls: 2
      wait_duration_in_open_state_ms: 1500
      permitted_number_of_calls_in_half_open_state: 1
    retry:
      max_attempts: 2
      initial_backoff_ms: 50
      max_backoff_ms: 100
"""


def mirror_node(tmp, upstream_url, *extra):
    config = tmp / "mirror.yaml"
    config.write_text(BREAKER_CONFIG)
    node = Node(tmp / "data", ["--upstream-registry", upstream_url, "--upstream-registry-interval-seconds", "1",
                               "--config", str(config), *extra])
    return node.start()


@pytest.fixture
def upstream():
    fake = FakeRegistry().start()
    yield fake
    fake.stop()


@pytest.fixture
def tmp(tmp_path):
    return tmp_path


# --------------------------------------------------------------------------------------------------------------
# against the fake registry


def test_initial_sync_keeps_ids_and_versions(upstream, tmp):
    upstream.register("users-value", AVRO_USER)
    upstream.register("users-value", AVRO_USER_V2)
    address_id, _ = upstream.register("shop.Address", PROTO_ADDRESS, "PROTOBUF")
    # "orders-value" sorts before "shop.Address": the mirror must import the reference first.
    order_id, _ = upstream.register("orders-value", PROTO_ORDER, "PROTOBUF", references=ORDER_REFS)
    node = mirror_node(tmp, upstream.url)
    try:
        wait_for(lambda: metric(node, "microstatedb_schema_mirror_imported_versions_total") == 4, what="4 imports")
        assert metric(node, "microstatedb_schema_mirror_syncs_total", '{result="success"}') >= 1
        assert metric(node, "microstatedb_schema_mirror_conflicts_total") == 0
        assert metric(node, "microstatedb_schema_mirror_last_success_timestamp_seconds") > time.time() - 60
        section = status(node)["schema_mirror"]
        assert section["upstream"] == upstream.url and section["imported_versions"] == 4
        if has_facade(node):
            code, body = http("GET", admin(node, "/subjects/orders-value/versions/1"))
            assert code == 200 and body["id"] == order_id and body["version"] == 1
            code, body = http("GET", admin(node, f"/schemas/ids/{address_id}"))
            assert code == 200 and "message Address" in body["schema"]
        # Idempotent: later cycles import nothing more.
        before = metric(node, "microstatedb_schema_mirror_syncs_total", '{result="success"}')
        wait_for(lambda: metric(node, "microstatedb_schema_mirror_syncs_total", '{result="success"}') >= before + 2,
                 what="two more syncs")
        assert metric(node, "microstatedb_schema_mirror_imported_versions_total") == 4
    finally:
        node.stop()


def test_interval_sync_picks_up_a_new_version(upstream, tmp):
    upstream.register("users-value", AVRO_USER)
    node = mirror_node(tmp, upstream.url)
    try:
        wait_for(lambda: metric(node, "microstatedb_schema_mirror_imported_versions_total") == 1, what="first import")
        id2, version2 = upstream.register("users-value", AVRO_USER_V2)
        wait_for(lambda: metric(node, "microstatedb_schema_mirror_imported_versions_total") == 2, what="second import")
        if has_facade(node):
            code, body = http("GET", admin(node, "/subjects/users-value/versions/latest"))
            assert code == 200 and (body["id"], body["version"]) == (id2, version2)
    finally:
        node.stop()


def test_upstream_down_keeps_local_copy_and_opens_breaker_then_resumes(upstream, tmp):
    upstream.register("users-value", AVRO_USER)
    node = mirror_node(tmp, upstream.url)
    port = upstream.port
    try:
        wait_for(lambda: metric(node, "microstatedb_schema_mirror_imported_versions_total") == 1, what="first import")
        upstream.stop()
        wait_for(lambda: (metric(node, "microstatedb_schema_mirror_syncs_total", '{result="failure"}') or 0) >= 2,
                 what="failed syncs")
        wait_for(lambda: metric(node, "microstatedb_circuit_breaker_state",
                                '{destination="schema_registry",state="OPEN"}') == 1, what="breaker open")
        section = status(node)["schema_mirror"]
        assert section["consecutive_failures"] >= 1 and "last_error" in section and "next_attempt" in section
        # The failure is logged once per cycle, with the cause and the next attempt time.
        logged = [line for line in node.stderr_lines if "sync failed" in line]
        assert logged and "next_attempt" in logged[-1]
        # Local reads are still served.
        if has_facade(node):
            code, body = http("GET", admin(node, "/subjects/users-value/versions/1"), timeout=2)
            assert code == 200 and body["id"] == 1000
        # Upstream back on the same port, with a new version: the mirror resumes.
        upstream.start(port)
        upstream.register("users-value", AVRO_USER_V2)
        wait_for(lambda: metric(node, "microstatedb_schema_mirror_imported_versions_total") == 2, timeout=30,
                 what="sync resumed")
        assert status(node)["schema_mirror"]["consecutive_failures"] == 0
    finally:
        node.stop()


def test_forwarded_registration_keeps_upstream_id(upstream, tmp):
    upstream.register("other", PROTO_ADDRESS, "PROTOBUF")  # upstream ids start at 1000, local ones would start at 1
    node = mirror_node(tmp, upstream.url, "--upstream-registry-forward")
    try:
        if not has_facade(node):
            pytest.skip("this node does not serve the REST façade yet (GET /subjects is 404)")
        code, body = http("POST", admin(node, "/subjects/users-value/versions"), {"schema": AVRO_USER})
        assert code == 200, body
        assert ("POST", "/subjects/users-value/versions") in upstream.requests
        upstream_versions = upstream.subjects["users-value"]
        assert body["id"] == upstream_versions[-1][1]
        code, body = http("GET", admin(node, "/subjects/users-value/versions/latest"))
        assert (body["id"], body["version"]) == (upstream_versions[-1][1], upstream_versions[-1][0])
    finally:
        node.stop()


def test_forwarding_with_upstream_down_fails_fast_with_50003(tmp):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    node = mirror_node(tmp, f"http://127.0.0.1:{dead}", "--upstream-registry-forward")
    try:
        wait_for(lambda: (metric(node, "microstatedb_schema_mirror_syncs_total", '{result="failure"}') or 0) >= 1,
                 what="failed sync")
        if not has_facade(node):
            pytest.skip("this node does not serve the REST façade yet (GET /subjects is 404)")
        started = time.time()
        code, body = http("POST", admin(node, "/subjects/users-value/versions"), {"schema": AVRO_USER}, timeout=15)
        assert time.time() - started < 5
        assert code >= 500 and body["error_code"] == 50003 and str(dead) in body["message"]
        # Reads do not wait on the upstream either.
        started = time.time()
        code, _ = http("GET", admin(node, "/subjects"), timeout=5)
        assert code == 200 and time.time() - started < 1
    finally:
        node.stop()


def test_https_upstream_is_refused_at_startup(tmp):
    from conftest import BIN
    result = subprocess.run([BIN, "serve", "--data-dir", str(tmp / "data"), "--upstream-registry",
                             "https://registry.example:8081"], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "https is not supported" in result.stderr


# --------------------------------------------------------------------------------------------------------------
# against a second microstatedb node serving the REST façade


def start_source_node(data_dir):
    """The upstream node: $MICROSTATEDB_UPSTREAM_BIN when set (a build that already serves the façade), else the
    binary under test."""
    import conftest
    saved = conftest.BIN
    conftest.BIN = os.environ.get("MICROSTATEDB_UPSTREAM_BIN", saved)
    try:
        return Node(data_dir).start()
    finally:
        conftest.BIN = saved


def test_mirror_from_second_node(tmp):
    source = start_source_node(tmp / "source")
    try:
        if not has_facade(source):
            pytest.skip("the second node does not serve the REST façade yet (GET /subjects is 404)")
        code, first = http("POST", admin(source, "/subjects/users-value/versions"), {"schema": AVRO_USER})
        assert code == 200, first
        code, address = http("POST", admin(source, "/subjects/shop.Address/versions"),
                             {"schema": PROTO_ADDRESS, "schemaType": "PROTOBUF"})
        assert code == 200, address
        code, order = http("POST", admin(source, "/subjects/orders-value/versions"),
                           {"schema": PROTO_ORDER, "schemaType": "PROTOBUF", "references": ORDER_REFS})
        assert code == 200, order
        node = mirror_node(tmp, f"http://127.0.0.1:{source.admin_port}")
        try:
            wait_for(lambda: metric(node, "microstatedb_schema_mirror_imported_versions_total") == 3, what="imports")
            assert metric(node, "microstatedb_schema_mirror_conflicts_total") == 0
            code, second = http("POST", admin(source, "/subjects/users-value/versions"), {"schema": AVRO_USER_V2})
            assert code == 200, second
            wait_for(lambda: metric(node, "microstatedb_schema_mirror_imported_versions_total") == 4, what="new version")
            if has_facade(node):
                for subject, version, expected in [("users-value", 1, first["id"]), ("users-value", 2, second["id"]),
                                                   ("orders-value", 1, order["id"])]:
                    code, body = http("GET", admin(node, f"/subjects/{subject}/versions/{version}"))
                    assert code == 200 and body["id"] == expected, (subject, version, body)
        finally:
            node.stop()
    finally:
        source.stop()
