#!/usr/bin/env bash
# Runs the Python grpcio interop tests against the debug build, writing pytest_results.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export MICROSTATEDB_BIN=${MICROSTATEDB_BIN:-$PWD/.build/debug/microstatedb}
exec .venv/bin/python -m pytest Tests/interop -q --json-report --json-report-file=pytest_results.json "$@"
