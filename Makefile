# Sluice: the two promises are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin:/usr/sbin:/usr/local/sbin
GO ?= go
BIN := bin
PKGS := ./...
# Seconds each fuzz target runs inside `make test`.
FUZZTIME ?= 4s
TEST_TIMEOUT ?= 15m
# Integration tests mostly wait on servers, so more run at once than there are cores.
TEST_PARALLEL ?= 4

.PHONY: all build test unit vet fuzz demo bench clean mariadb

all: build

# The commit GET / and `sluice version` report, as Kafka Connect's commit id.
COMMIT := $(shell git rev-parse --short=16 HEAD 2>/dev/null || echo unknown)

build:
	@mkdir -p $(BIN)
	$(GO) build -ldflags "-X github.com/sluicehq/sluice/cmd/sluice/app.Commit=$(COMMIT)" -o $(BIN)/sluice ./cmd/sluice
	@if [ -d cmd/sluicectl ]; then $(GO) build -o $(BIN)/sluicectl ./cmd/sluicectl; fi

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)

# mariadb installs MariaDB's server binaries when they are missing (apt-get as
# root; otherwise it prints the command to run and fails).
mariadb:
	@bash scripts/ensure-mariadb.sh

# test runs every unit and integration test against a real MariaDB and an
# embedded Kafka-protocol broker, then each fuzz target briefly. Integration
# tests skip without MariaDB only outside CI; with CI=true they fail.
test: vet build
	@bash scripts/ensure-mariadb.sh || [ "$${CI:-}" != "true" ] || exit 1
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) -parallel $(TEST_PARALLEL) $(PKGS)
	@$(MAKE) --no-print-directory fuzz

fuzz:
	@bash scripts/fuzz-brief.sh $(FUZZTIME)

# demo runs the main job end to end: a throwaway MariaDB, `sluice dev`, a
# MySQL connector created over REST, a workload, and the change events read
# back from Kafka.
demo: build mariadb
	$(GO) run ./examples/demo -sluice $(BIN)/sluice

bench: build mariadb
	@if [ -d cmd/sluice-bench ]; then $(GO) run ./cmd/sluice-bench $(BENCHFLAGS); \
	else $(GO) test -run '^$$' -bench . -benchmem ./converters/... ./connect/...; fi

clean:
	rm -rf $(BIN)
