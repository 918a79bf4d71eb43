# gameday: `make demo` to try it, `make test` to check everything (CI runs .ci/run, which runs make test).
GO      ?= go
BIN     := bin/gameday
PKGS    := ./...
export GOFLAGS := -buildvcs=false

.PHONY: build demo test unit lint bench deps clean

build:
	$(GO) build -o $(BIN) ./cmd/gameday

## demo: the cockpit on the embedded simulated cluster (no cluster needed)
demo: build
	./$(BIN) --demo

## test: install what the tests need, vet + gofmt, then every test (unit, golden, teatest, tmux e2e),
## under the race detector: sources, pollers and the program run on different goroutines.
test: deps lint
	$(GO) test -race -count=1 -timeout 30m $(PKGS)

unit:
	$(GO) test -short $(PKGS)

lint:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## bench: the hot paths (frame render with 10,000 pods, chart redraw, delta apply, sim start)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./tui/... ./sources/...

deps:
	@testbed/deps.sh

clean:
	rm -rf bin
