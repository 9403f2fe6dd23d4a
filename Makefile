# roachdog: `make test` installs what the tests need (PostgreSQL, docker-compose,
# statsd_exporter) when missing, then checks formatting, vets and runs every
# test with the race detector (the memory and volume tests without it, as
# it inflates what they measure). `make fuzz` runs every Fuzz* target for
# FUZZTIME (10s) each. `make build` builds the static binary.

GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
export PATH := $(PATH):$(shell $(GO) env GOPATH)/bin

.PHONY: test deps lint unit fuzz build bench docs

test: deps lint unit

deps:
	./scripts/test-deps.sh

lint:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# The memory and volume tests skip under the race detector (it inflates what
# they measure); the second line runs them without it.
MEMTESTS := ^(TestVarsFamilyCap|TestVarsMemoryFallsBack|TestVarsSoakNoGrowth|TestVarsBigPayloadBudget)$$

unit:
	$(GO) test -race -count=1 ./...
	$(GO) test -count=1 -run '$(MEMTESTS)' ./checks/

# Every Fuzz* target in the module, found with go test -list, FUZZTIME each.
fuzz:
	FUZZTIME=$(or $(FUZZTIME),10s) ./scripts/fuzz.sh

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/roachdog ./cmd/roachdog

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Regenerates the README's metric catalog and the checks' options tables
# (docs/checks/*.md) from the code.
docs:
	ROACHDOG_UPDATE_README=1 $(GO) test -count=1 -run '^TestREADMECatalog$$' ./cmd/roachdog/
	ROACHDOG_UPDATE_DOCS=1 $(GO) test -count=1 -run '^TestDocsOptions$$' ./checks/
