#!/usr/bin/env bash
# Regenerates Generated/ from proto/ with protoc-c. The output is committed; CI checks it is fresh
# (scripts/check-generated.sh). Run through `make proto`.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v protoc-c >/dev/null || { echo "protoc-c not found: run scripts/bootstrap.sh (Debian package protobuf-c-compiler)" >&2; exit 1; }
out=${1:-Generated}
protos=$(cd proto && find . -name '*.proto' | sed 's|^\./||' | LC_ALL=C sort)
if [ "$out" = Generated ]; then
  find Generated -name '*.pb-c.[ch]' -delete 2>/dev/null || true
fi
mkdir -p "$out"
# shellcheck disable=SC2086
protoc-c --proto_path=proto --c_out="$out" $protos
