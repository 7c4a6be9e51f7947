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

unit: build
	$(SWIFT) test --skip-build

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
