# Larder's single entry point. `make run` and `make test` are the README's two commands;
# both install what is missing first, so they work on a fresh Debian machine (as root).

SWIFT ?= swift
APT_PACKAGES := liblmdb-dev zlib1g-dev libssl-dev openssl curl pkg-config
RUN_ARGS ?=

.PHONY: deps build release run test bench bench-smoke clean

## Install the system packages Larder and its tests need, only if some are missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "swift 6.x is not on PATH (see README)"; exit 1; }

build: deps
	$(SWIFT) build

## One self-contained binary: the Swift runtime and Foundation linked in (only LMDB, libcrypto and libc
## stay shared), which also leaves about 5 MiB less resident than the shared Swift libraries. Release builds
## skip the run-time exclusivity checks (about 7% of the instructions of a cache hit; debug builds and the
## tests keep them), and are linked by lld with packed relative relocations (DT_RELR, glibc 2.36+) and no
## exported symbols: still position-independent, but 2 MiB less to read and keep resident at start-up.
## Benchmarks/lib.sh builds with the same flags.
RELEASE_FLAGS := -c release --static-swift-stdlib -Xswiftc -enforce-exclusivity=unchecked \
	-Xswiftc -use-ld=lld -Xlinker --no-export-dynamic -Xlinker -z -Xlinker pack-relative-relocs

release: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product larder

## Start Larder with its built-in defaults: forward proxy on 127.0.0.1:3128, cache in ./larder-cache.
run: release
	"$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/larder" serve $(RUN_ARGS)

## Build and run the whole test suite.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## The benchmark suite on this machine (Benchmarks/README.md): S1-S7 against nginx and Varnish plus
## pass-through, then a 4 GiB stream and the store. RUNS and DURATION are overridable:
## `make bench RUNS=1 DURATION=3s`; `make bench-smoke` is a quick check that everything runs.
RUNS ?= 3
DURATION ?= 10s
bench: deps
	RUNS=$(RUNS) DURATION=$(DURATION) Benchmarks/run.sh
	Benchmarks/stream-rss.sh
	Benchmarks/store/run.sh

bench-smoke: deps
	RUNS=1 DURATION=3s WARMUP=1s S7_OBJECTS=64 Benchmarks/run.sh

clean:
	rm -rf .build
