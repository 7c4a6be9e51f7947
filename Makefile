# The two commands a newcomer needs: `make run` and `make test`. Everything else is a helper.
SWIFT ?= swift
ARGS ?=
PYTEST_ARGS ?=

.PHONY: run test bench proto check-proto bootstrap build release unit interop clean

## run: install missing packages, build release, start a node with defaults (pass flags with ARGS=...)
run:
	BOOTSTRAP_SKIP_VENV=1 scripts/bootstrap.sh
	$(SWIFT) build -c release --product microstatedb
	.build/release/microstatedb serve $(ARGS)

## test: the whole suite: generated code fresh, swift test, then the grpcio interop tests
test: bootstrap check-proto unit interop

bootstrap:
	scripts/bootstrap.sh

check-proto:
	scripts/check-generated.sh

build:
	$(SWIFT) build --build-tests

# Serial: several suites drive raw HTTP/2 test clients that block in poll() on a Swift-concurrency thread, and a
# 2-core machine has only two of them; run in parallel, two such tests can starve the server work a third one
# awaits (a flaky graceful-shutdown test in CI). Serial costs ~10 s.
unit: build
	$(SWIFT) test --skip-build --no-parallel

interop: build
	scripts/interop.sh $(PYTEST_ARGS)

release:
	$(SWIFT) build -c release

## bench: release build, then the benchmark program against nghttpd and etcd in the same sitting
bench: bootstrap release
	.venv/bin/python scripts/bench.py

## proto: regenerate Generated/ from proto/ with protoc-c
proto:
	scripts/gen-proto.sh

clean:
	rm -rf .build .venv pytest_results.json
