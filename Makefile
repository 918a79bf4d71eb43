# gameday: `make demo` to try it, `make test` to check everything (CI runs .ci/run, which runs make test).
GO      ?= go
BIN     := bin/gameday
PKGS    := ./...
export GOFLAGS := -buildvcs=false

.PHONY: build demo test unit lint fuzz bench bench-load bench-cluster deps clean testbed-up testbed-down

# The shared Kubernetes testbed of a test run (built once into ~/.cache/gameday/testbed, started here).
TESTBED_RUN ?= $(CURDIR)/.testbed/kube

build:
	$(GO) build -o $(BIN) ./cmd/gameday

## demo: the cockpit on the embedded simulated cluster (no cluster needed)
demo: build
	./$(BIN) --demo

## test: install what the tests need, vet + gofmt, start the real servers, then every test (unit,
## golden, teatest, tmux e2e, integration) under the race detector; the servers are stopped after.
## Two packages at a time (TEST_P): three on two cores (run 9) made client-side latencies and
## cross-package discovery fail; within a package the long waiting tests run side by side.
TEST_P ?= 2
test: deps lint
	@testbed/obs-install.sh
	@testbed/kube-up.sh $(TESTBED_RUN)
	@status=0; GAMEDAY_TESTBED_RUN=$(TESTBED_RUN) $(GO) test -race -count=1 -p $(TEST_P) -timeout 40m $(PKGS) || status=$$?; \
	testbed/kube-down.sh $(TESTBED_RUN); exit $$status

## testbed-up / testbed-down: a real control plane on 127.0.0.1 (KUBECONFIG in .testbed/kube/kubeconfig)
testbed-up:
	testbed/kube-up.sh $(TESTBED_RUN)

testbed-down:
	testbed/kube-down.sh $(TESTBED_RUN)

## unit: the fast loop (go test -short): no real server, no tmux; four packages at a time, since the
## load engine's real-time runs mostly wait (measured: 55 s cold on 2 cores, 77 s at -p 2).
unit:
	$(GO) test -short -p 4 $(PKGS)

lint:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## fuzz: each decoder of outside input (recording, scenario, config, YAML numbers, the `:` command
## line and prompts, numbers, Zipkin, Jaeger, Elasticsearch, screen width) for FUZZTIME (default 30s; 1000000x
## for a count) each; a crash is saved under testdata/fuzz and fails the run.
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./recording
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./scenario
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./config
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./yamlfile
	$(GO) test -run '^$$' -fuzz '^FuzzCommand$$' -fuzztime $(FUZZTIME) ./actions
	$(GO) test -run '^$$' -fuzz '^FuzzPrompt$$' -fuzztime $(FUZZTIME) ./actions
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./bounds
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeTraces$$' -fuzztime $(FUZZTIME) ./sources/zipkin
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeTraces$$' -fuzztime $(FUZZTIME) ./sources/jaeger
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeSearch$$' -fuzztime $(FUZZTIME) ./sources/elasticsearch
	$(GO) test -run '^$$' -fuzz '^FuzzWidth$$' -fuzztime $(FUZZTIME) ./tui/core

## bench: the hot paths (frame render with 10,000 pods, chart redraw, delta apply, sim start)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./tui/... ./sources/... ./sim/... ./model/...

## bench-load: gameday vs vegeta v12.13.0 (tuned) vs wrk's closed-loop ceiling on one loopback server
bench-load: deps
	testbed/bench-load.sh

## bench-cluster: 5,000 pods and ~50 changes/s on a private testbed; gameday vs k9s (CPU, RSS, latency)
bench-cluster: deps
	testbed/bench-cluster.sh

deps:
	@testbed/deps.sh

clean:
	rm -rf bin
