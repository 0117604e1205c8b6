#!/bin/sh
# compare.sh: synthesize the Go app's dev environment and this JavaScript twin into
# temporary directories and compare their CloudFormation templates.
#
#   ./compare.sh            compare; exit 0 only when the templates are identical
#   MAIN=/path ./compare.sh the Go app's checkout (default: the one this directory is in)
#   KEEP=1 ./compare.sh     keep the two cloud assemblies (their paths are printed)
#
# Before comparing, each template loses what only one side can have:
#   - Metadata.cdk_nag on resources (the Go app runs cdk-nag, the twin does not);
#   - in AWS::CDK::Metadata's Analytics (a gzipped list of the constructs and the
#     props they were given), its last entry, the runtime: "go1.26.8/linux/amd64!jsii-runtime.Runtime"
#     for the Go app, "node.js/v24.21.0!jsii-runtime.Runtime" for the twin. The rest
#     of Analytics is compared, decoded.
# It prints (a) the differences of resource counts by type, stack by stack, and
# (b) a JSON diff of each template, path by path. Templates that are equal as JSON
# but not byte for byte (key order) are reported and fail the comparison too.
#
# Exit status: 0 identical, 1 different, 2 a synth failed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
main=${MAIN:-$(cd "$here/../.." && pwd)}
cdk="$main/node_modules/.bin/cdk"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/twin-compare.XXXXXX")
if [ "${KEEP:-}" = 1 ]; then
	echo "assemblies kept in $tmp/go and $tmp/js"
else
	trap 'rm -rf "$tmp"' EXIT
fi
trap 'exit 2' HUP INT TERM

# The Go app reads its context from its own cdk.json; -o keeps cdk.out out of its checkout.
if ! (cd "$main" && PATH="$main/node_modules/.bin:$PATH" "$cdk" synth -q -o "$tmp/go" >"$tmp/go.log" 2>&1); then
	echo "the Go app's synth failed:" >&2; cat "$tmp/go.log" >&2; exit 2
fi
# The twin as scripts/bench.sh runs it: the same CLI, and the same Node as the Go app's jsii kernel.
if ! (cd "$here" && PATH="$main/node_modules/.bin:$PATH" REF_BUILTIN_VALIDATION=false "$cdk" synth -q -o "$tmp/js" >"$tmp/js.log" 2>&1); then
	echo "the twin's synth failed:" >&2; cat "$tmp/js.log" >&2; exit 2
fi
echo "main: $(git -C "$main" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$main" status --porcelain 2>/dev/null | grep -q . && echo ' (with uncommitted changes)' || true)"

status=0
node - "$tmp/go" "$tmp/js" <<'EOF' || status=$?
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const [goDir, jsDir] = process.argv.slice(2);
const MAX_DIFFS = Number(process.env.MAX_DIFFS || 60);

const stacks = (dir) => fs.readdirSync(dir).filter((f) => f.endsWith('.template.json')).map((f) => f.replace(/\.template\.json$/, '')).sort();
const load = (dir, s) => JSON.parse(fs.readFileSync(path.join(dir, `${s}.template.json`), 'utf8'));
const runtimeEntry = /,[^,!{}]*!jsii-runtime\.Runtime$/;

// normalize removes cdk-nag's metadata and decodes Analytics without the jsii runtime entry.
function normalize(t, notes) {
  for (const r of Object.values(t.Resources || {})) {
    if (r.Metadata && 'cdk_nag' in r.Metadata) {
      delete r.Metadata.cdk_nag;
      if (Object.keys(r.Metadata).length === 0) delete r.Metadata;
    }
    if (r.Type === 'AWS::CDK::Metadata' && typeof r.Properties?.Analytics === 'string') {
      const a = r.Properties.Analytics;
      const m = /^v2:deflate64:(.*)$/.exec(a);
      if (m) {
        let text = zlib.gunzipSync(Buffer.from(m[1], 'base64')).toString('utf8');
        const rt = runtimeEntry.exec(text);
        if (rt) { notes.push(rt[0].slice(1)); text = text.slice(0, rt.index); }
        r.Properties.Analytics = `decoded: ${text}`;
      }
    }
  }
  return t;
}

const show = (v) => { const s = JSON.stringify(v); return s === undefined ? '(absent)' : s.length > 300 ? s.slice(0, 300) + '…' : s; };
function diff(a, b, p, out) {
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  const obj = (x) => x && typeof x === 'object';
  if (obj(a) && obj(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = Array.isArray(a) ? [...Array(Math.max(a.length, b.length)).keys()] : [...new Set([...Object.keys(a), ...Object.keys(b)])];
    let deeper = false;
    for (const k of keys) {
      if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) { deeper = true; diff(a[k], b[k], `${p}${Array.isArray(a) ? `[${k}]` : `.${k}`}`, out); }
    }
    if (!deeper) out.push(`${p}: same content, different key order\n      go: ${Object.keys(a).join(',')}\n      js: ${Object.keys(b).join(',')}`);
    return;
  }
  if (typeof a === 'string' && typeof b === 'string' && a.startsWith('decoded: ')) {
    let i = 0; while (i < a.length && a[i] === b[i]) i++;
    out.push(`${p}: Analytics differ from character ${i}\n      go: …${a.slice(Math.max(0, i - 80), i + 220)}\n      js: …${b.slice(Math.max(0, i - 80), i + 220)}`);
    return;
  }
  out.push(`${p}\n      go: ${show(a)}\n      js: ${show(b)}`);
}

let same = true;
const goStacks = stacks(goDir), jsStacks = stacks(jsDir);
console.log(`stacks: go ${goStacks.join(' ')}; js ${jsStacks.join(' ')}`);
for (const s of goStacks.filter((x) => !jsStacks.includes(x))) { same = false; console.log(`  missing in the twin: ${s}`); }
for (const s of jsStacks.filter((x) => !goStacks.includes(x))) { same = false; console.log(`  only in the twin: ${s}`); }

for (const s of goStacks.filter((x) => jsStacks.includes(x))) {
  const goNotes = [], jsNotes = [];
  const g = normalize(load(goDir, s), goNotes), j = normalize(load(jsDir, s), jsNotes);
  console.log(`\n== ${s}`);
  // (a) resource counts by type
  const count = (t) => Object.values(t.Resources || {}).reduce((m, r) => (m[r.Type] = (m[r.Type] || 0) + 1, m), {});
  const gc = count(g), jc = count(j);
  const types = [...new Set([...Object.keys(gc), ...Object.keys(jc)])].sort();
  const countDiffs = types.filter((t) => gc[t] !== jc[t]);
  const total = (c) => Object.values(c).reduce((x, y) => x + y, 0);
  if (countDiffs.length === 0) console.log(`(a) resource counts by type: same (${total(gc)} resources, ${types.length} types)`);
  else {
    same = false;
    console.log(`(a) resource counts by type differ (go ${total(gc)}, js ${total(jc)}):`);
    for (const t of countDiffs) console.log(`      ${t}: go ${gc[t] || 0}, js ${jc[t] || 0}`);
  }
  const onlyGo = Object.keys(g.Resources || {}).filter((id) => !(id in (j.Resources || {})));
  const onlyJs = Object.keys(j.Resources || {}).filter((id) => !(id in (g.Resources || {})));
  if (onlyGo.length) console.log(`    logical IDs only in go: ${onlyGo.join(' ')}`);
  if (onlyJs.length) console.log(`    logical IDs only in js: ${onlyJs.join(' ')}`);
  // (b) the JSON diff
  const out = [];
  diff(g, j, s, out);
  const gb = JSON.stringify(g, undefined, 1), jb = JSON.stringify(j, undefined, 1);
  if (out.length === 0 && gb === jb) console.log('(b) template: identical byte for byte (after removing Metadata.cdk_nag and the runtime entry of Analytics)');
  else {
    same = false;
    if (out.length === 0) out.push(`${s}: same JSON, different bytes`);
    console.log(`(b) template differs in ${out.length} place(s):`);
    for (const line of out.slice(0, MAX_DIFFS)) console.log(`    ${line}`);
    if (out.length > MAX_DIFFS) console.log(`    … and ${out.length - MAX_DIFFS} more (MAX_DIFFS=${out.length} shows all)`);
  }
  if (goNotes.length) console.log(`    removed from go's Analytics: ${[...new Set(goNotes)].join(', ')}`);
  if (jsNotes.length) console.log(`    removed from js's Analytics: ${[...new Set(jsNotes)].join(', ')}`);
}

// The assets both reference (Lambda code) must be the same files.
const assets = (dir) => fs.readdirSync(dir).filter((f) => f.startsWith('asset.')).sort();
const ga = assets(goDir), ja = assets(jsDir);
if (JSON.stringify(ga) === JSON.stringify(ja)) console.log(`\nassets: same (${ga.length}: ${ga.map((a) => a.slice(6, 14)).join(' ')})`);
else { same = false; console.log(`\nassets differ:\n  go: ${ga.join(' ')}\n  js: ${ja.join(' ')}`); }

console.log(same ? '\nIDENTICAL' : '\nDIFFERENT');
process.exit(same ? 0 : 1);
EOF
exit $status
