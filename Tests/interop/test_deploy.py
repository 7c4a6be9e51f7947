"""The deployment files under deploy/ agree with each other, with the proto contract and with the real binary.

Nothing here talks to a cluster: every manifest is parsed (all YAML documents in every file), and the checks are the
ones whose failure would only show up in production: a probe on a port the node does not listen on, a flag the
binary rejects at start-up (CrashLoopBackOff), a headless Service that selects no pod, a mesh retry on a write, a
proxy that cuts Watch streams, an Envoy cluster speaking HTTP/1.1 to an h2c server, a pod killed before it drained.
"""
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN = os.environ.get("MICROSTATEDB_BIN", str(ROOT / ".build" / "debug" / "microstatedb"))

# Methods that read only: replaying one on another node cannot change state. Every other method either writes
# (Put, Delete, Txn, Append, Ack, SaveSnapshot, SetStreamMetadata, DeleteStream) or is a stream that has already
# delivered events (Watch, Subscribe), which only the client can resume correctly.
IDEMPOTENT_METHODS = {
    "/microstate.v1.KV/Get",
    "/microstate.v1.KV/Range",
    "/microstate.v1.EventStream/Read",
    "/microstate.v1.EventStream/GetStreamMetadata",
    "/microstate.v1.EventStream/LoadSnapshot",
}
# Retry conditions Envoy (and so Istio's retryOn) understands for gRPC routes.
ENVOY_RETRY_ON = {
    "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "envoy-ratelimited", "retriable-4xx",
    "refused-stream", "retriable-status-codes", "retriable-headers", "http3-post-connect-failure",
    "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
}


# ---------------------------------------------------------------------------------------------------------------
# Loading


def _yaml_files():
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def _load_all():
    docs = []
    for path in _yaml_files():
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                if doc is not None:
                    docs.append((path, doc))
    return docs


DOCS = _load_all()


def _k8s(kind, api_prefix=None):
    found = [d for _, d in DOCS if isinstance(d, dict) and d.get("kind") == kind]
    if api_prefix:
        found = [d for d in found if str(d.get("apiVersion", "")).startswith(api_prefix)]
    return found


def _one(kind):
    found = _k8s(kind)
    assert len(found) == 1, f"expected exactly one {kind} under deploy/, found {len(found)}"
    return found[0]


def _proto_methods():
    """{'/microstate.v1.KV/Get': (client_streaming, server_streaming), ...} parsed from proto/microstate/v1/*.proto."""
    methods = {}
    rpc = re.compile(r"rpc\s+(\w+)\s*\(\s*(stream\s+)?[\w.]+\s*\)\s*returns\s*\(\s*(stream\s+)?[\w.]+\s*\)")
    for proto in sorted((ROOT / "proto" / "microstate" / "v1").glob("*.proto")):
        text = re.sub(r"//[^\n]*", "", proto.read_text())
        package = re.search(r"^\s*package\s+([\w.]+)\s*;", text, re.M).group(1)
        for service in re.finditer(r"service\s+(\w+)\s*\{", text):
            depth, i = 1, service.end()
            while depth:  # the service body, to its matching brace
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                i += 1
            for m in rpc.finditer(text[service.end():i]):
                methods[f"/{package}.{service.group(1)}/{m.group(1)}"] = (bool(m.group(2)), bool(m.group(3)))
    return methods


METHODS = _proto_methods()
STREAMING = sorted(p for p, (cs, ss) in METHODS.items() if cs or ss)
HEALTH_NAMES = {""} | {p.split("/")[1] for p in METHODS}


def _serve_help():
    out = subprocess.run([BIN, "serve", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, f"{BIN} serve --help failed: {out.stderr}"
    return out.stdout


def _tokens(strings):
    """Shell-style tokens of a command: list items are tokens, a `sh -c` script is split like the shell would."""
    tokens = []
    for s in strings:
        tokens.extend(shlex.split(str(s)) if " " in str(s) else [str(s)])
    return tokens


def _flags(tokens):
    return {t.split("=", 1)[0] for t in tokens if re.fullmatch(r"--[a-z][a-z0-9-]*(=.*)?", t)}


def _flag_value(tokens, flag, default=None):
    for i, t in enumerate(tokens):
        if t == flag and i + 1 < len(tokens):
            return tokens[i + 1]
        if t.startswith(flag + "="):
            return t.split("=", 1)[1]
    return default


def _port(address):
    return int(address.rsplit(":", 1)[1])


def _seconds(value):
    """Envoy/Istio durations ('10s', '0.25s', '1m') and compose stop_grace_period ('20s', '1m30s')."""
    total, s = 0.0, str(value)
    for number, unit in re.findall(r"([\d.]+)(ms|s|m|h)", s):
        total += float(number) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    assert re.fullmatch(r"([\d.]+(ms|s|m|h))+", s), f"not a duration: {value!r}"
    return total


def _help_default(help_text, flag, fallback):
    # Within this option's own entry: stop at the next option line.
    m = re.search(re.escape(flag) + r" <[^>]+>(?:(?!\n\s+--).)*?\(default: (\d+)\)", help_text, re.S)
    return int(m.group(1)) if m else fallback


# ---------------------------------------------------------------------------------------------------------------
# The StatefulSet's microstatedb container, and its serve tokens


def _statefulset():
    return _one("StatefulSet")


def _container():
    containers = _statefulset()["spec"]["template"]["spec"]["containers"]
    return next(c for c in containers if c["name"] == "microstatedb")


def _container_tokens():
    c = _container()
    return _tokens(list(c.get("command", [])) + list(c.get("args", [])))


def _compose():
    path = DEPLOY / "docker-compose.yml"
    return yaml.safe_load(path.read_text())


def _compose_nodes():
    services = _compose()["services"]
    return {name: s for name, s in services.items() if str(s.get("image", "")).startswith("microstatedb")}


def _dockerfile_cmd():
    text = (DEPLOY / "Dockerfile").read_text()
    cmd = re.findall(r"^CMD\s+(\[.*\])\s*$", text, re.M)
    assert len(cmd) == 1, "deploy/Dockerfile needs one exec-form CMD"
    return yaml.safe_load(cmd[0])


def _all_serve_commands():
    yield "kubernetes StatefulSet", _container_tokens()
    for name, service in _compose_nodes().items():
        yield f"compose {name}", _tokens(service["command"])
    yield "Dockerfile CMD", _dockerfile_cmd()


# ---------------------------------------------------------------------------------------------------------------
# Every file parses; the binary accepts every flag


def test_every_manifest_under_deploy_parses():
    files = _yaml_files()
    assert files, "no YAML under deploy/"
    parsed = {p for p, _ in DOCS}
    empty = [str(p.relative_to(ROOT)) for p in files if p not in parsed]
    assert not empty, f"YAML files with no document: {empty}"
    kinds = {d.get("kind") for _, d in DOCS if isinstance(d, dict)}
    for kind in ["StatefulSet", "Service", "PodDisruptionBudget", "DestinationRule", "VirtualService"]:
        assert kind in kinds, f"deploy/ has no {kind}"


def test_every_serve_flag_used_in_a_deployment_is_one_the_binary_accepts():
    help_text = _serve_help()
    # Option lines only ("  --listen <listen>  ..."), not flags named in the prose.
    known = set()
    for line in help_text.splitlines():
        option = re.match(r"\s+(?:-\w, )?(--\S+)", line)
        if option:  # "--enable-call-metrics/--disable-call-metrics" names two
            known |= set(re.findall(r"--[a-z][a-z0-9-]*", option.group(1)))
    assert "--listen" in known and "--data-dir" in known, "cannot read the options from serve --help"
    unknown = {}
    for where, tokens in _all_serve_commands():
        assert "serve" in tokens, f"{where}: does not run `microstatedb serve`: {tokens}"
        if _flags(tokens) - known:
            unknown[where] = sorted(_flags(tokens) - known)
    # A flag the binary does not know stops the node at start-up: CrashLoopBackOff on every pod.
    assert not unknown, f"flags not in `{BIN} serve --help`: {unknown}"


def test_every_deployment_listens_beyond_loopback():
    # The kubelet probes the pod IP and Services route to it; in a container 127.0.0.1 is unreachable.
    for where, tokens in _all_serve_commands():
        for flag in ["--listen", "--admin"]:
            value = _flag_value(tokens, flag)
            assert value, f"{where}: {flag} not set (the default is 127.0.0.1)"
            assert value.rsplit(":", 1)[0] == "0.0.0.0", f"{where}: {flag} {value} is not reachable from outside"


# ---------------------------------------------------------------------------------------------------------------
# Kubernetes


def test_statefulset_runs_three_nodes_governed_by_a_headless_service_that_selects_them():
    sts = _statefulset()
    assert sts["spec"]["replicas"] == 3
    pod_labels = sts["spec"]["template"]["metadata"]["labels"]
    selector = sts["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items(), "StatefulSet selector does not match its own pod labels"
    services = {s["metadata"]["name"]: s for s in _k8s("Service")}
    headless = services.get(sts["spec"]["serviceName"])
    assert headless, f"serviceName {sts['spec']['serviceName']!r} names no Service"
    assert headless["spec"].get("clusterIP") == "None", "the governing Service must be headless"
    assert "publishNotReadyAddresses" in headless["spec"], "decide (and explain) publishNotReadyAddresses"
    clients = [s for s in services.values() if s["spec"].get("clusterIP") != "None"]
    assert clients, "no ClusterIP Service for clients"
    for service in services.values():
        sel = service["spec"]["selector"]
        assert sel and sel.items() <= pod_labels.items(), f"Service {service['metadata']['name']} selects no pod"
    for client in clients:
        assert not client["spec"].get("publishNotReadyAddresses"), "clients must only reach Ready pods"


def test_service_ports_name_grpc_with_app_protocol_and_target_real_container_ports():
    container_ports = {p["name"]: p["containerPort"] for p in _container()["ports"]}
    assert all(container_ports), "every container port needs a name"
    assert container_ports.get("grpc") == _port(_flag_value(_container_tokens(), "--listen"))
    assert _port(_flag_value(_container_tokens(), "--admin")) in container_ports.values()
    for service in _k8s("Service"):
        ports = {p["name"]: p for p in service["spec"]["ports"]}
        grpc = ports.get("grpc")
        assert grpc, f"Service {service['metadata']['name']} has no port named grpc"
        # Istio takes appProtocol over the name; `grpc` means HTTP/2 (h2c) to the pod.
        assert grpc.get("appProtocol") in ("grpc", "kubernetes.io/h2c"), service["metadata"]["name"]
        for p in ports.values():
            target = p.get("targetPort", p["port"])
            assert target in container_ports or target in container_ports.values(), f"{p} targets no container port"


def test_probes_are_native_grpc_on_the_listen_port_and_name_a_health_service_the_node_knows():
    c = _container()
    tokens = _container_tokens()
    grpc_port = _port(_flag_value(tokens, "--listen"))
    admin_port = _port(_flag_value(tokens, "--admin"))
    for kind in ["livenessProbe", "readinessProbe", "startupProbe"]:
        probe = c.get(kind)
        assert probe, f"{kind} missing"
        if "grpc" in probe:
            assert probe["grpc"]["port"] == grpc_port, f"{kind} probes {probe['grpc']['port']}, node listens {grpc_port}"
            # Unknown names are NOT_FOUND, which the kubelet counts as a failure: the pod would never be Ready.
            assert probe["grpc"].get("service", "") in HEALTH_NAMES, f"{kind}: unknown health service"
        elif "httpGet" in probe:
            assert probe["httpGet"]["port"] in (admin_port, "http-metrics"), f"{kind} not on the admin port"
        else:
            pytest.fail(f"{kind} is neither grpc nor httpGet: {probe}")
    assert "grpc" in c["readinessProbe"] and "grpc" in c["livenessProbe"], "use native gRPC probes"


def test_pod_is_killed_only_after_drain_delay_plus_shutdown_grace():
    help_text = _serve_help()
    tokens = _container_tokens()
    drain = int(_flag_value(tokens, "--drain-delay-seconds", _help_default(help_text, "--drain-delay-seconds", 0)))
    grace = int(_flag_value(tokens, "--shutdown-grace-seconds", _help_default(help_text, "--shutdown-grace-seconds", 10)))
    assert drain > 0, "without a drain delay the GOAWAY races endpoint removal (or use a preStop hook)"
    pod = _statefulset()["spec"]["template"]["spec"]
    period = pod.get("terminationGracePeriodSeconds", 30)
    assert period > drain + grace, f"terminationGracePeriodSeconds {period} <= drain {drain} + grace {grace}"
    # Liveness also reads NOT_SERVING during the drain: it must not fail the pod before the grace period ends.
    live = _container()["livenessProbe"]
    assert live.get("periodSeconds", 10) * live.get("failureThreshold", 3) > period
    for name, service in _compose_nodes().items():
        t = _tokens(service["command"])
        need = int(_flag_value(t, "--drain-delay-seconds", 0)) + int(_flag_value(t, "--shutdown-grace-seconds", 10))
        assert _seconds(service.get("stop_grace_period", "10s")) > need, f"compose {name}: stop_grace_period"


def test_container_runs_unprivileged_on_a_read_only_root():
    pod = _statefulset()["spec"]["template"]["spec"]
    sc = _container()["securityContext"]
    assert sc.get("runAsNonRoot") or pod.get("securityContext", {}).get("runAsNonRoot")
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    data_dir = _flag_value(_container_tokens(), "--data-dir")
    mounts = {m["mountPath"]: m["name"] for m in _container()["volumeMounts"]}
    claims = {t["metadata"]["name"] for t in _statefulset()["spec"]["volumeClaimTemplates"]}
    assert mounts.get(data_dir) in claims, f"--data-dir {data_dir} is not on a volumeClaimTemplate"
    resources = _container()["resources"]
    assert resources["requests"]["memory"] and resources["limits"]["memory"]


def test_pod_disruption_budget_allows_one_node_down_and_selects_the_pods():
    pdb = _one("PodDisruptionBudget")
    assert pdb["spec"]["maxUnavailable"] == 1
    pod_labels = _statefulset()["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()


def test_metrics_are_scraped_from_the_admin_port():
    admin_port = _port(_flag_value(_container_tokens(), "--admin"))
    annotations = _statefulset()["spec"]["template"]["metadata"].get("annotations", {})
    assert annotations.get("prometheus.io/port") == str(admin_port)
    for monitor in _k8s("ServiceMonitor"):
        ports = [e["port"] for e in monitor["spec"]["endpoints"]]
        named = {p["name"]: p.get("containerPort") for p in _container()["ports"]}
        assert all(named.get(p) == admin_port for p in ports), f"ServiceMonitor scrapes {ports}"


def test_traces_are_exported_to_a_collector():
    env = {e["name"]: e.get("value") for e in _container().get("env", [])}
    assert re.fullmatch(r"http://[\w.-]+:4317", env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "")), env
    assert env.get("OTEL_SERVICE_NAME")


# ---------------------------------------------------------------------------------------------------------------
# Routing: which proxied calls get retried, and which keep long-lived streams open


def _istio_route_for(routes, path):
    """The first VirtualService http route whose match takes `path` (no match list = catch-all)."""
    for route in routes:
        matches = route.get("match") or [{}]
        for m in matches:
            uri = m.get("uri")
            if uri is None or ("exact" in uri and uri["exact"] == path) or ("prefix" in uri and path.startswith(uri["prefix"])):
                return route
    return None


def _istio_paths(route):
    paths = set()
    for m in route.get("match") or [{}]:
        uri = m.get("uri", {})
        if "exact" in uri:
            paths.add(uri["exact"])
        elif "prefix" in uri:
            matched = {p for p in METHODS if p.startswith(uri["prefix"])}
            assert matched, f"prefix {uri['prefix']!r} matches no method in proto/"
            paths |= matched
        else:
            return None  # matches everything (or by regex/header): unknown set of methods
    return paths


def test_istio_retries_only_idempotent_methods_that_exist_in_the_protos():
    assert set(IDEMPOTENT_METHODS) <= set(METHODS), f"renamed in proto/? {set(IDEMPOTENT_METHODS) - set(METHODS)}"
    for vs in _k8s("VirtualService"):
        routes = vs["spec"]["http"]
        for route in routes:
            retries = route.get("retries")
            # No `retries` block means Istio's default policy (2 attempts on unavailable, cancelled, ...):
            # every route must decide explicitly.
            assert retries is not None, f"route {route.get('name')} inherits Istio's default retries"
            if retries.get("attempts", 0) == 0:
                continue
            paths = _istio_paths(route)
            assert paths is not None, f"route {route.get('name')} retries an unbounded set of methods"
            assert paths <= IDEMPOTENT_METHODS, f"retried but not idempotent: {sorted(paths - IDEMPOTENT_METHODS)}"
            assert set(retries["retryOn"].split(",")) <= ENVOY_RETRY_ON, retries["retryOn"]
            assert _seconds(retries["perTryTimeout"]) > 0
        for path in METHODS:
            route = _istio_route_for(routes, path)
            assert route is not None, f"{path} matches no route"
            if path not in IDEMPOTENT_METHODS:
                assert route["retries"].get("attempts", 0) == 0, f"{path} would be retried"
        for path in STREAMING:
            route = _istio_route_for(routes, path)
            if path not in IDEMPOTENT_METHODS:  # Watch, Subscribe: open for hours
                assert _seconds(route.get("timeout", "0s")) == 0, f"{path}: a route timeout would end the stream"


def test_destination_rule_ejects_on_gateway_errors_and_bounds_the_connection_pool():
    for dr in _k8s("DestinationRule"):
        policy = dr["spec"]["trafficPolicy"]
        outlier = policy["outlierDetection"]
        assert outlier.get("consecutiveGatewayErrors", 0) > 0  # UNAVAILABLE/DEADLINE_EXCEEDED -> 503/504
        assert outlier.get("consecutive5xxErrors", 0) >= outlier["consecutiveGatewayErrors"]
        assert outlier.get("maxEjectionPercent", 10) < 67, "never eject two of three nodes"
        assert policy["connectionPool"]["http"]["http2MaxRequests"] > 0
        hosts = {vs_host for vs in _k8s("VirtualService") for vs_host in vs["spec"]["hosts"]}
        assert dr["spec"]["host"] in hosts


def _envoy():
    return yaml.safe_load((DEPLOY / "envoy" / "envoy.yaml").read_text())


def _envoy_routes():
    config = _envoy()
    for listener in config["static_resources"]["listeners"]:
        for chain in listener["filter_chains"]:
            for f in chain["filters"]:
                if f["name"] == "envoy.filters.network.http_connection_manager":
                    hcm = f["typed_config"]
                    for vh in hcm["route_config"]["virtual_hosts"]:
                        yield hcm, vh["routes"]


def _envoy_route_for(routes, path):
    for r in routes:
        m = r["match"]
        if m.get("path") == path or ("prefix" in m and path.startswith(m["prefix"])):
            return r
    return None


def test_envoy_cluster_speaks_h2c_and_health_checks_with_grpc_health():
    clusters = _envoy()["static_resources"]["clusters"]
    assert clusters
    for cluster in clusters:
        options = cluster["typed_extension_protocol_options"]["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]
        assert "http2_protocol_options" in options["explicit_http_config"], f"{cluster['name']} is not HTTP/2"
        assert "transport_socket" not in cluster, "the node serves h2c: no TLS upstream"
        checks = [h["grpc_health_check"] for h in cluster.get("health_checks", []) if "grpc_health_check" in h]
        assert checks, f"{cluster['name']}: no grpc_health_check"
        assert all(c.get("service_name", "") in HEALTH_NAMES for c in checks)
        ports = {e["endpoint"]["address"]["socket_address"]["port_value"]
                 for group in cluster["load_assignment"]["endpoints"] for e in group["lb_endpoints"]}
        compose_ports = {_port(_flag_value(_tokens(s["command"]), "--listen")) for s in _compose_nodes().values()}
        assert ports <= compose_ports, f"Envoy dials {ports}, the compose nodes listen on {compose_ports}"


def test_envoy_retries_only_idempotent_reads_and_keeps_streams_open():
    for hcm, routes in _envoy_routes():
        # Envoy's default stream idle timeout (5 min) would reset a quiet Watch; 0 disables it.
        assert _seconds(hcm.get("stream_idle_timeout", "300s")) == 0
        for r in routes:
            if "retry_policy" in r.get("route", {}):
                path = r["match"].get("path")
                assert path in IDEMPOTENT_METHODS, f"Envoy retries {r['match']}"
                assert set(r["route"]["retry_policy"]["retry_on"].split(",")) <= ENVOY_RETRY_ON
        for path in METHODS:
            route = _envoy_route_for(routes, path)
            assert route is not None, f"{path} matches no Envoy route"
            if path not in IDEMPOTENT_METHODS:
                assert "retry_policy" not in route["route"], f"Envoy would retry {path}"
        for path in STREAMING:
            route = _envoy_route_for(routes, path)["route"]
            if path not in IDEMPOTENT_METHODS:
                assert _seconds(route.get("timeout", "15s")) == 0, f"{path}: Envoy's 15 s default would end it"


# ---------------------------------------------------------------------------------------------------------------
# Image and compose


def test_dockerfile_builds_static_release_and_runs_unprivileged_on_slim():
    text = (DEPLOY / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\w+))?", text, re.M | re.I)
    assert len(stages) >= 2, "multi-stage build expected"
    args = dict(re.findall(r"^ARG\s+(\w+)=(\S+)", text, re.M))
    images = [args.get(img.strip("${}"), img) for img, _ in stages]
    assert re.fullmatch(r"swift:6\.\d+(\.\d+)?-bookworm(@sha256:[0-9a-f]{64})?", images[0]), images[0]
    assert images[-1].startswith("debian:bookworm-slim"), images[-1]
    stage_texts = re.split(r"^FROM\s", text, flags=re.M)[1:]
    build, final = stage_texts[0], stage_texts[-1]
    for pkg in ["libnghttp2-dev", "libprotobuf-c-dev", "libzstd-dev", "protobuf-c-compiler"]:
        assert pkg in build, f"build stage does not install {pkg}"
    for pkg in ["libnghttp2-14", "libprotobuf-c1", "libzstd1"]:
        assert pkg in final, f"runtime stage does not install {pkg}"
    assert "-dev" not in re.sub(r"#[^\n]*", "", final), "no -dev packages in the runtime image"
    assert re.search(r"swift build -c release --static-swift-stdlib", build)
    user = re.findall(r"^USER\s+(\S+)", final, re.M)
    assert user and user[-1].split(":")[0] not in ("root", "0"), "the image must not run as root"
    exposed = {int(p) for line in re.findall(r"^EXPOSE\s+(.+)$", final, re.M) for p in line.split()}
    cmd = _dockerfile_cmd()
    assert {_port(_flag_value(cmd, "--listen")), _port(_flag_value(cmd, "--admin"))} <= exposed
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".build" in ignored and ".venv" in ignored


def test_compose_runs_three_nodes_with_own_volumes_and_distinct_host_ports():
    nodes = _compose_nodes()
    assert len(nodes) == 3
    host_ports, volumes, node_ids = [], [], []
    for name, s in nodes.items():
        tokens = _tokens(s["command"])
        listen, admin = _port(_flag_value(tokens, "--listen")), _port(_flag_value(tokens, "--admin"))
        mapped = {}
        for spec in s["ports"]:
            parts = str(spec).split(":")
            mapped[int(parts[-1])] = int(parts[-2])
            host_ports.append((parts[0] if len(parts) == 3 else "", int(parts[-2])))
        assert listen in mapped and admin in mapped, f"{name}: gRPC/admin ports not published"
        data_dir = _flag_value(tokens, "--data-dir")
        mounts = [v for v in s["volumes"] if str(v).split(":")[1] == data_dir]
        assert mounts, f"{name}: --data-dir {data_dir} is not on a volume"
        volumes.append(str(mounts[0]).split(":")[0])
        node_ids.append(_flag_value(tokens, "--node-id"))
    assert len(set(host_ports)) == len(host_ports), f"host ports collide: {host_ports}"
    assert len(set(volumes)) == 3, f"nodes share a volume: {volumes}"
    assert len(set(node_ids)) == 3 and None not in node_ids, f"node ids: {node_ids}"
    assert set(volumes) <= set(_compose().get("volumes", {}))


# ---------------------------------------------------------------------------------------------------------------
# The binary under the pod's restrictions


def test_node_serves_grpc_without_privileges_as_the_hardened_pod_runs_it():
    # The pod runs as uid 10001 with every capability dropped. A socket option the kernel reserves for
    # CAP_NET_ADMIN (e.g. SO_DEBUG, which is what TCP_NODELAY's number means at the SOL_SOCKET level) fails there,
    # and the node then closes every accepted connection: probes fail, the pod is never Ready. As root the same
    # call succeeds silently, so run the node without privileges: through setpriv when the suite runs as root.
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    # Not pytest's tmp_path, nor the binary where it was built: their parents may be private to the user running
    # the suite. A fresh directory under /tmp holds a copy of the binary and the data directory.
    base = Path(tempfile.mkdtemp(prefix="microstatedb-unprivileged-"))
    binary, data = base / "microstatedb", base / "data"
    shutil.copy(BIN, binary)
    data.mkdir()
    prefix = []
    if os.geteuid() == 0:
        for path in (base, data):
            os.chown(path, 10001, 10001)
        base.chmod(0o755)
        prefix = ["setpriv", "--reuid", "10001", "--regid", "10001", "--clear-groups",
                  "--inh-caps=-all", "--bounding-set=-all"]
    args = prefix + [str(binary), "serve", "--listen", "127.0.0.1:0", "--admin", "off", "--data-dir", str(data),
                     "--segment-bytes", str(8 * 1024 * 1024)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        for line in proc.stdout:
            m = re.search(r"serving grpc on [\d.]+:(\d+)", line)
            if m:
                port = int(m.group(1))
                break
        assert port, f"node did not start: {proc.stderr.read()[-2000:] if proc.poll() is not None else ''}"
        with grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.enable_http_proxy", 0)]) as channel:
            # What the node serves, from its reflection service (proto/ may declare services not served yet).
            from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
            listing = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10)
            served = {s.name for r in listing for s in r.list_services_response.service}
            container = _container()
            probed = {container[kind]["grpc"].get("service", "") for kind in ["livenessProbe", "readinessProbe", "startupProbe"]
                      if "grpc" in container.get(kind, {})}
            assert probed - {""} <= served, f"probes name services the node does not serve: {probed - served}"
            health = health_pb2_grpc.HealthStub(channel)
            for service in sorted({""} | (served & HEALTH_NAMES)):
                reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
                assert reply.status == health_pb2.HealthCheckResponse.SERVING, service
    finally:
        proc.terminate()
        code = proc.wait(timeout=60)
        shutil.rmtree(base, ignore_errors=True)
    assert code == 0, "SIGTERM should end the node with exit code 0"
