#!/usr/bin/env bash
# Installs what the build, the tests and the benchmarks need on a fresh Debian machine, and only what
# is missing: Debian packages through apt-get, Python packages into .venv. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Library headers for the build; protoc-c for `make proto`; nghttp2 tools and etcd for `make bench`.
apt_packages=(libnghttp2-dev libprotobuf-c-dev libzstd-dev protobuf-c-compiler protobuf-compiler libprotobuf-dev pkg-config nghttp2-client nghttp2-server etcd-server etcd-client python3-venv)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Python venv for the interop tests (stubs are generated from proto/ at test time): grpcio and its tools, and
# confluent-kafka's schema registry client with its JSON and Protobuf serializers (the REST façade's interop).
if [ "${BOOTSTRAP_SKIP_VENV:-0}" != 1 ]; then
  want="grpcio==1.85.1 grpcio-tools==1.85.1 grpcio-health-checking==1.85.1 grpcio-reflection==1.85.1 protobuf opentelemetry-proto==1.45.2 prometheus-client pytest pytest-json-report pytest-timeout h2 pyyaml confluent-kafka[schemaregistry,json,protobuf]==2.16.0"
  stamp=.venv/.bootstrap-stamp
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "bootstrap: preparing .venv ($want)"
    python3 -m venv .venv
    # Word splitting on purpose (one argument per package), globbing off: "[schemaregistry,...]" is not a pattern.
    read -r -a packages <<< "$want"
    .venv/bin/pip install -q --disable-pip-version-check "${packages[@]}"
    echo "$want" > "$stamp"
  fi
fi
