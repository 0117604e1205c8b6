package main

// Checks of the in-process kernel's memo of the tarball digests
// (scripts/jsii-kernel.js): a digest is remembered only for the app binary
// that is the kernel's parent, used only for the same package, version and
// size under the same binary file, and anything odd about the memo or the
// process costs a digest computed, not a failure.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// deadPID is a process ID no process has.
func deadPID(t *testing.T) int {
	t.Helper()
	for pid := 4000000; pid > 100000; pid-- {
		if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
			return pid
		}
	}
	t.Fatal("no free process ID")
	return 0
}

// digestKernel stands in for the jsii kernel: it holds the kernel's
// digestFile definition, as the memo finds it in lib/program.js, over a
// readFileChunks that counts its calls, and answers each request
// {"file", "name", "version"} with the digest and that count.
const digestKernel = `'use strict';
const fs = require('fs');
const crypto = require('crypto');
let computed = 0;
function readFileChunks(e, p, ...m) {
  computed++;
  const g = crypto.createHash('sha256');
  g.update(fs.readFileSync(e));
  for (const x of m) { g.update('\0'); g.update(x); }
  return g.digest();
}
const p = {};
DIGEST_FILE;
` + standInServe + `
serve((req) => ({ hex: p.digestFile(req.file, req.name, req.version).toString('hex'), computed }));
`

// digestFileDefinition is the kernel's definition that jsii-kernel.js
// replaces, as it names it.
func digestFileDefinition(t *testing.T) string {
	t.Helper()
	js, err := os.ReadFile("scripts/jsii-kernel.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^const DIGEST_FILE = '(.+)';$`).FindSubmatch(js)
	if m == nil {
		t.Fatal("scripts/jsii-kernel.js has no DIGEST_FILE")
	}
	return string(m[1])
}

// TestDigestMemoPatternIsInTheLinkedKernel: the kernel of the linked
// jsii-runtime-go holds the definition the memo replaces, once. A new
// jsii-runtime-go that changes it fails here, not silently slower.
func TestDigestMemoPatternIsInTheLinkedKernel(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/jsii-runtime-go").Output()
	if err != nil {
		t.Fatalf("go list -m github.com/aws/jsii-runtime-go: %v", err)
	}
	program := filepath.Join(strings.TrimSpace(string(out)), "internal/embedded/resources/lib/program.js")
	src, err := os.ReadFile(program)
	if err != nil {
		t.Fatal(err)
	}
	def := digestFileDefinition(t)
	if n := strings.Count(string(src), def); n != 1 {
		t.Errorf("%s holds %q %d times, want once: update DIGEST_FILE in scripts/jsii-kernel.js to the kernel's digestFile (or drop the memo)", program, def, n)
	}
}

func TestJsiiKernelRemembersTarballDigests(t *testing.T) {
	if _, err := os.Stat("/proc/self/exe"); err != nil {
		t.Skip("no /proc: the kernel cannot tell its parent's binary, and the memo is off")
	}
	dir := t.TempDir()
	kernel, err := filepath.Abs("scripts/jsii-kernel")
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable() // the kernel's parent, as the app is
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	program := write("program.js", strings.Replace(digestKernel, "DIGEST_FILE", digestFileDefinition(t), 1))
	// Another kernel's digestFile, as a new jsii-runtime-go might minify it.
	other := write("other.js", strings.Replace(digestKernel, "DIGEST_FILE", "p.digestFile=function digestFile(f,...p){return readFileChunks(f,()=>{},...p)}", 1))
	tarball := write("cdk-lib.1234.tgz", "tarball bytes")
	memo := filepath.Join(dir, "memo.json")
	digest := func(file, name, version string) string {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(string(b) + "\x00" + name + "\x00" + version))
		return hex.EncodeToString(sum[:])
	}
	type request struct{ File, Name, Version string }
	// run starts the kernel as the Go runtime does after scripts/app (exec,
	// so the kernel is this process's child), or through a shell that
	// stays in between, and asks for the digests of reqs.
	run := func(via, prog string, env []string, reqs ...request) (hexes []string, computed int, stderr string) {
		t.Helper()
		cmd := exec.Command(kernel, prog)
		if via == "shell" { // not the last command: no shell execs it
			cmd = exec.Command("/bin/sh", "-c", "'"+kernel+"' '"+prog+"'; exit $?")
		}
		cmd.Env = append(os.Environ(), append([]string{"PATH=" + filepath.Dir(nodeBin(t)) + ":" + os.Getenv("PATH"), "NODE_OPTIONS=",
			"FARGATE_APP_BIN=" + self, "FARGATE_DIGEST_MEMO=" + memo, "FARGATE_DIGEST_MEMO_DEBUG=1"}, env...)...)
		var in strings.Builder
		for _, r := range reqs {
			b, _ := json.Marshal(map[string]string{"file": r.File, "name": r.Name, "version": r.Version})
			in.Write(append(b, '\n'))
		}
		cmd.Stdin = strings.NewReader(in.String())
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("the kernel: %v\n%s", err, errOut.String())
		}
		for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			var resp struct {
				Hex      string
				Computed int
			}
			if err := json.Unmarshal([]byte(line), &resp); err != nil {
				t.Fatalf("the kernel answered %q: %v", out.String(), err)
			}
			hexes, computed = append(hexes, resp.Hex), resp.Computed
		}
		return hexes, computed, errOut.String()
	}
	lib := request{tarball, "cdk-lib", "1.0.0"}
	readMemo := func() string {
		b, _ := os.ReadFile(memo)
		return string(b)
	}

	steps := []struct {
		name     string
		before   func()
		via      string
		program  string
		env      []string
		reqs     []request
		computed int
		debug    string
	}{
		// A temporary memo of a kernel that died before its rename: the
		// next write removes it.
		{"cold", func() { write("memo.json."+strconv.Itoa(deadPID(t))+".tmp", "{") }, "", program, nil, []request{lib}, 1, "1 computed, 0 remembered\n"},
		{"warm", nil, "", program, nil, []request{lib, lib}, 0, "0 computed, 2 remembered\n"},
		{"another version", nil, "", program, nil, []request{{tarball, "cdk-lib", "1.0.1"}}, 1, "1 computed, 0 remembered\n"},
		{"another size", func() { write("cdk-lib.1234.tgz", "tarball bytes, more of them") }, "", program, nil, []request{lib}, 1, "1 computed, 0 remembered\n"},
		{"warm again", nil, "", program, nil, []request{lib, {tarball, "cdk-lib", "1.0.1"}}, 1, "1 computed, 1 remembered\n"},
		{"another binary's memo", func() {
			os.WriteFile(memo, []byte(strings.Replace(readMemo(), `"binary":"`, `"binary":"1`, 1)), 0o644)
		}, "", program, nil, []request{lib}, 1, "1 computed, 0 remembered\n"},
		{"a corrupt memo", func() { os.WriteFile(memo, []byte("{not json"), 0o644) }, "", program, nil, []request{lib}, 1, "1 computed, 0 remembered\n"},
		{"a digest that is not one", func() {
			os.WriteFile(memo, []byte(regexp.MustCompile(`"[0-9a-f]{64}"`).ReplaceAllString(readMemo(), `"zz"`)), 0o644)
		}, "", program, nil, []request{lib}, 1, "1 computed, 0 remembered\n"},
		{"memoized again", nil, "", program, nil, []request{lib}, 0, "0 computed, 1 remembered\n"},
		// The same binary file, changed (as a rebuild or a copy over it
		// would): its times differ.
		{"the binary touched", func() {
			if err := os.Chtimes(self, time.Now(), time.Now()); err != nil {
				t.Fatal(err)
			}
		}, "", program, nil, []request{lib}, 1, "1 computed, 0 remembered\n"},
		{"a shell in between", nil, "shell", program, nil, []request{lib}, 1, "memo off: the parent process does not run FARGATE_APP_BIN\n"},
		{"another app binary", nil, "", program, []string{"FARGATE_APP_BIN=/bin/sh"}, []request{lib}, 1, "memo off: the parent process does not run FARGATE_APP_BIN\n"},
		{"no app binary", nil, "", program, []string{"FARGATE_APP_BIN="}, []request{lib}, 1, "memo off: no app binary FARGATE_APP_BIN (ENOENT)\n"},
		{"turned off", nil, "", program, []string{"FARGATE_DIGEST_MEMO="}, []request{lib}, 1, "memo off: FARGATE_DIGEST_MEMO is empty\n"},
		{"another kernel", nil, "", other, nil, []request{lib}, 1, "memo off: the kernel's digestFile is not the one this memo replaces\n"},
		{"an unwritable memo", nil, "", program, []string{"FARGATE_DIGEST_MEMO=" + filepath.Join(dir, "none", "memo.json")}, []request{lib, lib}, 1, "1 computed, 1 remembered\n"},
	}
	for _, step := range steps {
		if step.before != nil {
			step.before()
		}
		before := readMemo()
		hexes, computed, stderr := run(step.via, step.program, step.env, step.reqs...)
		for i, r := range step.reqs {
			if want := digest(r.File, r.Name, r.Version); i >= len(hexes) || hexes[i] != want {
				t.Errorf("%s: digests %v, want %s for request %d", step.name, hexes, want, i)
			}
		}
		if computed != step.computed {
			t.Errorf("%s: the kernel's readFileChunks ran %d times, want %d", step.name, computed, step.computed)
		}
		if want := "jsii-kernel: tarball digests: " + step.debug; stderr != want {
			t.Errorf("%s: stderr %q, want %q", step.name, stderr, want)
		}
		if strings.Contains(step.debug, "memo off") && readMemo() != before {
			t.Errorf("%s: the memo was written with the memo off: %s", step.name, readMemo())
		}
	}
	if m := readMemo(); !strings.Contains(m, digest(tarball, "cdk-lib", "1.0.0")) {
		t.Errorf("the memo has no digest of the tarball: %s", m)
	}
	if leftovers, _ := filepath.Glob(memo + ".*"); len(leftovers) > 0 {
		t.Errorf("temporary memo files were left behind: %v", leftovers)
	}
}
