# The two commands of the README's quick start, `make synth` and `make test`,
# set up everything they need on a machine with only Go and Node.js (npm):
# the Go modules; from package-lock.json the CDK CLI, a supported Node.js
# (first on PATH, so the jsii runtime uses it) and cfn-guard with the
# Control Tower rules; and from pip, when the pinned version is not there
# yet, cfn-lint for `make test` and moto for `make e2e`.

SHELL   := /bin/bash
ENV     ?= dev
PROFILE ?= cdkdemo
PYTHON  ?= python3
# PREFLIGHT=0 makes `make deploy` skip the preflight check of the account.
PREFLIGHT ?= 1
# SYNC=0 makes `make deploy` skip cfnsync, which first brings CloudFormation's
# record of the running stacks onto the released image (docs/deployments.md).
SYNC ?= 1

CFN_LINT_VERSION := 1.51.0
MOTO_VERSION     := 5.2.1

export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

CDK_CONTEXT := -c env=$(ENV)
# The stacks `make destroy` deletes: all but Registry, which keeps the images
# and the released image, so the next `make deploy` picks them up again.
DESTROY_STACKS := Pipeline Service Network
NPM_STAMP   := node_modules/.package-lock.json
GO_STAMP    := .build/go-modules
LINT_STAMP  := .build/cfn-lint-$(CFN_LINT_VERSION)
MOTO_STAMP  := .build/moto-$(MOTO_VERSION)
# cfn-lint through its entry point: works wherever pip put the script.
CFN_LINT    := $(PYTHON) -c 'import sys; from cfnlint.runner import main; sys.argv[0] = "cfn-lint"; sys.exit(main())'

.PHONY: all deps tools synth test unit lint-templates guard-templates netcheck-templates \
        netcheck diagram report preflight sync bench e2e deploy diff destroy destroy-all clean

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

## tools: cfn-lint $(CFN_LINT_VERSION) from pip, installed only when that version is missing
tools: $(LINT_STAMP)

# pip_tool installs the pip package $(1) at version $(2) (pip spec $(3)),
# only when $(PYTHON) does not have that version already.
define pip_tool
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found: $(1) is a Python tool; install Python 3.9 or newer with pip (or set PYTHON=...)" >&2; exit 1; }
	@have=$$($(PYTHON) -c 'import importlib.metadata as m; print(m.version("$(1)"))' 2>/dev/null); \
	if [ "$$have" = "$(2)" ]; then \
		echo "$(1) $(2) is installed"; \
	else \
		$(PYTHON) -m pip --version >/dev/null 2>&1 || { echo "error: pip not found for $(PYTHON): install it (python3 -m ensurepip, or the python3-pip package) so that make can install $(1) $(2)" >&2; exit 1; }; \
		echo "installing $(3) (found: $${have:-none})"; \
		$(PYTHON) -m pip install --quiet "$(3)"; \
	fi
	@mkdir -p $(@D) && touch $@
endef

$(LINT_STAMP):
	$(call pip_tool,cfn-lint,$(CFN_LINT_VERSION),cfn-lint==$(CFN_LINT_VERSION))

$(MOTO_STAMP):
	$(call pip_tool,moto,$(MOTO_VERSION),moto[server]==$(MOTO_VERSION))

## synth: synthesize every stack of ENV (default dev) into cdk.out/ (cdk-nag runs too)
synth: deps
	rm -rf cdk.out
	cdk synth --quiet $(CDK_CONTEXT)
	@echo "synthesized $(ENV): $$(ls cdk.out/*.template.json | xargs -n1 basename | tr '\n' ' ')"

## test: the whole test suite, then the template gates over the golden templates it verified
test: deps tools
	@$(MAKE) --no-print-directory unit lint-templates guard-templates netcheck-templates

## unit: gofmt and go vet (the e2e build tag too), go test (config, stacks, cdk-nag, golden templates, netcheck, report) and the sample app's tests
unit: deps
	@unformatted=$$(gofmt -l $$(find . -name '*.go' -not -path './node_modules/*' -not -path './.build/*' -not -path './.tools/*')); \
		[ -z "$$unformatted" ] || { echo "gofmt would change: $$unformatted (run gofmt -w)" >&2; exit 1; }
	go vet ./... && go vet -tags e2e ./e2e
	go test ./...
	cd app && go test ./...

## lint-templates: cfn-lint over every golden template (.cfnlintrc)
lint-templates: tools
	$(CFN_LINT)
	@echo "cfn-lint: no errors, no warnings (ignored rules in .cfnlintrc)"

## guard-templates: the Control Tower cfn-guard rules over every golden template (cfn-guard-exceptions.json)
guard-templates: deps
	@go build -o .build/cfnguard ./scripts/cfnguard
	.build/cfnguard

## netcheck-templates: netcheck's required paths over every golden variant
netcheck-templates: deps
	@go build -o .build/netcheck ./cmd/netcheck
	@for d in testdata/golden/*/; do echo "netcheck $$d"; .build/netcheck -q "$$d" || exit 1; done

## netcheck: synthesize ENV into cdk.out/, then prove who can reach what (exit 1 when a required path is broken)
netcheck: synth
	@go build -o .build/netcheck ./cmd/netcheck
	.build/netcheck $(ARGS) cdk.out

## diagram: synthesize ENV into cdk.out/, then draw its network and required paths to DIAGRAM (default network-ENV.svg; exit 1 when a path is broken, the picture shows where)
DIAGRAM ?= network-$(ENV).svg
diagram: synth
	@go build -o .build/netcheck ./cmd/netcheck
	.build/netcheck -q --svg $(DIAGRAM) $(ARGS) cdk.out

## report: monthly cost at idle, egress choices and rollout-time bound of ENV; BUDGET=150 fails above $150 a month
report: synth
	@go build -o .build/report ./cmd/report
	.build/report $(if $(BUDGET),--budget $(BUDGET)) cdk.out

## preflight: synthesize ENV into cdk.out/, then check the AWS account of PROFILE against it, read-only (exit 1 when a check fails)
preflight: synth
	@go build -o .build/preflight ./cmd/preflight
	.build/preflight $(ARGS) $(if $(PROFILE),--profile $(PROFILE)) cdk.out

## bench: warm timings of cdk synth, make test and each gate (median of several runs)
bench: deps tools
	./scripts/bench.sh

## e2e: deploy, inspect, redeploy and destroy the Network and Service stacks of dev and prod on a local AWS emulator (moto)
e2e: deps $(MOTO_STAMP)
	./scripts/e2e.sh

## sync: synthesize ENV into cdk.out/, then update each deployed stack whose released image changed since its last deploy with its previous template, so a failed deploy rolls back to what runs now
sync: synth
	@go build -o .build/cfnsync ./cmd/cfnsync
	.build/cfnsync $(ARGS) $(if $(PROFILE),--profile $(PROFILE)) cdk.out

## deploy, diff, destroy: against the AWS profile PROFILE (default cdkdemo);
## deploy synthesizes, runs preflight (PREFLIGHT=0 skips it), brings the running
## stacks onto the released image (SYNC=0 skips it), then deploys that assembly
deploy: deps
ifeq ($(PREFLIGHT),0)
	@$(MAKE) --no-print-directory synth
else
	@$(MAKE) --no-print-directory preflight
endif
ifneq ($(SYNC),0)
	@go build -o .build/cfnsync ./cmd/cfnsync
	.build/cfnsync $(if $(PROFILE),--profile $(PROFILE)) cdk.out
endif
	cdk deploy --all --app cdk.out --profile $(PROFILE)

diff: deps
	cdk diff --all $(CDK_CONTEXT) --profile $(PROFILE)

## destroy: delete the Pipeline, Service and Network stacks; the Registry stack (images, released image) stays
destroy: deps
	cdk destroy $(DESTROY_STACKS) $(CDK_CONTEXT) --profile $(PROFILE)

## destroy-all: also delete the Registry stack (the repository itself is retained unless deleteRepositoryOnDestroy)
destroy-all: deps
	cdk destroy --all $(CDK_CONTEXT) --profile $(PROFILE)

clean:
	rm -rf cdk.out .build
