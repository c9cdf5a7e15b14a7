# slicer — build, test and release helpers. `make help` lists the targets.

GO       ?= go
BIN      ?= bin/slicer
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null)
LDFLAGS  := -s -w -X github.com/slicer-cli/slicer/cmd.Version=$(VERSION) -X github.com/slicer-cli/slicer/cmd.Commit=$(COMMIT)
PKGS     ?= ./...

.PHONY: help build test test-short test-large lint docs completions demo bench clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## Build bin/slicer
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) .

test: ## Run every test with the race detector (unit and end-to-end)
	$(GO) test -race -timeout 15m $(PKGS)

test-short: ## Unit tests only (skips the end-to-end scripts)
	$(GO) test -race -timeout 10m $$($(GO) list $(PKGS) | grep -v /test/e2e)

test-large: ## Also run the large, slow tests (SLICER_TEST_LARGE=1)
	SLICER_TEST_LARGE=1 $(GO) test -race -timeout 30m $(PKGS)

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

docs: ## Regenerate docs/cli (markdown) and docs/man (man pages)
	$(GO) run ./cmd/gendocs -out docs

completions: build ## Regenerate completions/ for bash, zsh, fish and powershell
	mkdir -p completions
	./$(BIN) completion bash > completions/slicer.bash
	./$(BIN) completion zsh > completions/_slicer
	./$(BIN) completion fish > completions/slicer.fish
	./$(BIN) completion powershell > completions/slicer.ps1

demo: build ## Start `slicer local` in a temp dir, launch a VM, run commands in it, clean up
	SLICER=./$(BIN) ./test/e2e/demo.sh

bench: ## Run the benchmarks and compare them with the baselines
	./bench/run.sh

clean: ## Remove build output
	rm -rf bin dist
