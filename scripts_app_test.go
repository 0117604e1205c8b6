package main

// Checks of scripts/app, the command cdk.json runs: it rebuilds the app's
// binary when an input changed and only then. They run the script with sh
// in a copy of the module, with a stub `go` that logs each build and
// writes a small shell script as the binary, so no real build runs.

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// stubGo stands in for the go command: `go env …` prints $STUB_GO, `go
// build -o FILE .` logs a line to $STUB_LOG and writes FILE as a script
// that prints "app <id>". With $STUB_FAIL set the build fails; with
// $STUB_HOLD set it writes half of FILE, creates $STUB_HOLD.building and
// waits for $STUB_HOLD to exist before it finishes. `go list -m -f
// {{.Dir}} github.com/aws/jsii-runtime-go` prints $STUB_RUNTIME, the
// module's directory.
const stubGo = `#!/bin/sh
case "$1" in
env) echo "${STUB_GO:-go1.26.8}"; echo linux; echo amd64 ;;
list)
	[ "$*" = "list -m -f {{.Dir}} github.com/aws/jsii-runtime-go" ] || { echo "stub go: unexpected list arguments: $*" >&2; exit 2; }
	echo "$STUB_RUNTIME" ;;
build)
	[ "$2" = -o ] && [ "$4" = . ] || { echo "stub go: unexpected build arguments: $*" >&2; exit 2; }
	echo "build $3" >>"$STUB_LOG"
	mkdir -p "$(dirname "$3")" # as go build does
	[ -z "$STUB_FAIL" ] || { echo "stub go: build failed" >&2; exit 1; }
	printf '#!/bin/sh\n' >"$3"
	if [ -n "$STUB_HOLD" ]; then
		: >"$STUB_HOLD.building"
		while [ ! -e "$STUB_HOLD" ]; do sleep 0.01; done
	fi
	printf 'echo app %s\n' "$STUB_ID" >>"$3"
	chmod +x "$3" ;;
*) echo "stub go: unexpected command $*" >&2; exit 2 ;;
esac
`

// scratch is a copy of the module for scripts/app to run in.
type scratch struct {
	t        *testing.T
	dir, log string
	path     string // PATH with the stub go first
	runtime  string // the stub module jsii-runtime-go, $STUB_RUNTIME
}

// program is the stub jsii-runtime-go's kernel, which scripts/app records.
func (s *scratch) program() string {
	return filepath.Join(s.runtime, "internal/embedded/resources/lib/program.js")
}

// newScratch copies the module's files, without .git, .build, cdk.out and
// any node_modules (the bench twin's too), and puts the stub go on PATH.
func newScratch(t *testing.T) *scratch {
	t.Helper()
	dir := t.TempDir()
	root, stubs := filepath.Join(dir, "module"), filepath.Join(dir, "stubs")
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir() && (path == ".git" || d.Name() == "node_modules" || path == ".build" || path == "cdk.out"):
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(filepath.Join(root, path), 0o755)
		case !d.Type().IsRegular():
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(root, path), b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(stubs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stubs, "go"), []byte(stubGo), 0o755); err != nil {
		t.Fatal(err)
	}
	s := &scratch{t: t, dir: root, log: filepath.Join(dir, "builds.log"), path: stubs + ":" + os.Getenv("PATH")}
	s.moveRuntime(filepath.Join(dir, "jsii-runtime-go"))
	return s
}

// moveRuntime puts the stub module jsii-runtime-go, with its kernel, in dir.
func (s *scratch) moveRuntime(dir string) {
	s.t.Helper()
	s.runtime = dir
	if err := os.MkdirAll(filepath.Dir(s.program()), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(s.program(), []byte("// the kernel\n"), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// cmd is scripts/app of the copy, run with sh, with env added; an entry
// of env that starts with "--" is an argument instead.
func (s *scratch) cmd(env ...string) *exec.Cmd {
	args := []string{filepath.Join(s.dir, "scripts/app")}
	var vars []string
	for _, e := range env {
		if strings.HasPrefix(e, "--") {
			args = append(args, e)
		} else {
			vars = append(vars, e)
		}
	}
	env = vars
	cmd := exec.Command("sh", args...)
	cmd.Env = append([]string{"PATH=" + s.path, "HOME=" + s.t.TempDir(), "STUB_LOG=" + s.log, "STUB_RUNTIME=" + s.runtime}, env...)
	return cmd
}

// run runs scripts/app and reports whether it built, and what it printed.
func (s *scratch) run(env ...string) (built bool, out string, err error) {
	s.t.Helper()
	before := s.builds()
	b, err := s.cmd(env...).CombinedOutput()
	return s.builds() > before, string(b), err
}

func (s *scratch) builds() int {
	b, _ := os.ReadFile(s.log)
	return strings.Count(string(b), "\n")
}

// edit appends a comment (or a blank line) to a file of the copy.
func (s *scratch) edit(path string) {
	s.t.Helper()
	f, err := os.OpenFile(filepath.Join(s.dir, path), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	defer f.Close()
	line := "\n"
	if strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".awk") || strings.HasSuffix(path, ".mod") {
		line = "\n// edited\n"
	}
	if _, err := f.WriteString(line); err != nil {
		s.t.Fatal(err)
	}
}

func (s *scratch) write(path, content string) {
	s.t.Helper()
	if err := os.WriteFile(filepath.Join(s.dir, path), []byte(content), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

func (s *scratch) remove(path string) {
	s.t.Helper()
	if err := os.Remove(filepath.Join(s.dir, path)); err != nil {
		s.t.Fatal(err)
	}
}

// leftovers lists what a build left in .build besides the binary, its
// stamp and the record of its jsii kernel.
func (s *scratch) leftovers() []string {
	var out []string
	entries, _ := os.ReadDir(filepath.Join(s.dir, ".build"))
	for _, e := range entries {
		if e.Name() != "app" && e.Name() != "app.stamp" && e.Name() != "jsii-runtime" {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestScriptsAppRebuildsOnlyWhenAnInputChanged(t *testing.T) {
	s := newScratch(t)
	past := time.Now().Add(-72 * time.Hour)
	steps := []struct {
		name  string
		do    func()
		env   []string
		build bool
	}{
		{"no binary yet", func() {}, nil, true},
		{"nothing changed", func() {}, nil, false},
		{"a Go source", func() { s.edit("stacks/app.go") }, nil, true},
		{"nothing changed after it", func() {}, nil, false},
		{"go.mod", func() { s.edit("go.mod") }, nil, true},
		{"go.sum", func() { s.edit("go.sum") }, nil, true},
		{"a file a Go source embeds", func() { s.edit("constructs/dockerhub.awk") }, nil, true},
		{"a new Go source", func() { s.write("constructs/zz_new.go", "package constructs\n") }, nil, true},
		{"a removed Go source", func() { s.remove("constructs/zz_new.go") }, nil, true},
		{"a renamed Go source", func() {
			if err := os.Rename(filepath.Join(s.dir, "nag/nag.go"), filepath.Join(s.dir, "nag/zz.go")); err != nil {
				t.Fatal(err)
			}
		}, nil, true},
		{"an edit that keeps an old mtime (clock skew, cp -p)", func() {
			s.edit("stacks/registry.go")
			if err := os.Chtimes(filepath.Join(s.dir, "stacks/registry.go"), past, past); err != nil {
				t.Fatal(err)
			}
		}, nil, true},
		{"another Go version", func() {}, []string{"STUB_GO=go1.26.9"}, true},
		{"the same Go version again", func() {}, []string{"STUB_GO=go1.26.9"}, false},
		{"the binary removed", func() { s.remove(".build/app") }, []string{"STUB_GO=go1.26.9"}, true},
		{"a Go test file", func() { s.edit("service_test.go") }, []string{"STUB_GO=go1.26.9"}, false},
		{"the e2e tests", func() { s.edit("e2e/e2e.go") }, []string{"STUB_GO=go1.26.9"}, false},
		{"the sample app, its own module", func() { s.edit("app/main.go"); s.edit("app/go.mod") }, []string{"STUB_GO=go1.26.9"}, false},
		{"golden templates", func() { s.edit("testdata/golden/dev/Service.template.json") }, []string{"STUB_GO=go1.26.9"}, false},
		{"docs and settings", func() { s.edit("README.md"); s.edit("docs/testing.md"); s.edit("cdk.json") }, []string{"STUB_GO=go1.26.9"}, false},
		{"cdk.out", func() {
			if err := os.MkdirAll(filepath.Join(s.dir, "cdk.out"), 0o755); err != nil {
				t.Fatal(err)
			}
			s.write("cdk.out/x.go", "package x\n")
		}, []string{"STUB_GO=go1.26.9"}, false},
		{"a Go source touched, not changed", func() {
			now := time.Now().Add(time.Hour)
			if err := os.Chtimes(filepath.Join(s.dir, "main.go"), now, now); err != nil {
				t.Fatal(err)
			}
		}, []string{"STUB_GO=go1.26.9"}, false},
	}
	for i, step := range steps {
		step.do()
		id := fmt.Sprint("STUB_ID=", i)
		built, out, err := s.run(append(step.env, id)...)
		if err != nil {
			t.Fatalf("%s: scripts/app failed: %v\n%s", step.name, err, out)
		}
		if built != step.build {
			t.Errorf("%s: built %v, want %v", step.name, built, step.build)
		}
		if !strings.HasPrefix(out, "app ") {
			t.Errorf("%s: the app did not run: %q", step.name, out)
		}
	}
	if l := s.leftovers(); len(l) > 0 {
		t.Errorf("the builds left %v in .build", l)
	}
	// --build-only builds as a run would, and does not start the app.
	s.edit("main.go")
	if built, out, err := s.run("STUB_GO=go1.26.9", "STUB_ID=x", "--build-only"); err != nil || !built || out != "" {
		t.Errorf("a run with --build-only: built %v, output %q, %v", built, out, err)
	}
}

// TestScriptsAppKeepsTheBinaryWhenTheBuildFails: the old binary stays
// whole, nothing is left behind, and the next run builds again.
func TestScriptsAppKeepsTheBinaryWhenTheBuildFails(t *testing.T) {
	s := newScratch(t)
	if _, out, err := s.run("STUB_ID=old"); err != nil {
		t.Fatalf("first build: %v\n%s", err, out)
	}
	s.edit("main.go")
	built, out, err := s.run("STUB_ID=new", "STUB_FAIL=1")
	if err == nil || !built || !strings.Contains(out, "build failed") || strings.Contains(out, "app ") {
		t.Errorf("a failed build: built %v, exit %v, output %q; want the failure and no app run", built, err, out)
	}
	if b, _ := os.ReadFile(filepath.Join(s.dir, ".build/app")); !strings.Contains(string(b), "echo app old") {
		t.Errorf("the failed build damaged the binary: %q", b)
	}
	if l := s.leftovers(); len(l) > 0 {
		t.Errorf("the failed build left %v in .build", l)
	}
	if built, out, err := s.run("STUB_ID=new"); err != nil || !built || out != "app new\n" {
		t.Errorf("the run after a failed build: built %v, output %q, %v; want a build", built, out, err)
	}
}

// TestScriptsAppRacingSynths: while one synth builds, the binary in place
// stays whole and runnable, a second synth builds on its own, and both end
// with a whole binary and nothing left behind.
func TestScriptsAppRacingSynths(t *testing.T) {
	s := newScratch(t)
	if _, out, err := s.run("STUB_ID=old"); err != nil {
		t.Fatalf("first build: %v\n%s", err, out)
	}
	s.edit("main.go")
	hold := filepath.Join(t.TempDir(), "go-on")
	var outs [2]strings.Builder
	var cmds [2]*exec.Cmd
	for i := range cmds {
		cmds[i] = s.cmd(fmt.Sprint("STUB_ID=new", i), "STUB_HOLD="+hold)
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	defer os.WriteFile(hold, nil, 0o644) // never leave a stub waiting
	deadline := time.Now().Add(30 * time.Second)
	for s.builds() < 2 || !exists(hold+".building") {
		if time.Now().After(deadline) {
			t.Fatalf("the two builds did not start: %d logged", s.builds())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Both builds are half done: the binary in place is the old one, whole.
	if out, err := exec.Command(filepath.Join(s.dir, ".build/app")).CombinedOutput(); err != nil || string(out) != "app old\n" {
		t.Errorf("during the builds the binary runs as %q, %v; want the old one, whole", out, err)
	}
	if err := os.WriteFile(hold, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil || !strings.HasPrefix(outs[i].String(), "app new") {
			t.Errorf("synth %d: %v, output %q", i, err, outs[i].String())
		}
	}
	if out, err := exec.Command(filepath.Join(s.dir, ".build/app")).CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "app new") {
		t.Errorf("after the builds the binary runs as %q, %v", out, err)
	}
	if l := s.leftovers(); len(l) > 0 {
		t.Errorf("the builds left %v in .build", l)
	}
	if built, _, err := s.run("STUB_ID=later"); err != nil || built {
		t.Errorf("the run after both builds: built %v, %v; want the binary they left", built, err)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
