# IMP — make help lists the targets.
GO        ?= go
BIN       ?= bin
LINT_VER  ?= v2.15.0
PKGS      ?= ./...

.PHONY: help
help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-zA-Z_-]+:.*## /{printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build bin/imp
	$(GO) build -o $(BIN)/imp ./cmd/imp

.PHONY: run
run: ## run IMP on the embedded broker and store (data in ./data)
	$(GO) run ./cmd/imp serve

.PHONY: test
test: ## vet, check formatting, and run every test with the race detector
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 15m $(PKGS)

.PHONY: lint
lint: $(BIN)/golangci-lint ## run golangci-lint with the committed config
	$(BIN)/golangci-lint run $(PKGS)

$(BIN)/golangci-lint:
	GOBIN=$(abspath $(BIN)) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(LINT_VER)

.PHONY: bench
bench: ## run the Go benchmarks (numbers go in docs/benchmarks.md)
	$(GO) test -run='^$$' -bench=. -benchmem $(PKGS)

.PHONY: fuzz
fuzz: ## run each fuzzer for FUZZTIME (default 30s)
	@for f in $$(grep -rl --include='*_test.go' '^func Fuzz' internal); do \
		d=$$(dirname $$f); for n in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$f | cut -d' ' -f2); do \
			echo "== $$d $$n"; $(GO) test -run='^$$' -fuzz="^$$n$$" -fuzztime=$${FUZZTIME:-30s} ./$$d || exit 1; done; done

.PHONY: clean
clean: ## remove build output
	rm -rf $(BIN)
