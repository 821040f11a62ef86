# ChatHub — the two README commands (`make run`, `make test`) and friends.
# Everything below is driven by CMake + ctest; this file only wires it up.

MAKEFLAGS += --no-print-directory

BUILD      ?= build
ASAN_BUILD ?= build-asan
DATA_DIR   ?= ./data
JOBS       ?= $(shell nproc)
CMAKE_FLAGS ?=

CLUSTER_PORT ?= 8080

FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 20

.PHONY: all build build-asan build-fuzz fuzz run cluster test unit e2e deps deps-system deps-test deps-npm docs bench clean help

all: build

help:
	@echo "make run    - install missing packages (as root), build, start the demo server on :8080"
	@echo "make cluster - PostgreSQL + Redis + three chathub processes behind haproxy on :8080 (CLUSTER_PORT); Ctrl-C stops all"
	@echo "make test   - build (normal + ASan/UBSan) and run every test; ends with 'N passed, N failed'"
	@echo "make build  - build build/chathub and the widget bundles (build/web/, esbuild)"
	@echo "make docs   - regenerate docs/configuration.md from the config table"
	@echo "make bench  - run the benchmark suite (~8 min) and rewrite docs/performance.md (bench/README.md)"
	@echo "make fuzz   - run every libFuzzer target for FUZZ_SECONDS (part of make test)"
	@echo "make clean  - remove build directories"

deps-system:
	@scripts/deps.sh system

deps-test: deps-system
	@scripts/deps.sh test

deps-npm: deps-system
	@scripts/deps.sh npm

deps: deps-npm deps-test

# deps-npm: the build bundles the widgets with esbuild (package-lock.json)
build: deps-npm
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

build-asan: deps-npm
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCH_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)

build-fuzz: deps-system
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCH_FUZZ=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzz_hub_protocol fuzz_api fuzz_channel fuzz_hub_conn fuzz_platform

# Each fuzz target runs FUZZ_SECONDS from its seed corpus; a crash fails.
fuzz: build-fuzz
	@scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

run: build
	$(BUILD)/chathub serve --demo --data-dir $(DATA_DIR) $(ARGS)

# Private PostgreSQL and Redis, three `chathub serve` on them, haproxy in front
# (scripts/cluster.sh; `scripts/cluster.sh kill N|restart N` from another shell).
cluster: build
	@CHATHUB_BIN=$(abspath $(BUILD))/chathub scripts/cluster.sh run --port $(CLUSTER_PORT)

test: deps build build-asan build-fuzz
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/test.sh

docs: build
	$(BUILD)/chathub config docs > docs/configuration.md

# Every scenario of bench/ (needs wrk, nginx-light, node); never fails on timing. bench/README.md.
bench: build
	@cmake --build $(BUILD) -j$(JOBS) --target loadgen lwsrelay
	@CHATHUB_BIN=$(BUILD)/chathub LOADGEN=$(BUILD)/bench/loadgen LWSRELAY=$(BUILD)/bench/lwsrelay bench/run.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
