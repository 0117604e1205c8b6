#!/usr/bin/env bash
# Warm timings, median of several runs (BENCH_RUNS, default 3):
#   cdk synth          the CDK CLI running the app (cdk-nag included), warm build cache
#   make test          the whole suite; go's test-result cache is off
#                      (GOFLAGS=-count=1), so every test really runs
#   each gate          go test, cfn-lint, cfn-guard, netcheck over the golden templates
# One warm-up run of each comes first and is not counted. The figures quoted
# in docs/testing.md (between bench:start and bench:end) are its output.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$root/node_modules/.bin:$PATH"
runs=${BENCH_RUNS:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# median SECONDS... prints the median of its arguments.
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# bench NAME COMMAND...: one warm-up, then $runs timed runs.
bench() {
	local name=$1; shift
	"$@" >"$out/log" 2>&1 || { echo "bench: $name failed:" >&2; tail -20 "$out/log" >&2; exit 1; }
	local times=()
	for ((i = 0; i < runs; i++)); do
		local start end
		start=$(date +%s.%N)
		"$@" >"$out/log" 2>&1 || { echo "bench: $name failed:" >&2; tail -20 "$out/log" >&2; exit 1; }
		end=$(date +%s.%N)
		times+=("$(awk -v s="$start" -v e="$end" 'BEGIN {print e - s}')")
	done
	printf '%-34s %7.1f s   (runs: %s)\n' "$name" "$(median "${times[@]}")" "$(printf '%.1f ' "${times[@]}")"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3), node $(node --version)"
echo "median of $runs warm runs"
bench "cdk synth (dev, cdk-nag on)" cdk synth --quiet -o "$out/cdk.out"
bench "make test (all gates)" env GOFLAGS=-count=1 make --no-print-directory test
bench "  go test ./... + app tests" env GOFLAGS=-count=1 make --no-print-directory unit
bench "  cfn-lint" make --no-print-directory lint-templates
bench "  cfn-guard (Control Tower)" make --no-print-directory guard-templates
bench "  netcheck (golden variants)" make --no-print-directory netcheck-templates
