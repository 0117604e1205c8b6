#!/usr/bin/env bash
# End-to-end test of the Registry, Network and Service stacks against a local
# AWS emulator (moto server), with the real CDK CLI: bootstrap, deploy dev,
# prod and the endpoints egress mode side by side, inspect the emulated
# account (Go tests in e2e/, build tag e2e), simulate pipeline runs that
# release, fail or are rejected, redeploy, switch the egress mode on the
# running environment and back, destroy as make destroy does and deploy
# again, reject bad configuration, and list what moto did not emulate.
# preflight (cmd/preflight) runs against the account at five points: bare,
# deployed, with an export change pending, with ECS's weights flipped on
# prod's canary rules and a change that would rewrite them (and a NAT
# instance in an AZ without its type), and after the registry of one
# environment was destroyed too (a leftover repository); cfnsync (cmd/cfnsync)
# brings a released environment's Service stack onto its image before a
# deploy; and dev's architecture is switched on the running environment
# with the procedure preflight prints.
#
# `make e2e` runs it; so does .ci/run. It needs no AWS account and no
# internet: moto listens on localhost only, the credentials are dummies, and
# no AWS profile or config file is read. Every step prints a banner, so a
# failure says where it happened. moto is always stopped, by its PID.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
PATH="$root/node_modules/.bin:$PATH"
export PATH

started=$(date +%s)
step_name="preflight"
step() {
	step_name="$1"
	printf '\n==> [e2e %s, %ss] %s\n' "$1" "$(($(date +%s) - started))" "$2"
}
fail() {
	echo "e2e: FAILED in step $step_name: $*" >&2
	exit 1
}

# --- preflight: tools --------------------------------------------------------
if ! command -v moto_server >/dev/null 2>&1 || ! python3 -c 'import moto.server' >/dev/null 2>&1; then
	fail "moto_server not found (or python3 cannot import moto.server): the end-to-end test runs the AWS emulator moto locally; install it with: pip install 'moto[server]==5.2.1'"
fi
command -v cdk >/dev/null 2>&1 || fail "cdk not found in node_modules/.bin: run 'make deps' (npm ci) first"
# The simulated Release stage runs its buildspec as CodeBuild would, with
# the AWS CLI and jq (both in CodeBuild's standard image), against moto.
command -v aws >/dev/null 2>&1 || fail "aws (the AWS CLI) not found: the simulated pipeline runs the Release stage's buildspec with it; install it with: pip install awscli"
command -v jq >/dev/null 2>&1 || fail "jq not found: the simulated pipeline runs the Release stage's buildspec with it; install it with: apt-get install jq"
command -v go >/dev/null 2>&1 || fail "go not found: install Go 1.26 or newer"

work=$(mktemp -d "${TMPDIR:-/tmp}/fargate-e2e.XXXXXX")
moto_pid=""
bg_pids=()

# cleanup stops every process this script started, by PID, whatever happened.
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	for pid in "${bg_pids[@]}" $moto_pid; do
		if kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null || true
			for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
			if kill -0 "$pid" 2>/dev/null; then
				echo "e2e: process $pid did not stop on SIGTERM; sending SIGKILL" >&2
				kill -9 "$pid" 2>/dev/null || true
			fi
		fi
	done
	if [ "$rc" -ne 0 ]; then
		echo "e2e: FAILED in step $step_name (exit $rc) after $(($(date +%s) - started))s" >&2
		if [ -s "$work/moto.log" ]; then
			echo "e2e: last lines of the moto server log ($work/moto.log):" >&2
			grep -v 'HTTP/1.1" 200' "$work/moto.log" | tail -n 25 >&2 || true
		fi
		echo "e2e: work files kept in $work" >&2
	else
		rm -rf "$work"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- hermetic AWS environment ----------------------------------------------
# Nothing of the user's AWS setup may leak in: no profile, no config or
# credentials file, no endpoint or role variable. Only the emulator is reached.
while read -r var; do unset "$var"; done < <(compgen -e | grep -E '^(AWS_|CDK_)' || true)
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_EC2_METADATA_DISABLED=true
export CDK_DISABLE_VERSION_CHECK=true CDK_DISABLE_CLI_TELEMETRY=true
# The CDK CLI also reads ~/.cdk.json (user context and settings): give it a
# home of its own. Go keeps the user's build and module caches.
GOCACHE=$(go env GOCACHE) GOMODCACHE=$(go env GOMODCACHE) GOPATH=$(go env GOPATH)
export GOCACHE GOMODCACHE GOPATH
mkdir -p "$work/home"
cdk_() { HOME="$work/home" cdk "$@" --no-notices --ci; }

# --- 1. moto ------------------------------------------------------------------
step 1 "start moto_server on localhost (a free port)"
# Port 0 lets the OS pick a free port: no race with another run. moto prints
# the port it got. The host must be localhost: moto reads a TemplateURL's
# bucket only for localhost URLs.
#
# moto_server's own main, serving one request at a time: moto builds a
# stack's resources lazily, and a request that reads the stack while
# CreateStack runs (cfn-responder's polling) creates some twice (seen:
# InvalidSubnet.Conflict on the second copy of a subnet).
#
# And one fix to moto's CloudFormation: a stack update that removes a
# resource deletes it but keeps it under its logical ID, so a later update
# that adds it back creates nothing and points at the deleted one (moto
# 5.2.1; its code of 2021, getmoto/moto#4200, still dropped it). dev's
# egress switch to endpoints and back removes and adds back its NAT
# instance, role, instance profile and security group; the deleted role
# and group then also fail cdk destroy. The fix forgets what an update
# removed, as CloudFormation does (docs/testing.md, "The harness's fix to
# moto").
#
# The log exists before moto starts: the loop below reads it at once, and
# under load the background shell may not have opened it yet.
: >"$work/moto.log"
python3 -c '
import sys, moto.server
import moto.cloudformation.parsing as parsing
run_simple = moto.server.run_simple
moto.server.run_simple = lambda *a, **kw: run_simple(*a, **dict(kw, threaded=False))
update = parsing.ResourceMap.update
def forget_removed(self, template, parameters=None):
    removed = [name for name in self._resource_json_map if name not in template.get("Resources", {})]
    update(self, template, parameters)
    for name in removed:
        self._parsed_resources.pop(name, None)
parsing.ResourceMap.update = forget_removed
sys.argv[0] = "moto_server"
moto.server.main()
' -H localhost -p 0 >"$work/moto.log" 2>&1 &
moto_pid=$!
port=""
for _ in $(seq 200); do
	kill -0 "$moto_pid" 2>/dev/null || { cat "$work/moto.log" >&2; fail "moto_server exited at start"; }
	port=$(sed -n 's#.*Running on http://localhost:\([0-9][0-9]*\).*#\1#p' "$work/moto.log" | head -n 1)
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || fail "moto_server did not report its port within 20s (log: $work/moto.log)"
export AWS_ENDPOINT_URL="http://localhost:$port"
curl -fsS -o /dev/null "$AWS_ENDPOINT_URL/moto-api/" || fail "moto_server (pid $moto_pid) does not answer on $AWS_ENDPOINT_URL"
echo "moto_server pid $moto_pid on $AWS_ENDPOINT_URL"

# The Go side: the inspection tests, and the stand-in for custom resources'
# Lambda functions (moto has no Docker to run them).
export E2E_ENDPOINT_URL="$AWS_ENDPOINT_URL" E2E_WORK="$work" E2E_MOTO_LOG="$work/moto.log"
go test -c -tags e2e -o "$work/e2e.test" ./e2e
go build -tags e2e -o "$work/cfn-responder" ./e2e/cfnresponder
go build -o "$work/preflight" ./cmd/preflight
go build -o "$work/cfnsync" ./cmd/cfnsync
# e2e_test PATTERN runs the tests of one phase. A pattern that matches no
# test would pass in silence: that is a failure too.
e2e_test() {
	local out="$work/test-$(echo "$1" | tr -dc 'A-Za-z').log" rc=0
	(cd "$root/e2e" && "$work/e2e.test" -test.v -test.count=1 -test.run "$1") 2>&1 | tee "$out" || rc=$?
	[ "$rc" -eq 0 ] || return "$rc"
	grep -q '^=== RUN' "$out" || { echo "e2e: no test matches $1" >&2; return 1; }
}

# --- 2. synth, bootstrap, deploy -------------------------------------------------
# Each deployment: name, app name, environment, the egress mode it must have,
# extra -c options. dev and prod run on cdk.json's settings (dev's lean
# choices: a NAT instance, Fargate Spot, working hours, rolling; prod's
# nat-per-az, canary); the third proves the endpoints mode and the linear
# strategy, under another app name so it lives beside dev in the same
# account. Step 4 switches dev to blue-green on the running environment.
deployments=(
	"dev demo dev nat-instance"
	"prod demo prod nat-per-az"
	"endpoints demo-endpoints dev endpoints -c egress=endpoints -c deploymentStrategy=linear -c deployTimeoutMinutes=35"
)
: >"$work/deployments.tsv"

synth() { # synth NAME ARGS...: synthesize into $work/out/NAME, never ./cdk.out
	local name=$1
	shift
	rm -rf "$work/out/$name"
	cdk_ synth --quiet -o "$work/out/$name" "$@" >"$work/synth-$name.log" 2>&1 ||
		{ cat "$work/synth-$name.log" >&2; fail "cdk synth of $name failed"; }
}

# deploy NAME STACK...: cdk deploy with CreateStack/UpdateStack (moto's change
# sets lose outputs and exports) while cfn-responder answers the custom
# resources moto cannot run. A responder failure stops the deploy.
deploy() {
	local name=$1
	shift
	# cdk itself, not a function, in the background: $! is then its PID.
	HOME="$work/home" cdk deploy --app "$work/out/$name" --method=direct --require-approval=never \
		--no-previous-parameters --progress=events --no-notices --ci "$@" &
	local deploy_pid=$!
	bg_pids+=("$deploy_pid")
	if ! "$work/cfn-responder" -pid "$deploy_pid" -timeout 150s; then
		kill "$deploy_pid" 2>/dev/null || true
		wait "$deploy_pid" 2>/dev/null || true
		fail "deploying $name ($*): the custom resource stand-in failed (above)"
	fi
	wait "$deploy_pid" || fail "cdk deploy of $name ($*) failed"
}

step 2a "synthesize every deployment into its own assembly directory"
for d in "${deployments[@]}"; do
	read -r name app env egress extra <<<"$d"
	# shellcheck disable=SC2086 # extra holds -c options
	synth "$name" -c appName="$app" -c env="$env" $extra
	printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$app" "$env" "$egress" "$work/out/$name" >>"$work/deployments.tsv"
	echo "synthesized $name: appName=$app env=$env egress=$egress"
done

# dev as it would be synthesized with another vpcCidr, HTTPS and secrets:
# never deployed, only checked by preflight against the deployed dev (step
# 4p), which points the zone and the secret at moto's.
synth dev-change -c appName=demo -c env=dev -c vpcCidr=10.1.0.0/16 \
	-c domainName=app.example.com -c hostedZoneId=Z0123456789ABCDEFGHIJ -c hostedZoneName=example.com \
	-c 'secrets={"DB_PASSWORD":"arn:aws:secretsmanager:us-east-1:123456789012:secret:e2e-db","API_KEY":"arn:aws:ssm:us-east-1:123456789012:parameter/e2e/missing"}'
echo "synthesized dev-change: vpcCidr=10.1.0.0/16, HTTPS, secrets (not deployed)"

step 2p "preflight on the bare account: not bootstrapped, no service-linked roles: fails with the fixes, changes nothing; then the printed role commands"
e2e_test '^TestPreflightBareAccount$' || fail "preflight did not report the bare account as it should (above)"

step 2b "cdk bootstrap the emulated account"
cdk_ bootstrap --app "$work/out/dev" || fail "cdk bootstrap failed"

for d in "${deployments[@]}"; do
	read -r name app env egress extra <<<"$d"
	step 2c "deploy $name: $app-$env-registry and -network, then $app-$env-service"
	deploy "$name" Registry Network Service
done

# --- 3. inspect ---------------------------------------------------------------------
step 3 "inspect the emulated account against the templates"
e2e_test '^TestDeployed' || fail "the deployed resources differ from what the templates promise (above)"

step 3p "preflight on the deployed dev: every check moto can answer passes"
e2e_test '^TestPreflightDeployed$' || fail "preflight did not pass the deployed dev (above)"

# --- 4. pipeline runs, redeploys, a setting switched on the running environment --------
step 4a "simulate pipeline runs on dev and prod: a release, a deploy rolled back, a failed build, a failed smoke test, a rejected approval; scale dev out of band"
e2e_test '^TestPipelineRuns$' || fail "the simulated pipeline runs failed (above)"

step 4s "cfnsync, as make deploy runs it: dev's Service stack still records the placeholder's task definition; the sync brings it onto the released image, a failed deploy's rollback then returns there, a second sync changes nothing, an unreleased environment is left alone"
e2e_test '^TestSync$' || fail "the sync did not bring CloudFormation onto the released image (above)"

step 4r "deploy dev's registry again with one more stack tag (cdk deploy --tags): the released image stays recorded and tagged"
deploy dev Registry --tags e2e-retagged=1
e2e_test '^TestRegistryRetagged$' || fail "a stack tag change on the registry lost the released image (above)"

step 4b "deploy dev (cpu 1024, memory 2048, rolling switched to blue-green) and prod (log retention 400 days) again, unrelated to the image"
synth dev-cpu -c appName=demo -c env=dev -c cpu=1024 -c memory=2048 -c deploymentStrategy=blue-green
synth prod-logs -c appName=demo -c env=prod -c logRetentionDays=400
deploy dev-cpu Network Service
deploy prod-logs Network Service

step 4c "each redeploy kept the last released image and the task count autoscaling chose"
e2e_test '^TestRedeployed$' || fail "a redeploy lost the released image or the task count (above)"

step 4d "switch dev's egress to endpoints on the running environment"
synth dev-switch -c appName=demo -c env=dev -c cpu=1024 -c memory=2048 -c deploymentStrategy=blue-green -c egress=endpoints
deploy dev-switch Network Service
e2e_test '^TestEgressSwitched$' || fail "switching the egress mode changed the image the service runs (above)"

step 4e "switch dev's egress back to nat-instance (cdk.json's dev)"
deploy dev-cpu Network Service
e2e_test '^TestEgressSwitched$' || fail "switching the egress mode back changed the image the service runs (above)"

step 4f "switch dev's architecture from cdk.json's ARM64 to X86_64 on the released environment: preflight refuses an image that cannot run on both, with the procedure; the procedure as printed (a multi-arch image, recorded), the sync, the deploy"
synth dev-arch -c appName=demo -c env=dev -c cpu=1024 -c memory=2048 -c deploymentStrategy=blue-green -c architecture=X86_64
e2e_test '^TestArchitectureRefused$' || fail "preflight did not refuse the architecture switch, or its procedure did not work (above)"
deploy dev-arch Network Service
e2e_test '^TestArchitectureSwitched$' || fail "the switched task definition does not run the multi-arch image (above)"

step 4p "preflight on dev-change: the export change on the running dev is caught (moto has no export lock), the zone and the secrets checked"
e2e_test '^TestPreflightChangedDev$' || fail "preflight missed the export change or misjudged the zone or secrets (above)"

step 4w "preflight on prod with ECS's weights flipped (0/100, as after an odd number of deployments): the untouched rules pass, a switch to rolling that rewrites the production rule fails with the fix; dev's NAT instance pinned to an AZ that does not offer t4g.nano fails"
synth prod-rolling -c appName=demo -c env=prod -c logRetentionDays=400 -c deploymentStrategy=rolling
e2e_test '^(TestPreflightWeights|TestPreflightNatInstanceAZ)$' || fail "preflight missed the weights a deploy would reset, or the NAT instance's AZ (above)"

# --- 5. make destroy, then deploy again ---------------------------------------------------
# The stacks `make destroy` deletes, from the Makefile: the Registry stack stays.
read -r -a destroy_stacks <<<"$(sed -n 's/^DESTROY_STACKS *:= *//p' "$root/Makefile")"
[ "${#destroy_stacks[@]}" -gt 0 ] || fail "the Makefile has no DESTROY_STACKS"
step 5a "record every deployed resource; delete what moto's CloudFormation cannot (NAT, endpoints, IGW, route tables)"
e2e_test '^(TestInventory|TestPrepareDestroy)$' || fail "could not record or prepare the deployed resources (above)"

for d in "${deployments[@]}"; do
	read -r name app env egress extra <<<"$d"
	step 5b "cdk destroy ${destroy_stacks[*]} of $name, as make destroy does"
	cdk_ destroy --app "$work/out/$name" --force "${destroy_stacks[@]}" || fail "cdk destroy of $name failed"
done

step 5c "nothing is left of the destroyed stacks but the retained log buckets; the registry stacks keep every image and the released one"
e2e_test '^(TestDestroyed|TestRegistryKept)$' || fail "cdk destroy left resources behind, or deleted what the next deploy needs (above)"

step 5d "deploy dev again after the destroy"
deploy dev Network Service
e2e_test '^TestRedeployedAfterDestroy$' || fail "the deploy after destroy failed to come back on the released image (above)"

step 5e "make destroy-all of endpoints: its Registry stack goes too, and its repository is retained"
read -r name app env egress extra <<<"${deployments[2]}"
cdk_ destroy --app "$work/out/$name" --force --all || fail "cdk destroy --all of $name failed"

step 5p "preflight after the destroy-all: the retained repository and log buckets of endpoints are reported"
e2e_test '^TestPreflightAfterDestroy$' || fail "preflight did not report the leftovers of the destroy (above)"

# --- 6. bad input ---------------------------------------------------------------------------
step 6 "bad configuration fails before anything is created"
e2e_test '^TestRejectsBadConfig$' || fail "bad configuration was not rejected cleanly (above)"

# --- 7. coverage ------------------------------------------------------------------------------
step 7 "resource types and properties moto did not emulate"
e2e_test '^TestCoverage$' || fail "moto skipped a resource type the checks rely on (above)"

echo
echo "e2e: all steps passed in $(($(date +%s) - started))s"
