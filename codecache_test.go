package main

// Checks of the jsii kernel's code cache (scripts/jsii-code-cache.js, turned
// on by scripts/app): a module behaves the same with it, cold or warm, as
// without it; an entry is only ever used for the source it was made from;
// a bad entry costs a compile, never a wrong result; and `cdk synth` with
// the cache writes the golden templates.

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// nodeBin is the pinned node of node_modules (make deps).
func nodeBin(t *testing.T) string {
	t.Helper()
	node, err := filepath.Abs("node_modules/.bin/node")
	if err == nil {
		_, err = os.Stat(node)
	}
	if err != nil {
		t.Fatalf("the pinned node is missing (%v): run `make deps`", err)
	}
	return node
}

var cacheStats = regexp.MustCompile(`jsii-code-cache: (\d+) hits, (\d+) misses, (\d+) rejected`)

// stats reads the hits, misses and rejected entries of the debug lines in
// stderr, summed over the processes that printed one.
func stats(t *testing.T, stderr string) (hits, misses, rejected int) {
	t.Helper()
	for _, m := range cacheStats.FindAllStringSubmatch(stderr, -1) {
		h, _ := strconv.Atoi(m[1])
		mi, _ := strconv.Atoi(m[2])
		r, _ := strconv.Atoi(m[3])
		hits, misses, rejected = hits+h, misses+mi, rejected+r
	}
	return
}

func TestCodeCacheKeepsWhatModulesDo(t *testing.T) {
	node := nodeBin(t)
	preload, err := filepath.Abs("scripts/jsii-code-cache.js")
	if err != nil {
		t.Fatal(err)
	}
	dir, cache := t.TempDir(), filepath.Join(t.TempDir(), "cache")
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// main.js prints a module's value, where a function of another module
	// throws (file, line and column), and what an ES module that is a .js
	// file without "type": "module" exports (Node compiles that one itself).
	write("main.js", `const v = require('./value.js').v;
let at = '';
try { require('./thrower.js')(); } catch (e) { at = e.stack.split('\n')[1].trim(); }
console.log(v, at, require('./esm.js').x, typeof require.resolve, require.main === module);
`)
	write("value.js", "exports.v = 'aaaa';\n")
	write("thrower.js", "module.exports = function thrower() {\n  return [1].map(() => { throw new Error('at'); });\n};\n")
	write("esm.js", "export const x = 'esm';\n")
	run := func(env ...string) (stdout, stderr string) {
		t.Helper()
		cmd := exec.Command(node, "--require", preload, "main.js")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("node: %v\n%s", err, errOut.String())
		}
		return out.String(), errOut.String()
	}
	on := []string{"FARGATE_CODE_CACHE=" + cache, "FARGATE_CODE_CACHE_DEBUG=1"}
	entries := func() []string {
		matches, _ := filepath.Glob(filepath.Join(cache, "*", "*"))
		return matches
	}

	want, errOut := run("FARGATE_CODE_CACHE=", "FARGATE_CODE_CACHE_DEBUG=1")
	if !strings.HasPrefix(want, "aaaa at "+filepath.Join(dir, "thrower.js")+":2:32 ") || !strings.HasSuffix(want, " esm function true\n") {
		t.Fatalf("without the cache main.js printed %q", want)
	}
	if errOut != "" || entries() != nil {
		t.Fatalf("FARGATE_CODE_CACHE empty: the cache ran (%q, entries %v)", errOut, entries())
	}

	steps := []struct {
		name                   string
		before                 func()
		want                   string
		hits, misses, rejected int
	}{
		// main, value and thrower; esm.js is not CommonJS.
		{"cold", nil, want, 0, 3, 0},
		{"warm", nil, want, 3, 0, 0},
		// Same length, other text: V8 alone would take the old entry.
		{"source changed", func() { write("value.js", "exports.v = 'bbbb';\n") }, strings.Replace(want, "aaaa", "bbbb", 1), 2, 1, 0},
		{"entries corrupted", func() {
			for _, e := range entries() {
				if err := os.WriteFile(e, []byte("not a code cache"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}, strings.Replace(want, "aaaa", "bbbb", 1), 0, 0, 3},
		{"rewritten", nil, strings.Replace(want, "aaaa", "bbbb", 1), 3, 0, 0},
	}
	for _, step := range steps {
		if step.before != nil {
			step.before()
		}
		got, errOut := run(on...)
		if got != step.want {
			t.Errorf("%s: main.js printed %q, want %q", step.name, got, step.want)
		}
		if h, m, r := stats(t, errOut); h != step.hits || m != step.misses || r != step.rejected {
			t.Errorf("%s: %d hits, %d misses, %d rejected; want %d, %d, %d (%s)", step.name, h, m, r, step.hits, step.misses, step.rejected, errOut)
		}
	}
	for _, e := range entries() {
		if strings.HasSuffix(e, ".tmp") {
			t.Errorf("a temporary entry was left behind: %s", e)
		}
	}
}

// TestScriptsAppTurnsOnTheCodeCache: scripts/app gives the app (and so the
// jsii kernel it starts) the preload and the cache directory, keeps the
// jsii runtime's heap setting or the user's NODE_OPTIONS, and leaves both
// alone when FARGATE_CODE_CACHE is empty. node takes the NODE_OPTIONS it
// sets, quotes and all, from a directory with a blank in its name.
func TestScriptsAppTurnsOnTheCodeCache(t *testing.T) {
	s := newScratch(t)
	if _, out, err := s.run("STUB_ID=x", "--build-only"); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// The binary prints its environment; the stamp still matches.
	s.write(".build/app", "#!/bin/sh\necho \"NODE_OPTIONS=$NODE_OPTIONS\"\necho \"FARGATE_CODE_CACHE=${FARGATE_CODE_CACHE-unset}\"\n")
	if err := os.Chmod(filepath.Join(s.dir, ".build/app"), 0o755); err != nil {
		t.Fatal(err)
	}
	preload := `--require "` + s.dir + `/scripts/jsii-code-cache.js"`
	nag := `--require "` + s.dir + `/scripts/nag-shortcut.js"`
	tests := []struct {
		env      []string
		want     string
		built    bool
		readable bool
	}{
		{nil, "NODE_OPTIONS=--max-old-space-size=4069 " + preload + " " + nag + "\nFARGATE_CODE_CACHE=" + s.dir + "/.build/code-cache\n", false, true},
		{[]string{"NODE_OPTIONS=--trace-warnings"}, "NODE_OPTIONS=--trace-warnings " + preload + " " + nag + "\nFARGATE_CODE_CACHE=" + s.dir + "/.build/code-cache\n", false, true},
		{[]string{"FARGATE_CODE_CACHE=/elsewhere"}, "NODE_OPTIONS=--max-old-space-size=4069 " + preload + " " + nag + "\nFARGATE_CODE_CACHE=/elsewhere\n", false, true},
		{[]string{"FARGATE_CODE_CACHE="}, "NODE_OPTIONS=--max-old-space-size=4069 " + nag + "\nFARGATE_CODE_CACHE=\n", false, false},
		{[]string{"FARGATE_NAG_SHORTCUT=off"}, "NODE_OPTIONS=--max-old-space-size=4069 " + preload + "\nFARGATE_CODE_CACHE=" + s.dir + "/.build/code-cache\n", false, true},
		{[]string{"FARGATE_CODE_CACHE=", "FARGATE_NAG_SHORTCUT=off"}, "NODE_OPTIONS=\nFARGATE_CODE_CACHE=\n", false, false},
	}
	for _, tc := range tests {
		built, out, err := s.run(tc.env...)
		if err != nil || built != tc.built || out != tc.want {
			t.Errorf("env %q: built %v, printed %q, %v; want %q", tc.env, built, out, err, tc.want)
		}
	}
	if built, out, err := s.run("FARGATE_NAG_SHORTCUT=no"); err == nil || built || out != "scripts/app: FARGATE_NAG_SHORTCUT is \"no\": want on (the default) or off\n" {
		t.Errorf("FARGATE_NAG_SHORTCUT=no: built %v, printed %q, %v; want a refusal", built, out, err)
	}

	// The quoting, as node reads it.
	spaced := filepath.Join(t.TempDir(), "a dir")
	if err := os.MkdirAll(filepath.Join(spaced, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"jsii-code-cache.js", "nag-shortcut.js"} {
		js, err := os.ReadFile(filepath.Join("scripts", f))
		if err == nil {
			err = os.WriteFile(filepath.Join(spaced, "scripts", f), js, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(nodeBin(t), "-e", "")
	cmd.Env = append(os.Environ(), `NODE_OPTIONS=--max-old-space-size=4069 --require "`+spaced+`/scripts/jsii-code-cache.js" --require "`+spaced+`/scripts/nag-shortcut.js"`,
		"FARGATE_CODE_CACHE="+filepath.Join(spaced, "cache"), "FARGATE_CODE_CACHE_DEBUG=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !cacheStats.Match(out) {
		t.Errorf("node with scripts/app's NODE_OPTIONS from %q: %v\n%s", spaced, err, out)
	}
}

// TestCdkSynthWithTheCodeCache runs `cdk synth` of dev as a user does,
// through cdk.json and scripts/app, twice with a new code cache and a new
// digest memo: the cold run fills them, the warm one compiles nothing and
// hashes no tarball, and both write the golden templates. Both run the
// in-process kernel (scripts/jsii-kernel), one node process printing the
// cache's statistics, and the nag shortcut (scripts/nag-shortcut.js),
// which answers type tests. A third run has
// neither: the Go runtime's relay (two processes) and cdk-nag loading
// every service it tests for. It writes the same templates and the same
// nag reports (every rule's verdict on every resource it applies to).
func TestCdkSynthWithTheCodeCache(t *testing.T) {
	if testing.Short() {
		t.Skip("two synths through the CDK CLI")
	}
	cdk, err := filepath.Abs("node_modules/.bin/cdk")
	if err == nil {
		_, err = os.Stat(cdk)
	}
	if err != nil {
		t.Fatalf("the CDK CLI is missing (%v): run `make deps`", err)
	}
	bin := filepath.Dir(nodeBin(t))
	cache := filepath.Join(t.TempDir(), "cache")
	memo := filepath.Join(t.TempDir(), "tarball-digests.json")
	var reports map[string]string // the first run's nag reports by file name
	for _, run := range []string{"cold", "warm", "relay"} {
		out := filepath.Join(t.TempDir(), "cdk.out")
		cmd := exec.Command(cdk, "synth", "--quiet", "-o", out)
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "FARGATE_CODE_CACHE="+cache, "FARGATE_CODE_CACHE_DEBUG=1", "FARGATE_NAG_SHORTCUT_DEBUG=1",
			"FARGATE_DIGEST_MEMO="+memo, "FARGATE_DIGEST_MEMO_DEBUG=1")
		processes := 1
		if run == "relay" {
			cmd.Env, processes = append(cmd.Env, "FARGATE_KERNEL=relay", "FARGATE_NAG_SHORTCUT=off"), 2
		}
		var stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s cdk synth: %v\n%s", run, err, stderr.String())
		}
		hits, misses, rejected := stats(t, stderr.String())
		// The third run compiles what only it loads: the relay's own
		// script and the services the nag shortcut spares the others.
		if run == "cold" && (misses < 500 || hits != 0) || run == "warm" && (hits < 500 || misses != 0 || rejected != 0) || run == "relay" && (hits < 500 || misses == 0 || rejected != 0) {
			t.Errorf("%s synth: %d hits, %d misses, %d rejected\n%s", run, hits, misses, rejected, stderr.String())
		}
		if n := len(cacheStats.FindAllString(stderr.String(), -1)); n != processes {
			t.Errorf("%s synth: %d node processes printed the cache's statistics, want %d\n%s", run, n, processes, stderr.String())
		}
		// The tarball digests: computed cold, remembered warm (aws-cdk-lib,
		// cdk-nag, constructs and the CDK's asset packages); the relay has
		// no memo, nor has a system without /proc (off Linux).
		digests := digestMemo.FindAllStringSubmatch(stderr.String(), -1)
		_, noProc := os.Stat("/proc/self/exe")
		if run == "relay" && digests != nil || run != "relay" && noProc == nil && (len(digests) != 1 ||
			run == "cold" && (digests[0][1] == "0" || digests[0][2] != "0") || run == "warm" && (digests[0][1] != "0" || digests[0][2] == "0")) {
			t.Errorf("%s synth: the digest memo printed %q\n%s", run, digests, stderr.String())
		}
		shortcut := nagShortcut.FindStringSubmatch(stderr.String())
		if run == "relay" && shortcut != nil || run != "relay" && (shortcut == nil || shortcut[1] == "0") {
			t.Errorf("%s synth: the nag shortcut printed %q\n%s", run, shortcut, stderr.String())
		}
		got := nagReports(t, out)
		if reports == nil {
			reports = got
			if len(got) != 4 {
				t.Errorf("%s synth wrote %d nag reports, want one per stack: %v", run, len(got), got)
			}
		}
		for name, want := range reports {
			if got[name] != want {
				t.Errorf("%s synth: nag report %s differs from the cold run's:\n%s", run, name, unifiedDiff(name, run, want, got[name], 3))
			}
		}
		templates := readTemplates(t, out)
		for _, stack := range sortedIDs(templates) {
			file := filepath.Join("testdata", "golden", "dev", stack+".template.json")
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(normalize(templates[stack])); got != string(want) {
				t.Errorf("%s synth: %s differs:\n%s", run, file, unifiedDiff(file, "cdk synth", string(want), got, 3))
			}
		}
		if len(templates) != 4 {
			t.Errorf("%s synth wrote %d templates, want the 4 stacks", run, len(templates))
		}
	}
}

var digestMemo = regexp.MustCompile(`jsii-kernel: tarball digests: (\d+) computed, (\d+) remembered`)

var nagShortcut = regexp.MustCompile(`nag-shortcut: (\d+) type tests answered without loading`)

// nagReports reads cdk-nag's reports in a cloud assembly: its verdicts, a
// line for each rule on each resource it applies to.
func nagReports(t *testing.T, outdir string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(outdir, "AwsSolutions-*-NagReport.csv"))
	if err != nil {
		t.Fatal(err)
	}
	reports := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Count(string(b), "\n") < 2 {
			t.Errorf("%s has no verdict: %q", f, b)
		}
		reports[filepath.Base(f)] = string(b)
	}
	return reports
}
