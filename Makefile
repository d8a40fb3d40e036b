# Talon — electronic queue for public-service centres.
# `make help` lists the targets.

GO      ?= go
DATA    ?= ./data
ADDR    ?= $(or $(TALON_ADDR),127.0.0.1:8080)
BIN     := bin
PKGS    := ./...
# -race needs cgo; fall back to a plain run where cgo is off.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# The demo windows' LED boards on the emulated line: addresses 2 to 8, 7
# being the protocol's end-of-frame byte.
DEMO_BOARDS := w1=2,w2=3,w3=4,w4=5,w5=6,w6=8
# --version of every binary `make build` makes says which commit it is.
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/talonqueue/talon/internal/buildinfo.release=$(VERSION)
RACE    := $(shell [ "$$($(GO) env CGO_ENABLED)" = 1 ] && echo -race)

.PHONY: help modules setup run run-region vprinter devices kiosk panel display rating build test killtest bench loadtest fuzz vet lint fmt-check depcheck clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

modules: ## download the Go modules
	@$(GO) mod download

setup: modules ## install the Debian packages the tests need (gcc, zbar-tools, chromium) and the Go modules
	@./deploy/debian-deps

run: setup ## the demo office: queue-server on $(ADDR), data in $(DATA), device emulators, and the kiosk, operator panel, hall board and window 1's rating terminal when there is a display
	@GO=$(GO) DATA=$(DATA) ADDR=$(ADDR) ./deploy/run

REGION_ADDR ?= 127.0.0.1:8090

run-region: modules ## a small region on one machine: a three-node NATS cluster, two office nodes (queue-server --office-node: the demo office on 127.0.0.1:8091, the demo's file imported as mfc-2 on 127.0.0.1:8092) and the regional server on $(REGION_ADDR), all in $(DATA)/region made fresh; type cut/link demo|mfc-2, kill/start N, status
	@mkdir -p $(BIN)
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./queue-server
	$(GO) run ./internal/natstest/cmd/talon-region -dir $(DATA)/region -queue-server $(BIN)/queue-server -addr $(REGION_ADDR)

vprinter: modules ## run the virtual ticket printer on a pseudo-terminal; tickets land in $(DATA)/tickets as PNG
	@mkdir -p $(DATA)/devices $(DATA)/tickets
	$(GO) run ./printer/cmd/talon-vprinter -link $(DATA)/devices/printer -out $(DATA)/tickets

devices: modules ## run the kiosk's, the window's and the rating terminal's scanners, window-board and call-pad emulators on pseudo-terminals in $(DATA)/devices
	@mkdir -p $(DATA)/devices
	$(GO) run ./hardware/cmd/talon-devices -dir $(DATA)/devices

kiosk: modules ## run the kiosk in a window against `make run`'s server, `make vprinter`'s printer and `make devices`' scanner
	$(GO) run ./kiosk -config $(DATA)/terminals/kiosk1.json -printer $(DATA)/devices/printer -scanner $(DATA)/devices/scanner -windowed

panel: modules ## run the operator panel in a window against `make run`'s server; log in as operator1/demo
	$(GO) run ./operator-panel -server http://$(ADDR) -scanner $(DATA)/devices/panel-scanner

display: modules ## run the hall board in a window against `make run`'s server, with `make devices`' window LED boards
	$(GO) run ./display -config $(DATA)/terminals/display1.json -boards $(DATA)/devices/boards -board $(DEMO_BOARDS) -windowed

rating: modules ## run window 1's rating terminal in a window against `make run`'s server, with `make devices`' rating scanner
	$(GO) run ./rating-terminal -config $(DATA)/terminals/rating1.json -scanner $(DATA)/devices/rating-scanner -windowed

build: modules ## build every binary into ./bin
	@mkdir -p $(BIN)
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./queue-server ./printer/cmd/talon-vprinter ./hardware/cmd/talon-devices
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/talon-kiosk ./kiosk
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/talon-panel ./operator-panel
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/talon-display ./display
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/talon-rating ./rating-terminal

test: setup vet lint fmt-check depcheck ## vet, staticcheck, format and import-direction checks, all tests
	$(GO) test $(RACE) -count=1 -timeout 20m $(PKGS)

# `make test` runs the kill loop with 20 kills; this is the full one.
KILLS ?= 100

killtest: modules ## SIGKILL the real server KILLS times (default 100) under kiosks, operators and boards; print what was acknowledged and checked
	@out=$$(mktemp); TALON_KILLS=$(KILLS) $(GO) test -count=1 -timeout 60m -run '^TestKillLoop$$' -v ./queue-server >$$out 2>&1; rc=$$?; \
	grep -E '^(--- |    killloop_test|ok|FAIL|panic)' $$out; rm -f $$out; exit $$rc

# Scenario benchmarks run once each (-benchtime 1x): each one measures a fixed
# workload and reports its own percentiles; the store's run the usual way.
BENCH := $(GO) test -run '^$$' -count 1 -timeout 30m

bench: modules ## print the performance numbers the issues ask for
	@echo "== queue-server end to end, fsync on: latency p50/p99, durable ops/s, call fan-out to 1,000 boards, ratings stored/s, rating to the МКГУ receiver p50/p99, webhooks: event to receiver p50/p99 and deliveries/s, an hour's backlog (2,000 events) drained =="
	@$(BENCH) -bench . -benchtime 1x ./queue-server | grep -E '^(Benchmark|ok|FAIL)'
	@echo "== office node (issue 14): what publishing every event to the office stream adds to issueTicket: p50/p99 as a plain office and as an office node joined to a three-node region, the share added at p50, how long after the last answer the region had every event; a large office's day (3,000 tickets) issued during a 30 s outage (the office's link cut; the whole region's cluster restarted): from the outage's end to the region holding every event (catch-up-s = resume-s + flow-s; goal under 5 s for a cut link) (the group above runs them too) =="
	@$(BENCH) -bench OfficeNode -benchtime 1x ./queue-server | grep -E '^(Benchmark|ok|FAIL)'
	@echo "== regional dashboard (issue 14): an office's call to the dashboard: from the operator's callNext reply at a real office node to the regional server's WebSocket push carrying it, through the office stream, the leaf link, the three-node cluster and the regional server; p50/p99/max over 300 calls back to back, goal under 1 s; s-run is the whole run with its set-up (~30 s) (the group above runs it too) =="
	@$(BENCH) -bench DashboardCall -benchtime 1x ./queue-server | grep -E '^(Benchmark|ok|FAIL)'
	@echo "== headroom at one client, fsync on: the floor (two fdatasyncs, as every bbolt commit needs) measured in the same run on the same filesystem, issueTicket and callNext p50 and their multiples of it (-x), the process's CPU time per operation (-cpu-ms, which a busy machine inflates less than the latencies), pages of the write-ahead log one operation's fdatasync waits for and the runs of adjacent pages they make (the data file takes the operations later, in checkpoints) (the group above runs it too: two readings) =="
	@$(BENCH) -bench Headroom -benchtime 1x ./queue-server | grep -E '^(Benchmark|ok|FAIL)'
	@echo "== region: a large office's day (3,000 tickets, 12,000 events) queued behind a 30 s leaf-link cut, then the link returns: seconds to the first queued event in the regional stream (s-resume), to the last (s-stream), until the regional server applied all (s-applied), resident MB of a regional node and of the office's nats-server; durable source (what Join makes) and, for comparison, a plain one; goal: catch-up under 5 s. An office's event to applied at the region, p50/p99 (goal for the dashboard: under 1 s). The dashboard's live state rebuilt at a regional server's start from the regional stream: a large office's day (12,000 events), seconds and events/s =="
	@$(BENCH) -bench . -benchtime 1x ./queue-server/region | grep -E '^(Benchmark|ok|FAIL)'
	@echo "== queue service in process (no HTTP) =="
	@$(BENCH) -bench . -benchtime 2000x ./queue-server/queue | grep -E '^(Benchmark|ok|FAIL)'
	@echo "== group commit (the write-ahead log, checkpoints into bbolt beside it); 100 offices committing in turn, two operations a commit (ms and CPU ms per commit, data-file pages the checkpoints wrote per commit, file MB; the checkpoints' share included); start-up load, a month read for the rating summary; the heap a restart after a 60,000-ticket day takes while the engine is rebuilt (peak with garbage, peak live, retained by the engine, bytes per ticket) =="
	@$(BENCH) -bench . ./queue-server/store | grep -E '^(Benchmark|ok|FAIL)'
	@echo "== statistics: a year's report of a 50-window office (400,000 tickets) and of 100 such offices, cold and warm, ms per breakdown; what the rollups add to a commit (Apply µs, pages, fsynced commit p50/p99) =="
	@$(BENCH) -bench . -benchtime 1x ./queue-server/stats | grep -E '^(Benchmark|ok|FAIL)'
	@echo "== restore of a year of a 50-window office (400,000 tickets, the statistics' year, with their history, events and audit journal): the scheduled backup that made the file, backup verify, restore (verify, copy, sync, keep the replaced file, rename), its journal entry, the first start (store open and queue load); goal: s-total under 60 =="
	@$(BENCH) -bench . -benchtime 1x ./queue-server/backup | grep -E '^(Benchmark|ok|FAIL)'
	@echo "== outbox: commit-to-delivery delay p50/p99 and throughput with a healthy receiver, backlog of 10,000 drained =="
	@$(BENCH) -bench . -benchtime 1x ./queue-server/outbox | grep -E '^(Benchmark|ok|FAIL)'
	@echo "== ИС МДМ push: what mapping an event to its outbox message costs the writer (ns/event), the message's body bytes per event =="
	@$(BENCH) -bench . ./queue-server/integrations/mdm | grep -E '^(Benchmark|ok|FAIL)'
	@echo "== wait printed on the ticket against the real wait over simulated office days (mean absolute error, share within ±5 min, mean signed error, the plain formula's); the estimate's cost with 50 windows and 400 waiting =="
	@$(BENCH) -bench Estimate -benchtime 1x ./queue-server/engine | grep -E '^(Benchmark|FAIL)'
	@echo "== ФРГУ import of 1,000 rows into a 300-service office: reading the file, applying it under the writer's lock, a re-import =="
	@$(BENCH) -bench . -benchtime 1x ./queue-server/integrations/frgu | grep -E '^(Benchmark|FAIL)'
	@echo "== push hub alone: 1,000 WebSocket subscribers =="
	@$(BENCH) -bench . -benchtime 1x ./queue-server/push | grep -E '^(Benchmark|ok|FAIL)'
	@echo "== kiosk: tap to the ticket's last byte on the serial line, resident memory after 100 and 500 tickets =="
	@$(BENCH) -tags ci -bench . -benchtime 1x ./kiosk/... | grep -E '^(Benchmark|FAIL)'
	@echo "== operator panel: click to the called ticket on screen, resident memory over a day of 300 tickets =="
	@$(BENCH) -tags ci -bench . -benchtime 1x ./operator-panel/... | grep -E '^(Benchmark|FAIL)'
	@echo "== hall voice: call to its first sample out of the sound device (ALSA file sink), assembly per call =="
	@$(BENCH) -bench . -benchtime 1x ./display/voice | grep -E '^(Benchmark|FAIL)'
	@echo "== hall board: callNext to the call on screen, resident memory and goroutines over 10,000 calls =="
	@$(BENCH) -tags ci -bench . -benchtime 1x ./display/ui | grep -E '^(Benchmark|FAIL)'
	@echo "== ticket printing: bytes and wire time =="
	@$(BENCH) -bench . -benchtime 1x ./printer/... | grep -E '^(Benchmark|FAIL)'

# The second load run's size; a smaller one (LOAD_OFFICES=10) fits a quick look.
LOAD_OFFICES ?= 100
LOAD_TICKETS ?= 3000
LOAD_DAY     ?= 30m
# The server's soft memory limit in both runs (queue-server --memory-limit; 0: none).
LOAD_MEMORY_LIMIT ?= 448MiB
LOAD         := TALON_LOAD_MEMORY_LIMIT=$(LOAD_MEMORY_LIMIT) $(GO) test -run '^$$' -count 1 -timeout 4h -bench '^BenchmarkLoad$$' -benchtime 1x ./queue-server

loadtest: modules ## a large office's day (3,000 tickets, 50 windows, 5 boards, 50 rating terminals) on the real server, then 100 such offices on one: latency, throughput, errors, memory, CPU
	@echo "== one large office's day, compressed into 10 minutes =="
	@TALON_LOAD_OFFICES=1 TALON_LOAD_TICKETS=3000 TALON_LOAD_DAY=10m $(LOAD) | grep -E '^(load:|Benchmark|FAIL|ok|---| +[^ ]+_test\.go:)'
	@echo "== $(LOAD_OFFICES) such offices on one server, $(LOAD_TICKETS) tickets each, the day compressed into $(LOAD_DAY) =="
	@TALON_LOAD_OFFICES=$(LOAD_OFFICES) TALON_LOAD_TICKETS=$(LOAD_TICKETS) TALON_LOAD_DAY=$(LOAD_DAY) $(LOAD) | grep -E '^(load:|Benchmark|FAIL|ok|---| +[^ ]+_test\.go:)'

fuzz: modules ## search for failing inputs with every fuzz target, FUZZTIME each (default 20s)
	@./deploy/fuzz

vet: ## go vet
	$(GO) vet $(PKGS)

lint: ## staticcheck: bugs and dead code go vet does not see
	$(GO) run $(STATICCHECK) $(PKGS)

fmt-check: ## fail on files gofmt would change
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

depcheck: ## check the one-way import rules from ARCHITECTURE.md
	@./deploy/depcheck

clean: ## remove build output (the data folder is kept)
	rm -rf $(BIN)
