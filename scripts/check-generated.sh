#!/usr/bin/env bash
# Fails when Generated/ differs from what protoc-c makes of proto/ now.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
scripts/gen-proto.sh "$tmp"
if ! diff -r -x module.modulemap -x include "$tmp" Generated >/dev/null; then
  echo "Generated/ is stale: run 'make proto' and commit the result. Differences:" >&2
  diff -r -x module.modulemap -x include "$tmp" Generated | head -40 >&2
  exit 1
fi
echo "Generated/ is fresh."
