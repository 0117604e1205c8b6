#!/usr/bin/env bash
# Warm timings, medians of several runs, after one warm-up run of each:
#   scripts/app's up-to-date check, against `go build`'s own check
#   cdk synth          the CDK CLI running the app (cdk-nag included), wall
#                      and CPU time (user + system, every process), BENCH_SYNTHS
#                      runs (default 7); BENCH_CONTEXT adds arguments (-c ...)
#   its split          from FARGATE_TIMING=1, which makes the app print its
#                      phases (package timing): go start, jsii start, construct
#                      tree, nag (the Aspects pass), synth; the CLI is the rest
#   the JavaScript     each directory of REF_JS (default: ../shared/bench/ref-js
#   references         and bench/ref-js-current, its up-to-date twin; colon-separated)
#                      that is there: the same app in plain JavaScript, copied to a temp
#                      directory and installed there (npm ci), synthesized by
#                      the same CLI with the built-in validation off, as ours
#                      is, alternating with ours; skipped with a note if absent;
#                      and again with Node's compile cache for its app (not
#                      the CLI), as ours has its code cache (scripts/app)
#   make test          the whole suite, BENCH_RUNS runs (default 3); go's
#                      test-result cache is off (GOFLAGS=-count=1), so every
#                      test really runs
#   each gate          go test, cfn-lint, cfn-guard, netcheck over the golden templates
# `scripts/bench.sh synth` stops after the synth figures. The figures quoted
# in docs/testing.md (between bench:start and bench:end) are its output.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$root/node_modules/.bin:$PATH"
runs=${BENCH_RUNS:-3}
synths=${BENCH_SYNTHS:-7}
refs=${REF_JS:-$root/../shared/bench/ref-js:$root/bench/ref-js-current}
only=${1:-all}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# median NUMBER... prints the median of its arguments.
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# timed NAME COMMAND... runs COMMAND with its output in $out/NAME.log and
# appends "WALL CPU" in seconds to $out/NAME.times; it stops the bench with
# the log's tail when COMMAND fails.
timed() {
	local name=$1; shift
	local t
	if ! t=$( { TIMEFORMAT='%R %U %S'; time "$@" >"$out/$name.log" 2>&1; } 2>&1 ); then
		echo "bench: $name failed: $*" >&2
		tail -20 "$out/$name.log" >&2
		exit 1
	fi
	echo "$t" | awk '{printf "%.3f %.3f\n", $1, $2 + $3}' >>"$out/$name.times"
}

# column NAME N prints column N of NAME's times.
column() { awk -v n="$2" '{print $n}' "$out/$1.times"; }

# bench NAME COMMAND...: one warm-up, then $runs timed runs; prints the median wall time.
bench() {
	local name=$1; shift
	"$@" >"$out/log" 2>&1 || { echo "bench: $name failed:" >&2; tail -20 "$out/log" >&2; exit 1; }
	rm -f "$out/b.times"
	for ((i = 0; i < runs; i++)); do timed b "$@"; done
	local walls
	mapfile -t walls < <(column b 1)
	printf '%-36s %6.1f s   (runs: %s)\n' "$name" "$(median "${walls[@]}")" "$(printf '%.1f ' "${walls[@]}")"
}

# resources DIR prints "COUNT TYPE" for the resources of the templates in DIR.
resources() {
	node -e '
		const fs = require("fs"), path = require("path"), n = {};
		for (const f of fs.readdirSync(process.argv[1]).filter((f) => f.endsWith(".template.json")))
			for (const r of Object.values(JSON.parse(fs.readFileSync(path.join(process.argv[1], f))).Resources || {}))
				n[r.Type] = (n[r.Type] || 0) + 1;
		for (const t of Object.keys(n).sort()) console.log(n[t], t);' "$1"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3), node $(node --version)"

# scripts/app's check against go build's, both on an up-to-date binary.
./scripts/app --build-only
rm -f "$out/check.times" "$out/gobuild.times"
for ((i = 0; i < synths; i++)); do
	timed check ./scripts/app --build-only
	timed gobuild go build -o .build/app .
done
mapfile -t check < <(column check 1)
mapfile -t gobuild < <(column gobuild 1)
printf '%-36s %6.2f s   (go build'"'"'s own up-to-date check: %.2f s)\n' "scripts/app up-to-date check" "$(median "${check[@]}")" "$(median "${gobuild[@]}")"

# Warm synths, ours alternating with the references' that are there:
# reference N is copied to $out/refN and installed there.
names=()
IFS=: read -r -a dirs <<<"$refs"
for dir in "${dirs[@]}"; do
	[ -n "$dir" ] || continue
	if [ ! -f "$dir/app.js" ] || [ ! -f "$dir/package-lock.json" ]; then
		echo "JavaScript reference: skipped, no $dir (REF_JS names the references)"
		continue
	fi
	n=${#names[@]}
	cp -r "$dir" "$out/ref$n"
	(cd "$out/ref$n" && rm -rf node_modules cdk.out && npm ci --no-audit --no-fund --loglevel=error >"$out/npm.log" 2>&1) || { echo "bench: npm ci of $dir failed:" >&2; tail -20 "$out/npm.log" >&2; exit 1; }
	names+=("$(basename "$dir")")
done
# BENCH_CONTEXT: more arguments for our synth, e.g. context overrides that
# bring our dev templates nearer to a reference's resources.
# shellcheck disable=SC2086 # BENCH_CONTEXT is a list of arguments
ours() { FARGATE_TIMING=1 cdk synth --quiet -o "$out/cdk.out" ${BENCH_CONTEXT:-}; }
# theirs N synthesizes reference N.
theirs() { (cd "$out/ref$1" && REF_BUILTIN_VALIDATION=false "$root/node_modules/.bin/cdk" synth --quiet -o "$out/ref$1.out"); }
# theirs_cached N: reference N's app with Node's own compile cache, which
# works for it (its modules keep their paths) as our code cache does for
# the jsii kernel (scripts/jsii-code-cache.js); the CLI runs without one,
# as ours.
theirs_cached() { (cd "$out/ref$1" && REF_BUILTIN_VALIDATION=false "$root/node_modules/.bin/cdk" synth --quiet -o "$out/refc$1.out" --app "env NODE_COMPILE_CACHE=$out/ref-compile-cache$1 node app.js"); }
ours >/dev/null 2>&1 || { echo "bench: cdk synth failed" >&2; ours >&2; exit 1; }
for n in "${!names[@]}"; do
	theirs "$n" >"$out/log" 2>&1 || { echo "bench: the reference ${names[$n]}'s synth failed" >&2; tail -20 "$out/log" >&2; exit 1; }
	theirs_cached "$n" >"$out/log" 2>&1 || { echo "bench: the reference ${names[$n]}'s synth with a compile cache failed" >&2; tail -20 "$out/log" >&2; exit 1; }
done
rm -f "$out/phases"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((i = 0; i < synths; i++)); do
	timed synth ours
	# The app's phases of this run, and the rest: the CLI around the app.
	awk -v wall="$(tail -1 "$out/synth.times" | cut -d' ' -f1)" -v check="$(median "${check[@]}")" '
		/^timing: / { name = $2; for (i = 3; $i !~ /^[0-9.]+$/; i++) name = name " " $i; t[name] = $i; order[++n] = name; sum += $i }
		END { printf "app check (scripts/app)=%.3f\n", check; for (i = 1; i <= n; i++) printf "%s=%.3f\n", order[i], t[order[i]]; printf "cdk CLI and the rest=%.3f\n", wall - sum - check }' "$out/synth.log" >>"$out/phases"
	for n in "${!names[@]}"; do timed "ref$n" theirs "$n"; timed "refc$n" theirs_cached "$n"; done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
mapfile -t walls < <(column synth 1)
mapfile -t cpus < <(column synth 2)
echo "load average (1, 5, 15 min) before the synths: $load_before; after: $load_after"
printf '%-36s %6.1f s   (CPU %.1f s; runs: %s)\n' "cdk synth (dev${BENCH_CONTEXT:+ $BENCH_CONTEXT}, cdk-nag on)" "$(median "${walls[@]}")" "$(median "${cpus[@]}")" "$(printf '%.1f ' "${walls[@]}")"
grep -q '^nag=' "$out/phases" || { echo "bench: the app printed no phases with FARGATE_TIMING=1" >&2; exit 1; }
cut -d= -f1 "$out/phases" | awk '!seen[$0]++' | while read -r phase; do
	mapfile -t ts < <(grep "^$phase=" "$out/phases" | cut -d= -f2)
	printf '  %-34s %6.2f s\n' "$phase" "$(median "${ts[@]}")"
done
w=$(median "${walls[@]}") c=$(median "${cpus[@]}")
for n in "${!names[@]}"; do
	mapfile -t rwalls < <(column "ref$n" 1)
	mapfile -t rcpus < <(column "ref$n" 2)
	rw=$(median "${rwalls[@]}") rc=$(median "${rcpus[@]}")
	printf '%-36s %6.1f s   (CPU %.1f s; runs: %s)\n' "JavaScript reference (${names[$n]})" "$rw" "$rc" "$(printf '%.1f ' "${rwalls[@]}")"
	printf '  %-34s %6.2fx wall, %.2fx CPU\n' "ours / reference" "$(awk -v a="$w" -v b="$rw" 'BEGIN {print a / b}')" "$(awk -v a="$c" -v b="$rc" 'BEGIN {print a / b}')"
	# Each round runs ours, then each reference in turn, seconds apart, so
	# its two synths share most of the load: the median of their ratios.
	mapfile -t pw < <(paste -d' ' "$out/synth.times" "$out/ref$n.times" | awk '{print $1 / $3}')
	mapfile -t pc < <(paste -d' ' "$out/synth.times" "$out/ref$n.times" | awk '{print $2 / $4}')
	printf '  %-34s %6.2fx wall, %.2fx CPU   (wall: %s)\n' "round by round, median" "$(median "${pw[@]}")" "$(median "${pc[@]}")" "$(printf '%.2f ' "${pw[@]}")"
	mapfile -t cwalls < <(column "refc$n" 1)
	mapfile -t ccpus < <(column "refc$n" 2)
	cw=$(median "${cwalls[@]}") cc=$(median "${ccpus[@]}")
	printf '%-36s %6.1f s   (CPU %.1f s; runs: %s)\n' "  its app with a compile cache" "$cw" "$cc" "$(printf '%.1f ' "${cwalls[@]}")"
	printf '  %-34s %6.2fx wall, %.2fx CPU\n' "ours / that" "$(awk -v a="$w" -v b="$cw" 'BEGIN {print a / b}')" "$(awk -v a="$c" -v b="$cc" 'BEGIN {print a / b}')"
	if diff <(resources "$out/cdk.out") <(resources "$out/ref$n.out") >"$out/twin"; then
		echo "  its templates have our resources: $(resources "$out/cdk.out" | awk '{n += $1} END {print n}') by type"
	else
		echo "  note: it is out of date, its resources differ by type (< ours, > the reference's):"
		grep '^[<>]' "$out/twin" | sed 's/^/    /'
	fi
done
[ "$only" = synth ] && exit 0

bench "make test (all gates)" env GOFLAGS=-count=1 make --no-print-directory test
bench "  go test ./... + app tests" env GOFLAGS=-count=1 make --no-print-directory unit
bench "  cfn-lint" make --no-print-directory lint-templates
bench "  cfn-guard (Control Tower)" make --no-print-directory guard-templates
bench "  netcheck (golden variants)" make --no-print-directory netcheck-templates
