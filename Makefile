# The two commands of the README's quick start, `make synth` and `make test`,
# set up everything they need on a machine with only Go and Node.js (npm):
# the Go modules, and from package-lock.json the CDK CLI and a supported
# Node.js, which goes first on PATH so the jsii runtime uses it.

SHELL   := /bin/bash
ENV     ?= dev
PROFILE ?= cdkdemo

export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

CDK_CONTEXT := -c env=$(ENV)
NPM_STAMP   := node_modules/.package-lock.json
GO_STAMP    := .build/go-modules

.PHONY: all deps synth test e2e deploy diff destroy clean

all: synth

## deps: install the pinned Node tooling and download the Go modules (once)
deps: $(NPM_STAMP) $(GO_STAMP)

$(NPM_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: npm not found: install Node.js with npm (any version; the Makefile then pins Node 24 from npm)" >&2; exit 1; }
	@command -v go >/dev/null || { echo "error: go not found: install Go 1.26 or newer" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(GO_STAMP): go.mod go.sum
	go mod download
	@mkdir -p $(@D) && touch $@

## synth: synthesize every stack of ENV (default dev) into cdk.out/
synth: deps
	rm -rf cdk.out
	cdk synth --quiet $(CDK_CONTEXT)
	@echo "synthesized $(ENV): $$(ls cdk.out/*.template.json | xargs -n1 basename | tr '\n' ' ')"

## test: the whole test suite: the app's stacks and tools, and the sample application
test: deps
	go test ./...
	cd app && go test ./...

## e2e: deploy, inspect, redeploy and destroy the Network and Service stacks of dev and prod on a local AWS emulator (moto)
e2e: deps
	./scripts/e2e.sh

## deploy, diff, destroy: against the AWS profile PROFILE (default cdkdemo)
deploy: deps
	cdk deploy --all $(CDK_CONTEXT) --profile $(PROFILE)

diff: deps
	cdk diff --all $(CDK_CONTEXT) --profile $(PROFILE)

destroy: deps
	cdk destroy --all $(CDK_CONTEXT) --profile $(PROFILE)

clean:
	rm -rf cdk.out .build
